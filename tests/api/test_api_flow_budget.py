"""Guards on the cost of one payment flow over the API: the SQL queries it runs.

Budgets, not timings: a change that adds a publish or a query per event or per payment on the
same card fails here (without a webhook endpoint a flow sends no Celery message, see
``tests/webhooks/test_webhooks_event_dispatch.py``), before it shows up as payments/s in ``make bench``.
"""

import pytest

pytestmark = pytest.mark.django_db

CARD = {
    "number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2035,
    "cvc": "123",
    "holder_name": "Ada Lovelace",
}
# 9 (the order and its order.created event, the API key, the Idempotency-Key claim and stored
# answer), plus the request log's INSERT (developers), which the test's own transaction wraps in
# a savepoint (2 more statements; in production the request has no open transaction: 1 INSERT).
ORDER_QUERIES = 12
# 55 with the risk screening, until the capture was asked with the authorization (a sale: 6
# statements fewer) and the endpoints and the risk evaluation were read once per request (48).
# Then 39: a transaction's events are written in one INSERT (the payment's authorized, captured
# and paid: 3 fewer), the ledger entry without a savepoint or an account SELECT (3 fewer), and
# the merchant's risk settings, rules, score model and webhook endpoints read by its
# configuration version (``payments.config_cache``: 4 fewer). Then 37: the answer's order,
# payment and attempt locked and read in one query, which also says whether the order has other
# payments to read for its ``order.paid`` snapshot (a first payment has none: 2 fewer), and the
# sandbox card account locked with its debit in one UPDATE (36).
PAYMENT_QUERIES = 36


@pytest.fixture
def flow(api, django_capture_on_commit_callbacks):
    """Create an order then pay it with 4242 (automatic capture), as the bench client does."""
    counter = {"n": 0}

    def create_order():
        counter["n"] += 1
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/api/v1/orders",
                {"amount": 1000, "currency": "USD", "reference": f"r{counter['n']}"},
                format="json",
                HTTP_IDEMPOTENCY_KEY=f"order-{counter['n']}",
            )
        assert response.status_code == 201, response.json()
        return response.json()

    def pay(order):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"/api/v1/orders/{order['id']}/payments",
                {"payment_method": {"type": "card", "card": CARD}},
                format="json",
                HTTP_IDEMPOTENCY_KEY=f"pay-{order['id']}",
            )
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "captured"
        return response.json()

    flow.create_order, flow.pay = create_order, pay
    return flow


# Pay in one call (``POST /api/v1/payments``, 4242, automatic capture). In production (no test
# transaction around the request) it is 31 round trips: the API key, the Idempotency-Key claim,
# then 3 commits: the order, payment, attempt, screening and events in one (12 statements, the
# velocity counts among them: in Redis when there is one); the institution's sale, authorized and
# captured at once (6: the card account locked with its debit in one UPDATE); the answer applied (9: the order, payment and attempt locked and read in
# one query; the ledger and events in one INSERT each; the new order's payments not read again);
# then the stored answer and the request log. Here the claim and the request log each sit in a
# savepoint of the test's transaction (4 more statements).
ONE_CALL_QUERIES = 35


def test_paying_in_one_call_runs_a_bounded_number_of_queries(
    api, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    def pay(n):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/api/v1/payments",
                {
                    "amount": 1000,
                    "currency": "USD",
                    "reference": f"one-{n}",
                    "payment_method": {"type": "card", "card": CARD},
                },
                format="json",
                HTTP_IDEMPOTENCY_KEY=f"one-{n}",
            )
        assert response.status_code == 201, response.json()
        assert response.json()["payment"]["status"] == "captured"

    pay(1)  # the card's first payment creates its balance rows
    with django_assert_max_num_queries(ONE_CALL_QUERIES):
        pay(2)


def test_a_payment_flow_runs_a_bounded_number_of_queries(flow, django_assert_max_num_queries):
    flow.pay(flow.create_order())  # the card's first payment creates its balance rows

    with django_assert_max_num_queries(ORDER_QUERIES):
        order = flow.create_order()
    with django_assert_max_num_queries(PAYMENT_QUERIES):
        flow.pay(order)
