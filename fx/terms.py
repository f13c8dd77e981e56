"""A merchant's FX terms, as ``payments`` (which keeps them on the merchant) hands them over."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FxTerms:
    """``settlement_currency`` "" settles every currency as paid (no conversion)."""

    merchant_id: int
    country: str
    settlement_currency: str = ""
    accepted_currencies: tuple[str, ...] = ()
    markup_bps: int = 0
    cross_border_fee_bps: int = 0
    refuse_expired_quotes: bool = True
    dcc_enabled: bool = False
    dcc_markup_bps: int = 0

    def converts(self, currency: str) -> bool:
        """Return whether a capture in ``currency`` is converted."""
        return bool(self.settlement_currency) and currency != self.settlement_currency
