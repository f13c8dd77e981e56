"""Invoices as billing writes them: lines and half-even tax, gap-free numbers, payments applied
once (in parts too), void and uncollectible, and the read API filtered by customer,
subscription and status."""

from datetime import date

import pytest
from django.utils import timezone

from billing.models import Customer, Invoice
from billing.services import (
    LineInput,
    invoice_create,
    invoice_finalize,
    invoice_mark_uncollectible,
    invoice_payment_apply,
    invoice_update,
    invoice_void,
)
from payments.errors import InvalidTransition, ValidationFailed
from payments.models import Event
from tests.payments.test_concurrency import race


@pytest.fixture
def buyer(merchant):
    return Customer.objects.create(merchant=merchant, email="buyer@example.com", name="Buyer")


def draft(customer, *lines, **fields):
    lines = lines or (LineInput(description="Consulting", unit_amount=10000, quantity=3),)
    return invoice_create(customer=customer, currency="USD", lines=list(lines), **fields)


@pytest.mark.django_db
def test_tax_is_rounded_half_even_per_line_and_totals_add_up(buyer):
    invoice = draft(
        buyer,
        LineInput(description="Half rounds down to even", unit_amount=25, tax_rate_bps=1000),
        LineInput(description="Half rounds up to even", unit_amount=35, tax_rate_bps=1000),
        LineInput(description="Two seats", unit_amount=1999, quantity=2, tax_rate_bps=2000),
    )

    lines = [(li.amount, li.tax_amount) for li in invoice.lines.all()]
    assert lines == [(25, 2), (35, 4), (3998, 800)]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (4058, 806, 4864)
    assert (invoice.status, invoice.number, invoice.amount_remaining) == ("draft", None, 4864)
    assert Event.objects.filter(object_id=invoice.public_id, type="invoice.created").exists()


@pytest.mark.django_db
def test_a_bad_line_is_refused_naming_it_and_nothing_is_written(buyer):
    with pytest.raises(ValidationFailed) as refused:
        draft(
            buyer,
            LineInput(description="ok", unit_amount=100),
            LineInput(description=" ", unit_amount=-5, quantity=0, tax_rate_bps=10001),
        )

    fields = {(e.field, e.code) for e in refused.value.errors}
    assert fields == {
        ("lines[1].description", "required"),
        ("lines[1].unit_amount", "negative_amount"),
        ("lines[1].quantity", "out_of_range"),
        ("lines[1].tax_rate_bps", "out_of_range"),
    }
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_finalize_numbers_invoices_in_one_series_per_merchant_and_year(buyer, other_merchant):
    first, second = draft(buyer), draft(buyer)
    other = draft(Customer.objects.create(merchant=other_merchant, email="o@example.com"))

    numbers = [invoice_finalize(invoice=i).number for i in (first, second, other)]

    year = timezone.now().year
    assert numbers == [f"INV-{year}-000001", f"INV-{year}-000002", f"INV-{year}-000001"]
    first.refresh_from_db()
    assert first.status == "open" and first.finalized_at is not None
    with pytest.raises(InvalidTransition):
        invoice_finalize(invoice=first)


@pytest.mark.django_db
def test_an_invoice_of_nothing_is_paid_when_finalized(buyer):
    invoice = invoice_finalize(invoice=draft(buyer, LineInput(description="Free", unit_amount=0)))

    assert invoice.status == "paid" and invoice.paid_at is not None
    types = list(
        Event.objects.filter(object_id=invoice.public_id)
        .order_by("sequence")
        .values_list("type", flat=True)
    )
    assert types == ["invoice.created", "invoice.finalized", "invoice.paid"]


@pytest.mark.django_db
def test_only_a_draft_changes_and_its_totals_follow_its_lines(buyer):
    invoice = draft(buyer)
    invoice = invoice_update(
        invoice=invoice,
        lines=[LineInput(description="Audit", unit_amount=500, tax_rate_bps=1900)],
        memo="Thank you",
    )
    assert (invoice.total, invoice.memo) == (595, "Thank you")

    invoice_finalize(invoice=invoice)
    with pytest.raises(ValidationFailed) as refused:
        invoice_update(invoice=invoice, memo="Too late")
    assert refused.value.errors[0].code == "not_draft"


@pytest.mark.django_db
def test_payments_in_parts_pay_the_invoice_and_each_reference_counts_once(buyer):
    invoice = invoice_finalize(invoice=draft(buyer))  # 300.00

    invoice_payment_apply(invoice=invoice, amount=10000, reference="bt_1")
    again = invoice_payment_apply(invoice=invoice, amount=10000, reference="bt_1")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("open", 10000, 20000)
    assert again.amount == 10000 and invoice.payments.count() == 1

    last = invoice_payment_apply(invoice=invoice, amount=25000, reference="bt_2")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("paid", 30000, 0)
    assert last.excess == 5000
    with pytest.raises(InvalidTransition):
        invoice_payment_apply(invoice=invoice, amount=1, reference="bt_3")


@pytest.mark.django_db
def test_a_void_invoice_cannot_be_paid_and_an_uncollectible_one_still_can(buyer):
    voided = invoice_void(invoice=invoice_finalize(invoice=draft(buyer)))
    with pytest.raises(InvalidTransition):
        invoice_payment_apply(invoice=voided, amount=100, reference="late")

    doubtful = invoice_mark_uncollectible(invoice=invoice_finalize(invoice=draft(buyer)))
    assert doubtful.status == "uncollectible"
    invoice_payment_apply(invoice=doubtful, amount=30000, reference="at_last")
    doubtful.refresh_from_db()
    assert doubtful.status == "paid"


@pytest.mark.django_db
def test_the_api_lists_the_merchants_invoices_filtered_and_hides_others(api, other_api, merchant):
    customer = Customer.objects.create(merchant=merchant, email="a@example.com")
    someone = Customer.objects.create(merchant=merchant, email="b@example.com")
    mine = invoice_finalize(invoice=draft(customer, due_date=date(2027, 1, 31)))
    draft(someone)

    listed = api.get("/api/v1/invoices", {"customer": customer.public_id}).json()["data"]
    assert [i["id"] for i in listed] == [mine.public_id]
    assert api.get("/api/v1/invoices", {"status": "draft"}).json()["data"][0]["customer"] == (
        someone.public_id
    )
    body = api.get(f"/api/v1/invoices/{mine.public_id}").json()
    assert (body["number"], body["total"], body["due_date"]) == (mine.number, 30000, "2027-01-31")
    assert body["lines"][0]["amount"] == 30000
    assert other_api.get(f"/api/v1/invoices/{mine.public_id}").status_code == 404
    assert other_api.get("/api/v1/invoices").json()["data"] == []
    assert api.get("/api/v1/invoices", {"stauts": "open"}).status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_invoices_finalized_at_once_get_numbers_without_gap_or_duplicate(merchant):
    customer = Customer.objects.create(merchant=merchant, email="c@example.com")
    drafts = [draft(customer) for _ in range(12)]

    results = race(12, lambda i: invoice_finalize(invoice=drafts[i]).number)

    assert all(isinstance(r, str) for r in results), results
    year = timezone.now().year
    assert sorted(results) == [f"INV-{year}-{n:06d}" for n in range(1, 13)]
