"""Fixtures of the developers app's tests: API clients and signed-in staff."""

from tests.admin.conftest import login, make_staff, manager
from tests.api.conftest import api, create_order, other_api, pay_order

__all__ = ["api", "create_order", "login", "make_staff", "manager", "other_api", "pay_order"]
