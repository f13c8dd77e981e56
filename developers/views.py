"""The integration guides: Markdown files of ``docs/guides/`` rendered as pages."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from .guides import guide_html, guides_list


def guide_index(request):
    return render(request, "developers/index.html", {"guides": guides_list()})


def guide_detail(request, slug: str):
    try:
        title, html = guide_html(slug)
    except KeyError:
        raise Http404("No such guide.") from None
    return render(
        request,
        "developers/guide.html",
        {"title": title, "content": html, "guides": guides_list(), "slug": slug},
    )
