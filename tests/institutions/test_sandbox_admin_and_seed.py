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
