"""WebAuthn (passkeys) shared by the staff's second factor and the shoppers' checkout.

The relying party is our site: its id is ``SITE_URL``'s host (browsers refuse an IP address,
hence ``http://localhost:8000`` for local runs) and the only origin accepted is ``SITE_URL``'s.
Challenges are rows (``WebAuthnChallenge``): issued for one purpose and subject, deleted by the
first answer checked against them, refused after ``CHALLENGE_TTL``. What the library verifies
(``webauthn``, py_webauthn): the challenge, origin, RP id hash, user presence and verification
flags, the signature by the stored public key, and a signature counter that must grow.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .models import WebAuthnChallenge, WebAuthnDevice

logger = logging.getLogger(__name__)

CHALLENGE_TTL = timedelta(minutes=2)
MAX_CREDENTIAL_CHARS = 16_000


class WebAuthnRefused(Exception):
    """An answer that does not verify; ``code`` says why (shown to people as a sentence)."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


def relying_party() -> tuple[str, str]:
    """Return (rp id, origin) of ``SITE_URL``."""
    parts = urlsplit(settings.SITE_URL)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def challenge_issue(*, purpose: str, subject: str = "") -> bytes:
    """Return a new random challenge for ``purpose`` (and ``subject``); expired ones go."""
    now = timezone.now()
    WebAuthnChallenge.objects.filter(expires_at__lt=now).delete()
    challenge = secrets.token_bytes(32)
    WebAuthnChallenge.objects.create(
        challenge=bytes_to_base64url(challenge),
        purpose=purpose,
        subject=subject,
        expires_at=now + CHALLENGE_TTL,
    )
    return challenge


def parse_credential(token) -> dict:
    """Return the browser's credential JSON as a dict, or raise ``WebAuthnRefused``."""
    if isinstance(token, dict):
        data = token
    else:
        if not isinstance(token, str) or not token.startswith("{"):
            raise WebAuthnRefused("passkey_malformed", "This is not a passkey answer.")
        if len(token) > MAX_CREDENTIAL_CHARS:
            raise WebAuthnRefused("passkey_malformed", "The passkey answer is too large.")
        try:
            data = json.loads(token)
        except ValueError:
            raise WebAuthnRefused("passkey_malformed", "This is not a passkey answer.") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise WebAuthnRefused("passkey_malformed", "This is not a passkey answer.")
    return data


def _client_data(credential: dict) -> dict:
    try:
        raw = base64url_to_bytes(credential["response"]["clientDataJSON"])
        data = json.loads(raw)
    except (KeyError, TypeError, ValueError):
        raise WebAuthnRefused("passkey_malformed", "This is not a passkey answer.") from None
    if not isinstance(data, dict):
        raise WebAuthnRefused("passkey_malformed", "This is not a passkey answer.")
    return data


def challenge_consume(*, credential: dict, purpose: str, subject: str = "") -> bytes:
    """Return the challenge ``credential`` answers, deleting it (one answer per challenge);
    raise ``WebAuthnRefused`` if it is unknown, spent, expired or for another use."""
    client = _client_data(credential)
    origin = relying_party()[1]
    if client.get("origin") != origin:
        # Checked by the library too; said first and clearly: a phishing page's answer.
        raise WebAuthnRefused(
            "passkey_wrong_origin", "This passkey answer was made for another site."
        )
    challenge = client.get("challenge")
    if not isinstance(challenge, str) or len(challenge) > 128:
        raise WebAuthnRefused("passkey_malformed", "This is not a passkey answer.")
    deleted, _ = WebAuthnChallenge.objects.filter(
        challenge=challenge,
        purpose=purpose,
        subject__in={subject, ""},
        expires_at__gte=timezone.now(),
    ).delete()
    if not deleted:
        raise WebAuthnRefused(
            "passkey_challenge_expired", "This passkey request expired or was used; try again."
        )
    return base64url_to_bytes(challenge)


@dataclass(frozen=True)
class NewCredential:
    credential_id: str
    public_key: bytes
    sign_count: int


def registration_options(
    *, purpose: str, subject: str, user_id: bytes, user_name: str, exclude: list[str]
) -> str:
    """Return the JSON options of ``navigator.credentials.create()`` (user verification
    required, a resident key preferred)."""
    rp_id, _ = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Merchant Payments",
        user_id=user_id,
        user_name=user_name,
        challenge=challenge_issue(purpose=purpose, subject=subject),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in exclude
        ],
    )
    return options_to_json(options)


def registration_verify(*, token, purpose: str, subject: str) -> NewCredential:
    """Return the credential a ``create()`` answer registers, or raise ``WebAuthnRefused``."""
    credential = parse_credential(token)
    challenge = challenge_consume(credential=credential, purpose=purpose, subject=subject)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        logger.info("passkey registration refused: %s", type(exc).__name__)
        raise WebAuthnRefused(
            "passkey_invalid", "The passkey could not be verified; try again."
        ) from None
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def authentication_options(*, purpose: str, subject: str = "", allow: list[str] = ()) -> str:
    """Return the JSON options of ``navigator.credentials.get()`` (user verification
    required); ``allow`` empty lets the browser offer any passkey of this site."""
    rp_id, _ = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge_issue(purpose=purpose, subject=subject),
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in allow],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def assertion_verify(
    *, credential: dict, challenge: bytes, public_key: bytes, sign_count: int
) -> int:
    """Return the new signature counter of a verified ``get()`` answer, or raise
    ``WebAuthnRefused`` (``passkey_counter_regressed`` for a counter that did not grow: a
    cloned authenticator)."""
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        text = str(exc)
        logger.info("passkey assertion refused: %s", type(exc).__name__)
        if "sign count" in text:
            raise WebAuthnRefused(
                "passkey_counter_regressed",
                "This passkey's counter went backwards: it may have been copied.",
            ) from None
        if "origin" in text.lower():
            raise WebAuthnRefused(
                "passkey_wrong_origin", "This passkey answer was made for another site."
            ) from None
        if "verif" in text.lower() and "user" in text.lower():
            raise WebAuthnRefused(
                "passkey_not_user_verified",
                "The authenticator did not verify you (fingerprint, face or PIN).",
            ) from None
        raise WebAuthnRefused("passkey_invalid", "The passkey could not be verified.") from None
    return verified.new_sign_count


# --- staff devices ----------------------------------------------------------------------------

STAFF_PURPOSE = "staff"


def staff_assertion_verify(*, device: WebAuthnDevice, token) -> bool:
    """Return True if ``token`` is a fresh assertion of ``device`` (and record its counter).

    The challenge is spent only when the answer names this device's credential, so that
    ``match_token`` trying each device of the user in turn leaves it for the right one.
    """
    try:
        credential = parse_credential(token)
    except WebAuthnRefused:
        return False
    if credential["id"] != device.credential_id:
        return False
    try:
        # Spent whatever follows: outside the savepoint a refusal rolls back.
        challenge = challenge_consume(
            credential=credential, purpose=STAFF_PURPOSE, subject=str(device.user_id)
        )
        with transaction.atomic():
            locked = WebAuthnDevice.objects.select_for_update().get(pk=device.pk)
            count = assertion_verify(
                credential=credential,
                challenge=challenge,
                public_key=bytes(locked.public_key),
                sign_count=locked.sign_count,
            )
            WebAuthnDevice.objects.filter(pk=device.pk).update(
                sign_count=count, last_used_at=timezone.now()
            )
    except WebAuthnRefused as exc:
        logger.info("staff passkey %s refused: %s", device.pk, exc.code)
        return False
    return True


def staff_registration_options(*, user) -> str:
    return registration_options(
        purpose=STAFF_PURPOSE + "-register",
        subject=str(user.pk),
        user_id=f"staff-{user.pk}".encode(),
        user_name=user.get_username(),
        exclude=list(
            WebAuthnDevice.objects.filter(user=user).values_list("credential_id", flat=True)
        ),
    )


def staff_device_register(*, user, name: str, token) -> WebAuthnDevice:
    """Register the passkey a ``create()`` answer made for ``user``; raise ``WebAuthnRefused``."""
    new = registration_verify(
        token=token, purpose=STAFF_PURPOSE + "-register", subject=str(user.pk)
    )
    if WebAuthnDevice.objects.filter(credential_id=new.credential_id).exists():
        raise WebAuthnRefused("passkey_exists", "This passkey is registered already.")
    return WebAuthnDevice.objects.create(
        user=user,
        name=name or "Passkey",
        confirmed=True,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
    )


def staff_authentication_options(*, user=None) -> str:
    """Options for a staff assertion: the user's passkeys, or any (sign-in: the browser
    offers the passkeys it holds for this site, and nothing tells whether a name has one)."""
    allow: list[str] = []
    subject = ""
    verified = getattr(user, "is_verified", None)
    if user is not None and user.is_authenticated and verified is not None and verified():
        subject = str(user.pk)
        allow = list(
            WebAuthnDevice.objects.filter(user=user, confirmed=True).values_list(
                "credential_id", flat=True
            )
        )
    return authentication_options(purpose=STAFF_PURPOSE, subject=subject, allow=allow)
