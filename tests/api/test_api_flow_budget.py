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
# 10, plus the request log's INSERT (developers), which the test's own transaction wraps in a
# savepoint (2 more statements; in production the request has no open transaction: 1 INSERT).
ORDER_QUERIES = 13
# 43 before the risk screening; it adds 9: the merchant's risk settings, rules, lists and score
# model, the velocity read and write (database counters without Redis), the evaluation's INSERT,
# and the evaluation read for the events of the payment (authorized) and of its order (paid).
# Then 3 for the request log, as for the order above. 55 until the capture was asked with the
# authorization (a sale: 6 statements fewer) and the endpoints and the risk evaluation were
# read once per request.
PAYMENT_QUERIES = 48


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
# transaction around the request) it is 45 round trips: the API key, the Idempotency-Key claim,
# then 4 commits: the order, payment, attempt, screening and events in one (17 statements); the
# institution's sale, authorized and captured at once (6); the answer applied with the ledger
# and events (17); then the stored answer and the request log. Here the claim and the request
# log each sit in a savepoint of the test's transaction (4 more statements).
ONE_CALL_QUERIES = 48


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
