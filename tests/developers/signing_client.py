"""Signing API requests in tests as a merchant's server would (RFC 9421 + RFC 9530)."""

from __future__ import annotations

import json
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from http_message_signatures import HTTPMessageSigner, algorithms

COMPONENTS = ("@method", "@path", "content-digest", "idempotency-key")


class Message:
    def __init__(self, method: str, path: str, headers: dict):
        self.method = method
        self.url = "http://testserver" + path
        self.headers = headers


class Keys:
    def __init__(self, private, key_id: str):
        self.private = private
        self.key_id = key_id

    def resolve_private_key(self, key_id):
        return self.private

    def resolve_public_key(self, key_id):
        return self.private.public_key()


def new_private_key(kind: str = "ed25519"):
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(private) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signed_headers(
    private,
    key_id: str,
    *,
    method: str,
    path: str,
    body: bytes,
    idempotency_key: str,
    created: datetime | None = None,
    components=COMPONENTS,
    nonce: str | None = None,
) -> dict:
    """Return the Django test-client headers of a request signed by ``private``."""
    algorithm = (
        algorithms.ED25519
        if isinstance(private, ed25519.Ed25519PrivateKey)
        else algorithms.ECDSA_P256_SHA256
    )
    headers = {"Idempotency-Key": idempotency_key, "Content-Type": "application/json"}
    signer = HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=Keys(private, key_id))
    signer.sign(
        Message(method, path, headers),
        key_id=key_id,
        created=created,
        covered_component_ids=[c for c in components if c != "content-digest"],
        body=body,
        nonce=nonce,
        label="sig1",
    )
    return {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in headers.items()
        if name != "Content-Type"
    }


def post_signed(client, path: str, payload, private, key_id: str, **options):
    body = json.dumps(payload).encode()
    headers = signed_headers(
        private,
        key_id,
        method="POST",
        path=path,
        body=body,
        idempotency_key=options.pop("idempotency_key", "idem-" + path[-12:]),
        **options,
    )
    return client.post(path, data=body, content_type="application/json", **headers)
