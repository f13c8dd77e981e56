"""What a payer submitted (``MethodInput``) and the same once validated and routed
(``CheckedMethod``): nothing is written or sent before ``method_check`` passes."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ValidationFailed
from ..models import Payment
from ..routing import Route, route_payment
from ..validation import CardData, FieldError, validate_amount, validate_card, validate_wallet


@dataclass(frozen=True)
class MethodInput:
    """What a shopper or merchant server submitted; the CVC lives only in this object."""

    type: str
    number: str = ""
    exp_month: int | str | None = None
    exp_year: int | str | None = None
    cvc: str = field(default="", repr=False)
    holder_name: str = ""
    phone: str = ""

    def __repr__(self) -> str:
        return f"MethodInput(type={self.type!r})"


@dataclass(frozen=True)
class CheckedMethod:
    """A payment method that passed validation, with the institution it routes to."""

    input: MethodInput
    card: CardData | None
    phone: str | None
    route: Route


def method_check(
    *, method: MethodInput, amount, currency, livemode: bool, amount_checked: bool = False
) -> CheckedMethod:
    """Validate ``method`` for paying ``amount`` and route it; raise ``ValidationFailed``.

    ``amount_checked``: the amount was refused already (only the method's own limits are added).
    """
    errors: list[FieldError] = []
    card = phone = None
    if method.type not in Payment.Method.values:
        errors.append(
            FieldError(
                "payment_method.type",
                "invalid_choice",
                "Payment method is card, wallet or bank_transfer.",
            )
        )
    elif not amount_checked:
        errors += validate_amount(amount=amount, currency=currency, method=method.type)
    if method.type == Payment.Method.CARD:
        card, card_errors = validate_card(
            number=method.number,
            exp_month=method.exp_month,
            exp_year=method.exp_year,
            cvc=method.cvc,
            holder_name=method.holder_name,
        )
        errors += card_errors
    elif method.type == Payment.Method.WALLET:
        phone, wallet_errors = validate_wallet(phone=method.phone)
        errors += wallet_errors
    if errors:
        raise ValidationFailed(errors)
    # Before anything is written: a live payment with no live institution leaves no trace.
    route = route_payment(
        method_type=method.type,
        card_brand=card.brand if card else None,
        livemode=livemode,
    )
    return CheckedMethod(input=method, card=card, phone=phone, route=route)
