"""Reading the CSV files staff upload: payout batches, charge batches and bank results.

A file is UTF-8 (a spreadsheet's byte-order mark is fine) with a header row naming its columns
in any order and case; each later row becomes a dict of those columns. Row 1 is the first row
after the header, as the batch reports count them.
"""

from __future__ import annotations

import csv
import io

from payments.errors import ValidationFailed
from payments.validation import FieldError

from .validation import MAX_ITEMS

PAYOUT_COLUMNS = ("name", "iban", "amount", "currency", "reference")
PAYOUT_OPTIONAL = ("bic",)
CHARGE_COLUMNS = ("reference", "customer", "payment_method", "amount", "currency")
RESULT_COLUMNS = ("reference", "status")
RESULT_OPTIONAL = ("reason_code", "reason")
MAX_BYTES = 5 * 1024 * 1024


def csv_rows(upload, *, columns: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[dict]:
    """Return the rows of an uploaded CSV file as dicts of ``columns`` (and ``optional``).

    Raise ``ValidationFailed`` (field ``file``) for a file that is too large, not UTF-8 text,
    lacks a column or has more than ``MAX_ITEMS`` rows.
    """
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise _invalid("too_large", f"A file has at most {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid("invalid_encoding", "The file is not UTF-8 text.") from None
    if "\x00" in text:
        raise _invalid("invalid_encoding", "The file is not a text file.")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in columns if name not in header]
    if missing:
        raise _invalid("missing_columns", f"The header lacks the columns: {', '.join(missing)}.")
    wanted = {name: header.index(name) for name in (*columns, *optional) if name in header}
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, as spreadsheets leave at the end
        rows.append({name: cells[i] if i < len(cells) else "" for name, i in wanted.items()})
        if len(rows) > MAX_ITEMS:
            raise _invalid("too_many_items", f"A batch has at most {MAX_ITEMS:,} rows.")
    if not rows:
        raise _invalid("empty", "The file has no rows under its header.")
    return rows


def _invalid(code: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError("file", code, message)])
