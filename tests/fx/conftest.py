"""Fixtures of the FX tests: the ECB's fixings loaded from the bundled history, a merchant that
settles in USD, API clients, and the money invariants checked after every test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from rest_framework.test import APIClient

from fx.providers import EcbHistoryProvider
from fx.rates import rates_import
from payments.services import api_key_create

# The bundled history ends on Friday 30 October 2026; a window before it keeps tests quick.
RATES_SINCE = date(2026, 9, 1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def ecb_rates(db) -> int:
    return rates_import(provider=EcbHistoryProvider(), since=RATES_SINCE)


@pytest.fixture
def usd_merchant(merchant, ecb_rates):
    """A US merchant that settles in USD and sells in EUR, GBP and JPY as well."""
    merchant.country = "US"
    merchant.settlement_currency = "USD"
    merchant.accepted_currencies = ["USD", "EUR", "GBP", "JPY"]
    merchant.fx_markup_bps = 150
    merchant.cross_border_fee_bps = 100
    merchant.save()
    return merchant


def client_for(merchant, livemode: bool = False) -> APIClient:
    client = APIClient()
    key = api_key_create(merchant=merchant, livemode=livemode)[1]
    client.credentials(HTTP_AUTHORIZATION="Bearer " + key)
    return client


@pytest.fixture
def api(usd_merchant) -> APIClient:
    return client_for(usd_merchant)


@pytest.fixture(autouse=True)
def _invariants_hold_after_each_fx_test(request):
    """Every FX test that touches the database ends with the money invariants holding."""
    names = set(request.fixturenames)
    if not names & {"db", "transactional_db"} and not request.node.get_closest_marker("django_db"):
        yield
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        return
    from merchant_portal.invariants import all_violations

    violations = all_violations()
    assert violations == [], violations


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


# Staff users with TOTP devices and signed-in clients, as the admin tests build them.
from tests.admin.conftest import login, make_staff, platform_user  # noqa: E402, F401
from tests.conftest import other_merchant  # noqa: E402, F401
