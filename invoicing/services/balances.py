"""Customer credit balances: overpayments and credit notes owed back, used on later invoices."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from billing.models import Customer, Invoice

from ..models import CustomerBalance, CustomerBalanceTransaction
from .ledger_entries import ledger_customer_credit


def _balance_lock(*, customer: Customer, currency: str) -> CustomerBalance:
    balance = (
        CustomerBalance.objects.select_for_update()
        .filter(customer=customer, currency=currency)
        .first()
    )
    if balance is not None:
        return balance
    try:
        with transaction.atomic():
            CustomerBalance.objects.create(customer=customer, currency=currency)
    except IntegrityError:
        pass  # created by a concurrent transaction: lock theirs
    return CustomerBalance.objects.select_for_update().get(customer=customer, currency=currency)


def customer_balance_change(
    *,
    customer: Customer,
    currency: str,
    amount: int,
    kind: str,
    reference: str,
    invoice: Invoice | None = None,
) -> CustomerBalanceTransaction:
    """Credit (``amount`` > 0) or use (< 0) the customer's balance once per ``reference``, with
    its journal entry; the same reference again returns the first transaction."""
    with transaction.atomic():
        balance = _balance_lock(customer=customer, currency=currency)
        done = CustomerBalanceTransaction.objects.filter(reference=reference).first()
        if done is not None:
            return done
        balance.amount += amount
        if balance.amount < 0:
            raise ValueError("a customer balance cannot be used beyond what it holds")
        balance.save(update_fields=["amount", "updated"])
        txn = CustomerBalanceTransaction.objects.create(
            customer=customer,
            currency=currency,
            amount=amount,
            kind=kind,
            invoice=invoice,
            reference=reference,
        )
        ledger_customer_credit(
            customer_id=customer.public_id,
            merchant_id=customer.merchant.public_id,
            currency=currency,
            amount=amount,
            kind="credit_note"
            if kind == CustomerBalanceTransaction.Kind.CREDIT_NOTE
            else "invoice",
            reference=reference,
            description=f"Customer balance: {kind}",
        )
    return txn


def customer_balance_amount(*, customer: Customer, currency: str) -> int:
    """Return the customer's credit balance in the currency (0 if none)."""
    balance = CustomerBalance.objects.filter(customer=customer, currency=currency).first()
    return balance.amount if balance else 0
