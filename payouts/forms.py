"""Forms of the back-office pages of bulk payouts and charges (uploads)."""

from __future__ import annotations

from django import forms

from payments.models import Merchant

from .models import PayoutBatch

CSV_HELP = {
    "payouts": (
        "UTF-8 CSV with the header name,iban,bic,amount,currency,reference (bic optional). "
        "Amounts in minor units: 1250 is 12.50 EUR."
    ),
    "charges": (
        "UTF-8 CSV with the header reference,customer,payment_method,amount,currency: "
        "cus_... and pm_... ids. Amounts in minor units: 1250 is 12.50 EUR."
    ),
    "results": (
        "The bank's results: UTF-8 CSV with the header reference,status,reason_code,reason; "
        "status paid (ACSC), failed (RJCT) or returned (RTRN)."
    ),
}


class BatchUploadForm(forms.Form):
    """A batch prepared from a CSV file, for one of the merchants the staff member manages."""

    merchant = forms.ModelChoiceField(queryset=Merchant.objects.none())
    livemode = forms.BooleanField(label="Live mode", required=False)
    reference = forms.CharField(
        max_length=PayoutBatch._meta.get_field("reference").max_length,
        help_text="Yours; uploading again under the same reference creates nothing.",
    )
    file = forms.FileField(label="CSV file")

    def __init__(self, *args, merchants, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants
        self.fields["file"].help_text = CSV_HELP[kind]
        if merchants.count() == 1:
            self.fields["merchant"].initial = merchants.first()


class ResultsUploadForm(forms.Form):
    file = forms.FileField(label="Results file", help_text=CSV_HELP["results"])
