"""Customers: a merchant's customer in one mode; deleting one keeps the row."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from payments.errors import NotFound, ValidationFailed
from payments.models import Merchant
from payments.services import event_record
from payments.validation import FieldError, validate_metadata

from ..models import Customer, PaymentMethod, Subscription, TestClock
from .clocks import billing_now
from .lifecycle import subscription_lock
from .schedule import subscription_cancel_locked

NAME_MAX = Customer._meta.get_field("name").max_length
EMAIL_MAX = Customer._meta.get_field("email").max_length
_UNSET = object()


def _customer_errors(*, email, name, metadata) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(email, str) or len(email) > EMAIL_MAX:
        errors.append(FieldError("email", "invalid_email", "Enter a valid e-mail."))
    elif email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.append(FieldError("email", "invalid_email", "Enter a valid e-mail."))
    if not isinstance(name, str) or len(name) > NAME_MAX:
        errors.append(FieldError("name", "too_long", f"A name has at most {NAME_MAX} characters."))
    errors += validate_metadata(metadata)
    return errors


def customer_create(
    *,
    merchant: Merchant,
    livemode: bool = False,
    email: str = "",
    name: str = "",
    metadata: dict | None = None,
    test_clock: str | None = None,
) -> Customer:
    """Create a customer of the merchant in the mode and record ``customer.created``.

    ``test_clock`` (a ``clock_`` id, test mode only) puts the customer in that clock's time.
    """
    metadata = {} if metadata is None else metadata
    errors = _customer_errors(email=email, name=name, metadata=metadata)
    clock = None
    if test_clock is not None:
        clock = TestClock.objects.filter(merchant=merchant, public_id=test_clock).first()
        if clock is None or livemode:
            errors.append(FieldError("test_clock", "resource_missing", "No such test clock."))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        customer = Customer.objects.create(
            merchant=merchant,
            livemode=livemode,
            email=email,
            name=name,
            metadata=metadata,
            test_clock=clock,
        )
        event_record(obj=customer, type="customer.created", sequence=1)
    return customer


def _customer_lock(customer: Customer) -> Customer:
    locked = (
        Customer.objects.select_for_update().filter(pk=customer.pk, deleted_at__isnull=True).first()
    )
    if locked is None:
        raise NotFound("No such customer.")
    return locked


def customer_update(*, customer: Customer, email=_UNSET, name=_UNSET, metadata=_UNSET) -> Customer:
    """Change the given fields; record ``customer.updated`` when something changed."""
    changes = {
        k: v
        for k, v in (("email", email), ("name", name), ("metadata", metadata))
        if v is not _UNSET
    }
    errors = _customer_errors(
        email=changes.get("email", ""),
        name=changes.get("name", ""),
        metadata=changes.get("metadata", {}),
    )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        customer = _customer_lock(customer)
        changed = [k for k, v in changes.items() if getattr(customer, k) != v]
        if changed:
            for k in changed:
                setattr(customer, k, changes[k])
            customer.save(update_fields=[*changed, "updated"])
            event_record(obj=customer, type="customer.updated")
    return customer


def customer_delete(*, customer: Customer) -> Customer:
    """Delete the customer (kept as a row, no longer listed). Its subscriptions not ended yet
    (active, trialing, past due, paused, and incomplete or unpaid) are canceled now, each with
    ``customer.subscription.deleted`` and its open invoices voided, then its payment methods are
    detached. History stays: invoices, payments and the ended subscriptions keep their rows."""
    with transaction.atomic():
        customer = _customer_lock(customer)
        now = timezone.now()
        live = Subscription.objects.filter(customer=customer).exclude(
            status=Subscription.Status.CANCELED
        )
        for pk in live.order_by("pk").values_list("pk", flat=True):
            # Canceled at the customer's own time (its test clock's, if any), as billing is.
            subscription_cancel_locked(
                subscription=subscription_lock(pk), now=billing_now(customer)
            )
        for method in PaymentMethod.objects.select_for_update().filter(
            customer=customer, detached_at__isnull=True
        ):
            payment_method_detach_locked(method, now=now)
        customer.deleted_at = now
        customer.save(update_fields=["deleted_at", "updated"])
        event_record(obj=customer, type="customer.deleted")
    return customer


def payment_method_detach_locked(method: PaymentMethod, *, now) -> None:
    """Detach a method whose row the caller holds locked; record ``payment_method.detached``."""
    method.detached_at = now
    method.save(update_fields=["detached_at"])
    method.passkeys.all().delete()  # a passkey verifies the holder of this card only
    event_record(obj=method, type="payment_method.detached")
