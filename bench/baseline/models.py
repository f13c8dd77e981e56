from django.db import models


class BenchRow(models.Model):
    """What the minimal endpoint inserts: about the size of an order's own columns."""

    reference = models.CharField(max_length=100)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created = models.DateTimeField(auto_now_add=True)
