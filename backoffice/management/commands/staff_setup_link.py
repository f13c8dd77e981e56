from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from backoffice.audit import audit_record
from backoffice.enrolment import setup_link_issue


class Command(BaseCommand):
    help = (
        "Print a one-time link with which a staff user sets up their first authenticator "
        "(after createsuperuser, or when a device was lost and deleted). Replaces earlier links."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        try:
            url = setup_link_issue(user=user)
        except ValueError as err:
            raise CommandError(str(err)) from None
        audit_record(
            request=None, action="staff_setup_link.issued", obj=user, details={"via": "manage.py"}
        )
        self.stdout.write(url)
