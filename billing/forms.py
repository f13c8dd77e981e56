"""Forms of billing's hosted pages: they parse what the customer typed; services validate."""

from __future__ import annotations

from django import forms

from payments.checkout.forms import SERVICE_FIELDS, split_expiry


class CardUpdateForm(forms.Form):
    number = forms.CharField(required=False, max_length=40)
    exp = forms.CharField(required=False, max_length=10)
    cvc = forms.CharField(required=False, max_length=8, strip=True)
    holder_name = forms.CharField(required=False, max_length=100)
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": "Tick the box to agree: the card is charged for renewals."},
    )

    def card(self) -> dict:
        """Return the card fields as ``subscription_card_replace`` takes them."""
        data = self.cleaned_data
        month, year = split_expiry(data["exp"])
        return {
            "number": data["number"],
            "exp_month": month,
            "exp_year": year,
            "cvc": data["cvc"],
            "holder_name": data["holder_name"],
        }

    def add_service_errors(self, errors) -> None:
        """Show each ``FieldError`` beside its field (once per field)."""
        for error in errors:
            name = SERVICE_FIELDS.get(error.field)
            if name is None or name not in self.fields:
                self.add_error(None, error.message)
            elif name not in self.errors:
                self.add_error(name, error.message)

    def redisplay_value(self, name: str) -> str:
        """Return what was typed in a field, to put back after errors; never the CVC."""
        if name == "cvc" or not self.is_bound:
            return ""
        return self.data.get(name, "")[:200]
