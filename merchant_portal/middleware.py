"""Project middleware."""

import logging

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.template.response import TemplateResponse
from django.utils import translation

from payments.errors import BUSY_RETRY_AFTER, database_busy

logger = logging.getLogger(__name__)

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


class DatabaseBusyMiddleware:
    """A page whose database gave up waiting (statement or lock timeout) answers 503 with
    ``Retry-After``: its transaction rolled back and nothing was done, so it may be retried.
    The API answers the same in its own exception handler."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        logger.warning("database busy: %s", type(exception.__cause__ or exception).__name__)
        response = TemplateResponse(request, "503.html", status=503)
        response["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response
