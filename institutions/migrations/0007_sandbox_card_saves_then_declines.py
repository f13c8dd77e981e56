"""Seed the card that saves fine and then declines ``lost_card`` (4000 0000 0000 0341) into
every sandbox opened before it was published, the shared one included."""

from django.db import migrations

from institutions.cards import card_fingerprint
from institutions.catalogue import SEED_ACCOUNTS

PAN = "4000000000000341"


def seed(apps, schema_editor):
    SandboxOwner = apps.get_model("institutions", "SandboxOwner")
    SandboxAccount = apps.get_model("institutions", "SandboxAccount")
    account = next(a for a in SEED_ACCOUNTS if a.pan == PAN)
    fingerprint = card_fingerprint(PAN)
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
                "last4": PAN[-4:],
                "phone": account.phone,
                "status": account.status,
                "verification": account.verification,
                "behaviour": account.behaviour,
                "funds_major": account.funds_major,
            },
        )


def unseed(apps, schema_editor):
    SandboxAccount = apps.get_model("institutions", "SandboxAccount")
    found = SandboxAccount.objects.filter(fingerprint=card_fingerprint(PAN))
    # A lost card is declined before anything is held: only answers refer to it.
    apps.get_model("institutions", "SandboxAuthorization").objects.filter(
        account__in=found
    ).delete()
    found.delete()


class Migration(migrations.Migration):
    dependencies = [("institutions", "0006_sandbox_per_owner")]

    operations = [migrations.RunPython(seed, unseed)]
