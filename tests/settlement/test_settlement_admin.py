"""Back office: batches and payouts scoped to the user's merchants, CSV download, run now."""

from datetime import date

import pytest
import time_machine

from backoffice.models import AuditLog
from settlement.models import SettlementBatch
from tests.settlement.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def batches(merchant, other_merchant, capture_at, settle, pay):
    from payments.services import order_create

    capture_at(utc(2026, 11, 23, 12), amount=1000)
    with time_machine.travel(utc(2026, 11, 23, 12), tick=False):
        pay(order_create(merchant=other_merchant, amount=2000, currency="USD", reference="o"))
    return settle(date(2026, 11, 24))


def mine_and_theirs(batches, merchant):
    mine = next(b for b in batches if b.merchant_id == merchant.pk)
    theirs = next(b for b in batches if b.merchant_id != merchant.pk)
    return mine, theirs


def test_merchant_staff_see_only_their_own_batches(make_staff, login, merchant, batches):
    mine, theirs = mine_and_theirs(batches, merchant)
    client = login(make_staff(merchant, "viewer"))

    page = client.get("/admin/settlement/settlementbatch/").content.decode()

    assert mine.public_id in page
    assert theirs.public_id not in page
    assert client.get(f"/admin/settlement/settlementbatch/{theirs.pk}/change/").status_code in (
        302,
        404,
    )


def test_merchant_staff_download_their_batch_report_but_not_anothers(
    make_staff, login, merchant, batches
):
    mine, theirs = mine_and_theirs(batches, merchant)
    client = login(make_staff(merchant, "viewer"))

    response = client.get(f"/admin/settlement/settlementbatch/{mine.pk}/report.csv")

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert f"total,payout,,,,USD,,,{mine.payout_amount / 100:.2f}" in body
    assert AuditLog.objects.filter(action="settlement.report_downloaded").count() == 1
    other = client.get(f"/admin/settlement/settlementbatch/{theirs.pk}/report.csv")
    assert other.status_code == 404


def test_merchant_staff_see_only_their_payouts(make_staff, login, merchant, batches):
    mine, theirs = mine_and_theirs(batches, merchant)
    client = login(make_staff(merchant, "viewer"))

    page = client.get("/admin/settlement/payout/").content.decode()

    assert mine.payout.public_id in page
    assert theirs.payout.public_id not in page


def test_batches_cannot_be_edited_or_deleted_even_by_platform_staff(make_staff, login, batches):
    client = login(make_staff(superuser=True))
    batch = batches[0]

    page = client.get(f"/admin/settlement/settlementbatch/{batch.pk}/change/")
    client.post(f"/admin/settlement/settlementbatch/{batch.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert 'name="payout_amount"' not in page.content.decode()
    assert SettlementBatch.objects.filter(pk=batch.pk).exists()


def test_platform_staff_run_settlement_now(
    make_staff, login, capture_at, django_capture_on_commit_callbacks
):
    capture_at(utc(2026, 11, 23, 12))
    client = login(make_staff(superuser=True))

    with time_machine.travel(utc(2026, 11, 24, 8), tick=False):
        page = client.get("/admin/settlement/settlementbatch/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/admin/settlement/settlementbatch/run/")

    assert 'id="run-settlement"' in page
    assert response.status_code == 302
    assert SettlementBatch.objects.get().cutoff == utc(2026, 11, 24)
    assert AuditLog.objects.filter(action="settlement.run_requested").exists()


@pytest.mark.django_db(transaction=True)
def test_run_now_says_so_when_the_task_queue_is_unreachable(
    make_staff, login, capture_at, broker_down
):
    capture_at(utc(2026, 11, 23, 12))
    client = login(make_staff(superuser=True))

    with time_machine.travel(utc(2026, 11, 24, 8), tick=False):
        response = client.post("/admin/settlement/settlementbatch/run/", follow=True)

    assert response.status_code == 200
    assert "The task queue is unreachable, so the run did not start" in response.content.decode()
    assert not SettlementBatch.objects.exists()


def test_merchant_staff_cannot_run_settlement(make_staff, login, merchant, capture_at):
    capture_at(utc(2026, 11, 23, 12))
    client = login(make_staff(merchant, "manager"))

    page = client.get("/admin/settlement/settlementbatch/").content.decode()
    response = client.post("/admin/settlement/settlementbatch/run/")

    assert 'id="run-settlement"' not in page
    assert response.status_code == 403
    assert not SettlementBatch.objects.exists()


def test_the_dashboard_shows_the_last_reconciliation(make_staff, login, batches):
    from django.core.management import call_command

    call_command("reconcile")
    client = login(make_staff(superuser=True))

    page = client.get("/admin/").content.decode()

    assert "Reconciliation" in page
    assert "(ok)" in page


def test_batch_and_payout_pages_show_every_amount_formatted(make_staff, login, merchant, batches):
    from payments.money import format_amount

    mine, _ = mine_and_theirs(batches, merchant)
    client = login(make_staff(merchant, "viewer"))

    batch_page = client.get(f"/admin/settlement/settlementbatch/{mine.pk}/change/").content
    payout_page = client.get(f"/admin/settlement/payout/{mine.payout.pk}/change/").content
    fields = batch_page.decode().split('id="settlementbatch_form"')[1].split("</fieldset>")[0]

    for amount in (mine.gross_amount, mine.fees_amount, mine.net_amount, mine.payout_amount):
        assert format_amount(amount, "USD") in fields
    assert format_amount(mine.fee_fixed, "USD") in fields
    for raw in (mine.gross_amount, mine.fees_amount, mine.net_amount, mine.fee_fixed):
        assert f'<div class="readonly">{raw}</div>' not in fields
    assert format_amount(mine.payout.amount, "USD").encode() in payout_page
    assert f'<div class="readonly">{mine.payout.amount}</div>'.encode() not in payout_page


def test_a_yen_batch_shows_its_fixed_fee_in_yen(make_staff, login, merchant, capture_at, settle):
    """Issue 17, point 12: the fixed fee of a JPY batch is ¥40, not ¥30 (nor 0.30 of anything)."""
    capture_at(utc(2026, 11, 23, 12), amount=1000, currency="JPY")
    (batch,) = settle(date(2026, 11, 24))
    client = login(make_staff(merchant, "viewer"))

    page = client.get(f"/admin/settlement/settlementbatch/{batch.pk}/change/").content.decode()
    report = b"".join(
        client.get(f"/admin/settlement/settlementbatch/{batch.pk}/report.csv").streaming_content
    ).decode()

    assert batch.fee_fixed == 40
    assert "¥40" in page
    fee = 40 + 29  # 2.90% of ¥1,000 is ¥29
    assert batch.fees_amount == fee and f"-{fee}" in report.replace(",", "")


def test_the_merchant_page_shows_the_fixed_fee_of_each_currency(make_staff, login, merchant):
    from payments.services import merchant_fixed_fee_set

    merchant_fixed_fee_set(merchant=merchant, currency="JPY", amount=10)
    client = login(make_staff(merchant, "viewer"))

    page = client.get(f"/admin/payments/merchant/{merchant.pk}/change/").content.decode()

    assert "$0.30" in page
    assert "¥10 (own)" in page
    assert "KWD" in page and "0.100" in page


def test_platform_staff_set_a_merchants_own_fixed_fee_audited(make_staff, login, merchant):
    client = login(make_staff(superuser=True))
    data = {"merchant": merchant.pk, "currency": "JPY", "amount": "25"}

    response = client.post("/admin/payments/merchantfixedfee/add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert merchant.fixed_fees.get(currency="JPY").amount == 25
    entry = AuditLog.objects.get(action="merchant.fixed_fee_changed")
    assert entry.details == {"currency": "JPY", "amount": 25}


@pytest.mark.parametrize(("currency", "amount"), [("JPY", "-5"), ("XXX", "5"), ("JPY", "1.5")])
def test_a_bad_fixed_fee_is_refused_beside_the_field(make_staff, login, merchant, currency, amount):
    client = login(make_staff(superuser=True))
    data = {"merchant": merchant.pk, "currency": currency, "amount": amount}

    response = client.post("/admin/payments/merchantfixedfee/add/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not merchant.fixed_fees.exists()


def test_merchant_staff_cannot_set_fixed_fees(make_staff, login, merchant):
    client = login(make_staff(merchant, "manager"))
    data = {"merchant": merchant.pk, "currency": "JPY", "amount": "0"}

    response = client.post("/admin/payments/merchantfixedfee/add/", data)

    assert response.status_code == 403
    assert not merchant.fixed_fees.exists()
