"""Writes of the risk app (keyword-only functions, each in one transaction)."""

from .lists import list_entry_add, list_entry_remove
from .rules import rule_create, rule_update
from .screening import payment_screen

__all__ = [
    "list_entry_add",
    "list_entry_remove",
    "payment_screen",
    "rule_create",
    "rule_update",
]
