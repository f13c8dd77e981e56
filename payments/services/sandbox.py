"""The merchant's test-mode sandbox: its accounts at the sandbox institutions, and their reset."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from institutions.connector import sandbox_reset as institutions_sandbox_reset

from ..errors import InvalidTransition
from ..models import Merchant, Payment
from .captures import payment_cancel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxReset:
    payments_canceled: int  # authorized test payments whose holds the reset released
    accounts: int
    holds_released: int


def sandbox_reset(*, merchant: Merchant) -> SandboxReset:
    """Restore the merchant's sandbox accounts to their published balances; return what changed.

    The merchant's authorized test payments are canceled first (each voids its own hold, with
    its event), so no payment stays authorized on a hold the reset released; then the sandbox
    releases any hold left and credits back what was spent. Live payments are never touched.
    """
    authorized = Payment.objects.filter(
        merchant=merchant, livemode=False, status=Payment.Status.AUTHORIZED
    ).values_list("public_id", flat=True)
    canceled = 0
    for payment_id in list(authorized):
        try:
            payment_cancel(merchant=merchant, payment_id=payment_id, livemode=False)
        except InvalidTransition:
            continue  # captured or canceled meanwhile: nothing of it is held any more
        canceled += 1
    done = institutions_sandbox_reset(owner=merchant.public_id)
    logger.info(
        "sandbox of %s reset: %s payments canceled, %s holds released",
        merchant.public_id,
        canceled,
        done.holds_released,
    )
    return SandboxReset(
        payments_canceled=canceled, accounts=done.accounts, holds_released=done.holds_released
    )
