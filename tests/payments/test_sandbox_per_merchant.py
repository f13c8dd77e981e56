"""Each merchant's test mode has its own sandbox accounts (issue 17, point 10)."""

import threading

import pytest
from django.db import connection

from institutions.models import SandboxAccount, SandboxBalance, SandboxHold, SandboxOwner
from payments.models import Payment
from payments.services import order_create, payment_create, sandbox_reset
from tests.conftest import DEBIT_100, VISA, card
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

SIXTY = 6000


def _pay(merchant, pay, amount=SIXTY, number=DEBIT_100, n=[0], **order):  # noqa: B006
    n[0] += 1
    made = order_create(
        merchant=merchant, amount=amount, currency="USD", reference=f"sbx-{n[0]}", **order
    )
    return pay(made, card(number))


def test_a_new_merchants_first_60_on_the_debit_card_is_approved_after_another_spent_it(
    merchant, other_merchant, pay, assert_invariants
):
    assert _pay(other_merchant, pay).status == "captured"
    assert _pay(other_merchant, pay).decline_code == "insufficient_funds"  # spent: 40.00 left

    payment = _pay(merchant, pay)

    assert payment.status == "captured", payment.decline_code
    assert_invariants()


def test_each_merchant_gets_the_published_accounts_once(merchant, other_merchant, pay):
    _pay(merchant, pay, number=VISA)
    _pay(merchant, pay, number=VISA)
    _pay(other_merchant, pay, number=VISA)

    published = SandboxAccount.objects.filter(owner__key="").count()
    for m in (merchant, other_merchant):
        assert SandboxAccount.objects.filter(owner__key=m.public_id).count() == published


def test_reset_restores_the_published_balance_and_releases_holds(merchant, pay, assert_invariants):
    assert _pay(merchant, pay).status == "captured"
    held = _pay(merchant, pay, amount=3000, capture_method="manual")
    assert held.status == "authorized"
    assert _pay(merchant, pay).decline_code == "insufficient_funds"

    result = sandbox_reset(merchant=merchant)

    held.refresh_from_db()
    assert held.status == "canceled"
    assert result.payments_canceled == 1
    assert not SandboxHold.objects.filter(
        account__owner__key=merchant.public_id, status="active"
    ).exists()
    balance = SandboxBalance.objects.get(
        account__owner__key=merchant.public_id, account__last4="5556", currency="USD"
    )
    assert balance.available_amount == 10_000
    assert _pay(merchant, pay).status == "captured"
    assert_invariants()


def test_reset_leaves_other_merchants_alone(merchant, other_merchant, pay):
    _pay(merchant, pay)
    _pay(other_merchant, pay)

    sandbox_reset(merchant=merchant)

    assert _pay(other_merchant, pay).decline_code == "insufficient_funds"


def test_reset_of_a_merchant_that_never_paid_is_harmless(merchant):
    result = sandbox_reset(merchant=merchant)

    assert (result.payments_canceled, result.holds_released) == (0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_payments_at_once_open_one_set_of_accounts(django_capture_on_commit_callbacks):
    merchant = MerchantFactory()
    orders = [
        order_create(merchant=merchant, amount=1000, currency="USD", reference=f"race-{i}")
        for i in range(2)
    ]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(order):
        try:
            barrier.wait()
            results.append(payment_create(order=order, method=card(VISA)).status)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(o,)) for o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert results == ["captured", "captured"]
    assert SandboxOwner.objects.filter(key=merchant.public_id).count() == 1
    published = SandboxAccount.objects.filter(owner__key="").count()
    assert SandboxAccount.objects.filter(owner__key=merchant.public_id).count() == published
    assert Payment.objects.filter(merchant=merchant, status="captured").count() == 2
