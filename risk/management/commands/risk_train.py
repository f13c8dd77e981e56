import json

from django.core.management.base import BaseCommand, CommandError

from payments.errors import ValidationFailed
from risk.services.training import model_train

from ._periods import merchant, period


class Command(BaseCommand):
    help = (
        "Fit the score's logistic regression to a merchant's labelled history (payments disputed "
        "or refunded as fraud, and the synthetic history); the new model scores from now on."
    )

    def add_arguments(self, parser):
        parser.add_argument("merchant", help="the merchant's public id (mer_...)")
        parser.add_argument("--live", action="store_true", help="train on live payments")
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--since")
        parser.add_argument("--until")

    def handle(self, *args, **opts):
        since, until = period(opts)
        try:
            model = model_train(
                merchant=merchant(opts["merchant"]), livemode=opts["live"], since=since, until=until
            )
        except ValidationFailed as err:
            raise CommandError("; ".join(e.message for e in err.errors)) from None
        self.stdout.write(
            json.dumps(
                {
                    "version": model.version,
                    "intercept": round(model.intercept, 4),
                    "weights": {k: round(v, 4) for k, v in model.weights.items()},
                    "training": model.training,
                },
                indent=2,
            )
        )
