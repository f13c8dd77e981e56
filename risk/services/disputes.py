"""Disputes: opened by the issuer after a capture, answered with evidence, won or lost.

Money: when a dispute opens, the disputed amount goes back to the issuer and a dispute fee is
charged, both from the merchant's balance, in one journal entry (kind ``adjustment``) written
with the dispute; a dispute won gives both back by the reverse entry. The invariants count these
postings through ``payments.invariants.merchant_adjustments`` (``dispute_ledger_totals``), and
the merchant's next settlement batch deducts them (and gives back a won dispute's) through
``settlement.adjustments`` (``dispute_adjustments``).

Sandbox: the cards 4000 0000 0000 0259 (``fraudulent``) and 4000 0000 0000 2685
(``product_not_received``) capture normally, and so does 4000 0000 0000 1976, whose issuer opens
an inquiry (``warning_needs_response``, nothing taken: it closes ``warning_closed`` on evidence
containing ``winning_evidence``); the capture writes an ``IssuerDisputeNotice`` due
``RISK_SANDBOX_DISPUTE_DELAY`` later, which the beat sweep turns into the dispute. Submitted
evidence containing ``winning_evidence`` wins, ``losing_evidence`` loses; other evidence stays
under review.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from ledger.services import Line, journal_post
from payments import locks
from payments.errors import InvalidTransition, ValidationFailed
from payments.models import Payment
from payments.money import exponent
from payments.services import event_record
from payments.transitions import transition_run
from payments.validation import FieldError
from settlement.adjustments import Adjustment

from ..models import Dispute, Evaluation, IssuerDisputeNotice
from .evidence import Upload, evidence_files_add

#: Sandbox cards whose captures the issuer disputes: (BIN, last four) → reason.
SANDBOX_CARDS = {
    ("400000", "0259"): Dispute.Reason.FRAUDULENT,
    ("400000", "2685"): Dispute.Reason.PRODUCT_NOT_RECEIVED,
    ("400000", "1976"): Dispute.Reason.FRAUDULENT,
}
#: Of those, the cards whose issuer opens an inquiry (``warning_needs_response``) instead.
SANDBOX_INQUIRY_CARDS = {("400000", "1976")}
EVIDENCE_FIELDS = (
    "uncategorized_text",
    "customer_communication",
    "product_description",
    "shipping_tracking_number",
    "refund_policy",
    "customer_email_address",
)
EVIDENCE_FIELD_MAX = 20_000
EVIDENCE_TOTAL_MAX = 100_000
Status = Dispute.Status


def _setting(name: str, default):
    return getattr(settings, name, default)


def dispute_fee(currency: str) -> int:
    """The fee charged for a dispute: ``RISK_DISPUTE_FEE_MAJOR`` (15) in the currency's units."""
    return _setting("RISK_DISPUTE_FEE_MAJOR", 15) * 10 ** exponent(currency)


def notice_schedule(*, event) -> None:
    """On a sandbox capture of a disputed test card, write the issuer's notice (idempotent)."""
    card = (event.data.get("payment_method") or {}).get("card") or {}
    if event.livemode or card.get("last4") not in {last4 for _, last4 in SANDBOX_CARDS}:
        return
    features = (
        Evaluation.objects.filter(payment__public_id=event.object_id)
        .values_list("features", flat=True)
        .first()
        or {}
    )
    card_key = (features.get("card_bin"), features.get("card_last4"))
    reason = SANDBOX_CARDS.get(card_key)
    if reason is None:
        return
    payment_id = Payment.objects.filter(public_id=event.object_id).values_list("pk", flat=True)
    delay = _setting("RISK_SANDBOX_DISPUTE_DELAY", timedelta(minutes=2))
    IssuerDisputeNotice.objects.get_or_create(
        payment_id=payment_id[0],
        defaults={
            "reason": reason,
            "inquiry": card_key in SANDBOX_INQUIRY_CARDS,
            "due_at": timezone.now() + delay,
        },
    )


def disputes_open_due(*, now=None) -> int:
    """Open the disputes whose notice is due (beat, every minute); return how many."""
    now = now or timezone.now()
    opened = 0
    for _ in range(100):
        with transaction.atomic():
            due = IssuerDisputeNotice.objects.filter(dispute__isnull=True, due_at__lte=now)
            if connection.vendor == "postgresql":
                due = due.select_for_update(skip_locked=True)
            notice = due.order_by("due_at", "pk").first()
            if notice is None:
                break
            notice.dispute = dispute_open(
                payment_pk=notice.payment_id, reason=notice.reason, inquiry=notice.inquiry
            )
            notice.save(update_fields=["dispute"])
            opened += 1
    return opened


def _ledger_lines(dispute: Dispute, sign: int) -> list[Line]:
    owner, cur = dispute.merchant.public_id, dispute.currency
    lines = [
        Line(
            owner=owner,
            kind="merchant_pending",
            currency=cur,
            amount=sign * (dispute.amount + dispute.fee),
        ),
        Line(
            owner=dispute.payment.institution,
            kind="institution_receivable",
            currency=cur,
            amount=-sign * dispute.amount,
        ),
    ]
    if dispute.fee:
        lines.append(
            Line(owner=owner, kind="platform_fees", currency=cur, amount=-sign * dispute.fee)
        )
    return lines


@transaction.atomic
def dispute_open(*, payment_pk: int, reason: str, inquiry: bool = False) -> Dispute | None:
    """Open a dispute of the captured payment's unrefunded amount, taking it and the fee from
    the merchant's balance; None when nothing is left to dispute. An ``inquiry`` opens
    ``warning_needs_response`` and takes nothing (no fee either)."""
    _, payment = locks.payment_with_order(payment_pk=payment_pk)
    amount = payment.amount_captured - payment.amount_refunded
    if payment.status not in Payment.CAPTURED_STATES or amount <= 0:
        return None
    days = _setting("RISK_DISPUTE_EVIDENCE_DAYS", 7)
    dispute = Dispute.objects.create(
        payment=payment,
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
        amount=amount,
        currency=payment.currency,
        fee=0 if inquiry else dispute_fee(payment.currency),
        reason=reason,
        status=Status.WARNING_NEEDS_RESPONSE if inquiry else Status.NEEDS_RESPONSE,
        evidence_due_by=timezone.now() + timedelta(days=days),
    )
    if inquiry:
        event_record(obj=dispute, type="dispute.created", sequence=1)
        return dispute
    journal_post(
        kind="adjustment",
        reference=dispute.public_id,
        description=f"Dispute {dispute.public_id} of {payment.public_id} ({reason})",
        idempotency_key=f"dispute:{dispute.public_id}:open",
        lines=_ledger_lines(dispute, +1),
    )
    event_record(obj=dispute, type="dispute.created", sequence=1)
    return dispute


def _locked(dispute: Dispute) -> Dispute:
    return (
        Dispute.objects.select_for_update().select_related("payment", "merchant").get(pk=dispute.pk)
    )


@transaction.atomic
def dispute_evidence_update(
    *, dispute: Dispute, evidence: dict, files: list[Upload] | None = None
) -> Dispute:
    """Add or replace text evidence, and add files (``evidence``), while the dispute waits for
    a response."""
    dispute = _locked(dispute)
    if dispute.status not in (Status.NEEDS_RESPONSE, Status.WARNING_NEEDS_RESPONSE):
        raise InvalidTransition(
            f"Evidence can no longer be changed: the dispute is {dispute.status}."
        )
    merged = {**dispute.evidence, **{k: v for k, v in evidence.items() if v is not None}}
    if sum(len(v) for v in merged.values()) > EVIDENCE_TOTAL_MAX:
        raise ValidationFailed(
            [
                FieldError(
                    "evidence",
                    "too_long",
                    f"Evidence is at most {EVIDENCE_TOTAL_MAX} characters in all.",
                )
            ]
        )
    evidence_files_add(dispute=dispute, uploads=files or [])
    dispute.evidence = merged
    dispute.save(update_fields=["evidence"])
    event_record(obj=dispute, type="dispute.updated")
    return dispute


@transaction.atomic
def dispute_submit(*, dispute: Dispute) -> Dispute:
    """Send the evidence to the issuer; in the sandbox the issuer decides at once."""
    dispute = _locked(dispute)
    if not any(dispute.evidence.values()) and not dispute.files.exists():
        raise ValidationFailed(
            [FieldError("evidence", "required", "Add evidence before submitting.")]
        )
    warning = dispute.status == Status.WARNING_NEEDS_RESPONSE
    transition_run(
        dispute.submit_warning if warning else dispute.submit, "This dispute was submitted already."
    )
    dispute.submitted_at = timezone.now()
    dispute.save()
    event_record(obj=dispute, type="dispute.updated")
    if dispute.livemode:
        return dispute
    text = " ".join(str(v) for v in dispute.evidence.values())
    if warning and "winning_evidence" in text:
        # The sandbox issuer is satisfied: the inquiry closes, no dispute follows.
        transition_run(dispute.close_warning)
        dispute.closed_at = timezone.now()
        dispute.save()
        event_record(obj=dispute, type="dispute.closed")
    elif not warning and "winning_evidence" in text:
        _close(dispute, won=True)
    elif not warning and "losing_evidence" in text:
        _close(dispute, won=False)
    return dispute


@transaction.atomic
def dispute_accept(*, dispute: Dispute) -> Dispute:
    """Accept the dispute: it is lost, the money stays with the issuer."""
    dispute = _locked(dispute)
    if dispute.status != Status.NEEDS_RESPONSE:
        raise InvalidTransition(f"A dispute that is {dispute.status} cannot be accepted.")
    _close(dispute, won=False)
    return dispute


def _close(dispute: Dispute, *, won: bool) -> None:
    transition_run(dispute.win if won else dispute.lose)
    dispute.closed_at = timezone.now()
    if won:
        journal_post(
            kind="adjustment",
            reference=dispute.public_id,
            description=f"Dispute {dispute.public_id} won: amount and fee given back",
            idempotency_key=f"dispute:{dispute.public_id}:won",
            lines=_ledger_lines(dispute, -1),
        )
        dispute.funds_reinstated = True
    dispute.save()
    event_record(obj=dispute, type="dispute.closed")


#: A dispute in these states holds the payment's money (or the issuer kept it): no refund.
REFUND_BLOCKING = (Status.NEEDS_RESPONSE, Status.UNDER_REVIEW, Status.LOST)


def dispute_refund_refusal(*, payment) -> str:
    """Why ``payment`` may not be refunded (``payments.screening`` refund guard), or ""."""
    dispute = (
        Dispute.objects.filter(payment_id=payment.pk, status__in=REFUND_BLOCKING)
        .values_list("public_id", "status")
        .first()
    )
    if dispute is None:
        return ""
    public_id, status = dispute
    if status == Status.LOST:
        return (
            f"This payment was disputed and the dispute {public_id} was lost: the issuer "
            "already returned the money to the cardholder, so it cannot be refunded."
        )
    return (
        f"This payment is disputed ({public_id}, {status}): the disputed amount is already "
        "held from your balance; answer or accept the dispute instead of refunding."
    )


_WARNINGS = (Status.WARNING_NEEDS_RESPONSE, Status.WARNING_UNDER_REVIEW, Status.WARNING_CLOSED)


def dispute_adjustments(*, cutoff, merchant_ids=None) -> list[Adjustment]:
    """What disputes took from (opening) and gave back to (won) merchants' balances before
    ``cutoff``, for ``settlement.adjustments``: the merchant's next batch nets them."""
    disputes = Dispute.objects.exclude(status__in=_WARNINGS).filter(created__lt=cutoff)
    if merchant_ids is not None:
        disputes = disputes.filter(merchant_id__in=merchant_ids)
    out = []
    for d in disputes.order_by("id").only(*_ADJUSTMENT_FIELDS):
        group = {"merchant_id": d.merchant_id, "currency": d.currency, "livemode": d.livemode}
        taken = d.amount + d.fee
        out.append(
            Adjustment(
                **group,
                reference=f"dispute:{d.public_id}:open",
                description=f"Dispute {d.public_id} ({d.reason}): amount and fee",
                amount=taken,
                occurred_at=d.created,
            )
        )
        if d.funds_reinstated and d.closed_at and d.closed_at < cutoff:
            out.append(
                Adjustment(
                    **group,
                    reference=f"dispute:{d.public_id}:won",
                    description=f"Dispute {d.public_id} won: amount and fee given back",
                    amount=-taken,
                    occurred_at=d.closed_at,
                )
            )
    return out


_ADJUSTMENT_FIELDS = (
    "public_id",
    "merchant_id",
    "currency",
    "livemode",
    "amount",
    "fee",
    "reason",
    "created",
    "closed_at",
    "funds_reinstated",
)


def dispute_ledger_totals() -> list[tuple[str, str, str, int]]:
    """What disputes hold on merchant accounts (for ``payments.invariants``)."""
    rows = (
        Dispute.objects.filter(funds_reinstated=False)
        .exclude(
            status__in=[
                Status.WARNING_NEEDS_RESPONSE,
                Status.WARNING_UNDER_REVIEW,
                Status.WARNING_CLOSED,
            ]
        )
        .values("merchant__public_id", "currency")
        .annotate(amount=Sum("amount"), fee=Sum("fee"))
        .order_by()
    )
    out = []
    for row in rows:
        owner, cur = row["merchant__public_id"], row["currency"]
        out.append((owner, cur, "merchant_pending", row["amount"] + row["fee"]))
        out.append((owner, cur, "platform_fees", -row["fee"]))
    return out
