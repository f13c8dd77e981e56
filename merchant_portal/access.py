"""Who may do what in the back office: merchant staff are scoped to their memberships."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

MERCHANT_STAFF_GROUP = "Merchant staff"
# Merchant staff see these models of their own merchants; actions call services, never edits.
MERCHANT_STAFF_VIEW = [
    ("payments", "order"),
    ("payments", "payment"),
    ("payments", "refund"),
    ("payments", "event"),
    ("payments", "apikey"),
    ("payments", "outboxmessage"),
]


def staff_groups_ensure() -> Group:
    """Create or update the merchant staff group with its permissions; return it."""
    group, _ = Group.objects.get_or_create(name=MERCHANT_STAFF_GROUP)
    perms = Permission.objects.filter(
        content_type__app_label__in={a for a, _ in MERCHANT_STAFF_VIEW},
        content_type__model__in={m for _, m in MERCHANT_STAFF_VIEW},
        codename__startswith="view_",
    )
    group.permissions.add(*perms)
    return group


def merchant_ids_for(user) -> list[int] | None:
    """Return the merchant pks a user may see, or None for platform staff (every merchant)."""
    if user.is_superuser:
        return None
    return list(user.memberships.values_list("merchant_id", flat=True))
