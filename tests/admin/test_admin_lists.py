"""The back office's change lists and detail pages: counts, money and columns read right."""

from django.urls import reverse

from backoffice.audit import audit_record


def test_the_audit_log_counts_its_entries_in_words(login, platform_user, rf):
    client = login(platform_user)
    request = rf.get("/")
    request.user = platform_user
    for _ in range(2):
        audit_record(request=request, action="orders.exported")

    page = client.get(reverse("admin:backoffice_auditlog_changelist")).content.decode()

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


def test_no_admin_page_shows_a_card_number_a_cvc_or_a_secret(
    login, platform_user, manager, merchant, make_order, pay, sandbox_otp_code
):
    """Every list and every object page, to platform staff (all models) and merchant staff,
    after a card payment through an OTP challenge: at most the first 6 and last 4 digits."""
    import re

    from django.test import Client

    from payments.services import api_key_create, otp_verify
    from tests.conftest import OTP_CARD, card, registered_admins
    from webhooks import services as webhooks

    _, raw_key = api_key_create(merchant=merchant)
    _, secret = webhooks.webhook_endpoint_create(
        merchant=merchant, livemode=False, url="http://127.0.0.1:9/hook", enabled_events=["*"]
    )
    # A CVC with a leading zero: no primary key (a permission's option value) can look like it.
    payment = pay(make_order(), card(OTP_CARD, cvc="073"))
    otp_verify(payment_pk=payment.pk, code=sandbox_otp_code(payment))
    never = [OTP_CARD, "4000 0000 0000 3220", raw_key, raw_key[14:], secret, secret[6:]]
    checked = 0

    for user in (platform_user, manager):
        client = login(user, the_client=Client())
        for model, _ in registered_admins():
            base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            listing = client.get(reverse(f"{base}_changelist"))
            if listing.status_code != 200:
                continue
            pages = [listing] + [
                client.get(reverse(f"{base}_change", args=[pk]))
                for pk in model._default_manager.values_list("pk", flat=True)[:30]
            ]
            for page in pages:
                text = page.content.decode()
                checked += 1
                assert [s for s in never if s in text] == [], model._meta.label
                assert not re.search(r"(?<![0-9A-Za-z#.:,-])073(?![0-9A-Za-z%])", text)

    assert checked > 100


def _rows(page: str) -> list[str]:
    body = page.split('id="result_list"')[1].split("</tbody>")[0]
    return body.split("<tr")[2:]


def test_order_list_shows_status_badges_and_mode_with_key_columns_first(
    login, manager, merchant, make_order, pay, live_institution
):
    from tests.conftest import NO_FUNDS, card

    merchant.live_enabled = True
    merchant.save(update_fields=["live_enabled"])
    pay(make_order(amount=1200, reference="TEST-PAID"))
    pay(make_order(amount=3400, reference="LIVE-PAID", livemode=True))
    pay(make_order(amount=500, reference="TEST-DECLINED"), card(NO_FUNDS))
    client = login(manager)

    page = client.get(reverse("admin:payments_order_changelist")).content.decode()
    live_only = client.get(reverse("admin:payments_order_changelist"), {"mode": "live"})

    headers = page.split('id="result_list"')[1].split("</thead>")[0]
    columns = [
        h
        for h in (
            "column-order_id",
            "column-amount_display",
            "column-status_badge",
            "column-mode",
            "column-reference_short",
        )
        if h in headers
    ]
    assert [headers.index(c) for c in columns] == sorted(headers.index(c) for c in columns)
    assert len(columns) == 5
    rows = {r.split("field-reference_short")[1][2:40]: r for r in _rows(page)}
    live = next(r for ref, r in rows.items() if ref.startswith("LIVE-PAID"))
    declined = next(r for ref, r in rows.items() if ref.startswith("TEST-DECLINED"))
    assert '<span class="badge badge-success">Paid</span>' in live
    assert '<span class="badge badge-live">Live</span>' in live
    assert '<span class="badge badge-warning">Pending</span>' in declined
    assert '<span class="badge badge-test">Test</span>' in declined
    assert '<td class="field-amount_display">$34.00</td>' in live
    assert [r for r in _rows(live_only.content.decode()) if "badge-test" in r] == []
    assert len(_rows(live_only.content.decode())) == 1


def test_payment_and_refund_lists_show_declines_and_refunds_as_badges(
    login, manager, make_order, pay, captured_payment, django_capture_on_commit_callbacks
):
    from payments.services import refund_create
    from tests.conftest import NO_FUNDS, card

    pay(make_order(amount=500), card(NO_FUNDS))
    with django_capture_on_commit_callbacks(execute=True):
        refund_create(merchant=None, payment_id=captured_payment.public_id, amount=250)
    client = login(manager)

    payments = client.get(reverse("admin:payments_payment_changelist")).content.decode()
    refunds = client.get(reverse("admin:payments_refund_changelist")).content.decode()

    assert '<span class="badge badge-danger">Declined</span>' in payments
    assert '<span class="badge badge-info">Partially Refunded</span>' in payments
    assert 'class="badge badge-test">Test</span>' in refunds
    assert "badge-success" in refunds or "badge-warning" in refunds


def test_a_mode_filter_value_that_is_not_one_lists_both_modes_labelled(login, manager, order):
    client = login(manager)
    page = client.get(reverse("admin:payments_order_changelist"), {"mode": "both"})
    nul = client.get(reverse("admin:payments_order_changelist"), {"mode": "live\x00"})

    assert page.status_code == 200
    assert [r for r in _rows(page.content.decode()) if "badge-test" in r] != []
    assert nul.status_code < 500
