"""The back office's customer pages: a merchant's staff see their own customers, cards masked."""

import pytest
from django.urls import reverse

from billing.services import customer_create, payment_method_attach

pytestmark = pytest.mark.django_db


def _customer_with_card(merchant, email):
    customer = customer_create(merchant=merchant, email=email, name="Ada")
    payment_method_attach(
        customer=customer,
        number="5555555555554444",
        exp_month=7,
        exp_year=2031,
        cvc="123",
        holder_name="Ada Lovelace",
        consent_text="Save it.",
        consent_ip="203.0.113.7",
        consent_usage="on_session",
    )
    return customer


def test_staff_see_their_customers_and_the_cards_masked(login, manager, merchant):
    customer = _customer_with_card(merchant, "mine@example.com")
    client = login(manager)

    listing = client.get(reverse("admin:billing_customer_changelist")).content.decode()
    page = client.get(reverse("admin:billing_customer_change", args=[customer.pk])).content.decode()

    assert "mine@example.com" in listing
    assert "mastercard •••• 4444 07/2031" in page
    assert "5555555555554444" not in page and "555555" not in page


def test_staff_never_see_another_merchants_customer(login, manager, other_merchant):
    theirs = _customer_with_card(other_merchant, "theirs@example.com")
    client = login(manager)

    listing = client.get(reverse("admin:billing_customer_changelist"), {"q": "theirs"})
    page = client.get(reverse("admin:billing_customer_change", args=[theirs.pk]))

    assert "theirs@example.com" not in listing.content.decode()
    assert page.status_code == 302  # Django's answer to an object the user may not see


def test_customers_are_not_added_or_changed_by_hand(login, manager, merchant):
    customer = _customer_with_card(merchant, "mine@example.com")
    client = login(manager)

    assert client.get(reverse("admin:billing_customer_add")).status_code == 403
    response = client.post(
        reverse("admin:billing_customer_change", args=[customer.pk]), {"email": "x@example.com"}
    )
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.email == "mine@example.com"
