"""``Idempotency-Key`` for mutating API calls (DESIGN section 4).

The first request with a key inserts an ``IdempotencyRecord`` in its own transaction before the
view runs, so the unique constraint (merchant, livemode, key) decides which of two concurrent
requests executes; the other gets 409 while the first runs, or the stored response after.
The response is stored when the view finishes and replayed for 24 hours (with
``Idempotent-Replayed: true``) to a request with the same key, method, path and body; a different
request with the key gets 422. A 5xx answer is not stored: the key may be retried.
"""

from __future__ import annotations

import functools
import json
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from payments.errors import IdempotencyConflict, IdempotencyMismatch
from payments.models import IdempotencyRecord
from payments.vault import secret_decrypt, secret_encrypt

from .exceptions import PROBLEM_CONTENT_TYPE

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


# Never hashed: a three- or four-digit code is found from its hash in at most 10,000 tries.
UNHASHED_FIELDS = frozenset({"cvc"})


def _without_unhashed(value):
    if isinstance(value, dict):
        # dict.items: a QueryDict's own items() would drop all but the last value of a key.
        return {k: _without_unhashed(v) for k, v in dict.items(value) if k not in UNHASHED_FIELDS}
    if isinstance(value, list):
        return [_without_unhashed(v) for v in value]
    return value


def request_fingerprint(request) -> str:
    """Return a keyed hash of the method, path and JSON body (key order does not matter).

    The body may hold a card number: keyed by ``SECRET_KEY``, the stored hash cannot be matched
    against guessed numbers by whoever reads the table. The CVC is left out altogether, so a
    retry differing only in it replays the first answer.
    """
    data = _without_unhashed(request.data)
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    raw = f"{request.method}\n{request.path}\n{body}"
    return salted_hmac(
        "payments.api.idempotency", raw.encode("utf-8", "surrogatepass"), algorithm="sha256"
    ).hexdigest()


def _claim(*, request, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    """Insert the record, or return the stored response to replay; raise 409/422 otherwise."""
    merchant, livemode = request.auth.merchant, request.auth.livemode
    now = timezone.now()
    for _ in range(2):
        try:
            # Outside a transaction the lone INSERT commits by itself (one round trip, not
            # BEGIN/INSERT/COMMIT); inside one, a savepoint keeps a duplicate key from breaking it.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                return IdempotencyRecord.objects.create(
                    merchant=merchant,
                    livemode=livemode,
                    key=key,
                    request_hash=fingerprint,
                    expires_at=now + settings.PAYMENTS_IDEMPOTENCY_TTL,
                )
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(
            merchant=merchant, livemode=livemode, key=key
        ).first()
        if record is None:
            continue  # deleted meanwhile (expired or abandoned): try to claim it again
        if record.expires_at <= now or _abandoned(record, now):
            # Conditional delete: of two requests taking over the key, one wins the insert.
            IdempotencyRecord.objects.filter(
                pk=record.pk, response_status=record.response_status
            ).delete()
            continue
        if record.request_hash != fingerprint:
            raise IdempotencyMismatch(
                "This Idempotency-Key was already used with a different request; use a new key."
            )
        if not record.completed:
            raise IdempotencyConflict(
                "A request with this Idempotency-Key is still being processed; retry shortly."
            )
        return _replay(record)
    raise IdempotencyConflict("A request with this Idempotency-Key is still being processed.")


def _abandoned(record: IdempotencyRecord, now) -> bool:
    """A record left incomplete longer than any request runs belongs to a crashed process."""
    timeout = timedelta(seconds=settings.PAYMENTS_IDEMPOTENCY_LOCK_TIMEOUT)
    return not record.completed and record.created < now - timeout


# Secrets shown once (a webhook signing secret) are kept encrypted in the stored response.
SECRET_FIELDS = ("secret",)
_ENCRYPTED = "__encrypted__"


def _seal(record: IdempotencyRecord, body):
    if not isinstance(body, dict) or not any(f in body for f in SECRET_FIELDS):
        return body
    sealed = dict(body)
    for name in SECRET_FIELDS:
        if isinstance(sealed.get(name), str):
            context = f"idempotency:{record.pk}:{name}"
            sealed[name] = {_ENCRYPTED: secret_encrypt(sealed[name], context=context)}
    return sealed


def _unseal(record: IdempotencyRecord, body):
    if not isinstance(body, dict):
        return body
    opened = dict(body)
    for name in SECRET_FIELDS:
        value = opened.get(name)
        if isinstance(value, dict) and _ENCRYPTED in value:
            context = f"idempotency:{record.pk}:{name}"
            opened[name] = secret_decrypt(value[_ENCRYPTED], context=context)
    return opened


def _replay(record: IdempotencyRecord) -> Response:
    status = record.response_status
    return Response(
        _unseal(record, record.response_body),
        status=status,
        headers={REPLAYED_HEADER: "true"},
        content_type=PROBLEM_CONTENT_TYPE if status >= 400 else None,
    )


def _finish(record: IdempotencyRecord, response: Response) -> None:
    if response.status_code >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=response.status_code, response_body=_seal(record, response.data)
    )


def idempotency_key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            {HEADER: [f"An Idempotency-Key has 1 to {MAX_KEY_LENGTH} printable characters."]},
            code="invalid",
        )
    return key


def idempotent(view_method):
    """Make an APIView handler (``post``, ``patch``, ...) honour ``Idempotency-Key``.

    Needs ``request.auth`` to be an ``ApiKey`` (its merchant and mode scope the key). Errors the
    view raises are rendered by the view's exception handler and stored like any answer.
    """
    if getattr(view_method, "_idempotent", False):
        return view_method

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = idempotency_key(request)
        if key is None or getattr(request.auth, "merchant", None) is None:
            return view_method(self, request, *args, **kwargs)
        claimed = _claim(request=request, key=key, fingerprint=request_fingerprint(request))
        if isinstance(claimed, Response):
            return claimed
        try:
            response = view_method(self, request, *args, **kwargs)
        except Exception as exc:
            try:
                response = self.handle_exception(exc)
            except Exception:
                IdempotencyRecord.objects.filter(pk=claimed.pk).delete()
                raise
        _finish(claimed, response)
        return response

    wrapper._idempotent = True
    return wrapper
