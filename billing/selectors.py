"""Reads: a merchant's customers and their saved payment methods, in one mode."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.errors import NotFound
from payments.models import Merchant

from .models import (
    ChargeAttempt,
    Customer,
    Invoice,
    PaymentMethod,
    Price,
    Subscription,
    TestClock,
)


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


def subscription_list(*, merchant: Merchant, livemode: bool) -> QuerySet[Subscription]:
    """Return the merchant's subscriptions in the mode, newest first, with what they show."""
    return (
        Subscription.objects.filter(merchant=merchant, livemode=livemode)
        .select_related("customer", "price", "payment_method")
        .order_by("-created", "-id")
    )


def subscription_get(*, merchant: Merchant, livemode: bool, subscription_id: str) -> Subscription:
    """Return the merchant's subscription; raise ``NotFound`` for any other."""
    found = subscription_list(merchant=merchant, livemode=livemode).filter(
        public_id=subscription_id
    )
    subscription = found.first()
    if subscription is None:
        raise NotFound("No such subscription.")
    return subscription


def charge_attempt_list(*, subscription: Subscription) -> QuerySet[ChargeAttempt]:
    """Return the subscription's charge attempts, oldest first."""
    return (
        ChargeAttempt.objects.filter(subscription=subscription)
        .select_related("invoice", "payment_method")
        .order_by("attempted_at", "id")
    )


def test_clock_list(*, merchant: Merchant, livemode: bool) -> QuerySet[TestClock]:
    """Return the merchant's test clocks (none in live mode), newest first."""
    if livemode:
        return TestClock.objects.none()
    return TestClock.objects.filter(merchant=merchant).order_by("-created", "-id")


def test_clock_get(*, merchant: Merchant, livemode: bool, clock_id: str) -> TestClock:
    """Return the merchant's test clock; raise ``NotFound`` for any other (and in live mode)."""
    clock = test_clock_list(merchant=merchant, livemode=livemode).filter(public_id=clock_id)
    found = clock.first()
    if found is None:
        raise NotFound("No such test clock.")
    return found


test_clock_list.__test__ = False
test_clock_get.__test__ = False


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
