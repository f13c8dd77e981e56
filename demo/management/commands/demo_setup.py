from django.conf import settings
from django.core.management.base import BaseCommand

from demo.services import DEMO_USERS, demo_setup


class Command(BaseCommand):
    help = "Create the demo merchant, its test API key and two staff users with TOTP (once)."

    def handle(self, *args, **options):
        data = demo_setup()
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "=" * 72,
                    "Merchant Payments is starting"
                    + (" (demo data created)" if data.created else ""),
                    f"  Landing page   {site}/",
                    f"  Demo shop      {site}/demo/shop/",
                    f"  Back office    {site}/admin/",
                    f"  API docs       {site}/api/v1/docs",
                    "",
                    "  Sign in to the back office (password + 6-digit code):",
                    *(
                        f"    {name:<9} password {spec['password']:<20} "
                        f"code: .venv/bin/python manage.py demo_otp {name}"
                        for name, spec in DEMO_USERS.items()
                    ),
                    "    (platform = platform staff, every merchant; merchant = staff of the demo merchant)",
                    "",
                    f"  Demo merchant  {data.merchant.name} ({data.merchant.public_id})",
                    f"  Test API key   {data.api_key}",
                    f"  Try it:        curl -H 'Authorization: Bearer {data.api_key}' {site}/api/v1/orders",
                    "  Sandbox card   4242 4242 4242 4242, any future expiry, any 3-digit CVC (4 for Amex)",
                    "=" * 72,
                    "",
                ]
            )
        )
