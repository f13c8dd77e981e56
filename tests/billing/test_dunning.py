"""Dunning reads the decline: retry later, wait for a new card (hosted page), or never."""

import re

import pytest

from billing.models import PaymentMethod
from billing.services.merchant_settings import billing_settings_set
from payments.errors import ValidationFailed

from .subscription_helpers import Merchant

pytestmark = pytest.mark.django_db

ISSUER_EXPIRED = "4000000000000069"
ACCOUNT_CLOSED = "4000000000000010"
DEBIT_100 = "4000056655665556"


@pytest.fixture
def m(api, django_capture_on_commit_callbacks):
    return Merchant(api, django_capture_on_commit_callbacks)


def _trial_on(m, number, *, email="ada@example.com"):
    """A subscription on a clock at 1 March whose 7-day trial ends on 8 March."""
    clock = m.clock("2026-03-01T00:00:00Z")
    customer = m.customer(clock, email=email)
    price = m.price(amount=1000, trial_days=7)
    return clock, customer, m.subscribe(customer, price, m.card(customer, number))


def _update_link(mailoutbox):
    (failed,) = [mail for mail in mailoutbox if "failed" in mail.subject]
    return re.search(r"http://\S+/billing/update/\S+/", failed.body).group(0)


def _card_form(number="4242424242424242", **extra):
    return {
        "number": number,
        "exp": "12 / 35",
        "cvc": "123",
        "holder_name": "Ada Lovelace",
        "consent": "1",
        **extra,
    }


def test_an_expired_card_waits_for_a_new_one_and_the_hosted_page_pays_at_once(
    m, client, mailoutbox, django_capture_on_commit_callbacks, assert_invariants
):
    clock, customer, subscription = _trial_on(m, ISSUER_EXPIRED)
    m.advance(clock, "2026-03-12T00:00:00Z")

    assert m.subscription(subscription)["status"] == "past_due"
    (attempt,) = m.attempts(subscription)
    assert (attempt["decline_code"], attempt["decline_category"]) == (
        "expired_card",
        "after_update",
    )
    (invoice,) = m.invoices(subscription)
    assert invoice["status"] == "open" and invoice["next_payment_attempt"] is None
    link = _update_link(mailoutbox)
    assert mailoutbox[-1].to == ["ada@example.com"]

    page = client.get(link)
    assert page.status_code == 200
    assert b"Update your card" in page.content and b"Save card and pay" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(link, _card_form())

    assert saved.status_code == 302
    assert client.get(saved["Location"]).status_code == 200
    after = m.subscription(subscription)
    assert after["status"] == "active"
    assert m.invoices(subscription)[0]["status"] == "paid"
    assert [a["status"] for a in m.attempts(subscription)] == ["failed", "succeeded"]
    method = PaymentMethod.objects.get(public_id=after["payment_method"])
    assert method.card_last4 == "4242" and method.consent_usage == "off_session"
    assert method.consent_ip == "127.0.0.1" and "renewals" in method.consent_text
    assert any("Receipt" in mail.subject for mail in mailoutbox)
    assert_invariants()


def test_without_a_new_card_dunning_ends_on_the_schedules_last_day(m, mailoutbox):
    clock, _, subscription = _trial_on(m, ISSUER_EXPIRED)
    m.advance(clock, "2026-03-21T00:00:00Z")
    assert m.subscription(subscription)["status"] == "past_due"

    m.advance(clock, "2026-03-23T00:00:00Z")  # 14 days after the failure on 8 March

    assert m.subscription(subscription)["status"] == "unpaid"
    assert m.invoices(subscription)[0]["status"] == "uncollectible"
    assert len(m.attempts(subscription)) == 1


def test_the_update_page_refuses_a_bad_card_and_a_missing_consent(m, client, mailoutbox):
    clock, _, subscription = _trial_on(m, ISSUER_EXPIRED)
    m.advance(clock, "2026-03-09T00:00:00Z")
    link = _update_link(mailoutbox)

    bad = client.post(link, _card_form(number="4242424242424241"))
    no_consent = client.post(link, {k: v for k, v in _card_form().items() if k != "consent"})

    assert bad.status_code == 400 and b'id="number-err">' in bad.content
    assert b"123" not in bad.content.split(b'id="cvc"')[1][:300]  # the CVC is not shown back
    assert no_consent.status_code == 400 and b"Tick the box" in no_consent.content
    assert m.subscription(subscription)["status"] == "past_due"


def test_a_forged_update_link_is_not_found(client):
    assert client.get("/billing/update/sub_forged:abc:def/").status_code == 404


def test_a_closed_account_is_never_retried(m):
    clock, _, subscription = _trial_on(m, ACCOUNT_CLOSED)
    m.advance(clock, "2026-05-01T00:00:00Z")

    attempts = m.attempts(subscription)
    assert [(a["decline_code"], a["decline_category"]) for a in attempts] == [
        ("account_closed", "never")
    ]
    assert m.subscription(subscription)["status"] == "unpaid"


def test_a_merchants_own_schedule_and_final_status_apply(m, merchant):
    billing_settings_set(merchant=merchant, retry_schedule_days=[2, 5], final_status="canceled")
    clock = m.clock("2026-01-31T10:00:00Z")
    customer = m.customer(clock)
    subscription = m.subscribe(customer, m.price(amount=6000), m.card(customer, DEBIT_100))

    m.advance(clock, "2026-03-20T10:00:00Z")

    failed = [a for a in m.attempts(subscription) if a["status"] == "failed"]
    assert [a["attempted_at"] for a in failed] == [
        "2026-02-28T10:00:00Z",
        "2026-03-02T10:00:00Z",
        "2026-03-05T10:00:00Z",
    ]
    ended = m.subscription(subscription)
    assert ended["status"] == "canceled" and ended["ended_at"] == "2026-03-05T10:00:00Z"


def test_a_schedule_must_increase(merchant):
    with pytest.raises(ValidationFailed) as err:
        billing_settings_set(merchant=merchant, retry_schedule_days=[5, 2], final_status="unpaid")
    assert err.value.errors[0].field == "retry_schedule_days"


def test_one_card_is_charged_at_most_the_cap_in_30_days(m, settings):
    settings.BILLING_CARD_ATTEMPTS_MAX = 2
    clock = m.clock("2026-01-31T10:00:00Z")
    customer = m.customer(clock)
    subscription = m.subscribe(customer, m.price(amount=6000), m.card(customer, DEBIT_100))

    m.advance(clock, "2026-03-31T00:00:00Z")

    times = [a["attempted_at"] for a in m.attempts(subscription)]
    assert times == [
        "2026-01-31T10:00:00Z",  # paid
        "2026-02-28T10:00:00Z",  # the renewal fails
        # The 1 March retry waits until the 31 January charge leaves the 30-day window,
        "2026-03-02T10:00:00Z",
        # and the 3 March one until the 28 February charge does.
        "2026-03-30T10:00:00Z",
    ]
    for start in times:
        assert len([t for t in times if start <= t < _plus_30_days(start)]) <= 2


def _plus_30_days(stamp: str) -> str:
    from datetime import datetime, timedelta

    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(days=30)
    return moment.isoformat().replace("+00:00", "Z")


def test_receipt_and_upcoming_renewal_emails_are_sent(m, mailoutbox):
    clock = m.clock("2026-03-01T00:00:00Z")
    customer = m.customer(clock, email="grace@example.com")
    m.subscribe(customer, m.price(amount=1000), m.card(customer))
    assert len(mailoutbox) == 1 and mailoutbox[0].subject.startswith("Receipt from")
    assert "$10.00" in mailoutbox[0].body

    m.advance(clock, "2026-03-30T00:00:00Z")  # three days before 1 April

    upcoming = [mail for mail in mailoutbox if "renews soon" in mail.subject]
    assert len(upcoming) == 1 and upcoming[0].to == ["grace@example.com"]
    assert "1 Apr 2026" in upcoming[0].body


def test_emails_come_from_the_merchant_by_name(m, mailoutbox, merchant):
    customer = m.customer(m.clock("2026-03-01T00:00:00Z"))
    m.subscribe(customer, m.price(), m.card(customer))
    (receipt,) = mailoutbox
    assert receipt.from_email.startswith(f"{merchant.name} <")
    assert receipt.alternatives and "text/html" in receipt.alternatives[0][1]


def test_an_unpaid_subscription_is_active_again_when_the_customer_gives_a_card(
    m, client, mailoutbox, django_capture_on_commit_callbacks, assert_invariants
):
    clock, _, subscription = _trial_on(m, "4000000000000341")
    m.advance(clock, "2026-03-09T00:00:00Z")
    assert m.subscription(subscription)["status"] == "unpaid"  # lost_card: never retried
    link = _update_link(mailoutbox)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(link, _card_form()).status_code == 302

    after = m.subscription(subscription)
    assert after["status"] == "active" and after["current_period_end"] == "2026-04-08T00:00:00Z"
    assert [i["status"] for i in m.invoices(subscription)] == ["paid"]
    m.advance(clock, "2026-04-09T00:00:00Z")
    assert [i["status"] for i in m.invoices(subscription)] == ["paid", "paid"]
    assert_invariants()
