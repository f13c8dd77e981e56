import json

from django.core.management.base import BaseCommand, CommandError

from settlement.services import reconciliation_run


class Command(BaseCommand):
    help = (
        "Compare ledger balances, settlement batch totals and payments to the minor unit; store "
        "the result (shown on the admin dashboard); exit non-zero on a difference."
    )

    def handle(self, *args, **options):
        run = reconciliation_run()
        for diff in run.differences:
            self.stdout.write("DIFFERENCE " + json.dumps(diff, sort_keys=True))
        if not run.ok:
            raise CommandError(f"Reconciliation run {run.pk}: {len(run.differences)} difference(s)")
        self.stdout.write(f"Reconciliation run {run.pk}: books, batches and payments agree.")
