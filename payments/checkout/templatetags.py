"""Template filters of the checkout: ``{% load checkout %}`` (registered in TEMPLATES options)."""

import re
from functools import lru_cache

from django import template

from payments.money import active_locale, format_amount

register = template.Library()

_CODE_THEN_DIGIT = re.compile(r"^([A-Z]{3})(?=[0-9-])")


@register.filter
def money(amount: int, currency: str) -> str:
    """Return ``amount`` (minor units) as the current locale writes it: ¥1,200, KWD 12.500."""
    return _money(amount, currency, active_locale())


# A checkout page shows its amount three times (summary, transfer help, pay button) and Babel
# takes tens of microseconds per call: the text depends on these three values only. `typed` keeps
# True apart from 1, so a bool still fails in `format_amount` instead of reading as one cent.
@lru_cache(maxsize=1024, typed=True)
def _money(amount: int, currency: str, locale: str) -> str:
    text = format_amount(amount, currency, locale)
    # Babel glues an ISO code to the digits ("KWD12.500"); a no-break space reads better.
    return _CODE_THEN_DIGIT.sub("\\1\u00a0", text)
