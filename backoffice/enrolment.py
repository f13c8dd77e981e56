"""Setting up a staff user's first authenticator, only through a link platform staff issue."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import StaffSetupLink


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def setup_link_issue(*, user, issued_by=None) -> str:
    """Issue a set-up link for ``user`` and return its absolute URL, shown this once.

    Earlier unused links of the user stop working: only the newest one handed out counts.
    """
    if not user.is_staff or not user.is_active:
        raise ValueError(f"{user.get_username()} is not an active staff user")
    StaffSetupLink.objects.filter(user=user, used_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    StaffSetupLink.objects.create(
        user=user,
        token_hash=_hash(token),
        issued_by_username=issued_by.get_username() if issued_by is not None else "",
        expires_at=timezone.now() + timedelta(hours=settings.STAFF_SETUP_LINK_TTL_HOURS),
    )
    path = reverse("admin:otp_setup", kwargs={"token": token})
    return settings.SITE_URL.rstrip("/") + path


def setup_link_find(token: str) -> StaffSetupLink | None:
    """Return the unused, unexpired link with this token, or None."""
    return (
        StaffSetupLink.objects.select_related("user")
        .filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def setup_link_valid_for(pk, user) -> StaffSetupLink | None:
    """Return the unused, unexpired link ``pk`` if it was issued to ``user``, or None."""
    if pk is None:
        return None
    return StaffSetupLink.objects.filter(
        pk=pk, user=user, used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


def setup_link_use(link: StaffSetupLink) -> bool:
    """Mark the link used; False if another request used it first."""
    return bool(
        StaffSetupLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
    )


@transaction.atomic
def authenticators_remove(*, user) -> list[str]:
    """Remove every authenticator of ``user`` (a lost or stolen device) and return their names.

    Codes and passkeys of the device stop working at once, and a session verified with one of
    them is verified no more (django-otp looks the session's device up on every request); the
    user sets one up again only through a new set-up link.
    """
    from django_otp import devices_for_user

    removed = []
    for device in devices_for_user(user, confirmed=None):
        removed.append(f"{device._meta.verbose_name}: {device.name}")
        device.delete()
    return sorted(removed)
