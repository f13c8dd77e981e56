"""Saving cards for customers through the API: validation, consent, the vault, one method per
card, detaching, events."""

import threading

import pytest
from django.db import connection

from billing.models import PaymentMethod
from payments.models import CardVault, Event
from tests.conftest import stored_text

from .conftest import saved_card_body

PROBLEM = "application/problem+json"


def _errors(response):
    assert response["Content-Type"].startswith(PROBLEM), response.content
    return {(e["field"], e["code"]) for e in response.json()["errors"]}


@pytest.mark.django_db
def test_a_saved_card_shows_brand_last4_expiry_and_the_consent(customer, save_card):
    response = save_card(customer["id"])

    assert response.status_code == 201, response.content
    method = response.json()
    assert method["id"].startswith("pm_") and method["customer"] == customer["id"]
    assert method["card"] | {"fingerprint": None} == {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2035,
        "fingerprint": None,
    }
    assert len(method["card"]["fingerprint"]) == 64
    assert method["consent"]["usage"] == "off_session"
    assert method["consent"]["text"].startswith("Save this card")
    saved = PaymentMethod.objects.get(public_id=method["id"])
    assert saved.consent_ip == "203.0.113.7" and saved.consented_at is not None
    assert Event.objects.get(object_id=method["id"]).type == "payment_method.attached"


@pytest.mark.django_db
def test_the_pan_is_only_in_the_vault_and_the_cvc_nowhere(customer, save_card):
    save_card(customer["id"], saved_card_body("4242424242424242", cvc="987"))

    text = stored_text()
    assert "4242424242424242" not in text
    assert '"987"' not in text and "'987'" not in text
    assert CardVault.objects.get().last4 == "4242"


@pytest.mark.django_db
def test_saving_the_same_card_again_returns_the_existing_method(api, customer, save_card):
    first = save_card(customer["id"]).json()

    again = save_card(customer["id"], saved_card_body(cvc="456", holder_name="A Lovelace"))

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    listed = api.get(f"/api/v1/customers/{customer['id']}/payment-methods").json()["data"]
    assert [m["id"] for m in listed] == [first["id"]]
    assert CardVault.objects.count() == 1
    assert Event.objects.filter(type="payment_method.attached").count() == 1


@pytest.mark.django_db
def test_one_card_has_one_fingerprint_per_merchant_and_another_elsewhere(
    api, other_api, customer, save_card
):
    other_customer = other_api.post("/api/v1/customers", {}, format="json").json()
    second_customer = api.post("/api/v1/customers", {}, format="json").json()

    mine = save_card(customer["id"]).json()["card"]["fingerprint"]
    mine_again = save_card(second_customer["id"]).json()["card"]["fingerprint"]
    theirs = save_card(other_customer["id"], client=other_api).json()["card"]["fingerprint"]

    assert mine == mine_again
    assert theirs != mine


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (saved_card_body("4242424242424241"), "card.number", "invalid_number"),
        (saved_card_body(exp_year=2020), "card.exp_month", "expired_card"),
        (saved_card_body(cvc="12"), "card.cvc", "invalid_cvc"),
        (saved_card_body(usage="always"), "consent.usage", "invalid_choice"),
        (
            {**saved_card_body(), "consent": {"text": "ok", "ip": "nope", "usage": "on_session"}},
            "consent.ip",
            "invalid",
        ),
        ({**saved_card_body(), "consent": None}, "consent", "null"),
        (
            {**saved_card_body(), "consent": {"text": " ", "ip": "::1", "usage": "on_session"}},
            "consent.text",
            "blank",
        ),
        ({**saved_card_body(), "type": "wallet"}, "type", "invalid_choice"),
    ],
)
def test_bad_card_or_consent_is_a_400_naming_the_field(customer, save_card, body, field, code):
    response = save_card(customer["id"], body)

    assert response.status_code == 400
    assert (field, code) in _errors(response)
    assert not PaymentMethod.objects.exists() and not CardVault.objects.exists()


@pytest.mark.django_db
def test_a_detached_card_cannot_be_read_and_saving_it_again_makes_a_new_method(
    api, customer, save_card
):
    method = save_card(customer["id"]).json()
    url = f"/api/v1/customers/{customer['id']}/payment-methods/{method['id']}"

    detached = api.delete(url)

    assert detached.status_code == 200 and detached.json()["detached_at"]
    assert api.get(url).status_code == 404
    assert api.delete(url).status_code == 404
    again = save_card(customer["id"])
    assert again.status_code == 201 and again.json()["id"] != method["id"]
    types = list(Event.objects.filter(object_id=method["id"]).values_list("type", flat=True))
    assert sorted(types) == ["payment_method.attached", "payment_method.detached"]


@pytest.mark.django_db
def test_saving_with_an_idempotency_key_replays_the_first_answer(customer, save_card):
    first = save_card(customer["id"], HTTP_IDEMPOTENCY_KEY="save-1")
    replay = save_card(customer["id"], HTTP_IDEMPOTENCY_KEY="save-1")

    assert first.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()


@pytest.mark.django_db
def test_another_merchant_cannot_save_a_card_for_my_customer(other_api, customer, save_card):
    response = save_card(customer["id"], client=other_api)

    assert response.status_code == 404
    assert not PaymentMethod.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_saves_of_one_card_make_one_method(merchant):
    from billing.services import customer_create, payment_method_attach

    customer = customer_create(merchant=merchant, email="race@example.com")
    barrier = threading.Barrier(4)
    results, failures = [], []

    def save():
        try:
            barrier.wait()
            results.append(
                payment_method_attach(
                    customer=customer,
                    number="4242424242424242",
                    exp_month=12,
                    exp_year=2035,
                    cvc="123",
                    holder_name="Ada Lovelace",
                    consent_text="Save it.",
                    consent_ip="203.0.113.7",
                    consent_usage="off_session",
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len({method.pk for method, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert PaymentMethod.objects.count() == 1 and CardVault.objects.count() == 1
