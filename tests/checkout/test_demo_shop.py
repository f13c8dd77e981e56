"""The demo shop: a cart in the session, paid through the hosted checkout in test mode."""

import pytest

from demo.services import demo_setup
from payments.models import Order
from tests.conftest import BLOCKED

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_merchant(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # demo_setup keeps its API key file there
    return demo_setup().merchant


def test_the_shop_is_not_found_without_the_demo_merchant(client):
    assert client.get("/demo/shop/").status_code == 404


def test_the_shop_is_off_outside_demo_mode(client, demo_merchant, settings):
    settings.DEMO_MODE = False

    assert client.get("/demo/shop/").status_code == 404


def test_the_cart_is_kept_in_the_session_and_paid_through_the_checkout(client, demo_merchant):
    client.post("/demo/shop/", {"product": "beans-ethiopia"})
    client.post("/demo/shop/", {"product": "beans-ethiopia"})
    client.post("/demo/shop/", {"product": "filters"})
    shop = client.get("/demo/shop/").content.decode()

    response = client.post("/demo/shop/checkout")

    assert "$35.50" in shop  # 2 × 14.50 + 6.50
    order = Order.objects.get(merchant=demo_merchant)
    assert order.amount == 3550 and order.currency == "USD" and not order.livemode
    assert order.return_url == "http://testserver/demo/shop/thanks"
    assert response["Location"] == f"/checkout/{order.checkout_token}/"
    assert "Demo Coffee Roasters" in client.get(response["Location"]).content.decode()


def test_each_order_gets_a_unique_reference(client, demo_merchant):
    for _ in range(2):
        client.post("/demo/shop/", {"product": "dripper"})
        client.post("/demo/shop/checkout")

    references = list(Order.objects.values_list("reference", flat=True))
    assert len(set(references)) == 2


def test_an_empty_cart_creates_no_order(client, demo_merchant):
    response = client.post("/demo/shop/checkout")

    assert response["Location"] == "/demo/shop/"
    assert not Order.objects.exists()


def test_the_thank_you_page_reads_the_orders_real_status(client, demo_merchant):
    client.post("/demo/shop/", {"product": "dripper"})
    client.post("/demo/shop/checkout")
    order = Order.objects.get()

    pending = client.get(f"/demo/shop/thanks?order_id={order.public_id}&status=paid")

    assert "is pending" in pending.content.decode()


def test_the_cart_is_emptied_once_it_becomes_an_order(client, demo_merchant):
    """A shopper who pays and never follows the return link must not find the cart again."""
    client.post("/demo/shop/", {"product": "dripper"})

    client.post("/demo/shop/checkout")
    shop = client.get("/demo/shop/").content.decode()

    assert Order.objects.filter(merchant=demo_merchant, amount=2400).count() == 1
    assert "Your cart is empty." in shop
    assert client.post("/demo/shop/checkout")["Location"] == "/demo/shop/"
    assert Order.objects.filter(merchant=demo_merchant).count() == 1


def test_a_shopper_back_from_a_declined_payment_can_go_pay_the_order_again(client, demo_merchant):
    """The cart became the order, so the thank-you page of an unpaid order is the only way
    back to paying it: it must link to the order's checkout."""
    client.post("/demo/shop/", {"product": "dripper"})
    pay = client.post("/demo/shop/checkout")["Location"]
    order = Order.objects.get()
    card = {"method": "card", "number": BLOCKED, "exp": "12 / 35", "cvc": "123", "holder_name": "A"}
    client.post(pay, card)
    assert order.payments.get().status == "declined"

    html = client.get(
        f"/demo/shop/thanks?order_id={order.public_id}&status=pending"
    ).content.decode()

    assert f'href="{pay}"' in html


@pytest.mark.parametrize(
    ("refund", "heading", "text"),
    [
        (500, "Thank you for your order", "is paid; part of it has been refunded"),
        (None, "Your order was refunded", "was paid and refunded in full"),
    ],
)
def test_the_thank_you_page_of_a_refunded_order_says_so(
    client, demo_merchant, django_capture_on_commit_callbacks, refund, heading, text
):
    from payments.services import payment_create, refund_create
    from tests.conftest import card

    client.post("/demo/shop/", {"product": "dripper"})
    client.post("/demo/shop/checkout")
    order = Order.objects.get()
    payment = payment_create(order=order, method=card())
    with django_capture_on_commit_callbacks(execute=True):
        refund_create(merchant=None, payment_id=payment.public_id, amount=refund)

    html = client.get(f"/demo/shop/thanks?order_id={order.public_id}").content.decode()

    assert heading in html and text in html
    assert "not paid" not in html
