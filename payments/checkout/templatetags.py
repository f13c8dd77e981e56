"""Template filters of the checkout: ``{% load checkout %}`` (registered in TEMPLATES options)."""

import re

from django import template
from django.utils.translation import get_language, to_locale

from payments.money import format_amount

register = template.Library()

_CODE_THEN_DIGIT = re.compile(r"^([A-Z]{3})(?=[0-9-])")


@register.filter
def money(amount: int, currency: str) -> str:
    """Return ``amount`` (minor units) as the current locale writes it: ¥1,200, KWD 12.500."""
    text = format_amount(amount, currency, to_locale(get_language() or "en-us"))
    # Babel glues an ISO code to the digits ("KWD12.500"); a no-break space reads better.
    return _CODE_THEN_DIGIT.sub("\\1\u00a0", text)
