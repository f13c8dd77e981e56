"""The API reference (Swagger UI from drf-spectacular-sidecar's static files, no CDN).

The split view loads its start-up script from its own URL, so ``script-src 'self'`` holds; the
page's one small ``<style>`` block carries the request's CSP nonce.
"""

from __future__ import annotations

from csp.constants import NONCE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView


@method_decorator(csp_update({"style-src": [NONCE]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "payments/api/swagger_ui.html"
    title = "Merchant Payments API"
