"""Row-by-row checks of bulk payout and bulk charge items, before anything is written.

Each refused row is reported as ``{row, field, code, message}`` (row 1 is the first item, or the
first line after a CSV's header); rows with no error are accepted. Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from payments.validation import FieldError, card_expired, validate_amount

MAX_ITEMS = 10_000
REFERENCE_MAX = 35  # a SEPA end-to-end id
NAME_MAX = 70  # a SEPA creditor name


@dataclass(frozen=True)
class Rejection:
    row: int
    field: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def api_field(self) -> str:
        """The field as the API names it: ``items.0.iban``, or ``items.0`` for the whole row."""
        return ".".join(part for part in ("items", str(self.row - 1), self.field) if part)


@dataclass(frozen=True)
class PayoutRow:
    row: int
    name: str
    iban: str
    bic: str
    country: str
    amount: int
    currency: str
    reference: str


@dataclass(frozen=True)
class ChargeRow:
    row: int
    reference: str
    customer: str
    payment_method: str
    amount: int
    currency: str


def _text(item: Mapping, name: str) -> str:
    value = item.get(name)
    return value.strip() if isinstance(value, str) else ""


def _amount(item: Mapping) -> object:
    """The amount in minor units: an int, or the digits of a CSV cell."""
    value = item.get("amount")
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else value
    return value


def _reference_errors(reference: str, seen: set[str], used: set[str], limit: int) -> list:
    if not reference:
        return [FieldError("reference", "required", "Give each item a reference.")]
    if len(reference) > limit:
        return [FieldError("reference", "too_long", f"A reference has at most {limit} characters.")]
    if reference in seen:
        return [
            FieldError("reference", "duplicate_reference", "An earlier row has this reference.")
        ]
    if reference in used:
        return [
            FieldError(
                "reference", "duplicate_reference", "An earlier payout already has this reference."
            )
        ]
    return []


def _iban(item: Mapping) -> tuple[IBAN | None, list[FieldError]]:
    raw = _text(item, "iban")
    if not raw:
        return None, [FieldError("iban", "required", "Enter the recipient's IBAN.")]
    try:
        return IBAN(raw), []
    except SchwiftyException as err:
        return None, [FieldError("iban", "invalid_iban", f"This IBAN is not valid: {err}.")]


#: The BIC of each (country, bank code) looked up so far: schwifty's registry never changes while
#: we run, and a batch names few banks many times (the lookup is most of a row's checking).
_BANK_BICS: dict[tuple[str, str], str] = {}


def _bank_bic(iban: IBAN) -> str:
    key = (iban.country_code, iban.bank_code)
    if key not in _BANK_BICS:
        found = iban.bic
        _BANK_BICS[key] = str(found) if found else ""
    return _BANK_BICS[key]


def _bic(item: Mapping, iban: IBAN | None) -> tuple[str, list[FieldError]]:
    raw = _text(item, "bic")
    if not raw:
        return (_bank_bic(iban) if iban is not None else ""), []
    try:
        return str(BIC(raw)), []
    except SchwiftyException as err:
        return "", [FieldError("bic", "invalid_bic", f"This BIC is not valid: {err}.")]


def _payout_row_errors(item: Mapping, iban: IBAN | None, currency: str) -> list[FieldError]:
    errors = []
    name = _text(item, "name")
    if not name:
        errors.append(FieldError("name", "required", "Enter the recipient's name."))
    elif len(name) > NAME_MAX:
        errors.append(FieldError("name", "too_long", f"A name has at most {NAME_MAX} characters."))
    errors += validate_amount(amount=_amount(item), currency=currency)
    if currency == "EUR" and iban is not None and not iban.in_sepa_zone:
        errors.append(
            FieldError("iban", "not_sepa", "EUR payouts go by SEPA: this IBAN is outside it.")
        )
    return errors


def payout_rows_check(
    *, items: Sequence, available: Mapping[str, int], used_references: set[str]
) -> tuple[list[PayoutRow], list[Rejection]]:
    """Split payout items into accepted rows and rejections.

    ``available`` is the merchant's balance per currency it holds; a row whose amount, added to
    the accepted rows before it, goes past it is refused ``insufficient_balance``.
    ``used_references`` are the references of the merchant's earlier payouts.
    """
    accepted: list[PayoutRow] = []
    rejected: list[Rejection] = []
    seen: set[str] = set()
    spent: dict[str, int] = defaultdict(int)
    for row, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            rejected.append(Rejection(row, "", "invalid_item", "Each item is an object."))
            continue
        currency = _text(item, "currency").upper()
        reference = _text(item, "reference")
        iban, errors = _iban(item)
        bic, bic_errors = _bic(item, iban)
        errors += bic_errors + _payout_row_errors(item, iban, currency)
        errors += _reference_errors(reference, seen, used_references, REFERENCE_MAX)
        if reference:
            seen.add(reference)
        if not errors:
            errors = _balance_errors(currency, _amount(item), available, spent)
        if errors:
            rejected += [Rejection(row, e.field, e.code, e.message) for e in errors]
            continue
        amount = _amount(item)
        spent[currency] += amount
        accepted.append(
            PayoutRow(
                row=row,
                name=_text(item, "name"),
                iban=iban.compact,
                bic=bic,
                country=iban.country_code,
                amount=amount,
                currency=currency,
                reference=reference,
            )
        )
    return accepted, rejected


def _balance_errors(
    currency: str, amount: int, available: Mapping[str, int], spent: dict[str, int]
) -> list[FieldError]:
    if currency not in available:
        return [
            FieldError(
                "currency", "currency_not_held", f"You hold no {currency} balance to pay out from."
            )
        ]
    if spent[currency] + amount > available[currency]:
        left = available[currency] - spent[currency]
        return [
            FieldError(
                "amount",
                "insufficient_balance",
                f"Above the available balance: {max(left, 0)} {currency} minor units remain "
                "after the rows before it.",
            )
        ]
    return []


def charge_rows_check(
    *, items: Sequence, methods: Mapping[str, object]
) -> tuple[list[ChargeRow], list[Rejection]]:
    """Split charge items into accepted rows and rejections.

    ``methods`` maps the ``pm_`` ids the items name to the merchant's attached saved methods
    (``billing.PaymentMethod`` with its customer); an id not in it does not exist for them.
    """
    accepted: list[ChargeRow] = []
    rejected: list[Rejection] = []
    seen: set[str] = set()
    for row, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            rejected.append(Rejection(row, "", "invalid_item", "Each item is an object."))
            continue
        reference = _text(item, "reference")
        currency = _text(item, "currency").upper()
        errors = _reference_errors(reference, seen, set(), 100)
        if reference:
            seen.add(reference)
        errors += _method_errors(item, methods)
        errors += validate_amount(amount=_amount(item), currency=currency, method="card")
        if errors:
            rejected += [Rejection(row, e.field, e.code, e.message) for e in errors]
            continue
        accepted.append(
            ChargeRow(
                row=row,
                reference=reference,
                customer=_text(item, "customer"),
                payment_method=_text(item, "payment_method"),
                amount=_amount(item),
                currency=currency,
            )
        )
    return accepted, rejected


def _method_errors(item: Mapping, methods: Mapping[str, object]) -> list[FieldError]:
    customer_id, method_id = _text(item, "customer"), _text(item, "payment_method")
    if not customer_id:
        return [FieldError("customer", "required", "Name the customer (cus_...).")]
    if not method_id:
        return [FieldError("payment_method", "required", "Name a saved payment method (pm_...).")]
    method = methods.get(method_id)
    if method is None or method.customer.public_id != customer_id:
        return [
            FieldError(
                "payment_method",
                "resource_missing",
                "No such saved payment method for this customer.",
            )
        ]
    if method.consent_usage != "off_session":
        return [
            FieldError(
                "payment_method",
                "off_session_consent_missing",
                "The customer did not agree to be charged without being present.",
            )
        ]
    if card_expired(exp_month=method.card_exp_month, exp_year=method.card_exp_year):
        return [FieldError("payment_method", "expired_card", "This saved card has expired.")]
    return []
