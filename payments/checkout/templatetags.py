"""Template filters of the checkout: ``{% load checkout %}`` (registered in TEMPLATES options)."""

import re

from django import template

from payments.money import active_locale, format_amount

register = template.Library()

_CODE_THEN_DIGIT = re.compile(r"^([A-Z]{3})(?=[0-9-])")


@register.filter
def money(amount: int, currency: str) -> str:
    """Return ``amount`` (minor units) as the current locale writes it: ¥1,200, KWD 12.500."""
    text = format_amount(amount, currency, active_locale())
    # Babel glues an ISO code to the digits ("KWD12.500"); a no-break space reads better.
    return _CODE_THEN_DIGIT.sub("\\1\u00a0", text)
