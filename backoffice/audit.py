"""The audit log's one writer: every back-office action that changes something calls it."""

from __future__ import annotations

from .client_ip import client_ip
from .models import AuditLog


def audit_record(
    *,
    request,
    action: str,
    obj=None,
    merchant=None,
    details: dict | None = None,
) -> AuditLog:
    """Write and return an audit entry for ``request.user`` doing ``action`` on ``obj``.

    ``details`` must hold no secrets (never an API key, an OTP code or card data).
    """
    user = getattr(request, "user", None)
    actor = user if getattr(user, "is_authenticated", False) else None
    if merchant is None and obj is not None:
        merchant = getattr(obj, "merchant", None)
    object_id = ""
    if obj is not None:
        object_id = str(getattr(obj, "public_id", None) or obj.pk)
    return AuditLog.objects.create(
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=object_id,
        merchant=merchant,
        details=details or {},
        ip_address=client_ip(request),
    )
