"""One merchant's receiver hangs while a real worker delivers: another merchant's webhooks still
arrive within seconds, and the hanging one's are delivered once it answers again."""

from __future__ import annotations

import pytest

from payments.models import Event
from tests.conftest import celery_worker_start, celery_worker_stop, wait_for
from tests.faults.conftest import (
    api_client,
    assert_invariants_command,
    paid_order,
    undelivered_events,
)
from webhooks.services import webhook_endpoint_create

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

#: The healthy merchant's webhooks arrive within this many seconds of their event.
HEALTHY_LAG = 5.0


def test_a_hanging_receiver_does_not_delay_another_merchants_webhooks(
    real_broker, merchant, other_merchant, make_endpoint, receiver, other_receiver, tmp_path
):
    make_endpoint()
    receiver.always(200, delay=30)  # hangs until released (the worker gives up at 10 s)
    webhook_endpoint_create(
        merchant=other_merchant, livemode=False, url=other_receiver.url, enabled_events=["*"]
    )
    hanging, healthy = api_client(merchant), api_client(other_merchant)
    worker = celery_worker_start(log=tmp_path / "worker.log")
    try:
        for _ in range(2):
            assert paid_order(hanging)[1].status_code == 201
        wait_for(lambda: receiver.in_flight, timeout=10)  # a worker process is stuck on it

        for _ in range(3):
            assert paid_order(healthy)[1].status_code == 201
        events = Event.objects.filter(merchant=other_merchant)
        wait_for(lambda: not undelivered_events(other_merchant), timeout=15)
        assert receiver.in_flight  # still hanging all along

        receiver.released.set()
        receiver.always(200)
        # Within a minute or so; longer only if the machine was so slow that the worker gave
        # up on the hanging requests first and the endpoint's circuit opened for a minute.
        wait_for(lambda: not undelivered_events(merchant), timeout=150)
    finally:
        receiver.released.set()
        celery_worker_stop(worker)

    arrived = {}
    for request in other_receiver.requests:
        arrived.setdefault(request.headers["webhook-id"], request.at)
    lags = {e.public_id: arrived[e.public_id] - e.created.timestamp() for e in events}
    assert len(lags) >= 6 and max(lags.values()) < HEALTHY_LAG, lags
    assert receiver.most_in_flight <= 8  # one batch at a time for the hanging endpoint
    assert_invariants_command()
