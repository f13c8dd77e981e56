"""The review queue: authorizations held because a rule or the score asked for a person.

A held payment is authorized and not captured. Approving captures it; cancelling voids it;
refunding (a payment the merchant captured meanwhile) gives the money back. Each decision is
taken by a staff member with a fresh TOTP code (the admin asks it), audited, and announced
(``review.closed``); opening is announced as ``review.opened``.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from payments.errors import InvalidTransition, NotFound
from payments.models import Payment
from payments.services import event_record, payment_cancel, payment_capture, refund_create
from payments.transitions import transition_run

from ..models import Evaluation, Review

# Set while a review decision moves the payment: its own capture or void does not close the
# review as "ended without a decision".
_deciding: ContextVar[bool] = ContextVar("risk_review_deciding", default=False)


def review_forecast(*, payment: Payment) -> bool:
    """The ``payments.screening`` forecast: will ``review_hold`` hold this payment's approval?"""
    try:
        return payment.risk_evaluation.decision == Evaluation.Decision.REVIEW
    except Evaluation.DoesNotExist:
        return False


def review_hold(*, payment: Payment) -> bool:
    """The ``payments.screening`` holder: open a review for a payment the screening sent to
    review, now that it is authorized; return True to keep it from automatic capture."""
    try:
        evaluation = payment.risk_evaluation
    except Evaluation.DoesNotExist:
        return False
    if evaluation.decision != Evaluation.Decision.REVIEW:
        return False
    review, created = Review.objects.get_or_create(
        payment=payment,
        defaults={
            "evaluation": evaluation,
            "merchant_id": payment.merchant_id,
            "livemode": payment.livemode,
            "reason": evaluation.reason[:200],
        },
    )
    if created:
        review.payment = payment
        event_record(obj=review, type="review.opened", sequence=1)
    return review.status == Review.Status.OPEN


def _review_locked(review_pk: int) -> Review:
    review = Review.objects.select_for_update().select_related("payment").filter(pk=review_pk)
    found = review.first()
    if found is None:
        raise NotFound("No such review.")
    return found


def review_decide(*, review: Review, decision: str, user, note: str = "") -> Review:
    """Close an open review: ``approve`` (capture), ``cancel`` (void) or ``refund``.

    The payment's own services move the money (each in its transaction, asking the institution);
    the review is closed once they succeed.
    """
    if review.status != Review.Status.OPEN:
        raise InvalidTransition(f"This review is already {review.status}.")
    token = _deciding.set(True)
    try:
        transition = _money_move(review=review, decision=decision, user=user)
    finally:
        _deciding.reset(token)
    return _review_close(review_pk=review.pk, transition=transition, user=user, note=note)


def _money_move(*, review: Review, decision: str, user) -> str:
    scope = {"merchant": review.merchant, "livemode": review.livemode}
    payment = review.payment
    if decision == "approve":
        if payment.status == Payment.Status.AUTHORIZED:
            payment_capture(**scope, payment_id=payment.public_id)
        transition = "approve"
    elif decision == "cancel":
        payment_cancel(**scope, payment_id=payment.public_id)
        transition = "cancel"
    elif decision == "refund":
        payment = Payment.objects.get(pk=payment.pk)
        if payment.status == Payment.Status.AUTHORIZED:
            payment_cancel(**scope, payment_id=payment.public_id)
            transition = "cancel"
        else:
            refund_create(
                **scope, payment_id=payment.public_id, reason="fraudulent", created_by=user
            )
            transition = "refund"
    else:
        raise ValueError(decision)
    return transition


@transaction.atomic
def _review_close(*, review_pk: int, transition: str, user, note: str) -> Review:
    review = _review_locked(review_pk)
    transition_run(getattr(review, transition))
    review.closed_by = user
    review.closed_at = timezone.now()
    review.note = note[:500]
    review.save()
    event_record(obj=review, type="review.closed")
    return review


def reviews_close_ended(*, payment_public_id: str) -> None:
    """Close the open review of a payment that ended without a decision (voided, expired)."""
    if _deciding.get():
        return
    review = (
        Review.objects.select_for_update()
        .filter(payment__public_id=payment_public_id, status=Review.Status.OPEN)
        .first()
    )
    if review is None:
        return
    transition_run(review.close)
    review.closed_at = timezone.now()
    review.save()
    event_record(obj=review, type="review.closed")
