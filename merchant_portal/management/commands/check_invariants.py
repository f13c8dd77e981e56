from django.core.management.base import BaseCommand, CommandError

from merchant_portal.invariants import all_violations


class Command(BaseCommand):
    help = "Check every money invariant over the whole database; exit non-zero on a violation."

    def handle(self, *args, **options):
        violations = all_violations()
        for line in violations:
            self.stdout.write(f"VIOLATION {line}")
        if violations:
            raise CommandError(f"{len(violations)} invariant violation(s)")
        self.stdout.write("All invariants hold.")
