from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision

from payments.money import (
    CURRENCIES,
    Currency,
    UnknownCurrency,
    currency_get,
    exponent,
    format_amount,
    to_major,
    to_minor,
)

REQUIRED = "USD EUR GBP JPY KWD CHF CAD AUD SEK NOK DKK SGD HKD INR BHD JOD OMR".split()


def test_table_holds_the_required_currencies():
    assert set(REQUIRED) <= set(CURRENCIES)


@pytest.mark.parametrize("code", sorted(CURRENCIES))
def test_table_rows_are_consistent(code):
    currency = CURRENCIES[code]
    assert currency.code == code
    assert 0 < currency.min_amount < currency.max_amount


@pytest.mark.parametrize("code", sorted(CURRENCIES))
def test_exponents_agree_with_babel(code):
    """format_amount relies on Babel writing as many decimals as the table's exponent."""
    assert get_currency_precision(code) == exponent(code)


@pytest.mark.parametrize(("code", "expected"), [("JPY", 0), ("USD", 2), ("KWD", 3), ("BHD", 3)])
def test_exponent_comes_from_the_table(code, expected):
    assert exponent(code) == expected


def test_currency_get_returns_the_row():
    assert currency_get("EUR") == Currency("EUR", 2, 50, 99_999_999, 30)


@pytest.mark.parametrize("code", ["XXX", "usd", "", None])
def test_unknown_currency_is_a_key_error_that_names_it(code):
    with pytest.raises(KeyError) as excinfo:
        currency_get(code)
    assert isinstance(excinfo.value, UnknownCurrency)
    assert repr(code) in str(excinfo.value)
    assert excinfo.value.args == (code,)  # what `except KeyError as e: e.args[0]` reads


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1200, "JPY", "¥1,200"),
        (12500, "KWD", "KWD12.500"),
        (123456, "USD", "$1,234.56"),
        (5, "USD", "$0.05"),
        (1, "BHD", "BHD0.001"),
    ],
)
def test_format_amount_uses_the_currency_decimals(amount, currency, expected):
    assert format_amount(amount, currency).replace("\xa0", " ") == expected


def test_format_amount_follows_the_locale():
    assert format_amount(123456, "EUR", locale="de_DE").replace("\xa0", " ") == "1.234,56 €"


@pytest.mark.parametrize("amount", [12.5, "1250", True, Decimal("1250")])
def test_format_amount_refuses_anything_but_int(amount):
    with pytest.raises(TypeError):
        format_amount(amount, "USD")


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("12.50", "USD", 1250),
        ("12.5", "USD", 1250),
        ("12", "USD", 1200),
        ("1200", "JPY", 1200),
        ("12.5", "KWD", 12500),
        ("0.001", "KWD", 1),
        (" 7.00 ", "EUR", 700),
        (Decimal("99.99"), "GBP", 9999),
        ("-1.25", "USD", -125),
    ],
)
def test_to_minor_converts_exactly(value, currency, expected):
    assert to_minor(value, currency) == expected


@pytest.mark.parametrize(
    ("value", "currency"),
    [("12.345", "USD"), ("1.5", "JPY"), ("0.0001", "KWD"), ("abc", "USD"), ("", "USD"),
     ("NaN", "USD"), ("Infinity", "USD")],
)  # fmt: skip
def test_to_minor_rejects_what_is_not_an_exact_amount(value, currency):
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the cause
        to_minor(value, currency)


@pytest.mark.parametrize("value", [12.5, 1250, None])
def test_to_minor_refuses_floats_and_non_text(value):
    with pytest.raises(TypeError):
        to_minor(value, "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [(1250, "USD", "12.50"), (1200, "JPY", "1200"), (12500, "KWD", "12.500"), (0, "USD", "0.00")],
)
def test_to_major_keeps_the_currency_decimals(amount, currency, expected):
    result = to_major(amount, currency)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize("code", sorted(CURRENCIES))
def test_to_minor_inverts_to_major(code):
    assert to_minor(to_major(123456, code), code) == 123456


@pytest.mark.parametrize(
    ("value", "currency", "message"),
    [
        ("abc", "USD", "not a decimal number: 'abc'"),
        ("NaN", "USD", "not a finite amount: 'NaN'"),
        ("1e19", "JPY", "not an amount, too large: '1e19'"),
        ("12.345", "USD", "USD amounts have at most 2 decimal places: '12.345'"),
        ("1.5", "JPY", "JPY amounts have at most 0 decimal places: '1.5'"),
    ],
)
def test_to_minor_says_why_an_amount_is_refused(value, currency, message):
    with pytest.raises(ValueError) as excinfo:
        to_minor(value, currency)
    assert str(excinfo.value) == message


def test_to_minor_takes_the_largest_amount_a_column_holds_and_refuses_one_digit_more():
    assert to_minor("1" + "0" * 18, "JPY") == 10**18  # 19 digits: 18 after the first
    with pytest.raises(ValueError):
        to_minor("1" + "0" * 19, "JPY")


@pytest.mark.parametrize(("value", "name"), [(12.5, "float"), (None, "NoneType"), (7, "int")])
def test_to_minor_names_the_type_it_refuses(value, name):
    with pytest.raises(TypeError) as excinfo:
        to_minor(value, "USD")
    assert str(excinfo.value) == f"amount must be a decimal string or Decimal, not {name}"


@pytest.mark.parametrize(("amount", "name"), [(12.5, "float"), ("1250", "str"), (True, "bool")])
def test_to_major_names_the_type_it_refuses(amount, name):
    with pytest.raises(TypeError) as excinfo:
        to_major(amount, "USD")
    assert str(excinfo.value) == f"amount must be an int in minor units, not {name}"
