"""The published test cards, through the connector interface."""

import pytest

from institutions.cards import card_fingerprint, mask_phone
from institutions.connector import ConnectorError, Decision, get_connector
from institutions.models import SandboxAccount, SandboxAuthorization, SandboxHold

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox_accounts")]

VISA = "sandbox_issuer_visa"


@pytest.mark.parametrize(
    ("code", "number"),
    [
        (VISA, "4242424242424242"),
        ("sandbox_issuer_mc", "5555555555554444"),
        ("sandbox_issuer_mc", "2223003122003222"),
        ("sandbox_issuer_amex", "378282246310005"),
        ("sandbox_issuer_other", "6011111111111117"),
        ("sandbox_issuer_other", "3566002020360505"),
        ("sandbox_issuer_other", "6200000000000005"),
        ("sandbox_issuer_other", "3056930009020004"),
    ],
)
def test_large_limit_cards_are_approved_without_challenge(card_request, code, number):
    request = card_request(number, amount=987_654_321)

    result = get_connector(code).authorize(request)

    assert result.decision == Decision.APPROVED
    assert result.amount == 987_654_321
    assert result.challenge is None
    hold = SandboxHold.objects.get(reference=request.reference)
    assert hold.institution_reference == result.institution_reference
    assert hold.status == SandboxHold.Status.ACTIVE


@pytest.mark.parametrize(
    ("number", "decline_code"),
    [
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000002", "card_declined"),
        ("4000000000000127", "incorrect_cvc"),
        ("4000000000000069", "expired_card"),
        ("4000000000009987", "lost_card"),
        ("4000000000009979", "stolen_card"),
    ],
)
def test_declining_cards_answer_their_code_and_hold_nothing(card_request, number, decline_code):
    request = card_request(number)

    result = get_connector(VISA).authorize(request)

    assert result.decision == Decision.DECLINED
    assert result.decline_code == decline_code
    assert result.message
    assert result.institution_reference == ""
    assert not SandboxHold.objects.exists()


def test_issuer_failure_raises_processing_error_and_leaves_nothing(card_request):
    request = card_request("4000000000000119")

    with pytest.raises(ConnectorError) as excinfo:
        get_connector(VISA).authorize(request)

    assert excinfo.value.code == "processing_error"
    assert not SandboxHold.objects.exists()
    assert get_connector(VISA).lookup(reference=request.reference) is None


@pytest.mark.parametrize("number", ["4000000000003220", "4000002760003184"])
def test_verification_cards_challenge_until_authenticated(card_request, number):
    connector = get_connector(VISA)

    first = connector.authorize(card_request(number))
    again = connector.authorize(card_request(number))
    after_otp = connector.authorize(card_request(number, authenticated=True))

    for result in (first, again):
        assert result.decision == Decision.CHALLENGE
        assert result.challenge.channel == "sms"
        assert result.challenge.destination == "+15555550123"
        assert result.challenge.masked_destination == "+1 ••• ••• 0123"
    assert after_otp.decision == Decision.APPROVED
    assert SandboxHold.objects.count() == 1


def test_challenged_reference_is_decided_again_once_authenticated(card_request):
    connector = get_connector(VISA)
    request = card_request("4000002760003184", reference="att_otp")

    challenged = connector.authorize(request)
    approved = connector.authorize(
        card_request("4000002760003184", reference="att_otp", authenticated=True)
    )

    assert challenged.decision == Decision.CHALLENGE
    assert approved.decision == Decision.APPROVED
    assert approved.challenge is None
    assert connector.lookup(reference="att_otp") == approved


def test_unknown_luhn_valid_card_is_not_supported(card_request):
    result = get_connector(VISA).authorize(card_request("4111111111111111"))

    assert result.decision == Decision.DECLINED
    assert result.decline_code == "card_not_supported"


def test_card_of_another_brand_is_not_supported_by_this_issuer(card_request):
    result = get_connector("sandbox_issuer_mc").authorize(card_request("4242424242424242"))

    assert result.decline_code == "card_not_supported"


def test_number_failing_luhn_is_incorrect(card_request):
    result = get_connector(VISA).authorize(card_request("4242424242424241"))

    assert result.decline_code == "incorrect_number"


def test_expiry_in_the_past_is_declined_as_expired(card_request):
    result = get_connector(VISA).authorize(
        card_request("4242424242424242", exp_month=1, exp_year=2001)
    )

    assert result.decline_code == "expired_card"


def test_non_positive_amount_is_declined(card_request):
    result = get_connector(VISA).authorize(card_request("4242424242424242", amount=0))

    assert result.decline_code == "invalid_amount"


def test_card_request_to_wallet_is_refused_before_acting(card_request):
    with pytest.raises(ConnectorError) as excinfo:
        get_connector("sandbox_wallet").authorize(card_request("4242424242424242"))

    assert excinfo.value.code == "method_not_supported"
    assert not SandboxAuthorization.objects.exists()


def test_cards_are_stored_by_fingerprint_and_last4_only():
    account = SandboxAccount.objects.get(fingerprint=card_fingerprint("4242 4242 4242 4242"))

    assert account.last4 == "4242"
    stored = [str(value) for value in SandboxAccount.objects.values_list(flat=False)]
    assert not any("4242424242424242" in row for row in stored)


def test_masked_phone_keeps_prefix_and_last_four():
    assert mask_phone("+1 555-555-0123") == "+1 ••• ••• 0123"


def test_unknown_institution_code_is_a_lookup_error():
    with pytest.raises(LookupError):
        get_connector("sandbox_nowhere")


def test_every_sandbox_connector_names_itself():
    codes = [
        "sandbox_issuer_visa",
        "sandbox_issuer_mc",
        "sandbox_issuer_amex",
        "sandbox_issuer_other",
        "sandbox_wallet",
        "sandbox_transfer",
    ]
    for code in codes:
        connector = get_connector(code)
        assert connector.code == code
        assert connector.display_name
        assert connector.methods
