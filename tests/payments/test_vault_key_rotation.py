"""The card vault's keys rotate (DESIGN section 5): the first key of FIELD_ENCRYPTION_KEYS
encrypts, every listed key still decrypts, by the key id kept beside each ciphertext."""

import base64
import os

import pytest

from payments.models import CardVault, Payment
from payments.services import otp_verify
from payments.vault import card_reveal
from tests.conftest import OTP_CARD, VISA, card

pytestmark = pytest.mark.django_db


def _key(kid: str) -> str:
    return kid + ":" + base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_a_card_stored_under_the_old_key_still_pays_after_the_key_rotated(
    settings, make_order, pay, sandbox_otp_code, django_capture_on_commit_callbacks
):
    old, new = _key("old"), _key("new")
    settings.FIELD_ENCRYPTION_KEYS = old
    challenged = pay(make_order(), card(OTP_CARD))
    assert challenged.status == Payment.Status.REQUIRES_ACTION
    assert challenged.card.key_id == "old"

    settings.FIELD_ENCRYPTION_KEYS = f"{new},{old}"
    # The authorization after the code needs the PAN again: it is read under the old key.
    with django_capture_on_commit_callbacks(execute=True):
        paid = otp_verify(payment_pk=challenged.pk, code=sandbox_otp_code(challenged))
    later = pay(make_order(), card(VISA))

    assert paid.status == Payment.Status.CAPTURED
    assert later.status == Payment.Status.CAPTURED and later.card.key_id == "new"
    assert card_reveal(card=CardVault.objects.get(pk=later.card_id)) == VISA


def test_a_card_whose_key_was_dropped_cannot_be_read(settings, make_order, pay):
    settings.FIELD_ENCRYPTION_KEYS = _key("old")
    payment = pay(make_order(), card(VISA))

    settings.FIELD_ENCRYPTION_KEYS = _key("new")

    with pytest.raises(LookupError):
        card_reveal(card=payment.card)
