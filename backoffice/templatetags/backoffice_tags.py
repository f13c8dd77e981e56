"""Template filters of the back office: ``{% load backoffice_tags %}``."""

from __future__ import annotations

from django import template

from backoffice.display import when_text

register = template.Library()


@register.filter
def when(value) -> str:
    """A moment in the active time zone, with the zone's name: ``7 Dec 2026, 15:10 UTC``."""
    return when_text(value)
