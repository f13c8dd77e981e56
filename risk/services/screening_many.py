"""Screening a batch of payments (renewals) in a few queries, with the single screening's rules.

Each payment is decided by ``screening.screened`` as ``payment_screen`` decides it, one after
the other, with the counts it would read then: the stored velocity counts, read once for the
batch, plus the batch's earlier attempts (``velocity.Batch``). The list entries of every payment
are read in one query, the attempts written in one, the evaluations inserted in one.

A card-testing block the guard adds in the middle of a batch is not seen by the batch's later
payments (a renewal has no shopper address and its own order, so the guard's sources never
reach its thresholds).
"""

from __future__ import annotations

from payments.screening import Verdict

from .. import velocity
from ..context import shopper_current
from ..features import base_features, velocity_keys
from ..models import Evaluation
from . import lists
from .screening import screened


def payment_screen_many(*, items: list[tuple]) -> list[Verdict]:
    """``payment_screen`` of each ``(payment, order, card)``; return the verdicts in order."""
    verdicts: list[Verdict | None] = [None] * len(items)
    groups: dict[tuple[int, bool], list[int]] = {}
    for i, (payment, _, _) in enumerate(items):
        groups.setdefault((payment.merchant_id, payment.livemode), []).append(i)
    evaluations = []
    shopper = shopper_current()
    for (merchant_id, livemode), indexes in groups.items():
        features = [
            base_features(payment=items[i][0], order=items[i][1], card=items[i][2], shopper=shopper)
            for i in indexes
        ]
        keys = [list(velocity_keys(f).values()) for f in features]
        batch = velocity.Batch(
            merchant_id=merchant_id,
            livemode=livemode,
            keys=[k for ks in keys for k in ks],
            cards=[f["card_fingerprint"] for f in features],
        )
        entries = lists.entries_matching_many(
            merchant_id=merchant_id, livemode=livemode, features=features
        )
        for n, i in enumerate(indexes):
            payment = items[i][0]
            evaluation, verdicts[i] = screened(
                payment=payment,
                features=features[n],
                counts=batch.counts(keys[n]),
                entries=entries[n],
            )
            batch.attempt(keys=keys[n], card=features[n]["card_fingerprint"], ref=payment.public_id)
            evaluations.append(evaluation)
        batch.record()
    Evaluation.objects.bulk_create(evaluations)
    return verdicts
