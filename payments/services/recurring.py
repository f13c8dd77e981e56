"""Merchant-initiated charges of saved cards, many at once (renewals, instalments).

``saved_charges_run`` is what recurring billing calls: for each charge, a new order and its
payment with the customer's saved card, off-session, exactly as ``payment_create_with_order``
with ``saved_method`` makes them (the same rows, events, ledger entries and institution
records). Results come back in the order of the charges; one charge's refusal does not stop
the others.

A batch is made in three steps, each a bounded number of statements whatever its size:
1. one transaction checks every charge (its saved cards resolved in one query), inserts the
   orders, payments and attempts, screens the payments (``payments.screening``'s batch form)
   and records their events, each kind of row in one INSERT;
2. the institutions get the batch's authorizations in one call each (``authorize_many``);
3. one transaction applies the approved sales (``recurring_apply``).
What the batch does not take is made one by one by the single path's own functions: a charge
whose reference is taken (``duplicate``) or repeated in the batch, a merchant that converts
captures (FX), and every answer but an approved sale (declines, OTP, timeouts, errors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..errors import DomainError, ValidationFailed
from ..models import Merchant, Order, Payment, PaymentAttempt
from ..representations import order_data
from ..saved_methods import saved_methods_resolve_many
from ..screening import payment_screen_many
from ..transitions import transition_run
from ..validation import FieldError, mask_pan
from . import otp_limits
from .dcc import payment_new
from .events import event_batch, event_record
from .fx import capture_converts, order_fx_prepare
from .one_call import payment_create_with_order
from .orders import order_fields_check
from .recurring_apply import Opened, opened_send
from .saved import saved_card_checked
from .screened import screened_challenge, screened_decline


@dataclass(frozen=True)
class SavedCharge:
    """One charge: the order's fields (those ``order_create`` takes; ``reference`` is the
    caller's idempotency key, unique per merchant) and the saved card ``pm_...`` to charge."""

    merchant: Merchant
    livemode: bool
    method_id: str
    order: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ChargeResult:
    """A charge's payment (its ``order`` set; any status, a decline included), or why none
    was made: ``ValidationFailed`` (nothing written; a taken reference is the code
    ``duplicate`` on ``reference``) or ``DomainError`` (the charge could not be sent)."""

    payment: Payment | None = None
    error: ValidationFailed | DomainError | None = None


def saved_charges_run(charges: Sequence[SavedCharge]) -> list[ChargeResult]:
    """Make each charge; return one result per charge, in order."""
    if len(charges) == 1:
        # The batch's reads of references and event numbers cost one charge two statements more.
        return [_charge_one(charges[0])]
    results: list[ChargeResult | None] = [None] * len(charges)
    checked, alone = _checked(charges, results)
    if checked:
        try:
            opened = _opened(checked)
        except IntegrityError:
            # A reference taken meanwhile (a concurrent run): each is made, or refused, alone.
            alone = sorted([*alone, *(c.index for c in checked)])
            opened = []
        for index, payment in opened_send(opened).items():
            results[index] = ChargeResult(payment=payment)
    for index in alone:
        results[index] = _charge_one(charges[index])
    return results


def _charge_one(charge: SavedCharge) -> ChargeResult:
    try:
        payment = payment_create_with_order(
            merchant=charge.merchant,
            livemode=charge.livemode,
            saved_method=charge.method_id,
            **charge.order,
        )
    except (ValidationFailed, DomainError) as err:
        return ChargeResult(error=err)
    return ChargeResult(payment=payment)


@dataclass
class _Checked:
    index: int
    charge: SavedCharge
    fields: dict
    checked: object  # CheckedMethod
    vault: object  # CardVault


def _checked(charges: Sequence[SavedCharge], results: list) -> tuple[list[_Checked], list[int]]:
    """Check every charge as ``payment_create_with_order`` does; record refusals in
    ``results``; return the charges for the batch and the indexes to make alone."""
    saved = _saved_cards(charges)
    taken = _references_taken(charges)
    seen: set[tuple[int, str]] = set()
    batch, alone = [], []
    for i, charge in enumerate(charges):
        if set(charge.order) - _ORDER_FIELDS:
            alone.append(i)  # an FX quote, or a field the single path rejects its own way
            continue
        errors: list[FieldError] = []
        fields = checked = vault = None
        try:
            fields = order_fields_check(
                merchant=charge.merchant, livemode=charge.livemode, **charge.order
            )
        except ValidationFailed as err:
            errors += err.errors
        draft = None
        if fields is not None:  # a saved card is checked against a valid amount only
            draft = Order(merchant=charge.merchant, livemode=charge.livemode, **fields)
            try:
                checked, vault = saved_card_checked(
                    order=draft, saved=saved.get(i), merchant_initiated=True
                )
            except ValidationFailed as err:
                errors += err.errors
        if errors:
            results[i] = ChargeResult(error=ValidationFailed(errors))
            continue
        key = (charge.merchant.pk, fields["reference"])
        converts = capture_converts(
            payment=Payment(order=draft, merchant=charge.merchant, currency=draft.currency)
        )
        if key in taken or key in seen or converts:
            alone.append(i)  # the single path answers ``duplicate``, or converts
            continue
        try:
            order_fx_prepare(order=draft)  # the currency is one the merchant accepts
        except ValidationFailed as err:
            results[i] = ChargeResult(error=err)
            continue
        seen.add(key)
        batch.append(_Checked(i, charge, fields, checked, vault))
    return batch, alone


_ORDER_FIELDS = frozenset(
    {
        "amount",
        "currency",
        "reference",
        "description",
        "customer_email",
        "return_url",
        "capture_method",
        "metadata",
        "customer",
        "setup_future_usage",
        "line_items",
    }
)


def _saved_cards(charges: Sequence[SavedCharge]) -> dict:
    """The saved card of each charge (missing: unknown or detached), one query per merchant."""
    groups: dict[tuple[int, bool], list[int]] = {}
    for i, charge in enumerate(charges):
        groups.setdefault((charge.merchant.pk, charge.livemode), []).append(i)
    saved = {}
    for (_, livemode), indexes in groups.items():
        found = saved_methods_resolve_many(
            merchant=charges[indexes[0]].merchant,
            livemode=livemode,
            method_ids=[charges[i].method_id for i in indexes],
        )
        for i in indexes:
            if charges[i].method_id in found:
                saved[i] = found[charges[i].method_id]
    return saved


def _references_taken(charges: Sequence[SavedCharge]) -> set[tuple[int, str]]:
    """The (merchant, reference) pairs of the batch that an order has already (one query)."""
    wanted: dict[int, set[str]] = {}
    for charge in charges:
        reference = charge.order.get("reference")
        if isinstance(reference, str):
            wanted.setdefault(charge.merchant.pk, set()).add(reference.strip())
    if not wanted:
        return set()
    query = Q(pk__in=[])
    for merchant_pk, references in wanted.items():
        query |= Q(merchant_id=merchant_pk, reference__in=references)
    return set(Order.objects.filter(query).values_list("merchant_id", "reference"))


def _opened(checked: list[_Checked]) -> list[Opened]:
    """Step 1: write the orders, payments, attempts, screenings and events in one transaction,
    as ``payment_create_with_order`` writes each (``order_insert``, ``_payment_open``)."""
    now = timezone.now()
    with transaction.atomic(), event_batch():
        orders = Order.objects.bulk_create(
            Order(
                merchant=c.charge.merchant,
                livemode=c.charge.livemode,
                expires_at=now + settings.PAYMENTS_ORDER_TTL,
                **c.fields,
            )
            for c in checked
        )
        payments = []
        attempts = []
        for c, order in zip(checked, orders, strict=True):
            payment, masked = _payment_new(c, order)
            payments.append(payment)
            attempts.append(
                PaymentAttempt(
                    payment=payment,
                    method_type=c.checked.input.type,
                    masked_details=masked,
                    institution=c.checked.route.institution,
                )
            )
        Payment.objects.bulk_create(payments)
        PaymentAttempt.objects.bulk_create(attempts)
        verdicts = payment_screen_many(
            items=[
                (p, o, c.checked.card) for p, o, c in zip(payments, orders, checked, strict=True)
            ]
        )
        caps = otp_limits.caps_reached_many([otp_limits.failure_caps(payment=p) for p in payments])
        opened = []
        for c, order, payment, attempt, verdict, cap in zip(
            checked, orders, payments, attempts, verdicts, caps, strict=True
        ):
            event_record(
                obj=order, type="order.created", sequence=1, data=order_data(order, payments=[])
            )
            event_record(obj=payment, type="payment.created", sequence=1)
            # What the screening or the OTP caps say is done as ``_payment_open`` does it.
            if verdict.block:
                screened_decline(payment=payment, attempt=attempt, verdict=verdict)
            elif cap is not None:
                otp_limits.opened_lock_out(payment=payment, attempt=attempt, cap=cap)
            elif verdict.request_otp:
                screened_challenge(order=order, payment=payment, attempt=attempt)
            opened.append(Opened(c.index, order, payment, attempt, c.checked))
    return opened


def _payment_new(c: _Checked, order: Order) -> tuple[Payment, str]:
    """The unsaved payment of a new order by its saved card, started (``processing``)."""
    card, route = c.checked.card, c.checked.route
    payment, _ = payment_new(
        order=order,
        merchant=c.charge.merchant,
        method=c.checked.input,
        route=route,
        card=card,
        dcc_quote="",
    )
    payment.card = c.vault
    payment.card_brand, payment.card_last4 = card.brand or "", card.last4
    payment.card_exp_month, payment.card_exp_year = card.exp_month, card.exp_year
    transition_run(payment.start)
    return payment, mask_pan(card.first6, card.last4, len(card.number))
