"""The review queue: held authorizations, decided in the admin with a fresh TOTP code, audited,
announced by webhooks (review.opened, review.closed)."""

import pytest

from tests.admin.conftest import totp_now

pytestmark = pytest.mark.django_db

URL = "/admin/risk/review/"


@pytest.fixture
def held(rule, pay_from):
    """A payment the rule sent to review: authorized, not captured, its review open."""
    rule("amount > 100000", action="review", name="Big basket")
    return pay_from(amount=150000)


def decide(client, review, action, code=None):
    data = {"action": action, "_selected_action": [review.pk]}
    if code is not None:
        data["otp_token"] = code
    return client.post(URL, data)


def test_a_held_payment_waits_in_the_queue_with_its_evaluation(held, manager, login):
    from risk.models import Review

    review = Review.objects.get(payment__public_id=held["id"])
    client = login(manager)

    listing = client.get(URL).content.decode()
    page = client.get(f"{URL}{review.pk}/change/").content.decode()

    assert held["status"] == "authorized" and review.status == "open"
    assert review.public_id[:8] in listing or review.public_id in listing
    assert "Big basket" in page and "score" in page


def test_approving_needs_a_fresh_code_then_captures_audits_and_announces(
    api, held, manager, login, assert_invariants, django_capture_on_commit_callbacks
):
    from backoffice.models import AuditLog
    from payments.models import Payment
    from risk.models import Review

    review = Review.objects.get(payment__public_id=held["id"])
    client = login(manager)

    asked = decide(client, review, "approve_reviews")
    assert 'name="otp_token"' in asked.content.decode()
    assert Payment.objects.get(public_id=held["id"]).status == "authorized"

    with django_capture_on_commit_callbacks(execute=True):
        decide(client, review, "approve_reviews", totp_now(manager))

    review.refresh_from_db()
    assert review.status == "approved" and review.closed_by == manager
    assert Payment.objects.get(public_id=held["id"]).status == "captured"
    assert AuditLog.objects.filter(action="review.approve", actor=manager).exists()
    types = [e["type"] for e in api.get("/api/v1/events").json()["data"]]
    assert "review.opened" in types and "review.closed" in types
    assert_invariants()


def test_refusing_voids_the_payment(held, manager, login, assert_invariants):
    from payments.models import Payment
    from risk.models import Review

    review = Review.objects.get(payment__public_id=held["id"])
    client = login(manager)

    decide(client, review, "cancel_reviews", totp_now(manager))

    review.refresh_from_db()
    assert review.status == "canceled"
    assert Payment.objects.get(public_id=held["id"]).status == "canceled"
    assert_invariants()


def test_a_wrong_code_decides_nothing(held, manager, login):
    from backoffice.models import AuditLog
    from risk.models import Review

    review = Review.objects.get(payment__public_id=held["id"])

    decide(login(manager), review, "approve_reviews", "000000")

    review.refresh_from_db()
    assert review.status == "open"
    assert AuditLog.objects.filter(action="step_up.refused").exists()


def test_another_merchants_staff_see_no_review(held, make_staff, other_merchant, login, client):
    from risk.models import Review

    review = Review.objects.get(payment__public_id=held["id"])
    outsider = make_staff(other_merchant, "manager")

    response = login(outsider).get(URL)

    assert review.public_id not in response.content.decode()
    assert login(outsider).get(f"{URL}{review.pk}/change/").status_code in (302, 404)


def test_a_merchant_capturing_by_api_closes_the_review(api, held):
    from risk.models import Review

    api.post(f"/api/v1/payments/{held['id']}/capture", {}, format="json")

    assert Review.objects.get(payment__public_id=held["id"]).status == "closed"


def test_the_order_page_shows_the_payments_risk_evaluation(held, manager, login):
    from payments.models import Payment

    order = Payment.objects.get(public_id=held["id"]).order

    page = login(manager).get(f"/admin/payments/order/{order.pk}/change/").content.decode()

    assert "Risk evaluations" in page and "Big basket" in page
