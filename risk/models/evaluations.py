"""What was decided about each payment before routing, the velocity counters kept in the
database when no Redis is configured, and the block and allow lists."""

from django.db import models

from payments.models import Merchant, Payment, new_public_id
from payments.representations import iso_timestamp


class Evaluation(models.Model):
    """The risk evaluation of one payment, made before the institution was asked."""

    class Level(models.TextChoices):
        NORMAL = "normal"
        ELEVATED = "elevated"
        HIGHEST = "highest"

    class Decision(models.TextChoices):
        ALLOW = "allow"
        REQUEST_OTP = "request_otp", "Request OTP"
        REVIEW = "review"
        BLOCK = "block"

    payment = models.OneToOneField(
        Payment, on_delete=models.CASCADE, related_name="risk_evaluation"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    score = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=10, choices=Level.choices)
    decision = models.CharField(max_length=12, choices=Decision.choices)
    #: Why, in words: the rule or list that decided, or the score's level.
    reason = models.CharField(max_length=200, blank=True)
    #: The features the rules saw (no card number: BIN, fingerprint and last four at most).
    features = models.JSONField(default=dict)
    #: ``[{id, name, version, action, mode}]``: the rules that matched, shadow ones included.
    matched_rules = models.JSONField(default=list)
    #: ``[{feature, contribution, text}]``: the model's top contributing features.
    top_features = models.JSONField(default=list)
    model_version = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["merchant", "livemode", "decision", "-created"])]

    def __str__(self):
        return f"{self.payment_id}: {self.score} {self.level} → {self.decision}"

    def api_data(self) -> dict:
        return {
            "score": self.score,
            # The model's score before the points of the active rules that matched.
            "model_score": self.features.get("risk_score", self.score),
            "rule_points": self.features.get("rule_points", 0),
            "level": self.level,
            "decision": self.decision,
            "reason": self.reason or None,
            "rules": self.matched_rules,
            "top_features": self.top_features,
            "card_country": self.features.get("card_country") or None,
            "ip_country": self.features.get("ip_country") or None,
            "model": self.model_version or None,
        }


class VelocityEvent(models.Model):
    """One attempt or decline counted under a key (``ip:…``, ``card:…``) when velocity is
    kept in the database; rows older than the longest window are deleted by a sweep."""

    class Kind(models.TextChoices):
        ATTEMPT = "attempt"
        DECLINE = "decline"

    merchant_id = models.BigIntegerField()
    livemode = models.BooleanField(default=False)
    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    #: The card fingerprint of the attempt, for distinct cards per key.
    card = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["merchant_id", "livemode", "key", "at"])]

    def __str__(self):
        return f"{self.kind} {self.key} at {self.at:%H:%M:%S}"


def new_list_entry_id() -> str:
    return new_public_id("rle")


class ListEntry(models.Model):
    """A value on a merchant's block or allow list, for good or until ``expires_at``."""

    class List(models.TextChoices):
        BLOCK = "block"
        ALLOW = "allow"

    class Kind(models.TextChoices):
        CARD_FINGERPRINT = "card_fingerprint"
        EMAIL = "email"
        EMAIL_DOMAIN = "email_domain"
        IP = "ip", "IP address"
        IP_RANGE = "ip_range", "IP range (CIDR)"
        BIN = "bin", "BIN (first six digits)"
        COUNTRY = "country", "Card or IP country"
        ORDER = "order", "Order (card testing)"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_list_entry_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="risk_lists")
    livemode = models.BooleanField(default=False)
    list = models.CharField(max_length=8, choices=List.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=100)

    class Source(models.TextChoices):
        MERCHANT = "merchant", "Added by the merchant"
        CARD_TESTING = "card_testing", "Card-testing guard"

    reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MERCHANT)
    expires_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "list entries"
        indexes = [models.Index(fields=["merchant", "livemode", "value"])]

    def __str__(self):
        return f"{self.list} {self.kind} {self.value}"

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "risk_list_entry",
            "list": self.list,
            "kind": self.kind,
            "value": self.value,
            "reason": self.reason or None,
            "source": self.source,
            "expires_at": iso_timestamp(self.expires_at),
            "created": iso_timestamp(self.created),
        }
