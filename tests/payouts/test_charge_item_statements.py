"""What a charge item costs beyond its payment: the batch's own statements per item are few
(its claim, its order's link, its outcome), whatever the payment core needs itself."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import PaymentMethod
from payments.services import order_create, payment_create_saved
from payouts.models import ChargeItem
from payouts.services import charge_batch_create, charge_batch_start
from payouts.services.charge_batches import charge_item_run

pytestmark = pytest.mark.django_db

# The batch's statements per item: the claim (SELECT … FOR UPDATE of the item with its batch
# and merchant), its UPDATE, the outcome's UPDATE, and the claim's transaction.
BATCH_STATEMENTS_MAX = 5


def test_a_charge_item_costs_a_few_statements_beyond_its_payment(merchant, cards):
    rows = [
        {
            "reference": f"r-{n}",
            "customer": cards["customer"],
            "payment_method": cards["good"],
            "amount": 900,
            "currency": "USD",
        }
        for n in range(3)
    ]
    batch, _ = charge_batch_create(merchant=merchant, livemode=False, reference="s", items=rows)
    charge_batch_start(batch=batch)
    first, second = ChargeItem.objects.filter(batch=batch).order_by("pk")[:2]
    charge_item_run(item_pk=first.pk)  # warm: the ledger's accounts, the sandbox's rows

    with CaptureQueriesContext(connection) as item:
        assert charge_item_run(item_pk=second.pk).status == "succeeded"
    method = PaymentMethod.objects.get(public_id=cards["good"])
    with CaptureQueriesContext(connection) as bare:
        order = order_create(merchant=merchant, amount=900, currency="USD", reference="bare")
        payment = payment_create_saved(
            order=order, method_id=method.public_id, merchant_initiated=True
        )
    assert payment.status == "captured"

    overhead = len(item.captured_queries) - len(bare.captured_queries)
    assert overhead <= BATCH_STATEMENTS_MAX, "\n".join(
        q["sql"][:120] for q in item.captured_queries
    )
