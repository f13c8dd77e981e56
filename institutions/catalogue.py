"""The published sandbox test accounts: cards by PAN and wallets by phone number.

Plain data, no models: the seed migration and ``services.sandbox_accounts_seed`` read it. The
PANs here are public test numbers; the database keeps only their fingerprint and last four.
"""

from __future__ import annotations

from dataclasses import dataclass

LARGE_FUNDS = 1_000_000_000  # major units per currency: "large limit" accounts never run dry
WALLET_FUNDS = 1_000_000
DEBIT_FUNDS = 100
CARD_HOLDER_PHONE = "+15555550123"


@dataclass(frozen=True)
class SeedAccount:
    institution: str
    kind: str  # "card" | "wallet"
    label: str
    pan: str = ""
    phone: str = CARD_HOLDER_PHONE
    brand: str = ""
    card_type: str = "credit"
    funds_major: int = LARGE_FUNDS
    status: str = "active"
    verification: str = "never"
    behaviour: str = "none"


VISA, MC, AMEX, OTHER = (
    "sandbox_issuer_visa",
    "sandbox_issuer_mc",
    "sandbox_issuer_amex",
    "sandbox_issuer_other",
)
WALLET = "sandbox_wallet"

SEED_ACCOUNTS: tuple[SeedAccount, ...] = (
    SeedAccount(VISA, "card", "Visa credit, approved", pan="4242424242424242", brand="visa"),
    SeedAccount(
        MC, "card", "Mastercard credit, approved", pan="5555555555554444", brand="mastercard"
    ),
    SeedAccount(
        MC, "card", "Mastercard 2-series, approved", pan="2223003122003222", brand="mastercard"
    ),
    SeedAccount(AMEX, "card", "Amex, approved", pan="378282246310005", brand="amex"),
    SeedAccount(OTHER, "card", "Discover, approved", pan="6011111111111117", brand="discover"),
    SeedAccount(OTHER, "card", "JCB, approved", pan="3566002020360505", brand="jcb"),
    SeedAccount(OTHER, "card", "UnionPay, approved", pan="6200000000000005", brand="unionpay"),
    SeedAccount(OTHER, "card", "Diners, approved", pan="3056930009020004", brand="diners"),
    # Issued abroad (the issuing country is in the BIN: fx.issuers): cross-border fees apply.
    SeedAccount(VISA, "card", "Visa, issued in the UK", pan="4008260000000004", brand="visa"),
    SeedAccount(VISA, "card", "Visa, issued in Japan", pan="4003920000000008", brand="visa"),
    SeedAccount(
        VISA,
        "card",
        "OTP on first payment",
        pan="4000000000003220",
        brand="visa",
        verification="first_payment",
    ),
    SeedAccount(
        VISA,
        "card",
        "OTP on every payment",
        pan="4000002760003184",
        brand="visa",
        verification="every_payment",
    ),
    SeedAccount(
        VISA,
        "card",
        "Debit, 100.00 per currency",
        pan="4000056655665556",
        brand="visa",
        card_type="debit",
        funds_major=DEBIT_FUNDS,
    ),
    SeedAccount(
        VISA,
        "card",
        "Debit, balance 0",
        pan="4000000000009995",
        brand="visa",
        card_type="debit",
        funds_major=0,
    ),
    SeedAccount(VISA, "card", "Blocked", pan="4000000000000002", brand="visa", status="blocked"),
    SeedAccount(
        VISA, "card", "CVC mismatch", pan="4000000000000127", brand="visa", behaviour="cvc_mismatch"
    ),
    SeedAccount(VISA, "card", "Expired", pan="4000000000000069", brand="visa", status="expired"),
    SeedAccount(
        VISA,
        "card",
        "Processing error",
        pan="4000000000000119",
        brand="visa",
        behaviour="processing_error",
    ),
    SeedAccount(VISA, "card", "Lost", pan="4000000000009987", brand="visa", status="lost"),
    # Like Stripe's 4000 0000 0000 0341: saving it for a customer works (nothing asks the issuer
    # then), every charge of it declines.
    SeedAccount(
        VISA,
        "card",
        "Saves fine; every charge declines lost_card",
        pan="4000000000000341",
        brand="visa",
        status="lost",
    ),
    SeedAccount(VISA, "card", "Stolen", pan="4000000000009979", brand="visa", status="stolen"),
    # Approved and captured; the issuer then disputes the charge (the risk app's sandbox issuer
    # opens the dispute): reason ``fraudulent`` for 0259, ``product_not_received`` for 2685.
    SeedAccount(
        VISA, "card", "Captured, then disputed: fraudulent", pan="4000000000000259", brand="visa"
    ),
    SeedAccount(
        VISA,
        "card",
        "Captured, then disputed: product not received",
        pan="4000000000002685",
        brand="visa",
    ),
    # Approved and captured; the issuer then opens an inquiry (``warning_needs_response``):
    # nothing is taken from the merchant unless it turns into a dispute.
    SeedAccount(
        VISA, "card", "Captured, then an inquiry (warning)", pan="4000000000001976", brand="visa"
    ),
    SeedAccount(
        VISA, "card", "Account closed", pan="4000000000000010", brand="visa", status="closed"
    ),
    SeedAccount(
        WALLET,
        "wallet",
        "Wallet, funded",
        phone="+15555550100",
        card_type="",
        funds_major=WALLET_FUNDS,
        verification="every_payment",
    ),
    SeedAccount(
        WALLET,
        "wallet",
        "Wallet, balance 0",
        phone="+15555550101",
        card_type="",
        funds_major=0,
        verification="every_payment",
    ),
    SeedAccount(
        WALLET,
        "wallet",
        "Wallet, blocked",
        phone="+15555550102",
        card_type="",
        funds_major=WALLET_FUNDS,
        status="blocked",
        verification="every_payment",
    ),
    SeedAccount(
        WALLET,
        "wallet",
        "Wallet, closed",
        phone="+15555550103",
        card_type="",
        funds_major=WALLET_FUNDS,
        status="closed",
        verification="every_payment",
    ),
)
