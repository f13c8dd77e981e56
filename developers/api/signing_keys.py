"""``/api/v1/signing-keys``: the public keys that sign the merchant's API requests (RFC 9421).

Registering and revoking keys are themselves money-moving: once the merchant requires
signatures, they must be signed by a key already registered, so a stolen API key alone cannot
add its own signing key.
"""

from __future__ import annotations

import django_filters as df
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.base import MerchantAPIView, MerchantListView, request_scope, validated
from payments.api.serializers import Input, NoInput, constant_field

from .. import selectors, signing
from ..models import SigningKey

SIGNING = (
    "Sign with HTTP Message Signatures (RFC 9421) over `@method`, `@path`, `content-digest` "
    "(RFC 9530, sha-256 of the body) and `idempotency-key`, with `created` (at most 5 minutes "
    "old) and `keyid` = this key's id. Each signature is accepted once."
)


class SigningKeyCreateInput(Input):
    public_key = serializers.CharField(
        max_length=signing.MAX_PEM_CHARS,
        trim_whitespace=False,
        help_text="PEM public key (-----BEGIN PUBLIC KEY-----): Ed25519 or ECDSA P-256",
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


def signing_key_data(key: SigningKey) -> dict:
    """Return the API's representation of a signing key."""
    return {
        "id": key.public_id,
        "object": "signing_key",
        "livemode": key.livemode,
        "name": key.name,
        "algorithm": key.algorithm,
        "public_key": key.public_key_pem,
        "fingerprint": key.fingerprint,
        "created": serializers.DateTimeField().to_representation(key.created),
        "revoked_at": serializers.DateTimeField().to_representation(key.revoked_at)
        if key.revoked_at
        else None,
    }


class SigningKeyOutput(serializers.Serializer):
    id = serializers.CharField(help_text="sigkey_...: the keyid your signatures name")
    object = constant_field("signing_key")
    livemode = serializers.BooleanField()
    name = serializers.CharField(allow_blank=True)
    algorithm = serializers.ChoiceField(choices=SigningKey.Algorithm.choices)
    public_key = serializers.CharField(help_text="PEM")
    fingerprint = serializers.CharField(help_text="SHA-256 of the key's DER, hex")
    created = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return signing_key_data(instance)


class SigningKeyFilter(df.FilterSet):
    class Meta:
        model = SigningKey
        fields: list[str] = []


class SigningKeyListCreateView(MerchantListView):
    serializer_class = SigningKeyOutput
    filterset_class = SigningKeyFilter
    selector = staticmethod(selectors.signing_key_list)
    money_moving = True

    @extend_schema(summary="List request signing keys", operation_id="signing_keys_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Register a request signing key",
        description=SIGNING,
        operation_id="signing_keys_create",
        request=SigningKeyCreateInput,
        responses={201: SigningKeyOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(SigningKeyCreateInput, request.data)
        key = signing.signing_key_create(**request_scope(request), **data)
        return Response(signing_key_data(key), status=status.HTTP_201_CREATED)


class SigningKeyDetailView(MerchantAPIView):
    money_moving = True

    @extend_schema(summary="Retrieve a request signing key", responses=SigningKeyOutput)
    def get(self, request: Request, key_id: str) -> Response:
        key = selectors.signing_key_get(**request_scope(request), key_id=key_id)
        return Response(signing_key_data(key))

    @extend_schema(
        summary="Revoke a request signing key",
        description="Its signatures are refused from now on; revoking again changes nothing.",
        request=NoInput,
        responses=SigningKeyOutput,
    )
    def delete(self, request: Request, key_id: str) -> Response:
        validated(NoInput, request.data)
        key = selectors.signing_key_get(**request_scope(request), key_id=key_id)
        return Response(signing_key_data(signing.signing_key_revoke(key=key)))
