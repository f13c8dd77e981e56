"""The sandbox bank transfer: pending until the shopper's money arrives."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from institutions.connector import ConnectorError, Decision, get_connector
from institutions.models import SandboxTransfer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox_accounts")]


@pytest.fixture
def bank():
    return get_connector("sandbox_transfer")


@pytest.fixture
def pending(bank, transfer_request):
    request = transfer_request(amount=5_000)
    return request, bank.authorize(request)


def test_transfer_is_pending_with_instructions(pending):
    _, result = pending

    assert result.decision == Decision.PENDING
    instructions = result.transfer
    assert instructions.bank_name == "Sandbox Bank"
    assert instructions.account_number.startswith("SBX")
    assert instructions.reference.startswith("PAY-")
    assert (instructions.amount, instructions.currency) == (5_000, "EUR")
    expected = timezone.now() + timedelta(days=3)
    assert abs(instructions.expires_at - expected) < timedelta(minutes=1)


def test_transfer_lifetime_follows_the_setting(bank, transfer_request, settings):
    settings.PAYMENTS_BANK_TRANSFER_TTL = timedelta(hours=2)

    result = bank.authorize(transfer_request())

    assert result.transfer.expires_at - timezone.now() < timedelta(hours=2, minutes=1)


def test_simulated_transfer_makes_lookup_approved(bank, pending):
    request, result = pending

    matched = bank.simulate_incoming_transfer(
        transfer_reference=result.transfer.reference, amount=5_000
    )
    found = bank.lookup(reference=request.reference)

    assert matched == request.reference
    assert found.decision == Decision.APPROVED
    assert found.amount == 5_000
    assert found.institution_reference == result.institution_reference


def test_simulated_transfer_is_idempotent(bank, pending):
    request, result = pending
    transfer_reference = result.transfer.reference

    bank.simulate_incoming_transfer(transfer_reference=transfer_reference, amount=5_000)
    again = bank.simulate_incoming_transfer(transfer_reference=transfer_reference, amount=5_000)

    assert again == request.reference
    assert SandboxTransfer.objects.get().movements.count() == 1


def test_simulated_transfer_of_another_amount_is_refused(bank, pending):
    _, result = pending

    with pytest.raises(ConnectorError) as excinfo:
        bank.simulate_incoming_transfer(transfer_reference=result.transfer.reference, amount=4_999)

    assert excinfo.value.code == "amount_mismatch"
    assert SandboxTransfer.objects.get().status == SandboxTransfer.Status.AWAITING


def test_simulated_transfer_to_an_unknown_reference_is_a_lookup_error(bank):
    with pytest.raises(LookupError):
        bank.simulate_incoming_transfer(transfer_reference="PAY-NONE-0000", amount=1)


def test_transfer_arriving_after_expiry_is_refused_and_lookup_declines(bank, pending):
    request, result = pending

    with time_machine.travel(timezone.now() + timedelta(days=3, seconds=1)):
        with pytest.raises(ConnectorError) as excinfo:
            bank.simulate_incoming_transfer(
                transfer_reference=result.transfer.reference, amount=5_000
            )
        found = bank.lookup(reference=request.reference)

    assert excinfo.value.code == "transfer_expired"
    assert found.decline_code == "transfer_expired"


def test_void_closes_an_unpaid_transfer(bank, pending):
    request, result = pending

    voided = bank.void(reference="v", institution_reference=result.institution_reference)

    assert voided.succeeded
    assert bank.lookup(reference=request.reference).decline_code == "transfer_closed"
    with pytest.raises(ConnectorError):
        bank.simulate_incoming_transfer(transfer_reference=result.transfer.reference, amount=5_000)


def test_capture_needs_the_money_to_have_arrived(bank, pending):
    _, result = pending
    ref = result.institution_reference

    early = bank.capture(reference="c1", institution_reference=ref, amount=5_000)
    bank.simulate_incoming_transfer(transfer_reference=result.transfer.reference, amount=5_000)
    captured = bank.capture(reference="c2", institution_reference=ref, amount=5_000)
    void = bank.void(reference="v", institution_reference=ref)

    assert early.failure_code == "not_received"
    assert captured.succeeded
    assert not void.succeeded


def test_refund_of_a_received_transfer_never_exceeds_it(bank, pending):
    _, result = pending
    ref = result.institution_reference
    bank.simulate_incoming_transfer(transfer_reference=result.transfer.reference, amount=5_000)
    bank.capture(reference="c", institution_reference=ref, amount=5_000)

    first = bank.refund(reference="r1", institution_reference=ref, amount=3_000)
    again = bank.refund(reference="r1", institution_reference=ref, amount=3_000)
    too_much = bank.refund(reference="r2", institution_reference=ref, amount=2_001)

    assert first.succeeded
    assert again == first
    assert too_much.failure_code == "amount_exceeds_captured"
    assert SandboxTransfer.objects.get().amount_refunded == 3_000
