"""The audit log page: platform staff only, read-only."""

from django.contrib import admin

from .access import is_platform_staff
from .models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = [
        "created",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "merchant",
        "ip_address",
    ]
    list_filter = ["action", ("created", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "action", "=object_id"]
    list_select_related = ["merchant"]
    readonly_fields = [f.name for f in AuditLog._meta.fields]

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
