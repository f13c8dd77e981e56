"""The webhooks back office: register endpoints, see deliveries and attempts, redeliver."""

from __future__ import annotations

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from payments.models import Event
from tests.conftest import event_deliveries
from tests.webhooks.conftest import current_code
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    MAX_ENDPOINTS,
    webhook_endpoint_disable,
    webhook_endpoint_update,
)
from webhooks.tasks import webhook_deliver_task


@pytest.fixture
def staff_client(client, merchant):
    """A manager of ``merchant`` signed in with password and TOTP."""
    from payments.services import staff_membership_grant
    from tests.factories import UserFactory

    user = UserFactory()
    user.save()
    staff_membership_grant(user=user, merchant=merchant, role="manager")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _add(staff_client, merchant, url, events=("order.paid",)):
    return staff_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {
            "merchant": merchant.pk,
            "url": url,
            "description": "shop",
            "enabled_events": list(events),
            "enabled": "on",
            "otp_token": current_code(staff_client),
        },
    )


def test_manager_registers_an_endpoint_and_sees_its_secret_once(staff_client, merchant, receiver):
    response = _add(staff_client, merchant, receiver.url)

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert b"whsec_" in response.content
    assert (endpoint.merchant, endpoint.url, endpoint.enabled_events) == (
        merchant,
        receiver.url,
        ["order.paid"],
    )
    page = staff_client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert b"whsec_" not in page.content


def test_private_url_is_refused_in_the_admin_when_the_setting_is_off(
    staff_client, merchant, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False

    response = _add(staff_client, merchant, "https://10.0.0.1/hooks")

    assert response.status_code == 200
    assert b"public addresses" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_another_merchants_endpoints_and_deliveries_are_hidden(
    staff_client, other_merchant, receiver, make_order
):
    from webhooks.services import webhook_endpoint_create

    endpoint, _ = webhook_endpoint_create(
        merchant=other_merchant, livemode=False, url=receiver.url, enabled_events=["*"]
    )
    order = make_order(merchant=other_merchant)
    event = Event.objects.get(object_id=order.public_id, type="order.created")
    (delivery,) = event_deliveries(event.pk)

    listing = staff_client.get("/admin/webhooks/webhookendpoint/")
    assert endpoint.url.encode() not in listing.content
    assert staff_client.get(
        f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/"
    ).status_code in (302, 404)
    assert staff_client.get(
        f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/"
    ).status_code in (302, 404)


def test_delivery_page_shows_attempts_and_redelivers(
    staff_client, merchant, receiver, order, django_capture_on_commit_callbacks
):
    from webhooks.services import webhook_endpoint_create

    webhook_endpoint_create(
        merchant=merchant, livemode=False, url=receiver.url, enabled_events=["*"]
    )
    receiver.answer(500, body=b"down for maintenance")
    event = Event.objects.get(object_id=order.public_id, type="order.created")
    (delivery,) = event_deliveries(event.pk)
    webhook_deliver_task(delivery.pk)

    page = staff_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert b"down for maintenance" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert [a.status_code for a in delivery.attempts.all()] == [500, 200]


def test_the_dashboard_tells_the_manager_which_endpoints_the_platform_disabled_and_why(
    staff_client, merchant, other_merchant, make_endpoint, receiver, order
):
    gone, _ = make_endpoint()
    turned_off, _ = make_endpoint(url=receiver.url + "/off")
    webhook_endpoint_update(endpoint=turned_off, enabled=False)  # the merchant's own choice
    theirs, _ = make_endpoint(merchant=other_merchant, url=receiver.url + "/theirs")
    webhook_endpoint_disable(endpoint_pk=theirs.pk, reason="The endpoint answered 410 Gone.")
    receiver.always(410)
    event = Event.objects.get(object_id=order.public_id, type="order.created")
    (delivery,) = event_deliveries(event.pk)
    webhook_deliver_task(delivery.pk)
    gone.refresh_from_db()

    page = staff_client.get("/admin/").content.decode()

    listed = page.split('id="disabled-endpoints"')[1].split("</ul>")[0]
    assert not gone.enabled
    assert f"/admin/webhooks/webhookendpoint/{gone.pk}/change/" in listed
    assert "410 Gone" in listed
    assert f"/admin/webhooks/webhookendpoint/{turned_off.pk}/" not in listed
    assert "/theirs" not in listed


def test_the_admin_refuses_an_endpoint_beyond_the_limit_on_the_form(
    staff_client, merchant, make_endpoint, receiver
):
    for n in range(MAX_ENDPOINTS):
        make_endpoint(url=f"{receiver.url}/{n}")

    response = _add(staff_client, merchant, receiver.url)

    assert response.status_code == 200
    assert b"at most 16 webhook endpoints" in response.content
    assert WebhookEndpoint.objects.count() == MAX_ENDPOINTS


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "/admin/payments/webhookendpoint/?enabled=1",
            "/admin/webhooks/webhookendpoint/?enabled=1",
        ),
        ("/admin/payments/webhookdelivery/7/change/", "/admin/webhooks/webhookdelivery/7/change/"),
    ],
)
def test_old_webhook_page_addresses_redirect_to_the_webhooks_app(client, old, new):
    response = client.get(old)

    assert response.status_code == 302
    assert response["Location"] == new


def test_other_payments_pages_are_not_redirected(client):
    response = client.get("/admin/payments/order/")

    assert response["Location"].startswith("/admin/login/")
