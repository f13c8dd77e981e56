"""Forms of the payment back office: what staff type, parsed; the services decide."""

from __future__ import annotations

import secrets

from django import forms
from django_fsm import can_proceed

from backoffice.display import money_text
from backoffice.step_up import StepUpForm

from ..errors import DomainError, RefundAmountInvalid
from ..models import (
    Merchant,
    MerchantFixedFee,
    MerchantMembership,
    Payment,
)
from ..money import CURRENCIES, to_major, to_minor
from ..services import (
    refund_check,
    refunds_reserved,
)

# CLDR's two-letter regions that are no country (unknown, unions, pseudo-locales).
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}


def _country_codes() -> frozenset[str]:
    from babel import Locale

    territories = Locale("en").territories
    return frozenset(c for c in territories if c.isalpha() and c not in _NOT_COUNTRIES)


class MerchantForm(forms.ModelForm):
    """What merchant_create checks, beside each field: the database's constraints alone would
    answer with a constraint's name, or not at all (a currency that is not in the table)."""

    default_currency = forms.ChoiceField(choices=[(c, c) for c in sorted(CURRENCIES)])
    settlement_delay_days = forms.IntegerField(
        min_value=1,
        max_value=3,
        help_text="Payout this many business days after the cut-off (1-3).",
    )

    settlement_currency = forms.ChoiceField(
        choices=[("", "— each currency as paid —"), *((c, c) for c in sorted(CURRENCIES))],
        required=False,
        help_text="Captures in other currencies are converted into it (FX).",
    )
    accepted_currencies = forms.MultipleChoiceField(
        choices=[(c, c) for c in sorted(CURRENCIES)],
        required=False,
        help_text="Orders may be in these only; none chosen: any supported currency.",
    )
    fx_markup_bps = forms.IntegerField(
        min_value=0, max_value=2000, required=False, label="FX markup (bps)"
    )
    cross_border_fee_bps = forms.IntegerField(
        min_value=0, max_value=2000, required=False, label="Cross-border fee (bps)"
    )

    dcc_markup_bps = forms.IntegerField(
        min_value=0,
        max_value=2000,
        required=False,
        label="DCC markup (bps)",
        help_text="What shoppers paying in their card's currency pay on the ECB rate.",
    )

    def clean_dcc_markup_bps(self):
        return self.cleaned_data["dcc_markup_bps"] or 0

    def clean_fx_markup_bps(self):
        return self.cleaned_data["fx_markup_bps"] or 0

    def clean_cross_border_fee_bps(self):
        return self.cleaned_data["cross_border_fee_bps"] or 0

    class Meta:
        model = Merchant
        fields = [
            "name",
            "country",
            "default_currency",
            "settlement_delay_days",
            "settlement_currency",
            "accepted_currencies",
            "fx_markup_bps",
            "cross_border_fee_bps",
            "fx_refuse_expired_quotes",
            "dcc_enabled",
            "dcc_markup_bps",
            "brand_logo_url",
            "brand_color",
        ]

    def clean_country(self):
        code = self.cleaned_data["country"].strip().upper()
        if code not in _country_codes():
            raise forms.ValidationError("Enter an ISO 3166 country code, such as US or DE.")
        return code


class MembershipForm(forms.ModelForm):
    class Meta:
        model = MerchantMembership
        fields = ["user", "merchant", "role"]


class ApiKeyCreateForm(StepUpForm):
    """A new API key can refund through the API: it asks for a fresh code, as a refund does."""

    required_css_class = "required"
    step_up_action = "api_key.create"
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.none())
    name = forms.CharField(max_length=100, required=False)
    livemode = forms.BooleanField(required=False, label="Live mode key")

    def __init__(self, *args, merchants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants

    def clean(self):
        data = super().clean()
        merchant = data.get("merchant")
        if data.get("livemode") and merchant is not None and not merchant.live_enabled:
            # The API refuses a live key of such a merchant: it would be created to fail.
            self.add_error(
                "livemode",
                f"{merchant.name} is not enabled for live payments yet, so a live key would "
                "be refused. Create a test key, or ask platform staff to enable live mode.",
            )
        return data


class RefundForm(StepUpForm):
    required_css_class = "required"
    step_up_action = "refund.create"
    amount = forms.CharField(
        required=False,
        max_length=24,
        help_text="Leave empty to refund everything refundable.",
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    # Money leaves for good: the staff member says yes to the amount shown beside the button.
    confirm = forms.BooleanField(
        error_messages={"required": "Tick the box to confirm the amount to refund."},
    )

    # One value per rendering of the form: a second press of the button sends the same one.
    submission = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, payment: Payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "otp_token"
        ].help_text = "A fresh code from your authenticator app confirms this refund."
        self.payment = payment
        # Pending refunds count too, as the service counts them under its lock.
        self.refundable = payment.amount_captured - refunds_reserved(payment=payment)
        self.fields["submission"].initial = secrets.token_urlsafe(16)
        # Written with the currency's own decimals: none for JPY, three for KWD.
        self.example = to_major(min(max(self.refundable, 1), 1050), payment.currency)
        everything = money_text(max(self.refundable, 0), payment.currency)
        self.fields["amount"].help_text = (
            f"In {payment.currency}, such as {self.example}. "
            f"Left empty, everything refundable is refunded: {everything}."
        )
        self.fields["confirm"].label = (
            "I confirm the refund shown below; with no amount entered, that is everything "
            f"refundable ({everything})."
        )

    def amount_to_refund(self) -> int | None:
        """Return what the form as sent would refund (everything refundable for an empty
        amount), or None if its amount is not one."""
        value = str(self.data.get("amount", "") if self.is_bound else "").strip()
        if not value:
            return max(self.refundable, 0)
        try:
            amount = to_minor(value, self.payment.currency)
        except (ValueError, DomainError):
            return None
        return amount if amount > 0 else None

    def submission_renew(self) -> None:
        """Give the form shown again a new submission value: correcting it is a new send."""
        self.data = self.data.copy()
        self.data["submission"] = secrets.token_urlsafe(16)

    def clean_amount(self):
        """Return the amount in minor units (None: everything refundable) if the refund service
        would take it now, so a wrong amount never spends the staff member's one-time code."""
        value = self.cleaned_data["amount"].strip()
        amount = None
        if value:
            try:
                amount = to_minor(value, self.payment.currency)
            except ValueError:
                raise forms.ValidationError(
                    f"Enter an amount in {self.payment.currency}, such as {self.example}."
                ) from None
        try:
            refund_check(payment=self.payment, amount=amount)
        except DomainError as err:
            raise forms.ValidationError(self.refusal_text(err, amount)) from None
        return amount

    def refusal_text(self, err: DomainError, amount: int | None) -> str:
        """Return the refund service's refusal as the staff member reads it: in money."""
        if isinstance(err, RefundAmountInvalid):
            if amount is None:
                return "Nothing is left to refund on this payment."
            if err.amount <= 0:
                return "Enter an amount greater than zero."
            refundable = money_text(max(err.refundable, 0), self.payment.currency)
            return f"At most the refundable amount, {refundable}."
        if can_proceed(self.payment.capture):  # an authorization holds the shopper's funds
            return f"{err.message} Cancel it instead to release the funds."
        return err.message


class MerchantFixedFeeForm(forms.ModelForm):
    currency = forms.ChoiceField(choices=[(c, c) for c in sorted(CURRENCIES)])
    amount = forms.IntegerField(
        min_value=0,
        max_value=10**9,
        help_text="Minor units of the currency: 30 is 0.30 USD, 40 is ¥40, 100 is 0.100 KWD.",
    )

    class Meta:
        model = MerchantFixedFee
        fields = ["merchant", "currency", "amount"]
