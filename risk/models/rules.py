"""Merchants' rules (a CEL expression and an action), every version they had, and each
merchant's score thresholds."""

from django.db import models

from payments.models import Merchant, new_public_id
from payments.representations import iso_timestamp


def new_rule_id() -> str:
    return new_public_id("rule")


#: A rule's points are at most this far from 0.
POINTS_MAX = 100


class Rule(models.Model):
    """A merchant's rule in one mode; a change writes a new ``RuleVersion`` (the evaluations
    name the version they used)."""

    class Action(models.TextChoices):
        # Evaluated in this order: an allow stops block and review; a block stops review.
        REQUEST_OTP = "request_otp", "Request OTP"
        ALLOW = "allow"
        BLOCK = "block"
        REVIEW = "review"

    class Mode(models.TextChoices):
        ACTIVE = "active"  # acts on payments
        SHADOW = "shadow"  # evaluated and recorded, never acts
        DISABLED = "disabled"  # not evaluated

    ACTION_ORDER = (Action.REQUEST_OTP, Action.ALLOW, Action.BLOCK, Action.REVIEW)

    public_id = models.CharField(max_length=32, unique=True, default=new_rule_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="risk_rules")
    livemode = models.BooleanField(default=False)
    name = models.CharField(max_length=100)
    expression = models.TextField()
    action = models.CharField(max_length=16, choices=Action.choices)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.ACTIVE)
    #: Added to the model's score when the rule matches in active mode (clamped to 0-100).
    points = models.SmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["merchant", "livemode", "mode"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points__gte=-POINTS_MAX, points__lte=POINTS_MAX),
                name="risk_rule_points_range",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.action}, {self.mode})"

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "risk_rule",
            "livemode": self.livemode,
            "name": self.name,
            "expression": self.expression,
            "action": self.action,
            "mode": self.mode,
            "points": self.points,
            "version": self.version,
            "created": iso_timestamp(self.created),
            "updated": iso_timestamp(self.updated),
        }


class RuleVersion(models.Model):
    """A rule as it was from ``created`` until the next version."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    expression = models.TextField()
    action = models.CharField(max_length=16, choices=Rule.Action.choices)
    mode = models.CharField(max_length=16, choices=Rule.Mode.choices)
    points = models.SmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rule", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="risk_rule_version_unique")
        ]

    def __str__(self):
        return f"{self.rule_id} v{self.version}"

    def api_data(self) -> dict:
        return {
            "version": self.version,
            "name": self.name,
            "expression": self.expression,
            "action": self.action,
            "mode": self.mode,
            "points": self.points,
            "created": iso_timestamp(self.created),
        }


class RiskSettings(models.Model):
    """A merchant's score thresholds and what the highest level does; absent means defaults."""

    class LevelAction(models.TextChoices):
        NONE = "none", "Record only"
        REVIEW = "review"
        BLOCK = "block"

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="risk_settings"
    )
    elevated_threshold = models.PositiveSmallIntegerField(default=65)
    highest_threshold = models.PositiveSmallIntegerField(default=75)
    elevated_action = models.CharField(
        max_length=8, choices=LevelAction.choices, default=LevelAction.NONE
    )
    highest_action = models.CharField(
        max_length=8, choices=LevelAction.choices, default=LevelAction.NONE
    )
    card_testing_guard = models.BooleanField(
        default=True, help_text="Block an IP or order that many declined cards come from"
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "risk settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(elevated_threshold__lte=models.F("highest_threshold"))
                & models.Q(highest_threshold__lte=100),
                name="risk_thresholds_ordered",
            )
        ]

    def __str__(self):
        return f"Risk settings of {self.merchant}"


class ScoreModel(models.Model):
    """Weights of the score's logistic regression fitted to a merchant's labelled history
    (``manage.py risk_train``); the newest one is used, the built-in weights without one."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="risk_models")
    livemode = models.BooleanField(default=False)
    version = models.CharField(max_length=40)
    intercept = models.FloatField()
    weights = models.JSONField()
    #: How it was trained: payments, frauds, iterations, log-loss, precision and recall at 75.
    training = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["merchant", "livemode", "-created"])]

    def __str__(self):
        return self.version
