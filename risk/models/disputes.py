"""Disputes: a shopper's bank takes a captured payment back, and the merchant answers."""

from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from payments.models import Merchant, Payment, new_public_id
from payments.representations import iso_timestamp


def new_dispute_id() -> str:
    return new_public_id("dp")


class Dispute(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        WARNING_NEEDS_RESPONSE = "warning_needs_response"  # an inquiry: no money moved yet
        WARNING_UNDER_REVIEW = "warning_under_review"
        WARNING_CLOSED = "warning_closed"
        NEEDS_RESPONSE = "needs_response"
        UNDER_REVIEW = "under_review"
        WON = "won"
        LOST = "lost"

    class Reason(models.TextChoices):
        FRAUDULENT = "fraudulent"
        PRODUCT_NOT_RECEIVED = "product_not_received"
        DUPLICATE = "duplicate"
        SUBSCRIPTION_CANCELED = "subscription_canceled"
        GENERAL = "general"

    CLOSED = (Status.WON, Status.LOST, Status.WARNING_CLOSED)

    public_id = models.CharField(max_length=32, unique=True, default=new_dispute_id, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="disputes")
    livemode = models.BooleanField(default=False)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    #: Charged with the disputed amount when it opens; both given back if the merchant wins.
    fee = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    status = FSMField(default=Status.NEEDS_RESPONSE, choices=Status.choices, protected=True)
    evidence = models.JSONField(default=dict, blank=True)
    evidence_due_by = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    funds_reinstated = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["merchant", "livemode", "-created"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="dispute_amount_positive")
        ]

    def __str__(self):
        return self.public_id

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "dispute",
            "livemode": self.livemode,
            "payment": self.payment.public_id,
            "amount": self.amount,
            "currency": self.currency,
            "fee": self.fee,
            "reason": self.reason,
            "status": self.status,
            "evidence": self.evidence,
            # Name, size and sniffed type only: the content is downloaded with the API key
            # (``/disputes/{id}/evidence/files/{file_id}``) or from the admin, never a public URL.
            "evidence_files": [f.api_data() for f in self.evidence_files()],
            "evidence_due_by": iso_timestamp(self.evidence_due_by),
            "submitted_at": iso_timestamp(self.submitted_at),
            "closed_at": iso_timestamp(self.closed_at),
            "funds_reinstated": self.funds_reinstated,
            "created": iso_timestamp(self.created),
        }

    def evidence_files(self):
        """The evidence files without their content (lists prefetch them as
        ``evidence_file_list``, see ``risk.selectors.dispute_list``)."""
        prefetched = getattr(self, "evidence_file_list", None)
        if prefetched is not None:
            return prefetched
        return self.files.defer("content") if self.pk else []

    @transition(field=status, source=Status.NEEDS_RESPONSE, target=Status.UNDER_REVIEW)
    def submit(self):
        pass

    @transition(
        field=status, source=Status.WARNING_NEEDS_RESPONSE, target=Status.WARNING_UNDER_REVIEW
    )
    def submit_warning(self):
        pass

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.WON)
    def win(self):
        pass

    @transition(
        field=status, source=[Status.NEEDS_RESPONSE, Status.UNDER_REVIEW], target=Status.LOST
    )
    def lose(self):
        pass

    @transition(
        field=status,
        source=Status.WARNING_UNDER_REVIEW,
        target=Status.WARNING_CLOSED,
    )
    def close_warning(self):
        pass


def new_evidence_file_id() -> str:
    return new_public_id("dpf")


class DisputeEvidenceFile(models.Model):
    """A file of evidence (PDF, PNG or JPEG, its type read from its first bytes), kept in the
    database with its dispute: reachable only through the merchant's API key or admin."""

    public_id = models.CharField(
        max_length=32, unique=True, default=new_evidence_file_id, editable=False
    )
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.name} ({self.public_id})"

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "name": self.name,
            "size": self.size,
            "type": self.content_type,
            "sha256": self.sha256,
            "created": iso_timestamp(self.created),
        }


class IssuerDisputeNotice(models.Model):
    """The sandbox issuer's decision to dispute a capture, due at ``due_at``: a row the beat
    sweep (``disputes_open_due``) finds and turns into a ``Dispute``, once."""

    payment = models.OneToOneField(Payment, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32, choices=Dispute.Reason.choices)
    #: An inquiry (``warning_*``): the issuer asks before disputing; no money moves.
    inquiry = models.BooleanField(default=False)
    due_at = models.DateTimeField(db_index=True)
    dispute = models.OneToOneField(
        Dispute, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"{self.reason} on {self.payment_id} at {self.due_at:%H:%M:%S}"
