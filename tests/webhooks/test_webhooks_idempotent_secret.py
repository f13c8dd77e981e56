"""A replayed endpoint creation returns the same secret, which is never stored in plain text."""

import pytest

from payments.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


def test_replayed_creation_returns_the_secret_kept_encrypted_at_rest(api, receiver):
    body = {"url": receiver.url, "enabled_events": ["order.paid"]}
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-endpoint-1"}

    first = api.post("/api/v1/webhook-endpoints", body, format="json", **headers)
    replay = api.post("/api/v1/webhook-endpoints", body, format="json", **headers)

    secret = first.json()["secret"]
    assert secret.startswith("whsec_")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    stored = IdempotencyRecord.objects.get(key="create-endpoint-1").response_body
    assert secret not in str(stored)
    assert secret[6:20] not in str(stored)
