"""A sandbox per owner: the accounts from before become the shared sandbox (key "").

They are kept, not handed to one merchant: every merchant's holds, debits and refunds of the
time before are on them (the demo's and everyone else's), and captures, voids and refunds of
those payments must still find their holds. Each merchant's next test payment opens a sandbox
of its own at the published balances; callers that name no owner keep using the shared one.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, Q


def accounts_to_shared_owner(apps, schema_editor):
    SandboxOwner = apps.get_model("institutions", "SandboxOwner")
    SandboxAccount = apps.get_model("institutions", "SandboxAccount")
    shared, _ = SandboxOwner.objects.get_or_create(key="")
    SandboxAccount.objects.filter(owner__isnull=True).update(owner=shared)


def only_shared_owner_left(apps, schema_editor):
    """Reversed, the owners' own accounts go (the card fingerprint becomes unique again)."""
    SandboxAccount = apps.get_model("institutions", "SandboxAccount")
    owned = SandboxAccount.objects.exclude(owner__key="")
    for name, lookup in (
        ("SandboxAuthorization", "account__in"),
        ("SandboxAuthorization", "hold__account__in"),
        ("SandboxMovement", "account__in"),
        ("SandboxHold", "account__in"),
        ("SandboxBalance", "account__in"),
    ):
        apps.get_model("institutions", name).objects.filter(**{lookup: owned}).delete()
    owned.delete()


class Migration(migrations.Migration):
    # Each step commits on its own: PostgreSQL refuses to ALTER a table whose rows this
    # transaction changed while their deferred foreign-key checks are still pending.
    atomic = False

    dependencies = [("institutions", "0005_authorization_merchant_and_order")]

    operations = [
        migrations.CreateModel(
            name="SandboxOwner",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(blank=True, max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("reset_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["pk"]},
        ),
        migrations.AddField(
            model_name="sandboxaccount",
            name="owner",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="accounts",
                to="institutions.sandboxowner",
            ),
        ),
        # Reversed, the owner column is simply dropped: the accounts left are the shared ones.
        migrations.RunPython(accounts_to_shared_owner, migrations.RunPython.noop, atomic=True),
        migrations.AlterField(
            model_name="sandboxaccount",
            name="owner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="accounts",
                to="institutions.sandboxowner",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="sandboxaccount", name="sbx_account_unique_wallet_phone"
        ),
        migrations.AlterField(
            model_name="sandboxaccount",
            name="fingerprint",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddConstraint(
            model_name="sandboxaccount",
            constraint=models.UniqueConstraint(
                fields=("owner", "fingerprint"), name="sbx_account_unique_card_per_owner"
            ),
        ),
        migrations.AddConstraint(
            model_name="sandboxaccount",
            constraint=models.UniqueConstraint(
                condition=Q(kind="wallet"),
                fields=("owner", "phone"),
                name="sbx_account_unique_wallet_per_owner",
            ),
        ),
        migrations.AddField(
            model_name="sandboxbalance",
            name="reset_credit",
            field=models.BigIntegerField(default=0, help_text="Funds restored by resets."),
        ),
        migrations.RemoveConstraint(
            model_name="sandboxbalance", name="sbx_balance_totals_within_funds"
        ),
        migrations.AddConstraint(
            model_name="sandboxbalance",
            constraint=models.CheckConstraint(
                condition=Q(held__gte=0, debited__gte=0, refunded__gte=0, reset_credit__gte=0)
                & Q(refunded__lte=F("debited"))
                & Q(
                    opening_amount__gte=F("held")
                    + F("debited")
                    - F("refunded")
                    - F("reset_credit")
                ),
                name="sbx_balance_totals_within_funds",
            ),
        ),
        # Reversed first: the owners' own accounts go before a card is unique again.
        migrations.RunPython(migrations.RunPython.noop, only_shared_owner_left, atomic=True),
    ]
