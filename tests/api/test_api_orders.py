"""Orders through the API: create, retrieve, list with filters, cancel."""

import pytest

pytestmark = pytest.mark.django_db


def test_order_is_created_with_checkout_url_and_key_mode(api, merchant):
    response = api.post(
        "/api/v1/orders",
        {
            "amount": 2500,
            "currency": "USD",
            "reference": "inv-1",
            "description": "Two books",
            "customer_email": "ada@example.com",
            "return_url": "https://shop.example.com/done",
            "capture_method": "manual",
            "metadata": {"cart": "42"},
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["object"] == "order"
    assert body["id"].startswith("ord_")
    assert body["status"] == "pending"
    assert body["amount"] == 2500
    assert body["livemode"] is False
    assert body["capture_method"] == "manual"
    assert body["metadata"] == {"cart": "42"}
    assert "/checkout/" in body["checkout_url"]
    assert body["payments"] == []


def test_order_is_retrieved_by_id(api, create_order):
    order = create_order(amount=700)

    response = api.get(f"/api/v1/orders/{order['id']}")

    assert response.status_code == 200
    assert response.json() == order


def test_duplicate_reference_is_400_on_reference(api, create_order):
    create_order(reference="same")

    response = api.post(
        "/api/v1/orders", {"amount": 100, "currency": "USD", "reference": "same"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reference"
    assert response.json()["errors"][0]["code"] == "duplicate"


def test_unsupported_currency_is_400(api):
    response = api.post(
        "/api/v1/orders", {"amount": 100, "currency": "XYZ", "reference": "r"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "currency",
        "code": "unsupported_currency",
        "message": "This currency is not supported.",
    }


def test_orders_are_listed_newest_first_with_cursor_pages(api, create_order):
    ids = [create_order()["id"] for _ in range(5)]

    first = api.get("/api/v1/orders?limit=2").json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()

    assert first["object"] == "list"
    listed = [o["id"] for page in (first, second, third) for o in page["data"]]
    assert listed == list(reversed(ids))
    assert third["next"] is None
    assert api.get(second["previous"]).json()["data"] == first["data"]


def test_orders_are_filtered_by_status_reference_and_creation_time(api, create_order):
    import time_machine

    with time_machine.travel("2030-01-01T10:00:00Z", tick=False):
        early = create_order(reference="early")
    with time_machine.travel("2030-01-02T10:00:00Z", tick=False):
        late = create_order(reference="late")
    api.post(f"/api/v1/orders/{early['id']}/cancel")

    def ids(query):
        response = api.get(f"/api/v1/orders?{query}")
        assert response.status_code == 200, response.content
        return [o["id"] for o in response.json()["data"]]

    assert ids("status=canceled") == [early["id"]]
    assert ids("status=pending") == [late["id"]]
    assert ids("reference=late") == [late["id"]]
    assert ids("created[gte]=2030-01-02T00:00:00Z") == [late["id"]]
    assert ids("created[lte]=2030-01-02T00:00:00Z") == [early["id"]]
    assert ids("created_after=2030-01-01T00:00:00Z&created_before=2030-01-03T00:00:00Z") == [
        late["id"],
        early["id"],
    ]


def test_pending_order_is_canceled_and_cannot_be_canceled_twice(api, create_order):
    order = create_order()

    response = api.post(f"/api/v1/orders/{order['id']}/cancel")
    again = api.post(f"/api/v1/orders/{order['id']}/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"


def test_another_merchants_order_is_invisible(api, other_api, create_order):
    order = create_order()

    assert other_api.get(f"/api/v1/orders/{order['id']}").status_code == 404
    assert other_api.post(f"/api/v1/orders/{order['id']}/cancel").status_code == 404
    assert other_api.get("/api/v1/orders").json()["data"] == []
    assert api.get(f"/api/v1/orders/{order['id']}").json()["status"] == "pending"


def test_test_and_live_keys_see_only_their_own_mode(api, live_api, create_order):
    test_order = create_order()
    live_order = create_order(client=live_api)

    assert live_order["livemode"] is True and test_order["livemode"] is False
    assert live_api.get(f"/api/v1/orders/{test_order['id']}").status_code == 404
    assert api.get(f"/api/v1/orders/{live_order['id']}").status_code == 404
    assert [o["id"] for o in api.get("/api/v1/orders").json()["data"]] == [test_order["id"]]
    assert [o["id"] for o in live_api.get("/api/v1/orders").json()["data"]] == [live_order["id"]]
