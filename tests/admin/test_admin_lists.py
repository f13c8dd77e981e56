"""The back office's change lists and detail pages: counts, money and columns read right."""

from django.urls import reverse

from merchant_portal.audit import audit_record


def test_the_audit_log_counts_its_entries_in_words(login, platform_user, rf):
    client = login(platform_user)
    request = rf.get("/")
    request.user = platform_user
    for _ in range(2):
        audit_record(request=request, action="orders.exported")

    page = client.get(reverse("admin:merchant_portal_auditlog_changelist")).content.decode()

    assert "2 audit log entries" in page
    assert "2 audit log<" not in page


def test_payment_and_refund_pages_show_money_not_minor_units(
    login, manager, captured_payment, django_capture_on_commit_callbacks
):
    from payments.services import refund_create

    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create(merchant=None, payment_id=captured_payment.public_id, amount=250)
    client = login(manager)

    payment_page = client.get(
        reverse("admin:payments_payment_change", args=[captured_payment.pk])
    ).content.decode()
    refund_page = client.get(reverse("admin:payments_refund_change", args=[refund.pk])).content
    merchant_page = client.get(
        reverse("admin:payments_merchant_change", args=[captured_payment.merchant_id])
    ).content.decode()

    fields = payment_page.split('id="payment_form"')[1].split("</fieldset>")[0]
    assert "$10.00" in fields and "$2.50" in fields
    assert ">1000<" not in fields and ">250<" not in fields
    assert b"$2.50" in refund_page and b">250<" not in refund_page
    assert "per payment" in merchant_page.split("Fee fixed")[1][:200]


def test_admin_and_public_pages_link_the_same_static_favicon(login, platform_user, client, order):
    from django.conf import settings

    admin_page = login(platform_user).get(reverse("admin:index")).content.decode()
    checkout_page = client.get(f"/checkout/{order.checkout_token}/").content.decode()

    link = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    assert link in admin_page and link in checkout_page
    assert 'href="data:,"' not in checkout_page
    assert (settings.BASE_DIR / "static" / "favicon.svg").read_text().startswith("<svg")
