"""POST /api/v1/sandbox/reset: a merchant's sandbox accounts back to their published balances."""

import pytest

from tests.api.conftest import card_body

pytestmark = pytest.mark.django_db

DEBIT_100 = "4000056655665556"


def test_reset_restores_the_debit_card(
    api, create_order, pay_order, django_capture_on_commit_callbacks
):
    first = create_order(amount=6000)
    assert pay_order(first["id"], card_body(DEBIT_100)).json()["status"] == "captured"
    second = create_order(amount=6000)
    assert pay_order(second["id"], card_body(DEBIT_100)).json()["decline_code"] == (
        "insufficient_funds"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/sandbox/reset", {}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["object"] == "sandbox_reset"
    third = create_order(amount=6000)
    assert pay_order(third["id"], card_body(DEBIT_100)).json()["status"] == "captured"


def test_a_live_key_cannot_reset(live_api):
    response = live_api.post("/api/v1/sandbox/reset", {}, format="json")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "sandbox_test_mode_only"
    assert "test" in response.json()["detail"].lower()
