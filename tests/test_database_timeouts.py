"""Per-process database limits: a web request gives up on a held lock instead of hanging."""

import threading

import pytest
from django.db import OperationalError, connection, transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web_timeouts(settings):
    from merchant_portal.database import timeouts_apply

    settings.DATABASE_TIMEOUTS = {**settings.DATABASE_TIMEOUTS, "web": (5000, 200)}
    options = dict(connection.settings_dict.get("OPTIONS", {}))
    connection.close()
    timeouts_apply("web")
    yield
    connection.close()
    connection.settings_dict["OPTIONS"] = options


@pytest.fixture
def locked_order(order):
    """The order's row, locked by another connection until the test ends."""
    from payments.models import Order

    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            Order.objects.select_for_update().get(pk=order.pk)
            locked.set()
            release.wait(20)
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(10)
    yield order
    release.set()
    thread.join()


def test_a_web_process_gives_up_waiting_for_a_lock(web_timeouts, locked_order):
    from payments.models import Order

    with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
        Order.objects.select_for_update().get(pk=locked_order.pk)


def test_a_payment_waiting_on_a_held_lock_is_a_503_and_its_key_can_be_retried(
    web_timeouts, locked_order
):
    from rest_framework.test import APIClient

    from payments.models import IdempotencyRecord
    from payments.services import api_key_create

    _, raw = api_key_create(merchant=locked_order.merchant)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_IDEMPOTENCY_KEY="pay-once")
    from tests.api.conftest import card_body

    body = {"payment_method": card_body()}

    busy = api.post(f"/api/v1/orders/{locked_order.public_id}/payments", body, format="json")

    assert busy.status_code == 503
    assert busy["Content-Type"] == "application/problem+json"
    assert busy.json()["code"] == "temporarily_unavailable"
    assert busy["Retry-After"] == "2"
    assert not locked_order.payments.exists()  # nothing half-written
    assert not IdempotencyRecord.objects.filter(key="pay-once").exists()  # the key is free again
