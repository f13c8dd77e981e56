"""Merchants, orders, payments, refunds, events and the OTP challenge.

Each state machine lives on its model as a django-fsm-2 ``FSMField(protected=True)``; only
services call the transition methods, inside the atomic block that also writes the event and
the ledger entry.
"""

from .common import (
    CURRENCY_CHECK,
    new_attempt_id,
    new_checkout_token,
    new_event_id,
    new_key_id,
    new_merchant_id,
    new_order_id,
    new_payment_id,
    new_public_id,
    new_refund_id,
    new_vault_token,
)
from .events import Event, OutboxMessage
from .idempotency import IdempotencyRecord
from .merchants import ApiKey, Merchant, MerchantFixedFee, MerchantMembership
from .orders import Order
from .otp import OtpChallenge, OtpLimitCounter
from .payments import ACTIVE_PAYMENT_STATUSES, CardVault, Payment, PaymentAttempt
from .refunds import Refund
from .saving import CardSaveConsent

__all__ = [
    "ACTIVE_PAYMENT_STATUSES",
    "ApiKey",
    "CURRENCY_CHECK",
    "CardSaveConsent",
    "CardVault",
    "Event",
    "IdempotencyRecord",
    "Merchant",
    "MerchantFixedFee",
    "MerchantMembership",
    "Order",
    "OtpChallenge",
    "OtpLimitCounter",
    "OutboxMessage",
    "Payment",
    "PaymentAttempt",
    "Refund",
    "new_attempt_id",
    "new_checkout_token",
    "new_event_id",
    "new_key_id",
    "new_merchant_id",
    "new_order_id",
    "new_payment_id",
    "new_public_id",
    "new_refund_id",
    "new_vault_token",
]
