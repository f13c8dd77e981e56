from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payments.money import format_amount
from settlement.services import cutoff_for, latest_cutoff, payouts_pay_due, settlement_run


class Command(BaseCommand):
    help = (
        "Close the settlement batches of a cut-off: every captured payment and succeeded refund "
        "before it not settled yet, per merchant, currency and mode. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--cutoff",
            type=date.fromisoformat,
            help="Settlement day YYYY-MM-DD; the cut-off is that date at SETTLEMENT_CUTOFF_TIME "
            "UTC (default: the latest cut-off passed).",
        )
        parser.add_argument(
            "--pay-due",
            action="store_true",
            help="Also pay out every payout whose date has come (today, UTC).",
        )

    def handle(self, *args, **options):
        cutoff = cutoff_for(options["cutoff"]) if options["cutoff"] else latest_cutoff()
        if cutoff > timezone.now():
            raise CommandError(f"The cut-off {cutoff.isoformat()} has not passed yet.")
        batches = settlement_run(cutoff=cutoff)
        for batch in batches:
            self.stdout.write(
                f"{batch.public_id} merchant={batch.merchant.public_id} {batch.currency}"
                f"{' live' if batch.livemode else ' test'} payments={batch.payment_count} "
                f"refunds={batch.refund_count} payout="
                f"{format_amount(batch.payout_amount, batch.currency)} on {batch.payout_date}"
            )
        self.stdout.write(f"Cut-off {cutoff.isoformat()}: {len(batches)} batch(es) closed.")
        if options["pay_due"]:
            self.stdout.write(f"{payouts_pay_due()} payout(s) paid.")
