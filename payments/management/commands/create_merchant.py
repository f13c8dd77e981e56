import json

from django.core.management.base import BaseCommand, CommandError

from payments.errors import ValidationFailed
from payments.services import api_key_create, merchant_create


class Command(BaseCommand):
    help = "Onboard a merchant and print its id and a test API key (shown once, stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--country", default="US")
        parser.add_argument("--currency", default="USD")
        parser.add_argument("--settlement-delay", type=int, default=2)
        parser.add_argument("--live", action="store_true", help="issue an sk_live_ key instead")
        parser.add_argument("--json", action="store_true", help="print JSON only")

    def handle(self, *args, **opts):
        try:
            merchant = merchant_create(
                name=opts["name"],
                country=opts["country"],
                default_currency=opts["currency"].upper(),
                settlement_delay_days=opts["settlement_delay"],
            )
        except ValidationFailed as err:
            raise CommandError("; ".join(f"{e.field}: {e.message}" for e in err.errors)) from None
        if opts["live"]:
            merchant.live_enabled = True
            merchant.save(update_fields=["live_enabled"])
        _, raw = api_key_create(merchant=merchant, livemode=opts["live"], name="Created by command")
        if opts["json"]:
            self.stdout.write(json.dumps({"merchant_id": merchant.public_id, "api_key": raw}))
        else:
            self.stdout.write(f"Merchant {merchant.name} ({merchant.public_id})")
            self.stdout.write(f"API key (shown once, store it now): {raw}")
