"""Reads: a merchant's customers and their saved payment methods, in one mode."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.errors import NotFound
from payments.models import Merchant

from .models import Customer, Invoice, PaymentMethod, Price


def customer_list(*, merchant: Merchant, livemode: bool) -> QuerySet[Customer]:
    """Return the merchant's customers in the mode (deleted ones left out), newest first."""
    return Customer.objects.filter(
        merchant=merchant, livemode=livemode, deleted_at__isnull=True
    ).order_by("-created", "-id")


def customer_get(*, merchant: Merchant, livemode: bool, customer_id: str) -> Customer:
    """Return the merchant's customer; raise ``NotFound`` for another's, a deleted one or none."""
    customer = customer_list(merchant=merchant, livemode=livemode).filter(public_id=customer_id)
    found = customer.first()
    if found is None:
        raise NotFound("No such customer.")
    return found


def payment_method_list(*, customer: Customer) -> QuerySet[PaymentMethod]:
    """Return the customer's attached payment methods, newest first."""
    return (
        PaymentMethod.objects.filter(customer=customer, detached_at__isnull=True)
        .select_related("customer")
        .order_by("-created", "-id")
    )


def payment_method_get(*, customer: Customer, payment_method_id: str) -> PaymentMethod:
    """Return the customer's attached method; raise ``NotFound`` otherwise."""
    method = payment_method_list(customer=customer).filter(public_id=payment_method_id).first()
    if method is None:
        raise NotFound("No such payment method.")
    return method


def price_list(*, merchant: Merchant, livemode: bool) -> QuerySet[Price]:
    """Return the merchant's prices in the mode, newest first."""
    return Price.objects.filter(merchant=merchant, livemode=livemode).order_by("-created", "-id")


def price_get(*, merchant: Merchant, livemode: bool, price_id: str) -> Price:
    """Return the merchant's price; raise ``NotFound`` for any other."""
    price = price_list(merchant=merchant, livemode=livemode).filter(public_id=price_id).first()
    if price is None:
        raise NotFound("No such price.")
    return price


def invoice_list(*, merchant: Merchant, livemode: bool) -> QuerySet[Invoice]:
    """Return the merchant's invoices in the mode, newest first, with what their answer reads."""
    return (
        Invoice.objects.filter(merchant=merchant, livemode=livemode)
        .select_related("customer", "subscription")
        .prefetch_related("lines")
        .order_by("-created", "-id")
    )


def invoice_get(*, merchant: Merchant, livemode: bool, invoice_id: str) -> Invoice:
    """Return the merchant's invoice; raise ``NotFound`` for any other."""
    invoice = invoice_list(merchant=merchant, livemode=livemode).filter(public_id=invoice_id)
    found = invoice.first()
    if found is None:
        raise NotFound("No such invoice.")
    return found
