"""Routing by payment method, and what reaches the institution: the method, the merchant who is
paid and the order."""

import pytest

from institutions.models import SandboxAuthorization
from tests.api.conftest import card_body
from tests.conftest import AMEX, MASTERCARD, VISA, WALLET_OK

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "institution"),
    [
        (card_body(VISA), "sandbox_issuer_visa"),
        (card_body(MASTERCARD), "sandbox_issuer_mc"),
        (card_body(AMEX), "sandbox_issuer_amex"),
        ({"type": "wallet", "wallet": {"phone": WALLET_OK}}, "sandbox_wallet"),
        ({"type": "bank_transfer"}, "sandbox_transfer"),
    ],
)
def test_each_method_is_routed_to_its_institution_with_the_merchant_and_the_order(
    merchant, create_order, pay_order, method, institution
):
    order = create_order(amount=4321, reference="order-7001")

    payment = pay_order(order["id"], method).json()

    assert payment["institution"] == institution
    (asked,) = SandboxAuthorization.objects.all()
    assert asked.institution == institution
    assert asked.method_type == method["type"]
    assert (asked.amount, asked.currency) == (4321, "USD")
    assert (asked.merchant_id, asked.merchant_name) == (merchant.public_id, merchant.name)
    assert asked.description == "order-7001"


def test_the_otp_retry_reaches_the_institution_for_the_same_merchant_and_order(
    api, merchant, create_order, pay_order, sandbox_otp_code
):
    from payments.models import Payment

    order = create_order(reference="order-7002")
    payment = pay_order(order["id"], {"type": "wallet", "wallet": {"phone": WALLET_OK}}).json()
    code = sandbox_otp_code(Payment.objects.get(public_id=payment["id"]))

    verified = api.post(f"/api/v1/payments/{payment['id']}/otp", {"code": code}, format="json")

    assert verified.json()["status"] == "captured"
    asked = SandboxAuthorization.objects.order_by("pk")
    assert [(a.decision, a.authenticated) for a in asked] == [
        ("challenge", False),
        ("approved", True),
    ]
    assert {(a.merchant_id, a.description) for a in asked} == {(merchant.public_id, "order-7002")}
