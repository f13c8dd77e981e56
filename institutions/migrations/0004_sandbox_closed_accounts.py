"""Accounts can be closed (declined ``account_closed``); seed the closed test card and wallet."""

import importlib

from django.db import migrations, models

from institutions.catalogue import SEED_ACCOUNTS

_seed = importlib.import_module("institutions.migrations.0002_seed_sandbox_accounts")


def unseed_closed(apps, schema_editor):
    SandboxAccount = apps.get_model("institutions", "SandboxAccount")
    closed = [_seed._lookup(account) for account in SEED_ACCOUNTS if account.status == "closed"]
    for lookup in closed:
        found = SandboxAccount.objects.filter(**lookup)
        # A closed account is declined before anything is held: only answers refer to it.
        apps.get_model("institutions", "SandboxAuthorization").objects.filter(
            account__in=found
        ).delete()
        found.delete()


class Migration(migrations.Migration):
    dependencies = [("institutions", "0003_balance_running_totals")]

    operations = [
        migrations.AlterField(
            model_name="sandboxaccount",
            name="status",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("blocked", "Blocked"),
                    ("expired", "Expired"),
                    ("lost", "Lost"),
                    ("stolen", "Stolen"),
                    ("closed", "Closed"),
                ],
                default="active",
                max_length=10,
            ),
        ),
        # Creates only the catalogue's accounts still missing (the closed ones, on a database
        # seeded before they existed).
        migrations.RunPython(_seed.seed, unseed_closed),
    ]
