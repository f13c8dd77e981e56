"""Holds, captures, voids and refunds against the sandbox books."""

import pytest

from institutions.connector import Decision, get_connector
from institutions.models import SandboxBalance, SandboxHold, SandboxMovement

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox_accounts")]

DEBIT_100 = "4000056655665556"


@pytest.fixture
def visa():
    return get_connector("sandbox_issuer_visa")


@pytest.fixture
def approved_hold(visa, card_request):
    """A 10,000 hold on the large-limit Visa card."""
    result = visa.authorize(card_request("4242424242424242", amount=10_000))
    assert result.decision == Decision.APPROVED
    return result


def test_debit_card_declines_once_holds_exceed_its_balance_and_approves_after_a_void(
    visa, card_request
):
    first = visa.authorize(card_request(DEBIT_100, amount=6_000))
    second = visa.authorize(card_request(DEBIT_100, amount=5_000))

    assert first.decision == Decision.APPROVED
    assert second.decision == Decision.DECLINED
    assert second.decline_code == "insufficient_funds"

    voided = visa.void(reference="void_1", institution_reference=first.institution_reference)
    third = visa.authorize(card_request(DEBIT_100, amount=5_000))

    assert voided.succeeded
    assert third.decision == Decision.APPROVED


def test_debit_card_can_spend_exactly_its_balance(visa, card_request):
    assert visa.authorize(card_request(DEBIT_100, amount=10_000)).decision == Decision.APPROVED
    assert visa.authorize(card_request(DEBIT_100, amount=1)).decline_code == "insufficient_funds"


def test_balance_is_opened_per_currency_by_its_exponent(visa, card_request):
    jpy = visa.authorize(card_request(DEBIT_100, amount=100, currency="JPY", currency_exponent=0))
    kwd = visa.authorize(
        card_request(DEBIT_100, amount=100_001, currency="KWD", currency_exponent=3)
    )

    assert jpy.decision == Decision.APPROVED
    assert kwd.decline_code == "insufficient_funds"
    openings = dict(SandboxBalance.objects.values_list("currency", "opening_amount"))
    assert openings == {"JPY": 100, "KWD": 100_000}


def test_captured_debits_count_against_the_balance_and_refunds_restore_it(visa, card_request):
    held = visa.authorize(card_request(DEBIT_100, amount=8_000))
    visa.capture(reference="cap_1", institution_reference=held.institution_reference, amount=8_000)

    declined = visa.authorize(card_request(DEBIT_100, amount=3_000))
    visa.refund(reference="ref_1", institution_reference=held.institution_reference, amount=1_000)
    approved = visa.authorize(card_request(DEBIT_100, amount=3_000))

    assert declined.decline_code == "insufficient_funds"
    assert approved.decision == Decision.APPROVED


def test_partial_capture_debits_part_and_releases_the_rest(visa, card_request):
    held = visa.authorize(card_request(DEBIT_100, amount=10_000))

    captured = visa.capture(
        reference="cap_1", institution_reference=held.institution_reference, amount=4_000
    )
    after = visa.authorize(card_request(DEBIT_100, amount=6_000))

    assert captured.succeeded
    assert captured.amount == 4_000
    hold = SandboxHold.objects.get(institution_reference=held.institution_reference)
    assert hold.status == SandboxHold.Status.CAPTURED
    assert hold.amount_captured == 4_000
    assert after.decision == Decision.APPROVED


def test_capture_beyond_the_hold_fails(visa, approved_hold):
    result = visa.capture(
        reference="cap_1", institution_reference=approved_hold.institution_reference, amount=10_001
    )

    assert not result.succeeded
    assert result.failure_code == "invalid_amount"


def test_capture_is_idempotent_by_reference(visa, approved_hold):
    ref = approved_hold.institution_reference
    first = visa.capture(reference="cap_1", institution_reference=ref, amount=7_000)
    again = visa.capture(reference="cap_1", institution_reference=ref, amount=7_000)
    other = visa.capture(reference="cap_2", institution_reference=ref, amount=7_000)

    assert first == again
    assert not other.succeeded
    assert other.failure_code == "hold_not_active"
    assert SandboxMovement.objects.filter(kind="debit").count() == 1


def test_refund_cannot_exceed_the_captured_amount(visa, approved_hold):
    ref = approved_hold.institution_reference
    visa.capture(reference="cap_1", institution_reference=ref, amount=6_000)

    first = visa.refund(reference="ref_1", institution_reference=ref, amount=4_000)
    too_much = visa.refund(reference="ref_2", institution_reference=ref, amount=2_001)
    rest = visa.refund(reference="ref_3", institution_reference=ref, amount=2_000)

    assert first.succeeded
    assert not too_much.succeeded
    assert too_much.failure_code == "amount_exceeds_captured"
    assert rest.succeeded
    assert SandboxHold.objects.get(institution_reference=ref).amount_refunded == 6_000


def test_refund_is_idempotent_by_its_reference(visa, approved_hold):
    ref = approved_hold.institution_reference
    visa.capture(reference="cap_1", institution_reference=ref, amount=10_000)

    first = visa.refund(reference="ref_1", institution_reference=ref, amount=3_000)
    again = visa.refund(reference="ref_1", institution_reference=ref, amount=3_000)

    assert first == again
    assert SandboxHold.objects.get(institution_reference=ref).amount_refunded == 3_000


def test_refund_of_an_uncaptured_hold_fails(visa, approved_hold):
    result = visa.refund(
        reference="ref_1", institution_reference=approved_hold.institution_reference, amount=1
    )

    assert result.failure_code == "not_captured"


def test_void_is_idempotent_and_a_captured_hold_cannot_be_voided(visa, card_request):
    held = visa.authorize(card_request("4242424242424242"))
    captured = visa.authorize(card_request("4242424242424242"))
    visa.capture(reference="cap", institution_reference=captured.institution_reference, amount=1)

    first = visa.void(reference="v1", institution_reference=held.institution_reference)
    again = visa.void(reference="v2", institution_reference=held.institution_reference)
    refused = visa.void(reference="v3", institution_reference=captured.institution_reference)

    assert first.succeeded
    assert again.succeeded
    assert not refused.succeeded
    assert refused.failure_code == "hold_not_active"


def test_holds_of_another_institution_are_not_found(approved_hold):
    result = get_connector("sandbox_issuer_mc").void(
        reference="v1", institution_reference=approved_hold.institution_reference
    )

    assert result.failure_code == "not_found"
