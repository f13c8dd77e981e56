"""The webhook endpoints API and redelivery, through HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from payments.models import Event
from tests.conftest import event_deliveries
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import MAX_ENDPOINTS
from webhooks.tasks import webhook_deliver_task

BASE = "/api/v1/webhook-endpoints"


@pytest.fixture
def created(api, receiver):
    response = api.post(
        BASE,
        {"url": receiver.url, "enabled_events": ["order.paid"], "description": "shop"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_creating_an_endpoint_returns_its_secret_once(api, created, receiver):
    assert created["secret"].startswith("whsec_")
    assert created["url"] == receiver.url
    assert created["enabled_events"] == ["order.paid"]
    assert created["enabled"] is True

    fetched = api.get(f"{BASE}/{created['id']}").json()
    listed = api.get(BASE).json()

    assert "secret" not in fetched
    assert [e["id"] for e in listed["data"]] == [created["id"]]
    assert "secret" not in listed["data"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://example.com/h", "enabled_events": ["order.nope"]}, "enabled_events"),
        ({"url": "https://example.com/h", "enabled_events": []}, "enabled_events"),
        ({"enabled_events": ["*"]}, "url"),
        ({"url": "ftp://example.com/h", "enabled_events": ["*"]}, "url"),
    ],
)
def test_invalid_endpoint_input_is_answered_field_by_field(api, body, field):
    response = api.post(BASE, body, format="json")

    assert response.status_code == 400
    assert response["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


def test_private_url_is_refused_by_the_api_when_the_setting_is_off(api, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False

    response = api.post(
        BASE, {"url": "https://169.254.169.254/x", "enabled_events": ["*"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_url"
    assert not WebhookEndpoint.objects.exists()


def test_endpoint_can_be_updated_and_deleted(api, created):
    url = f"{BASE}/{created['id']}"

    patched = api.patch(
        url, {"enabled_events": ["*"], "enabled": False, "description": "x"}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["enabled_events"] == ["*"]
    assert patched.json()["enabled"] is False
    assert patched.json()["disabled_reason"] == "Disabled by the merchant."

    reenabled = api.patch(url, {"enabled": True}, format="json").json()
    assert (reenabled["enabled"], reenabled["disabled_reason"]) == (True, None)

    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_another_merchants_key_gets_404_for_the_endpoint(other_api, created):
    url = f"{BASE}/{created['id']}"

    assert other_api.get(url).status_code == 404
    assert other_api.patch(url, {"enabled": False}, format="json").status_code == 404
    assert other_api.delete(url).status_code == 404
    assert other_api.post(f"{url}/rotate-secret").status_code == 404
    assert other_api.get(BASE).json()["data"] == []
    assert WebhookEndpoint.objects.get(public_id=created["id"]).enabled is True


def test_rotating_the_secret_signs_with_both(api, created, receiver, order, pay):
    api.patch(f"{BASE}/{created['id']}", {"enabled_events": ["order.paid"]}, format="json")

    rotated = api.post(f"{BASE}/{created['id']}/rotate-secret")
    pay(order)

    assert rotated.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    assert rotated.json()["secret_rotation_ends_at"] is not None
    (request,) = receiver.requests
    Webhook(created["secret"]).verify(request.body, request.headers)
    Webhook(rotated.json()["secret"]).verify(request.body, request.headers)


def test_event_redeliver_sends_the_event_again_with_the_same_id(
    api, created, receiver, order, pay, django_capture_on_commit_callbacks
):
    pay(order)
    event = Event.objects.get(object_id=order.public_id, type="order.paid")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/events/{event.public_id}/redeliver", {}, format="json")

    assert response.status_code == 202
    (delivery,) = response.json()["data"]
    assert delivery["endpoint"] == created["id"]
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.public_id] * 2
    assert WebhookDelivery.objects.get(public_id=delivery["id"]).attempts.count() == 2


def test_event_redeliver_of_another_merchants_event_is_404(other_api, order):
    event = Event.objects.get(object_id=order.public_id, type="order.created")

    response = other_api.post(f"/api/v1/events/{event.public_id}/redeliver", {}, format="json")

    assert response.status_code == 404


def test_redeliver_failed_since_restarts_only_failed_deliveries_since_then(
    api, created, receiver, make_order, django_capture_on_commit_callbacks
):
    url = f"{BASE}/{created['id']}"
    api.patch(url, {"enabled_events": ["*"]}, format="json")
    deliveries = []
    for o in (make_order(), make_order()):
        event = Event.objects.get(object_id=o.public_id, type="order.created")
        deliveries += event_deliveries(event.pk)
    # Both are attempted together (one batch of the endpoint): 410 Gone disables the endpoint
    # and both deliveries fail.
    receiver.always(410)
    for delivery in deliveries:
        webhook_deliver_task(delivery.pk)
    old, recent = deliveries
    Event.objects.filter(pk=old.event_id).update(created=timezone.now() - timedelta(days=3))
    api.patch(url, {"enabled": True}, format="json")
    receiver.always(200)

    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(
            f"{url}/redeliver-failed",
            {"since": (timezone.now() - timedelta(days=1)).isoformat()},
            format="json",
        )
    with django_capture_on_commit_callbacks(execute=True):
        second = api.post(
            f"{url}/redeliver-failed",
            {"since": (timezone.now() - timedelta(days=4)).isoformat()},
            format="json",
        )

    assert first.status_code == second.status_code == 202
    assert [d["id"] for d in first.json()["data"]] == [recent.public_id]
    assert [d["id"] for d in second.json()["data"]] == [old.public_id]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert len(receiver.requests) == 4  # two 410s, then one redelivery each


def test_redeliver_failed_needs_a_since_time(api, created):
    response = api.post(f"{BASE}/{created['id']}/redeliver-failed", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "since"


def test_endpoint_deliveries_are_listed_with_their_outcome(api, created, receiver, order, pay):
    pay(order)

    response = api.get(f"{BASE}/{created['id']}/deliveries")

    (delivery,) = response.json()["data"]
    assert delivery["event_type"] == "order.paid"
    assert delivery["status"] == "succeeded"
    assert delivery["last_status_code"] == 200


def test_schema_documents_deduplication_by_webhook_id(api):
    response = api.get("/api/v1/schema", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert "deduplicate by `webhook-id`" in response.content.decode()


def test_schema_documents_how_to_verify_a_delivery_against_replay_and_rotation(api):
    response = api.get("/api/v1/schema", HTTP_ACCEPT="application/json")

    text = response.content.decode()
    assert "more than 5 minutes from your clock" in text
    assert "constant time" in text
    assert "until `secret_rotation_ends_at`" in text
    assert "within 10 s (the whole request)" in text


def test_a_merchant_cannot_register_endpoints_beyond_the_limit(api, receiver):
    for n in range(MAX_ENDPOINTS):
        body = {"url": f"{receiver.url}/{n}", "enabled_events": ["*"]}
        assert api.post(BASE, body, format="json").status_code == 201

    response = api.post(BASE, {"url": receiver.url, "enabled_events": ["*"]}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "endpoint_limit_reached"
    assert WebhookEndpoint.objects.count() == MAX_ENDPOINTS
