"""What the developers app adds to other apps' pages, through their signals."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse


def order_page_requests(sender, *, request, order, object_ids: list[str], **kwargs) -> str:
    """Return the order page's links to the logged API requests of the order, its payments and
    refunds (each a request-log search for the object's id, which is in their paths)."""
    changelist = reverse("admin:developers_requestlog_changelist")
    links = [(object_id, f"{changelist}?q={object_id}") for object_id in object_ids]
    return render_to_string(
        "admin/developers/order_requests.html", {"links": links}, request=request
    )
