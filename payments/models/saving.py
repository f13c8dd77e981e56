"""The shopper's consent, given on the hosted checkout, to save the card they pay with."""

from django.db import models

from .payments import Payment


class CardSaveConsent(models.Model):
    """ "Save this card for future payments", ticked for one payment of an order that names a
    customer: what was shown, when, from which IP and for which use. The card is saved (through
    ``payments.saved_methods``) once the payment succeeds; ``method_id`` is then the saved
    method's id, and a failed or abandoned payment saves nothing."""

    payment = models.OneToOneField(
        Payment, on_delete=models.CASCADE, related_name="card_save_consent"
    )
    customer = models.CharField(max_length=32)
    text = models.TextField()
    ip = models.GenericIPAddressField()
    usage = models.CharField(max_length=16)
    holder_name = models.CharField(max_length=100, blank=True)
    consented_at = models.DateTimeField()
    method_id = models.CharField(max_length=32, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"save consent of {self.payment_id} for {self.customer}"
