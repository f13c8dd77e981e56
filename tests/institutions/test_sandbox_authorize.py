"""Idempotent authorize, lookup, and the fault injection that makes outcomes unknown."""

import threading

import pytest
from django.db import connection

from institutions.connector import ConnectorError, ConnectorTimeout, Decision, get_connector
from institutions.models import SandboxAuthorization, SandboxHold
from institutions.sandbox import faults
from institutions.services import sandbox_accounts_seed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox_accounts")]

VISA = "sandbox_issuer_visa"


def test_authorize_is_idempotent_by_reference(card_request):
    connector = get_connector(VISA)
    request = card_request("4242424242424242", reference="att_1")

    first = connector.authorize(request)
    again = get_connector(VISA).authorize(request)

    assert first == again
    assert SandboxHold.objects.filter(reference="att_1").count() == 1


def test_repeated_decline_is_replayed_without_a_hold(card_request):
    connector = get_connector(VISA)
    request = card_request("4000000000009995", reference="att_1")

    assert connector.authorize(request) == connector.authorize(request)
    assert SandboxAuthorization.objects.filter(reference="att_1").count() == 1


def test_reference_reused_for_another_amount_is_refused(card_request):
    connector = get_connector(VISA)
    connector.authorize(card_request("4242424242424242", reference="att_1", amount=100))

    with pytest.raises(ConnectorError) as excinfo:
        connector.authorize(card_request("4242424242424242", reference="att_1", amount=200))

    assert excinfo.value.code == "reference_reused"


def test_lookup_of_an_unknown_reference_is_none():
    assert get_connector(VISA).lookup(reference="att_never") is None


def test_lookup_answers_the_stored_outcome(card_request):
    connector = get_connector(VISA)
    request = card_request("4000000000000002")

    declined = connector.authorize(request)

    assert connector.lookup(reference=request.reference) == declined


def test_lookup_at_another_institution_is_none(card_request):
    request = card_request("4242424242424242")
    get_connector(VISA).authorize(request)

    assert get_connector("sandbox_issuer_mc").lookup(reference=request.reference) is None


def test_timeout_before_acting_holds_nothing_and_lookup_is_none(card_request):
    connector = get_connector(VISA)
    request = card_request("4242424242424242")

    with faults.inject_timeout(after_acting=False) as fault, pytest.raises(ConnectorTimeout):
        connector.authorize(request)

    assert fault.fired == 1
    assert connector.lookup(reference=request.reference) is None
    assert not SandboxHold.objects.exists()


def test_timeout_after_acting_leaves_the_hold_and_lookup_finds_it(card_request):
    connector = get_connector(VISA)
    request = card_request("4242424242424242")

    with faults.inject_timeout(after_acting=True), pytest.raises(ConnectorTimeout):
        connector.authorize(request)
    found = connector.lookup(reference=request.reference)
    retried = connector.authorize(request)

    assert found.decision == Decision.APPROVED
    assert found.institution_reference == SandboxHold.objects.get().institution_reference
    assert retried == found
    assert SandboxHold.objects.count() == 1


def test_injected_timeout_fails_only_the_next_call(card_request):
    connector = get_connector(VISA)

    with faults.inject_timeout(after_acting=False):
        with pytest.raises(ConnectorTimeout):
            connector.authorize(card_request("4242424242424242"))
        result = connector.authorize(card_request("4242424242424242"))

    assert result.decision == Decision.APPROVED


def test_injected_timeout_can_target_one_institution_and_operation(card_request):
    visa = get_connector(VISA)
    held = visa.authorize(card_request("4242424242424242"))

    with faults.inject_timeout(after_acting=True, operation="capture", code=VISA):
        mc = get_connector("sandbox_issuer_mc").authorize(card_request("5555555555554444"))
        with pytest.raises(ConnectorTimeout):
            visa.capture(
                reference="cap", institution_reference=held.institution_reference, amount=5
            )

    assert mc.decision == Decision.APPROVED
    hold = SandboxHold.objects.get(institution_reference=held.institution_reference)
    assert hold.amount_captured == 5


def test_unknown_fault_operation_is_refused():
    with (
        pytest.raises(ValueError, match="unknown operation"),
        faults.inject_timeout(after_acting=False, operation="teleport"),
    ):
        pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_authorizations_cannot_overspend_a_debit_card(card_request):
    sandbox_accounts_seed()
    connector = get_connector(VISA)
    results = []
    barrier = threading.Barrier(8)

    def authorize():
        barrier.wait()
        try:
            results.append(connector.authorize(card_request("4000056655665556", amount=3_000)))
        finally:
            connection.close()

    threads = [threading.Thread(target=authorize) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    approved = [r for r in results if r.decision == Decision.APPROVED]
    assert len(approved) == 3
    assert SandboxHold.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_reference_hold_once(card_request):
    sandbox_accounts_seed()
    connector = get_connector(VISA)
    request = card_request("4242424242424242", reference="att_race")
    results = []
    barrier = threading.Barrier(6)

    def authorize():
        barrier.wait()
        try:
            results.append(connector.authorize(request))
        finally:
            connection.close()

    threads = [threading.Thread(target=authorize) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 6
    assert len(set(results)) == 1
    assert SandboxHold.objects.filter(reference="att_race").count() == 1
