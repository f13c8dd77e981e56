"""The read-only admin and the reversible seed."""

import importlib

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory

from institutions.catalogue import SEED_ACCOUNTS
from institutions.models import SandboxAccount, SandboxHold, SandboxTransfer

pytestmark = pytest.mark.django_db

seed_migration = importlib.import_module("institutions.migrations.0002_seed_sandbox_accounts")


@pytest.mark.parametrize("model", [SandboxAccount, SandboxHold, SandboxTransfer])
def test_sandbox_books_are_read_only_in_the_admin(model):
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_admin_shows_cards_by_last_four_only(sandbox_accounts):
    model_admin = admin.site._registry[SandboxAccount]
    account = SandboxAccount.objects.get(last4="4242")

    assert model_admin.masked(account) == "•••• 4242"
    assert "fingerprint" not in model_admin.fields


def test_seed_migration_reverses_and_reapplies(sandbox_accounts):
    seed_migration.unseed(apps, None)
    assert not SandboxAccount.objects.exists()

    seed_migration.seed(apps, None)
    seed_migration.seed(apps, None)
    assert SandboxAccount.objects.count() == len(SEED_ACCOUNTS)


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

    content = admin.site._registry[SandboxHold].changelist_view(request).rendered_content

    assert "$1,234.56" in content  # held
    assert "$1,000.00" in content  # captured
    assert "123456" not in content
