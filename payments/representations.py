"""The public JSON shape of each object: the API, events and webhooks all use these."""

from __future__ import annotations

from django.conf import settings

from fx.arithmetic import rate_text
from fx.models import Conversion

from .models import Event, Order, Payment, Refund
from .screening import payment_fields


def iso_timestamp(value) -> str | None:
    """Return the API's form of a time: ISO 8601 in UTC with a ``Z``; None for None."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def checkout_url(order: Order) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/checkout/{order.checkout_token}/"


def next_action_data(payment: Payment) -> dict | None:
    if payment.status == Payment.Status.REQUIRES_ACTION:
        challenge = payment.otp_challenges.filter(status="pending").first()
        if challenge:
            return {
                "type": "otp",
                "channel": challenge.channel,
                "destination": challenge.masked_destination,
                "expires_at": iso_timestamp(challenge.valid_until),
                "attempts_remaining": challenge.attempts_remaining,
                "resends_remaining": challenge.resends_remaining,
            }
    if payment.status == Payment.Status.PROCESSING and payment.transfer:
        return {"type": "bank_transfer_instructions", **payment.transfer}
    return None


def payment_method_data(payment: Payment) -> dict:
    data: dict = {"type": payment.method_type}
    if payment.method_type == Payment.Method.CARD:
        data["card"] = {
            "brand": payment.card_brand,
            "last4": payment.card_last4,
            "exp_month": payment.card_exp_month,
            "exp_year": payment.card_exp_year,
        }
    elif payment.method_type == Payment.Method.WALLET:
        data["wallet"] = {"phone_last4": payment.wallet_phone[-4:]}
    return data


def _conversion_of(payment: Payment) -> Conversion | None:
    if payment.status not in Payment.CAPTURED_STATES or payment.pk is None:
        return None  # converted only at capture: no query for the others
    if Payment.merchant.is_cached(payment) and not _has_fx_terms(payment.merchant):
        return None  # a merchant without FX terms has no conversions: no query either
    try:
        return payment.fx_conversion
    except Conversion.DoesNotExist:
        return None


def _has_fx_terms(merchant) -> bool:
    return bool(
        merchant.settlement_currency or merchant.cross_border_fee_bps or merchant.dcc_enabled
    )


def payment_fx_data(payment: Payment) -> dict | None:
    """What the capture settles as (``fx.models.Conversion``): None unless it was converted into
    the merchant's settlement currency or paid a cross-border fee."""
    conversion = _conversion_of(payment)
    if conversion is None:
        return None
    return {
        "presentment_amount": conversion.presentment_amount,
        "presentment_currency": conversion.presentment_currency,
        "settlement_amount": conversion.settlement_amount,
        "settlement_currency": conversion.settlement_currency,
        "rate": rate_text(conversion.rate) if conversion.converted else None,
        "fixing_date": conversion.fixing_date.isoformat() if conversion.fixing_date else None,
        "rate_source": conversion.source or None,
        "rate_stale": conversion.stale,
        "quote": conversion.quote.public_id if conversion.quote_id else None,
        "markup_bps": conversion.markup_bps,
        "markup_amount": conversion.markup_amount,
        "card_country": conversion.card_country or None,
        "cross_border_fee_bps": conversion.cross_border_fee_bps,
        "cross_border_fee": conversion.cross_border_fee,
    }


def payment_data(payment: Payment, *, include_order: bool = True) -> dict:
    return {
        "id": payment.public_id,
        "object": "payment",
        "livemode": payment.livemode,
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "amount_authorized": payment.amount_authorized,
        "amount_captured": payment.amount_captured,
        "amount_refunded": payment.amount_refunded,
        "capture_method": payment.capture_method,
        "order": payment.order.public_id if include_order else None,
        "institution": payment.institution,
        "payment_method": payment_method_data(payment),
        "decline_code": payment.decline_code or None,
        "decline_message": payment.decline_message or None,
        "authentication_method": payment.authentication_method or None,
        "next_action": next_action_data(payment),
        "created": iso_timestamp(payment.created),
        "authorized_at": iso_timestamp(payment.authorized_at),
        "captured_at": iso_timestamp(payment.captured_at),
        "canceled_at": iso_timestamp(payment.canceled_at),
        **payment_fields(payment),  # e.g. ``risk``, from the app that screens payments
        "fx": payment_fx_data(payment),
    }


def order_data(order: Order, *, with_payments: bool = True, payments=None) -> dict:
    """``payments``: the order's payments when the caller knows them (a new order has none)."""
    data = {
        "id": order.public_id,
        "object": "order",
        "livemode": order.livemode,
        "status": order.status,
        "amount": order.amount,
        "currency": order.currency,
        "reference": order.reference,
        "description": order.description,
        "customer_email": order.customer_email or None,
        "customer": order.customer or None,
        "setup_future_usage": order.setup_future_usage,
        "return_url": order.return_url or None,
        "capture_method": order.capture_method,
        "metadata": order.metadata,
        "line_items": order.line_items,
        "checkout_url": checkout_url(order),
        "expires_at": iso_timestamp(order.expires_at),
        "paid_at": iso_timestamp(order.paid_at),
        "created": iso_timestamp(order.created),
    }
    if with_payments:
        payments = order.payments.all() if payments is None else payments
        if Order.merchant.is_cached(order):
            for payment in payments:
                if not Payment.merchant.is_cached(payment):
                    payment.merchant = order.merchant  # its own: spares ``fx`` a query
        data["payments"] = [
            payment_data(p, include_order=False) | {"order": order.public_id}
            # Sorted here, not in SQL, so a prefetched ``payments`` serves every order of a list.
            for p in sorted(payments, key=lambda p: (p.created, p.id))
        ]
    return data


def refund_data(refund: Refund) -> dict:
    return {
        "id": refund.public_id,
        "object": "refund",
        "livemode": refund.livemode,
        "status": refund.status,
        "amount": refund.amount,
        "currency": refund.currency,
        "payment": refund.payment.public_id,
        "order": refund.payment.order.public_id,
        "reason": refund.reason or None,
        "failure_code": refund.failure_code or None,
        "created": iso_timestamp(refund.created),
        "processed_at": iso_timestamp(refund.processed_at),
    }


def event_data(event: Event) -> dict:
    """The event body webhooks send and the events API returns."""
    return {
        "id": event.public_id,
        "object": "event",
        "type": event.type,
        "created": iso_timestamp(event.created),
        "livemode": event.livemode,
        "sequence": event.sequence,
        "data": {"object": event.data},
    }


def object_data(obj) -> dict:
    if isinstance(obj, Order):
        return order_data(obj)
    if isinstance(obj, Payment):
        return payment_data(obj)
    if isinstance(obj, Refund):
        return refund_data(obj)
    if hasattr(obj, "api_data"):
        return obj.api_data()
    raise TypeError(f"no representation for {type(obj).__name__}")
