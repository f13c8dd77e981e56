"""The back office writes amounts as the staff member's language does (Accept-Language)."""

from django.urls import reverse

from tests.admin.conftest import totp_now

NBSP = "\u00a0"


def test_order_list_and_payment_page_write_amounts_in_the_staff_members_language(
    login, manager, make_order, pay
):
    payment = pay(make_order(amount=123450, currency="EUR"))
    client = login(manager)

    german_list = client.get(
        reverse("admin:payments_order_changelist"), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    german_payment = client.get(
        reverse("admin:payments_payment_change", args=[payment.pk]), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    english_list = client.get(reverse("admin:payments_order_changelist")).content.decode()

    assert f"1.234,50{NBSP}€" in german_list and "€1,234.50" not in german_list
    assert f"1.234,50{NBSP}€" in german_payment and "€1,234.50" not in german_payment
    assert "€1,234.50" in english_list and "1.234,50" not in english_list


def test_dashboard_writes_amounts_in_the_staff_members_language(login, manager, make_order, pay):
    pay(make_order(amount=123450, currency="EUR"))
    client = login(manager)

    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert f"1.234,50{NBSP}€" in page


def test_order_csv_export_keeps_one_amount_format_whatever_the_language(login, manager, make_order):
    make_order(amount=123450, currency="EUR")
    client = login(manager)

    response = client.post(
        reverse("admin:payments_order_export"),
        {"otp_token": totp_now(manager)},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    body = b"".join(response.streaming_content).decode()

    assert '123450,EUR,"€1,234.50"' in body
