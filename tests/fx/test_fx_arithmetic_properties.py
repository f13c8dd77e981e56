"""Properties of the conversion arithmetic (hypothesis): round trips, exact splits, rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fx.arithmetic import allocate, bps_of, convert, convert_share, rate_quantize
from payments.money import CURRENCIES, exponent

CODES = sorted(CURRENCIES)
amounts = st.integers(min_value=1, max_value=10**12)
# Rates of real magnitudes, 1 unit of A in units of B: 0.0001 (IDR-like) to 10000.
rates = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("10000"), places=6, allow_nan=False
).filter(lambda r: r > 0)


# Every property runs with deadline=None: the machines these run on are shared, and a slow
# example is not a wrong one.


def minor_unit_ratio(rate: Decimal, a: str, b: str) -> Decimal:
    """How many minor units of B one minor unit of A is worth."""
    return rate * Decimal(10) ** (exponent(b) - exponent(a))


@settings(deadline=None)
@given(amount=amounts, rate=rates, a=st.sampled_from(CODES), b=st.sampled_from(CODES))
def test_a_round_trip_drifts_by_at_most_one_minor_unit(amount, rate, a, b):
    """A→B→A at a rate and its inverse comes back within one minor unit of A, whenever B's
    minor unit is no coarser than three of A's (so B can carry A's precision at all)."""
    rate = rate_quantize(rate)
    assume(minor_unit_ratio(rate, a, b) >= Decimal("0.34"))
    there = convert(amount, rate=rate, from_exponent=exponent(a), to_exponent=exponent(b))
    back_rate = Decimal(1) / rate
    back = convert(there, rate=back_rate, from_exponent=exponent(b), to_exponent=exponent(a))
    assert abs(back - amount) <= 1


@settings(deadline=None)
@given(amount=amounts, rate=rates, a=st.sampled_from(CODES), b=st.sampled_from(CODES))
def test_a_round_trip_through_a_coarser_currency_drifts_by_at_most_half_its_unit(
    amount, rate, a, b
):
    """Through a coarser currency the bound is what one unit of it is worth in A: a round trip
    cannot keep what the middle currency has no unit for (nor lose more)."""
    rate = rate_quantize(rate)
    there = convert(amount, rate=rate, from_exponent=exponent(a), to_exponent=exponent(b))
    back = convert(
        there, rate=Decimal(1) / rate, from_exponent=exponent(b), to_exponent=exponent(a)
    )
    half_b_in_a = Decimal("0.5") / minor_unit_ratio(rate, a, b)
    assert abs(back - amount) <= half_b_in_a + 1


@settings(deadline=None)
@given(
    parts=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=30),
    rate=rates,
    a=st.sampled_from(CODES),
    b=st.sampled_from(CODES),
)
def test_the_conversions_of_the_parts_of_a_total_add_up_to_the_total_converted(parts, rate, a, b):
    """Refunds in any parts convert back to exactly what the capture converted to."""
    rate = rate_quantize(rate)
    exps = {"from_exponent": exponent(a), "to_exponent": exponent(b)}
    shares, before = [], 0
    for part in parts:
        shares.append(convert_share(before=before, amount=part, rate=rate, **exps))
        before += part
    assert sum(shares) == convert(sum(parts), rate=rate, **exps)
    assert all(share >= 0 for share in shares)


@settings(deadline=None)
@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40).filter(
        any
    ),
)
def test_line_allocations_sum_exactly_to_the_total(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - Decimal(total) * weight / whole) < 1  # each within a unit of its share


@settings(deadline=None)
@given(amount=st.integers(min_value=0, max_value=10**15), bps=st.integers(0, 10_000))
def test_basis_points_round_half_even_to_the_minor_unit(amount, bps):
    exact = Decimal(amount) * bps / 10_000
    result = bps_of(amount, bps)
    assert abs(result - exact) <= Decimal("0.5")
    if abs(result - exact) == Decimal("0.5"):
        assert result % 2 == 0


@pytest.mark.parametrize(
    ("amount", "rate", "source", "target", "expected"),
    [
        # JPY has no minor unit: 12.35 USD at 150.2 is 1854.97 yen → ¥1855.
        (1235, "150.2", "USD", "JPY", 1855),
        # Exactly half a yen rounds to even: 0.50 USD at 1 is ¥0.5 → ¥0; 1.50 → ¥2.
        (50, "1", "USD", "JPY", 0),
        (150, "1", "USD", "JPY", 2),
        (250, "1", "USD", "JPY", 2),
        # KWD has three decimals: 100.00 USD at 0.30715 is 30.715 KWD, kept to the fils.
        (10000, "0.30715", "USD", "KWD", 30715),
        # Half a fils rounds to even: 0.01 USD at 0.05 is 0.5 fils → 0; 0.03 → 1.5 fils → 2.
        (1, "0.05", "USD", "KWD", 0),
        (3, "0.05", "USD", "KWD", 2),
        # ¥1000 at 0.0020441 KWD is 2.0441 KWD → 2.044.
        (1000, "0.0020441", "JPY", "KWD", 2044),
        # KWD into JPY: 1.234 KWD at 489.7 is 604.2898 → ¥604.
        (1234, "489.7", "KWD", "JPY", 604),
    ],
)
def test_jpy_and_kwd_round_half_even_to_their_minor_units(amount, rate, source, target, expected):
    result = convert(
        amount,
        rate=Decimal(rate),
        from_exponent=exponent(source),
        to_exponent=exponent(target),
    )
    assert result == expected


@settings(deadline=None)
@given(amount=amounts, rate=rates)
def test_a_jpy_conversion_is_within_half_a_yen_of_the_exact_value(amount, rate):
    result = convert(amount, rate=rate, from_exponent=2, to_exponent=0)
    exact = Decimal(amount) * rate / 100
    assert abs(result - exact) <= Decimal("0.5")


@settings(deadline=None)
@given(amount=amounts, rate=rates)
def test_a_kwd_conversion_is_within_half_a_fils_of_the_exact_value(amount, rate):
    result = convert(amount, rate=rate, from_exponent=2, to_exponent=3)
    exact = Decimal(amount) * rate * 10
    assert abs(result - exact) <= Decimal("0.5")


def test_a_float_is_never_an_amount():
    with pytest.raises(TypeError):
        convert(10.0, rate=Decimal(1), from_exponent=2, to_exponent=2)  # type: ignore[arg-type]
