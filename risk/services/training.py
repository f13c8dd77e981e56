"""Fitting the score's logistic regression to a merchant's labelled history.

The rows are those a backtest reads (evaluations labelled by fraud refunds and disputes, and the
synthetic history); at most ``SAMPLE`` of them, drawn evenly. Newton's method (iteratively
reweighted least squares) with a small ridge penalty converges in a few passes without numpy:
each pass is one sweep accumulating a 9×9 system, solved by Gaussian elimination.
"""

from __future__ import annotations

import math
import random
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from payments.errors import ValidationFailed
from payments.validation import FieldError

from .. import scoring
from ..models import ScoreModel
from .backtests import _rows

SAMPLE = 20000
PASSES = 12
RIDGE = 1.0


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for r in range(n):
            if r != col and a[r][col]:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] / a[i][i] if abs(a[i][i]) > 1e-12 else 0.0 for i in range(n)]


def fit(samples: list[tuple[list[float], int]]) -> list[float]:
    """Return [intercept, weights...] maximising the penalised log-likelihood."""
    size = len(samples[0][0]) + 1
    beta = [0.0] * size
    for _ in range(PASSES):
        hessian = [[RIDGE if i == j and i else 0.0 for j in range(size)] for i in range(size)]
        gradient = [-RIDGE * b if i else 0.0 for i, b in enumerate(beta)]
        for x, y in samples:
            row = [1.0, *x]
            z = sum(b * v for b, v in zip(beta, row, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(min(z, 35.0), -35.0)))
            w = max(p * (1 - p), 1e-6)
            for i in range(size):
                gradient[i] += (y - p) * row[i]
                hi, wr = hessian[i], w * row[i]
                for j in range(i, size):
                    hi[j] += wr * row[j]
        for i in range(size):
            for j in range(i):
                hessian[i][j] = hessian[j][i]
        step = _solve(hessian, gradient)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta


def model_train(
    *, merchant, livemode: bool, since: datetime, until: datetime, seed: int = 0
) -> ScoreModel:
    """Fit a model to the period's labelled payments and store it (it scores from now on)."""
    rows = list(_rows(merchant_id=merchant.pk, livemode=livemode, since=since, until=until))
    frauds = sum(1 for row in rows if row[4])
    if frauds < 10 or len(rows) - frauds < 10:
        raise ValidationFailed(
            [FieldError("since", "too_few_labels", "Training needs 10 fraud and 10 good payments.")]
        )
    rng = random.Random(seed)
    chosen = rows if len(rows) <= SAMPLE else rng.sample(rows, SAMPLE)
    samples = [
        ([scoring.vector(features)[name] for name in scoring.INPUTS], int(bool(fraud)))
        for features, *_, fraud in chosen
    ]
    beta = fit(samples)
    model = scoring.Model(
        version="", intercept=beta[0], weights=dict(zip(scoring.INPUTS, beta[1:], strict=True))
    )
    flagged = [
        (scoring.probability(model, dict(zip(scoring.INPUTS, x, strict=True))), y)
        for x, y in samples
    ]
    hits = [y for p, y in flagged if p >= 0.75]
    with transaction.atomic():
        return ScoreModel.objects.create(
            merchant=merchant,
            livemode=livemode,
            version=f"trained-{timezone.now():%Y%m%d%H%M%S}",
            intercept=model.intercept,
            weights=model.weights,
            training={
                "payments": len(rows),
                "sample": len(samples),
                "fraud": frauds,
                "precision_at_75": round(sum(hits) / len(hits), 4) if hits else None,
                "recall_at_75": round(sum(hits) / max(sum(y for _, y in flagged), 1), 4),
            },
        )
