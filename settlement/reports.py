"""The settlement report of a batch: one CSV line per payment, refund and adjustment (a dispute),
then the totals.

Rows are produced lazily from a database iterator, so a report of a million lines is streamed
in constant memory. Amounts are in major units with the currency's exact decimals; the totals
rows add up to the payout. A line converted at capture shows both currencies: the batch's
amount, fees and net, then the presentment amount and currency, the rate and its fixing date.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse

from fx.arithmetic import rate_text
from payments.money import to_major

from .models import SettlementBatch, SettlementLine

HEADER = [
    "type",
    "id",
    "payment",
    "order_reference",
    "occurred_at",
    "currency",
    "amount",
    "fee",
    "net",
    # The FX and cross-border fees (in ``net``, beside ``fee``), and what the shopper paid.
    "fx_markup",
    "cross_border_fee",
    "presentment_currency",
    "presentment_amount",
    "fx_rate",
    "fx_fixing_date",
]
CHUNK = 2000


def report_rows(batch: SettlementBatch) -> Iterator[list[str]]:
    """Yield the report's rows: the header, one per line, then the totals."""
    cur = batch.currency

    def money(amount: int) -> str:
        return str(to_major(amount, cur))

    yield HEADER
    lines = (
        SettlementLine.objects.filter(batch=batch)
        .order_by("id")
        .values_list(
            "kind",
            "payment__public_id",
            "payment__order__reference",
            "refund__public_id",
            "refund__payment__public_id",
            "refund__payment__order__reference",
            "occurred_at",
            "amount",
            "fee",
            "net",
            "fx_markup",
            "cross_border_fee",
            "presentment_currency",
            "presentment_amount",
            "fx_rate",
            "fx_fixing_date",
        )
    )
    for row in lines.iterator(chunk_size=CHUNK):
        kind, pay_id, pay_ref, ref_id, ref_pay, ref_ref, at, amount, fee, net = row[:10]
        markup, cross_border, p_currency, p_amount, rate, fixing_date = row[10:]
        if kind == SettlementLine.Kind.PAYMENT:
            object_id, payment, reference, shown = pay_id, pay_id, pay_ref, amount
        else:
            object_id, payment, reference, shown = ref_id, ref_pay, ref_ref, -amount
        yield [
            kind,
            object_id,
            payment,
            _text(reference),
            at.isoformat().replace("+00:00", "Z"),
            cur,
            money(shown),
            money(-fee),
            money(net),
            money(-markup),
            money(-cross_border),
            p_currency,
            _presentment(p_amount, p_currency, negative=kind != SettlementLine.Kind.PAYMENT),
            rate_text(rate) if rate is not None else "",
            fixing_date.isoformat() if fixing_date else "",
        ]
    for reference, description, at, amount in batch.adjustments.order_by("id").values_list(
        "reference", "description", "occurred_at", "amount"
    ):
        at_text = at.isoformat().replace("+00:00", "Z")
        shown = money(-amount)
        row = ["adjustment", _text(reference), "", _text(description), at_text, cur, shown]
        yield [*row, money(0), shown, "", "", "", "", "", ""]
    totals = [
        ("gross", batch.gross_amount),
        ("refunds", -batch.refunds_amount),
        ("fees", -batch.fees_amount),
        ("adjustments", -batch.adjustments_amount),
        ("net", batch.net_amount),
        ("carry_in", batch.carry_in),
        ("carry_out", -batch.carry_out),
        ("payout", batch.payout_amount),
    ]
    for label, amount in totals:
        yield ["total", label, "", "", "", cur, "", "", money(amount), "", "", "", "", "", ""]


def _presentment(amount: int | None, currency: str, *, negative: bool) -> str:
    if amount is None or not currency:
        return ""
    return str(to_major(-amount if negative else amount, currency))


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    """Merchant-supplied text, defused so a spreadsheet never runs it as a formula."""
    value = value or ""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def report_filename(batch: SettlementBatch) -> str:
    return f"settlement-{batch.public_id}-{batch.cutoff:%Y%m%d}.csv"


def report_response(batch: SettlementBatch) -> StreamingHttpResponse:
    """Return the batch's report as a streamed CSV download."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in report_rows(batch)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{report_filename(batch)}"'
    return response
