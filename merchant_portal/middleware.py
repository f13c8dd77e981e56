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


class SignedInSessionMiddleware:
    """Slide a signed-in user's session: it ends ``SESSION_COOKIE_AGE`` after their last request.

    Other sessions (a shopper's) are saved only when they change, so a checkout page view costs
    no session write. Listed after ``AuthenticationMiddleware``: its answer runs before
    ``SessionMiddleware`` saves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session this request already read can hold a signed-in user: a shopper's page
        # that never touched the session does not load it here either.
        if session is not None and session.accessed and request.user.is_authenticated:
            session.modified = True
        return response
