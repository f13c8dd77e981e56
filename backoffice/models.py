"""The back office's own records: an append-only audit log of staff actions."""

from django.conf import settings
from django.db import models
from django_otp.models import Device


class AuditLog(models.Model):
    """Who changed what from the back office, when, from where; never edited or deleted."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    actor_username = models.CharField(max_length=150, help_text="Kept if the user is deleted")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    merchant = models.ForeignKey(
        "payments.Merchant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log entries"

    def __str__(self):
        return f"{self.actor_username} {self.action} {self.object_type} {self.object_id}"


class StaffSetupLink(models.Model):
    """A one-time link that lets a staff user set up their first authenticator.

    Without one, a password alone would let whoever holds it enrol the second factor first.
    Platform staff issue it and pass it on out of band; only a hash of its token is stored.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="setup_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    issued_by_username = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"set-up link for {self.user} ({'used' if self.used_at else 'unused'})"


class WebAuthnChallenge(models.Model):
    """A challenge handed to a browser for one WebAuthn ceremony: single-use (deleted when an
    answer to it is checked) and short-lived. ``purpose`` and ``subject`` (a user's or a
    customer's id; blank when the browser may answer with any credential) bind it to its use."""

    challenge = models.CharField(max_length=128, unique=True)
    purpose = models.CharField(max_length=32)
    subject = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.purpose} challenge"


class WebAuthnDevice(Device):
    """A staff user's passkey or security key as a django-otp device, beside TOTP: sign-in
    and every step-up accept an assertion of it where they accept a code. Only the credential
    id and public key are kept."""

    credential_id = models.CharField(max_length=1400, unique=True, help_text="base64url")
    public_key = models.BinaryField(help_text="COSE public key")
    sign_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "passkey"

    def verify_token(self, token) -> bool:
        from .webauthn import staff_assertion_verify

        return staff_assertion_verify(device=self, token=token)
