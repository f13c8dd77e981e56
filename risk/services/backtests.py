"""Backtests: a rule replayed over the payments of a period, measured against what happened.

The payments are the merchant's evaluations of the mode in [since, until) (the features stored
when each was screened) and, in test mode, the synthetic history of the same period. A payment is
fraud when it was later refunded with the reason ``fraudulent`` or disputed as ``fraudulent``
(synthetic ones carry their label). The answer: how many the rule would have matched (blocked,
sent to review...), how many of those were fraud, precision (fraud among matched) and recall
(matched among fraud), the fraud amount it would have stopped and the good volume it would have
lost, per currency.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime

from django.db.models import Exists, OuterRef, Q

from payments.errors import ValidationFailed
from payments.models import Payment, Refund
from payments.validation import FieldError

from ..expressions import FEATURES, compiled, matches, plain
from ..models import Evaluation, Rule, SyntheticPayment

CHUNK = 5000


def _fraud_labels():
    refunded = Refund.objects.filter(payment_id=OuterRef("payment_id"), reason__iexact="fraudulent")
    label = Exists(refunded)
    try:
        from ..models import Dispute
    except ImportError:
        return label
    disputed = Dispute.objects.filter(payment_id=OuterRef("payment_id"), reason="fraudulent")
    return label | Exists(disputed)


def _rows(*, merchant_id: int, livemode: bool, since: datetime, until: datetime):
    """Yield (features, amount, currency, captured, fraud) of every payment of the period."""
    period = Q(created__gte=since, created__lt=until, merchant_id=merchant_id, livemode=livemode)
    real = (
        Evaluation.objects.filter(period)
        .annotate(fraud=_fraud_labels())
        .values_list("features", "payment__amount", "payment__currency", "payment__status", "fraud")
        .order_by()
    )
    for features, amount, currency, status, fraud in real.iterator(chunk_size=CHUNK):
        yield features, amount, currency, status in Payment.CAPTURED_STATES, fraud
    synthetic = (
        SyntheticPayment.objects.filter(period)
        .values_list("features", "amount", "currency", "captured", "fraud")
        .order_by()
    )
    yield from synthetic.iterator(chunk_size=CHUNK)


def _values_builder(expression: str):
    """Return a function turning stored features into what the rule reads (only those it
    reads when it runs on the fast path)."""
    rule = compiled(expression)
    if rule.fast is None:
        return plain
    names = [(n, FEATURES[n][0]) for n in rule.names]

    def only(features: dict) -> dict:
        out = {}
        for name, kind in names:
            value = features.get(name)
            out[name] = kind() if value is None else kind(value)
        return out

    return only


def backtest_run(*, rule: Rule, since: datetime, until: datetime) -> dict:
    """Replay ``rule`` (its current version) over [since, until) and measure it."""
    if until <= since:
        raise ValidationFailed([FieldError("until", "invalid", "until must be after since.")])
    started = time.perf_counter()
    values_of = _values_builder(rule.expression)
    totals = defaultdict(int)
    saved, lost = defaultdict(int), defaultdict(int)
    rows = _rows(merchant_id=rule.merchant_id, livemode=rule.livemode, since=since, until=until)
    for features, amount, currency, captured, fraud in rows:
        totals["payments"] += 1
        totals["fraud"] += bool(fraud)
        hit, error = matches(rule.expression, values_of(features))
        totals["errors"] += bool(error)
        if not hit:
            continue
        totals["matched"] += 1
        if fraud:
            totals["matched_fraud"] += 1
            saved[currency] += amount
        elif captured:
            lost[currency] += amount
    matched, fraud = totals["matched"], totals["fraud"]
    return {
        "object": "risk_backtest",
        "rule": {**rule.api_data(), "object": "risk_rule"},
        "since": since.isoformat().replace("+00:00", "Z"),
        "until": until.isoformat().replace("+00:00", "Z"),
        "payments": totals["payments"],
        "fraud_payments": fraud,
        "matched": matched,
        "would_have": _would_have(rule.action),
        "matched_fraud": totals["matched_fraud"],
        "precision": round(totals["matched_fraud"] / matched, 4) if matched else None,
        "recall": round(totals["matched_fraud"] / fraud, 4) if fraud else None,
        "fraud_amount_stopped": dict(saved),
        "good_volume_lost": dict(lost),
        "errors": totals["errors"],
        "duration_ms": round((time.perf_counter() - started) * 1000),
    }


def _would_have(action: str) -> str:
    return {
        Rule.Action.BLOCK: "blocked",
        Rule.Action.REVIEW: "sent_to_review",
        Rule.Action.REQUEST_OTP: "asked_for_otp",
        Rule.Action.ALLOW: "allowed",
    }[action]
