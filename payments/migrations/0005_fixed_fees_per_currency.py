"""Fixed fees per currency: the one ``Merchant.fee_fixed`` ("30" in every currency: ¥30, but
0.030 KWD) gives way to the currency table's defaults and a merchant's own fee per currency.

A merchant on the old default (30) keeps no row: the defaults apply (0.30 USD, ¥40, 0.100 KWD).
A merchant with another fixed fee keeps it in its default currency, the one its fee was agreed
in; with no fixed fee at all (0), it keeps none in every currency. Reversed, the fee of the
default currency (or 30) becomes the one fixed fee again.
"""

import django.db.models.deletion
from django.db import migrations, models

OLD_DEFAULT = 30


def fee_to_currencies(apps, schema_editor):
    from payments.money import CURRENCIES

    Merchant = apps.get_model("payments", "Merchant")
    MerchantFixedFee = apps.get_model("payments", "MerchantFixedFee")
    rows = []
    for pk, currency, fixed in Merchant.objects.exclude(fee_fixed=OLD_DEFAULT).values_list(
        "pk", "default_currency", "fee_fixed"
    ):
        currencies = list(CURRENCIES) if fixed == 0 else [currency]
        rows += [MerchantFixedFee(merchant_id=pk, currency=c, amount=fixed) for c in currencies]
    MerchantFixedFee.objects.bulk_create(rows)


def fee_from_default_currency(apps, schema_editor):
    Merchant = apps.get_model("payments", "Merchant")
    MerchantFixedFee = apps.get_model("payments", "MerchantFixedFee")
    for merchant in Merchant.objects.all():
        own = MerchantFixedFee.objects.filter(
            merchant=merchant, currency=merchant.default_currency
        ).first()
        merchant.fee_fixed = own.amount if own else OLD_DEFAULT
        merchant.save(update_fields=["fee_fixed"])


class Migration(migrations.Migration):
    # The data step commits before the column is dropped (PostgreSQL will not ALTER a table
    # with pending deferred foreign-key checks of the same transaction).
    atomic = False

    dependencies = [("payments", "0004_webhooks_moved_out")]

    operations = [
        migrations.CreateModel(
            name="MerchantFixedFee",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("currency", models.CharField(max_length=3)),
                (
                    "amount",
                    models.BigIntegerField(
                        help_text="Minor units of the currency (JPY 40 is ¥40)."
                    ),
                ),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="fixed_fees",
                        to="payments.merchant",
                    ),
                ),
            ],
            options={
                "verbose_name": "fixed fee",
                "ordering": ["merchant", "currency"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("merchant", "currency"),
                        name="merchant_fixed_fee_one_per_currency",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("amount__gte", 0)), name="merchant_fixed_fee_gte_0"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("currency__regex", "^[A-Z]{3}$")),
                        name="merchant_fixed_fee_currency",
                    ),
                ],
            },
        ),
        migrations.RunPython(fee_to_currencies, fee_from_default_currency, atomic=True),
        migrations.RemoveField(model_name="merchant", name="fee_fixed"),
    ]
