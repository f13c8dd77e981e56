"""The demo shop's data for local runs (``make run``, ``DEMO_MODE``): one merchant, a test API
key, platform and merchant staff with TOTP devices. Nothing imports this app."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.access import staff_groups_ensure
from payments.errors import AuthenticationFailed
from payments.models import Merchant
from payments.services import (
    api_key_authenticate,
    api_key_create,
    merchant_create,
    staff_membership_grant,
)

DEMO_USERS = {
    "platform": {"password": "platform-demo-pass", "superuser": True},
    "merchant": {"password": "merchant-demo-pass", "superuser": False},
}


@dataclass(frozen=True)
class DemoData:
    merchant: Merchant
    api_key: str
    created: bool


def _key_file():
    return settings.VAR_DIR / "demo_api_key"


def _key_is_active(*, merchant: Merchant, raw: str) -> bool:
    """Return whether the saved demo key still authenticates for the demo merchant."""

    try:
        return api_key_authenticate(raw_key=raw).merchant_id == merchant.pk
    except AuthenticationFailed:
        return False


@transaction.atomic
def demo_setup() -> DemoData:
    """Create the demo data once; later calls return what exists."""

    User = get_user_model()
    merchant = Merchant.objects.filter(is_demo=True).first()
    created = merchant is None
    if created:
        merchant = merchant_create(name="Demo Coffee Roasters", country="US", is_demo=True)
    key_file = _key_file()
    raw = key_file.read_text().strip() if key_file.exists() else ""
    if not raw or not _key_is_active(merchant=merchant, raw=raw):
        _, raw = api_key_create(merchant=merchant, name="Demo test key")
        key_file.write_text(raw)
        key_file.chmod(0o600)
    for username, spec in DEMO_USERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@example.com", is_staff=True)
            user.is_superuser = spec["superuser"]
            user.set_password(spec["password"])
            user.save()
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
        if not spec["superuser"]:
            staff_membership_grant(user=user, merchant=merchant, role="manager")
    staff_groups_ensure()
    return DemoData(merchant=merchant, api_key=raw, created=created)


def current_totp(username: str) -> str:
    """Return the current TOTP code of a user's first confirmed device (demo mode only)."""
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        raise LookupError(f"{username} has no confirmed TOTP device")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
