"""The OTP challenge a payment waits on (django-otp's throttling and cooldown)."""

from django.conf import settings
from django.db import models
from django_otp.models import CooldownMixin, ThrottlingMixin

from .payments import Payment


class _ChallengeBase(models.Model):
    """The base hooks django-otp's mixins call through ``super()`` (a Device would supply them)."""

    class Meta:
        abstract = True

    def verify_is_allowed(self):
        return True, None

    def generate_is_allowed(self):
        return True, None


class OtpChallenge(CooldownMixin, ThrottlingMixin, _ChallengeBase):
    """A one-time code sent to the holder; only its hash is kept.

    django-otp's mixins supply the back-off between wrong codes and the resend cooldown; the hard
    limits (3 wrong codes, 3 resends, 5 minutes) are ours.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        VERIFIED = "verified"
        FAILED = "failed"
        EXPIRED = "expired"

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="otp_challenges")
    channel = models.CharField(max_length=10, default="sms")
    destination = models.CharField(max_length=200, help_text="Where codes are sent (not card data)")
    masked_destination = models.CharField(max_length=200)
    token_hash = models.CharField(max_length=64, blank=True)
    valid_until = models.DateTimeField()
    resend_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"OTP for {self.payment_id} ({self.status})"

    def get_throttle_factor(self):
        return settings.PAYMENTS_OTP_THROTTLE_FACTOR

    def get_cooldown_duration(self):
        return settings.PAYMENTS_OTP_RESEND_COOLDOWN

    @property
    def attempts_remaining(self) -> int:
        return max(0, settings.PAYMENTS_OTP_MAX_ATTEMPTS - self.throttling_failure_count)

    @property
    def resends_remaining(self) -> int:
        return max(0, settings.PAYMENTS_OTP_MAX_RESENDS - self.resend_count)


class OtpLimitCounter(models.Model):
    """One counter of a shopper OTP cap: wrong codes of an order or a card (or wallet), or codes
    sent to a destination, in a window that starts at its first count.

    Keys are ids or keyed hashes (``vault.fingerprint``), never a PAN or a phone number. The row
    is locked while it is read and counted (``payments.services.otp_limits``), so concurrent
    tries on one card across orders are counted one after the other.
    """

    class Scope(models.TextChoices):
        ORDER_FAILURES = "order_failures"
        CARD_FAILURES = "card_failures"
        DESTINATION_SENDS = "destination_sends"

    scope = models.CharField(max_length=20, choices=Scope.choices)
    key = models.CharField(max_length=64)
    window_started_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="one_otp_limit_counter_per_key")
        ]

    def __str__(self):
        return f"{self.scope} {self.key[:12]}: {self.count}"
