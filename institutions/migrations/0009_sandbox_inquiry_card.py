"""Seed the card whose captures get an inquiry (4000 0000 0000 1976) into every sandbox opened
before it was published, the shared one included."""

from django.db import migrations

from institutions.cards import card_fingerprint
from institutions.catalogue import SEED_ACCOUNTS

PANS = ("4000000000001976",)


def seed(apps, schema_editor):
    SandboxOwner = apps.get_model("institutions", "SandboxOwner")
    SandboxAccount = apps.get_model("institutions", "SandboxAccount")
    for pan in PANS:
        _seed_one(SandboxOwner, SandboxAccount, pan)


def _seed_one(SandboxOwner, SandboxAccount, pan):
    account = next(a for a in SEED_ACCOUNTS if a.pan == pan)
    fingerprint = card_fingerprint(pan)
    for owner in SandboxOwner.objects.all():
        SandboxAccount.objects.get_or_create(
            owner=owner,
            fingerprint=fingerprint,
            defaults={
                "institution": account.institution,
                "kind": account.kind,
                "label": account.label,
                "brand": account.brand,
                "card_type": account.card_type,
                "last4": pan[-4:],
                "phone": account.phone,
                "status": account.status,
                "verification": account.verification,
                "behaviour": account.behaviour,
                "funds_major": account.funds_major,
            },
        )


def unseed(apps, schema_editor):
    SandboxAccount = apps.get_model("institutions", "SandboxAccount")
    fingerprints = [card_fingerprint(pan) for pan in PANS]
    SandboxAccount.objects.filter(fingerprint__in=fingerprints).delete()


class Migration(migrations.Migration):
    dependencies = [("institutions", "0008_sandbox_disputed_cards")]

    operations = [migrations.RunPython(seed, unseed)]
