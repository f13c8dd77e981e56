"""Billing: a merchant's customers and the cards they save for later payments.

A customer belongs to one merchant and one mode. A card is saved with the holder's recorded
consent (the text shown, when, from which IP, and whether the merchant may charge it without
them: ``off_session``); its PAN goes to the payments vault and the method keeps brand, last 4,
expiry and a fingerprint under a key of the merchant's own, so the same card saved twice for a
customer is the same method. Saved cards are paid with through ``payments.saved_methods``,
which this app answers (registered in ``BillingConfig.ready``). Every change records an event.
"""

from .customers import customer_create, customer_delete, customer_update
from .invoices import (
    LineInput,
    invoice_create,
    invoice_finalize,
    invoice_mark_uncollectible,
    invoice_payment_apply,
    invoice_update,
    invoice_void,
    line_totals,
)
from .methods import (
    card_fingerprint,
    payment_method_attach,
    payment_method_detach,
    saved_method_resolve,
)
from .prices import price_create

__all__ = [
    "LineInput",
    "invoice_create",
    "invoice_finalize",
    "invoice_mark_uncollectible",
    "invoice_payment_apply",
    "invoice_update",
    "invoice_void",
    "line_totals",
    "card_fingerprint",
    "customer_create",
    "customer_delete",
    "customer_update",
    "payment_method_attach",
    "payment_method_detach",
    "price_create",
    "saved_method_resolve",
]
