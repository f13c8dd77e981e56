from dataclasses import FrozenInstanceError
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from payments.money import CURRENCIES
from payments.validation import (
    METHOD_CURRENCIES,
    CardData,
    FieldError,
    card_brand,
    luhn_valid,
    mask_pan,
    normalize_pan,
    validate_amount,
    validate_card,
    validate_metadata,
    validate_wallet,
)

TODAY = date(2026, 3, 15)


def check_digit(payload: str) -> str:
    """Return the Luhn check digit of `payload`, computed independently of the code under test."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # doubled: the check digit will shift it to an odd position
            digit = sum(divmod(digit * 2, 10))
        total += digit
    return str((10 - total % 10) % 10)


def card(**overrides):
    fields = {
        "number": "4242 4242 4242 4242",
        "exp_month": 12,
        "exp_year": 2030,
        "cvc": "123",
        "holder_name": "Ada Lovelace",
        "today": TODAY,
    }
    return validate_card(**{**fields, **overrides})


def codes(errors: list[FieldError]) -> dict[str, str]:
    return {error.field: error.code for error in errors}


# --- Luhn ---------------------------------------------------------------------------------------

BRAND_PREFIXES = [
    ("4", 16), ("4", 13), ("4", 19), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
    ("34", 15), ("37", 15), ("6011", 16), ("644", 19), ("65", 16), ("3528", 16), ("3589", 19),
    ("62", 16), ("62", 19), ("300", 14), ("36", 14), ("39", 19),
]  # fmt: skip


@st.composite
def valid_pans(draw, prefixes=BRAND_PREFIXES):
    prefix, length = draw(st.sampled_from(prefixes))
    middle = draw(st.text("0123456789", min_size=length - len(prefix) - 1, max_size=19))
    payload = (prefix + middle)[: length - 1]
    return payload + check_digit(payload)


any_pans = st.builds(
    lambda payload: payload + check_digit(payload),
    st.text("0123456789", min_size=11, max_size=18),
)


@pytest.mark.parametrize(
    "pan",
    ["4242424242424242", "5555555555554444", "2223003122003222", "378282246310005", "79927398713"],
)
def test_known_numbers_pass_luhn(pan):
    assert luhn_valid(pan)


@pytest.mark.parametrize("pan", ["4242424242424241", "79927398710", "", "4242 4242", "42a2"])
def test_wrong_numbers_and_non_digits_fail_luhn(pan):
    assert not luhn_valid(pan)


@given(any_pans)
def test_a_computed_check_digit_passes_luhn(pan):
    assert luhn_valid(pan)


@given(any_pans, st.data())
def test_every_single_digit_change_fails_luhn(pan, data):
    position = data.draw(st.integers(0, len(pan) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != pan[position]]))
    assert not luhn_valid(pan[:position] + digit + pan[position + 1 :])


@given(any_pans, st.data())
def test_every_adjacent_transposition_fails_luhn_except_09(pan, data):
    """Luhn catches every swap of two different neighbouring digits but one: 09 <-> 90.

    Doubling 9 gives 18 -> 1 + 8 = 9 and doubling 0 gives 0, so both orders add 9 to the sum.
    """
    position = data.draw(st.integers(0, len(pan) - 2))
    pair = pan[position : position + 2]
    assume(pair[0] != pair[1] and set(pair) != {"0", "9"})
    swapped = pan[:position] + pair[::-1] + pan[position + 2 :]
    assert not luhn_valid(swapped)


def test_luhn_misses_the_09_transposition():
    pan = "409000000000000" + check_digit("409000000000000")
    swapped = "490" + pan[3:]
    assert luhn_valid(pan)
    assert luhn_valid(swapped)


@given(valid_pans())
def test_every_generated_brand_pan_validates(pan):
    result, errors = card(number=pan, cvc="1234" if pan[:2] in ("34", "37") else "123")
    assert errors == []
    assert result.brand == card_brand(pan) is not None
    assert result.number == pan


# --- brands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "brand"),
    [
        ("4242424242424242", "visa"),
        ("4", "visa"),
        ("5105105105105100", "mastercard"),
        ("55", "mastercard"),
        ("2221000000000009", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("2720", "mastercard"),
        ("2220", None),
        ("2721", None),
        ("50", None),
        ("56", None),
        ("378282246310005", "amex"),
        ("34", "amex"),
        ("6011111111111117", "discover"),
        ("644", "discover"),
        ("649", "discover"),
        ("643", None),
        ("650", "discover"),
        ("3528", "jcb"),
        ("3566002020360505", "jcb"),
        ("3589", "jcb"),
        ("3527", None),
        ("3590", None),
        ("6200000000000005", "unionpay"),
        # The Discover co-brand block is issued by UnionPay: UnionPay wins.
        ("622126", "unionpay"),
        ("622925", "unionpay"),
        ("300", "diners"),
        ("305", "diners"),
        ("306", None),
        ("36227206271667", "diners"),
        ("38", "diners"),
        ("39", "diners"),
        ("1234", None),
        ("", None),
        ("4x", None),
    ],
)
def test_card_brand_by_bin_range(digits, brand):
    assert card_brand(digits) == brand


def test_normalize_pan_removes_spaces_and_dashes_only():
    assert normalize_pan("4242 4242-4242 4242") == "4242424242424242"
    assert normalize_pan("4242.4242") == "4242.4242"


# --- cards --------------------------------------------------------------------------------------


def test_valid_card_is_normalized():
    result, errors = card(number=" 4242-4242 4242 4242 ", exp_month="03", exp_year="26")
    assert errors == []
    assert result == CardData(
        number="4242424242424242",
        brand="visa",
        first6="424242",
        last4="4242",
        exp_month=3,
        exp_year=2026,
        cvc="123",
        holder_name="Ada Lovelace",
    )
    assert result.masked_number == "424242******4242"


def test_card_repr_shows_neither_number_nor_cvc():
    result, _ = card(number="4000056655665556", cvc="987", holder_name="Grace Hopper")
    shown = repr(result) + str(result)
    assert "4000056655665556" not in shown
    assert "987" not in shown
    assert "Grace" not in shown
    assert "665556"[-4:] in shown  # last4 may be shown


def test_card_data_is_frozen():
    result, _ = card()
    with pytest.raises(FrozenInstanceError):
        result.cvc = "000"


def test_two_series_mastercard_is_accepted():
    result, errors = card(number="2223003122003222")
    assert errors == []
    assert result.brand == "mastercard"


def test_amex_takes_a_four_digit_cvc():
    result, errors = card(number="378282246310005", cvc="1234")
    assert errors == []
    assert (result.brand, result.cvc) == ("amex", "1234")


def test_amex_refuses_a_three_digit_cvc():
    assert codes(card(number="378282246310005", cvc="123")[1]) == {"card.cvc": "invalid_cvc"}


@pytest.mark.parametrize("cvc", ["1234", "12", "12a", 123, "1 23"])
def test_visa_needs_a_three_digit_cvc(cvc):
    assert codes(card(cvc=cvc)[1]) == {"card.cvc": "invalid_cvc"}


@pytest.mark.parametrize("cvc", ["123", "1234"])
def test_without_a_valid_number_either_cvc_length_is_plausible(cvc):
    assert codes(card(number="1234", cvc=cvc)[1]) == {"card.number": "incomplete_number"}


@pytest.mark.parametrize("cvc", ["", "   ", None])
def test_a_missing_cvc_is_required_not_invalid(cvc):
    assert codes(card(cvc=cvc)[1]) == {"card.cvc": "required"}


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4242 4242 4242 4241", "invalid_number"),  # Luhn
        ("4242.4242.4242.4242", "invalid_number"),
        ("4242a42424242424", "invalid_number"),
        ("４２４２４２４２４２４２４２４２", "invalid_number"),  # full-width digits
        ("424242424242", "incomplete_number"),  # visa needs 13
        ("42424242424242", "invalid_number"),  # 14: no visa length
        ("42424242424242428", "invalid_number"),  # 17: no visa length
        ("37828224631000", "incomplete_number"),  # amex needs 15
        ("3782822463100005", "invalid_number"),  # amex is 15, not 16
        ("55555555555544440", "invalid_number"),  # mastercard is 16
        ("12345678903", "incomplete_number"),  # unknown brand needs 12
        ("12345678901234567894", "invalid_number"),  # 20 digits
        (4242424242424242, "invalid_number"),
        ("", "required"),
        ("   ", "required"),
        (None, "required"),
    ],
)
def test_bad_numbers_are_named(number, code):
    assert codes(card(number=number)[1]) == {"card.number": code}


def test_unknown_brand_is_accepted_at_twelve_digits_with_luhn():
    result, errors = card(number="123456789015")
    assert errors == []
    assert result.brand is None
    assert result.masked_number == "********9015"


def test_card_expired_last_month_is_refused():
    assert codes(card(exp_month=2, exp_year=2026)[1]) == {"card.exp_month": "expired_card"}


def test_card_expiring_this_month_is_valid_through_its_last_day():
    assert card(exp_month=3, exp_year=2026, today=date(2026, 3, 31))[1] == []
    assert codes(card(exp_month=3, exp_year=2026, today=date(2026, 4, 1))[1]) == {
        "card.exp_month": "expired_card"
    }


@pytest.mark.parametrize(
    ("exp_month", "exp_year", "year"),
    [(3, 26, 2026), ("3", "26", 2026), ("03", "2026", 2026), (12, "76", 2076), (1, 2030, 2030)],
)
def test_expiry_years_of_two_digits_are_in_this_century(exp_month, exp_year, year):
    result, errors = card(exp_month=exp_month, exp_year=exp_year)
    assert errors == []
    assert result.exp_year == year


@pytest.mark.parametrize(
    ("exp_month", "exp_year", "expected"),
    [
        (0, 2030, {"card.exp_month": "invalid_expiry"}),
        (13, 2030, {"card.exp_month": "invalid_expiry"}),
        ("1a", 2030, {"card.exp_month": "invalid_expiry"}),
        (True, 2030, {"card.exp_month": "invalid_expiry"}),
        (1.0, 2030, {"card.exp_month": "invalid_expiry"}),
        (12, "203", {"card.exp_year": "invalid_expiry"}),
        (12, "20300", {"card.exp_year": "invalid_expiry"}),
        (12, 2090, {"card.exp_year": "invalid_expiry"}),  # more than 50 years ahead
        (12, 1999, {"card.exp_month": "expired_card"}),
        ("", 2030, {"card.exp_month": "required"}),
        (12, None, {"card.exp_year": "required"}),
        (13, "x", {"card.exp_month": "invalid_expiry", "card.exp_year": "invalid_expiry"}),
    ],
)
def test_bad_expiry_dates_are_named(exp_month, exp_year, expected):
    assert codes(card(exp_month=exp_month, exp_year=exp_year)[1]) == expected


EXPIRED = {"card.exp_month": "expired_card"}
BAD_YEAR = {"card.exp_year": "invalid_expiry"}


@pytest.mark.parametrize(
    ("exp_year", "today", "expected"),
    [
        (0, TODAY, EXPIRED),  # 2000
        (99, date(2060, 1, 1), 2099),
        (100, date(2060, 1, 1), BAD_YEAR),
        (999, TODAY, BAD_YEAR),
        (1000, TODAY, EXPIRED),  # the year 1000
        (9999, date(9990, 1, 1), 9999),
        (10000, date(9990, 1, 1), BAD_YEAR),
    ],
)
def test_a_whole_number_year_is_20xx_to_99_itself_from_1000_to_9999_and_nothing_else(
    exp_year, today, expected
):
    result, errors = card(exp_month=12, exp_year=exp_year, today=today)
    if isinstance(expected, dict):
        assert codes(errors) == expected
    else:
        assert errors == [] and result.exp_year == expected


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("  José   O'Brien-Müller Jr. ", "José O'Brien-Müller Jr."),
        ("Jose\u0301", "José"),  # combining accent composed to one letter
        ("A" * 100, "A" * 100),
    ],
)
def test_holder_names_are_normalized(raw, normalized):
    result, errors = card(holder_name=raw)
    assert errors == []
    assert result.holder_name == normalized


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("A" * 101, "invalid_holder_name"),
        ("R2D2", "invalid_holder_name"),
        ("<script>", "invalid_holder_name"),
        ("Ada\tLovelace", "invalid_holder_name"),
        ("Ada\nLovelace", "invalid_holder_name"),
        ("Ada\u200bLovelace", "invalid_holder_name"),  # zero-width space
        (".-'", "invalid_holder_name"),
    ],
)
def test_bad_holder_names_are_named(raw, code):
    assert codes(card(holder_name=raw)[1]) == {"card.holder_name": code}


def test_every_card_field_error_is_collected():
    result, errors = card(number="4242", exp_month=13, exp_year=2030, cvc="1", holder_name="")
    assert result is None
    assert codes(errors) == {
        "card.number": "incomplete_number",
        "card.exp_month": "invalid_expiry",
        "card.cvc": "invalid_cvc",
        "card.holder_name": "required",
    }
    assert all(error.message for error in errors)


def test_messages_are_human_text():
    [error] = card(number="4242424242424241")[1]
    assert error.message == "Your card number is invalid."


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "masked"),
    [
        (16, "424242******4242"),
        (15, "424242*****4242"),
        (19, "424242*********4242"),
        (13, "424242***4242"),
        (12, "********4242"),
    ],
)
def test_mask_pan_shows_at_most_first6_and_last4(length, masked):
    assert mask_pan("424242", "4242", length) == masked


@pytest.mark.parametrize(
    ("first6", "last4", "length"),
    [("4242424", "4242", 16), ("424242", "42424", 16), ("42424x", "4242", 16), ("424242", "4242", 11),
     ("424242", "4242", 20)],
)  # fmt: skip
def test_mask_pan_refuses_what_would_show_more(first6, last4, length):
    with pytest.raises(ValueError):  # noqa: PT011 - one error type for all bad input
        mask_pan(first6, last4, length)


@given(valid_pans())
def test_masked_pan_never_shows_more_than_ten_digits(pan):
    result, _ = card(number=pan, cvc="1234" if pan[:2] in ("34", "37") else "123")
    masked = result.masked_number
    assert len(masked) == len(pan)
    assert sum(char.isdigit() for char in masked) <= 10
    assert masked.endswith(pan[-4:])


# --- wallets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("+12345678", "+12345678"),  # 8 digits
        ("+123456789012345", "+123456789012345"),  # 15 digits
    ],
)
def test_wallet_phone_is_normalized_to_e164(raw, normalized):
    assert validate_wallet(phone=raw) == (normalized, [])


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        (None, "required"),
        ("4155552671", "invalid_phone"),  # no country code
        ("+1234567", "invalid_phone"),  # 7 digits
        ("+1234567890123456", "invalid_phone"),  # 16 digits
        ("+0441234567", "invalid_phone"),  # country codes do not start with 0
        ("+44.20.7946.0958", "invalid_phone"),
        ("++442079460958", "invalid_phone"),
        ("+44 20 7946 095a", "invalid_phone"),
        (442079460958, "invalid_phone"),
    ],
)
def test_bad_wallet_phones_are_named(raw, code):
    phone, errors = validate_wallet(phone=raw)
    assert phone is None
    assert codes(errors) == {"wallet.phone": code}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (" ", "Enter your phone number."),
        ("4155552671", "Enter your phone number with its country code, e.g. +44 20 7946 0958."),
    ],
)
def test_a_bad_wallet_phone_tells_the_shopper_what_to_type(raw, message):
    [error] = validate_wallet(phone=raw)[1]
    assert error.message == message


# --- amounts ------------------------------------------------------------------------------------


def amount_codes(**kwargs) -> dict[str, str]:
    return codes(validate_amount(**kwargs))


@pytest.mark.parametrize(
    ("amount", "currency"), [(1000, "USD"), (50, "USD"), (99_999_999, "USD"), (1200, "JPY")]
)
def test_amounts_within_limits_are_valid(amount, currency):
    assert validate_amount(amount=amount, currency=currency) == []


@pytest.mark.parametrize("amount", [12.5, 1000.0, "1000", True, False, 0, -100])
def test_amount_must_be_a_positive_int(amount):
    assert amount_codes(amount=amount, currency="USD") == {"amount": "invalid_amount"}


def test_one_minor_unit_is_a_positive_amount_below_the_minimum():
    assert amount_codes(amount=1, currency="USD") == {"amount": "amount_too_small"}


def test_decimal_amount_is_refused():
    from decimal import Decimal

    assert amount_codes(amount=Decimal(1000), currency="USD") == {"amount": "invalid_amount"}


def test_missing_amount_is_required():
    assert amount_codes(amount=None, currency="USD") == {"amount": "required"}


@pytest.mark.parametrize("code", sorted(CURRENCIES))
def test_amount_limits_are_inclusive(code):
    low, high = CURRENCIES[code].min_amount, CURRENCIES[code].max_amount
    assert validate_amount(amount=low, currency=code) == []
    assert validate_amount(amount=high, currency=code) == []
    assert amount_codes(amount=low - 1, currency=code) == {"amount": "amount_too_small"}
    assert amount_codes(amount=high + 1, currency=code) == {"amount": "amount_too_large"}


def test_limit_messages_name_the_limit_in_major_units():
    [error] = validate_amount(amount=99, currency="KWD")
    assert error.message == "The amount must be at least 0.100 KWD."


@pytest.mark.parametrize("currency", ["XXX", "usd", "US", 840])
def test_unknown_currency_is_unsupported(currency):
    assert amount_codes(amount=1000, currency=currency) == {"currency": "unsupported_currency"}


def test_missing_currency_is_required():
    assert amount_codes(amount=1000, currency="") == {"currency": "required"}


def test_amount_and_currency_errors_are_collected_together():
    assert amount_codes(amount=1.5, currency="XXX") == {
        "amount": "invalid_amount",
        "currency": "unsupported_currency",
    }


def test_cards_take_every_currency():
    assert METHOD_CURRENCIES["card"] == frozenset(CURRENCIES)


@pytest.mark.parametrize(
    ("method", "currency"), [("bank_transfer", "KWD"), ("bank_transfer", "INR"), ("wallet", "BHD")]
)
def test_method_must_support_the_currency(method, currency):
    assert amount_codes(amount=100_000, currency=currency, method=method) == {
        "currency": "unsupported_method_currency"
    }


@pytest.mark.parametrize(
    ("method", "currency"), [("bank_transfer", "EUR"), ("wallet", "USD"), ("card", "KWD")]
)
def test_method_supporting_the_currency_is_valid(method, currency):
    assert validate_amount(amount=100_000, currency=currency, method=method) == []


def test_method_currencies_are_all_known():
    for currencies in METHOD_CURRENCIES.values():
        assert currencies <= set(CURRENCIES)


def test_unknown_method_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown payment method"):
        validate_amount(amount=1000, currency="USD", method="cash")


# --- what the shopper reads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"number": " "}, "card.number", "Enter your card number."),
        ({"number": "4242"}, "card.number", "Your card number is incomplete."),
        ({"number": "4242 4242 4242 424x"}, "card.number", "Your card number is invalid."),
        ({"exp_month": " "}, "card.exp_month", "Enter the expiry month."),
        ({"exp_month": 13}, "card.exp_month", "Your card's expiry month is invalid."),
        ({"exp_year": None}, "card.exp_year", "Enter the expiry year."),
        ({"exp_year": "20301"}, "card.exp_year", "Your card's expiry year is invalid."),
        ({"exp_year": 2025}, "card.exp_month", "Your card has expired."),
        ({"cvc": ""}, "card.cvc", "Enter your card's security code."),
        ({"cvc": "1234"}, "card.cvc", "This card's security code has 3 digits, on the back of the card."),
        (
            {"number": "3782 822463 10005", "cvc": "123"},
            "card.cvc",
            "Amex security codes have 4 digits, on the front of the card.",
        ),
        ({"number": "4242", "cvc": "12"}, "card.cvc", "Your card's security code is invalid."),
        ({"holder_name": "  "}, "card.holder_name", "Enter the name on the card."),
        ({"holder_name": "R2-D2"}, "card.holder_name", "The name on the card is invalid."),
    ],
)  # fmt: skip
def test_each_card_mistake_tells_the_shopper_what_to_fix(overrides, field, message):
    errors = [(error.field, error.message) for error in card(**overrides)[1]]
    assert (field, message) in errors


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"amount": 1000, "currency": ""}, "currency", "Enter a currency."),
        ({"amount": 1000, "currency": "XXX"}, "currency", "This currency is not supported."),
        (
            {"amount": 100_000, "currency": "KWD", "method": "bank_transfer"},
            "currency",
            "This payment method does not accept KWD.",
        ),
        ({"amount": None, "currency": "USD"}, "amount", "Enter an amount."),
        (
            {"amount": 0, "currency": "USD"},
            "amount",
            "The amount must be a positive whole number of the currency's minor unit.",
        ),
        ({"amount": 49, "currency": "USD"}, "amount", "The amount must be at least 0.50 USD."),
        (
            {"amount": 100_000_000, "currency": "JPY"},
            "amount",
            "The amount must be at most 99999999 JPY.",
        ),
    ],
)
def test_each_amount_mistake_tells_the_payer_what_to_fix(kwargs, field, message):
    assert [(e.field, e.message) for e in validate_amount(**kwargs)] == [(field, message)]


@pytest.mark.parametrize(
    ("first6", "last4", "length", "refusal"),
    [
        ("42424", "4242", 16, "first6 must be 6 digits"),
        ("424242", "424", 16, "last4 must be 4 digits"),
        ("424242", "4242", 20, "a PAN has 12 to 19 digits"),
    ],
)
def test_mask_pan_says_which_part_is_wrong(first6, last4, length, refusal):
    with pytest.raises(ValueError) as refused:  # noqa: PT011 - the message is what is checked
        mask_pan(first6, last4, length)
    assert str(refused.value) == refusal


# --- metadata -----------------------------------------------------------------------------------

METADATA_REFUSAL = (
    "Metadata holds at most 50 keys of up to 40 characters, with short scalar values."
)


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {f"k{i}": "v" for i in range(50)},
        {"k" * 40: "v" * 500},
        {"text": "a", "count": 3, "flag": False, "none": None},
    ],
)
def test_metadata_within_its_limits_is_valid(metadata):
    assert validate_metadata(metadata) == []


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{i}": "v" for i in range(51)},
        {"k" * 41: "v"},
        {"key": "v" * 501},
        {"key": 10**500},
        {1: "v"},
        {"key": 1.5},
        {"key": ["a"]},
        {"key": {"a": "b"}},
    ],
)
def test_metadata_beyond_its_limits_is_refused_with_the_limits(metadata):
    assert validate_metadata(metadata, field="order.metadata") == [
        FieldError("order.metadata", "invalid", METADATA_REFUSAL)
    ]


@pytest.mark.parametrize("metadata", [None, "text", ["a", "b"], [("k", "v")]])
def test_metadata_is_an_object(metadata):
    assert validate_metadata(metadata) == [
        FieldError("metadata", "invalid", "Metadata is an object of strings.")
    ]
