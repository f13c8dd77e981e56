"""The fast evaluator of rules gives cel-python's answer on every payment, errors included."""

import random

import pytest
from celpy import CELEvalError, celtypes

from risk.expressions import FEATURES, activation, compiled, plain

EXPRESSIONS = [
    "card_country != ip_country && amount > 100000",
    "amount >= 5000 || card_attempts_1h > 3",
    '!(ip_country in ["US", "CA"]) && amount > 2000',
    "amount / ip_declines_1h > 100",  # division by zero on most payments: an error, not a match
    "amount % 7 == 3 || -amount < -250000",
    'email.endsWith(".ru") || email_domain.contains("mail") || ip.startsWith("203.")',
    "size(email) > 15 && email_disposable",
    'ip_declines_1h > 2 ? card_country == "US" : amount > 150000',
    '(amount / 100) * 3 - 7 > 4000 && method == "card"',
    "amount / ip_declines_1h > 1 || amount > 200000",  # an error absorbed by ||
    "amount > 100000 && amount % ip_declines_1h == 0",  # an error on the right of a false &&
    "amount % ip_declines_1h == 0 && amount < 100",  # an error on the left of a false &&
]


def random_features(rng: random.Random) -> dict:
    return plain(
        {
            "amount": rng.choice([0, 99, 5000, 100001, 250000, rng.randint(1, 400000)]),
            "card_country": rng.choice(["US", "DE", ""]),
            "ip_country": rng.choice(["US", "CA", "DE", ""]),
            "email": rng.choice(["a@b.ru", "ada@gmail.com", "x@mailinator.com", ""]),
            "email_domain": rng.choice(["b.ru", "gmail.com", "mailinator.com", ""]),
            "email_disposable": rng.random() < 0.3,
            "ip": rng.choice(["203.0.113.9", "192.0.2.1", ""]),
            "card_attempts_1h": rng.randint(0, 6),
            "ip_declines_1h": rng.choice([0, 0, 1, 3, 7]),
            "method": rng.choice(["card", "wallet"]),
        }
    )


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_fast_and_cel_python_agree(expression):
    rule = compiled(expression)
    assert rule.fast is not None, "this expression should take the fast path"
    rng = random.Random(expression)
    for _ in range(150):
        values = random_features(rng)
        try:
            expected = rule.program.evaluate(activation(values))
        except CELEvalError:
            expected = None
        expected = expected if isinstance(expected, celtypes.BoolType) else None  # an error
        try:
            got = rule.fast(values)
        except Exception:  # noqa: BLE001
            got = None
        assert got == (bool(expected) if expected is not None else None), values


def test_beyond_the_subset_cel_python_runs_it():
    assert compiled('["x.com"].exists(d, d == email_domain)').fast is None
    assert set(FEATURES) >= compiled('email.matches("^a")').names
