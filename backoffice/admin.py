"""The audit log page (platform staff only, read-only) and the staff users' page."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .access import is_platform_staff
from .admin_mixins import short_datetime, short_id, short_text
from .audit import audit_record
from .enrolment import authenticators_remove, setup_link_issue
from .models import AuditLog
from .step_up import StepUpAdminMixin, step_up_action, step_up_page


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


class StaffUserAdmin(StepUpAdminMixin, UserAdmin):
    """Django's user admin, plus issuing the link a staff user sets up an authenticator with.

    Adding, changing (groups: platform staff see every merchant) and deleting users, setting a
    password and issuing a set-up link ask for a fresh code: each hands over an account.
    """

    actions = ["issue_setup_link", "remove_authenticators"]
    step_up_label = "staff_user"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_form = self.stepped_up_form(self.add_form)

    def user_change_password(self, request, id, form_url=""):
        if request.method == "POST":
            page = step_up_page(
                request, self, action="staff_user.password", what="Setting a staff password"
            )
            if page is not None:
                return page
        return super().user_change_password(request, id, form_url)

    @admin.action(description="Issue an authenticator set-up link", permissions=["change"])
    @step_up_action("staff_setup_link.issue", "Issuing an authenticator set-up link")
    def issue_setup_link(self, request, queryset):
        for user in queryset:
            try:
                url = setup_link_issue(user=user, issued_by=request.user)
            except ValueError as err:
                self.message_user(request, str(err), messages.ERROR)
                continue
            audit_record(request=request, action="staff_setup_link.issued", obj=user)
            self.message_user(
                request,
                f"Set-up link for {user.get_username()}, valid for "
                f"{settings.STAFF_SETUP_LINK_TTL_HOURS} hours and once; it replaces any earlier "
                f"one. Pass it on privately; it is not shown again: {url}",
                messages.SUCCESS,
            )

    @admin.action(
        description="Remove every authenticator (lost or stolen device)", permissions=["change"]
    )
    @step_up_action("staff_authenticators.remove", "Removing a staff user's authenticators")
    def remove_authenticators(self, request, queryset):
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(
                    request,
                    "Your own authenticators are removed one by one on “Your passkeys”, not "
                    "here: this would sign you out for good.",
                    messages.ERROR,
                )
                continue
            removed = authenticators_remove(user=user)
            audit_record(
                request=request,
                action="staff_authenticators.removed",
                obj=user,
                details={"devices": removed},
            )
            self.message_user(
                request,
                f"Removed {len(removed)} authenticator(s) of {user.get_username()}"
                f"{': ' + ', '.join(removed) if removed else ''}. They sign in again only with "
                "a new set-up link.",
                messages.SUCCESS,
            )


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), StaffUserAdmin)
