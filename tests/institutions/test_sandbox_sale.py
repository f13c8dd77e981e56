"""A sale: the capture asked with the authorization (``capture_reference``), in one call."""

import dataclasses

import pytest

from institutions.connector import Decision, get_connector
from institutions.models import SandboxBalance, SandboxHold, SandboxMovement
from institutions.selectors import account_totals_recount

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox_accounts")]

DEBIT_100 = "4000056655665556"  # 100.00 of funds


@pytest.fixture
def visa():
    return get_connector("sandbox_issuer_visa")


def sale(request, reference="pay_1:capture"):
    return dataclasses.replace(request, capture_reference=reference)


def test_a_sale_is_approved_captured_and_debited_at_once(visa, card_request):
    result = visa.authorize(sale(card_request("4242424242424242", amount=2_500)))

    assert result.decision == Decision.APPROVED and result.captured == 2_500
    hold = SandboxHold.objects.get(institution_reference=result.institution_reference)
    assert (hold.status, hold.amount_captured) == ("captured", 2_500)
    debit = SandboxMovement.objects.get(hold=hold)
    assert (debit.kind, debit.reference, debit.amount) == ("debit", "pay_1:capture", 2_500)


def test_a_plain_authorization_captures_nothing(visa, card_request):
    result = visa.authorize(card_request("4242424242424242", amount=2_500))

    assert result.decision == Decision.APPROVED and result.captured == 0
    assert not SandboxMovement.objects.exists()


def test_a_capture_call_after_a_sale_replays_it_and_debits_nothing_more(visa, card_request):
    result = visa.authorize(sale(card_request(DEBIT_100, amount=6_000)))

    again = visa.capture(
        reference="pay_1:capture", institution_reference=result.institution_reference, amount=6_000
    )

    assert again.succeeded and again.amount == 6_000
    assert SandboxMovement.objects.count() == 1
    # 40.00 left of 100.00: the sale's debit counts once.
    assert visa.authorize(card_request(DEBIT_100, amount=4_001)).decline_code == (
        "insufficient_funds"
    )
    assert visa.authorize(card_request(DEBIT_100, amount=4_000)).decision == Decision.APPROVED


def test_a_sale_beyond_the_funds_is_declined_and_takes_nothing(visa, card_request):
    result = visa.authorize(sale(card_request(DEBIT_100, amount=10_001)))

    assert result.decline_code == "insufficient_funds" and result.captured == 0
    assert not SandboxHold.objects.exists() and not SandboxMovement.objects.exists()


def test_a_lookup_after_a_sale_says_it_was_captured(visa, card_request):
    request = sale(card_request("4242424242424242", amount=700))
    visa.authorize(request)

    found = visa.lookup(reference=request.reference)

    assert found.decision == Decision.APPROVED and found.captured == 700


def test_a_sale_is_refundable_like_a_capture(visa, card_request):
    result = visa.authorize(sale(card_request(DEBIT_100, amount=10_000)))

    refund = visa.refund(
        reference="re_1", institution_reference=result.institution_reference, amount=10_000
    )

    assert refund.succeeded
    assert visa.authorize(card_request(DEBIT_100, amount=10_000)).decision == Decision.APPROVED


def test_a_second_sale_on_a_card_is_locked_debited_and_recorded_in_four_statements(
    visa, card_request, django_assert_max_num_queries
):
    visa.authorize(sale(card_request(DEBIT_100, amount=1_000), "pay_1:capture"))
    second = sale(card_request(DEBIT_100, amount=2_000, reference="att_2"), "pay_2:capture")

    # The account locked with its debit in one UPDATE; the hold, the debit and the answer (and
    # here the savepoint and its release the test's transaction puts around them).
    with django_assert_max_num_queries(6):
        result = visa.authorize(second)

    assert result.decision == Decision.APPROVED and result.captured == 2_000
    balance = SandboxBalance.objects.get(account__fingerprint__isnull=False, currency="USD")
    assert balance.debited == 3_000
    assert account_totals_recount(balance=balance)["debited"] == 3_000


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000002", "card_declined"),  # blocked
        ("4000000000000127", "incorrect_cvc"),
        ("4000002760003184", None),  # asks for the OTP: no sale before it
    ],
)
def test_a_sale_the_card_would_not_approve_at_once_is_decided_as_before(
    visa, card_request, number, code
):
    result = visa.authorize(sale(card_request(number, amount=1_000)))

    assert result.captured == 0 and not SandboxMovement.objects.exists()
    if code:
        assert result.decline_code == code
    else:
        assert result.decision == Decision.CHALLENGE
