"""Refunds from the back office: managers and platform staff, with a fresh authenticator code."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from backoffice.display import money_text
from backoffice.models import AuditLog
from payments.models import Payment, Refund
from tests.admin.conftest import PASSWORD, totp_now
from tests.conftest import card


def _refund(client, payment, confirm="on", **data):
    """Send the refund form as staff who ticked "I confirm" (``confirm=None``: did not)."""
    if confirm is not None:
        data["confirm"] = confirm
    return client.post(
        reverse("admin:payments_payment_refund", args=[payment.pk]), data, follow=True
    )


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_manager_refunds_part_with_fresh_code_and_it_is_audited(
    login, manager, captured_payment, django_capture_on_commit_callbacks, assert_invariants
):
    client = login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = _refund(
            client, captured_payment, amount="4.00", reason="Damaged", otp_token=totp_now(manager)
        )

    refund = Refund.objects.get(payment=captured_payment)
    assert (refund.amount, refund.reason, refund.created_by) == (400, "Damaged", manager)
    assert refund.status == Refund.Status.SUCCEEDED
    assert any("$4.00" in m for m in _messages(response))
    entry = AuditLog.objects.get(action="refund.created")
    assert entry.actor == manager
    assert entry.object_id == refund.public_id
    assert entry.merchant_id == captured_payment.merchant_id
    assert entry.details == {
        "payment": captured_payment.public_id,
        "amount": 400,
        "currency": "USD",
        "reason": "Damaged",
    }
    assert entry.ip_address == "127.0.0.1"
    assert_invariants()


def test_platform_staff_refund_the_whole_refundable_amount(
    login, platform_user, captured_payment, django_capture_on_commit_callbacks
):
    client = login(platform_user)

    with django_capture_on_commit_callbacks(execute=True):
        _refund(
            client,
            captured_payment,
            amount="",
            reason="Goodwill",
            otp_token=totp_now(platform_user),
        )

    captured_payment.refresh_from_db()
    assert captured_payment.status == Payment.Status.REFUNDED
    assert captured_payment.amount_refunded == 1000


@pytest.mark.parametrize("code", ["", "000000", "OTHER", "SIGN_IN", "STALE"])
def test_refund_without_a_valid_fresh_code_is_refused(
    login, manager, make_staff, merchant, captured_payment, code
):
    client = login(manager)
    if code == "OTHER":  # another staff member's current code is not this user's
        code = totp_now(make_staff(merchant, "manager"))
    if code == "SIGN_IN":  # the code that opened the session was spent there
        client.logout()
        code = totp_now(manager)
        signed_in = client.post(
            reverse("admin:login"),
            {"username": manager.username, "password": PASSWORD, "otp_token": code},
        )
        assert signed_in.status_code == 302
    if code == "STALE":  # a code read off the authenticator minutes ago
        with time_machine.travel(timezone.now() - timedelta(minutes=3)):
            code = totp_now(manager)

    response = _refund(client, captured_payment, amount="1.00", reason="x", otp_token=code)

    assert not Refund.objects.exists()
    assert not AuditLog.objects.filter(action="refund.created").exists()
    assert response.status_code == 200


def test_refund_beyond_refundable_is_refused_with_the_formatted_amount(
    login, manager, captured_payment
):
    client = login(manager)

    response = _refund(
        client, captured_payment, amount="10.01", reason="x", otp_token=totp_now(manager)
    )

    assert not Refund.objects.exists()
    assert "At most the refundable amount, $10.00." in response.content.decode()
    assert "1000" not in response.content.decode()


def test_a_wrong_amount_does_not_spend_the_authenticator_code(
    login, manager, captured_payment, django_capture_on_commit_callbacks
):
    client = login(manager)
    code = totp_now(manager)

    refused = _refund(client, captured_payment, amount="0", reason="x", otp_token=code)
    with django_capture_on_commit_callbacks(execute=True):
        _refund(client, captured_payment, amount="4.00", reason="x", otp_token=code)

    assert "greater than zero" in refused.content.decode()
    assert Refund.objects.get(payment=captured_payment).amount == 400


def test_a_refund_overtaken_by_another_is_refused_with_the_formatted_amount(
    login, manager, captured_payment
):
    """Another refund reserved between the form's check and the service's lock (simulated by
    one made while the code is being verified) leaves less refundable than the form saw."""
    from django.db.models.signals import post_save
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from payments.services import refund_create

    def competing_refund(sender, instance, **kwargs):
        post_save.disconnect(competing_refund, sender=TOTPDevice)
        refund_create(merchant=None, payment_id=captured_payment.public_id, amount=700)

    client = login(manager)
    post_save.connect(competing_refund, sender=TOTPDevice, weak=False)
    try:
        response = _refund(
            client, captured_payment, amount="4.00", reason="x", otp_token=totp_now(manager)
        )
    finally:
        post_save.disconnect(competing_refund, sender=TOTPDevice)

    assert list(Refund.objects.values_list("amount", flat=True)) == [700]
    assert any("refundable amount ($3.00)" in m for m in _messages(response))


def test_refund_amount_with_too_many_decimals_is_refused(login, manager, captured_payment):
    client = login(manager)

    response = _refund(
        client, captured_payment, amount="1.001", reason="x", otp_token=totp_now(manager)
    )

    assert not Refund.objects.exists()
    assert "Enter an amount in USD" in response.content.decode()


def test_viewer_cannot_refund(login, viewer, captured_payment):
    client = login(viewer)

    page = client.get(reverse("admin:payments_order_change", args=[captured_payment.order_id]))
    response = client.post(
        reverse("admin:payments_payment_refund", args=[captured_payment.pk]),
        {"amount": "1.00", "reason": "x", "otp_token": totp_now(viewer)},
    )

    assert page.status_code == 200
    assert "Refund…" not in page.content.decode()
    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_manager_captures_a_manual_payment_and_it_is_audited(
    login, manager, make_order, pay, django_capture_on_commit_callbacks
):
    order = make_order(capture_method="manual")
    payment = pay(order, card())
    assert payment.status == Payment.Status.AUTHORIZED
    client = login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:payments_payment_capture", args=[payment.pk]))

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    assert AuditLog.objects.filter(action="payment.captured", object_id=payment.public_id).exists()


def test_cancel_of_a_captured_payment_shows_the_domain_error(login, manager, captured_payment):
    client = login(manager)

    response = client.post(
        reverse("admin:payments_payment_cancel", args=[captured_payment.pk]), follow=True
    )

    captured_payment.refresh_from_db()
    assert captured_payment.status == Payment.Status.CAPTURED
    assert any("cannot be canceled" in m for m in _messages(response))


def test_simulated_transfer_arrival_completes_a_bank_transfer(
    login, manager, order, pay, django_capture_on_commit_callbacks
):
    from tests.conftest import bank_transfer

    payment = pay(order, bank_transfer())
    assert payment.status == Payment.Status.PROCESSING
    client = login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:payments_payment_simulate", args=[payment.pk]))

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED


def test_api_key_is_shown_once_and_revocation_is_audited(login, manager, merchant):
    from payments.errors import AuthenticationFailed
    from payments.models import ApiKey
    from payments.services import api_key_authenticate

    client = login(manager)

    response = client.post(
        reverse("admin:payments_apikey_add"),
        {"merchant": merchant.pk, "name": "shop", "otp_token": totp_now(manager)},
        follow=True,
    )
    raw = response.context["raw_key"]
    key = ApiKey.objects.get(name="shop")
    authenticated_before = api_key_authenticate(raw_key=raw)
    listing = client.get(reverse("admin:payments_apikey_changelist")).content.decode()
    client.post(
        reverse("admin:payments_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [key.pk]},
    )

    assert authenticated_before == key
    assert raw not in listing
    assert "no-store" in response["Cache-Control"]
    key.refresh_from_db()
    with pytest.raises(AuthenticationFailed):
        api_key_authenticate(raw_key=raw)
    assert key.revoked_at is not None
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"api_key.created", "api_key.revoked"} <= actions
    assert raw not in str(list(AuditLog.objects.values_list("details", flat=True)))


def test_action_messages_name_the_payment_so_capitalisation_keeps_its_id(
    login, manager, make_order, pay, django_capture_on_commit_callbacks
):
    payment = pay(make_order(capture_method="manual"), card())
    client = login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:payments_payment_capture", args=[payment.pk]), follow=True
        )

    assert _messages(response) == [f"Payment {payment.public_id} captured."]
    assert f"Payment {payment.public_id} captured." in response.content.decode()


def test_reloading_the_new_api_key_page_creates_no_second_key_and_hides_the_key(
    login, manager, merchant
):
    from payments.models import ApiKey

    client = login(manager)

    posted = client.post(
        reverse("admin:payments_apikey_add"),
        {"merchant": merchant.pk, "otp_token": totp_now(manager)},
    )
    shown = client.get(posted["Location"])
    reloaded = client.get(posted["Location"], follow=True)

    raw = shown.context["raw_key"]
    assert posted.status_code == 302
    assert raw.startswith("sk_test_") and raw in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert ApiKey.objects.filter(merchant=merchant).count() == 1
    assert raw not in reloaded.content.decode()
    assert "shown only once" in reloaded.content.decode()
    assert raw not in str(dict(client.session))


def test_a_new_api_key_waits_for_its_page_encrypted_never_readable_in_the_session_table(
    login, manager, merchant
):
    """Between the POST and the page showing it, the raw key is in the session, which is a
    database row: it must be stored there as unreadable as the webhook secrets are."""
    from django.contrib.sessions.models import Session

    client = login(manager)

    posted = client.post(
        reverse("admin:payments_apikey_add"),
        {"merchant": merchant.pk, "otp_token": totp_now(manager)},
    )
    stored = [str(s.get_decoded()) for s in Session.objects.all()]
    raw = client.get(posted["Location"]).context["raw_key"]

    assert raw.startswith("sk_test_")
    assert not any(raw in row or raw[14:] in row for row in stored)


def test_the_api_key_form_preselects_the_only_merchant_a_manager_manages(
    login, manager, make_staff, merchant, other_merchant
):
    from django.test import Client

    client = login(manager)
    platform = login(make_staff(superuser=True), the_client=Client())

    own = client.get(reverse("admin:payments_apikey_add"))
    every = platform.get(reverse("admin:payments_apikey_add"))

    assert own.context["form"]["merchant"].value() == merchant.pk
    assert every.context["form"]["merchant"].value() is None


def _refund_form(client, payment):
    """The refund page's form as a browser would send it: every field, hidden ones too."""
    page = client.get(reverse("admin:payments_payment_refund", args=[payment.pk]))
    form = page.context["form"]
    # The box "I confirm" is sent only when ticked: _refund ticks it.
    return {name: form[name].value() or "" for name in form.fields if name != "confirm"}


def test_pressing_refund_twice_refunds_once_and_the_second_press_says_so(
    login, manager, captured_payment, django_capture_on_commit_callbacks, assert_invariants
):
    client = login(manager)
    data = {
        **_refund_form(client, captured_payment),
        "amount": "4.00",
        "reason": "Damaged",
        "otp_token": totp_now(manager),
    }

    with django_capture_on_commit_callbacks(execute=True):
        first = _refund(client, captured_payment, **data)
        second = _refund(client, captured_payment, **data)

    refund = Refund.objects.get(payment=captured_payment)
    assert refund.amount == 400
    assert _messages(first) == [f"Refund {refund.public_id} of $4.00 created (pending)."]
    assert _messages(second) == [
        "This refund form was already sent; it was not sent again. The payment's refunds are "
        "listed below."
    ]
    assert refund.public_id in second.content.decode()
    assert AuditLog.objects.filter(action="refund.created").count() == 1
    assert_invariants()


def test_a_refund_form_corrected_after_an_error_is_sent_again(
    login, manager, captured_payment, django_capture_on_commit_callbacks
):
    client = login(manager)
    data = {**_refund_form(client, captured_payment), "reason": "x"}

    refused = _refund(client, captured_payment, **{**data, "amount": "99.00", "otp_token": "1"})
    corrected = {name: refused.context["form"][name].value() or "" for name in data}
    with django_capture_on_commit_callbacks(execute=True):
        _refund(
            client,
            captured_payment,
            **{**corrected, "amount": "2.00", "otp_token": totp_now(manager)},
        )

    assert corrected["submission"] != data["submission"]
    assert Refund.objects.get(payment=captured_payment).amount == 200


def test_refunding_a_payment_not_captured_says_why_not_that_nothing_is_left(
    login, manager, make_order, pay
):
    from tests.conftest import NO_FUNDS

    authorized = pay(make_order(capture_method="manual"), card())
    declined = pay(make_order(), card(NO_FUNDS))
    client = login(manager)

    errors = [
        _refund(client, payment, amount=amount, reason="x", otp_token=totp_now(manager))
        .context["form"]
        .errors["amount"]
        for payment in (authorized, declined)
        for amount in ("", "1.00")
    ]

    assert (
        errors
        == [
            [
                "Only a captured payment can be refunded; this one is authorized. Cancel it instead "
                "to release the funds."
            ]
        ]
        * 2
        + [["Only a captured payment can be refunded; this one is declined."]] * 2
    )
    assert not Refund.objects.exists()


def test_revoking_a_key_already_revoked_says_so_and_is_not_audited_twice(login, manager, merchant):
    from payments.models import ApiKey
    from payments.services import api_key_create

    key, _ = api_key_create(merchant=merchant, name="old")
    client = login(manager)
    revoke = {"action": "revoke_keys", "_selected_action": [key.pk]}

    first = client.post(reverse("admin:payments_apikey_changelist"), revoke, follow=True)
    second = client.post(reverse("admin:payments_apikey_changelist"), revoke, follow=True)

    assert _messages(first) == ["Revoked 1 API key(s)."]
    assert _messages(second) == [f"API key {key.prefix}… was already revoked."]
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert AuditLog.objects.filter(action="api_key.revoked").count() == 1


@pytest.mark.parametrize(
    ("amount", "currency", "example"),
    [(1000, "USD", "10.00"), (1200, "JPY", "1050"), (12345, "KWD", "1.050")],
)
def test_the_refund_form_asks_for_the_amount_with_the_currencys_own_decimals(
    login, manager, make_order, pay, amount, currency, example
):
    payment = pay(make_order(amount=amount, currency=currency), card())
    client = login(manager)

    page = client.get(reverse("admin:payments_payment_refund", args=[payment.pk]))

    help_text = page.context["form"].fields["amount"].help_text
    everything = money_text(amount, currency)
    assert help_text == (
        f"In {currency}, such as {example}. "
        f"Left empty, everything refundable is refunded: {everything}."
    )
    assert "12.50" not in page.content.decode()


def test_a_pending_refund_is_shown_and_not_offered_as_refundable_again(
    login, manager, captured_payment
):
    """Until the institution answers, a refund is pending: the order page and the refund page
    show it and count it out of what is refundable, as the refund form and service do."""
    from payments.services import refund_create

    refund = refund_create(merchant=None, payment_id=captured_payment.public_id, amount=1000)
    assert refund.status == Refund.Status.PENDING
    client = login(manager)

    order_page = client.get(
        reverse("admin:payments_order_change", args=[captured_payment.order_id])
    )
    refund_page = client.get(reverse("admin:payments_payment_refund", args=[captured_payment.pk]))

    (block,) = order_page.context["detail"]["payments"]
    assert (block["refundable"], block["pending_refunds"]) == ("$0.00", "$10.00")
    assert not block["can_refund"]
    assert "Refund…" not in order_page.content.decode()
    assert refund_page.context["refundable"] == "$0.00"
    assert '<td id="pending-refunds">$10.00</td>' in refund_page.content.decode()


def test_a_live_key_for_a_merchant_not_enabled_for_live_is_refused_beside_the_field(
    login, manager, merchant
):
    from payments.models import ApiKey

    client = login(manager)

    response = client.post(
        reverse("admin:payments_apikey_add"), {"merchant": merchant.pk, "livemode": "on"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["livemode"] == [
        f"{merchant.name} is not enabled for live payments yet, so a live key would be "
        "refused. Create a test key, or ask platform staff to enable live mode."
    ]
    assert not ApiKey.objects.exists()


def test_simulating_a_transfer_twice_records_one_arrival_and_says_so(
    login, manager, order, pay, django_capture_on_commit_callbacks
):
    from tests.conftest import bank_transfer

    payment = pay(order, bank_transfer())
    client = login(manager)
    url = reverse("admin:payments_payment_simulate", args=[payment.pk])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, follow=True)
    again = client.post(url, follow=True)

    assert _messages(again) == [
        f"Payment {payment.public_id} is captured; it is not waiting for a transfer, so none "
        "was simulated."
    ]
    assert AuditLog.objects.filter(action="bank_transfer.simulated").count() == 1


def test_a_refund_not_confirmed_refunds_nothing_and_keeps_the_code(
    login, manager, captured_payment
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = login(manager)
    code = totp_now(manager)

    response = _refund(
        client, captured_payment, confirm=None, amount="", reason="x", otp_token=code
    )

    assert response.context["form"].errors["confirm"] == [
        "Tick the box to confirm the amount to refund."
    ]
    assert not Refund.objects.exists()
    # The code was not spent: it still refunds once confirmed.
    assert TOTPDevice.objects.get(user=manager).last_t == -1
    _refund(client, captured_payment, amount="", reason="x", otp_token=code)
    assert Refund.objects.get().amount == 1000


def test_the_refund_form_says_what_an_empty_amount_refunds_before_it_is_sent(
    login, manager, captured_payment
):
    page = login(manager).get(reverse("admin:payments_payment_refund", args=[captured_payment.pk]))
    text = page.content.decode()

    assert '<output id="refund-preview" for="id_amount" aria-live="polite">$10.00</output>' in text
    assert "(everything refundable: the amount field is empty)" in text
    assert 'value="Refund $10.00"' in text
    assert "Left empty, everything refundable is refunded: $10.00." in text
    assert "with no amount entered, that is everything refundable ($10.00)" in text


def test_after_a_refused_code_the_page_shows_the_amount_asked_and_not_the_code(
    login, manager, captured_payment
):
    response = _refund(
        login(manager), captured_payment, amount="2.50", reason="x", otp_token="135791"
    )
    text = response.content.decode()

    assert not Refund.objects.exists()
    assert '<output id="refund-preview" for="id_amount" aria-live="polite">$2.50</output>' in text
    assert 'value="Refund $2.50"' in text
    assert "135791" not in text
    assert 'value="2.50"' in text  # the amount is kept: only the code is asked again


def test_the_order_page_has_a_refund_button_a_timeline_and_times_with_their_zone(
    login, manager, captured_payment
):
    page = login(manager).get(
        reverse("admin:payments_order_change", args=[captured_payment.order_id])
    )
    text = page.content.decode()
    timeline = text.split('id="events"')[1].split("</ol>")[0]

    refund_url = reverse("admin:payments_payment_refund", args=[captured_payment.pk])
    assert f'id="order-refund" href="{refund_url}">Refund</a>' in text
    types = [t.split('"')[0] for t in timeline.split('data-type="')[1:]]
    assert types[0] == "order.created" and "payment.captured" in types and "order.paid" in types
    assert timeline.count(" UTC</time>") == len(types)
    assert '<span class="badge badge-success">Payment captured</span>' in timeline
    assert text.count(" UTC</div>") >= 2  # the created and paid fields


def test_a_viewer_sees_the_order_without_a_refund_button(login, viewer, captured_payment):
    page = login(viewer).get(
        reverse("admin:payments_order_change", args=[captured_payment.order_id])
    )

    assert 'id="order-refund"' not in page.content.decode()
