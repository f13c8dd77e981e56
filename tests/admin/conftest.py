"""Staff users with TOTP devices and test clients signed in to the back office."""

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_staff(db):
    """Create a staff user with a confirmed TOTP device: of ``merchant`` as ``role``, or platform."""
    from payments.services import staff_membership_grant
    from tests.factories import UserFactory

    def make(merchant=None, role="manager", *, superuser=False, device=True):
        user = UserFactory(is_superuser=superuser)
        user.save()  # the factory sets the password after its save
        if merchant is not None:
            staff_membership_grant(user=user, merchant=merchant, role=role)
        if device:
            TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        return user

    return make


@pytest.fixture
def login(client):
    """Sign a user in as if by password and TOTP: a session verified by their device."""

    def do(user, the_client=None):
        the_client = the_client or client
        the_client.force_login(user)
        session = the_client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
        return the_client

    return do


@pytest.fixture
def manager(make_staff, merchant):
    return make_staff(merchant, "manager")


@pytest.fixture
def viewer(make_staff, merchant):
    return make_staff(merchant, "viewer")


@pytest.fixture
def platform_user(make_staff):
    return make_staff(superuser=True)


def totp_now(user) -> str:
    from demo.services import current_totp

    return current_totp(user.username)
