"""The payment service provider's core: what the checkout, the REST API and the admin call.

Merchants create orders; shoppers pay them with a card, an e-wallet or a bank transfer; the
payment is validated, routed to an institution, verified by OTP when the institution asks,
authorized and captured (automatically or by the merchant), refunded and expired. Every state
change writes an event, and every money movement a balanced ledger entry, in one transaction.
"""

from .captures import (
    authorizations_expire,
    payment_abandon_by_shopper,
    payment_cancel,
    payment_capture,
)
from .card_saving import (
    card_authentication_check,
    card_save_consent_record,
    payment_card_save,
)
from .checked import MethodInput
from .events import event_record
from .merchants import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    merchant_create,
    merchant_fixed_fee_set,
    staff_membership_grant,
)
from .one_call import payment_create_with_order
from .orders import order_cancel, order_create, orders_expire
from .otp import otp_challenge_current, otp_resend, otp_verify
from .payments import attempts_reconcile, authorization_apply, payment_create
from .refunds import (
    refund_check,
    refund_create,
    refund_process,
    refunds_reserved,
    refunds_sweep,
)
from .sandbox import SandboxReset, sandbox_reset
from .saved import payment_create_saved
from .transfers import bank_transfer_simulate, bank_transfers_expire

__all__ = [
    "MethodInput",
    "SandboxReset",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "attempts_reconcile",
    "authorization_apply",
    "authorizations_expire",
    "bank_transfer_simulate",
    "card_authentication_check",
    "card_save_consent_record",
    "bank_transfers_expire",
    "event_record",
    "merchant_create",
    "merchant_fixed_fee_set",
    "order_cancel",
    "order_create",
    "orders_expire",
    "otp_challenge_current",
    "otp_resend",
    "otp_verify",
    "payment_abandon_by_shopper",
    "payment_cancel",
    "payment_capture",
    "payment_card_save",
    "payment_create",
    "payment_create_saved",
    "payment_create_with_order",
    "refund_check",
    "refund_create",
    "refund_process",
    "refunds_reserved",
    "refunds_sweep",
    "sandbox_reset",
    "staff_membership_grant",
]
