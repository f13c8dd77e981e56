"""The SEPA credit transfer file (pain.001.001.03) of a payout batch's EUR items, with sepaxml.

The debtor is the account payouts leave from (settings ``PAYOUTS_DEBTOR_NAME`` and
``PAYOUTS_DEBTOR_IBAN``; its BIC is found from the IBAN); each item is one
transaction whose end-to-end id is the merchant's reference for it. sepaxml validates the file
against the pain.001 schema as it writes it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from schwifty import IBAN
from sepaxml import SepaTransfer

from .models import PayoutBatch, PayoutItem

SCHEMA = "pain.001.001.03"


def sepa_items(*, batch: PayoutBatch):
    """The items a batch's SEPA file carries: those in EUR, in row order."""
    return (
        PayoutItem.objects.filter(batch=batch, currency="EUR")
        .exclude(failure_code="batch_canceled")
        .select_related("recipient")
        .order_by("row")
    )


def sepa_credit_transfer(*, batch: PayoutBatch) -> bytes:
    """Return the pain.001 XML of the batch's EUR items; raise ``ValueError`` if it has none."""
    items = list(sepa_items(batch=batch))
    if not items:
        raise ValueError("This batch has no EUR payout to send by SEPA.")
    debtor = IBAN(settings.PAYOUTS_DEBTOR_IBAN)
    config = {
        "name": settings.PAYOUTS_DEBTOR_NAME,
        "IBAN": debtor.compact,
        "batch": True,
        "currency": "EUR",
    }
    if debtor.bic:
        config["BIC"] = str(debtor.bic)
    transfer = SepaTransfer(config, schema=SCHEMA)
    when = (batch.exported_at or timezone.now()).date()
    for item in items:
        payment = {
            "name": item.recipient.name,
            "IBAN": item.recipient.iban,
            "amount": item.amount,
            "execution_date": when,
            "description": f"{batch.reference} {item.reference}"[:140],
            "endtoend_id": item.reference,
        }
        if item.recipient.bic:
            payment["BIC"] = item.recipient.bic
        transfer.add_payment(payment)
    return transfer.export(validate=True)
