"""The journal lines of a converted capture and of its refunds.

A conversion goes through the platform's FX clearing accounts of its pair (owner
``fx:EURUSD``, one account per currency): the institution owes the presentment amount, which
the clearing account takes; the clearing account gives the merchant the converted amount.
Each entry balances in both currencies. A refund takes the capture's rate from the merchant and
pays the shopper back at the market's; the difference is the platform's, on the named
``fx_gain_loss`` account (a credit is a gain, a debit a loss).
"""

from __future__ import annotations

from ledger.services import Line

from .models import Conversion, RefundConversion

FX_GAIN_LOSS_OWNER = "platform"
DCC_MARKUP_OWNER = "platform"


def clearing_owner(presentment: str, settlement: str) -> str:
    """Return the owner of the FX clearing accounts of a currency pair (``fx:EURUSD``)."""
    return f"fx:{presentment}{settlement}"


def capture_lines(*, conversion: Conversion, institution: str, merchant: str) -> list[Line]:
    """Lines of a converted capture: institution receivable (presentment) against clearing, and
    clearing against the merchant's pending money (settlement currency). A DCC payment's markup,
    which the shopper paid in the presentment currency, is the platform's on its own line."""
    p_cur, p_amount = conversion.presentment_currency, conversion.presentment_amount
    s_cur, s_amount = conversion.settlement_currency, conversion.settlement_amount
    clearing = clearing_owner(p_cur, s_cur)
    dcc_markup = conversion.dcc_markup_amount
    lines = [
        Line(owner=institution, kind="institution_receivable", currency=p_cur, amount=p_amount),
        Line(owner=clearing, kind="fx_clearing", currency=p_cur, amount=dcc_markup - p_amount),
    ]
    if dcc_markup:
        lines.append(
            Line(owner=DCC_MARKUP_OWNER, kind="fx_dcc_markup", currency=p_cur, amount=-dcc_markup)
        )
    if s_amount:
        lines += [
            Line(owner=clearing, kind="fx_clearing", currency=s_cur, amount=s_amount),
            Line(owner=merchant, kind="merchant_pending", currency=s_cur, amount=-s_amount),
        ]
    return lines


def refund_lines(
    *, refund: RefundConversion, currency: str, institution: str, merchant: str
) -> list[Line]:
    """Lines of a refund of a converted capture: the merchant gives back the capture-rate amount,
    clearing buys the presentment amount at the market rate, the gap is gain or loss."""
    clearing = clearing_owner(currency, refund.settlement_currency)
    s_cur = refund.settlement_currency
    candidates = [
        Line(
            owner=merchant, kind="merchant_pending", currency=s_cur, amount=refund.settlement_amount
        ),
        Line(owner=clearing, kind="fx_clearing", currency=s_cur, amount=-refund.market_amount),
        Line(
            owner=FX_GAIN_LOSS_OWNER,
            kind="fx_gain_loss",
            currency=s_cur,
            amount=refund.market_amount - refund.settlement_amount,
        ),
        Line(
            owner=clearing, kind="fx_clearing", currency=currency, amount=refund.presentment_amount
        ),
        Line(
            owner=institution,
            kind="institution_receivable",
            currency=currency,
            amount=-refund.presentment_amount,
        ),
    ]
    return [line for line in candidates if line.amount]
