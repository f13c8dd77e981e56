from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class MerchantPortalConfig(AppConfig):
    name = "merchant_portal"
    verbose_name = "Back office"
    default_auto_field = "django.db.models.BigAutoField"


class OTPAdminConfig(AdminConfig):
    """The admin, replaced by a site that demands a verified TOTP device."""

    default_site = "merchant_portal.admin_site.PlatformAdminSite"
