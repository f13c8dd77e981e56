"""Signed API requests (RFC 9421 HTTP Message Signatures over an RFC 9530 Content-Digest).

A merchant registers public keys (Ed25519 or ECDSA P-256; ``signing_key_create``) and may
require signatures on money-moving requests (``RequestSigningPolicy``, back office only). Such a
request (a payout or charge batch, a refund, a change of signing keys: the views marked
``money_moving``) is checked by ``request_signature_verify``, which ``payments`` runs as a
request guard before the view stores anything:

- one signature, whose ``keyid`` is an active key of the API key's merchant and mode;
- covering ``@method``, ``@path``, ``content-digest`` and ``idempotency-key``;
- ``created`` at most 5 minutes old (and not in the future beyond a small clock skew);
- the signature verifies (``http-message-signatures``), and the body matches the digest;
- never seen before: each accepted signature is a ``SeenSignature`` row until it is too old
  to pass the window anyway, so a replay inside the window is refused across processes.

Without the policy an unsigned request passes, and a signed one is checked all the same (a
merchant who signs gets the protection it asked for).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

import http_sf
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.db import IntegrityError, transaction
from django.utils import timezone
from http_message_signatures import HTTPMessageVerifier, InvalidSignature, algorithms
from http_message_signatures.digests import ContentDigest
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from payments.models import Merchant

from .errors import (
    ContentDigestMismatch,
    SignatureExpired,
    SignatureIncomplete,
    SignatureInvalid,
    SignatureReplayed,
    SignatureRequired,
    SigningKeyDuplicate,
    SigningKeyInvalid,
)
from .models import RequestSigningPolicy, SeenSignature, SigningKey

logger = logging.getLogger(__name__)

#: How old a signature's ``created`` may be.
WINDOW = timedelta(minutes=5)
#: How far ahead of our clock ``created`` may be (the signer's clock runs fast).
CLOCK_SKEW = timedelta(seconds=30)
#: What every signature covers, in any order.
REQUIRED_COMPONENTS = ("@method", "@path", "content-digest", "idempotency-key")
MAX_PEM_CHARS = 4_000

_ALGORITHMS = {
    SigningKey.Algorithm.ED25519: algorithms.ED25519,
    SigningKey.Algorithm.ECDSA_P256: algorithms.ECDSA_P256_SHA256,
}


# --- keys ---------------------------------------------------------------------------------------


def public_key_parse(pem: str) -> tuple[str, str, str]:
    """Return (algorithm, normalised PEM, fingerprint) of a PEM public key, or raise."""
    if not isinstance(pem, str) or not pem.strip() or len(pem) > MAX_PEM_CHARS or "\x00" in pem:
        raise SigningKeyInvalid("Send the public key as PEM (-----BEGIN PUBLIC KEY-----).")
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError):
        raise SigningKeyInvalid(
            "This is not a PEM public key (-----BEGIN PUBLIC KEY-----); send the public half "
            "of an Ed25519 or ECDSA P-256 key, never the private key."
        ) from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        algorithm = SigningKey.Algorithm.ED25519
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        algorithm = SigningKey.Algorithm.ECDSA_P256
    else:
        raise SigningKeyInvalid("Only Ed25519 and ECDSA P-256 public keys are accepted.")
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    normalised = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    return algorithm, normalised, hashlib.sha256(der).hexdigest()


@transaction.atomic
def signing_key_create(
    *, merchant: Merchant, livemode: bool, public_key: str, name: str = ""
) -> SigningKey:
    """Register a public key for request signing; the same active key twice is refused."""
    algorithm, pem, fingerprint = public_key_parse(public_key)
    # Lock the merchant row: two concurrent registrations of one key cannot both pass the check.
    Merchant.objects.select_for_update().get(pk=merchant.pk)
    if SigningKey.objects.filter(
        merchant=merchant, livemode=livemode, fingerprint=fingerprint, revoked_at__isnull=True
    ).exists():
        raise SigningKeyDuplicate("This public key is registered already (same fingerprint).")
    key = SigningKey.objects.create(
        merchant=merchant,
        livemode=livemode,
        name=name,
        algorithm=algorithm,
        public_key_pem=pem,
        fingerprint=fingerprint,
    )
    logger.info("signing key %s registered for merchant %s", key.public_id, merchant.public_id)
    return key


def signing_key_revoke(*, key: SigningKey) -> SigningKey:
    """Revoke ``key`` (once; revoking again changes nothing): its signatures fail from now on."""
    if key.revoked_at is None:
        updated = SigningKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            logger.info("signing key %s revoked", key.public_id)
        key.refresh_from_db(fields=["revoked_at"])
    return key


def signatures_required(*, merchant: Merchant) -> bool:
    """Return True if ``merchant`` requires signed money-moving requests."""
    return RequestSigningPolicy.objects.filter(merchant=merchant, require_signatures=True).exists()


def request_signing_policy_set(*, merchant: Merchant, require_signatures: bool):
    """Require (or stop requiring) signatures on ``merchant``'s money-moving requests."""
    policy, _ = RequestSigningPolicy.objects.update_or_create(
        merchant=merchant, defaults={"require_signatures": require_signatures}
    )
    return policy


# --- verification -------------------------------------------------------------------------------


class _Message:
    """The request as the library reads it: method, an absolute URL and the header lines.

    The host is a placeholder: the signature covers the path, not the authority (a proxy in
    front of us may rewrite the host).
    """

    def __init__(self, request):
        self.method = request.method
        self.url = "https://api.invalid" + request.get_full_path()
        self.headers = request.headers


def _one_signature(request) -> tuple[str, list, dict]:
    """Return (label, covered components, parameters) of the request's one signature."""
    raw_input = request.headers.get("Signature-Input", "")
    raw_signature = request.headers.get("Signature", "")
    if not raw_input and not raw_signature:
        raise SignatureRequired(
            "This merchant requires signed money-moving requests: send Signature-Input and "
            "Signature (RFC 9421) over @method, @path, content-digest and idempotency-key.",
            field="Signature",
        )
    if not raw_input or not raw_signature:
        missing = "Signature-Input" if not raw_input else "Signature"
        raise SignatureInvalid(f"The {missing} header is missing.", field=missing)
    try:
        parsed = http_sf.parse(raw_input.encode("latin-1"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError):
        raise SignatureInvalid(
            "Signature-Input is not a structured dictionary.", field="Signature-Input"
        ) from None
    if len(parsed) != 1:
        raise SignatureInvalid("Send exactly one signature.", field="Signature-Input")
    label, (members, params) = next(iter(parsed.items()))
    if not isinstance(members, list):
        raise SignatureInvalid(
            "A Signature-Input member is a list of components.", field="Signature-Input"
        )
    return label, [m[0] for m in members], params


def _created(params: dict) -> datetime:
    created = params.get("created")
    if type(created) is not int:
        raise SignatureIncomplete(
            'The signature has no "created" parameter (Unix seconds).', field="Signature-Input"
        )
    try:
        return datetime.fromtimestamp(created, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureExpired(
            'The signature\'s "created" is not a plausible time.', field="Signature-Input"
        ) from None


def _key(request, keyid) -> SigningKey:
    if not isinstance(keyid, str) or not keyid:
        raise SignatureIncomplete(
            'The signature has no "keyid" naming your registered key.', field="Signature-Input"
        )
    key = (
        SigningKey.objects.filter(
            merchant=request.auth.merchant,
            livemode=request.auth.livemode,
            public_id=keyid,
            revoked_at__isnull=True,
        )
        .only("pk", "public_id", "algorithm", "public_key_pem")
        .first()
    )
    if key is None:
        raise SignatureInvalid(
            f"No active signing key {keyid[:40]!r} in this mode: register it (or use another).",
            field="Signature-Input",
        )
    return key


class _KeyResolver:
    def __init__(self, key: SigningKey):
        self.key = key

    def resolve_public_key(self, key_id: str):
        return self.key.public_key_pem.encode("ascii") if key_id == self.key.public_id else None

    def resolve_private_key(self, key_id: str):
        raise NotImplementedError("The platform holds no private key.")


class _Verifier(HTTPMessageVerifier):
    max_clock_skew = CLOCK_SKEW


def request_signature_verify(*, request, now: datetime | None = None) -> SigningKey | None:
    """Check the signature of a money-moving request; return the key that signed it, or None
    for an unsigned request of a merchant who does not require signatures.

    Raises a ``SignatureError`` (401, naming the header at fault) otherwise. An accepted
    signature is recorded so that the same one is refused if it comes again.
    """
    merchant = request.auth.merchant
    signed = "Signature-Input" in request.headers or "Signature" in request.headers
    if not signed and not signatures_required(merchant=merchant):
        return None
    now = now or timezone.now()
    label, covered, params = _one_signature(request)
    created = _created(params)
    if created < now - WINDOW:
        raise SignatureExpired(
            "The signature was created more than 5 minutes ago: sign the request again.",
            field="Signature-Input",
        )
    if created > now + CLOCK_SKEW:
        raise SignatureExpired(
            "The signature is dated in the future: check your clock.", field="Signature-Input"
        )
    missing = [c for c in REQUIRED_COMPONENTS if c not in covered]
    if missing:
        raise SignatureIncomplete(
            "The signature must also cover " + ", ".join(missing) + ".", field="Signature-Input"
        )
    for header in ("Content-Digest", "Idempotency-Key"):
        if header not in request.headers:
            raise SignatureIncomplete(f"Send the {header} header and sign it.", field=header)
    key = _key(request, params.get("keyid"))
    verifier = _Verifier(
        signature_algorithm=_ALGORITHMS[key.algorithm], key_resolver=_KeyResolver(key)
    )
    try:
        results = verifier.verify(
            _Message(request),
            max_age=WINDOW,
            expect_tag=params.get("tag") if isinstance(params.get("tag"), str) else None,
            require_components=REQUIRED_COMPONENTS,
        )
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as exc:
        logger.info("signature refused for key %s: %s", key.public_id, type(exc).__name__)
        raise SignatureInvalid(
            f"The signature does not verify with key {key.public_id} over this request "
            "(method, path, Content-Digest and Idempotency-Key as sent).",
            field="Signature",
        ) from None
    try:
        ContentDigest.verify(results[0].covered_components['"content-digest"'], request.body)
    except (InvalidSignature, HTTPMessageSignaturesException):
        raise ContentDigestMismatch(
            "The body does not match the signed Content-Digest (sha-256 or sha-512 of the "
            "body bytes as sent).",
            field="Content-Digest",
        ) from None
    _remember(key=key, request=request, label=label, created=created)
    return key


def _remember(*, key: SigningKey, request, label: str, created: datetime) -> None:
    raw = http_sf.parse(request.headers["Signature"].encode("latin-1"), tltype="dictionary")
    signature = raw.get(label, (b"",))[0]
    digest = hashlib.sha256(key.public_id.encode() + b"\n" + bytes(signature)).hexdigest()
    try:
        with transaction.atomic():
            SeenSignature.objects.create(
                digest=digest, signing_key=key, expires_at=created + WINDOW + CLOCK_SKEW
            )
    except IntegrityError:
        raise SignatureReplayed(
            "This signature was accepted before: sign each request anew (a new created, or a "
            "nonce).",
            field="Signature",
        ) from None


def seen_signatures_prune(*, now: datetime | None = None) -> int:
    """Delete the seen signatures too old to be accepted anyway; return how many."""
    deleted, _ = SeenSignature.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
