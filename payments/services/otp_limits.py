"""Caps on shopper OTP across payments: wrong codes per order and per card, codes per destination.

A payment allows ``PAYMENTS_OTP_MAX_ATTEMPTS`` wrong codes, but an order stays payable after
``authentication_failed``: without these caps every new payment on the same order and card got
fresh tries and another SMS. Over a window that starts at its first count:

- wrong codes per order (``PAYMENTS_OTP_MAX_FAILURES_PER_ORDER``) and per card or wallet
  (``PAYMENTS_OTP_MAX_FAILURES_PER_CARD``), both within ``PAYMENTS_OTP_FAILURE_WINDOW``;
- codes sent per destination (``PAYMENTS_OTP_MAX_SENDS_PER_DESTINATION`` within
  ``PAYMENTS_OTP_SEND_WINDOW``).

Past a cap, the payment waiting for a code and the order's (or card's) new payments are declined
``authentication_locked``; no code is checked or sent. The counters are rows
(``OtpLimitCounter``) locked while they are read and counted, after the order and payment locks,
in (scope, key) order: tries on one card from several orders at once are counted one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..models import OtpLimitCounter, Payment, PaymentAttempt
from ..transitions import transition_run
from ..vault import fingerprint
from .events import event_record

LOCKED = "authentication_locked"
LOCKED_MESSAGE = (
    "Too many wrong verification codes were entered for this order or card; new payments are "
    "refused for a while."
)
SENDS_MESSAGE = "Too many verification codes were sent to this phone; no more are sent for a while."

Scope = OtpLimitCounter.Scope


@dataclass(frozen=True)
class Cap:
    scope: str
    key: str
    limit: int
    window: timedelta
    message: str


def failure_caps(*, payment: Payment) -> list[Cap]:
    """Return the wrong-code caps a payment counts against: its order's and its card's."""
    window = settings.PAYMENTS_OTP_FAILURE_WINDOW
    caps = [
        Cap(
            Scope.ORDER_FAILURES,
            str(payment.order_id),
            settings.PAYMENTS_OTP_MAX_FAILURES_PER_ORDER,
            window,
            LOCKED_MESSAGE,
        )
    ]
    instrument = _instrument_key(payment)
    if instrument:
        caps.append(
            Cap(
                Scope.CARD_FAILURES,
                instrument,
                settings.PAYMENTS_OTP_MAX_FAILURES_PER_CARD,
                window,
                LOCKED_MESSAGE,
            )
        )
    return caps


def send_cap(*, payment: Payment, destination: str) -> Cap:
    """Return the cap on codes sent to ``destination`` (the card or wallet if none is named)."""
    key = fingerprint(f"otp-destination:{destination}") if destination else ""
    return Cap(
        Scope.DESTINATION_SENDS,
        key or _instrument_key(payment) or f"payment:{payment.pk}",
        settings.PAYMENTS_OTP_MAX_SENDS_PER_DESTINATION,
        settings.PAYMENTS_OTP_SEND_WINDOW,
        SENDS_MESSAGE,
    )


def _instrument_key(payment: Payment) -> str:
    if payment.card_id is not None:
        return payment.card.fingerprint
    if payment.wallet_phone:
        return fingerprint(f"wallet:{payment.wallet_phone}")
    return ""


def _current(counter: OtpLimitCounter, cap: Cap, now: datetime) -> int:
    return counter.count if counter.window_started_at + cap.window > now else 0


def cap_reached(caps: list[Cap]) -> Cap | None:
    """Return the first of ``caps`` reached now, read without a lock (to refuse a new payment
    early; the locked count in ``otp_verify`` is what holds under concurrency)."""
    return caps_reached_many([caps])[0]


def caps_reached_many(caps_of: list[list[Cap]]) -> list[Cap | None]:
    """``cap_reached`` of each list of caps (a batch of payments), in one query."""
    now = timezone.now()
    keys = {cap.key for caps in caps_of for cap in caps}
    counters = {(c.scope, c.key): c for c in OtpLimitCounter.objects.filter(key__in=keys)}
    reached = []
    for caps in caps_of:
        reached.append(
            next(
                (
                    cap
                    for cap in caps
                    if (counter := counters.get((cap.scope, cap.key))) is not None
                    and _current(counter, cap, now) >= cap.limit
                ),
                None,
            )
        )
    return reached


def counters_lock(caps: list[Cap]) -> list[tuple[Cap, OtpLimitCounter]]:
    """Lock the counters of ``caps`` (created at zero if new), in (scope, key) order."""
    now = timezone.now()
    locked = []
    for cap in sorted(caps, key=lambda c: (c.scope, c.key)):
        OtpLimitCounter.objects.get_or_create(
            scope=cap.scope, key=cap.key, defaults={"window_started_at": now}
        )
        counter = OtpLimitCounter.objects.select_for_update().get(scope=cap.scope, key=cap.key)
        locked.append((cap, counter))
    return locked


def locked_reached(locked: list[tuple[Cap, OtpLimitCounter]]) -> Cap | None:
    """Return the first locked cap already reached, or None."""
    now = timezone.now()
    return next((cap for cap, c in locked if _current(c, cap, now) >= cap.limit), None)


def locked_count(locked: list[tuple[Cap, OtpLimitCounter]]) -> Cap | None:
    """Count one more on each locked counter; return the first cap this reaches, or None."""
    now = timezone.now()
    reached = None
    for cap, counter in locked:
        if _current(counter, cap, now) == 0:
            counter.count, counter.window_started_at = 0, now  # a new window starts here
        counter.count += 1
        counter.save(update_fields=["count", "window_started_at"])
        if reached is None and counter.count >= cap.limit:
            reached = cap
    return reached


def send_count(*, payment: Payment, destination: str) -> Cap | None:
    """Count a code about to be sent to ``destination``; return the cap instead if reached."""
    locked = counters_lock([send_cap(payment=payment, destination=destination)])
    reached = locked_reached(locked)
    if reached is None:
        locked_count(locked)
    return reached


def opened_lock_out(*, payment: Payment, attempt: PaymentAttempt, cap: Cap) -> None:
    """Decline a just-opened payment whose order or card is past a cap: no tries, no SMS."""
    attempt.outcome, attempt.decline_code = PaymentAttempt.Outcome.DECLINED, LOCKED
    attempt.finished_at = timezone.now()
    attempt.save()
    payment_lock_out(payment=payment, cap=cap)


def payment_lock_out(*, payment: Payment, cap: Cap) -> None:
    """Decline a locked payment (processing or waiting for a code) ``authentication_locked``."""
    payment.decline_code = LOCKED
    payment.decline_message = cap.message
    transition_run(payment.decline)
    payment.save()
    event_record(obj=payment, type="payment.declined")
