"""Log lines: one JSON object per line (``LOG_FORMAT=json``) or text, each with its request id.

Every line, ours or a library's, goes through the standard ``logging`` module and one of these
formatters (see ``LOGGING`` in settings). Both add the ids bound to the current context
(``request_id`` of the request or of the task it caused, ``task_id``, ``task``) and, as a last
guard behind the rule that card data and secrets are never logged, mask anything that looks like
a card number (Luhn-valid, 12 to 19 digits), an API key or a webhook signing secret.
"""

from __future__ import annotations

import logging

import structlog
from structlog.contextvars import get_contextvars, merge_contextvars

from backoffice.redaction import redact

#: ``extra={...}`` keys written as fields of their own in JSON lines.
EXTRA_FIELDS = ("http_method", "route", "status", "duration_ms")


def _redact_values(logger, method_name, event_dict):
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


def _trace_ids(logger, method_name, event_dict):
    """Add the current trace and span ids when tracing is on (opentelemetry already imported)."""
    import sys

    trace = sys.modules.get("opentelemetry.trace")
    if trace is not None:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            event_dict["trace_id"] = format(context.trace_id, "032x")
            event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """One JSON object per line: ``timestamp``, ``level``, ``logger``, ``event`` (the message),
    the context's ids, and ``exception`` (the traceback) when there is one."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(
            *args,
            foreign_pre_chain=[
                merge_contextvars,
                _trace_ids,
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
                # The fields our code passes as ``extra`` (the access log's); no other extra.
                structlog.stdlib.ExtraAdder(allow=EXTRA_FIELDS),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redact_values,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
            **kwargs,
        )


class TextFormatter(logging.Formatter):
    """The plain format, with the request id (``-`` outside a request or task) after the
    logger's name."""

    def format(self, record: logging.LogRecord) -> str:
        # A copy: the record is shared with the other handlers, which must not see the field.
        record = logging.makeLogRecord(record.__dict__)
        record.request_id = get_contextvars().get("request_id") or "-"
        return redact(super().format(record))
