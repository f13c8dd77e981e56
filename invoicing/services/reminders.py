"""Reminders before and after the due date, on each merchant's schedule, and
``invoice.overdue`` once an invoice is past due.

The database is the queue: the hourly sweep finds the open invoices whose due date is near or
past, and the unique ``InvoiceReminder`` row of each (invoice, day) is what makes each reminder
go out once however often the sweep runs or however many run at once (``SKIP LOCKED``: two
sweeps never work on the same invoice).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from backoffice.on_commit import send_on_commit
from billing.models import Invoice
from payments.services import event_record

from ..models import (
    InvoiceReminder,
    InvoicingProfile,
    default_reminders_after,
    default_reminders_before,
)

logger = logging.getLogger(__name__)

BEFORE_MAX = 30  # days before the due date a reminder may be scheduled
AFTER_MAX = 90  # days after
OVERDUE_MARK = 0  # the reminder row that records ``invoice.overdue``
SWEEP_BATCH = 500


def schedule_days(profile: InvoicingProfile | None) -> list[int]:
    """Return the merchant's reminder days: negative before the due date, positive after."""
    before = default_reminders_before() if profile is None else profile.reminder_days_before
    after = default_reminders_after() if profile is None else profile.reminder_days_after
    days = {-d for d in before if isinstance(d, int) and 1 <= d <= BEFORE_MAX}
    days |= {d for d in after if isinstance(d, int) and 1 <= d <= AFTER_MAX}
    return sorted(days)


def _reached(due: date, today: date, days: list[int]) -> list[int]:
    """The reminder days whose moment has come (a before-reminder only until the due date)."""
    return [d for d in days if today >= due + timedelta(days=d) and (d > 0 or today < due)]


def _remind(invoice: Invoice, *, today: date, now: datetime) -> bool:
    """Record what is due for one locked invoice; return whether an e-mail was sent."""
    from ..tasks import invoice_email_task

    done = set(InvoiceReminder.objects.filter(invoice=invoice).values_list("days", flat=True))
    if today > invoice.due_date and OVERDUE_MARK not in done:
        InvoiceReminder.objects.create(invoice=invoice, days=OVERDUE_MARK)
        event_record(obj=invoice, type="invoice.overdue")
    profile = InvoicingProfile.objects.filter(merchant_id=invoice.merchant_id).first()
    todo = [d for d in _reached(invoice.due_date, today, schedule_days(profile)) if d not in done]
    if not todo:
        return False
    # After an outage only the latest reminder is sent; the missed ones are recorded unsent.
    latest, to = todo[-1], invoice.customer.email
    InvoiceReminder.objects.bulk_create(
        InvoiceReminder(
            invoice=invoice,
            days=d,
            email=to if d == latest else "",
            sent_at=now if d == latest and to else None,
        )
        for d in todo
    )
    if not to:
        return False
    send_on_commit(invoice_email_task, invoice.pk, to, "overdue" if latest > 0 else "reminder")
    return True


def invoice_reminders_sweep(*, now: datetime | None = None) -> int:
    """Send the reminders whose day has come and record overdue invoices; return the e-mails."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = Invoice.objects.filter(
        status=Invoice.Status.OPEN,
        collection_method=Invoice.CollectionMethod.SEND_INVOICE,
        due_date__gte=today - timedelta(days=AFTER_MAX),
        due_date__lte=today + timedelta(days=BEFORE_MAX),
    ).order_by("due_date", "pk")
    sent = 0
    for pk in list(candidates.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            invoice = (
                Invoice.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("customer")
                .filter(pk=pk, status=Invoice.Status.OPEN)
                .first()
            )
            if invoice is None:
                continue  # paid meanwhile, or another sweep holds it
            sent += _remind(invoice, today=today, now=now)
    if sent:
        logger.info("sent %s invoice reminders", sent)
    return sent
