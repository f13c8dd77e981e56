"""The admin's sandbox reset: a merchant's managers and platform staff, audited."""

import pytest
from django.urls import reverse

from backoffice.models import AuditLog
from institutions.models import SandboxBalance
from tests.conftest import DEBIT_100, card

pytestmark = pytest.mark.django_db


def _spend(merchant, make_order, pay):
    payment = pay(make_order(amount=6000), card(DEBIT_100))
    assert payment.status == "captured"


def _available(merchant) -> int:
    return SandboxBalance.objects.get(
        account__owner__key=merchant.public_id, account__last4="5556", currency="USD"
    ).available_amount


def _reset(client, merchant):
    return client.post(
        reverse("admin:payments_merchant_changelist"),
        {"action": "sandbox_reset_action", "_selected_action": [merchant.pk]},
    )


def test_a_manager_resets_their_merchants_sandbox_and_it_is_audited(
    login, manager, merchant, make_order, pay
):
    _spend(merchant, make_order, pay)

    response = _reset(login(manager), merchant)

    assert response.status_code == 302
    assert _available(merchant) == 10_000
    entry = AuditLog.objects.get(action="sandbox.reset")
    assert (entry.actor, entry.merchant) == (manager, merchant)


def test_platform_staff_reset_any_merchants_sandbox(
    login, platform_user, merchant, make_order, pay
):
    _spend(merchant, make_order, pay)

    assert _reset(login(platform_user), merchant).status_code == 302

    assert _available(merchant) == 10_000
    assert AuditLog.objects.filter(action="sandbox.reset", actor=platform_user).exists()


def test_a_viewer_cannot_reset(login, viewer, merchant, make_order, pay):
    _spend(merchant, make_order, pay)

    _reset(login(viewer), merchant)

    assert _available(merchant) == 4_000
    assert not AuditLog.objects.filter(action="sandbox.reset").exists()
