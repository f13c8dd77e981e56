"""The back office in headless Chromium: every list fits a 1280 px screen, no page scrolls sideways
on a 360 px phone (a wide results table scrolls inside its own box), no console error (favicon
included), screenshots of the main pages at 1280 and 360 px in
test-output/screenshots/admin-*.png."""

import os
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.urls import reverse

from tests.conftest import CHROMIUM, event_deliveries, registered_admins

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SHOTS = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "screenshots"
WIDTHS = (1280, 360)


@pytest.fixture
def busy_merchant(make_order, pay, merchant, django_capture_on_commit_callbacks):
    """Orders with long references and e-mails, a settled batch, webhook deliveries, audit."""
    from datetime import UTC, datetime

    from payments.models import Event
    from settlement.services import cutoff_for, settlement_run
    from tests.conftest import bank_transfer
    from webhooks.services import webhook_endpoint_create

    merchant.name = "Northwind Speciality Coffee Roasters International"
    merchant.save()
    endpoint, _ = webhook_endpoint_create(
        merchant=merchant,
        livemode=False,
        url="https://hooks.northwind-coffee-roasters.example.com/payments/webhooks/v2/incoming",
        enabled_events=["*"],
    )
    with time_machine.travel(datetime(2026, 11, 23, 12, tzinfo=UTC), tick=False):
        for n in range(4):
            order = make_order(
                reference=f"NW-2026-11-23-WEBSHOP-ORDER-{n:05d}-EXPRESS-DELIVERY",
                customer_email=f"very.long.customer.name.{n}@northwind-coffee-roasters.example",
                description="Ethiopia Yirgacheffe beans, 250 g, and a ceramic pour-over dripper",
            )
            pay(order)
        pending = pay(make_order(reference="NW-TRANSFER-1"), bank_transfer())
    with django_capture_on_commit_callbacks(execute=True):
        for event in Event.objects.filter(merchant=merchant)[:6]:
            event_deliveries(event.pk)
    cutoff = cutoff_for(date(2026, 11, 24))
    with (
        time_machine.travel(cutoff, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (batch,) = settlement_run(cutoff=cutoff)
    return {"merchant": merchant, "batch": batch, "endpoint": endpoint, "pending": pending}


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _signed_in_context(browser, live_server, client, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context


def _visit(page, url, name, shoot):
    page.goto(url)
    if shoot:  # the pages named in the test; the rest of the change lists are only measured
        SHOTS.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(SHOTS / f"admin-{name}-{width}.png"), full_page=True)


def test_admin_lists_fit_1280_pixels_and_no_page_scrolls_sideways_at_360(
    browser, live_server, client, login, make_staff, busy_merchant
):
    from backoffice.audit import audit_record
    from webhooks.models import WebhookDelivery

    platform = make_staff(superuser=True)
    login(platform)
    request = type("R", (), {"user": platform, "META": {"REMOTE_ADDR": "203.0.113.77"}})()
    for _ in range(3):
        audit_record(
            request=request,
            action="webhook_endpoint.redelivered",
            obj=busy_merchant["endpoint"],
            details={"url_host": "hooks.northwind-coffee-roasters.example.com"},
        )
    batch, pending = busy_merchant["batch"], busy_merchant["pending"]
    deliveries = WebhookDelivery.objects.order_by("-id")
    delivery = deliveries.filter(event__type="order.paid").first() or deliveries.first()
    pages = {
        "landing": "/",
        "dashboard": "/admin/",
        "orders": "/admin/payments/order/",
        "order": f"/admin/payments/order/{pending.order_id}/change/",
        "payments": "/admin/payments/payment/",
        "deliveries": "/admin/webhooks/webhookdelivery/",
        "endpoints": "/admin/webhooks/webhookendpoint/",
        "audit": "/admin/backoffice/auditlog/",
        "batches": "/admin/settlement/settlementbatch/",
        "batch": f"/admin/settlement/settlementbatch/{batch.pk}/change/",
        "payouts": "/admin/settlement/payout/",
        "apikey": "/admin/payments/apikey/add/",
        "refunds": "/admin/payments/refund/",
        "event": f"/admin/payments/event/{delivery.event_id}/change/",
        "delivery": f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/",
    }
    fitting_1280 = set(pages)
    # ...and every other change list of the site, so that none scrolls sideways on a phone (their
    # tables may be wider than 1280 px: they scroll in their own box there too).
    for model, model_admin in registered_admins():
        if model_admin.has_view_permission(request):
            opts = model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            if url not in pages.values():
                pages[f"{opts.app_label}-{opts.model_name}"] = url
    problems, overflowing = [], {}
    current = {}  # the page being visited, for the console's errors
    for width in WIDTHS:
        context = _signed_in_context(browser, live_server, client, width)
        page = context.new_page()  # one tab per width, page after page
        page.on(
            "console",
            lambda m: (
                problems.append(f"{current['name']}: {m.text} {m.location}")
                if m.type == "error"
                else None
            ),
        )
        for name, path in pages.items():
            current["name"] = name
            _visit(page, live_server.url + path, name, shoot=name in fitting_1280)
            sizes = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth,"
                " (document.querySelector('#result_list')||{}).scrollWidth || 0,"
                " (document.querySelector('.results')||{}).clientWidth || 0,"
                " getComputedStyle(document.querySelector('.results')||document.body).overflowX]"
            )
            # At 1280 px the chosen lists' tables fit as well; at 360 px a table may scroll in
            # its own box, but the page itself never scrolls sideways.
            table_overflows = width == 1280 and name in fitting_1280 and sizes[2] > sizes[3]
            # A table wider than its box must scroll there, not be cut off.
            table_cut = sizes[2] > sizes[3] and sizes[4] not in ("auto", "scroll")
            if sizes[0] > sizes[1] or table_overflows or table_cut:
                overflowing[f"{name}-{width}"] = sizes
        context.close()

    assert overflowing == {}
    assert problems == []
