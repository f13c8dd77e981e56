"""The institution checks the account's status before anything else: a blocked, closed, expired,
lost or stolen account is declined with its own reason, nothing is held and no code is sent."""

import pytest

from institutions.models import SandboxHold
from payments.models import OutboxMessage
from tests.api.conftest import card_body
from tests.conftest import BLOCKED, ISSUER_EXPIRED, LOST, STOLEN

pytestmark = pytest.mark.django_db

CLOSED_CARD = "4000000000000010"
WALLET_BLOCKED = "+15555550102"
WALLET_CLOSED = "+15555550103"


@pytest.mark.parametrize(
    ("method", "code"),
    [
        (card_body(BLOCKED), "card_declined"),
        (card_body(CLOSED_CARD), "account_closed"),
        (card_body(ISSUER_EXPIRED), "expired_card"),
        (card_body(LOST), "lost_card"),
        (card_body(STOLEN), "stolen_card"),
        ({"type": "wallet", "wallet": {"phone": WALLET_BLOCKED}}, "account_blocked"),
        ({"type": "wallet", "wallet": {"phone": WALLET_CLOSED}}, "account_closed"),
    ],
)
def test_an_account_that_cannot_pay_is_declined_with_its_reason(
    api, create_order, pay_order, method, code, assert_invariants
):
    order = create_order()

    response = pay_order(order["id"], method)

    assert response.status_code == 201
    payment = response.json()
    assert (payment["status"], payment["decline_code"]) == ("declined", code)
    assert payment["decline_message"]
    assert not SandboxHold.objects.exists()
    assert not OutboxMessage.objects.exists()  # no OTP for an account that cannot pay
    assert api.get(f"/api/v1/orders/{order['id']}").json()["status"] == "pending"
    assert_invariants()


def test_a_closed_account_is_told_to_the_shopper_who_can_pay_another_way(api, client, create_order):
    order = create_order()
    path = "/" + order["checkout_url"].split("://", 1)[1].split("/", 1)[1]
    data = {"method": "card", "exp": "12 / 35", "cvc": "123", "holder_name": "Ada Lovelace"}

    declined = client.post(path, {**data, "number": CLOSED_CARD})
    page = client.get(declined["Location"]).content.decode()
    paid = client.post(path, {**data, "number": "4242424242424242"})

    assert "This account is closed" in page and f'href="{path}"' in page
    assert client.get(paid["Location"]).status_code == 200
    statuses = [
        p["decline_code"] or p["status"]
        for p in api.get(f"/api/v1/orders/{order['id']}").json()["payments"]
    ]
    assert statuses == ["account_closed", "captured"]
