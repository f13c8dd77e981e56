"""Pay in one call: create an order and its payment with one request and one Idempotency-Key.

The two-call flow (``order_create``, then ``payment_create``) stays for the hosted checkout and
for merchants who show their own page; a merchant server holding the card details (or a saved
method) pays in one round trip. The order, its payment and the first attempt are written in one
transaction, and every error of the order's fields and of the method is found before it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ..errors import ValidationFailed
from ..models import Merchant, Order, Payment
from ..validation import FieldError
from .checked import MethodInput, method_check
from .events import event_batch
from .orders import order_fields_check, order_insert, reference_taken
from .payments import _payment_open, _send_opened
from .saved import saved_method_check, saved_send


def payment_create_with_order(
    *,
    merchant: Merchant,
    livemode: bool,
    method: MethodInput | None = None,
    saved_method: str = "",
    fx_quote: str = "",
    **order,
) -> Payment:
    """Create an order of ``order``'s fields (those ``order_create`` takes) and pay it with
    ``method``, or with the customer's saved card ``saved_method`` (``pm_...``, a
    merchant-initiated charge); return the payment (its ``order`` is the new order).

    Raise ``ValidationFailed`` with the errors of both before anything is written; a decline
    is a normal outcome, as in the two-call flow.
    """
    errors: list[FieldError] = []
    fields = checked = vault = None
    try:
        fields = order_fields_check(merchant=merchant, livemode=livemode, **order)
    except ValidationFailed as err:
        errors += err.errors
    try:
        if saved_method:
            if fields is not None:  # a saved card is checked against a valid amount only
                draft = Order(merchant=merchant, livemode=livemode, **fields)
                checked, vault = saved_method_check(
                    order=draft, method_id=saved_method, merchant_initiated=True
                )
        else:
            checked = method_check(
                method=method,
                amount=order.get("amount"),
                currency=order.get("currency"),
                livemode=livemode,
                # The order's amount errors are reported once, as the order's.
                amount_checked=any(e.field in ("amount", "currency") for e in errors),
            )
    except ValidationFailed as err:
        errors += err.errors
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic(), event_batch():
            created = order_insert(
                merchant=merchant, livemode=livemode, fields=fields, fx_quote=fx_quote
            )
            # Inserted in this transaction: its row is ours until the commit, no lock to take.
            payment, attempt = _payment_open(
                order=created, checked=checked, vault=vault, locked=True
            )
    except IntegrityError:
        reference_taken(merchant=merchant, reference=fields["reference"])
        raise
    if saved_method:
        return saved_send(
            payment=payment, attempt=attempt, checked=checked, merchant_initiated=True
        )
    return _send_opened(payment=payment, attempt=attempt, checked=checked)
