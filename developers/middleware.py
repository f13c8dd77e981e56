"""The request log's writer: one row per merchant API request."""

from __future__ import annotations

import json
import logging
import time

from .services import request_log_write

logger = logging.getLogger(__name__)

_API_PREFIX = "/api/"


def _raw_body(request) -> bytes:
    """The request's bytes, read before the view so Django keeps them (DRF parses its copy)."""
    try:
        return request.body
    except Exception:  # already streamed, or over the upload limit: nothing to show
        return b""


def _request_body(raw: bytes):
    """The JSON the client sent, else its first 2,000 characters; parsed only to be logged."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python recurses
        return {"unparsed": raw[:2000].decode("utf-8", "replace")}


class RequestLogMiddleware:
    """Log every merchant API request (``developers.services.request_log_write``).

    The body is read before the view (Django keeps it, and DRF parses the kept copy); the row is
    written after the view's answer, outside its transaction, and a failure to write it is
    logged, never the request's failure.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(_API_PREFIX):
            return self.get_response(request)
        raw = _raw_body(request)
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000)
        try:
            request_log_write(
                request=request,
                response=response,
                duration_ms=duration_ms,
                request_body=_request_body(raw),
                response_body=getattr(response, "data", None),
            )
        except Exception:  # the answer is given whatever happens to its log line
            logger.exception("request log not written")
        return response
