"""Writes of invoicing: drafts and their terms, finalizing with a pay link, paying through the
payment core, credit notes, customer balances, sending and reminders."""

from .balances import customer_balance_amount, customer_balance_change
from .credit_notes import credit_note_create, credit_note_for_refund
from .drafts import (
    hosted_for,
    hosted_invoice_url,
    invoice_close,
    invoice_draft_create,
    invoice_draft_update,
    invoice_open,
)
from .paylinks import (
    invoice_order_paid,
    invoice_orders_close,
    invoice_pay_start,
    invoice_payable,
    invoice_payment_failed,
)
from .reminders import invoice_reminders_sweep
from .sending import invoice_email_deliver, invoice_send

__all__ = [
    "credit_note_create",
    "credit_note_for_refund",
    "customer_balance_amount",
    "customer_balance_change",
    "hosted_for",
    "hosted_invoice_url",
    "invoice_close",
    "invoice_draft_create",
    "invoice_draft_update",
    "invoice_email_deliver",
    "invoice_open",
    "invoice_order_paid",
    "invoice_orders_close",
    "invoice_pay_start",
    "invoice_payable",
    "invoice_payment_failed",
    "invoice_reminders_sweep",
    "invoice_send",
]
