"""Signing secrets and the Standard Webhooks headers of each attempt."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from payments.vault import secret_decrypt

from .models import WebhookEndpoint


def secret_generate() -> str:
    """Return a new signing secret: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def endpoint_secrets(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> list[str]:
    """Return the secrets that sign now: the current one, and the previous during rotation."""
    now = now or timezone.now()
    found = [secret_decrypt(endpoint.secret_encrypted, context=endpoint.public_id)]
    if (
        endpoint.previous_secret_encrypted
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        found.append(secret_decrypt(endpoint.previous_secret_encrypted, context=endpoint.public_id))
    return found


def headers_sign(*, secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> dict:
    """Return the Standard Webhooks headers of one attempt: one ``v1,<base64>`` signature per
    secret, space-separated (several during a secret rotation)."""
    signed_at = datetime.fromtimestamp(timestamp, tz=UTC)
    data = body.decode()
    signatures = " ".join(
        Webhook(secret).sign(msg_id=msg_id, timestamp=signed_at, data=data) for secret in secrets_
    )
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }
