"""Every change to webhook endpoints made in the back office is written to the audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.models import AuditLog
from payments.models import Event
from payments.services import staff_membership_grant
from tests.conftest import event_deliveries
from tests.factories import UserFactory
from tests.webhooks.conftest import current_code
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_create


def _signed_in(client, merchant, role):
    user = UserFactory()
    user.save()
    staff_membership_grant(user=user, merchant=merchant, role=role)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client(client, merchant):
    return _signed_in(client, merchant, "manager")


@pytest.fixture
def endpoint(merchant, receiver):
    endpoint, _ = webhook_endpoint_create(
        merchant=merchant,
        livemode=False,
        url=receiver.url + "hooks?token=abc",
        enabled_events=["*"],
    )
    return endpoint


def _entry(action: str) -> AuditLog:
    (entry,) = AuditLog.objects.filter(action=action)
    return entry


def _assert_recorded(entry: AuditLog, endpoint_id: str, merchant) -> None:
    assert entry.actor == get_user_model().objects.get(username=entry.actor_username)
    assert entry.object_id == endpoint_id
    assert entry.merchant_id == merchant.pk
    assert entry.details["url_host"] == "127.0.0.1"
    assert entry.ip_address == "127.0.0.1"


def test_registering_an_endpoint_is_audited_without_its_secret(staff_client, merchant, receiver):
    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {
            "merchant": merchant.pk,
            "url": receiver.url + "hooks?token=abc",
            "description": "shop",
            "enabled_events": ["order.paid"],
            "enabled": "on",
            "otp_token": current_code(staff_client),
        },
    )

    endpoint = WebhookEndpoint.objects.get()
    entry = _entry("webhook_endpoint.created")
    _assert_recorded(entry, endpoint.public_id, merchant)
    assert entry.details["enabled_events"] == ["order.paid"]
    assert "token" not in str(entry.details)
    secret = response.content.decode().split('id="webhook-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and secret not in str(entry.details)


def test_changing_an_endpoint_is_audited_with_the_fields_changed(staff_client, merchant, endpoint):
    staff_client.post(
        f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/",
        {
            "url": endpoint.url,
            "description": "new description",
            "enabled_events": ["order.paid"],
            "enabled": "on",
            "otp_token": current_code(staff_client),
        },
    )

    entry = _entry("webhook_endpoint.changed")
    _assert_recorded(entry, endpoint.public_id, merchant)
    assert set(entry.details["changed"]) == {"description", "enabled_events"}


def test_deleting_an_endpoint_is_audited(staff_client, merchant, endpoint):
    staff_client.post(
        "/admin/webhooks/webhookendpoint/",
        {"action": "delete_selected", "_selected_action": [endpoint.pk], "post": "yes"},
    )

    assert not WebhookEndpoint.objects.exists()
    _assert_recorded(_entry("webhook_endpoint.deleted"), endpoint.public_id, merchant)


def test_rotating_the_secret_is_audited_without_the_secret(staff_client, merchant, endpoint):
    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/",
        {
            "action": "rotate_secret",
            "_selected_action": [endpoint.pk],
            "otp_token": current_code(staff_client),
        },
    )

    entry = _entry("webhook_endpoint.secret_rotated")
    _assert_recorded(entry, endpoint.public_id, merchant)
    secret = response.content.decode().split('id="webhook-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and secret not in str(entry.details)


def test_redelivering_failed_deliveries_is_audited(
    staff_client,
    merchant,
    endpoint,
    receiver,
    order,
    django_capture_on_commit_callbacks,
):
    receiver.default.status = 500
    event = Event.objects.get(object_id=order.public_id, type="order.created")
    (delivery,) = event_deliveries(event.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/webhooks/webhookendpoint/",
            {"action": "redeliver_failed", "_selected_action": [endpoint.pk]},
        )
        staff_client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )

    endpoint_entry = _entry("webhook_endpoint.redelivered")
    _assert_recorded(endpoint_entry, endpoint.public_id, merchant)
    assert endpoint_entry.details["deliveries"] == 1
    delivery_entry = _entry("webhook_delivery.redelivered")
    _assert_recorded(delivery_entry, endpoint.public_id, merchant)
    assert delivery_entry.details["delivery"] == delivery.public_id


def test_a_viewer_cannot_delete_an_endpoint(client, merchant, endpoint):
    client = _signed_in(client, merchant, "viewer")

    response = client.post(
        f"/admin/webhooks/webhookendpoint/{endpoint.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not AuditLog.objects.filter(action="webhook_endpoint.deleted").exists()


def _failed_delivery(order, days_ago: int) -> WebhookDelivery:
    from datetime import timedelta

    from django.utils import timezone

    event = Event.objects.get(object_id=order.public_id, type="order.created")
    (delivery,) = event_deliveries(event.pk)
    Event.objects.filter(pk=event.pk).update(created=timezone.now() - timedelta(days=days_ago))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
    return delivery


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_redelivering_failed_deliveries_since_a_time_typed_in_uses_that_time(
    staff_client, endpoint, receiver, make_order, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    receiver.default.status = 500
    recent = _failed_delivery(make_order(), days_ago=1)
    older = _failed_delivery(make_order(), days_ago=6)
    since = timezone.localtime(timezone.now() - timedelta(days=8))

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/webhooks/webhookendpoint/",
            {
                "action": "redeliver_failed",
                "_selected_action": [endpoint.pk],
                "since_0": since.strftime("%Y-%m-%d"),
                "since_1": since.strftime("%H:%M"),
            },
            follow=True,
        )

    assert _entry("webhook_endpoint.redelivered").details["deliveries"] == 2
    assert {d.pk for d in WebhookDelivery.objects.exclude(status="failed")} == {
        recent.pk,
        older.pk,
    }
    assert f"2 failed deliveries since {since:%Y-%m-%d %H:%M} sent again." in (
        " ".join(_messages(response))
    )


def test_a_mistyped_redelivery_time_sends_nothing_and_says_so(
    staff_client, endpoint, receiver, order
):
    receiver.default.status = 500
    _failed_delivery(order, days_ago=1)

    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/",
        {
            "action": "redeliver_failed",
            "_selected_action": [endpoint.pk],
            "since_0": "yesterday",
            "since_1": "",
        },
        follow=True,
    )

    assert _messages(response) == [
        "Nothing was sent again: enter the time as a date (YYYY-MM-DD) and a time (HH:MM), "
        "or leave both empty for 3 days ago."
    ]
    assert not AuditLog.objects.filter(action="webhook_endpoint.redelivered").exists()
    assert WebhookDelivery.objects.get().status == "failed"
