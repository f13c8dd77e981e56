"""API-key authentication: ``Authorization: Bearer sk_test_...`` or ``sk_live_...``."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from payments.errors import AuthenticationFailed
from payments.models import ApiKey
from payments.services import api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticate by merchant API key; ``request.auth`` is the ``ApiKey``.

    ``request.user`` stays ``None``: the caller is a merchant's server, not a person. Reach the
    merchant and mode through ``request.auth.merchant`` and ``request.auth.livemode``.
    """

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword or len(header) != 2:
            raise AuthenticationFailed("Send the API key as 'Authorization: Bearer <key>'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("The API key is malformed.") from None
        return None, api_key_authenticate(raw_key=raw)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class HasApiKey(BasePermission):
    """Allow only requests authenticated by an active API key."""

    message = "Authenticate with your API key: 'Authorization: Bearer <key>'."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "payments.api.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A secret API key: sk_test_... for test mode, sk_live_... for live mode.",
        }
