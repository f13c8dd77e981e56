"""Orders may carry line items (name, quantity, unit amount) that add up to their amount; the
hosted checkout lists them. Without line items an order behaves as before."""

import pytest

pytestmark = pytest.mark.django_db

LINES = [
    {"name": "Ethiopia Yirgacheffe, 250 g", "quantity": 2, "unit_amount": 1250},
    {"name": "Paper filters", "quantity": 1, "unit_amount": 500},
]


def _create(api, **fields):
    body = {"amount": 3000, "currency": "USD", "reference": "li-1", **fields}
    return api.post("/api/v1/orders", body, format="json")


def _fields(response) -> dict:
    return {e["field"]: e["code"] for e in response.json()["errors"]}


def test_line_items_adding_up_to_the_amount_are_kept_with_their_line_amounts(api):
    response = _create(api, line_items=LINES)

    assert response.status_code == 201, response.json()
    assert response.json()["line_items"] == [
        {**LINES[0], "amount": 2500},
        {**LINES[1], "amount": 500},
    ]
    assert (
        api.get(f"/api/v1/orders/{response.json()['id']}").json()["line_items"]
        == (response.json()["line_items"])
    )


def test_an_order_without_line_items_has_an_empty_list(api):
    response = _create(api)

    assert response.status_code == 201
    assert response.json()["line_items"] == []


def test_line_items_that_do_not_add_up_to_the_amount_are_refused(api):
    response = _create(api, amount=2999, line_items=LINES)

    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert _fields(response) == {"line_items": "amount_mismatch"}
    assert "3000" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"name": "", "quantity": 1, "unit_amount": 3000}, "line_items.0.name"),
        ({"name": "x" * 201, "quantity": 1, "unit_amount": 3000}, "line_items.0.name"),
        ({"name": "a", "quantity": 0, "unit_amount": 3000}, "line_items.0.quantity"),
        ({"name": "a", "quantity": True, "unit_amount": 3000}, "line_items.0.quantity"),
        ({"name": "a", "quantity": "1", "unit_amount": 3000}, "line_items.0.quantity"),
        ({"name": "a", "quantity": 1.5, "unit_amount": 3000}, "line_items.0.quantity"),
        ({"name": "a", "quantity": 10**6, "unit_amount": 3000}, "line_items.0.quantity"),
        ({"name": "a", "quantity": 1, "unit_amount": -3000}, "line_items.0.unit_amount"),
        ({"name": "a", "quantity": 1, "unit_amount": 10**30}, "line_items.0.unit_amount"),
        ({"name": "a", "quantity": 1, "unit_amount": 3000, "sku": "1"}, "line_items.0.sku"),
        ({"quantity": 1, "unit_amount": 3000}, "line_items.0.name"),
    ],
)
def test_a_hostile_line_item_is_a_400_on_its_field(api, line, field):
    response = _create(api, line_items=[line])

    assert response.status_code == 400, response.json()
    assert field in _fields(response)


@pytest.mark.parametrize("value", ["lines", 3, {"name": "a"}, [1], [None], None])
def test_line_items_of_the_wrong_type_are_a_400(api, value):
    response = _create(api, line_items=value)

    assert response.status_code == 400
    assert any(f.startswith("line_items") for f in _fields(response))


def test_a_nul_byte_in_a_line_item_name_is_a_400_problem_not_a_500(api):
    response = _create(api, line_items=[{"name": "nul\x00", "quantity": 1, "unit_amount": 3000}])

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_more_than_a_hundred_line_items_are_refused(api):
    lines = [{"name": f"item {i}", "quantity": 1, "unit_amount": 30} for i in range(101)]

    response = _create(api, line_items=lines)

    assert response.status_code == 400
    assert "line_items" in _fields(response)


def test_the_service_checks_line_items_for_every_caller(merchant):
    from payments.errors import ValidationFailed
    from payments.services import order_create

    with pytest.raises(ValidationFailed) as refused:
        order_create(
            merchant=merchant,
            amount=100,
            currency="USD",
            reference="svc-1",
            line_items=[{"name": "a", "quantity": 2, "unit_amount": 60}],
        )

    assert [e.code for e in refused.value.errors] == ["amount_mismatch"]
