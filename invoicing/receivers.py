"""What invoicing does when the payment core (or billing) records an event, inside the event's
transaction: keep the ledger's receivable equal to what the invoice says is due, apply a
captured pay-link order to its invoice, record a refund of its payment made outside a credit
note as a credit note (and a refund that failed as the customer's credit), and tell the merchant a pay-link payment failed.

Receivers run under the caller's row locks: each returns at once for events it does not need.
"""

from __future__ import annotations

from backoffice.on_commit import send_on_commit
from billing.models import Invoice
from payments.models import Event

from .models import HostedInvoice
from .services.credit_notes import credit_note_for_refund, credit_note_refund_failed
from .services.ledger_entries import ledger_invoice_sync
from .services.paylinks import invoice_order_paid, invoice_payment_failed

# The invoice's own states that leave something due (and so on the customer's receivable).
_DUE_STATES = ("open", "uncollectible")
_NOT_A_CHANGE = ("invoice.payment_failed", "invoice.upcoming")


def on_event_recorded(sender, event: Event, **kwargs) -> None:
    # invoice.payment_failed changes nothing due; invoice.upcoming previews an invoice to come.
    if event.object_type == "invoice" and event.type not in _NOT_A_CHANGE:
        _invoice_changed(event)
    elif event.type == "order.paid" and (event.data.get("metadata") or {}).get("invoice"):
        invoice_order_paid(order_id=event.object_id)
    elif event.type == "refund.created" and event.data.get("order"):
        # A refund made through the payments API or the back office of a pay-link payment.
        credit_note_for_refund(
            order_id=event.data["order"],
            refund_id=event.object_id,
            amount=event.data["amount"],
            reason=event.data.get("reason") or "",
        )
    elif event.type == "refund.failed" and event.data.get("order"):
        # Not paid back: the credit note's refund becomes the customer's credit balance.
        credit_note_refund_failed(
            order_id=event.data["order"], refund_id=event.object_id, amount=event.data["amount"]
        )
    elif event.type == "payment.declined" and event.data.get("order"):
        invoice_payment_failed(
            order_id=event.data["order"], decline_code=event.data.get("decline_code") or ""
        )


def _invoice_changed(event: Event) -> None:
    data = event.data
    if data["status"] == "draft":
        return  # nothing is owed before finalize
    # The invoice's row and its merchant's id, in one read.
    invoice_pk, merchant_id = Invoice.objects.values_list("pk", "merchant__public_id").get(
        public_id=data["id"]
    )
    if event.type in ("invoice.paid", "invoice.voided"):
        from .tasks import invoice_orders_close_task

        send_on_commit(invoice_orders_close_task, invoice_pk)
    if event.type == "invoice.finalized":
        # Every finalized invoice gets its pay link, those billing opens by itself too.
        # One INSERT that does nothing when the invoice has its link already.
        HostedInvoice.objects.bulk_create(
            [HostedInvoice(invoice_id=invoice_pk)], ignore_conflicts=True
        )
    due = data["amount_remaining"] if data["status"] in _DUE_STATES else 0
    ledger_invoice_sync(
        invoice_id=data["id"],
        customer_id=data["customer"],
        merchant_id=merchant_id,
        currency=data["currency"],
        due=due,
        description=f"{event.type} {data.get('number') or data['id']}",
        key=f"invoice-event:{event.public_id}",
    )
