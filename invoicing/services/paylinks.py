"""Paying an invoice through its pay link: an order of the payment core per attempt, and the
capture of that order applied to the invoice.

Lock order: the payment core captures under its order and payment locks and then (in the
``event_recorded`` receiver) locks the invoice; nothing here locks an order while it holds an
invoice, except a new order nobody else can see yet.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from billing.models import Invoice
from billing.services import invoice_payment_apply
from billing.services.invoices import invoice_lock
from payments.errors import InvalidTransition, ValidationFailed
from payments.models import Order
from payments.services import event_record, order_cancel, order_create
from payments.validation import FieldError

from ..models import CustomerBalanceTransaction, InvoiceOrder
from .balances import customer_balance_change
from .drafts import hosted_for, hosted_invoice_url

logger = logging.getLogger(__name__)

# An order about to expire is not handed out again: the payer needs time to pay it.
_REUSE_MARGIN = timedelta(minutes=10)
# Orders of one invoice pending at once: whoever holds the link cannot make orders without end.
PENDING_ORDERS_MAX = 10


def invoice_payable(invoice: Invoice) -> bool:
    return can_proceed(invoice.pay) and invoice.amount_remaining > 0


def invoice_pay_start(*, invoice: Invoice, amount: int | None = None) -> Order:
    """Return the order that pays ``amount`` of the invoice (all that remains by default).

    A pending order of the invoice for that amount is handed out again (a reload or a second
    click makes no second order); otherwise a new one is made, returning to the pay link.
    """
    with transaction.atomic():
        invoice = invoice_lock(invoice)
        if not invoice_payable(invoice):
            raise InvalidTransition(f"This invoice is {invoice.status}: nothing is to be paid.")
        remaining = invoice.amount_remaining
        amount = remaining if amount is None else amount
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= remaining:
            raise ValidationFailed(
                [FieldError("amount", "invalid_amount", "Pay more than 0 and at most what is due.")]
            )
        reusable = (
            InvoiceOrder.objects.filter(
                invoice=invoice,
                amount=amount,
                order__status=Order.Status.PENDING,
                order__expires_at__gt=timezone.now() + _REUSE_MARGIN,
            )
            .select_related("order")
            .order_by("-id")
            .first()
        )
        if reusable is not None:
            return reusable.order
        pending = InvoiceOrder.objects.filter(invoice=invoice, order__status=Order.Status.PENDING)
        if pending.count() >= PENDING_ORDERS_MAX:
            raise ValidationFailed(
                [
                    FieldError(
                        "amount",
                        "too_many_payments",
                        "Several payments of this invoice are already started: continue one.",
                    )
                ]
            )
        attempt = invoice.pay_orders.count() + 1
        order = order_create(
            merchant=invoice.merchant,
            livemode=invoice.livemode,
            amount=amount,
            currency=invoice.currency,
            reference=f"{invoice.number}/{attempt}",
            description=f"Invoice {invoice.number}",
            customer_email=invoice.customer.email,
            return_url=hosted_invoice_url(hosted_for(invoice)),
            metadata={"invoice": invoice.public_id},
        )
        InvoiceOrder.objects.create(
            invoice=invoice, order=order, amount=amount, currency=invoice.currency
        )
    return order


def invoice_order_paid(*, order_id: str) -> None:
    """Apply a captured pay-link order to its invoice, once. What the invoice no longer needs
    (it was paid meanwhile, voided, or the payer paid more than due) becomes the customer's
    credit balance. Called inside the capture's transaction."""
    link = (
        InvoiceOrder.objects.select_for_update(of=("self",))
        .select_related("invoice__customer__merchant", "order")
        .filter(order__public_id=order_id)
        .first()
    )
    if link is None or link.applied_at is not None:
        return
    invoice = invoice_lock(link.invoice)
    amount = link.order.amount
    if can_proceed(invoice.pay):
        record = invoice_payment_apply(invoice=invoice, amount=amount, reference=order_id)
        excess, kind = record.excess, CustomerBalanceTransaction.Kind.OVERPAYMENT
    else:
        excess, kind = amount, CustomerBalanceTransaction.Kind.UNAPPLIED_PAYMENT
    if excess:
        logger.info(
            "invoice %s: %s of order %s to the customer's balance", invoice.pk, excess, order_id
        )
        customer_balance_change(
            customer=invoice.customer,
            currency=invoice.currency,
            amount=excess,
            kind=kind,
            reference=f"order:{order_id}",
            invoice=invoice,
        )
    link.applied_at = timezone.now()
    link.save(update_fields=["applied_at"])


def invoice_orders_close(*, invoice_pks: list[int]) -> int:
    """Cancel the pending orders of invoices that are paid or void, so that no one pays them
    again through an old checkout link; return how many. An order whose payment is under way
    (a bank transfer awaited) is left: if that money comes, it goes to the customer's balance.
    Orders left behind expire with their deadline anyway."""
    closed = 0
    pending = InvoiceOrder.objects.filter(
        invoice_id__in=invoice_pks, order__status=Order.Status.PENDING
    )
    for link in pending.select_related("order"):
        try:
            order_cancel(order=link.order)
        except InvalidTransition:
            continue  # paid, expired or with a payment in progress meanwhile
        closed += 1
    return closed


def invoice_payment_failed(*, order_id: str, decline_code: str) -> None:
    """Record ``invoice.payment_failed`` when a payment of a pay-link order is declined."""
    link = InvoiceOrder.objects.filter(order__public_id=order_id).select_related("invoice").first()
    if link is None:
        return
    invoice = invoice_lock(link.invoice)
    data = invoice.api_data() | {"last_payment_error": {"order": order_id, "code": decline_code}}
    event_record(obj=invoice, type="invoice.payment_failed", data=data)
