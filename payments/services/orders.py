"""Orders: what a shopper is asked to pay."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from .. import locks
from ..errors import InvalidTransition, ValidationFailed
from ..models import ACTIVE_PAYMENT_STATUSES, Merchant, Order
from ..representations import order_data
from ..saved_methods import customer_exists
from ..transitions import transition_check, transition_run
from ..validation import FieldError, validate_amount, validate_metadata
from .captures import payment_expire_locked
from .events import event_record
from .fx import order_fx_prepare

logger = logging.getLogger(__name__)


def _max_length(name: str) -> int:
    # The column's own limit: the one statement of it, which the API's schema shows too.
    return Order._meta.get_field(name).max_length


def _is_return_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > _max_length("return_url"):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _order_errors(
    *,
    amount,
    currency,
    reference,
    description,
    customer_email,
    return_url,
    capture_method,
    metadata,
) -> list[FieldError]:
    errors = list(validate_amount(amount=amount, currency=currency))
    if not isinstance(reference, str) or not reference.strip():
        errors.append(FieldError("reference", "required", "Give the order a reference."))
    elif len(reference) > (limit := _max_length("reference")):
        errors.append(
            FieldError("reference", "too_long", f"A reference has at most {limit} characters.")
        )
    if not isinstance(description, str) or len(description) > (limit := _max_length("description")):
        errors.append(
            FieldError("description", "too_long", f"A description has at most {limit} characters.")
        )
    if customer_email:
        try:
            validate_email(customer_email)
        except DjangoValidationError:
            errors.append(FieldError("customer_email", "invalid_email", "Enter a valid e-mail."))
    if return_url:
        if not _is_return_url(return_url):
            errors.append(
                FieldError("return_url", "invalid_url", "The return URL must be an http(s) URL.")
            )
    if capture_method not in Order.CaptureMethod.values:
        errors.append(
            FieldError("capture_method", "invalid_choice", "Capture method is automatic or manual.")
        )
    errors += validate_metadata(metadata)
    return errors


LINE_ITEMS_MAX = 100
LINE_ITEM_NAME_MAX = 200
LINE_ITEM_QUANTITY_MAX = 100_000
UNIT_AMOUNT_MAX = 2**63 - 1  # what a BigIntegerField holds


def _is_count(value, *, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _line_item_errors(line_items, *, amount) -> list[FieldError]:
    """Return what is wrong with ``line_items`` (each named, counted and priced, adding up to
    the order's ``amount``)."""
    if not isinstance(line_items, list):
        return [FieldError("line_items", "invalid", "Line items are a list.")]
    if len(line_items) > LINE_ITEMS_MAX:
        return [
            FieldError("line_items", "too_many", f"An order has at most {LINE_ITEMS_MAX} lines.")
        ]
    errors = []
    for i, line in enumerate(line_items):
        where = f"line_items.{i}"
        if not isinstance(line, dict):
            errors.append(FieldError(where, "invalid", "A line item is an object."))
            continue
        name = line.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(FieldError(f"{where}.name", "required", "Name each line item."))
        elif len(name) > LINE_ITEM_NAME_MAX or "\x00" in name:
            errors.append(
                FieldError(
                    f"{where}.name",
                    "too_long",
                    f"A line item's name has at most {LINE_ITEM_NAME_MAX} characters.",
                )
            )
        if not _is_count(line.get("quantity"), low=1, high=LINE_ITEM_QUANTITY_MAX):
            errors.append(
                FieldError(
                    f"{where}.quantity",
                    "invalid",
                    f"A quantity is a whole number from 1 to {LINE_ITEM_QUANTITY_MAX}.",
                )
            )
        if not _is_count(line.get("unit_amount"), low=1, high=UNIT_AMOUNT_MAX):
            errors.append(
                FieldError(
                    f"{where}.unit_amount",
                    "invalid",
                    "A unit amount is a positive whole number of minor units.",
                )
            )
    if errors or not line_items or not isinstance(amount, int):
        return errors
    total = sum(line["quantity"] * line["unit_amount"] for line in line_items)
    if total != amount:
        errors.append(
            FieldError(
                "line_items",
                "amount_mismatch",
                f"The line items add up to {total}, not to the order's amount {amount}.",
            )
        )
    return errors


def _line_items_stored(line_items: list[dict]) -> list[dict]:
    return [
        {
            "name": line["name"].strip(),
            "quantity": line["quantity"],
            "unit_amount": line["unit_amount"],
            "amount": line["quantity"] * line["unit_amount"],
        }
        for line in line_items
    ]


def _customer_errors(*, merchant, livemode, customer, setup_future_usage) -> list[FieldError]:
    """The order's customer must be one of the merchant's, in the order's mode."""
    errors = []
    if customer and not (
        isinstance(customer, str)
        and customer_exists(merchant=merchant, livemode=livemode, customer_id=customer)
    ):
        mode = "live" if livemode else "test"
        errors.append(
            FieldError(
                "customer",
                "resource_missing",
                f"No such customer: give the id (cus_...) of one of your {mode}-mode customers.",
            )
        )
    if setup_future_usage not in Order.SetupFutureUsage.values:
        errors.append(
            FieldError(
                "setup_future_usage",
                "invalid_choice",
                "Setup future usage is on_session or off_session.",
            )
        )
    elif setup_future_usage == Order.SetupFutureUsage.OFF_SESSION and not customer:
        errors.append(
            FieldError(
                "setup_future_usage",
                "customer_required",
                "A card can be saved only for a customer: name the order's customer too.",
            )
        )
    return errors


def order_create(
    *,
    merchant: Merchant,
    amount: int,
    currency: str,
    reference: str,
    livemode: bool = False,
    description: str = "",
    customer_email: str = "",
    return_url: str = "",
    capture_method: str = Order.CaptureMethod.AUTOMATIC,
    metadata: dict | None = None,
    customer: str = "",
    setup_future_usage: str = Order.SetupFutureUsage.ON_SESSION,
    fx_quote: str = "",
    line_items: list[dict] | None = None,
) -> Order:
    """Create a pending order the shopper can pay at its checkout URL until it expires.

    ``customer`` (a ``cus_...`` of the merchant, same mode) lets the checkout offer the
    customer's saved cards and to save the new one; ``setup_future_usage`` is the use a card
    saved there is consented for (``off_session`` lets the merchant charge it without them).
    ``fx_quote``: the id of an FX quote (``fx``) into the merchant's settlement currency for the
    order's amount; a capture before it expires converts at its rate.
    ``line_items`` (optional): ``[{"name", "quantity", "unit_amount"}]`` shown on the checkout;
    their amounts must add up to ``amount``.
    """
    fields = order_fields_check(
        merchant=merchant,
        livemode=livemode,
        amount=amount,
        currency=currency,
        reference=reference,
        description=description,
        customer_email=customer_email,
        return_url=return_url,
        capture_method=capture_method,
        metadata=metadata,
        customer=customer,
        setup_future_usage=setup_future_usage,
        line_items=line_items,
    )
    try:
        with transaction.atomic():
            return order_insert(
                merchant=merchant, livemode=livemode, fields=fields, fx_quote=fx_quote
            )
    except IntegrityError:
        reference_taken(merchant=merchant, reference=fields["reference"])
        raise


def order_fields_check(
    *,
    merchant: Merchant,
    livemode: bool,
    amount,
    currency,
    reference,
    description="",
    customer_email="",
    return_url="",
    capture_method=Order.CaptureMethod.AUTOMATIC,
    metadata=None,
    customer="",
    setup_future_usage=Order.SetupFutureUsage.ON_SESSION,
    line_items=None,
) -> dict:
    """Return the order's fields as stored, or raise ``ValidationFailed`` with every error."""
    metadata = {} if metadata is None else metadata
    line_items = [] if line_items is None else line_items
    currency = currency.upper() if isinstance(currency, str) else currency
    errors = _order_errors(
        amount=amount,
        currency=currency,
        reference=reference,
        description=description,
        customer_email=customer_email,
        return_url=return_url,
        capture_method=capture_method,
        metadata=metadata,
    )
    errors += _line_item_errors(line_items, amount=amount)
    errors += _customer_errors(
        merchant=merchant,
        livemode=livemode,
        customer=customer,
        setup_future_usage=setup_future_usage,
    )
    if errors:
        raise ValidationFailed(errors)
    return {
        "amount": amount,
        "currency": currency,
        "reference": reference.strip(),
        "description": description,
        "customer_email": customer_email,
        "return_url": return_url,
        "capture_method": capture_method,
        "metadata": metadata,
        "line_items": _line_items_stored(line_items),
        "customer": customer,
        "setup_future_usage": setup_future_usage,
    }


def order_insert(*, merchant: Merchant, livemode: bool, fields: dict, fx_quote: str = "") -> Order:
    """Write a checked order (``order_fields_check``) and its first event, in the caller's
    transaction; a taken reference raises ``IntegrityError`` (see ``reference_taken``)."""
    order = Order.objects.create(
        merchant=merchant,
        livemode=livemode,
        expires_at=timezone.now() + settings.PAYMENTS_ORDER_TTL,
        **fields,
    )
    order_fx_prepare(order=order, fx_quote=fx_quote)
    # A new order: its first event, and no payments yet.
    event_record(obj=order, type="order.created", sequence=1, data=order_data(order, payments=[]))
    return order


def reference_taken(*, merchant: Merchant, reference: str) -> None:
    """Raise the 400 of a duplicate reference if that is why an order's INSERT failed."""
    if Order.objects.filter(merchant=merchant, reference=reference).exists():
        raise ValidationFailed(
            [FieldError("reference", "duplicate", "An order with this reference exists.")]
        ) from None


@transaction.atomic
def order_cancel(*, order: Order) -> Order:
    order = locks.order_lock(order_pk=order.pk)
    transition_check(order.cancel, f"An order that is {order.status} cannot be canceled.")
    if order.payments.filter(status__in=ACTIVE_PAYMENT_STATUSES).exists():
        raise InvalidTransition("Cancel the order's payment in progress first.")
    transition_run(order.cancel)
    order.save(update_fields=["status", "updated"])
    event_record(obj=order, type="order.canceled")
    return order


def orders_expire(*, now=None) -> int:
    """Expire pending orders past their deadline with no payment in flight; return how many."""
    now = now or timezone.now()
    candidates = Order.objects.filter(status=Order.Status.PENDING, expires_at__lt=now).values_list(
        "pk", flat=True
    )
    count = 0
    for pk in list(candidates[:1000]):
        with transaction.atomic():
            order = locks.order_lock(order_pk=pk)
            if not can_proceed(order.expire) or order.expires_at >= now:
                continue  # paid or handled meanwhile: running twice changes nothing
            # A challenge the shopper walked away from ends with its order.
            for payment in order.payments.select_for_update().filter(status="requires_action"):
                payment_expire_locked(payment)
            if order.payments.filter(status__in=ACTIVE_PAYMENT_STATUSES).exists():
                continue
            transition_run(order.expire)
            order.save(update_fields=["status", "updated"])
            event_record(obj=order, type="order.expired")
            count += 1
    if count:
        logger.info("expired %s orders", count)
    return count
