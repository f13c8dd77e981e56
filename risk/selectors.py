"""Reads of the risk app, each scoped to one merchant and mode."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from payments.errors import NotFound

from .models import Dispute, DisputeEvidenceFile, ListEntry, Rule


def rule_list(*, merchant, livemode: bool) -> QuerySet[Rule]:
    return Rule.objects.filter(merchant=merchant, livemode=livemode).order_by("-created", "-id")


def rule_get(*, merchant, livemode: bool, rule_id: str) -> Rule:
    rule = rule_list(merchant=merchant, livemode=livemode).filter(public_id=rule_id).first()
    if rule is None:
        raise NotFound("No such rule.")
    return rule


def list_entries(*, merchant, livemode: bool) -> QuerySet[ListEntry]:
    return ListEntry.objects.filter(merchant=merchant, livemode=livemode).order_by(
        "-created", "-id"
    )


def dispute_list(*, merchant, livemode: bool) -> QuerySet[Dispute]:
    return (
        Dispute.objects.filter(merchant=merchant, livemode=livemode)
        .select_related("payment")
        .prefetch_related(
            Prefetch(
                "files",
                queryset=DisputeEvidenceFile.objects.defer("content"),
                to_attr="evidence_file_list",
            )
        )
        .order_by("-created", "-id")
    )


def dispute_get(*, merchant, livemode: bool, dispute_id: str) -> Dispute:
    dispute = (
        dispute_list(merchant=merchant, livemode=livemode).filter(public_id=dispute_id).first()
    )
    if dispute is None:
        raise NotFound("No such dispute.")
    return dispute


def dispute_rate_since(*, merchant_ids: list[int] | None, livemode: bool, since) -> dict:
    """Disputes opened and payments captured since ``since`` (None ids: every merchant), and
    the open reviews now: the dashboard's risk figures."""
    from payments.models import Payment

    from .models import Review

    def scoped(queryset):
        return queryset if merchant_ids is None else queryset.filter(merchant_id__in=merchant_ids)

    disputes = scoped(Dispute.objects.filter(livemode=livemode, created__gte=since)).count()
    captured = scoped(Payment.objects.filter(livemode=livemode, captured_at__gte=since)).count()
    reviews = scoped(Review.objects.filter(livemode=livemode, status=Review.Status.OPEN)).count()
    return {
        "disputes": disputes,
        "captured": captured,
        "rate": disputes / captured if captured else None,
        "open_reviews": reviews,
    }


def dispute_file_get(*, dispute: Dispute, file_id: str) -> DisputeEvidenceFile:
    """One evidence file of ``dispute`` (of the caller's merchant and mode), with its content."""
    found = DisputeEvidenceFile.objects.filter(dispute=dispute, public_id=file_id).first()
    if found is None:
        raise NotFound("No such evidence file.")
    return found
