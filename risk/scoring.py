"""The score: a logistic regression over a payment's features, explained in words.

``score = round(100 · σ(b + Σ wᵢ·xᵢ))``. The built-in weights below are a reasoned starting
point (a country mismatch, declines and many cards from one source raise the odds of fraud);
``manage.py risk_train`` fits the weights to a merchant's labelled history (payments later
disputed or refunded as fraud) and stores them as a ``ScoreModel``, which then replaces these.
Each feature's contribution ``wᵢ·(xᵢ − typicalᵢ)`` says how far it pushed this payment's score
up; the largest positive ones are shown in words. A merchant's rules may carry ``points``
(-100..100): the active rules that match add theirs to the model's score, clamped to 0-100, and
each is listed first among the reasons (``rule_points_add``). Rules see the model's score
(``risk_score``) before the points, so no rule depends on another's points.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from payments.money import exponent, format_amount

#: Numeric inputs of the model, computed from the features (``vector``), with their typical
#: value (a contribution is measured from it) and the words that explain them.
INPUTS: tuple[str, ...] = (
    "amount_log",
    "country_mismatch",
    "card_declines_1h",
    "ip_declines_1h",
    "ip_distinct_cards_1h",
    "email_distinct_cards_1d",
    "card_attempts_1h",
    "email_disposable",
)
TYPICAL = {"amount_log": 1.5}  # a 30.00 purchase; every other input is typically 0
CAP = 20.0  # counts above this add nothing more


@dataclass(frozen=True)
class Model:
    version: str
    intercept: float
    weights: dict[str, float] = field(default_factory=dict)


BUILT_IN = Model(
    version="builtin-1",
    intercept=-4.2,
    weights={
        "amount_log": 0.45,
        "country_mismatch": 1.8,
        "card_declines_1h": 0.6,
        "ip_declines_1h": 0.35,
        "ip_distinct_cards_1h": 0.5,
        "email_distinct_cards_1d": 0.4,
        "card_attempts_1h": 0.1,
        "email_disposable": 1.5,
    },
)


def vector(features: dict) -> dict[str, float]:
    """Return the model's inputs for a payment's ``features``."""
    amount, currency = features.get("amount", 0), features.get("currency", "USD")
    try:
        major = amount / 10 ** exponent(currency)
    except Exception:  # noqa: BLE001 - an unknown currency never reaches here; be safe anyway
        major = amount / 100
    card_c, ip_c = features.get("card_country", ""), features.get("ip_country", "")

    def count(name: str, less: int = 0) -> float:
        return float(min(max(features.get(name, 0) - less, 0), CAP))

    return {
        "amount_log": math.log10(major + 1),
        "country_mismatch": float(bool(card_c and ip_c and card_c != ip_c)),
        "card_declines_1h": count("card_declines_1h"),
        "ip_declines_1h": count("ip_declines_1h"),
        "ip_distinct_cards_1h": count("ip_distinct_cards_1h", 1),
        "email_distinct_cards_1d": count("email_distinct_cards_1d", 1),
        "card_attempts_1h": count("card_attempts_1h"),
        "email_disposable": float(bool(features.get("email_disposable"))),
    }


def probability(model: Model, x: dict[str, float]) -> float:
    z = model.intercept + sum(model.weights.get(name, 0.0) * x[name] for name in INPUTS)
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def score(model: Model, features: dict) -> tuple[int, list[dict]]:
    """Return the score 0-100 and the top three reasons it is not lower, in words."""
    x = vector(features)
    value = round(100 * probability(model, x))
    contributions = []
    for name in INPUTS:
        amount = model.weights.get(name, 0.0) * (x[name] - TYPICAL.get(name, 0.0))
        if amount > 0.05:
            contributions.append((amount, name))
    contributions.sort(reverse=True)
    reasons = [
        {"feature": name, "contribution": round(amount, 2), "text": _TEXTS[name](features)}
        for amount, name in contributions[:3]
    ]
    return value, reasons


def rule_points_add(value: int, reasons: list[dict], rules) -> tuple[int, list[dict]]:
    """Add the ``points`` of the active ``rules`` that matched to the model's score (clamped to
    0-100); return it with each rule's points first among the reasons, in words."""
    added = [rule for rule in rules if rule.points]
    total = sum(rule.points for rule in added)
    contributions = [
        {
            "feature": "rule",
            "rule": rule.public_id,
            "points": rule.points,
            "contribution": rule.points,
            "text": (
                f"The rule {rule.name!r} matched and "
                f"{'added' if rule.points > 0 else 'took off'} "
                f"{_plural(abs(rule.points), 'point')}."
            ),
        }
        for rule in sorted(added, key=lambda r: -abs(r.points))
    ]
    return max(0, min(100, value + total)), contributions + reasons


def level(value: int, *, elevated: int, highest: int) -> str:
    if value >= highest:
        return "highest"
    if value >= elevated:
        return "elevated"
    return "normal"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


_TEXTS: dict[str, Callable[[dict], str]] = {
    "amount_log": lambda f: (
        f"The amount, {format_amount(f.get('amount', 0), f.get('currency', 'USD'))}, is large."
    ),
    "country_mismatch": lambda f: (
        f"The card was issued in {f.get('card_country')} but the shopper is in "
        f"{f.get('ip_country')}."
    ),
    "card_declines_1h": lambda f: (
        f"This card was declined {_plural(f.get('card_declines_1h', 0), 'time')} in the last hour."
    ),
    "ip_declines_1h": lambda f: (
        f"{_plural(f.get('ip_declines_1h', 0), 'payment')} from this IP address were declined "
        "in the last hour."
    ),
    "ip_distinct_cards_1h": lambda f: (
        f"{_plural(f.get('ip_distinct_cards_1h', 0), 'other card')} were used from this IP "
        "address in the last hour."
    ),
    "email_distinct_cards_1d": lambda f: (
        f"{_plural(f.get('email_distinct_cards_1d', 0), 'other card')} were used with this "
        "e-mail address today."
    ),
    "card_attempts_1h": lambda f: (
        f"This card was tried {_plural(f.get('card_attempts_1h', 0), 'time')} in the last hour."
    ),
    "email_disposable": lambda f: (
        f"The e-mail address is at a throw-away provider ({f.get('email_domain')})."
    ),
}
