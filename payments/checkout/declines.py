"""What the checkout tells a shopper about a decline, in the page's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

# What the shopper is told about a decline. Lost and stolen cards get the generic answer on
# purpose: the shopper holding one must not learn it was flagged.
_CONTACT_BANK = gettext_lazy(
    "Your card was declined. Please contact your bank or use another payment method."
)
_NOT_ACCEPTED = gettext_lazy(
    "This payment could not be accepted. Nothing was charged; please use another payment method "
    "or contact the merchant."
)
_ACCOUNT_REFUSED = gettext_lazy(
    "This account cannot be charged. Please use another payment method."
)
DECLINE_MESSAGES = {
    "insufficient_funds": gettext_lazy(
        "There are not enough funds on this account to pay this amount."
    ),
    "incorrect_cvc": gettext_lazy(
        "The security code (CVC) is not correct. Check it and try again."
    ),
    "expired_card": gettext_lazy("This card has expired. Please use another card."),
    "card_declined": _CONTACT_BANK,
    "lost_card": _CONTACT_BANK,
    "stolen_card": _CONTACT_BANK,
    "do_not_honor": _CONTACT_BANK,
    "authentication_failed": gettext_lazy(
        "The verification code was not confirmed, so nothing was charged."
    ),
    "authentication_locked": gettext_lazy(
        "Too many wrong verification codes were entered, so this payment was stopped. Nothing "
        "was charged; please try again later."
    ),
    "processing_error": gettext_lazy(
        "We could not reach your bank. Nothing was charged; please try again."
    ),
    "card_not_supported": gettext_lazy(
        "This card cannot be used for this purchase. Please use another card."
    ),
    "invalid_account": gettext_lazy(
        "This account cannot be charged. Please check it or use another method."
    ),
    "account_blocked": _ACCOUNT_REFUSED,
    "account_closed": gettext_lazy(
        "This account is closed. Please use another card or payment method."
    ),
    "amount_too_large": gettext_lazy(
        "This amount is above the account's limit. Please use another method."
    ),
    # Refused by the merchant's fraud screening before any bank was asked (``payments.screening``).
    "blocked_by_rule": _NOT_ACCEPTED,
    "blocked_by_list": _NOT_ACCEPTED,
    "highest_risk_level": _NOT_ACCEPTED,
    "card_testing": gettext_lazy(
        "Too many declined payments came from your connection in a short time, so payments from "
        "it are paused for a while. Nothing was charged; please try again later."
    ),
}
DECLINE_DEFAULT = gettext_lazy(
    "The payment was declined. Nothing was charged; please use another method."
)
# Declines that the same method may well pass on a second try: a mistyped security code, a bank
# that did not answer. Their page offers "Try again" first and is not titled "declined".
RETRYABLE_DECLINES = frozenset({"incorrect_cvc", "processing_error"})
DECLINE_TITLES = {
    "incorrect_cvc": gettext_lazy("Check your security code"),
    "processing_error": gettext_lazy("Your bank did not answer"),
}


def decline_message(code: str) -> str:
    return str(DECLINE_MESSAGES.get(code, DECLINE_DEFAULT))


def decline_title(code: str) -> str:
    return str(DECLINE_TITLES.get(code, gettext_lazy("Payment declined")))
