"""What the risk app plugs into ``payments`` (registered in ``RiskConfig.ready``).

- ``payments.screening``: the screener (before routing), the holder (a review holds an
  authorization), and the payment's ``risk`` field in the API, events and webhooks.
- ``payments.signals.event_recorded``: a declined payment counts as a decline in the velocity of
  its card, address, e-mail, BIN and order; a payment that ends while its review is open closes
  the review.
"""

from __future__ import annotations

from payments.models import Payment

from . import velocity
from .features import velocity_keys
from .models import Evaluation

#: A payment held for review that is captured, voided or expires by other means than the review
#: (the merchant's API call, the expiry sweep) closes the review.
_ENDED = frozenset({"payment.captured", "payment.canceled", "payment.expired"})


def payment_risk_data(payment: Payment) -> dict | None:
    try:
        evaluation = payment.risk_evaluation
    except Evaluation.DoesNotExist:
        return None
    return evaluation.api_data()


def on_event_recorded(sender, event, **kwargs) -> None:
    if event.type == "payment.declined":
        _decline_count(event)
        return
    if event.type == "payment.captured":
        from .services.disputes import notice_schedule

        notice_schedule(event=event)
    if event.type in _ENDED and (event.data.get("risk") or {}).get("decision") == "review":
        # Only a payment the screening sent to review can have an open review: the others cost
        # no query here.
        from .services.reviews import reviews_close_ended

        reviews_close_ended(payment_public_id=event.object_id)


def _decline_count(event) -> None:
    features = (
        Evaluation.objects.filter(payment__public_id=event.object_id)
        .values_list("features", flat=True)
        .first()
    )
    if not features:
        return
    velocity.decline_record(
        merchant_id=event.merchant_id,
        livemode=event.livemode,
        keys=list(velocity_keys(features).values()),
        card=features.get("card_fingerprint", ""),
        ref=event.object_id,
    )


def order_page_risk(sender, *, request, order, object_ids: list[str], **kwargs) -> str:
    """Return the order page's section: each payment's risk evaluation, explained."""
    from django.utils.html import format_html, format_html_join

    from .admin import reasons_html

    evaluations = Evaluation.objects.filter(payment__public_id__in=object_ids).select_related(
        "payment"
    )
    if not evaluations:
        return ""
    rows = format_html_join(
        "",
        "<h3>Risk of {}</h3>{}",
        ((e.payment.public_id, reasons_html(e)) for e in evaluations),
    )
    return format_html('<div class="module"><h2>Risk evaluations</h2>{}</div>', rows)
