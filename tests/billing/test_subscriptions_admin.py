"""The back office of subscriptions: scoped pages, attempts with decline codes, actions that
change what is charged asked with a fresh authenticator code, and the dunning report."""

import pytest
from django.urls import reverse

from billing.models import Subscription
from tests.admin.conftest import totp_now

from .subscription_helpers import Merchant

pytestmark = pytest.mark.django_db

DEBIT_100 = "4000056655665556"


@pytest.fixture
def m(api, django_capture_on_commit_callbacks):
    return Merchant(api, django_capture_on_commit_callbacks)


@pytest.fixture
def dunned(m):
    """A 60.00 monthly subscription on the 100.00 debit card, past its dunning (unpaid)."""
    clock = m.clock("2026-01-31T10:00:00Z")
    customer = m.customer(clock, email="dunned@example.com")
    subscription = m.subscribe(customer, m.price(amount=6000), m.card(customer, DEBIT_100))
    m.advance(clock, "2026-03-20T10:00:00Z")
    return Subscription.objects.get(public_id=subscription["id"])


@pytest.fixture
def active(m):
    customer = m.customer(m.clock("2026-03-01T00:00:00Z"), email="active@example.com")
    subscription = m.subscribe(customer, m.price(amount=1000), m.card(customer))
    return Subscription.objects.get(public_id=subscription["id"])


def _cancel(client, subscription, code=None):
    data = {"action": "cancel_now", "_selected_action": [subscription.pk]}
    if code is not None:
        data["otp_token"] = code
    return client.post(reverse("admin:billing_subscription_changelist"), data)


def test_staff_see_status_next_billing_and_attempts_with_decline_codes(login, manager, dunned):
    client = login(manager)

    listing = client.get(reverse("admin:billing_subscription_changelist")).content.decode()
    page = client.get(reverse("admin:billing_subscription_change", args=[dunned.pk]))

    assert "dunned@example.com" in listing and "unpaid" in listing
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("insufficient_funds") == 5 and "Retry Later" in text


def test_staff_never_see_another_merchants_subscription(login, make_staff, other_merchant, active):
    client = login(make_staff(other_merchant, "manager"))

    listing = client.get(reverse("admin:billing_subscription_changelist")).content.decode()
    page = client.get(reverse("admin:billing_subscription_change", args=[active.pk]))

    assert "active@example.com" not in listing
    assert page.status_code == 302


def test_cancel_asks_for_a_fresh_code_then_cancels(login, manager, active):
    client = login(manager)

    asked = _cancel(client, active)
    active.refresh_from_db()
    assert asked.status_code == 200
    assert b"authenticator" in asked.content.lower()
    assert active.status == "active"

    done = _cancel(client, active, totp_now(manager))

    assert done.status_code == 302
    active.refresh_from_db()
    assert active.status == "canceled"


def test_a_viewer_is_not_offered_the_actions(login, make_staff, merchant, active):
    client = login(make_staff(merchant, "viewer"))
    response = _cancel(client, active)
    active.refresh_from_db()
    assert active.status == "active"
    assert response.status_code in (200, 302)


def test_the_customer_page_shows_subscriptions_and_invoices(login, manager, active):
    client = login(manager)
    page = client.get(reverse("admin:billing_customer_change", args=[active.customer_id]))
    text = page.content.decode()
    assert active.public_id in text
    invoice = active.invoices.get()
    assert invoice.number in text


def test_the_dunning_report_counts_lost_and_recovered_by_code_and_attempt(
    login, manager, dunned, active
):
    client = login(manager)
    page = client.get(reverse("admin:billing_subscription_dunning_report"))
    text = page.content.decode()

    assert page.status_code == 200
    row = text.split("<code>insufficient_funds</code>")[1].split("</tr>")[0]
    assert [cell.strip("<>/td ") for cell in row.split("</td><td>")] == ["", "1", "0", "1", "0"]
    by_number = text.split('id="by-number"')[1]
    assert "<td>5</td><td>1</td><td>0</td><td>1</td><td>1</td>" in by_number
