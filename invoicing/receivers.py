"""What invoicing does when the payment core (or billing) records an event, inside the event's
transaction: keep the ledger's receivable equal to what the invoice says is due, apply a
captured pay-link order to its invoice, record a refund of its payment made outside a credit
note as a credit note (and a refund that failed as the customer's credit), and tell the merchant a pay-link payment failed.

Receivers run under the caller's row locks: each returns at once for events it does not need.
"""

from __future__ import annotations

from backoffice.on_commit import send_on_commit_batched
from billing.models import Invoice
from payments.models import Event

from .models import HostedInvoice, InvoiceOrder
from .services.credit_notes import credit_note_for_refund, credit_note_refund_failed
from .services.ledger_entries import InvoiceDue, ledger_invoices_sync
from .services.paylinks import invoice_order_paid, invoice_payment_failed

# The invoice's own states that leave something due (and so on the customer's receivable).
_DUE_STATES = ("open", "uncollectible")
_NOT_A_CHANGE = ("invoice.payment_failed", "invoice.upcoming")


def on_events_recorded(sender, events: list[Event], **kwargs) -> None:
    # invoice.payment_failed changes nothing due; invoice.upcoming previews an invoice to come.
    changed = [
        event
        for event in events
        if event.object_type == "invoice"
        and event.type not in _NOT_A_CHANGE
        and event.data["status"] != "draft"  # nothing is owed before finalize
    ]
    if changed:
        _invoices_changed(changed)
    # Paid orders naming an invoice in their metadata: only a pay link's order is applied by
    # invoicing (a renewal's order is billing's), and the links are found in one read.
    paid = {
        event.object_id
        for event in events
        if event.type == "order.paid" and (event.data.get("metadata") or {}).get("invoice")
    }
    if paid:
        # A link is written with its order, before it can be paid: a plain read finds it.
        paid &= set(
            InvoiceOrder.objects.filter(order__public_id__in=paid).values_list(
                "order__public_id", flat=True
            )
        )
    for event in events:
        if event.type == "order.paid":
            if event.object_id in paid:
                invoice_order_paid(order_id=event.object_id)
        elif event.object_type != "invoice":
            _payment_core_event(event)


def _payment_core_event(event: Event) -> None:
    if event.type == "refund.created" and event.data.get("order"):
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


def _invoices_changed(events: list[Event]) -> None:
    """The invoices' pay links, the closing of their orders and their receivables, for a batch of
    invoice events in a few statements (a batch of renewals records hundreds)."""
    # The invoices' rows and their merchants' ids, in one read.
    rows = Invoice.objects.filter(public_id__in={e.data["id"] for e in events}).values_list(
        "public_id", "pk", "merchant__public_id"
    )
    found = {public_id: (pk, merchant) for public_id, pk, merchant in rows}
    ended = [found[e.data["id"]][0] for e in events if e.type in ("invoice.paid", "invoice.voided")]
    if ended:
        from .tasks import invoices_orders_close_task

        send_on_commit_batched(invoices_orders_close_task, ended)
    # Every finalized invoice gets its pay link, those billing opens by itself too; an
    # invoice that has its link already is skipped by the INSERT.
    HostedInvoice.objects.bulk_create(
        [HostedInvoice(invoice_id=found[e.data["id"]][0]) for e in events
         if e.type == "invoice.finalized"],
        ignore_conflicts=True,
    )  # fmt: skip
    ledger_invoices_sync(
        [
            InvoiceDue(
                invoice_id=e.data["id"],
                customer_id=e.data["customer"],
                merchant_id=found[e.data["id"]][1],
                currency=e.data["currency"],
                due=e.data["amount_remaining"] if e.data["status"] in _DUE_STATES else 0,
                description=f"{e.type} {e.data.get('number') or e.data['id']}",
                key=f"invoice-event:{e.public_id}",
            )
            for e in events
        ]
    )
