"""Guards on the cost of the hosted checkout page: the SQL queries one visit runs.

Budgets, not timings: a change that adds a query to ``GET /checkout/<token>/`` (a second lookup,
a session read, a lazy merchant) fails here before it shows up as requests/s in
``make bench``. The order page reads its order, merchant and active payment in one query
(``payments.checkout.selectors``).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.checkout.selectors import order_for_checkout
from payments.services import payment_create
from tests.conftest import OTP_CARD, card

from .conftest import pay_path

pytestmark = pytest.mark.django_db

ORDER_PAGE_QUERIES = 1


def test_the_order_page_runs_one_query(client, make_order, django_assert_max_num_queries):
    order = make_order(description="One bag of beans", return_url="https://shop.example/back")
    client.get(pay_path(order))  # a first visit may warm per-process caches

    with django_assert_max_num_queries(ORDER_PAGE_QUERIES):
        response = client.get(pay_path(order))

    assert response.status_code == 200
    assert order.merchant.name in response.content.decode()


def test_the_order_page_goes_to_the_payment_under_way(client, order):
    payment = payment_create(order=order, method=card(OTP_CARD))

    response = client.get(pay_path(order))

    assert response.status_code == 302
    assert response["Location"] == f"/checkout/{order.checkout_token}/payments/{payment.public_id}/"


def test_the_order_comes_with_its_merchant_and_active_payment_in_one_query(
    make_order, django_assert_num_queries
):
    idle = make_order(metadata={"cart": "beans"}, description="Beans")
    busy = make_order(reference="busy")
    payment = payment_create(order=busy, method=card(OTP_CARD))

    for order, active in ((idle, None), (busy, payment.public_id)):
        with django_assert_num_queries(1):
            got = order_for_checkout(order.checkout_token)
            merchant_name = got.merchant.name  # loaded with the order, not on access

        assert got.pk == order.pk and got.metadata == order.metadata
        assert got.active_payment_id == active
        assert merchant_name == order.merchant.name
    assert order_for_checkout("no-such-token") is None


def test_a_shopper_carrying_a_session_is_not_written_to_on_each_visit(client, make_order):
    order = make_order()
    session = client.session
    session["cart"] = ["coffee"]  # e.g. a shopper coming from the demo shop
    session.save()
    client.get(pay_path(order))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(pay_path(order))

    assert response.status_code == 200
    writes = [
        q["sql"] for q in queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]
    ]
    assert writes == []
