from django_otp.admin import OTPAdminSite


class PlatformAdminSite(OTPAdminSite):
    """Admin site for merchant and platform staff: password plus a TOTP code."""

    site_header = "Merchant Payments"
    site_title = "Merchant Payments back office"
    index_title = "Dashboard"
