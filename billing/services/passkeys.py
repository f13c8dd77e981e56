"""Shoppers' passkeys, kept per saved card (``ShopperPasskey``) for the hosted checkout.

``payments.passkeys`` asks this store (registered in ``BillingConfig.ready``): the passkeys of
the order's customer for the payment's card, registering one, recording a counter. Removing a
card (detaching it) removes its passkeys; the shopper lists and removes them on the card-update
page.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from payments.models import Payment
from payments.passkeys import StoredPasskey

from ..models import PaymentMethod, ShopperPasskey


def _method_of(payment: Payment) -> PaymentMethod | None:
    return (
        PaymentMethod.objects.filter(
            merchant_id=payment.merchant_id,
            livemode=payment.livemode,
            customer__public_id=payment.order.customer,
            customer__deleted_at__isnull=True,
            card_id=payment.card_id,
            detached_at__isnull=True,
        )
        .order_by("-id")
        .first()
    )


class BillingPasskeyStore:
    def for_payment(self, *, payment: Payment) -> list[StoredPasskey]:
        method = _method_of(payment)
        if method is None:
            return []
        return [
            StoredPasskey(p.credential_id, bytes(p.public_key), p.sign_count)
            for p in method.passkeys.all()
        ]

    def card_saved(self, *, payment: Payment) -> bool:
        return _method_of(payment) is not None

    def register(self, *, payment: Payment, credential_id: str, public_key: bytes, sign_count: int):
        method = _method_of(payment)
        if method is None:
            raise LookupError("The payment's card is not saved for its customer.")
        return ShopperPasskey.objects.create(
            payment_method=method,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
        )

    def counter_update(self, *, credential_id: str, sign_count: int) -> None:
        ShopperPasskey.objects.filter(credential_id=credential_id).update(
            sign_count=sign_count, last_used_at=timezone.now()
        )


STORE = BillingPasskeyStore()
logger = logging.getLogger(__name__)


def customer_passkeys(*, customer) -> list[ShopperPasskey]:
    """The passkeys of the customer's attached cards, oldest first."""
    return list(
        ShopperPasskey.objects.filter(
            payment_method__customer=customer, payment_method__detached_at__isnull=True
        ).select_related("payment_method")
    )


def customer_passkey_remove(*, customer, passkey_id: int) -> bool:
    """Remove one of the customer's passkeys; return whether one was removed."""
    deleted, _ = ShopperPasskey.objects.filter(
        pk=passkey_id, payment_method__customer=customer
    ).delete()
    if deleted:
        logger.info("passkey %s removed by its customer %s", passkey_id, customer.public_id)
    return bool(deleted)
