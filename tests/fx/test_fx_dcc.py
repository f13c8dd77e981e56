"""Dynamic currency conversion (issue 21): a shopper may pay in the card's currency at a rate
shown before paying, when the merchant enables it; the merchant still gets the order's amount."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from fx.models import Conversion, Quote
from ledger.selectors import account_balance
from payments.models import Payment
from payments.services import order_create, refund_create
from payments.services.dcc import dcc_offer_for

from .conftest import utc

pytestmark = pytest.mark.django_db

WEDNESDAY = utc(2026, 10, 21, 12)  # the ECB fixed 21 October 2026 that day
GB_CARD = "4008 2600 0000 0004"  # issued in the United Kingdom: billed in GBP
US_CARD = "4242 4242 4242 4242"


@pytest.fixture
def dcc_merchant(merchant, ecb_rates):
    """A US merchant selling in EUR and settling each currency as paid, DCC on at 3%."""
    merchant.country = "US"
    merchant.dcc_enabled = True
    merchant.dcc_markup_bps = 300
    merchant.save()
    return merchant


@pytest.fixture
def eur_order(dcc_merchant):
    with time_machine.travel(WEDNESDAY, tick=False):
        return order_create(merchant=dcc_merchant, amount=10000, currency="EUR", reference="r-1")


@pytest.fixture
def at_wednesday():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def _card(number=GB_CARD, **extra):
    return {
        "method": "card",
        "number": number,
        "exp": "12 / 35",
        "cvc": "123",
        "holder_name": "Ada Lovelace",
        **extra,
    }


def _pay_path(order) -> str:
    return f"/checkout/{order.checkout_token}/"


# --- the offer ------------------------------------------------------------------------------------


def test_the_offer_converts_the_order_at_the_ecb_rate_with_the_markup_on_top(
    eur_order, at_wednesday
):
    offer = dcc_offer_for(order=eur_order, card_bin="400826")

    assert (offer.from_currency, offer.to_currency, offer.amount) == ("EUR", "GBP", 10000)
    assert offer.fixing_date.isoformat() == "2026-10-21"
    expected = (Decimal(10000) * offer.rate).quantize(Decimal(1))
    assert offer.converted_amount == expected
    assert offer.markup_bps == 300
    assert offer.markup_amount == round(offer.converted_amount * Decimal("0.03"))
    assert offer.total_amount == offer.converted_amount + offer.markup_amount
    assert offer.expires_at == WEDNESDAY + timedelta(minutes=5)
    # Asked again while it holds, the same offer comes back: no new row per keystroke.
    assert dcc_offer_for(order=eur_order, card_bin="400826") == offer


def test_no_offer_when_dcc_is_off_the_card_is_in_the_orders_currency_or_conversion_applies(
    eur_order, dcc_merchant, at_wednesday
):
    assert dcc_offer_for(order=eur_order, card_bin="424242") is not None  # a US card: USD
    usd_order = order_create(merchant=dcc_merchant, amount=1000, currency="USD", reference="u")
    assert dcc_offer_for(order=usd_order, card_bin="424242") is None  # billed as the order

    dcc_merchant.settlement_currency = "USD"  # EUR is converted at capture: never twice
    dcc_merchant.save()
    eur_order.refresh_from_db()
    assert dcc_offer_for(order=eur_order, card_bin="400826") is None

    dcc_merchant.settlement_currency = ""
    dcc_merchant.dcc_enabled = False
    dcc_merchant.save()
    eur_order.refresh_from_db()
    assert dcc_offer_for(order=eur_order, card_bin="400826") is None


def test_no_offer_on_a_stale_rate(eur_order):
    # The bundled history ends on 30 October 2026: a week later no rate is today's.
    with time_machine.travel(utc(2026, 11, 9, 12), tick=False):
        assert dcc_offer_for(order=eur_order, card_bin="400826") is None


# --- the checkout, without scripts ------------------------------------------------------------------


def test_the_first_submission_of_a_foreign_card_shows_the_choice_and_charges_nothing(
    client, eur_order, at_wednesday
):
    response = client.post(_pay_path(eur_order), _card())

    html = response.content.decode()
    assert response.status_code == 200
    assert not Payment.objects.filter(order=eur_order).exists()
    offer = Quote.objects.get(dcc_order=eur_order)
    assert 'name="dcc_quote" id="dcc-order" value="" checked' in html  # the order's currency
    assert f'value="{offer.public_id}"' in html
    assert "3.00% conversion markup" in html and "Currency to pay in" in html
    assert "enter the security code again" in html
    assert 'value="123"' not in html  # the CVC is never sent back
    # Without a script the button cannot follow the choice: the amounts are beside the choices.
    assert re.search(r'id="pay-label"[^>]*>Pay</span>', html)


def test_accepting_the_offer_pays_the_quoted_amount_in_the_cards_currency(
    client, eur_order, dcc_merchant, at_wednesday
):
    client.post(_pay_path(eur_order), _card())
    offer = Quote.objects.get(dcc_order=eur_order)

    response = client.post(_pay_path(eur_order), _card(dcc_quote=offer.public_id))

    payment = Payment.objects.get(order=eur_order)
    assert response.status_code == 302
    assert (payment.status, payment.currency) == ("captured", "GBP")
    assert payment.amount == payment.amount_captured == offer.total_amount
    offer.refresh_from_db()
    assert offer.payment == payment
    # Back into EUR at the offer's own figures: the merchant gets the order's amount exactly.
    conversion = Conversion.objects.get(payment=payment)
    assert (conversion.presentment_currency, conversion.presentment_amount) == (
        "GBP",
        offer.total_amount,
    )
    assert (conversion.settlement_currency, conversion.settlement_amount) == ("EUR", 10000)
    assert (conversion.dcc_markup_bps, conversion.dcc_markup_amount) == (300, offer.markup_amount)
    assert conversion.quote == offer and conversion.markup_amount == 0
    merchant_id = dcc_merchant.public_id
    assert account_balance(owner=merchant_id, kind="merchant_pending", currency="EUR") == -10000
    markup = account_balance(owner="platform", kind="fx_dcc_markup", currency="GBP")
    assert markup == -offer.markup_amount
    page = client.get(response["Location"]).content.decode()
    assert "£" in page


def test_declining_the_offer_pays_in_the_orders_currency(client, eur_order, at_wednesday):
    client.post(_pay_path(eur_order), _card())

    response = client.post(_pay_path(eur_order), _card(dcc_quote=""))

    payment = Payment.objects.get(order=eur_order)
    assert response.status_code == 302
    assert (payment.status, payment.currency, payment.amount) == ("captured", "EUR", 10000)
    assert not Conversion.objects.filter(payment=payment, dcc_markup_amount__gt=0).exists()
    assert Quote.objects.get(dcc_order=eur_order).payment is None


def test_an_expired_offer_is_refused_with_a_new_one(client, eur_order):
    with time_machine.travel(WEDNESDAY, tick=False):
        client.post(_pay_path(eur_order), _card())
    old = Quote.objects.get(dcc_order=eur_order)

    with time_machine.travel(WEDNESDAY + timedelta(minutes=6), tick=False):
        response = client.post(_pay_path(eur_order), _card(dcc_quote=old.public_id))

    html = response.content.decode()
    assert response.status_code == 200
    assert not Payment.objects.filter(order=eur_order).exists()
    assert "The exchange rate offered has expired, so nothing was charged." in html
    assert "Here is a new offer" in html
    new = Quote.objects.filter(dcc_order=eur_order).exclude(pk=old.pk).get()
    assert f'value="{new.public_id}"' in html and f'value="{old.public_id}"' not in html


def test_an_offer_for_another_currency_than_the_cards_is_refused(client, eur_order, at_wednesday):
    client.post(_pay_path(eur_order), _card())
    gbp_offer = Quote.objects.get(dcc_order=eur_order)

    response = client.post(_pay_path(eur_order), _card(US_CARD, dcc_quote=gbp_offer.public_id))

    assert response.status_code == 200
    assert "This card is not billed in GBP" in response.content.decode()
    assert not Payment.objects.filter(order=eur_order).exists()


def test_without_dcc_a_foreign_card_pays_at_once_in_the_orders_currency(
    client, eur_order, dcc_merchant, at_wednesday
):
    dcc_merchant.dcc_enabled = False
    dcc_merchant.save()

    assert 'name="dcc_quote"' not in client.get(_pay_path(eur_order)).content.decode()
    response = client.post(_pay_path(eur_order), _card())

    assert response.status_code == 302
    assert Payment.objects.get(order=eur_order).currency == "EUR"
    assert not Quote.objects.exists()


# --- the checkout, with its script ------------------------------------------------------------------


def test_the_page_script_gets_the_offer_from_the_bin_alone(client, eur_order, at_wednesday):
    url = reverse("checkout:dcc_offer", args=[eur_order.checkout_token])

    gb = client.post(url, {"bin": "400826"}).json()
    eur = client.post(url, {"bin": "400826"[:5]}).json()

    offer = Quote.objects.get(dcc_order=eur_order)
    assert gb["offer"] == offer.public_id
    assert re.search(r'<fieldset class="dcc" id="dcc"', gb["html"])
    assert 'data-pay-label="Pay £' in gb["html"]
    assert eur == {"html": ""}
    assert client.post(url, {"bin": "\u0664\u0660\u0660\u0668\u0662\u0666"}).json() == {"html": ""}
    assert client.post(url, {"bin": "40\x0082\x006"}).json() == {"html": ""}
    assert client.get(url).status_code == 405
    assert 'data-dcc-url="' + url + '"' in client.get(_pay_path(eur_order)).content.decode()


def test_the_settlement_batch_pays_the_order_amount_in_its_currency_and_keeps_the_card_amount(
    client, eur_order, dcc_merchant, at_wednesday
):
    from settlement.services import cutoff_for, settlement_run

    dcc_merchant.cross_border_fee_bps = 100  # the UK card is foreign to this US merchant
    dcc_merchant.save()
    client.post(_pay_path(eur_order), _card())
    offer = Quote.objects.get(dcc_order=eur_order)
    client.post(_pay_path(eur_order), _card(dcc_quote=offer.public_id))
    payment = Payment.objects.get(order=eur_order)
    cutoff = cutoff_for(date(2026, 10, 22))
    at_wednesday.move_to(cutoff)

    (batch,) = settlement_run(cutoff=cutoff)

    line = batch.lines.get(payment=payment)
    assert batch.currency == "EUR" and line.amount == 10000
    assert (line.presentment_currency, line.presentment_amount) == ("GBP", offer.total_amount)
    assert line.fx_fixing_date == offer.fixing_date
    # The shopper paid the DCC markup: the merchant pays none; the cross-border fee is its own.
    assert (line.fx_markup, line.cross_border_fee) == (0, 100)
    assert line.net == 10000 - line.fee - 100


# --- refunds, the admin -----------------------------------------------------------------------------


def test_a_full_refund_of_a_dcc_payment_takes_back_the_orders_amount(
    client, eur_order, dcc_merchant, at_wednesday, django_capture_on_commit_callbacks
):
    client.post(_pay_path(eur_order), _card())
    offer = Quote.objects.get(dcc_order=eur_order)
    client.post(_pay_path(eur_order), _card(dcc_quote=offer.public_id))
    payment = Payment.objects.get(order=eur_order)

    with django_capture_on_commit_callbacks(execute=True):
        refund_create(merchant=dcc_merchant, payment_id=payment.public_id)

    merchant_id = dcc_merchant.public_id
    assert account_balance(owner=merchant_id, kind="merchant_pending", currency="EUR") == 0
    assert payment.fx_conversion.refunds.get().settlement_amount == 10000


def test_platform_staff_enable_dcc_in_the_merchant_admin(login, platform_user, merchant):
    client = login(platform_user)
    response = client.post(
        reverse("admin:payments_merchant_change", args=[merchant.pk]),
        {
            "name": merchant.name,
            "country": "US",
            "default_currency": "USD",
            "settlement_delay_days": "2",
            "settlement_currency": "",
            "fx_refuse_expired_quotes": "on",
            "dcc_enabled": "on",
            "dcc_markup_bps": "275",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    merchant.refresh_from_db()
    assert (merchant.dcc_enabled, merchant.dcc_markup_bps) == (True, 275)
