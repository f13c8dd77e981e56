"""The back office's menu is grouped by what merchants do; platform tools only for the platform."""

import re

from django.urls import reverse


def _menu(page: str) -> dict[str, list[str]]:
    nav = page.split('<nav id="mp-nav"')[1].split("</nav>")[0]
    groups = {}
    for group, body in re.findall(r'data-group="([^"]+)">(.*?)</ul>', nav, re.S):
        groups[group] = re.findall(r"<a [^>]*>([^<]+)</a>", body)
    return groups


def test_merchant_staff_see_groups_of_their_work_and_no_operations(login, manager):
    page = login(manager).get(reverse("admin:payments_order_changelist")).content.decode()

    menu = _menu(page)

    assert list(menu)[:3] == ["Orders", "Payments", "Refunds"]
    assert {"Customers", "Settlements", "Developers"} <= set(menu)
    assert {"API keys", "Webhook endpoints", "Events"} <= set(menu["Developers"])
    assert "Operations" not in menu
    assert not {"Access attempts", "TOTP devices", "Audit log entries"} & {
        name for names in menu.values() for name in names
    }
    assert 'aria-current="page">Orders</a>' in page


def test_platform_staff_find_lockouts_authenticators_sandbox_and_audit_under_operations(
    login, platform_user
):
    page = login(platform_user).get(reverse("admin:index")).content.decode()

    operations = _menu(page)["Operations"]

    assert {"Access attempts", "TOTP devices", "Audit log entries", "Sandbox accounts"} <= set(
        operations
    )
    assert "Orders" not in operations


def test_the_sign_in_page_has_a_heading_and_no_menu(client):
    page = client.get(reverse("admin:login")).content.decode()

    assert '<h1 id="login-title">' in page
    assert 'id="mp-nav"' not in page


def test_a_wrong_sign_in_code_is_not_written_back_into_the_page(client, manager):
    from tests.admin.conftest import PASSWORD

    page = client.post(
        reverse("admin:login"),
        {"username": manager.username, "password": PASSWORD, "otp_token": "987123"},
    ).content.decode()

    assert "do not match" in page
    assert "987123" not in page
