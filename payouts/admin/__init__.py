"""Back office of bulk payouts and bulk charges, scoped to the staff member's merchants."""

from .charge_batches import ChargeBatchAdmin, ChargeItemAdmin
from .payout_batches import PayoutBatchAdmin, PayoutItemAdmin, RecipientAdmin

__all__ = [
    "ChargeBatchAdmin",
    "ChargeItemAdmin",
    "PayoutBatchAdmin",
    "PayoutItemAdmin",
    "RecipientAdmin",
]
