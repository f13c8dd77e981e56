"""Invoice numbers on PostgreSQL with real threads: 20 API clients finalizing 100 invoices at
once get 1…100, no gap and no duplicate (a locked counter row, not MAX()+1)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from tests.api.conftest import _client_for
from tests.invoicing.conftest import LINES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 20
INVOICES = 100


def test_a_hundred_invoices_finalized_by_twenty_clients_are_numbered_without_gap(
    merchant, customer, api
):
    drafts = []
    for _ in range(INVOICES):
        response = api.post(
            "/api/v1/invoices",
            {"customer": customer["id"], "currency": "EUR", "lines": LINES},
            format="json",
        )
        assert response.status_code == 201, response.content
        drafts.append(response.json()["id"])
    clients = [_client_for(merchant) for _ in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)

    def finalize_share(i: int) -> list[str]:
        barrier.wait()
        try:
            numbers = []
            for invoice_id in drafts[i::CLIENTS]:
                response = clients[i].post(f"/api/v1/invoices/{invoice_id}/finalize")
                assert response.status_code == 200, response.content
                numbers.append(response.json()["number"])
            return numbers
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        numbers = [n for share in pool.map(finalize_share, range(CLIENTS)) for n in share]

    year = timezone.now().year
    assert sorted(numbers) == [f"INV-{year}-{n:06d}" for n in range(1, INVOICES + 1)]
    listed = {
        invoice["number"]
        for invoice in api.get("/api/v1/invoices?status=open&limit=100").json()["data"]
    }
    assert listed == set(numbers)
