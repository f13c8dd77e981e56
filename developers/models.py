from django.db import models
from django.utils import timezone

from payments.models import new_public_id


class RequestLog(models.Model):
    """One merchant API request as support sees it: who, what, the answer, and the bodies with
    card data and secrets already removed (``backoffice.redaction``)."""

    merchant = models.ForeignKey(
        "payments.Merchant", on_delete=models.CASCADE, related_name="request_logs"
    )
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    status = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=64, blank=True, help_text="The problem's code, if any")
    request_id = models.CharField(max_length=128)
    idempotency_key = models.CharField(max_length=255, blank=True)
    replayed = models.BooleanField(default=False)
    key_prefix = models.CharField(max_length=20, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_body = models.JSONField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API request"
        indexes = [
            models.Index(
                fields=["merchant", "livemode", "-created"], name="reqlog_merchant_created"
            ),
            models.Index(fields=["request_id"], name="reqlog_request_id"),
            models.Index(fields=["created"], name="reqlog_created"),
        ]

    def __str__(self):
        return f"{self.method} {self.path} {self.status}"


def new_signing_key_id() -> str:
    return new_public_id("sigkey")


class SigningKey(models.Model):
    """A merchant's public key for signing API requests (RFC 9421); ``public_id`` is the
    ``keyid`` a signature names. Only the public key is held; the private key never leaves the
    merchant."""

    class Algorithm(models.TextChoices):
        ED25519 = "ed25519", "Ed25519"
        ECDSA_P256 = "ecdsa-p256-sha256", "ECDSA P-256 (SHA-256)"

    public_id = models.CharField(
        max_length=40, unique=True, default=new_signing_key_id, editable=False
    )
    merchant = models.ForeignKey(
        "payments.Merchant", on_delete=models.CASCADE, related_name="signing_keys"
    )
    livemode = models.BooleanField(default=False)
    name = models.CharField(max_length=100, blank=True)
    algorithm = models.CharField(max_length=24, choices=Algorithm.choices, editable=False)
    public_key_pem = models.TextField(help_text="The public key, PEM (SubjectPublicKeyInfo)")
    fingerprint = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of the key's DER, hex"
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API signing key"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "fingerprint"],
                condition=models.Q(revoked_at__isnull=True),
                name="signing_key_active_unique",
            )
        ]

    def __str__(self):
        return f"{self.name or self.public_id} ({self.get_algorithm_display()})"


class RequestSigningPolicy(models.Model):
    """Whether a merchant's money-moving API requests must be signed (set in the back office
    only: a stolen API key cannot lift it)."""

    merchant = models.OneToOneField(
        "payments.Merchant", on_delete=models.CASCADE, related_name="request_signing_policy"
    )
    require_signatures = models.BooleanField(
        default=False,
        help_text="Refuse unsigned payouts, refunds, bulk charges and signing-key changes (401).",
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "request signing policy"
        verbose_name_plural = "request signing policies"

    def __str__(self):
        return f"Request signing of {self.merchant}"


class SeenSignature(models.Model):
    """A signature already accepted, kept until it is too old to be accepted again: the same
    signature twice is a replay. In the database (not only a cache), so a flushed cache or
    another web process cannot let it through."""

    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the signature")
    signing_key = models.ForeignKey(SigningKey, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="seen_signature_expires")]
