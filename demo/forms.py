"""The demo shop's cart form."""

from django import forms


class CartForm(forms.Form):
    product = forms.CharField(max_length=40)
    quantity = forms.IntegerField(min_value=0, max_value=20, required=False)
