"""Screening a payment before routing, without ``payments`` knowing who screens.

An app that judges payments (``risk``) registers a ``Screener`` in its ``AppConfig.ready``.
``payment_create`` asks it once the payment and its first attempt are written, inside their
transaction and before anything is sent: the answer may decline the payment (nothing reaches the
institution), ask the shopper for an OTP code first, or hold an authorization for review (no
automatic capture). With no screener registered, every payment goes on as before.

The same app may add a field to the payment's representation (``payment_field_register``: the
API, the events and so the webhooks show it) and name the payment's reverse relations it reads,
so that lists load them with the payments instead of one query each.

It may also refuse refunds (``refund_guard_register``): ``refund_check`` asks every guard under
the payment's lock, so the API, the back office and every other caller of ``refund_create`` are
refused alike (``risk``: a payment with an open or lost dispute, whose money the issuer took
back already).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .models import Payment


@dataclass(frozen=True)
class Verdict:
    """What a screener decided for a payment about to be routed."""

    #: Decline at once with ``decline_code`` and ``message``; nothing is sent to the institution.
    block: bool = False
    decline_code: str = ""
    message: str = ""
    #: Verify the holder by an OTP code before the institution is asked.
    request_otp: bool = False


ALLOW = Verdict()

#: ``(*, payment, order, card) -> Verdict``; ``card`` is the validated card (number, first6,
#: brand) or None. It runs under the order's row lock: keep it to a few queries.
Screener = Callable[..., Verdict]
#: ``(*, payment) -> bool``: called once the institution approved; True holds the authorization
#: (no automatic capture) until someone releases it.
Holder = Callable[..., bool]
#: ``(*, payment) -> bool``: asked before the institution, without side effects: True when the
#: holder will hold the approval, so the capture must not be asked with the authorization.
HoldForecast = Callable[..., bool]

#: ``(*, items: list[(payment, order, card)]) -> list[Verdict]``: a screener's verdicts on a
#: batch of payments, as it would give them one after the other, in a few queries.
ManyScreener = Callable[..., list[Verdict]]

_SCREENERS: list[Screener] = []
_MANY: dict[Screener, ManyScreener] = {}
_HOLDERS: list[Holder] = []
_FORECASTS: list[HoldForecast] = []
_FIELDS: dict[str, Callable[[Payment], object]] = {}
#: ``(*, payment) -> str``: why ``payment`` may not be refunded now, or "" when it may.
RefundGuard = Callable[..., str]
_REFUND_GUARDS: list[RefundGuard] = []
_RELATIONS: list[str] = []


def screener_register(
    *,
    screener: Screener,
    holder: Holder | None = None,
    forecast: HoldForecast | None = None,
    many: ManyScreener | None = None,
) -> None:
    """Ask ``screener`` about every new payment (``many``: about a batch of them at once; and
    ``holder`` about every approval, with ``forecast`` saying beforehand whether it will hold)."""
    if screener not in _SCREENERS:
        _SCREENERS.append(screener)
    if many is not None:
        _MANY[screener] = many
    if holder is not None and holder not in _HOLDERS:
        _HOLDERS.append(holder)
        if forecast is None:
            raise ValueError("A holder needs its forecast: captures are asked with approvals.")
    if forecast is not None and forecast not in _FORECASTS:
        _FORECASTS.append(forecast)


def payment_field_register(
    *, name: str, render: Callable[[Payment], object], relation: str = ""
) -> None:
    """Add ``name: render(payment)`` to every payment's representation; ``relation``: the
    payment's reverse one-to-one ``render`` reads, loaded with the payments of a list."""
    _FIELDS[name] = render
    if relation and relation not in _RELATIONS:
        _RELATIONS.append(relation)


def payment_screen(*, payment: Payment, order, card) -> Verdict:
    """Return the first verdict that blocks, else one asking for an OTP if any does, else ALLOW."""
    verdicts = [screener(payment=payment, order=order, card=card) for screener in _SCREENERS]
    blocking = next((v for v in verdicts if v.block), None)
    if blocking is not None:
        return blocking
    return next((v for v in verdicts if v.request_otp), ALLOW)


def payment_screen_many(*, items: list[tuple[Payment, object, object]]) -> list[Verdict]:
    """``payment_screen`` of each ``(payment, order, card)``, in order: each screener's batch
    form when it has one, else one call per payment."""
    answers = [
        _MANY[screener](items=items)
        if screener in _MANY
        else [screener(payment=p, order=o, card=c) for p, o, c in items]
        for screener in _SCREENERS
    ]
    verdicts = []
    for i in range(len(items)):
        mine = [answer[i] for answer in answers]
        blocking = next((v for v in mine if v.block), None)
        verdicts.append(blocking or next((v for v in mine if v.request_otp), ALLOW))
    return verdicts


def authorization_will_be_held(*, payment: Payment) -> bool:
    """Return True if an approval of ``payment`` would be held (no side effect, no review)."""
    return any(forecast(payment=payment) for forecast in _FORECASTS)


def authorization_held(*, payment: Payment) -> bool:
    """Return True if a holder keeps this just-approved authorization from automatic capture."""
    held = False
    for holder in _HOLDERS:
        held = holder(payment=payment) or held
    return held


def payment_fields(payment: Payment) -> dict:
    return {name: render(payment) for name, render in _FIELDS.items()}


def payment_relations() -> list[str]:
    """The reverse one-to-one relations the registered fields read (for ``select_related``)."""
    return list(_RELATIONS)


def refund_guard_register(guard: RefundGuard) -> None:
    """Ask ``guard`` before every refund of a payment."""
    if guard not in _REFUND_GUARDS:
        _REFUND_GUARDS.append(guard)


def refund_refusal(*, payment: Payment) -> str:
    """Return the first registered guard's reason to refuse a refund of ``payment``, or ""."""
    for guard in _REFUND_GUARDS:
        if reason := guard(payment=payment):
            return reason
    return ""
