"""Project middleware."""

import logging
import time

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.template.response import TemplateResponse
from django.utils import translation

from backoffice.request_id import HEADER, log_context_bind, log_context_reset, request_id_for
from backoffice.request_memo import request_memo_scope
from payments.errors import BUSY_RETRY_AFTER, database_busy

from .metrics import HTTP_LATENCY, HTTP_REQUESTS

logger = logging.getLogger(__name__)

_API_PREFIX = "/api/"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
access_logger = logging.getLogger("merchant_portal.access")


class RequestContextMiddleware:
    """First of all middleware: give the request its id, count and time it, log one line.

    The id (``backoffice.request_id``) is bound to every log line of the request and of the
    tasks it causes, and answered as ``X-Request-Id``. Metrics are labelled by the route's
    pattern, never by the path (a checkout token is in the path): their number stays bounded.
    Nothing here touches the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_for(request)
        tokens = log_context_bind(request_id=request.request_id)
        started = time.perf_counter()
        try:
            with request_memo_scope():
                response = self.get_response(request)
            elapsed = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            route = match.route if match is not None else "unmatched"
            method = request.method if request.method in _METHODS else "other"
            status = response.status_code
            HTTP_REQUESTS.inc(method=method, route=route, status=str(status))
            HTTP_LATENCY.observe(elapsed, method=method, route=route)
            response[HEADER] = request.request_id
            access_logger.info(
                "%s %s %s %.1f ms",
                method,
                route,
                status,
                elapsed * 1000,
                extra={
                    "http_method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            return response
        finally:
            log_context_reset(tokens)


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
