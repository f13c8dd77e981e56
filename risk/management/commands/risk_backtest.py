import json

from django.core.management.base import BaseCommand, CommandError

from payments.errors import ValidationFailed
from risk.models import Rule
from risk.services.backtests import backtest_run

from ._periods import period


class Command(BaseCommand):
    help = "Replay a rule over a period's payments and print what it would have done (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("rule", help="the rule's id (rule_...)")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--since")
        parser.add_argument("--until")

    def handle(self, *args, **opts):
        rule = Rule.objects.filter(public_id=opts["rule"]).first()
        if rule is None:
            raise CommandError(f"No rule {opts['rule']!r}.")
        since, until = period(opts)
        try:
            result = backtest_run(rule=rule, since=since, until=until)
        except ValidationFailed as err:
            raise CommandError("; ".join(e.message for e in err.errors)) from None
        self.stdout.write(json.dumps(result, indent=2))
