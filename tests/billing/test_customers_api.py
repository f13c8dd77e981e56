"""Customers through the merchant API: create, list, read, change, delete, scoped by key."""

import pytest

from payments.models import Event

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _errors(response):
    assert response["Content-Type"].startswith(PROBLEM), response.content
    return {(e["field"], e["code"]) for e in response.json()["errors"]}


def test_a_customer_is_created_and_read_back(api):
    response = api.post(
        "/api/v1/customers",
        {"email": "ada@example.com", "name": "Ada Lovelace", "metadata": {"crm": "42"}},
        format="json",
    )

    assert response.status_code == 201
    created = response.json()
    assert created["id"].startswith("cus_")
    assert created["object"] == "customer" and created["livemode"] is False
    assert created["metadata"] == {"crm": "42"}
    assert api.get(f"/api/v1/customers/{created['id']}").json() == created


def test_customers_are_listed_newest_first_and_filtered_by_email(api):
    for email in ("a@example.com", "b@example.com", "a@example.com"):
        api.post("/api/v1/customers", {"email": email}, format="json")

    listed = api.get("/api/v1/customers").json()["data"]
    only_a = api.get("/api/v1/customers?email=a@example.com").json()["data"]

    assert len(listed) == 3
    assert [c["email"] for c in only_a] == ["a@example.com", "a@example.com"]


def test_a_misspelt_list_filter_is_refused(api):
    response = api.get("/api/v1/customers?emial=a@example.com")

    assert response.status_code == 400
    assert ("emial", "unknown_parameter") in _errors(response)


def test_patch_changes_only_the_given_fields_and_records_an_event(api, customer):
    response = api.patch(f"/api/v1/customers/{customer['id']}", {"name": "Countess"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Countess"
    assert response.json()["email"] == customer["email"]
    types = list(
        Event.objects.filter(object_id=customer["id"])
        .order_by("sequence")
        .values_list("type", flat=True)
    )
    assert types == ["customer.created", "customer.updated"]


def test_a_patch_that_changes_nothing_records_no_event(api, customer):
    api.patch(f"/api/v1/customers/{customer['id']}", {"name": customer["name"]}, format="json")

    assert Event.objects.filter(object_id=customer["id"]).count() == 1


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"email": "not an e-mail"}, "email", "invalid"),
        ({"name": "x" * 201}, "name", "too_long"),
        ({"metadata": {"k": ["nested"]}}, "metadata", "invalid"),
        ({"metadata": "text"}, "metadata", "not_a_dict"),
        ({"nickname": "Ada"}, "nickname", "unknown_field"),
    ],
)
def test_bad_customer_input_is_a_400_naming_the_field(api, body, field, code):
    response = api.post("/api/v1/customers", body, format="json")

    assert response.status_code == 400
    assert (field, code) in _errors(response)
    assert not Event.objects.filter(type="customer.created").exists()


def test_deleting_a_customer_detaches_its_cards_and_hides_it(api, customer, save_card):
    method = save_card(customer["id"]).json()

    response = api.delete(f"/api/v1/customers/{customer['id']}")

    assert response.status_code == 200 and response.json()["deleted"] is True
    assert api.get(f"/api/v1/customers/{customer['id']}").status_code == 404
    assert api.get("/api/v1/customers").json()["data"] == []
    assert api.delete(f"/api/v1/customers/{customer['id']}").status_code == 404
    types = set(Event.objects.values_list("type", flat=True))
    assert {"customer.deleted", "payment_method.detached"} <= types
    assert Event.objects.get(type="payment_method.detached").object_id == method["id"]


def test_another_merchants_customer_is_a_404(other_api, customer):
    for response in (
        other_api.get(f"/api/v1/customers/{customer['id']}"),
        other_api.patch(f"/api/v1/customers/{customer['id']}", {"name": "x"}, format="json"),
        other_api.delete(f"/api/v1/customers/{customer['id']}"),
        other_api.get(f"/api/v1/customers/{customer['id']}/payment-methods"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "resource_missing"


def test_a_live_key_does_not_see_test_customers(live_api, customer):
    assert live_api.get(f"/api/v1/customers/{customer['id']}").status_code == 404
    assert live_api.get("/api/v1/customers").json()["data"] == []


def test_create_with_an_idempotency_key_is_replayed_not_repeated(api):
    first = api.post(
        "/api/v1/customers", {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = api.post(
        "/api/v1/customers", {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    other = api.post(
        "/api/v1/customers", {"email": "b@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert len(api.get("/api/v1/customers").json()["data"]) == 1


def test_customer_events_reach_webhook_endpoints_subscribed_to_them(
    api, settings, save_card, django_capture_on_commit_callbacks
):
    from webhooks.models import WebhookDelivery

    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    endpoint = api.post(
        "/api/v1/webhook-endpoints",
        {
            "url": "http://127.0.0.1:9/hook",
            "enabled_events": ["customer.created", "payment_method.attached"],
        },
        format="json",
    )
    assert endpoint.status_code == 201, endpoint.content

    with django_capture_on_commit_callbacks(execute=True):
        customer = api.post("/api/v1/customers", {"name": "Ada"}, format="json").json()
    save_card(customer["id"])

    delivered = set(WebhookDelivery.objects.values_list("event__type", flat=True))
    assert delivered == {"customer.created", "payment_method.attached"}
