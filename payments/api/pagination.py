"""Cursor pagination, newest first: stable under inserts, no counting of large tables."""

from __future__ import annotations

import re
from datetime import UTC

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

_LIMIT = re.compile(r"[0-9]{1,5}")


def _utc_position(text: str) -> str | None:
    """Return a cursor position (an aware time) as ``str`` of its UTC time, or None if invalid.

    ``str`` is how the paginator writes a position, so a valid one comes back unchanged.
    """
    try:
        moment = parse_datetime(text)
        if moment is None or moment.tzinfo is None:
            return None
        return str(moment.astimezone(UTC))
    except (ValueError, OverflowError):
        return None


class NewestFirstCursorPagination(CursorPagination):
    ordering = ("-created", "-id")
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100
    invalid_cursor_message = "The cursor is not valid; use the 'next' or 'previous' link as given."

    def decode_cursor(self, request):
        invalid = ValidationError({"cursor": [self.invalid_cursor_message]}, code="invalid")
        try:
            cursor = super().decode_cursor(request)
        except Exception:
            raise invalid from None
        if cursor is None or cursor.position is None:
            return cursor
        # The position is a created time a client can forge: checked here, or the database
        # is the one to find out that it is none (a 500).
        position = _utc_position(cursor.position)
        if position is None:
            raise invalid
        return cursor._replace(position=position)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        # Out of range is an error, not quietly the nearest limit: the client asked for a size.
        if raw is not None and not (_LIMIT.fullmatch(raw) and 0 < int(raw) <= self.max_page_size):
            raise ValidationError(
                {"limit": [f"A whole number from 1 to {self.max_page_size}."]}, code="invalid"
            )
        return super().get_page_size(request)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "object": "list",
                "data": data,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["object", "data", "next", "previous"],
            "properties": {
                "object": {"type": "string", "pattern": "^list$", "example": "list"},
                "data": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The position to continue from, as given in 'next' or 'previous'.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
