"""A software WebAuthn authenticator for tests without a browser: ES256 key, a counter, and
the assertions a browser would post (authenticator data, client data, DER signature)."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class SoftAuthenticator:
    def __init__(self, rp_id: str = "localhost"):
        self.rp_id = rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.raw_id = os.urandom(16)
        self.credential_id = b64url(self.raw_id)
        self.counter = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def assertion(
        self, challenge: str, origin: str, *, counter: int | None = None, verified: bool = True
    ) -> str:
        """Return the JSON a browser posts for ``navigator.credentials.get()``."""
        if counter is None:
            self.counter += 1
            counter = self.counter
        flags = 0x01 | (0x04 if verified else 0)
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([flags])
            + counter.to_bytes(4, "big")
        )
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": challenge, "origin": origin}
        ).encode()
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": self.credential_id,
                "rawId": self.credential_id,
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                },
            }
        )
