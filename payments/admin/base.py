"""What every admin page of payments shares."""

from __future__ import annotations

from django.contrib import admin

from backoffice.access import is_platform_staff
from backoffice.admin_mixins import MerchantScopedAdmin, ReadOnlyAdminMixin


class ScopedReadOnlyAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rows written by services only, of the user's merchants: every field shown, none edited."""


def merchant_scope(request, obj):
    """Return the merchant a service acting on ``obj`` is scoped to: the object's merchant for
    merchant staff, None (any merchant) for platform staff."""
    return None if is_platform_staff(request.user) else obj.merchant
