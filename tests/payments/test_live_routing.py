"""Live mode never reaches a sandbox institution (issue 17, point 11)."""

import pytest

from institutions.connector import (
    AuthorizationRequest,
    ConnectorError,
    MethodDetails,
    get_connector,
)
from payments.errors import NoLiveInstitution
from payments.models import Order, Payment
from payments.routing import route_payment
from tests.conftest import VISA, card, wallet

pytestmark = pytest.mark.django_db


def test_a_live_payment_is_refused_before_anything_is_written(make_order, pay):
    order = make_order(livemode=True)

    with pytest.raises(NoLiveInstitution) as caught:
        pay(order, card(VISA))

    assert caught.value.code == "no_live_institution"
    assert not Payment.objects.filter(order=order).exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_test_mode_payments_still_go_to_the_sandbox(order, pay):
    assert pay(order, card(VISA)).institution == "sandbox_issuer_visa"


@pytest.mark.parametrize("method_type", ["card", "wallet", "bank_transfer"])
def test_live_routing_never_picks_a_sandbox_institution(method_type, settings):
    settings.PAYMENTS_LIVE_ROUTES = {"card": "sandbox_issuer_visa", "wallet": "sandbox_wallet"}

    with pytest.raises(NoLiveInstitution):
        route_payment(method_type=method_type, card_brand="visa", livemode=True)


def test_live_routing_refuses_an_unknown_institution_code(settings):
    settings.PAYMENTS_LIVE_ROUTES = {"card": "no_such_bank"}

    with pytest.raises(NoLiveInstitution):
        route_payment(method_type="card", card_brand="visa", livemode=True)


def test_a_configured_live_institution_takes_live_payments(make_order, pay, live_institution):
    payment = pay(make_order(livemode=True), card(VISA))

    assert (payment.status, payment.institution) == ("captured", live_institution)


def test_a_live_wallet_payment_is_refused_with_only_a_card_route(make_order, pay, live_institution):
    with pytest.raises(NoLiveInstitution):
        pay(make_order(livemode=True), wallet())


def test_the_sandbox_itself_refuses_a_live_request():
    request = AuthorizationRequest(
        reference="att_live_1",
        amount=1000,
        currency="USD",
        currency_exponent=2,
        method=MethodDetails(type="card", card_number=VISA, exp_month=12, exp_year=2099),
        livemode=True,
    )

    with pytest.raises(ConnectorError) as caught:
        get_connector("sandbox_issuer_visa").authorize(request)

    assert caught.value.code == "livemode_not_supported"
