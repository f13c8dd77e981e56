"""Guards on the cost of the hosted checkout page: the SQL queries one visit runs.

Budgets, not timings: a change that adds a query to ``GET /checkout/<token>/`` (a second lookup,
a session read, a lazy merchant) fails here before it shows up as requests/s in
``make bench``. The order page reads its order, merchant and active payment in one query,
compiled once per process (``payments.checkout.queries``); the tests below also hold that query
to what the ORM itself returns.
"""

import pytest

from payments.checkout.queries import order_for_checkout, order_page_queryset
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


def test_the_compiled_order_query_returns_what_the_orm_returns(
    make_order, django_assert_num_queries
):
    idle = make_order(metadata={"cart": "beans"}, description="Beans")
    busy = make_order(reference="busy")
    payment = payment_create(order=busy, method=card(OTP_CARD))

    for order, active in ((idle, None), (busy, payment.public_id)):
        expected = order_page_queryset().get(checkout_token=order.checkout_token)
        with django_assert_num_queries(1):
            got = order_for_checkout(order.checkout_token)
            merchant = got.merchant  # loaded with the order, not on access

        fields = [f.attname for f in type(expected)._meta.concrete_fields]
        assert [getattr(got, f) for f in fields] == [getattr(expected, f) for f in fields]
        assert got.active_payment_id == expected.active_payment_id == active
        assert merchant == expected.merchant and merchant.name == expected.merchant.name
        assert got._state.db == expected._state.db and not got._state.adding
    assert order_for_checkout("no-such-token") is None
