"""The hosted checkout through HTTP: pages, errors, and what must never leak."""

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from payments.checkout.templatetags import money
from payments.checkout.views import return_url_for
from payments.models import Order, OutboxMessage, Payment, PaymentAttempt
from payments.services import order_cancel
from tests.conftest import (
    BLOCKED,
    ISSUER_CVC,
    ISSUER_EXPIRED,
    LOST,
    NO_FUNDS,
    OTP_CARD,
    PROCESSING_ERROR,
    STOLEN,
    VISA,
)

from .conftest import pay_path, payment_path

pytestmark = pytest.mark.django_db


def _latest_payment(order) -> Payment:
    return order.payments.order_by("-id").first()


def _code(payment) -> str:
    body = OutboxMessage.objects.filter(payment=payment).order_by("-id").first().body
    return re.search(r"\b(\d{6})\b", body).group(1)


# --- the order page ---------------------------------------------------------------------------


def test_checkout_page_shows_merchant_amount_and_payment_methods(client, make_order):
    order = make_order(amount=1999, description="Two bags of beans")

    response = client.get(pay_path(order))

    html = response.content.decode()
    assert response.status_code == 200
    assert order.merchant.name in html and "Two bags of beans" in html
    assert "$19.99" in html
    for method in ("card", "wallet", "bank_transfer"):
        assert f'value="{method}"' in html
    for autocomplete in ("cc-number", "cc-exp", "cc-csc", "cc-name", "tel"):
        assert f'autocomplete="{autocomplete}"' in html
    assert "csrfmiddlewaretoken" in html


def test_checkout_pages_are_never_cached_and_carry_a_strict_csp(client, order):
    response = client.get(pay_path(order))

    assert "no-store" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp


def test_checkout_html_has_no_inline_script_or_style_and_every_input_has_a_label(client, order):
    html = client.get(pay_path(order)).content.decode()

    assert " style=" not in html and "<style" not in html
    # Data for the script (its messages, as JSON) is not run: only scripts with a src are.
    assert re.findall(r'<script(?![^>]*\b(?:src=|type="application/json"))', html) == []
    for input_id in re.findall(r'<input[^>]*type="(?:text|tel|radio)"[^>]*\bid="([^"]+)"', html):
        assert f'for="{input_id}"' in html, input_id


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [(1200, "JPY", "¥1,200"), (12500, "KWD", "KWD\u00a012.500"), (1000, "USD", "$10.00")],
)
def test_amounts_are_formatted_with_the_currency_exponent(
    client, make_order, amount, currency, shown
):
    order = make_order(amount=amount, currency=currency)

    html = client.get(pay_path(order)).content.decode()

    assert money(amount, currency) == shown
    assert shown in html


def test_methods_not_accepting_the_currency_are_not_offered(client, make_order):
    order = make_order(amount=12500, currency="KWD")

    html = client.get(pay_path(order)).content.decode()

    assert 'value="card"' in html
    assert 'value="wallet"' not in html and 'value="bank_transfer"' not in html


def test_an_unknown_token_is_not_found(client, db):
    assert client.get("/checkout/not-a-token/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/checkout/not-a-token/", "/checkout/not-a-token/payments/pay_x/"]
)
def test_an_unknown_checkout_link_tells_the_shopper_what_to_do(client, db, path):
    """Not Django's bare "The requested resource was not found on this server"."""
    response = client.get(path)

    html = response.content.decode()
    assert response.status_code == 404
    assert "This payment link is not valid" in html and "Nothing was charged" in html


def test_an_order_past_its_deadline_shows_expired_before_the_beat_task_runs(client, order):
    with time_machine.travel(order.expires_at + timedelta(seconds=1)):
        response = client.get(pay_path(order))

    html = response.content.decode()
    assert "This order has expired" in html
    assert 'name="number"' not in html
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING  # the page only reads


def test_a_canceled_order_shows_a_clear_page_not_a_form(client, order):
    order_cancel(order=order)

    html = client.get(pay_path(order)).content.decode()

    assert "This order was canceled" in html and 'name="number"' not in html


def test_a_paid_order_sends_the_shopper_to_its_success_page(client, captured_payment):
    response = client.get(pay_path(captured_payment.order))

    assert response.status_code == 302
    assert response["Location"] == payment_path(captured_payment)


@pytest.mark.parametrize(("amount", "shown"), [(450, "$4.50"), (None, "$10.00")])
def test_the_link_of_a_refunded_payment_says_what_was_refunded(
    client, captured_payment, django_capture_on_commit_callbacks, amount, shown
):
    """A shopper who opens the checkout link again after a refund must not read only
    'Payment successful' as if all the money were still taken."""
    from payments.services import refund_create

    with django_capture_on_commit_callbacks(execute=True):
        refund_create(
            merchant=captured_payment.merchant, payment_id=captured_payment.public_id, amount=amount
        )

    html = client.get(payment_path(captured_payment)).content.decode()

    assert re.search(rf'<dt>Refunded</dt><dd id="refunded">{re.escape(shown)}</dd>', html), html


# --- paying by card ---------------------------------------------------------------------------


def test_an_approved_card_ends_on_the_success_page_with_the_order_paid(client, order, submit_card):
    response = submit_card(order)

    payment = _latest_payment(order)
    assert response.status_code == 302 and response["Location"] == payment_path(payment)
    page = client.get(response["Location"]).content.decode()
    assert "Payment successful" in page
    assert order.reference in page and "$10.00" in page
    assert "Visa •••• 4242" in page
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_server_field_errors_render_beside_fields_keeping_the_number_but_not_the_cvc(
    order, submit_card
):
    response = submit_card(order, number="4242 4242 4242 4241", exp="13 / 35", cvc="987")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="number-err">Your card number is invalid\.<', html)
    assert re.search(r'id="exp-err">[^<]+<', html)
    assert 'value="4242 4242 4242 4241"' in html
    assert (
        'value="987"' not in html
        and 'name="cvc" type="text" inputmode="numeric" autocomplete="cc-csc" maxlength="4" placeholder="CVC" value=""'
        in html
    )
    assert re.search(
        r'id="number"[^>]*aria-describedby="number-brand number-err"[^>]*aria-invalid="true"', html
    )
    assert Payment.objects.count() == 0 and PaymentAttempt.objects.count() == 0


def test_an_expired_card_is_answered_on_the_expiry_field(order, submit_card):
    html = submit_card(order, exp="01 / 20").content.decode()

    assert re.search(r'id="exp-err">Your card has expired\.<', html)


@pytest.mark.parametrize(
    ("exp", "text"),
    [
        ("", "Enter the expiry date."),
        ("13 / 30", "Your card&#x27;s expiry date is invalid."),
        ("ab", "Your card&#x27;s expiry date is invalid."),
        ("12 / 99", "Your card&#x27;s expiry date is invalid."),
    ],
)
def test_the_one_expiry_field_is_answered_about_the_date_not_a_month_or_year(
    order, submit_card, exp, text
):
    """The page has one "Expiry (MM / YY)" field: its errors speak of the date, as the
    browser's own check does, not of the API's separate month and year."""
    html = submit_card(order, exp=exp).content.decode()

    assert re.search(rf'id="exp-err">{re.escape(text)}<', html), html[html.find('id="exp-err"') :][
        :120
    ]


@pytest.mark.parametrize(
    ("number", "cvc", "text"),
    [
        ("3782 822463 10005", "12", "Amex security codes have 4 digits, on the front of the card."),
        (
            "3782 822463 10005",
            "123",
            "Amex security codes have 4 digits, on the front of the card.",
        ),
        (VISA, "1234", "This card&#x27;s security code has 3 digits, on the back of the card."),
    ],
)
def test_a_security_code_of_the_wrong_length_says_how_many_digits_the_brand_uses(
    order, submit_card, number, cvc, text
):
    html = submit_card(order, number=number, cvc=cvc).content.decode()

    assert re.search(rf'id="cvc-err">{re.escape(text)}<', html), html[html.find('id="cvc-err"') :][
        :120
    ]


def test_a_refused_form_puts_the_focus_on_the_first_field_in_error_even_without_scripts(
    order, submit_card
):
    """A keyboard or screen-reader user lands on the first problem, not at the top of the page."""
    html = submit_card(order, exp="01 / 20", name="").content.decode()

    assert re.search(r'<input id="exp"[^>]*\sautofocus[\s>]', html)
    assert html.count("autofocus") == 1


def test_a_missing_method_choice_is_an_error_not_a_crash(client, order):
    response = client.post(pay_path(order), {"method": "cheque"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose how you want to pay." in html
    # Screen readers read the message with each choice, not only somewhere below them.
    radios = re.findall(r'<input type="radio" name="method"[^>]*>', html)
    assert radios and all('aria-describedby="method-err"' in radio for radio in radios)


@pytest.mark.parametrize(
    ("number", "code", "text"),
    [
        (NO_FUNDS, "insufficient_funds", "not enough funds"),
        (BLOCKED, "card_declined", "contact your bank"),
        (ISSUER_CVC, "incorrect_cvc", "security code (CVC) is not correct"),
        (ISSUER_EXPIRED, "expired_card", "This card has expired"),
        (PROCESSING_ERROR, "processing_error", "could not reach your bank"),
        (LOST, "lost_card", "contact your bank"),
        (STOLEN, "stolen_card", "contact your bank"),
    ],
)
def test_a_decline_shows_a_human_reason_and_a_way_to_try_again(
    client, order, submit_card, number, code, text
):
    response = submit_card(order, number=number)

    payment = _latest_payment(order)
    assert payment.status == "declined" and payment.decline_code == code
    page = client.get(response["Location"]).content.decode()
    assert text in page
    assert "lost" not in page.lower() and "stolen" not in page.lower()
    assert f'href="{pay_path(order)}"' in page  # try another method
    if code in ("incorrect_cvc", "processing_error"):
        # Retryable: "Try again" with the same method first, and not titled a decline.
        assert "Payment declined" not in page
        assert f'id="try-again-link" href="{pay_path(order)}?method=card"' in page
    else:
        assert "<h1>Payment declined</h1>" in page and "try-again-link" not in page


def test_after_a_decline_another_card_pays_the_same_order(client, order, submit_card):
    submit_card(order, number=NO_FUNDS)

    response = submit_card(order, number=VISA)

    assert client.get(response["Location"]).status_code == 200
    order.refresh_from_db()
    assert order.status == "paid"
    assert list(order.payments.values_list("status", flat=True).order_by("id")) == [
        "declined",
        "captured",
    ]


def test_a_second_submission_while_a_payment_is_in_progress_goes_to_that_payment(
    order, submit_card
):
    first = submit_card(order, number=OTP_CARD)

    second = submit_card(order, number=VISA)

    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert order.payments.count() == 1


def test_a_payment_of_another_order_is_not_found(client, make_order, submit_card):
    mine, other = make_order(), make_order()
    submit_card(other)
    payment = _latest_payment(other)

    url = f"/checkout/{mine.checkout_token}/payments/{payment.public_id}/"

    assert client.get(url).status_code == 404
    assert client.get(url + "status").status_code == 404
    assert client.post(url + "verify", {"code": "123456"}).status_code == 404


# --- one-time codes -----------------------------------------------------------------------------


def test_the_otp_page_says_where_the_code_went_and_how_many_tries_are_left(
    client, order, submit_card
):
    response = submit_card(order, number=OTP_CARD)

    html = client.get(response["Location"]).content.decode()
    challenge = _latest_payment(order).otp_challenges.get()
    assert challenge.masked_destination in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "3 tries left" in html


def test_the_right_code_completes_the_payment(client, order, submit_card):
    location = submit_card(order, number=OTP_CARD)["Location"]
    payment = _latest_payment(order)

    response = client.post(location + "verify", {"code": _code(payment)})

    assert response["Location"] == location
    assert "Payment successful" in client.get(location).content.decode()
    order.refresh_from_db()
    assert order.status == "paid"


def test_a_wrong_code_shows_the_tries_left_and_three_decline(client, order, submit_card):
    location = submit_card(order, number=OTP_CARD)["Location"]
    payment = _latest_payment(order)
    wrong = "000000" if _code(payment) != "000000" else "111111"

    first = client.post(location + "verify", {"code": wrong}).content.decode()
    client.post(location + "verify", {"code": wrong})
    last = client.post(location + "verify", {"code": wrong})

    assert "That code is not right. 2 tries left." in first
    assert first.count("tries left") == 1  # said once, in the error, not again in the help
    assert re.search(r'id="code"[^>]*aria-invalid="true"', first)
    assert last["Location"] == location
    page = client.get(location).content.decode()
    assert "Payment declined" in page and "verification code was not confirmed" in page
    payment.refresh_from_db()
    assert payment.decline_code == "authentication_failed"


def test_a_malformed_code_does_not_use_up_a_try(client, order, submit_card):
    location = submit_card(order, number=OTP_CARD)["Location"]

    html = client.post(location + "verify", {"code": "12ab"}).content.decode()

    assert "Enter the 6-digit code." in html
    assert html.count("3 tries left.") == 1  # the error does not say it, the help does
    assert _latest_payment(order).otp_challenges.get().attempts_remaining == 3


def test_resend_is_refused_during_the_cooldown_then_sends_a_new_code(client, order, submit_card):
    location = submit_card(order, number=OTP_CARD)["Location"]
    payment = _latest_payment(order)

    refused = client.post(location + "resend").content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        sent = client.post(location + "resend", follow=True).content.decode()

    assert re.search(r"Wait \d+ seconds before asking for a new code\.", refused)
    assert "We sent a new code to" in sent
    assert OutboxMessage.objects.filter(payment=payment).count() == 2


def test_the_code_page_says_the_code_has_expired_before_the_shopper_types_it(
    client, order, submit_card
):
    location = submit_card(order, number=OTP_CARD)["Location"]

    fresh = client.get(location).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        late = client.get(location).content.decode()

    assert "has expired" not in fresh
    assert re.search(r'id="code-err">This code has expired; send a new one\.<', late)


def test_the_code_page_of_an_order_past_its_deadline_says_expired_not_asks_for_a_code(
    client, order, submit_card
):
    """The order page says "expired" as soon as the deadline passes; the code page must agree
    rather than ask for a code the service will refuse."""
    location = submit_card(order, number=OTP_CARD)["Location"]
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    html = client.get(location).content.decode()

    assert "This order has expired" in html
    assert 'id="otp-form"' not in html


def test_an_e_wallet_payment_is_confirmed_by_code(client, order):
    response = client.post(pay_path(order), {"method": "wallet", "phone": "+1 555 555 0100"})
    payment = _latest_payment(order)
    assert payment.status == "requires_action"

    client.post(response["Location"] + "verify", {"code": _code(payment)})

    page = client.get(response["Location"]).content.decode()
    assert "Payment successful" in page and "E-wallet •••• 0100" in page


@pytest.mark.parametrize("action", ["verify", "resend", "cancel", "simulate-transfer"])
def test_opening_a_form_action_address_leads_back_to_the_payment_not_a_blank_405(
    client, order, submit_card, action
):
    """After a wrong code the address bar shows .../verify: a reload of it from history, a
    restored tab or a copied link is a GET, which must not strand the shopper on an empty 405."""
    location = submit_card(order, number=OTP_CARD)["Location"]

    response = client.get(location + action)

    assert response.status_code == 302
    assert response["Location"] == location
    assert _latest_payment(order).status == "requires_action"  # nothing was done


def test_using_another_method_abandons_the_code_and_shows_the_form(client, order, submit_card):
    location = submit_card(order, number=OTP_CARD)["Location"]

    response = client.post(location + "cancel")

    assert response["Location"] == pay_path(order)
    assert _latest_payment(order).status == "canceled"
    assert 'name="number"' in client.get(pay_path(order)).content.decode()


# --- bank transfer ------------------------------------------------------------------------------


def test_bank_transfer_shows_instructions_and_a_status_endpoint(client, order):
    location = client.post(pay_path(order), {"method": "bank_transfer"})["Location"]
    payment = _latest_payment(order)

    html = client.get(location).content.decode()
    status = client.get(location + "status")

    for key in ("account_number", "reference"):
        assert payment.transfer[key] in html
    assert "$10.00" in html and "Pay by" in html and "data-poll-url" in html
    assert status.json() == {
        "id": payment.public_id,
        "status": "processing",
        "order_status": "pending",
    }
    assert "no-store" in status["Cache-Control"]


def test_the_sandbox_transfer_button_completes_the_payment(client, order):
    location = client.post(pay_path(order), {"method": "bank_transfer"})["Location"]

    client.post(location + "simulate-transfer")

    assert client.get(location + "status").json()["status"] == "captured"
    assert "Payment successful" in client.get(location).content.decode()


def test_another_method_asked_from_a_stale_tab_after_the_transfer_arrived_shows_the_success(
    client, order
):
    """A second tab still shows the transfer instructions after the money arrived: its "Use
    another payment method" must lead to the paid payment, not to a 'captured cannot be
    canceled' error in the API's words."""
    location = client.post(pay_path(order), {"method": "bank_transfer"})["Location"]
    client.post(location + "simulate-transfer")

    response = client.post(location + "cancel", follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == location
    assert "Payment successful" in html
    assert "cannot be canceled" not in html and 'class="notice error"' not in html


def test_another_method_asked_from_a_stale_code_tab_never_voids_an_authorization(
    client, make_order, submit_card
):
    """The shopper confirmed the code in one tab (a manual-capture order: now authorized, the
    merchant's to capture) and clicks "Use another payment method" in an older tab: the
    authorization must stay, and the shopper is shown it, not sent to pay again."""
    order = make_order(capture_method="manual")
    location = submit_card(order, number=OTP_CARD)["Location"]
    payment = _latest_payment(order)
    client.post(location + "verify", {"code": _code(payment)})
    payment.refresh_from_db()
    assert payment.status == "authorized"

    response = client.post(location + "cancel")

    assert response["Location"] == location
    payment.refresh_from_db()
    assert payment.status == "authorized"


def test_transfers_cannot_be_simulated_outside_the_sandbox(client, order, settings):
    location = client.post(pay_path(order), {"method": "bank_transfer"})["Location"]
    settings.PAYMENTS_SANDBOX = False

    assert "Simulate the transfer" not in client.get(location).content.decode()
    assert client.post(location + "simulate-transfer").status_code == 404
    assert _latest_payment(order).status == "processing"


# --- sandbox helpers --------------------------------------------------------------------------


def test_test_orders_list_the_sandbox_cards_and_live_orders_never(client, make_order):
    test_order, live_order = make_order(), make_order(livemode=True)

    test_html = client.get(pay_path(test_order)).content.decode()
    live_html = client.get(pay_path(live_order)).content.decode()

    assert "4242 4242 4242 4242" in test_html and "sandbox-inbox" in test_html
    assert "4242 4242 4242 4242" not in live_html and "sandbox-inbox" not in live_html
    assert client.get(f"/checkout/{live_order.checkout_token}/sandbox-inbox").status_code == 404


def test_the_sandbox_inbox_lists_this_orders_codes_newest_first(client, make_order, submit_card):
    order, other = make_order(), make_order()
    submit_card(other, number=OTP_CARD)
    location = submit_card(order, number=OTP_CARD)["Location"]
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        client.post(location + "resend")
    payment = _latest_payment(order)

    html = client.get(f"/checkout/{order.checkout_token}/sandbox-inbox").content.decode()

    bodies = list(OutboxMessage.objects.filter(payment=payment).order_by("-created", "-id"))
    assert len(bodies) == 2
    assert html.index(bodies[0].body) < html.index(bodies[1].body)
    assert _code(_latest_payment(other)) not in html


# --- return to the merchant ------------------------------------------------------------------


def test_the_return_url_gets_order_id_and_status_added_to_its_query(make_order):
    order = make_order(return_url="https://shop.example/back?cart=7&lang=en")

    url = return_url_for(order)

    assert (
        url == f"https://shop.example/back?cart=7&lang=en&order_id={order.public_id}&status=pending"
    )


def test_the_success_page_links_back_to_the_merchant_with_the_paid_status(
    client, make_order, submit_card
):
    order = make_order(return_url="https://shop.example/back?cart=7")

    page = client.get(submit_card(order)["Location"]).content.decode()

    assert (
        f'href="https://shop.example/back?cart=7&amp;order_id={order.public_id}&amp;status=paid"'
        in page
    )


# --- card data never leaks ----------------------------------------------------------------------


def test_without_javascript_the_success_page_does_not_promise_an_automatic_return(
    client, make_order, submit_card
):
    """The automatic return is done by checkout.js: its note is hidden until the script shows
    it, so a page without scripts does not say it will move by itself."""
    order = make_order(return_url="https://shop.example/back")

    html = client.get(submit_card(order)["Location"]).content.decode()

    assert 'id="return-link"' in html
    assert re.search(r'<p class="help" id="auto-return"[^>]* hidden>', html)


def test_a_refused_csrf_check_shows_a_checkout_page_with_the_way_back_not_a_bare_403(order):
    """A shopper whose cookie went missing (cleared, blocked, another browser profile) gets a
    page that says nothing was charged and links back to the payment, within the strict CSP."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    data = {"method": "card", "number": VISA, "exp": "12 / 35", "cvc": "123", "holder_name": "A"}

    response = browser.post(pay_path(order), data)

    html = response.content.decode()
    assert response.status_code == 403
    assert "Nothing was charged" in html and order.merchant.name in html
    assert f'href="{pay_path(order)}"' in html
    assert "<style" not in html and " style=" not in html
    assert not order.payments.exists()


def test_no_card_data_reaches_logs_session_or_any_page_after_payment(client, order, caplog):
    caplog.set_level(logging.DEBUG)
    pan, cvc = "4000000000003220", "739"
    data = {"method": "card", "number": pan, "exp": "12/35", "cvc": cvc, "holder_name": "Ada L"}

    location = client.post(pay_path(order), data)["Location"]
    payment = _latest_payment(order)
    client.post(location + "verify", {"code": _code(payment)})
    pages = [
        client.get(location),
        client.get(location + "status"),
        client.get(f"/checkout/{order.checkout_token}/sandbox-inbox"),
        client.get(pay_path(order), follow=True),
    ]

    assert pan not in location
    for response in pages:
        body = response.content.decode()
        assert pan not in body and "4000 0000 0000 3220" not in body.split("sandbox")[0]
        assert f'value="{cvc}"' not in body
    for session in Session.objects.all():
        decoded = str(session.get_decoded())
        assert pan not in decoded and cvc not in decoded
    assert pan not in str(client.cookies) and "cvc" not in str(client.cookies).lower()
    assert pan not in caplog.text and "4000 0000 0000 3220" not in caplog.text


def test_a_refused_submission_shows_the_typed_number_but_never_the_cvc(order, submit_card, caplog):
    caplog.set_level(logging.DEBUG)

    response = submit_card(order, number="4242424242424242", exp="", cvc="318")

    html = response.content.decode()
    assert 'value="4242424242424242"' in html
    # The sandbox box lists test cards whose numbers may hold any three digits.
    html = re.sub(r'<aside class="sandbox".*?</aside>', "", html, flags=re.S)
    assert "318" not in re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    assert "4242424242424242" not in caplog.text


def test_the_checkout_page_and_its_assets_weigh_under_30_kb(client, make_order):
    """What a real shopper loads (a live order); a test-mode order adds the sandbox box, with
    every documented test card and wallet, within 4 KB more."""
    from django.conf import settings

    live = client.get(pay_path(make_order(livemode=True))).content
    test_mode = client.get(pay_path(make_order())).content
    assets = [
        settings.BASE_DIR / "static" / "checkout" / n for n in ("checkout.css", "checkout.js")
    ]
    site_css = settings.BASE_DIR / "static" / "css" / "site.css"
    weight = sum(p.stat().st_size for p in [*assets, site_css])

    assert b"Sandbox test details" not in live and b"Sandbox test details" in test_mode
    assert len(live) + weight < 30_000, len(live) + weight
    assert len(test_mode) + weight < 34_000, len(test_mode) + weight


def test_a_live_order_without_a_live_institution_shows_why_and_stays_payable(
    client, make_order, submit_card
):
    """Issue 17, point 11: on the checkout a clear message, no payment, the order payable."""
    order = make_order(livemode=True)

    response = submit_card(order)

    assert response.status_code == 200
    assert "Live payments need a configured institution" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "pending" and not order.payments.exists()
