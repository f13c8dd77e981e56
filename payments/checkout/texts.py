"""Words of the hosted checkout that are not in its templates: the script's messages (handed to
``checkout.js`` as JSON, in the page's language) and the sandbox box's test accounts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext as _

from institutions.connector import sandbox_test_accounts

# The script's messages each kind of page may show.
PAGE_TEXTS = {
    "pay": (
        "number_required",
        "number_invalid",
        "number_incomplete",
        "exp_required",
        "exp_invalid",
        "exp_past",
        "cvc_required",
        "cvc_amex",
        "cvc_three",
        "cvc_invalid",
        "name_required",
        "name_invalid",
        "phone_required",
        "phone_invalid",
        "processing",
    ),
    "checkout/otp.html": ("code_invalid", "processing"),
    "checkout/transfer.html": ("copied", "copy_failed", "processing"),
    "checkout/result.html": ("stay",),
}


def script_texts(page: str) -> dict[str, str]:
    """Return the messages ``checkout.js`` may show on ``page``, in the active language."""
    every = _every_text()
    return {key: every[key] for key in PAGE_TEXTS.get(page, ())}


def _every_text() -> dict[str, str]:
    return {
        "number_required": _("Enter your card number."),
        "number_invalid": _("Your card number is invalid."),
        "number_incomplete": _("Your card number is incomplete."),
        "exp_required": _("Enter the expiry date."),
        "exp_invalid": _("Your card's expiry date is invalid."),
        "exp_past": _("Your card has expired."),
        "cvc_required": _("Enter your card's security code."),
        "cvc_amex": _("Amex security codes have 4 digits, on the front of the card."),
        "cvc_three": _("This card's security code has 3 digits, on the back of the card."),
        "cvc_invalid": _("Your card's security code is invalid."),
        "name_required": _("Enter the name on the card."),
        "name_invalid": _("The name on the card is invalid."),
        "phone_required": _("Enter your phone number."),
        "phone_invalid": _("Enter your phone number with its country code, e.g. +44 20 7946 0958."),
        "code_invalid": _("Enter the 6-digit code."),
        "processing": _("Processing…"),
        "stay": _("You will stay on this page."),
        "copied": _("Copied"),
        "copy_failed": _("Could not copy: select the text and copy it."),
    }


@dataclass(frozen=True)
class SandboxAccount:
    shown: str  # as a shopper types it: "4242 4242 4242 4242", "+1 555 555 0100"
    label: str


def _spaced_pan(pan: str) -> str:
    if len(pan) == 15:  # Amex: 4-6-5
        return f"{pan[:4]} {pan[4:10]} {pan[10:]}"
    if len(pan) == 14:  # Diners: 4-6-4
        return f"{pan[:4]} {pan[4:10]} {pan[10:]}"
    return " ".join(pan[i : i + 4] for i in range(0, len(pan), 4))


def _spaced_phone(phone: str) -> str:
    if phone.startswith("+1") and len(phone) == 12:
        return f"+1 {phone[2:5]} {phone[5:8]} {phone[8:]}"
    return phone


@lru_cache(maxsize=1)
def sandbox_accounts() -> tuple[tuple[SandboxAccount, ...], tuple[SandboxAccount, ...]]:
    """Return every published sandbox card and e-wallet (the testing guide's table), in order."""
    accounts = sandbox_test_accounts()
    cards = tuple(
        SandboxAccount(_spaced_pan(a.number), a.label) for a in accounts if a.kind == "card"
    )
    wallets = tuple(
        SandboxAccount(_spaced_phone(a.number), a.label) for a in accounts if a.kind == "wallet"
    )
    return cards, wallets
