"""Issuing the link a staff user sets up their first authenticator with, and keeping device
secrets out of the admin once set up."""

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.models import AuditLog, StaffSetupLink
from tests.admin.conftest import PASSWORD, totp_now


def _user_action(client, actor, action, *users):
    """Run an action of the admin's users page on ``users``, with the actor's fresh code."""
    return client.post(
        reverse("admin:auth_user_changelist"),
        {"action": action, "_selected_action": [u.pk for u in users], "otp_token": totp_now(actor)},
        follow=True,
    )


def _issue_from_admin(client, actor, *users):
    return _user_action(client, actor, "issue_setup_link", *users)


def test_a_superuser_issues_a_set_up_link_from_the_users_page_and_it_works(
    login, platform_user, make_staff, merchant
):
    newcomer = make_staff(merchant, "viewer", device=False)
    client = login(platform_user)

    response = _issue_from_admin(client, platform_user, newcomer)
    url = re.search(r"http://[^\s<]+/admin/otp/setup/[^\s<]+/", response.content.decode()).group(0)

    other = Client()
    opened = other.get(urlsplit(url).path)
    other.post(
        reverse("admin:login"),
        {"username": newcomer.username, "password": PASSWORD, "next": "/admin/"},
    )
    page = other.get(reverse("admin:otp_enrol"))

    assert response.status_code == 200
    assert opened.status_code == 302
    assert page.status_code == 200 and "data:image/png" in page.content.decode()
    entry = AuditLog.objects.get(action="staff_setup_link.issued")
    assert entry.actor == platform_user and entry.object_id == str(newcomer.pk)
    assert url.rsplit("/", 2)[1] not in str(entry.details)


def test_a_set_up_link_is_refused_for_a_user_who_is_not_staff(login, platform_user):
    from tests.factories import UserFactory

    shopper = UserFactory(is_staff=False)
    client = login(platform_user)

    response = _issue_from_admin(client, platform_user, shopper)

    assert "is not an active staff user" in response.content.decode()
    assert not StaffSetupLink.objects.filter(user=shopper).exists()


def test_merchant_staff_cannot_issue_set_up_links(login, manager, make_staff, merchant):
    newcomer = make_staff(merchant, "viewer", device=False)
    client = login(manager)

    page = client.get(reverse("admin:auth_user_changelist"))
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "issue_setup_link", "_selected_action": [newcomer.pk]},
    )

    assert page.status_code == 403
    assert response.status_code == 403
    assert not StaffSetupLink.objects.filter(user=newcomer).exists()


def test_the_command_prints_a_working_set_up_link(client, make_staff, merchant):
    user = make_staff(merchant, "viewer", device=False)
    out = StringIO()

    call_command("staff_setup_link", user.username, stdout=out)
    opened = client.get(urlsplit(out.getvalue().strip()).path)

    assert opened.status_code == 302
    assert AuditLog.objects.filter(action="staff_setup_link.issued").count() == 1


def test_the_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("staff_setup_link", "nobody")


def test_the_admin_never_shows_a_confirmed_devices_secret_even_to_a_superuser(
    login, platform_user, manager
):
    import base64

    device = TOTPDevice.objects.get(user=manager)
    secret_hex = device.key
    secret_b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    client = login(platform_user)

    change = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    config = client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk]))
    qrcode = client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk]))

    assert change.status_code == 200 and listing.status_code == 200
    for page in (change, listing):
        assert secret_hex not in page.content.decode()
        assert secret_b32 not in page.content.decode()
    assert config.status_code == 403
    assert qrcode.status_code == 403


def _remove_from_admin(client, actor, *users):
    return _user_action(client, actor, "remove_authenticators", *users)


def test_a_lost_device_is_cut_off_its_codes_passkeys_and_verified_session_stop_working(
    login, platform_user, make_staff, merchant
):
    from backoffice.models import WebAuthnDevice

    lost = make_staff(merchant, "manager")
    WebAuthnDevice.objects.create(
        user=lost, name="stolen laptop", confirmed=True, credential_id="Y3JlZA", public_key=b"x"
    )
    their_session = login(lost, Client())
    assert their_session.get(reverse("admin:index")).status_code == 200

    response = _remove_from_admin(login(platform_user), platform_user, lost)

    assert "Removed 2 authenticator(s)" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=lost).exists()
    assert not WebAuthnDevice.objects.filter(user=lost).exists()
    assert their_session.get(reverse("admin:index")).status_code == 302  # no longer verified
    entry = AuditLog.objects.get(action="staff_authenticators.removed")
    assert entry.actor == platform_user and entry.object_id == str(lost.pk)
    assert sorted(entry.details["devices"]) == [
        "TOTP device: phone",
        "passkey: stolen laptop",
    ]
    assert TOTPDevice.objects.filter(user=platform_user).exists()  # nobody else's


def test_removing_authenticators_asks_for_a_fresh_code_and_spares_your_own(
    login, platform_user, make_staff, merchant
):
    other = make_staff(merchant, "viewer")
    client = login(platform_user)

    unconfirmed = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "remove_authenticators", "_selected_action": [other.pk]},
    )
    own = _remove_from_admin(client, platform_user, platform_user)

    assert b"step-up-form" in unconfirmed.content
    assert TOTPDevice.objects.filter(user=other).exists()
    assert "Your own authenticators are removed one by one" in own.content.decode()
    assert TOTPDevice.objects.filter(user=platform_user).exists()


def test_merchant_staff_cannot_remove_anyones_authenticators(login, manager, make_staff, merchant):
    colleague = make_staff(merchant, "viewer")
    client = login(manager)

    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "remove_authenticators", "_selected_action": [colleague.pk]},
    )

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=colleague).exists()
