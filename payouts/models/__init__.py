"""Bulk payouts (recipients, batches, items) and bulk charges (batches, items)."""

from .charges import ChargeBatch, ChargeItem
from .payouts import PayoutBatch, PayoutItem, Recipient

__all__ = ["ChargeBatch", "ChargeItem", "PayoutBatch", "PayoutItem", "Recipient"]
