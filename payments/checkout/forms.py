"""Forms of the checkout: they parse what the shopper typed; the services validate and act.

Card rules (Luhn, brand lengths, expiry, CVC) live in ``payments.validation`` and reach the page
as ``ValidationFailed`` field errors, so the server applies exactly one set of rules.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from payments.services import MethodInput
from payments.validation import METHOD_CURRENCIES

METHOD_LABELS = {"card": _("Card"), "wallet": _("E-wallet"), "bank_transfer": _("Bank transfer")}

# Where each field error of the payment service is shown on the page.
SERVICE_FIELDS = {
    "card.number": "number",
    "card.exp_month": "exp",
    "card.exp_year": "exp",
    "card.cvc": "cvc",
    "card.holder_name": "holder_name",
    "wallet.phone": "phone",
    "payment_method.type": "method",
}

# The page asks for the expiry in one field: its errors speak of the date, as checkout.js does,
# where the API (two fields) speaks of the month or the year.
EXPIRY_MESSAGES = {
    "required": _("Enter the expiry date."),
    "invalid_expiry": _("Your card's expiry date is invalid."),
}

_EXPIRY = re.compile(r"^\s*([0-9]{1,2})\s*[/\- ]\s*([0-9]{2}|[0-9]{4})\s*$")
_EXPIRY_DIGITS = re.compile(r"^\s*([0-9]{2})([0-9]{2})\s*$")


def _shown(message: str) -> str:
    # gettext("") would answer the catalogue's header.
    return gettext(message) if message else message


def methods_for(currency: str) -> list[tuple[str, str]]:
    """Return the (value, label) of each payment method that accepts ``currency``."""
    return [(m, label) for m, label in METHOD_LABELS.items() if currency in METHOD_CURRENCIES[m]]


def split_expiry(text: str) -> tuple[str, str]:
    """Return (month, year) of "MM / YY", "MM/YYYY" or "MMYY"; ("", "") when blank.

    Text in no known shape is returned whole as the month, so that the service answers it as an
    invalid expiry rather than a missing one.
    """
    if not text.strip():
        return "", ""
    match = _EXPIRY.match(text) or _EXPIRY_DIGITS.match(text)
    if match:
        return match.group(1), match.group(2)
    return text.strip()[:7], "0"


class PaymentForm(forms.Form):
    method = forms.ChoiceField(choices=())
    number = forms.CharField(required=False, max_length=40)
    exp = forms.CharField(required=False, max_length=10)
    cvc = forms.CharField(required=False, max_length=8, strip=True)
    holder_name = forms.CharField(required=False)
    phone = forms.CharField(required=False, max_length=40)
    # A saved card of the order's customer ("pm_..."), or "" for a card typed in.
    saved_card = forms.CharField(required=False, max_length=40)
    save_card = forms.BooleanField(required=False)
    # The DCC choice, once the offer was shown: "" pays in the order's currency, "fxq_..." in
    # the card's at that offer.
    dcc_quote = forms.CharField(required=False, max_length=40)

    def dcc_chosen(self) -> bool:
        """Return whether the shopper saw the DCC offer and chose (either way)."""
        return "dcc_quote" in self.data

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = methods_for(currency)
        self.fields["method"].error_messages["invalid_choice"] = _("Choose how you want to pay.")
        self.fields["method"].error_messages["required"] = _("Choose how you want to pay.")

    def saved_card_id(self) -> str:
        """Return the saved card chosen to pay by card, or "" (call after ``is_valid``)."""
        data = self.cleaned_data
        return data["saved_card"] if data["method"] == "card" else ""

    def method_input(self) -> MethodInput:
        """Return what to hand to ``payment_create`` (call after ``is_valid``)."""
        data = self.cleaned_data
        method = data["method"]
        if method == "card":
            month, year = split_expiry(data["exp"])
            return MethodInput(
                type="card",
                number=data["number"],
                exp_month=month,
                exp_year=year,
                cvc=data["cvc"],
                holder_name=data["holder_name"],
            )
        if method == "wallet":
            return MethodInput(type="wallet", phone=data["phone"])
        return MethodInput(type=method)

    def add_service_errors(self, errors) -> None:
        """Show each ``FieldError`` of ``ValidationFailed`` beside its field (once per field).

        The services answer in English (the API's contract); a message the checkout's script
        also shows has a translation in the catalogue and is shown in the page's language.
        """
        for error in errors:
            name = SERVICE_FIELDS.get(error.field)
            if name is None:
                self.add_error(None, _shown(error.message))
            elif name not in self.errors:
                message = _shown(error.message)
                if name == "exp":
                    message = EXPIRY_MESSAGES.get(error.code, message)
                self.add_error(name, message)

    def redisplay_value(self, name: str) -> str:
        """Return what the shopper typed in a field, to put back after errors; never the CVC."""
        if name == "cvc" or not self.is_bound:
            return ""
        return self.data.get(name, "")[:200]


class OtpForm(forms.Form):
    code = forms.CharField(max_length=20)

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        # A malformed entry never reaches the service, so it does not use up a try.
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("Enter the 6-digit code."))
        return code
