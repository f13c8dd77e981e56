"""Who may do what in the back office: merchant staff are scoped to their memberships.

Platform staff (superusers and members of the "Platform staff" group) see every merchant;
merchant staff see the merchants they are members of, as viewers or managers.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

MERCHANT_STAFF_GROUP = "Merchant staff"
PLATFORM_STAFF_GROUP = "Platform staff"
# Merchant staff see these models of their own merchants; actions call services, never edits.
MERCHANT_STAFF_VIEW = [
    ("payments", "order"),
    ("payments", "payment"),
    ("payments", "paymentattempt"),
    ("payments", "refund"),
    ("payments", "event"),
    ("payments", "apikey"),
    ("payments", "outboxmessage"),
    ("payments", "merchant"),
    ("webhooks", "webhookendpoint"),
    ("webhooks", "webhookdelivery"),
    ("settlement", "settlementbatch"),
    ("settlement", "payout"),
    ("billing", "customer"),
    ("billing", "paymentmethod"),
    ("payouts", "payoutbatch"),
    ("payouts", "payoutitem"),
    ("payouts", "recipient"),
    ("payouts", "chargebatch"),
    ("payouts", "chargeitem"),
    ("billing", "subscription"),
    ("billing", "invoice"),
    ("billing", "chargeattempt"),
    ("invoicing", "creditnote"),
    ("invoicing", "customerbalance"),
    ("invoicing", "invoicingprofile"),
    ("risk", "review"),
    ("risk", "evaluation"),
    ("risk", "rule"),
    ("risk", "listentry"),
    ("risk", "risksettings"),
    ("risk", "dispute"),
    ("fx", "ratesnapshot"),
    ("fx", "quote"),
    ("fx", "conversion"),
    ("developers", "requestlog"),
]
# Platform staff who are not superusers: every merchant, every back-office model, by permission.
PLATFORM_STAFF_APPS = [
    "payments",
    "webhooks",
    "settlement",
    "billing",
    "invoicing",
    "payouts",
    "risk",
    "fx",
    "backoffice",
    "developers",
]


def _perms_for(pairs):
    perms = Permission.objects.none()
    for app_label, model in pairs:
        perms = perms | Permission.objects.filter(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__startswith="view_",
        )
    return perms


def staff_groups_ensure() -> Group:
    """Create or update the merchant and platform staff groups; return the merchant staff group."""
    group, _ = Group.objects.get_or_create(name=MERCHANT_STAFF_GROUP)
    group.permissions.add(*_perms_for(MERCHANT_STAFF_VIEW))
    platform, _ = Group.objects.get_or_create(name=PLATFORM_STAFF_GROUP)
    platform.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=PLATFORM_STAFF_APPS)
    )
    return group


def is_platform_staff(user) -> bool:
    """Return True for users who see every merchant (superusers and the platform staff group)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_platform_staff_cache", None)
    if cached is None:
        cached = user.groups.filter(name=PLATFORM_STAFF_GROUP).exists()
        user._platform_staff_cache = cached
    return cached


def merchant_ids_for(user, *, role: str | None = None) -> list[int] | None:
    """Return the merchant pks a user may see (or act on as ``role``), None for every merchant.

    An anonymous or inactive user gets an empty list, so a scoped query matches nothing.
    """
    if is_platform_staff(user):
        return None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    memberships = user.memberships.all()
    if role is not None:
        memberships = memberships.filter(role=role)
    return list(memberships.values_list("merchant_id", flat=True))


def can_manage(user, merchant_id: int) -> bool:
    """Return True if the user may act (refund, capture, keys) on the merchant's records."""
    ids = merchant_ids_for(user, role="manager")
    return ids is None or merchant_id in ids


def can_view(user, merchant_id: int) -> bool:
    """Return True if the user may see the merchant's records."""
    ids = merchant_ids_for(user)
    return ids is None or merchant_id in ids
