"""Project middleware."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

_API_PREFIX = "/api/"


class PageLocaleMiddleware(LocaleMiddleware):
    """Django's `LocaleMiddleware` for pages; the JSON API stays in `LANGUAGE_CODE`.

    Shoppers and staff get amounts (and Django's own strings) in the language their browser asks
    for. API responses are a contract whose messages clients may match on, so they ignore
    Accept-Language and do not vary on it.
    """

    def process_request(self, request):
        if request.path_info.startswith(_API_PREFIX):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)

    def process_response(self, request, response):
        if request.path_info.startswith(_API_PREFIX):
            return response
        return super().process_response(request, response)
