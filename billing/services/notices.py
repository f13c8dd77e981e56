"""E-mails to customers through Django's e-mail framework: receipts, failed payments (with a
link to give a new card) and upcoming renewals.

A notice is a row written in the transaction that causes it (its key makes it once), sent by a
task on commit; ``notices_send_due`` sends again what a lost task left unsent.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.utils import formataddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from backoffice.on_commit import send_on_commit, send_on_commit_batched

from ..conf import setting
from ..models import Invoice, Notice, Subscription

logger = logging.getLogger(__name__)

UPDATE_LINK_SALT = "billing.update-payment-method"
SUBJECTS = {
    Notice.Kind.RECEIPT: "Receipt from {merchant}",
    Notice.Kind.PAYMENT_FAILED: "Your payment to {merchant} failed: update your card",
    Notice.Kind.UPCOMING: "Your {product} subscription with {merchant} renews soon",
}


def update_link_token(subscription: Subscription) -> str:
    return signing.dumps(subscription.public_id, salt=UPDATE_LINK_SALT, compress=True)


def update_link_subscription_id(token: str) -> str | None:
    """Return the subscription id a link's token names, or None if forged or too old."""
    max_age = setting("BILLING_UPDATE_LINK_MAX_AGE").total_seconds()
    try:
        return signing.loads(token, salt=UPDATE_LINK_SALT, max_age=max_age)
    except signing.BadSignature:
        return None


def update_link_url(subscription: Subscription) -> str:
    """Return the hosted page where the customer gives a new card for the subscription."""
    return f"{settings.SITE_URL.rstrip('/')}/billing/update/{update_link_token(subscription)}/"


def notice_queue(
    *, kind: str, subscription: Subscription, invoice: Invoice | None = None, key: str
) -> Notice | None:
    """Write the notice ``kind:key`` once and send it on commit; None without an e-mail."""
    from ..tasks import notice_send_task

    notice = notice_build(kind=kind, subscription=subscription, invoice=invoice, key=key)
    if notice is None:
        return None
    try:
        with transaction.atomic():
            notice.save(force_insert=True)
    except IntegrityError:
        return None  # queued already
    send_on_commit(notice_send_task, notice.pk)
    return notice


def notice_build(
    *, kind: str, subscription: Subscription, invoice: Invoice | None = None, key: str
) -> Notice | None:
    """The notice ``kind:key``, not saved; None without an e-mail."""
    email = subscription.customer.email
    if not email:
        return None
    return Notice(
        merchant_id=subscription.merchant_id,
        kind=kind,
        subscription=subscription,
        invoice=invoice,
        key=f"{kind}:{key}",
        to_email=email,
    )


def notices_queue(notices: list[Notice]) -> None:
    """Write new notices (their keys checked unused by the caller, under its locks) in one
    INSERT and send them on commit (one task message for the transaction's notices)."""
    from ..tasks import notices_send_task

    Notice.objects.bulk_create(notices)
    send_on_commit_batched(notices_send_task, [notice.pk for notice in notices])


def _message(notice: Notice) -> EmailMultiAlternatives:
    subscription = notice.subscription
    context = {
        "notice": notice,
        "merchant": subscription.merchant,
        "customer": subscription.customer,
        "subscription": subscription,
        "price": subscription.price,
        "invoice": notice.invoice,
        "update_url": update_link_url(subscription),
    }
    subject = SUBJECTS[notice.kind].format(
        merchant=subscription.merchant.name, product=subscription.price.product_name
    )
    text = render_to_string(f"billing/email/{notice.kind}.txt", context)
    html = render_to_string(f"billing/email/{notice.kind}.html", context)
    # Header values are one line: a name with a line break cannot add a header.
    subject = " ".join(subject.split())
    sender = formataddr((" ".join(subscription.merchant.name.split()), settings.DEFAULT_FROM_EMAIL))
    message = EmailMultiAlternatives(subject, text, from_email=sender, to=[notice.to_email])
    message.attach_alternative(html, "text/html")
    return message


def notice_send(*, notice_pk: int) -> bool:
    """Send the notice unless sent already; return True if it was sent now."""
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("subscription__merchant", "subscription__customer")
            .select_related("subscription__price", "invoice")
            .filter(pk=notice_pk, sent_at__isnull=True)
            .first()
        )
        if notice is None:
            return False
        # Sent under the row lock: two workers never send one notice twice.
        _message(notice).send()
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
    return True


def notices_send_due(*, now: datetime | None = None) -> int:
    """Send notices whose task was lost (unsent for a minute); return how many were sent."""
    now = now or timezone.now()
    unsent = Notice.objects.filter(
        sent_at__isnull=True, created__lt=now - setting("BILLING_NOTICE_RESEND_AFTER")
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(unsent[: setting("BILLING_SWEEP_BATCH")]):
        try:
            sent += notice_send(notice_pk=pk)
        except OSError:
            logger.warning("notice %s could not be sent; will retry", pk)
    return sent
