from django.core.management.base import BaseCommand, CommandError

from payments.errors import ValidationFailed
from risk.services.history import history_generate

from ._periods import merchant, period


class Command(BaseCommand):
    help = (
        "Write a labelled synthetic history (good customers, stolen-card bursts, card-testing "
        "runs) for a merchant's test mode, to backtest rules and train the score on."
    )

    def add_arguments(self, parser):
        parser.add_argument("merchant", help="the merchant's public id (mer_...)")
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--days", type=int, default=30, help="spread over the last N days")
        parser.add_argument("--since")
        parser.add_argument("--until")
        parser.add_argument("--currency", default="USD")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts):
        since, until = period(opts)
        try:
            count = history_generate(
                merchant=merchant(opts["merchant"]),
                count=opts["count"],
                since=since,
                until=until,
                currency=opts["currency"].upper(),
                seed=opts["seed"],
            )
        except ValidationFailed as err:
            raise CommandError("; ".join(e.message for e in err.errors)) from None
        self.stdout.write(
            f"Wrote {count} synthetic payments from {since:%Y-%m-%d} to {until:%Y-%m-%d}."
        )
