"""Fixtures of the bulk payout and bulk charge tests: a settled balance, CSV files, staff."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.admin.conftest import login, make_staff, manager, totp_now
from tests.api.conftest import api, other_api
from tests.billing.conftest import customer, save_card, saved_card_body

# Fixtures of the admin, API and billing tests, offered to these tests too.
__all__ = ["api", "customer", "login", "make_staff", "manager", "other_api", "save_card"]
__all__ += ["totp_now"]


LOST_CARD = "4000000000000341"  # saves fine; every charge declines lost_card


def valid_iban(n: int) -> str:
    """A distinct, valid German IBAN per ``n`` (bank 37040044, account n)."""
    from schwifty import IBAN

    return str(IBAN.generate("DE", bank_code="37040044", account_code=f"{n:010d}").compact)


@pytest.fixture
def settled(merchant, make_order, pay, django_capture_on_commit_callbacks):
    """Give the merchant a settled balance: EUR card payments captured and settled a month ago.

    ``settled(total)`` captures payments summing to ``total`` minor units and returns the
    merchant's payable balance afterwards (the total less the settlement fees).
    """
    from payouts.selectors import payout_balances_available
    from settlement.services import cutoff_for, settlement_run

    def do(total: int, currency: str = "EUR") -> int:
        # Bulk payouts draw on a balance that settlement does not pay out itself.
        merchant.payout_schedule = "manual"
        merchant.save(update_fields=["payout_schedule"])
        captured_on = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
        chunk = 90_000_000
        with time_machine.travel(captured_on, tick=False):
            while total > 0:
                payment = pay(make_order(amount=min(total, chunk), currency=currency))
                assert payment.status == "captured", payment.decline_code
                total -= chunk
        cutoff = cutoff_for(date(2026, 11, 3))
        with (
            time_machine.travel(cutoff, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            settlement_run(cutoff=cutoff)
        return payout_balances_available(merchant=merchant)[currency]

    return do


def csv_file(rows: list[dict], name: str = "batch.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def payout_rows(count: int, *, amount: int = 1000, currency: str = "EUR") -> list[dict]:
    return [
        {
            "name": f"Supplier {n}",
            "iban": valid_iban(n),
            "amount": amount,
            "currency": currency,
            "reference": f"INV-{n:05d}",
        }
        for n in range(1, count + 1)
    ]


@pytest.fixture
def sent(monkeypatch):
    """The authorization requests sent to institutions, recorded as they go."""
    import payments.services.payments as module

    requests = []
    real = module.connector_for

    def connector_for(code):
        connector = real(code)
        authorize = connector.authorize

        def recorded(request):
            requests.append(request)
            return authorize(request)

        connector.authorize = recorded
        return connector

    monkeypatch.setattr(module, "connector_for", connector_for)
    return requests


@pytest.fixture
def cards(customer, save_card):
    """A customer's saved cards: ``good`` and ``lost`` for off-session use, ``on_session``."""

    def saved(number, usage="off_session"):
        response = save_card(customer["id"], saved_card_body(number, usage=usage))
        assert response.status_code in (200, 201), response.content
        return response.json()["id"]

    return {
        "customer": customer["id"],
        "good": saved("4242424242424242"),
        "lost": saved(LOST_CARD),
        "on_session": saved("5555555555554444", usage="on_session"),
    }
