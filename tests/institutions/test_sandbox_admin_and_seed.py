"""The read-only admin and the reversible seed."""

from dataclasses import replace

import pytest
from django.contrib import admin
from django.test import RequestFactory

from institutions.catalogue import SEED_ACCOUNTS
from institutions.models import SandboxAccount, SandboxHold, SandboxTransfer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [SandboxAccount, SandboxHold, SandboxTransfer])
def test_sandbox_books_are_read_only_in_the_admin(model):
    model_admin = admin.site.get_model_admin(model)
    request = RequestFactory().get("/")

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_admin_shows_cards_by_last_four_only(sandbox_accounts):
    model_admin = admin.site.get_model_admin(SandboxAccount)
    account = SandboxAccount.objects.get(last4="4242")

    assert model_admin.masked(account) == "•••• 4242"
    assert "fingerprint" not in model_admin.fields


@pytest.mark.django_db(transaction=True)
def test_the_seed_and_the_owners_migration_reverse_and_reapply(card_request):
    """Migrated, the accounts from before sandboxes per owner (with their holds) become the
    shared sandbox; reversed, owners' own accounts go and the seed stays; the seed reverses."""
    from django.core.management import call_command

    from institutions.connector import get_connector
    from institutions.services import sandbox_accounts_seed

    sandbox_accounts_seed()
    visa = get_connector("sandbox_issuer_visa")
    shared_hold = visa.authorize(card_request("4242424242424242", amount=500))
    visa.authorize(replace(card_request("4242424242424242"), sandbox_owner="mer_someone"))
    assert SandboxAccount.objects.count() == 2 * len(SEED_ACCOUNTS)

    call_command("migrate", "institutions", "0005", verbosity=0)
    call_command("migrate", "institutions", verbosity=0)

    assert SandboxAccount.objects.filter(owner__key="").count() == len(SEED_ACCOUNTS)
    assert SandboxAccount.objects.count() == len(SEED_ACCOUNTS)
    captured = visa.capture(
        reference="cap_after_migration",
        institution_reference=shared_hold.institution_reference,
        amount=500,
    )
    assert captured.succeeded

    call_command("migrate", "institutions", "0001", verbosity=0)
    assert not SandboxAccount.objects.exists()
    call_command("migrate", "institutions", verbosity=0)
    assert SandboxAccount.objects.filter(owner__key="").count() == len(SEED_ACCOUNTS)


def test_the_sandbox_books_show_amounts_in_major_units(sandbox_accounts, card_request):
    from django.contrib.auth import get_user_model

    from institutions.connector import get_connector

    connector = get_connector("sandbox_issuer_visa")
    held = connector.authorize(card_request("4242424242424242", amount=123456))
    connector.capture(
        reference="cap_1", institution_reference=held.institution_reference, amount=100000
    )
    request = RequestFactory().get("/admin/institutions/sandboxhold/")
    request.user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    request.user.is_verified = lambda: True

    content = admin.site.get_model_admin(SandboxHold).changelist_view(request).rendered_content

    assert "$1,234.56" in content  # held
    assert "$1,000.00" in content  # captured
    assert "123456" not in content
