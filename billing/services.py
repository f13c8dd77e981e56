"""Billing: a merchant's customers and the cards they save for later payments.

A customer belongs to one merchant and one mode. A card is saved with the holder's recorded
consent (the text shown, when, from which IP, and whether the merchant may charge it without
them: ``off_session``); its PAN goes to the payments vault and the method keeps brand, last 4,
expiry and a fingerprint under a key of the merchant's own, so the same card saved twice for a
customer is the same method. Saved cards are paid with through ``payments.saved_methods``,
which this app answers (registered in ``BillingConfig.ready``). Every change records an event.
"""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from payments.errors import NotFound, ValidationFailed
from payments.models import Merchant
from payments.saved_methods import SavedCard
from payments.services import event_record
from payments.validation import FieldError, validate_amount, validate_card, validate_metadata
from payments.vault import card_store

from .models import Customer, PaymentMethod, Price
from .periods import MAX_INTERVAL_COUNT

NAME_MAX = Customer._meta.get_field("name").max_length
EMAIL_MAX = Customer._meta.get_field("email").max_length
CONSENT_TEXT_MAX = 2000
PRODUCT_NAME_MAX = Price._meta.get_field("product_name").max_length
TRIAL_DAYS_MAX = 730
_UNSET = object()


def card_fingerprint(*, merchant: Merchant, pan: str) -> str:
    """Return the HMAC-SHA256 of the PAN under a key derived for this merchant alone.

    Two merchants get different fingerprints for one card, so theirs cannot be joined. The key
    derives from ``SECRET_KEY``: a new secret gives new fingerprints (old methods are then not
    recognised when the card is saved again).
    """
    return salted_hmac(
        f"billing.card-fingerprint:{merchant.public_id}", pan, algorithm="sha256"
    ).hexdigest()


# --- customers ---------------------------------------------------------------------------------


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
) -> Customer:
    """Create a customer of the merchant in the mode and record ``customer.created``."""
    metadata = {} if metadata is None else metadata
    errors = _customer_errors(email=email, name=name, metadata=metadata)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        customer = Customer.objects.create(
            merchant=merchant, livemode=livemode, email=email, name=name, metadata=metadata
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
    """Delete the customer (kept as a row, no longer listed); detach its payment methods first."""
    with transaction.atomic():
        customer = _customer_lock(customer)
        now = timezone.now()
        for method in PaymentMethod.objects.select_for_update().filter(
            customer=customer, detached_at__isnull=True
        ):
            _detach(method, now=now)
        customer.deleted_at = now
        customer.save(update_fields=["deleted_at", "updated"])
        event_record(obj=customer, type="customer.deleted")
    return customer


# --- payment methods ---------------------------------------------------------------------------


def _consent_errors(*, text, ip, usage) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(text, str) or not text.strip():
        errors.append(
            FieldError("consent.text", "required", "Give the consent text the customer agreed to.")
        )
    elif len(text) > CONSENT_TEXT_MAX:
        errors.append(
            FieldError(
                "consent.text", "too_long", f"The text has at most {CONSENT_TEXT_MAX} characters."
            )
        )
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        errors.append(
            FieldError("consent.ip", "invalid_ip", "Give the customer's IP address (v4 or v6).")
        )
    if usage not in PaymentMethod.Usage.values:
        errors.append(
            FieldError("consent.usage", "invalid_choice", "Usage is on_session or off_session.")
        )
    return errors


def payment_method_attach(
    *,
    customer: Customer,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str,
    holder_name: str,
    consent_text: str,
    consent_ip: str,
    consent_usage: str,
) -> tuple[PaymentMethod, bool]:
    """Save a card for the customer; return the method and whether it is new.

    The card is validated as for a payment (the CVC is checked, then forgotten). A card the
    customer already saved returns that method, also when two requests race: the customer row
    is locked, and the partial unique constraint is the last word.
    """
    card, errors = validate_card(
        number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc, holder_name=holder_name
    )
    errors += _consent_errors(text=consent_text, ip=consent_ip, usage=consent_usage)
    if errors or card is None:
        raise ValidationFailed(errors)
    fingerprint = card_fingerprint(merchant=customer.merchant, pan=card.number)
    with transaction.atomic():
        customer = _customer_lock(customer)
        existing = _attached(customer=customer, fingerprint=fingerprint)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():  # the vault row goes too if the INSERT loses a race
                method = PaymentMethod.objects.create(
                    merchant_id=customer.merchant_id,
                    livemode=customer.livemode,
                    customer=customer,
                    card=card_store(
                        pan=card.number,
                        brand=card.brand or "",
                        exp_month=card.exp_month,
                        exp_year=card.exp_year,
                    ),
                    # A valid number of no known brand is saved too: its issuer declines it.
                    card_brand=card.brand or "",
                    card_last4=card.last4,
                    card_exp_month=card.exp_month,
                    card_exp_year=card.exp_year,
                    holder_name=card.holder_name,
                    fingerprint=fingerprint,
                    consent_text=consent_text,
                    consent_ip=consent_ip,
                    consent_usage=consent_usage,
                    consented_at=timezone.now(),
                )
        except IntegrityError:
            existing = _attached(customer=customer, fingerprint=fingerprint)
            if existing is None:
                raise
            return existing, False
        event_record(obj=method, type="payment_method.attached", sequence=1)
    return method, True


def _attached(*, customer: Customer, fingerprint: str) -> PaymentMethod | None:
    return PaymentMethod.objects.filter(
        customer=customer, fingerprint=fingerprint, detached_at__isnull=True
    ).first()


def _detach(method: PaymentMethod, *, now) -> None:
    method.detached_at = now
    method.save(update_fields=["detached_at"])
    event_record(obj=method, type="payment_method.detached")


def payment_method_detach(*, method: PaymentMethod) -> PaymentMethod:
    """Detach the method from its customer: it can no longer be paid with."""
    with transaction.atomic():
        locked = (
            PaymentMethod.objects.select_for_update()
            .select_related("customer")
            .filter(pk=method.pk, detached_at__isnull=True)
            .first()
        )
        if locked is None:
            raise NotFound("No such payment method.")
        _detach(locked, now=timezone.now())
    return locked


# --- prices ------------------------------------------------------------------------------------


def _price_errors(*, product_name, amount, currency, interval, interval_count, trial_days):
    errors: list[FieldError] = []
    if not isinstance(product_name, str) or not product_name.strip():
        errors.append(FieldError("product_name", "required", "Name the product."))
    elif len(product_name) > PRODUCT_NAME_MAX:
        errors.append(
            FieldError(
                "product_name",
                "too_long",
                f"A product name has at most {PRODUCT_NAME_MAX} characters.",
            )
        )
    errors += validate_amount(amount=amount, currency=currency)
    if interval not in Price.Interval.values:
        errors.append(
            FieldError("interval", "invalid_choice", "Interval is day, week, month or year.")
        )
    elif not isinstance(interval_count, int) or not (
        1 <= interval_count <= MAX_INTERVAL_COUNT[interval]
    ):
        most = MAX_INTERVAL_COUNT[interval]
        errors.append(
            FieldError(
                "interval_count",
                "out_of_range",
                f"A period is 1 to {most} {interval}s: at most about a year.",
            )
        )
    if trial_days is not None and (
        not isinstance(trial_days, int) or not 1 <= trial_days <= TRIAL_DAYS_MAX
    ):
        errors.append(
            FieldError("trial_days", "out_of_range", f"A trial lasts 1 to {TRIAL_DAYS_MAX} days.")
        )
    return errors


def price_create(
    *,
    merchant: Merchant,
    livemode: bool = False,
    product_name: str,
    amount: int,
    currency: str,
    interval: str,
    interval_count: int = 1,
    trial_days: int | None = None,
) -> Price:
    """Create a price of the merchant in the mode: ``amount`` minor units of ``currency``."""
    errors = _price_errors(
        product_name=product_name,
        amount=amount,
        currency=currency,
        interval=interval,
        interval_count=interval_count,
        trial_days=trial_days,
    )
    if errors:
        raise ValidationFailed(errors)
    return Price.objects.create(
        merchant=merchant,
        livemode=livemode,
        product_name=product_name.strip(),
        amount=amount,
        currency=currency,
        interval=interval,
        interval_count=interval_count,
        trial_days=trial_days,
    )


# --- the resolver payments asks (registered in BillingConfig.ready) ----------------------------


def saved_method_resolve(*, merchant: Merchant, livemode: bool, method_id: str) -> SavedCard | None:
    """Return the attached method ``method_id`` of the merchant and mode as a ``SavedCard``."""
    method = (
        PaymentMethod.objects.select_related("card")
        .filter(
            merchant=merchant,
            livemode=livemode,
            public_id=method_id,
            detached_at__isnull=True,
            customer__deleted_at__isnull=True,
        )
        .first()
    )
    if method is None:
        return None
    return SavedCard(
        method_id=method.public_id,
        card=method.card,
        brand=method.card_brand,
        last4=method.card_last4,
        exp_month=method.card_exp_month,
        exp_year=method.card_exp_year,
        holder_name=method.holder_name,
        off_session=method.consent_usage == PaymentMethod.Usage.OFF_SESSION,
    )
