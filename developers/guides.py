"""The guides: Markdown in ``docs/guides/`` rendered with markdown-it-py (raw HTML escaped)."""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings
from markdown_it import MarkdownIt

from .problem_codes import problem_codes_table

#: Slug and title, in reading order; the file is ``docs/guides/<slug>.md``.
GUIDES: tuple[tuple[str, str], ...] = (
    ("quickstart", "Quickstart"),
    ("api-payments", "Payments without the hosted page"),
    ("refunds", "Refunds"),
    ("webhooks", "Webhooks"),
    ("idempotency", "Idempotency"),
    ("errors", "Errors"),
    ("testing", "Testing"),
    ("going-live", "Going live"),
)
#: The line of ``errors.md`` replaced by the table of every problem code.
PROBLEM_CODES_MARKER = "<!-- problem codes -->"


def guides_dir() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "guides"


def guides_list() -> list[dict]:
    return [{"slug": slug, "title": title} for slug, title in GUIDES]


def guide_markdown(slug: str) -> str:
    """Return the Markdown of guide ``slug`` (the errors guide with its generated table);
    raise KeyError for an unknown slug."""
    if slug not in dict(GUIDES):
        raise KeyError(slug)
    text = (guides_dir() / f"{slug}.md").read_text(encoding="utf-8")
    return text.replace(PROBLEM_CODES_MARKER, problem_codes_table())


@functools.cache
def _renderer() -> MarkdownIt:
    # html=False: a guide cannot carry a script or a style past the Content-Security-Policy.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def guide_html(slug: str) -> tuple[str, str]:
    """Return the title and the HTML of guide ``slug``; raise KeyError for an unknown one."""
    markdown = guide_markdown(slug)
    return dict(GUIDES)[slug], _renderer().render(markdown)
