"""The balance row keeps running totals of holds, debits and refunds, equal to the books."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from institutions.connector import Decision, get_connector
from institutions.models import SandboxBalance
from institutions.selectors import account_available_amount, account_totals_recount

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox_accounts")]

DEBIT_100 = "4000056655665556"


@pytest.fixture
def visa():
    return get_connector("sandbox_issuer_visa")


def _balance() -> SandboxBalance:
    (balance,) = SandboxBalance.objects.filter(currency="USD")
    return balance


def test_running_totals_equal_the_holds_and_movements_after_every_operation(visa, card_request):
    captured = visa.authorize(card_request(DEBIT_100, amount=3_000))
    voided = visa.authorize(card_request(DEBIT_100, amount=2_000))
    active = visa.authorize(card_request(DEBIT_100, amount=1_500))
    visa.capture(
        reference="cap_1", institution_reference=captured.institution_reference, amount=2_500
    )
    visa.capture(
        reference="cap_1", institution_reference=captured.institution_reference, amount=2_500
    )
    visa.void(reference="void_1", institution_reference=voided.institution_reference)
    visa.void(reference="void_1", institution_reference=voided.institution_reference)
    visa.refund(reference="ref_1", institution_reference=captured.institution_reference, amount=700)
    visa.refund(reference="ref_1", institution_reference=captured.institution_reference, amount=700)

    balance = _balance()
    assert active.decision == Decision.APPROVED
    assert (balance.held, balance.debited, balance.refunded) == (1_500, 2_500, 700)
    assert account_totals_recount(balance=balance) == {
        "held": 1_500,
        "debited": 2_500,
        "refunded": 700,
    }
    assert account_available_amount(balance=balance) == 10_000 - 1_500 - 2_500 + 700


def test_a_declined_or_challenged_authorization_changes_no_total(visa, card_request):
    visa.authorize(card_request(DEBIT_100, amount=9_000))
    declined = visa.authorize(card_request(DEBIT_100, amount=1_001))

    assert declined.decline_code == "insufficient_funds"
    assert _balance().held == 9_000


def test_an_authorization_reads_no_sum_of_the_cards_history(visa, card_request):
    for _ in range(3):
        visa.authorize(card_request("4242424242424242", amount=100))

    with CaptureQueriesContext(connection) as queries:
        result = visa.authorize(card_request("4242424242424242", amount=100))

    assert result.decision == Decision.APPROVED
    assert not [q["sql"] for q in queries if "SUM(" in q["sql"].upper()]


def test_the_database_refuses_totals_beyond_the_opening_funds(visa, card_request):
    visa.authorize(card_request(DEBIT_100, amount=1_000))

    with pytest.raises(IntegrityError), transaction.atomic():
        SandboxBalance.objects.filter(currency="USD").update(held=F("held") + 9_001)
    with pytest.raises(IntegrityError), transaction.atomic():
        SandboxBalance.objects.filter(currency="USD").update(refunded=1)


@pytest.mark.parametrize("amount", [3_000, 9_500])  # the second would not fit beside the first
def test_a_retried_authorization_answers_as_before_and_holds_nothing_more(
    visa, card_request, amount
):
    request = card_request(DEBIT_100, amount=amount, reference="att_retried")
    first = visa.authorize(request)

    again = visa.authorize(request)

    assert again == first and first.decision == Decision.APPROVED
    assert _balance().held == amount
    assert account_totals_recount(balance=_balance())["held"] == amount
