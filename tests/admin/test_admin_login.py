"""Signing in to the back office: password plus TOTP, enrolment, idle timeout, throttling."""

from datetime import timedelta
from urllib.parse import urlsplit

import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.enrolment import setup_link_issue
from backoffice.models import AuditLog
from tests.admin.conftest import PASSWORD, totp_now


def _sign_in(client, user, code=""):
    return client.post(
        reverse("admin:login"),
        {"username": user.username, "password": PASSWORD, "otp_token": code, "next": "/admin/"},
    )


def test_password_and_current_code_open_the_admin(client, manager):
    response = _sign_in(client, manager, totp_now(manager))

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


INVALID_SIGN_IN = (
    "That username, password and authenticator code do not match. Enter your password and the "
    "current 6-digit code from your authenticator app."
)


def _wrong_code(user) -> str:
    return "123456" if totp_now(user) != "123456" else "654321"


def test_password_without_code_is_refused(client, manager):
    response = _sign_in(client, manager, "")

    assert response.status_code == 200
    assert INVALID_SIGN_IN in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_password_with_wrong_code_is_refused(client, manager):
    response = _sign_in(client, manager, _wrong_code(manager))

    assert INVALID_SIGN_IN in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_right_password_without_code_reads_and_counts_as_a_wrong_password(
    client, manager, settings
):
    """No oracle: whoever guesses passwords cannot tell when one was right."""
    from axes.models import AccessAttempt

    settings.AXES_ENABLED = True
    wrong_password = client.post(
        reverse("admin:login"),
        {"username": manager.username, "password": "wrong", "otp_token": ""},
    )
    right_password = _sign_in(client, manager, "")

    def form_errors(response):
        return response.context["form"].non_field_errors()

    assert form_errors(right_password) == form_errors(wrong_password) == [INVALID_SIGN_IN]
    assert AccessAttempt.objects.get(username=manager.username).failures_since_start == 2


def _setup_path(url: str) -> str:
    return urlsplit(url).path


def _code_for(device) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def test_user_without_device_enrols_from_a_set_up_link_and_is_then_verified(
    client, make_staff, merchant
):
    user = make_staff(merchant, "viewer", device=False)
    url = setup_link_issue(user=user)

    opened = client.get(_setup_path(url))
    signed_in = _sign_in(client, user)
    admin_before = client.get(reverse("admin:index"))
    page = client.get(reverse("admin:otp_enrol"))
    device = TOTPDevice.objects.get(user=user)
    code = _code_for(device)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        wrong = client.post(
            reverse("admin:otp_enrol"), {"otp_token": f"{(int(code) + 1) % 10**6:06d}"}
        )
        clock.shift(timedelta(seconds=2))  # django-otp's back-off after a wrong code
        confirmed = client.post(reverse("admin:otp_enrol"), {"otp_token": code})

    assert url.startswith("http://") and "/admin/otp/setup/" in url
    assert opened.status_code == 302
    assert opened["Location"].startswith(reverse("admin:login"))
    assert signed_in["Location"] == reverse("admin:otp_enrol")
    assert admin_before.status_code == 302
    assert 'src="data:image/png;base64,' in page.content.decode()
    assert "That code is not valid" in wrong.content.decode()
    assert confirmed.status_code == 302
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditLog.objects.filter(actor=user, action="otp_device.enrolled").exists()


def test_the_password_alone_cannot_set_up_the_second_factor(client, make_staff, merchant):
    """Whoever learns the password of a user not yet enrolled must not be able to enrol their
    own authenticator first: the enrolment page shows no secret without the set-up link."""
    user = make_staff(merchant, "viewer", device=False)

    signed_in = _sign_in(client, user)
    page = client.get(reverse("admin:otp_enrol"))
    posted = client.post(reverse("admin:otp_enrol"), {"otp_token": "123456"})

    assert signed_in["Location"] == reverse("admin:otp_enrol")
    assert page.status_code == 403
    assert "Ask platform staff for a set-up link" in page.content.decode()
    assert "data:image/png" not in page.content.decode()
    assert posted.status_code == 403
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_set_up_link_works_once_and_a_newer_one_replaces_it(client, make_staff, merchant):
    from django.test import Client

    user = make_staff(merchant, "viewer", device=False)
    replaced = setup_link_issue(user=user)
    url = setup_link_issue(user=user)
    client.get(_setup_path(url))
    _sign_in(client, user)
    client.get(reverse("admin:otp_enrol"))
    device = TOTPDevice.objects.get(user=user)
    client.post(reverse("admin:otp_enrol"), {"otp_token": _code_for(device)})

    again = Client().get(_setup_path(url))
    older = Client().get(_setup_path(replaced))

    assert TOTPDevice.objects.get(user=user).confirmed
    assert again.status_code == 404
    assert "not valid" in again.content.decode()
    assert older.status_code == 404


def test_a_set_up_link_expires_after_its_time_to_live(client, make_staff, merchant, settings):
    user = make_staff(merchant, "viewer", device=False)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        url = setup_link_issue(user=user)
        clock.shift(timedelta(hours=settings.STAFF_SETUP_LINK_TTL_HOURS, seconds=1))
        expired = client.get(_setup_path(url))

    assert expired.status_code == 404
    assert "expired" in expired.content.decode()


def test_a_link_opened_before_it_expired_no_longer_enrols_after(
    client, make_staff, merchant, settings
):
    settings.SESSION_COOKIE_AGE = 100 * 3600  # a session that outlives the link
    user = make_staff(merchant, "viewer", device=False)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(_setup_path(setup_link_issue(user=user)))
        _sign_in(client, user)
        assert client.get(reverse("admin:otp_enrol")).status_code == 200
        clock.shift(timedelta(hours=73))
        late = client.get(reverse("admin:otp_enrol"))

    assert late.status_code == 403


def test_a_set_up_link_does_not_enrol_another_signed_in_user(client, make_staff, merchant):
    owner = make_staff(merchant, "viewer", device=False)
    other = make_staff(merchant, "viewer", device=False)
    url = setup_link_issue(user=owner)

    _sign_in(client, other)
    opened = client.get(_setup_path(url))
    page = client.get(reverse("admin:otp_enrol"))

    assert opened.status_code == 403
    assert "belongs to another user" in opened.content.decode()
    assert page.status_code == 403
    assert not TOTPDevice.objects.filter(user__in=[owner, other]).exists()


def test_only_a_hash_of_the_set_up_token_is_stored(make_staff, merchant):
    from backoffice.models import StaffSetupLink

    user = make_staff(merchant, "viewer", device=False)
    token = _setup_path(setup_link_issue(user=user)).rstrip("/").rsplit("/", 1)[1]

    stored = StaffSetupLink.objects.get(user=user)
    assert token not in stored.token_hash
    assert len(token) >= 40


def test_a_secret_shown_to_another_session_is_not_the_one_the_user_confirms(
    client, make_staff, merchant
):
    """The user opened the set-up link twice, in two browsers, and saw a secret in each: only
    the secret of the session that confirms becomes the authenticator's, so the other one (on
    a computer left unattended, say) is worth nothing."""
    import base64

    from django.test import Client

    user = make_staff(merchant, "viewer", device=False)
    url = setup_link_issue(user=user)
    elsewhere = Client()
    elsewhere.get(_setup_path(url))
    _sign_in(elsewhere, user)
    kept = elsewhere.get(reverse("admin:otp_enrol")).context["secret"]

    client.get(_setup_path(url))
    _sign_in(client, user)
    shown = client.get(reverse("admin:otp_enrol")).context["secret"]
    key = base64.b32decode(shown + "=" * (-len(shown) % 8))
    code = TOTP(key, 30, 0, 6).token()
    confirmed = client.post(reverse("admin:otp_enrol"), {"otp_token": f"{code:06d}"})

    assert confirmed.status_code == 302
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert shown != kept
    assert base64.b32encode(device.bin_key).decode().rstrip("=") == shown


def test_user_with_a_device_cannot_enrol_another_to_skip_the_code(client, manager):
    client.force_login(manager)  # password only, not verified

    response = client.get(reverse("admin:otp_enrol"))

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=manager).count() == 1


def test_idle_session_ends_after_fifteen_minutes(login, manager):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login(manager)
        assert client.get(reverse("admin:index")).status_code == 200
        clock.shift(timedelta(minutes=10))
        assert client.get(reverse("admin:index")).status_code == 200  # activity renews it
        clock.shift(timedelta(minutes=10))
        # 20 minutes after signing in, 10 after the last request: still signed in.
        assert client.get(reverse("admin:index")).status_code == 200
        clock.shift(timedelta(minutes=16))
        response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_repeated_failed_sign_ins_lock_the_user_out(client, manager, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("admin:login"),
            {"username": manager.username, "password": "wrong", "otp_token": ""},
        )

    response = _sign_in(client, manager, totp_now(manager))

    assert response.status_code in (403, 429)
    assert client.get(reverse("admin:index")).status_code == 302


def test_wrong_codes_count_towards_the_lockout(client, manager, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, manager, "000000" if totp_now(manager) != "000000" else "111111")

    response = _sign_in(client, manager, totp_now(manager))

    assert response.status_code in (403, 429)


def _every_admin_url(object_id) -> list[str]:
    """Every URL of the admin site (model pages, custom views, autocomplete), ids filled in."""
    import re

    from django.contrib import admin
    from django.urls import URLResolver

    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            else:
                found.append(route)

    walk(admin.site.urls[0], "/admin/")
    urls = []
    for route in found:
        url = re.sub(r"<(?:\w+:)?object_id>", str(object_id), route)
        if "<" not in url and "(?P" not in url and "^" not in url:
            urls.append(url)
    return urls


def test_no_admin_page_opens_to_a_password_only_session(client, make_staff, merchant, make_order):
    """Every page, custom view and endpoint of the admin (exports, reports, refund, capture,
    autocomplete...) needs a session verified by TOTP: signed in with the password alone, a
    user with a device is sent to sign in, and one without a device only reaches enrolment."""
    from payments.services import payment_create
    from tests.conftest import card

    order = make_order()
    payment_create(order=order, method=card())
    with_device = make_staff(merchant, "manager")
    without_device = make_staff(merchant, "manager", device=False)
    public = {reverse("admin:login"), reverse("admin:logout"), reverse("admin:otp_enrol")}
    # Asked by the sign-in page before anyone is signed in: a challenge, naming no passkey.
    public.add(reverse("admin:passkey_authenticate_options"))
    urls = [u for u in _every_admin_url(order.pk) if u not in public]
    assert reverse("admin:payments_order_export") in urls and len(urls) > 80

    opened = []
    for user in (with_device, without_device):
        for url in urls:
            for method in (client.get, client.post):
                client.force_login(user)  # password only: no device in the session
                response = method(url)
                location = response.get("Location", "")
                if not (
                    response.status_code in (403, 405)
                    or (response.status_code == 302 and reverse("admin:login") in location)
                ):
                    opened.append((user.username, method.__name__, url, response.status_code))

    assert opened == []


def _sign_in_from(client, user, address, code, password=PASSWORD):
    return client.post(
        reverse("admin:login"),
        {"username": user.username, "password": password, "otp_token": code, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.2",  # every request arrives from the TLS proxy
        HTTP_X_FORWARDED_FOR=address,
    )


def test_behind_a_proxy_a_guesser_locks_out_only_their_own_address(client, manager, settings):
    from django.test import Client

    settings.AXES_ENABLED = True
    settings.BACKOFFICE_TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        # The guesser also writes a forwarded address of their own: only the proxy's counts.
        _sign_in_from(client, manager, "198.51.100.1, 203.0.113.66", "", password="wrong")

    guesser = _sign_in_from(Client(), manager, "203.0.113.66", totp_now(manager))
    owner = _sign_in_from(Client(), manager, "198.51.100.1", totp_now(manager))

    assert guesser.status_code in (403, 429)
    assert owner.status_code == 302


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(client, manager, settings):
    settings.AXES_ENABLED = True
    settings.BACKOFFICE_TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_from(client, manager, f"203.0.113.{n}", "", password="wrong")

    response = _sign_in_from(client, manager, "198.51.100.1", totp_now(manager))

    assert response.status_code in (403, 429)


def test_the_audit_log_records_the_address_the_proxy_saw(login, manager, settings):
    from django.test import RequestFactory

    from backoffice.audit import audit_record

    settings.BACKOFFICE_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9"
    )
    request.user = manager

    entry = audit_record(request=request, action="test.proxy")

    assert entry.ip_address == "203.0.113.9"
