"""A labelled synthetic history: good customers, stolen-card bursts and card-testing runs.

Test mode only. Each generated payment carries the features a real evaluation would have
stored (countries, velocity, e-mail) drawn so that the scenarios look like themselves: card
testers try many small amounts with many cards from a few addresses and are mostly declined;
stolen cards buy larger baskets, often from another country than the card's, in bursts on one
card; good customers buy everyday amounts at home. Fraud is what was captured in the two bad
scenarios (a stolen card's charge is later disputed as fraud).
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from django.db import transaction

from payments.errors import ValidationFailed
from payments.validation import FieldError

from .. import scoring
from ..geo import DISPOSABLE_EMAIL_DOMAINS
from ..models import SyntheticPayment

COUNT_MAX = 1_000_000
BATCH = 5000
_COUNTRIES = ["US", "US", "US", "GB", "DE", "FR", "CA"]
_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "example.com"]


def _good(rng: random.Random) -> tuple[dict, bool, bool]:
    country = rng.choice(_COUNTRIES)
    amount = max(100, int(math.exp(rng.gauss(math.log(4000), 0.9))))
    features = {
        "amount": amount,
        "card_country": country,
        "ip_country": country if rng.random() < 0.95 else rng.choice(_COUNTRIES),
        "email_domain": rng.choice(_DOMAINS),
        "card_attempts_1h": int(rng.random() < 0.1),
        "ip_declines_1h": int(rng.random() < 0.05),
        "ip_distinct_cards_1h": 1,
        "email_distinct_cards_1d": 1,
    }
    captured = rng.random() > 0.05
    return features, captured, False


def _stolen(rng: random.Random) -> tuple[dict, bool, bool]:
    card_country = rng.choice(_COUNTRIES)
    amount = rng.randint(15000, 250000)
    features = {
        "amount": amount,
        "card_country": card_country,
        "ip_country": rng.choice(["NG", "RU", "BR", "DE"]) if rng.random() < 0.7 else card_country,
        "email_domain": rng.choice(sorted(DISPOSABLE_EMAIL_DOMAINS))
        if rng.random() < 0.35
        else rng.choice(_DOMAINS),
        "card_attempts_1h": rng.randint(0, 5),
        "ip_declines_1h": rng.randint(0, 3),
        "ip_distinct_cards_1h": rng.randint(1, 3),
        "email_distinct_cards_1d": rng.randint(1, 4),
    }
    captured = rng.random() > 0.2
    return features, captured, captured


def _testing(rng: random.Random) -> tuple[dict, bool, bool]:
    features = {
        "amount": rng.randint(50, 300),
        "card_country": rng.choice(_COUNTRIES),
        "ip_country": rng.choice(["US", "NG", "RU", "VN"]),
        "email_domain": rng.choice(sorted(DISPOSABLE_EMAIL_DOMAINS)),
        "card_attempts_1h": 0,
        "ip_declines_1h": rng.randint(3, 40),
        "ip_distinct_cards_1h": rng.randint(4, 60),
        "email_distinct_cards_1d": rng.randint(1, 30),
    }
    captured = rng.random() > 0.85
    return features, captured, captured


_SCENARIOS = (
    (SyntheticPayment.Scenario.GOOD, 0.93, _good),
    (SyntheticPayment.Scenario.STOLEN_CARD, 0.03, _stolen),
    (SyntheticPayment.Scenario.CARD_TESTING, 0.04, _testing),
)


def _one(rng: random.Random, currency: str) -> tuple[str, dict, bool, bool]:
    draw, total = rng.random(), 0.0
    scenario, make = _SCENARIOS[0][0], _SCENARIOS[0][2]
    for name, share, maker in _SCENARIOS:
        total += share
        if draw < total:
            scenario, make = name, maker
            break
    features, captured, fraud = make(rng)
    domain = features["email_domain"]
    features.update(
        currency=currency,
        method="card",
        livemode=False,
        card_brand="visa",
        card_bin="424242",
        email=f"shopper{rng.randint(1, 10**6)}@{domain}",
        email_disposable=domain in DISPOSABLE_EMAIL_DOMAINS,
        ip=f"192.0.2.{rng.randint(1, 254)}",
        ip_attempts_1h=features["ip_declines_1h"] + rng.randint(0, 2),
        card_declines_1h=min(features["card_attempts_1h"], rng.randint(0, 2)),
    )
    features["risk_score"] = scoring.score(scoring.BUILT_IN, features)[0]
    return scenario, features, captured, fraud


def history_generate(
    *,
    merchant,
    count: int,
    since: datetime,
    until: datetime,
    currency: str = "USD",
    seed: int = 0,
) -> int:
    """Write ``count`` labelled synthetic payments spread over [since, until); return count."""
    if not 1 <= count <= COUNT_MAX:
        raise ValidationFailed([FieldError("count", "invalid", f"Between 1 and {COUNT_MAX}.")])
    if until <= since:
        raise ValidationFailed([FieldError("until", "invalid", "Must be after since.")])
    rng = random.Random(seed)
    span = (until - since).total_seconds()
    written = 0
    while written < count:
        rows = []
        for _ in range(min(BATCH, count - written)):
            scenario, features, captured, fraud = _one(rng, currency)
            rows.append(
                SyntheticPayment(
                    merchant=merchant,
                    livemode=False,
                    created=since + timedelta(seconds=rng.random() * span),
                    amount=features["amount"],
                    currency=currency,
                    captured=captured,
                    fraud=fraud,
                    scenario=scenario,
                    features=features,
                )
            )
        with transaction.atomic():
            SyntheticPayment.objects.bulk_create(rows, batch_size=1000)
        written += len(rows)
    return written
