"""Synthetic labelled history: payments that never happened, to try rules on in test mode."""

from django.db import models

from payments.models import Merchant


class SyntheticPayment(models.Model):
    """A generated payment with the features its evaluation would have had, and its label.

    Written only by ``manage.py risk_generate_history`` (test mode); backtests and training read
    these beside the real evaluations of the same period. No money moved: no order, no ledger.
    """

    class Scenario(models.TextChoices):
        GOOD = "good", "Good customer"
        STOLEN_CARD = "stolen_card", "Stolen-card burst"
        CARD_TESTING = "card_testing", "Card-testing run"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(db_index=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    captured = models.BooleanField(help_text="False: declined by the issuer")
    fraud = models.BooleanField(help_text="Later disputed or refunded as fraud")
    scenario = models.CharField(max_length=16, choices=Scenario.choices)
    features = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["merchant", "livemode", "created"])]

    def __str__(self):
        return f"{self.scenario} {self.amount} {self.currency}"
