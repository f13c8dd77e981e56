"""Reference rates: loading the ECB's files, the rate as of an instant, the rates API."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from fx.errors import RateUnavailable
from fx.models import RateSnapshot
from fx.providers import EcbHistoryProvider, RateProvider
from fx.rates import rate_as_of, rates_import

from .conftest import client_for, utc

pytestmark = pytest.mark.django_db

# Easter 2026: Good Friday 3 April and Easter Monday 6 April are TARGET holidays.
EASTER_CSV = """Date,USD,JPY,GBP,
2026-04-07,1.0900,162.10,0.8600,
2026-04-02,1.0800,161.00,0.8500,
2026-04-01,1.0700,160.00,0.8400,
"""


@pytest.fixture
def easter_file(tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(EASTER_CSV)
    return path


def test_the_bundled_history_is_loaded_by_fx_import_without_a_file(db):
    call_command("fx_import", "--since", "2026-10-26", stdout=io.StringIO())

    # Five fixing days (26-30 October) of the ECB's ~30 currencies.
    days = set(RateSnapshot.objects.values_list("fixing_date", flat=True))
    assert days == {date(2026, 10, d) for d in (26, 27, 28, 29, 30)}
    usd = RateSnapshot.objects.get(base="EUR", quote="USD", fixing_date=date(2026, 10, 30))
    assert (usd.rate, usd.source) == (Decimal("1.1172"), "ecb")


def test_fx_import_loads_a_newer_csv_or_its_zip_and_corrects_a_stored_fixing(easter_file, tmp_path):
    call_command("fx_import", str(easter_file), stdout=io.StringIO())
    corrected = EASTER_CSV.replace("1.0900", "1.0905")
    archive = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("eurofxref-hist.csv", corrected)

    call_command("fx_import", str(archive), stdout=io.StringIO())

    assert RateSnapshot.objects.count() == 9
    assert rate_as_of("EUR", "USD", date(2026, 4, 7)).rate == Decimal("1.0905")


def test_fx_import_refuses_a_file_that_is_not_the_ecbs(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("when,USD\n2026-01-01,1.1\n")

    with pytest.raises(CommandError, match="Date"):
        call_command("fx_import", str(path), stdout=io.StringIO())
    assert not RateSnapshot.objects.exists()


@pytest.mark.parametrize(
    ("at", "fixing_date", "rate"),
    [
        (utc(2026, 4, 1, 23), date(2026, 4, 1), "1.07"),
        (utc(2026, 4, 2, 0, 1), date(2026, 4, 2), "1.08"),
        # Good Friday, the weekend and Easter Monday: Thursday's fixing.
        (utc(2026, 4, 3, 12), date(2026, 4, 2), "1.08"),
        (utc(2026, 4, 4, 12), date(2026, 4, 2), "1.08"),
        (utc(2026, 4, 6, 23, 59), date(2026, 4, 2), "1.08"),
        (utc(2026, 4, 7, 9), date(2026, 4, 7), "1.09"),
    ],
)
def test_the_rate_as_of_an_instant_is_the_last_fixing_on_or_before_it(
    easter_file, at, fixing_date, rate
):
    rates_import(provider=EcbHistoryProvider(easter_file))

    found = rate_as_of("EUR", "USD", at)

    assert (found.fixing_date, found.rate) == (fixing_date, Decimal(rate))
    assert found.stale is False  # Easter Monday: 4 days after Thursday's fixing


def test_a_rate_more_than_four_days_old_is_stale(easter_file):
    rates_import(provider=EcbHistoryProvider(easter_file))

    assert rate_as_of("EUR", "USD", utc(2026, 4, 11, 12)).stale is False  # 4 days
    assert rate_as_of("EUR", "USD", utc(2026, 4, 12, 12)).stale is True  # 5 days


def test_cross_rates_go_through_eur(easter_file):
    rates_import(provider=EcbHistoryProvider(easter_file))

    usd_jpy = rate_as_of("USD", "JPY", date(2026, 4, 2))
    gbp_usd = rate_as_of("GBP", "USD", date(2026, 4, 2))
    usd_eur = rate_as_of("USD", "EUR", date(2026, 4, 2))

    assert usd_jpy.rate == Decimal("149.074074074074")  # 161.00 / 1.08, to 12 places
    assert gbp_usd.rate == Decimal("1.270588235294")  # 1.08 / 0.85
    assert usd_eur.rate == Decimal("0.925925925926")
    assert usd_jpy.fixing_date == date(2026, 4, 2)


def test_a_cross_rate_uses_a_day_both_currencies_were_fixed(tmp_path):
    path = tmp_path / "gap.csv"
    # No GBP rate on the 2nd: USD/GBP as of the 2nd uses the 1st for both legs.
    path.write_text("Date,USD,GBP\n2026-04-02,1.08,N/A\n2026-04-01,1.07,0.84\n")
    rates_import(provider=EcbHistoryProvider(path))

    found = rate_as_of("USD", "GBP", date(2026, 4, 2))

    assert found.fixing_date == date(2026, 4, 1)
    assert found.rate == Decimal("0.785046728972")  # 0.84 / 1.07


def test_no_fixing_before_the_instant_is_rate_unavailable(easter_file):
    rates_import(provider=EcbHistoryProvider(easter_file))

    with pytest.raises(RateUnavailable):
        rate_as_of("EUR", "USD", date(2026, 3, 31))
    with pytest.raises(RateUnavailable):
        rate_as_of("EUR", "KWD", date(2026, 4, 7))  # the ECB fixes no KWD rate


def test_another_provider_plugs_in_by_the_rate_provider_interface(db):
    from fx.providers import Fixing

    class Desk(RateProvider):
        source = "desk"

        def fixings(self, *, since=None):
            yield Fixing("EUR", "KWD", Decimal("0.3401"), date(2026, 4, 1))

    rates_import(provider=Desk())

    assert rate_as_of("EUR", "KWD", date(2026, 4, 2), source="desk").rate == Decimal("0.3401")


def test_the_rates_api_answers_the_rate_as_of_a_time(merchant, easter_file):
    rates_import(provider=EcbHistoryProvider(easter_file))

    response = client_for(merchant).get(
        "/api/v1/fx/rates", {"base": "EUR", "quote": "USD", "at": "2026-04-04T10:00:00Z"}
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "object": "fx_rate",
        "base": "EUR",
        "quote": "USD",
        "rate": "1.08",
        "fixing_date": "2026-04-02",
        "source": "ecb",
        "stale": False,
    }


def test_the_rates_api_takes_a_date_and_answers_that_days_fixing(merchant, easter_file):
    rates_import(provider=EcbHistoryProvider(easter_file))

    response = client_for(merchant).get(
        "/api/v1/fx/rates", {"base": "USD", "quote": "EUR", "at": "2026-04-07"}
    )

    assert response.json()["fixing_date"] == "2026-04-07"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"base": "EUR", "quote": "XYZ"}, 400, "invalid_currency"),
        ({"base": "EUR", "quote": "USD", "at": "yesterday"}, 400, "invalid"),
        ({"base": "EUR", "quote": "USD", "when": "2026-04-01"}, 400, "unknown_parameter"),
        ({"base": "EUR", "quote": "USD", "at": "2020-01-01"}, 404, "rate_unavailable"),
    ],
)
def test_the_rates_api_refuses_bad_questions_field_by_field(
    merchant, easter_file, params, status, code
):
    rates_import(provider=EcbHistoryProvider(easter_file))

    response = client_for(merchant).get("/api/v1/fx/rates", params)

    assert response.status_code == status, response.json()
    body = response.json()
    assert code in {body["code"], *(e["code"] for e in body.get("errors", []))}


def test_platform_staff_set_a_merchants_fx_terms_in_the_admin(login, platform_user, merchant):
    from django.urls import reverse

    client = login(platform_user)
    response = client.post(
        reverse("admin:payments_merchant_change", args=[merchant.pk]),
        {
            "name": merchant.name,
            "country": "US",
            "default_currency": "USD",
            "settlement_delay_days": "2",
            "settlement_currency": "USD",
            "accepted_currencies": ["EUR", "USD"],
            "fx_markup_bps": "150",
            "cross_border_fee_bps": "100",
            "fx_refuse_expired_quotes": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    merchant.refresh_from_db()
    assert merchant.settlement_currency == "USD"
    assert merchant.accepted_currencies == ["EUR", "USD"]
    assert (merchant.fx_markup_bps, merchant.cross_border_fee_bps) == (150, 100)


def test_a_merchant_with_an_unsupported_settlement_currency_is_refused(db):
    from payments.errors import ValidationFailed
    from payments.services import merchant_create

    with pytest.raises(ValidationFailed) as caught:
        merchant_create(name="Acme", settlement_currency="XYZ", fx_markup_bps=5000)

    assert {e.field for e in caught.value.errors} == {"settlement_currency", "fx_markup_bps"}


def test_fx_import_new_only_loads_just_the_fixings_after_the_latest_stored(easter_file, tmp_path):
    older = tmp_path / "older.csv"
    older.write_text(EASTER_CSV.replace("2026-04-07,1.0900,162.10,0.8600,\n", ""))
    rates_import(provider=EcbHistoryProvider(older))
    RateSnapshot.objects.filter(fixing_date=date(2026, 4, 2), quote="USD").update(rate="1.5")

    call_command("fx_import", str(easter_file), "--new-only", stdout=io.StringIO())

    # The 7th was new; the 2nd (stored, even if changed since) was not read again.
    assert RateSnapshot.objects.filter(fixing_date=date(2026, 4, 7)).count() == 3
    assert rate_as_of("EUR", "USD", date(2026, 4, 2)).rate == Decimal("1.5")
    assert RateSnapshot.objects.count() == 9
