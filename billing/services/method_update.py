"""A customer gives a new card for a subscription (the hosted page their e-mail links to).

The card is saved with the consent the page showed (``off_session``: renewals are charged
without them), becomes the subscription's card, and an invoice left open by dunning is charged
again at once with it.
"""

from __future__ import annotations

from django.db import transaction

from payments.errors import InvalidTransition, ValidationFailed
from payments.validation import FieldError

from ..models import Invoice, PaymentMethod, Subscription
from .charges import attempt_open, charge_attempt_run
from .clocks import billing_now
from .lifecycle import Status, subscription_lock, subscription_save
from .methods import payment_method_attach

#: Subscriptions whose card can be replaced: those that bill, or would again once paid.
REPLACEABLE = (Status.INCOMPLETE, Status.TRIALING, Status.ACTIVE, Status.PAST_DUE, Status.UNPAID)


def update_consent_text(subscription: Subscription) -> str:
    """Return the words the customer agrees to when saving a card on the hosted page."""
    return (
        f"I authorise {subscription.merchant.name} to save this card and to charge it for my "
        f"{subscription.price.product_name} subscription, including renewals charged without me, "
        "until I cancel."
    )


def subscription_card_replace(
    *,
    subscription: Subscription,
    number: str,
    exp_month,
    exp_year,
    cvc: str,
    holder_name: str,
    consent_ip: str,
) -> Subscription:
    """Save the card, make it the subscription's, and charge open invoices again with it.

    Raise ``ValidationFailed`` (card fields) for a card that cannot be saved, and
    ``InvalidTransition`` for a subscription that has ended.
    """
    if subscription.status not in REPLACEABLE:
        raise InvalidTransition("This subscription has ended; there is nothing left to pay.")
    method, _ = payment_method_attach(
        customer=subscription.customer,
        number=number,
        exp_month=exp_month,
        exp_year=exp_year,
        cvc=cvc,
        holder_name=holder_name,
        consent_text=update_consent_text(subscription),
        consent_ip=consent_ip,
        consent_usage="off_session",
    )
    if method.status != PaymentMethod.Status.ACTIVE:
        # The bank wants its holder verified first: off-session renewals cannot do that here.
        raise ValidationFailed(
            [
                FieldError(
                    "card.number",
                    "verification_required",
                    "This card must be verified by its bank before it can be charged for "
                    "renewals; please use another card.",
                )
            ]
        )
    now = billing_now(subscription.customer)
    attempts = []
    with transaction.atomic():
        subscription = subscription_lock(subscription.pk)
        if subscription.status not in REPLACEABLE:
            raise InvalidTransition("This subscription has ended; there is nothing left to pay.")
        subscription.payment_method = method
        subscription_save(subscription, event="customer.subscription.updated")
        unpaid = Invoice.objects.select_for_update().filter(
            subscription=subscription,
            status__in=[Invoice.Status.OPEN, Invoice.Status.UNCOLLECTIBLE],
        )
        for invoice in unpaid.order_by("created", "id"):
            if (
                invoice.status == Invoice.Status.UNCOLLECTIBLE
                and subscription.status != Status.UNPAID
            ):
                continue  # written off when the subscription ended; not charged again
            attempt = attempt_open(subscription=subscription, invoice=invoice, now=now)
            if attempt is not None:
                attempts.append(attempt.pk)
    for attempt_pk in attempts:
        charge_attempt_run(attempt_pk=attempt_pk, now=now)
    subscription.refresh_from_db()
    return subscription
