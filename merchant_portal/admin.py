"""The audit log page: platform staff only, read-only."""

from django.contrib import admin

from .access import is_platform_staff
from .admin_mixins import short_datetime, short_id, short_text
from .models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = [
        "created_short",
        "actor_username",
        "action",
        "object_short",
        "merchant_short",
        "ip_address",
    ]
    list_filter = ["action", ("created", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "action", "=object_id"]
    list_select_related = ["merchant"]
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    @admin.display(description="created", ordering="created")
    def created_short(self, obj):
        return short_datetime(obj.created)

    @admin.display(description="object", ordering="object_id")
    def object_short(self, obj):
        return short_id(obj.object_id)

    @admin.display(description="merchant", ordering="merchant__name")
    def merchant_short(self, obj):
        return short_text(obj.merchant or "", 20)

    def has_module_permission(self, request):
        return is_platform_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform_staff(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
