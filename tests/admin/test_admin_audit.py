"""Changes made on the pages of models outside the product (staff users, authenticators) are
written to the audit log, with the names of the fields changed and never their values."""

from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.models import AuditLog
from tests.admin.conftest import totp_now


def test_making_a_staff_user_superuser_is_audited(login, platform_user, manager):
    client = login(platform_user)
    page = client.get(reverse("admin:auth_user_change", args=[manager.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"is_superuser": "on", "groups": [g.pk for g in manager.groups.all()]}
    data |= {"last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01"}
    data |= {"date_joined_1": "00:00:00"}
    data.pop("user_permissions", None)
    data["otp_token"] = totp_now(platform_user)

    response = client.post(reverse("admin:auth_user_change", args=[manager.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditLog.objects.get(action="user.changed")
    assert (entry.actor, entry.object_id) == (platform_user, str(manager.pk))
    assert "Superuser status" in str(entry.details)


def test_changing_a_staff_users_password_is_audited_without_the_password(
    login, platform_user, manager
):
    client = login(platform_user)
    new_password = "another-horse-battery-staple"

    response = client.post(
        reverse("admin:auth_user_password_change", args=[manager.pk]),
        {
            "password1": new_password,
            "password2": new_password,
            "usable_password": "true",
            "otp_token": totp_now(platform_user),
        },
    )

    assert response.status_code == 302
    entry = AuditLog.objects.get(action="user.changed")
    assert entry.object_id == str(manager.pk)
    assert new_password not in str(entry.details)
    manager.refresh_from_db()
    assert manager.password not in str(entry.details)


def test_deleting_a_staff_users_authenticator_is_audited(login, platform_user, manager):
    device = TOTPDevice.objects.get(user=manager)
    client = login(platform_user)

    response = client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]),
        {"post": "yes", "otp_token": totp_now(platform_user)},
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    entry = AuditLog.objects.get(action="totpdevice.deleted")
    assert (entry.actor, entry.object_id) == (platform_user, str(device.pk))


def test_old_audit_log_address_redirects_to_the_back_office_app(client):
    response = client.get("/admin/merchant_portal/auditlog/?action=x")

    assert response.status_code == 302
    assert response["Location"] == "/admin/backoffice/auditlog/?action=x"
