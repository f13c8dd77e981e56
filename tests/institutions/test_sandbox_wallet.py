"""The sandbox e-wallet: every payment approved by the holder's OTP."""

import pytest

from institutions.connector import Decision, get_connector
from institutions.models import SandboxHold

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox_accounts")]


@pytest.fixture
def wallet():
    return get_connector("sandbox_wallet")


def test_wallet_challenges_then_approves_when_authenticated(wallet, wallet_request):
    challenged = wallet.authorize(wallet_request("+1 555 555 0100", reference="att_w"))
    approved = wallet.authorize(
        wallet_request("+15555550100", reference="att_w", authenticated=True)
    )

    assert challenged.decision == Decision.CHALLENGE
    assert challenged.challenge.destination == "+15555550100"
    assert challenged.challenge.masked_destination == "+1 ••• ••• 0100"
    assert not challenged.institution_reference
    assert approved.decision == Decision.APPROVED
    assert approved.institution_reference == SandboxHold.objects.get().institution_reference


def test_wallet_hold_is_captured_and_refunded(wallet, wallet_request):
    held = wallet.authorize(wallet_request("+15555550100", amount=2_500, authenticated=True))

    captured = wallet.capture(
        reference="cap", institution_reference=held.institution_reference, amount=2_500
    )
    refunded = wallet.refund(
        reference="ref", institution_reference=held.institution_reference, amount=2_500
    )

    assert captured.succeeded
    assert refunded.succeeded


def test_empty_wallet_is_declined_for_insufficient_funds(wallet, wallet_request):
    result = wallet.authorize(wallet_request("+15555550101"))

    assert result.decision == Decision.DECLINED
    assert result.decline_code == "insufficient_funds"


def test_blocked_wallet_is_declined(wallet, wallet_request):
    result = wallet.authorize(wallet_request("+15555550102", authenticated=True))

    assert result.decline_code == "account_blocked"


def test_unknown_phone_is_an_invalid_account(wallet, wallet_request):
    result = wallet.authorize(wallet_request("+15555559999"))

    assert result.decline_code == "invalid_account"
