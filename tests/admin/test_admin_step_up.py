"""Step-up (issue 17, point 1): every admin action that moves money or data out asks for a fresh
authenticator code of the signed-in staff user, as the refund does.

Each action is tried three times through the admin pages: without a code nothing happens (the
page asks for one), with a wrong code nothing happens (an error beside the field, audited), with
the current code it is done.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from backoffice.models import AuditLog
from tests.admin.conftest import totp_now

pytestmark = pytest.mark.django_db

HOOK_URL = "https://hooks.example.com/orders"


def _with_code(data: dict, code: str | None) -> dict:
    return data if code is None else {**data, "otp_token": code}


def _api_key_add(client, world, code):
    return client.post(
        reverse("admin:payments_apikey_add"),
        _with_code({"merchant": world["merchant"].pk, "name": "shop"}, code),
    )


def _api_key_added(world):
    return world["merchant"].api_keys.exists()


def _endpoint_data(world, **changes):
    data = {
        "merchant": world["merchant"].pk,
        "url": HOOK_URL,
        "description": "shop",
        "enabled_events": ["order.paid"],
        "enabled": "on",
    }
    return {**data, **changes}


def _endpoint_add(client, world, code):
    return client.post(
        reverse("admin:webhooks_webhookendpoint_add"), _with_code(_endpoint_data(world), code)
    )


def _endpoint_added(world):
    from webhooks.models import WebhookEndpoint

    return WebhookEndpoint.objects.exists()


def _make_endpoint(world):
    from webhooks.services import webhook_endpoint_create

    endpoint, _ = webhook_endpoint_create(
        merchant=world["merchant"], livemode=False, url=HOOK_URL, enabled_events=["order.paid"]
    )
    return endpoint


def _endpoint_change(client, world, code):
    endpoint = world.setdefault("endpoint", _make_endpoint(world))
    data = _endpoint_data(world, url="https://elsewhere.example.net/steal")
    return client.post(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]),
        _with_code(data, code),
    )


def _endpoint_changed(world):
    world["endpoint"].refresh_from_db()
    return world["endpoint"].url != HOOK_URL


def _rotate(client, world, code):
    endpoint = world.setdefault("endpoint", _make_endpoint(world))
    world.setdefault("secret", endpoint.secret_encrypted)
    return client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        _with_code({"action": "rotate_secret", "_selected_action": [endpoint.pk]}, code),
    )


def _rotated(world):
    world["endpoint"].refresh_from_db()
    return world["endpoint"].secret_encrypted != world["secret"]


def _membership_add(client, world, code):
    return client.post(
        reverse("admin:payments_merchantmembership_add"),
        _with_code(
            {"user": world["newcomer"].pk, "merchant": world["merchant"].pk, "role": "manager"},
            code,
        ),
    )


def _membership_added(world):
    return world["newcomer"].memberships.exists()


def _membership_change(client, world, code):
    membership = world["manager"].memberships.get()
    return client.post(
        reverse("admin:payments_merchantmembership_change", args=[membership.pk]),
        _with_code(
            {"user": world["manager"].pk, "merchant": world["merchant"].pk, "role": "viewer"},
            code,
        ),
    )


def _membership_changed(world):
    return world["manager"].memberships.get().role == "viewer"


def _membership_delete(client, world, code):
    membership = world["manager"].memberships.get()
    return client.post(
        reverse("admin:payments_merchantmembership_delete", args=[membership.pk]),
        _with_code({"post": "yes"}, code),
    )


def _membership_delete_selected(client, world, code):
    membership = world["manager"].memberships.get()
    return client.post(
        reverse("admin:payments_merchantmembership_changelist"),
        _with_code(
            {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"},
            code,
        ),
    )


def _membership_deleted(world):
    return not world["manager"].memberships.exists()


def _export(client, world, code):
    url = reverse("admin:payments_order_export") + "?status__exact=pending"
    if code is None:
        return client.get(url)
    return client.post(url, {"otp_token": code})


def _export_selected(client, world, code):
    return client.post(
        reverse("admin:payments_order_changelist"),
        _with_code(
            {"action": "export_selected_csv", "_selected_action": [world["order"].pk]}, code
        ),
    )


def _exported(world):
    return AuditLog.objects.filter(action="orders.exported").exists()


def _setup_link(client, world, code):
    return client.post(
        reverse("admin:auth_user_changelist"),
        _with_code(
            {"action": "issue_setup_link", "_selected_action": [world["newcomer"].pk]}, code
        ),
    )


def _setup_link_issued(world):
    from backoffice.models import StaffSetupLink

    return StaffSetupLink.objects.filter(user=world["newcomer"]).exists()


def _staff_user_change(client, world, code):
    from django.contrib.auth.models import Group

    newcomer = world["newcomer"]
    platform, _ = Group.objects.get_or_create(name="Platform staff")
    data = {
        "username": newcomer.username,
        "is_active": "on",
        "is_staff": "on",
        "groups": [platform.pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    return client.post(
        reverse("admin:auth_user_change", args=[newcomer.pk]), _with_code(data, code)
    )


def _staff_user_changed(world):
    return world["newcomer"].groups.filter(name="Platform staff").exists()


def _staff_password(client, world, code):
    data = {"password1": "another-horse-battery-9", "password2": "another-horse-battery-9"}
    return client.post(
        reverse("admin:auth_user_password_change", args=[world["newcomer"].pk]),
        _with_code(data, code),
    )


def _staff_password_changed(world):
    world["newcomer"].refresh_from_db()
    return world["newcomer"].check_password("another-horse-battery-9")


def _device_delete(client, world, code):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=world["newcomer"])
    return client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]),
        _with_code({"post": "yes"}, code),
    )


def _device_deleted(world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return not TOTPDevice.objects.filter(user=world["newcomer"]).exists()


# (action, who does it, what it does through the admin, whether it was done)
ACTIONS = {
    "api_key_create": ("manager", _api_key_add, _api_key_added),
    "webhook_endpoint_add": ("manager", _endpoint_add, _endpoint_added),
    "webhook_endpoint_change": ("manager", _endpoint_change, _endpoint_changed),
    "webhook_secret_rotate": ("manager", _rotate, _rotated),
    "membership_add": ("platform", _membership_add, _membership_added),
    "membership_change": ("platform", _membership_change, _membership_changed),
    "membership_delete": ("platform", _membership_delete, _membership_deleted),
    "membership_delete_selected": ("platform", _membership_delete_selected, _membership_deleted),
    "staff_setup_link": ("platform", _setup_link, _setup_link_issued),
    "staff_user_change": ("platform", _staff_user_change, _staff_user_changed),
    "staff_password_change": ("platform", _staff_password, _staff_password_changed),
    "staff_authenticator_delete": ("platform", _device_delete, _device_deleted),
    "orders_export": ("manager", _export, _exported),
    "orders_export_selected": ("manager", _export_selected, _exported),
}


def _staff(make_staff):
    user = make_staff(device=True)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def world(login, manager, platform_user, merchant, make_staff, order):
    return {
        "merchant": merchant,
        "manager": manager,
        "platform": platform_user,
        "newcomer": _staff(make_staff),
        "order": order,
        "login": login,
    }


def _actor(world, who):
    user = world[who]
    return user, world["login"](user)


@pytest.mark.parametrize("name", ACTIONS)
def test_without_a_code_nothing_is_done_and_a_code_is_asked(world, name):
    who, act, done = ACTIONS[name]
    _user, client = _actor(world, who)

    response = act(client, world, None)

    assert not done(world)
    assert response.status_code == 200
    assert 'name="otp_token"' in response.content.decode()


@pytest.mark.parametrize("name", ACTIONS)
def test_a_wrong_code_does_nothing_and_says_so_beside_the_field(world, name):
    who, act, done = ACTIONS[name]
    user, client = _actor(world, who)
    wrong = f"{(int(totp_now(user)) + 1) % 1_000_000:06d}"

    response = act(client, world, wrong)

    assert not done(world)
    page = response.content.decode()
    assert response.status_code == 200
    assert "That authenticator code is not valid" in page
    assert 'class="errorlist' in page
    refused = AuditLog.objects.get(action="step_up.refused")
    assert refused.actor == user and refused.details["action"]
    assert wrong not in str(refused.details)


@pytest.mark.parametrize("name", ACTIONS)
def test_the_current_code_does_it(world, name):
    who, act, done = ACTIONS[name]
    user, client = _actor(world, who)

    response = act(client, world, totp_now(user))

    assert response.status_code in (200, 302)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    assert done(world)
    assert not AuditLog.objects.filter(action="step_up.refused").exists()


def test_the_confirmation_page_sends_the_action_again_with_its_selection(world):
    _user, client = _actor(world, "manager")

    page = _export_selected(client, world, None).content.decode()

    assert 'name="action" value="export_selected_csv"' in page
    assert f'name="_selected_action" value="{world["order"].pk}"' in page
