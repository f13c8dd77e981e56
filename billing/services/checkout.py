"""What the hosted checkout asks of billing, through ``payments.saved_methods``: whether an
order's customer exists, the cards it may pay with, and saving the card a shopper agreed to save.

Registered for ``cus_`` ids in ``BillingConfig.ready``; ``payments`` never imports this app.
"""

from __future__ import annotations

from django.utils import timezone

from payments.errors import NotFound
from payments.models import CardVault, Merchant
from payments.saved_methods import CustomerDirectory, SaveConsent, SavedCard

from ..models import Customer, PaymentMethod
from .methods import payment_method_attach_vaulted, saved_card_of


def _customer(*, merchant: Merchant, livemode: bool, customer_id: str) -> Customer | None:
    return Customer.objects.filter(
        merchant=merchant, livemode=livemode, public_id=customer_id, deleted_at__isnull=True
    ).first()


def customer_exists(*, merchant: Merchant, livemode: bool, customer_id: str) -> bool:
    return _customer(merchant=merchant, livemode=livemode, customer_id=customer_id) is not None


def customer_saved_cards(
    *, merchant: Merchant, livemode: bool, customer_id: str
) -> list[SavedCard]:
    """The customer's verified, unexpired cards, newest first (a customer keeps few)."""
    today = timezone.localdate()
    methods = (
        PaymentMethod.objects.filter(
            merchant=merchant,
            livemode=livemode,
            customer__public_id=customer_id,
            customer__deleted_at__isnull=True,
            detached_at__isnull=True,
            status=PaymentMethod.Status.ACTIVE,
        )
        .select_related("card")
        .order_by("-created", "-id")[:20]
    )
    return [
        saved_card_of(method)
        for method in methods
        if (method.card_exp_year, method.card_exp_month) >= (today.year, today.month)
    ]


def customer_card_save(
    *,
    merchant: Merchant,
    livemode: bool,
    customer_id: str,
    card: CardVault,
    holder_name: str,
    consent: SaveConsent,
) -> str:
    """Save the vault ``card`` for the customer; return the method id (existing or new)."""
    customer = _customer(merchant=merchant, livemode=livemode, customer_id=customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    method, _ = payment_method_attach_vaulted(
        customer=customer,
        card=card,
        holder_name=holder_name,
        consent_text=consent.text,
        consent_ip=consent.ip,
        consent_usage=consent.usage,
        consented_at=consent.consented_at,
    )
    return method.public_id


DIRECTORY = CustomerDirectory(
    exists=customer_exists, saved_cards=customer_saved_cards, card_save=customer_card_save
)
