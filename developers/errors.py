"""Errors of request signing: each is a 401 problem naming the header at fault (``field``)."""

from __future__ import annotations

from payments.errors import DomainError, ValidationFailed
from payments.validation import FieldError


class SignatureError(DomainError):
    http_status = 401
    code = "signature_invalid"
    title = "The request signature is not valid"

    def __init__(self, message: str = "", *, field: str = "Signature") -> None:
        self.field = field
        super().__init__(message)


class SignatureInvalid(SignatureError):
    """Malformed, by an unknown or revoked key, or not made by the key it names."""


class SignatureRequired(SignatureError):
    code = "signature_required"
    title = "This merchant requires signed requests"


class SignatureIncomplete(SignatureError):
    code = "signature_incomplete"
    title = "The signature does not cover what it must"


class SignatureExpired(SignatureError):
    code = "signature_expired"
    title = "The signature is too old or dated in the future"


class SignatureReplayed(SignatureError):
    code = "signature_replayed"
    title = "This signature was used before"


class ContentDigestMismatch(SignatureError):
    code = "content_digest_mismatch"
    title = "The body does not match its Content-Digest"


class SigningKeyInvalid(ValidationFailed):
    """A public key offered for registration that is not Ed25519 or ECDSA P-256 PEM: a field
    error of ``public_key`` (code ``invalid_public_key``)."""

    def __init__(self, message: str) -> None:
        super().__init__([FieldError("public_key", "invalid_public_key", message)])


class SigningKeyDuplicate(DomainError):
    code = "signing_key_exists"
    http_status = 409
    title = "This public key is registered already"
    field = "public_key"
