"""The issuer's answer to "may this card be kept for later charges without verifying its holder?"

Asked when a card is saved for a customer (no payment): a card whose account verifies its holder
by OTP (``first_payment`` or ``every_payment``) wants a code sent to the holder's phone first. Like
a 3-D Secure enrolment check it holds nothing and does not look at the account's standing, so a
card reported lost is saved, and declined when charged.
"""

from __future__ import annotations

from .. import selectors
from ..cards import mask_phone
from ..connector import Challenge
from ..models import SandboxAccount
from .accounts import sandbox_owner_open


def card_authentication_required(
    *, institution: str, card_number: str, owner_key: str
) -> Challenge | None:
    """Return where the holder's code goes if the issuer wants it verified, else None."""
    accounts = selectors.accounts_for_card(
        owner_key=owner_key, institution=institution, card_number=card_number
    )
    account = accounts.first()
    if account is None and sandbox_owner_open(key=owner_key).just_opened:
        account = accounts.first()
    if account is None or account.verification == SandboxAccount.Verification.NEVER:
        return None
    return Challenge(
        channel="sms", destination=account.phone, masked_destination=mask_phone(account.phone)
    )
