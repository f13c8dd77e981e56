"""Prices through the API, and the subscription machine: every transition refused from every
state it does not start from."""

import pytest
from django.utils import timezone

from billing.models import Subscription
from payments.errors import InvalidTransition
from payments.transitions import transition_run

PRICE = {
    "product_name": "Coffee club",
    "amount": 1000,
    "currency": "USD",
    "interval": "month",
}


@pytest.mark.django_db
def test_a_price_is_created_listed_and_read_back(api):
    response = api.post("/api/v1/prices", {**PRICE, "trial_days": 14}, format="json")

    assert response.status_code == 201, response.content
    price = response.json()
    assert price["id"].startswith("price_")
    assert (price["amount"], price["currency"], price["interval"]) == (1000, "USD", "month")
    assert (price["interval_count"], price["trial_days"]) == (1, 14)
    assert api.get(f"/api/v1/prices/{price['id']}").json() == price
    assert [p["id"] for p in api.get("/api/v1/prices").json()["data"]] == [price["id"]]


@pytest.mark.django_db
def test_a_price_in_a_currency_without_minor_units_keeps_the_amount_as_given(api):
    price = api.post("/api/v1/prices", {**PRICE, "amount": 1200, "currency": "JPY"}, format="json")

    assert price.status_code == 201 and price.json()["amount"] == 1200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"amount": 10.5}, "amount", "invalid"),
        ({"amount": 0}, "amount", "not_positive"),
        ({"currency": "XXX"}, "currency", "unsupported_currency"),
        ({"interval": "fortnight"}, "interval", "invalid_choice"),
        ({"interval_count": 13}, "interval_count", "out_of_range"),
        ({"interval": "year", "interval_count": 2}, "interval_count", "out_of_range"),
        ({"trial_days": 0}, "trial_days", "min_value"),
        ({"product_name": "  "}, "product_name", "blank"),
    ],
)
def test_a_bad_price_is_a_400_naming_the_field(api, change, field, code):
    response = api.post("/api/v1/prices", {**PRICE, **change}, format="json")

    assert response.status_code == 400, response.content
    assert (field, code) in {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert api.get("/api/v1/prices").json()["data"] == []


@pytest.mark.django_db
def test_another_merchants_price_is_a_404(api, other_api):
    price = api.post("/api/v1/prices", PRICE, format="json").json()

    assert other_api.get(f"/api/v1/prices/{price['id']}").status_code == 404


TRANSITIONS = [
    "start_trial",
    "activate",
    "mark_past_due",
    "mark_unpaid",
    "cancel",
    "pause",
    "resume",
]


def _subscription(status: str) -> Subscription:
    now = timezone.now()
    sub = Subscription(billing_cycle_anchor=now, current_period_start=now, current_period_end=now)
    sub.__dict__["status"] = status  # a state to start from, as a row loaded from the database
    return sub


def _edges(name: str) -> dict[str, str]:
    field = Subscription._meta.get_field("status")
    return {t.source: t.target for t in field.get_all_transitions(Subscription) if t.name == name}


@pytest.mark.parametrize("name", TRANSITIONS)
@pytest.mark.parametrize("status", Subscription.Status.values)
def test_each_transition_runs_only_from_its_source_states(name, status):
    sub = _subscription(status)

    edges = _edges(name)

    if status in edges:
        transition_run(getattr(sub, name))
        assert sub.status == edges[status]
    else:
        with pytest.raises(InvalidTransition):
            transition_run(getattr(sub, name))
        assert sub.status == status
