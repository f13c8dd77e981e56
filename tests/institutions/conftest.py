"""Builders of connector requests and the seeded sandbox accounts."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from institutions.connector import AuthorizationRequest, MethodDetails
from institutions.sandbox import faults
from institutions.services import sandbox_accounts_seed

_references = itertools.count(1)


def next_reference() -> str:
    return f"att_test_{next(_references)}"


@pytest.fixture(autouse=True)
def _disarm_faults():
    yield
    faults.clear()


@pytest.fixture
def sandbox_accounts(db) -> None:
    """The seed migration's accounts, restored if an earlier transactional test flushed them."""
    sandbox_accounts_seed()


@pytest.fixture
def card_request() -> Callable[..., AuthorizationRequest]:
    def build(
        number: str,
        *,
        amount: int = 1000,
        currency: str = "USD",
        currency_exponent: int = 2,
        reference: str | None = None,
        authenticated: bool = False,
        exp_month: int = 12,
        exp_year: int = 2099,
    ) -> AuthorizationRequest:
        return AuthorizationRequest(
            reference=reference or next_reference(),
            amount=amount,
            currency=currency,
            currency_exponent=currency_exponent,
            method=MethodDetails(
                type="card",
                card_number=number,
                exp_month=exp_month,
                exp_year=exp_year,
                cvc="123",
                holder_name="Test Holder",
            ),
            authenticated=authenticated,
        )

    return build


@pytest.fixture
def wallet_request() -> Callable[..., AuthorizationRequest]:
    def build(
        phone: str,
        *,
        amount: int = 1000,
        currency: str = "USD",
        reference: str | None = None,
        authenticated: bool = False,
    ) -> AuthorizationRequest:
        return AuthorizationRequest(
            reference=reference or next_reference(),
            amount=amount,
            currency=currency,
            currency_exponent=2,
            method=MethodDetails(type="wallet", wallet_phone=phone),
            authenticated=authenticated,
        )

    return build


@pytest.fixture
def transfer_request() -> Callable[..., AuthorizationRequest]:
    def build(*, amount: int = 5000, currency: str = "EUR") -> AuthorizationRequest:
        return AuthorizationRequest(
            reference=next_reference(),
            amount=amount,
            currency=currency,
            currency_exponent=2,
            method=MethodDetails(type="bank_transfer"),
        )

    return build
