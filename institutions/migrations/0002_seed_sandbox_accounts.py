"""Seed the published sandbox test cards and wallets (reversible)."""

from django.db import migrations

from institutions.cards import card_fingerprint
from institutions.catalogue import SEED_ACCOUNTS


def _lookup(seed):
    if seed.kind == "card":
        return {"fingerprint": card_fingerprint(seed.pan)}
    return {"kind": seed.kind, "phone": seed.phone}


def seed(apps, schema_editor):
    SandboxAccount = apps.get_model("institutions", "SandboxAccount")
    for account in SEED_ACCOUNTS:
        SandboxAccount.objects.get_or_create(
            **_lookup(account),
            defaults={
                "institution": account.institution,
                "kind": account.kind,
                "label": account.label,
                "brand": account.brand,
                "card_type": account.card_type,
                "last4": account.pan[-4:],
                "phone": account.phone,
                "status": account.status,
                "verification": account.verification,
                "behaviour": account.behaviour,
                "funds_major": account.funds_major,
            },
        )


def unseed(apps, schema_editor):
    models = {
        name: apps.get_model("institutions", name)
        for name in (
            "SandboxAccount",
            "SandboxAuthorization",
            "SandboxMovement",
            "SandboxHold",
        )
    }
    for account in SEED_ACCOUNTS:
        found = models["SandboxAccount"].objects.filter(**_lookup(account))
        # The seeded accounts' own books go with them (holds and movements are PROTECTed).
        models["SandboxAuthorization"].objects.filter(account__in=found).delete()
        models["SandboxAuthorization"].objects.filter(hold__account__in=found).delete()
        models["SandboxMovement"].objects.filter(account__in=found).delete()
        models["SandboxHold"].objects.filter(account__in=found).delete()
        found.delete()


class Migration(migrations.Migration):
    dependencies = [("institutions", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
