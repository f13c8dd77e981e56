"""The customer's passkeys on the hosted page reached from the card-update link: listed, and
removable one at a time; another customer's passkey cannot be removed from it."""

import pytest

from billing.models import PaymentMethod, ShopperPasskey, Subscription
from billing.services.notices import update_link_token
from tests.billing.subscription_helpers import Merchant
from tests.webauthn_soft import SoftAuthenticator

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(api, django_capture_on_commit_callbacks):
    return Merchant(api, django_capture_on_commit_callbacks)


def _passkey(method_id: str) -> ShopperPasskey:
    device = SoftAuthenticator()
    return ShopperPasskey.objects.create(
        payment_method=PaymentMethod.objects.get(public_id=method_id),
        credential_id=device.credential_id,
        public_key=device.cose_public_key(),
    )


@pytest.fixture
def subscribed(flow):
    customer = flow.customer()
    method = flow.card(customer)
    subscription = flow.subscribe(customer, flow.price(), method)
    return Subscription.objects.get(public_id=subscription["id"]), method["id"]


def test_the_page_lists_the_customers_passkeys_and_removes_one(client, subscribed, flow):
    subscription, method_id = subscribed
    kept, removed = _passkey(method_id), _passkey(method_id)
    url = f"/billing/update/{update_link_token(subscription)}/passkeys/"

    page = client.get(url).content.decode()
    response = client.post(url, {"remove": removed.pk})

    assert f'id="passkey-{kept.pk}"' in page and f'id="passkey-{removed.pk}"' in page
    assert response.status_code == 302 and "removed=1" in response["Location"]
    assert list(ShopperPasskey.objects.values_list("pk", flat=True)) == [kept.pk]
    update_page = client.get(f"/billing/update/{update_link_token(subscription)}/")
    assert b'id="passkeys-link"' in update_page.content


def test_another_customers_passkey_is_not_removed_from_this_page(client, subscribed, flow):
    subscription, _ = subscribed
    other = flow.customer(email="bob@example.com")
    theirs = _passkey(flow.card(other, number="5555555555554444")["id"])
    url = f"/billing/update/{update_link_token(subscription)}/passkeys/"

    client.post(url, {"remove": theirs.pk})
    client.post(url, {"remove": "x\x00"})

    assert ShopperPasskey.objects.filter(pk=theirs.pk).exists()
    assert f'id="passkey-{theirs.pk}"' not in client.get(url).content.decode()
