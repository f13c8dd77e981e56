"""``{% load assets %}``: ``{% asset 'css/site.css' %}`` is ``{% static %}`` looked up once per process.

With the manifest storage of production, every ``{% static %}`` parses the name and looks it up in
the manifest again: a fifth of the checkout page's rendering went there. The manifest does not
change while a process runs, so the URL of each name is kept.
"""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.templatetags.static import static

register = template.Library()


@register.simple_tag
def asset(path: str) -> str:
    """Return the URL of the static file ``path``, as ``{% static path %}`` does."""
    return _url(path)


@lru_cache(maxsize=256)
def _url(path: str) -> str:
    return static(path)


def _forget_urls(*, setting: str, **kwargs) -> None:
    # Tests override these; Django resets its storage then, so the URLs are worked out again.
    if setting in ("STATIC_URL", "STATIC_ROOT", "STORAGES", "DEBUG"):
        _url.cache_clear()


setting_changed.connect(_forget_urls)
