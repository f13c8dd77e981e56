"""Saving many rows' fields in few statements (``backoffice.bulk``, ``backoffice.sql``): every
row gets its own values, rows outside the list are left alone, and the statements are few."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.bulk import rows_update
from backoffice.sql import values_update

pytestmark = pytest.mark.django_db
User = get_user_model()
T = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


@pytest.fixture
def users():
    return [User.objects.create(username=f"u{n}", email=f"u{n}@example.com") for n in range(5)]


def _saved(field):
    return dict(User.objects.order_by("username").values_list("username", field))


def test_rows_sharing_values_are_saved_by_one_update_per_set_of_values(users):
    for n, user in enumerate(users[:4]):
        user.is_active, user.last_login = n % 2 == 0, T

    with CaptureQueriesContext(connection) as statements:
        updated = rows_update(users[:4], ["is_active", "last_login"])

    assert updated == 4
    assert len(statements.captured_queries) == 2
    assert _saved("is_active") == {"u0": True, "u1": False, "u2": True, "u3": False, "u4": True}
    assert _saved("last_login") == {"u0": T, "u1": T, "u2": T, "u3": T, "u4": None}


def test_rows_with_values_of_their_own_are_saved_by_one_statement(users):
    for n, user in enumerate(users[:3]):
        user.email, user.last_login, user.is_staff = (
            f"new{n}@example.com",
            T.replace(day=n + 1),
            True,
        )

    with CaptureQueriesContext(connection) as statements:
        updated = values_update(users[:3], ["email", "last_login", "is_staff"])

    assert updated == 3
    assert len(statements.captured_queries) == 1
    assert _saved("email") == {
        "u0": "new0@example.com",
        "u1": "new1@example.com",
        "u2": "new2@example.com",
        "u3": "u3@example.com",
        "u4": "u4@example.com",
    }
    assert _saved("last_login")["u1"] == T.replace(day=2)
    assert _saved("last_login")["u3"] is None
    assert _saved("is_staff") == {"u0": True, "u1": True, "u2": True, "u3": False, "u4": False}


def test_no_rows_cost_no_statement():
    with CaptureQueriesContext(connection) as statements:
        assert rows_update([], ["email"]) == 0
        assert values_update([], ["email"]) == 0
    assert statements.captured_queries == []
