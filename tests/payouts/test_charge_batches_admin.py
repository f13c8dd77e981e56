"""Bulk charges in the back office: a CSV upload checked row by row, then started."""

import pytest

from payouts.models import ChargeBatch
from tests.payouts.conftest import csv_file

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/payouts/chargebatch/upload/"


def test_a_csv_upload_prepares_a_batch_and_the_start_action_charges_it(
    login,
    manager,
    merchant,
    cards,
    sent,
    django_capture_on_commit_callbacks,
):
    client = login(manager)
    rows = [
        {
            "reference": f"r-{n}",
            "customer": cards["customer"],
            "payment_method": cards["good"],
            "amount": "1200",
            "currency": "usd",
        }
        for n in range(1, 4)
    ]
    rows[2]["amount"] = "12.00"

    response = client.post(
        UPLOAD, {"merchant": merchant.pk, "reference": "csv-1", "file": csv_file(rows)}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    batch = ChargeBatch.objects.get()
    assert [(r["row"], r["code"]) for r in batch.rejected] == [(3, "invalid_amount")]
    assert "2 rows accepted, 1 refused" in client.get(response["Location"]).content.decode()
    assert sent == []

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/payouts/chargebatch/",
            {"action": "start", "_selected_action": [batch.pk]},
        )

    batch.refresh_from_db()
    assert batch.status == "completed"
    assert len(sent) == 2
    page = client.get(f"/admin/payouts/chargebatch/{batch.pk}/change/").content.decode()
    assert "2/2 processed: 2 succeeded, 0 failed" in page


def test_a_file_without_the_needed_columns_is_refused_on_the_form(login, manager, merchant):
    client = login(manager)
    bad = csv_file([{"reference": "x", "amount": "1"}])

    response = client.post(UPLOAD, {"merchant": merchant.pk, "reference": "csv-2", "file": bad})

    assert response.status_code == 200
    assert "lacks the columns: customer, payment_method, currency" in response.content.decode()
    assert not ChargeBatch.objects.exists()


def test_a_viewer_is_offered_no_merchant_to_upload_for(login, make_staff, merchant):
    client = login(make_staff(merchant, "viewer"))
    rows = [
        {"reference": "x", "customer": "c", "payment_method": "p", "amount": 1, "currency": "USD"}
    ]

    response = client.post(
        UPLOAD, {"merchant": merchant.pk, "reference": "csv-3", "file": csv_file(rows)}
    )

    assert response.status_code == 200
    assert not ChargeBatch.objects.exists()
