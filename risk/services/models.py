"""Which score model a merchant's payments are scored by."""

from __future__ import annotations

from ..models import ScoreModel
from ..scoring import BUILT_IN, Model


def model_current(*, merchant_id: int, livemode: bool) -> Model:
    """Return the merchant's newest trained model of the mode, else the built-in one."""
    row = (
        ScoreModel.objects.filter(merchant_id=merchant_id, livemode=livemode)
        .only("version", "intercept", "weights")
        .first()
    )
    if row is None:
        return BUILT_IN
    return Model(version=row.version, intercept=row.intercept, weights=dict(row.weights))
