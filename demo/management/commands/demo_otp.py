from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.services import current_totp


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff user (demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEMO_MODE:
            raise CommandError("demo_otp only works with DEMO_MODE on (never in production).")
        try:
            self.stdout.write(current_totp(username))
        except LookupError as err:
            raise CommandError(str(err)) from None
