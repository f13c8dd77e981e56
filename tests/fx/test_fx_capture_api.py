"""The done-when of issue 21 through the API: conversion at capture, quotes, settlement."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from fx.models import Conversion, Quote
from ledger.models import Posting
from ledger.selectors import account_balance
from settlement.models import SettlementBatch

from .conftest import utc

pytestmark = pytest.mark.django_db

CARD = {
    "number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2035,
    "cvc": "123",
    "holder_name": "Ada Lovelace",
}
GB_CARD = {**CARD, "number": "4008260000000004"}
JP_CARD = {**CARD, "number": "4003920000000008"}
SATURDAY = utc(2026, 10, 24, 12)  # Friday 23 October's fixing: 1 EUR = 1.1193 USD


_references = itertools.count(1)


def create_order(api, *, amount=10000, currency="EUR", **extra):
    reference = f"r-{next(_references)}"
    response = api.post(
        "/api/v1/orders",
        {"amount": amount, "currency": currency, "reference": reference, **extra},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def pay(api, order, card=CARD):
    return api.post(
        f"/api/v1/orders/{order['id']}/payments",
        {"payment_method": {"type": "card", "card": card}},
        format="json",
    )


def capture_at(api, when, *, card=CARD, **order_kwargs):
    with time_machine.travel(when, tick=False):
        response = pay(api, create_order(api, **order_kwargs), card)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "captured", body
    return body


def test_a_eur_payment_captured_on_a_saturday_converts_at_fridays_ecb_fixing(api):
    body = capture_at(api, SATURDAY, amount=10000, currency="EUR")

    fx = body["fx"]
    assert fx["fixing_date"] == "2026-10-23"
    assert fx["rate_source"] == "ecb"
    assert Decimal(fx["rate"]) == Decimal("1.1193")
    assert (fx["presentment_amount"], fx["presentment_currency"]) == (10000, "EUR")
    assert (fx["settlement_amount"], fx["settlement_currency"]) == (11193, "USD")
    # 1.50% of 111.93 is 1.678950: its own fee, rounded half-even to the cent.
    assert (fx["markup_bps"], fx["markup_amount"]) == (150, 168)
    assert fx["rate_stale"] is False
    assert api.get(f"/api/v1/payments/{body['id']}").json()["fx"] == fx


def test_the_capture_posts_balanced_entries_in_both_currencies_through_fx_clearing(
    api, usd_merchant
):
    body = capture_at(api, SATURDAY, amount=10000, currency="EUR")

    assert account_balance(owner="fx:EURUSD", kind="fx_clearing", currency="EUR") == -10000
    assert account_balance(owner="fx:EURUSD", kind="fx_clearing", currency="USD") == 11193
    owner = usd_merchant.public_id
    assert account_balance(owner=owner, kind="merchant_pending", currency="USD") == -11193
    assert account_balance(owner=owner, kind="merchant_pending", currency="EUR") == 0
    postings = Posting.objects.filter(entry__reference=body["id"])
    assert {p.currency for p in postings} == {"EUR", "USD"}
    for currency in ("EUR", "USD"):
        assert sum(p.amount for p in postings if p.currency == currency) == 0


def test_an_order_in_the_settlement_currency_is_not_converted(api):
    body = capture_at(api, SATURDAY, amount=2500, currency="USD")

    assert body["fx"] is None
    assert not Conversion.objects.exists()


def test_an_order_in_a_currency_the_merchant_does_not_accept_is_refused(api):
    response = api.post(
        "/api/v1/orders",
        {"amount": 1000, "currency": "CHF", "reference": "chf"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "currency_not_accepted"


def test_a_capture_into_jpy_rounds_half_even_to_the_yen(api, usd_merchant):
    usd_merchant.settlement_currency = "JPY"
    usd_merchant.save()

    body = capture_at(api, SATURDAY, amount=10000, currency="EUR")

    # 100 EUR at 175.51 JPY is ¥17551, no decimals.
    assert (body["fx"]["settlement_amount"], body["fx"]["settlement_currency"]) == (17551, "JPY")


def test_a_quote_locks_the_rate_for_an_order_captured_before_it_expires(api):
    with time_machine.travel(utc(2026, 10, 23, 9), tick=False):
        quote = api.post(
            "/api/v1/fx/quotes",
            {"from_currency": "EUR", "to_currency": "USD", "amount": 10000, "lock": "24h"},
            format="json",
        )
        assert quote.status_code == 201, quote.json()
        quote = quote.json()
        order = create_order(api, amount=10000, currency="EUR", fx_quote=quote["id"])
    # Thursday's fixing (1.1205) is locked; the capture on Friday afternoon keeps it.
    assert quote["fixing_date"] == "2026-10-23" or quote["fixing_date"] == "2026-10-22"
    with time_machine.travel(utc(2026, 10, 23, 20), tick=False):
        body = pay(api, order).json()

    assert body["fx"]["quote"] == quote["id"]
    assert body["fx"]["rate"] == quote["rate"]
    assert body["fx"]["settlement_amount"] == quote["converted_amount"]


def test_a_payment_after_its_quote_expired_is_refused_when_the_merchant_refuses(api):
    with time_machine.travel(utc(2026, 10, 23, 9), tick=False):
        quote = api.post(
            "/api/v1/fx/quotes",
            {"from_currency": "EUR", "to_currency": "USD", "amount": 5000},
            format="json",
        ).json()
        order = create_order(api, amount=5000, currency="EUR", fx_quote=quote["id"])
    assert quote["expires_at"] == "2026-10-23T09:05:00Z"

    with time_machine.travel(utc(2026, 10, 23, 9, 6), tick=False):
        response = pay(api, order)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("fx_quote", "quote_expired")
    assert api.get(f"/api/v1/orders/{order['id']}").json()["payments"] == []


def test_a_payment_after_its_quote_expired_converts_at_the_live_rate_when_allowed(
    api, usd_merchant
):
    usd_merchant.fx_refuse_expired_quotes = False
    usd_merchant.save()
    with time_machine.travel(utc(2026, 10, 23, 20), tick=False):
        quote = api.post(
            "/api/v1/fx/quotes",
            {"from_currency": "EUR", "to_currency": "USD", "amount": 5000},
            format="json",
        ).json()
        order = create_order(api, amount=5000, currency="EUR", fx_quote=quote["id"])

    with time_machine.travel(SATURDAY, tick=False):  # the order's 24 hours are not over
        body = pay(api, order).json()

    assert body["fx"]["quote"] is None  # never the expired quote's rate
    assert body["fx"]["fixing_date"] == "2026-10-23"
    assert Decimal(body["fx"]["rate"]) == Decimal("1.1193")


def test_an_expired_quote_cannot_be_named_by_a_new_order(api):
    with time_machine.travel(utc(2026, 10, 23, 9), tick=False):
        quote = api.post(
            "/api/v1/fx/quotes",
            {"from_currency": "EUR", "to_currency": "USD", "amount": 5000},
            format="json",
        ).json()
    with time_machine.travel(utc(2026, 10, 23, 10), tick=False):
        response = api.post(
            "/api/v1/orders",
            {"amount": 5000, "currency": "EUR", "reference": "late", "fx_quote": quote["id"]},
            format="json",
        )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "quote_expired"
    assert Quote.objects.get(public_id=quote["id"]).order is None


def test_a_quote_of_another_amount_is_refused(api):
    with time_machine.travel(utc(2026, 10, 23, 9), tick=False):
        quote = api.post(
            "/api/v1/fx/quotes",
            {"from_currency": "EUR", "to_currency": "USD", "amount": 5000},
            format="json",
        ).json()
        response = api.post(
            "/api/v1/orders",
            {"amount": 5001, "currency": "EUR", "reference": "x", "fx_quote": quote["id"]},
            format="json",
        )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_quote"


def settle(day):
    from settlement.services import cutoff_for, settlement_run

    cutoff = cutoff_for(day)
    with time_machine.travel(cutoff, tick=False):
        return settlement_run(cutoff=cutoff)


def test_the_usd_batch_gross_is_the_sum_of_its_lines_converted_amounts(api, usd_merchant):
    euro = capture_at(api, SATURDAY, amount=10000, currency="EUR")
    pound = capture_at(api, SATURDAY + timedelta(minutes=1), amount=3333, currency="GBP")
    yen = capture_at(api, SATURDAY + timedelta(minutes=2), amount=777, currency="JPY")
    dollar = capture_at(api, SATURDAY + timedelta(minutes=3), amount=1999, currency="USD")

    (batch,) = settle(date(2026, 10, 25))

    assert batch.currency == "USD"
    converted = [euro["fx"]["settlement_amount"], pound["fx"]["settlement_amount"]]
    converted += [yen["fx"]["settlement_amount"], 1999]
    assert batch.gross_amount == sum(converted)
    assert batch.payment_count == 4
    lines = {line.payment.public_id: line for line in batch.lines.select_related("payment")}
    assert sum(line.amount for line in lines.values()) == batch.gross_amount
    euro_line = lines[euro["id"]]
    assert (euro_line.presentment_amount, euro_line.presentment_currency) == (10000, "EUR")
    assert (euro_line.fx_rate, euro_line.fx_fixing_date) == (Decimal("1.1193"), date(2026, 10, 23))
    assert euro_line.fx_markup == 168
    assert euro_line.net == euro_line.amount - euro_line.fee - 168
    markups = sum(line.fx_markup for line in lines.values())
    assert batch.fees_amount == sum(line.fee for line in lines.values()) + markups
    assert batch.net_amount == batch.gross_amount - batch.fees_amount
    assert lines[dollar["id"]].fx_rate is None


def test_the_settlement_report_shows_both_currencies(api, usd_merchant):
    from tests.settlement.test_settlement_api import client_for as settlement_client

    euro = capture_at(api, SATURDAY, amount=10000, currency="EUR")
    (batch,) = settle(date(2026, 10, 25))

    response = settlement_client(usd_merchant).get(
        f"/api/v1/settlements/{batch.public_id}/report.csv"
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = rows[0]
    (line,) = [dict(zip(header, row, strict=True)) for row in rows[1:] if row[0] == "payment"]
    assert line["payment"] == euro["id"]
    assert (line["currency"], line["amount"]) == ("USD", "111.93")
    assert (line["presentment_currency"], line["presentment_amount"]) == ("EUR", "100.00")
    assert (line["fx_rate"], line["fx_fixing_date"]) == ("1.1193", "2026-10-23")
    assert line["fx_markup"] == "-1.68"


def test_a_card_issued_abroad_pays_the_cross_border_fee_as_its_own_line(api, usd_merchant):
    gb = capture_at(api, SATURDAY, amount=2000, currency="USD", card=GB_CARD)
    us = capture_at(api, SATURDAY + timedelta(minutes=1), amount=2000, currency="USD")
    jp = capture_at(
        api, SATURDAY + timedelta(minutes=2), amount=10000, currency="EUR", card=JP_CARD
    )

    assert gb["fx"]["card_country"] == "GB"
    assert (gb["fx"]["cross_border_fee_bps"], gb["fx"]["cross_border_fee"]) == (100, 20)
    assert gb["fx"]["rate"] is None  # not converted: USD into USD
    assert us["fx"] is None
    # 1.00% of the converted 111.93 is 1.1193 → 1.12.
    assert (jp["fx"]["card_country"], jp["fx"]["cross_border_fee"]) == ("JP", 112)

    (batch,) = settle(date(2026, 10, 25))

    lines = {line.payment.public_id: line for line in batch.lines.select_related("payment")}
    assert lines[gb["id"]].cross_border_fee == 20
    assert lines[us["id"]].cross_border_fee == 0
    assert lines[jp["id"]].cross_border_fee == 112
    assert lines[jp["id"]].net == 11193 - lines[jp["id"]].fee - 168 - 112


def refund(api, payment_id, amount, when, capture_on_commit):
    """Refund as if at ``when``; the institution answers on commit, at that instant too."""
    with time_machine.travel(when, tick=False), capture_on_commit(execute=True):
        response = api.post(
            f"/api/v1/payments/{payment_id}/refunds", {"amount": amount}, format="json"
        )
    assert response.status_code == 201, response.json()
    return api.get(f"/api/v1/refunds/{response.json()['id']}").json()


def test_refunds_convert_back_at_the_captures_rate_and_the_difference_is_fx_gain_or_loss(
    api, usd_merchant, django_capture_on_commit_callbacks
):
    body = capture_at(api, SATURDAY, amount=10000, currency="EUR")
    # Refunded on Friday 30 October, when 1 EUR = 1.1172 USD: the merchant gives back 111.93
    # (the capture's rate), the shopper gets 100 EUR bought for 111.72; the platform gains 0.21.
    on_commit = django_capture_on_commit_callbacks
    first = refund(api, body["id"], 4000, utc(2026, 10, 30, 17), on_commit)
    second = refund(api, body["id"], 6000, utc(2026, 10, 30, 17, 1), on_commit)

    owner = usd_merchant.public_id
    assert account_balance(owner=owner, kind="merchant_pending", currency="USD") == 0
    assert account_balance(owner="platform", kind="fx_gain_loss", currency="USD") == -21
    assert account_balance(owner="fx:EURUSD", kind="fx_clearing", currency="EUR") == 0
    assert account_balance(owner="fx:EURUSD", kind="fx_clearing", currency="USD") == 21
    assert first["status"] == second["status"] == "succeeded"

    (batch,) = settle(date(2026, 10, 31))
    assert batch.gross_amount == 11193
    assert batch.refunds_amount == 11193  # the parts add up to the capture, to the cent


def test_the_trial_balance_is_zero_in_every_currency(api, django_capture_on_commit_callbacks):
    body = capture_at(api, SATURDAY, amount=10000, currency="EUR")
    capture_at(api, SATURDAY + timedelta(minutes=1), amount=999, currency="JPY", card=JP_CARD)
    refund(api, body["id"], 3333, utc(2026, 10, 27, 12), django_capture_on_commit_callbacks)
    settle(date(2026, 10, 28))

    totals = {}
    for posting in Posting.objects.all():
        totals[posting.currency] = totals.get(posting.currency, 0) + posting.amount
    assert set(totals) == {"EUR", "JPY", "USD"}
    assert totals == {"EUR": 0, "JPY": 0, "USD": 0}
    assert SettlementBatch.objects.get().currency == "USD"


def test_closing_one_groups_batch_settles_converted_payments_in_the_settlement_currency(
    api, usd_merchant
):
    from settlement.services import cutoff_for, settlement_batch_close

    euro = capture_at(api, SATURDAY, amount=10000, currency="EUR")
    yen = capture_at(api, SATURDAY + timedelta(minutes=1), amount=777, currency="JPY")
    cutoff = cutoff_for(date(2026, 10, 25))

    with time_machine.travel(cutoff, tick=False):
        assert (
            settlement_batch_close(
                merchant_id=usd_merchant.pk, currency="EUR", livemode=False, cutoff=cutoff
            )
            is None
        )
        batch = settlement_batch_close(
            merchant_id=usd_merchant.pk, currency="USD", livemode=False, cutoff=cutoff
        )

    assert batch.payment_count == 2
    converted = euro["fx"]["settlement_amount"] + yen["fx"]["settlement_amount"]
    assert batch.gross_amount == converted
    assert batch.fees_amount == sum(
        line.fee + line.fx_markup + line.cross_border_fee for line in batch.lines.all()
    )


def test_a_quote_request_sent_twice_with_one_idempotency_key_locks_one_quote(api):
    body = {"from_currency": "GBP", "to_currency": "USD", "amount": 2500, "lock": "1h"}
    with time_machine.travel(utc(2026, 10, 23, 9), tick=False):
        first = api.post("/api/v1/fx/quotes", body, format="json", HTTP_IDEMPOTENCY_KEY="q-1")
        again = api.post("/api/v1/fx/quotes", body, format="json", HTTP_IDEMPOTENCY_KEY="q-1")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Quote.objects.count() == 1
    quote = first.json()
    # 25.00 GBP through EUR on Friday 23 October: 1.1193 / 0.83728 USD per GBP.
    assert quote["fixing_date"] == "2026-10-23"
    assert quote["expires_at"] == "2026-10-23T10:00:00Z"
    assert quote["converted_amount"] == 3342  # 25 × 1.336828778903 = 33.4207…
    assert quote["markup_amount"] == 50  # 1.50% of 33.42 = 0.5013


def test_a_quote_of_a_pair_the_ecb_does_not_fix_is_refused(api):
    with time_machine.travel(utc(2026, 10, 23, 9), tick=False):
        response = api.post(
            "/api/v1/fx/quotes",
            {"from_currency": "KWD", "to_currency": "USD", "amount": 1000},
            format="json",
        )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "rate_unavailable"
