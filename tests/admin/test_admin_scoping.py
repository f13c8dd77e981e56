"""A merchant's staff see and act on their own merchant's records only, by any route."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import resolve, reverse
from django.utils import timezone

from tests.admin.conftest import totp_now
from tests.conftest import MASTERCARD, VISA, card, registered_admins


@pytest.fixture
def two_orders(make_order, pay, merchant, other_merchant):
    mine = make_order(reference="mine-001", customer_email="shopper@mine.test")
    pay(mine, card(VISA))
    theirs = make_order(
        merchant=other_merchant, reference="theirs-001", customer_email="buyer@theirs.test"
    )
    their_payment = pay(theirs, card(MASTERCARD))
    return mine, theirs, their_payment


def test_order_list_shows_only_own_merchants_orders(login, manager, two_orders):
    client = login(manager)

    page = client.get(reverse("admin:payments_order_changelist")).content.decode()

    assert "mine-001" in page
    assert "theirs-001" not in page


@pytest.mark.parametrize(
    "term", ["theirs-001", "buyer@theirs.test", "4444", "THEIR_ORDER_ID", "THEIR_PAYMENT_ID"]
)
def test_search_never_finds_another_merchants_order(login, manager, two_orders, term):
    mine, theirs, their_payment = two_orders
    term = {"THEIR_ORDER_ID": theirs.public_id, "THEIR_PAYMENT_ID": their_payment.public_id}.get(
        term, term
    )
    client = login(manager)

    response = client.get(reverse("admin:payments_order_changelist"), {"q": term})

    assert list(response.context["cl"].result_list) == []
    assert f"/order/{theirs.pk}/change/" not in response.content.decode()


def test_search_by_card_last4_finds_own_order(login, manager, two_orders):
    client = login(manager)

    page = client.get(reverse("admin:payments_order_changelist"), {"q": "4242"}).content.decode()

    assert "mine-001" in page


def test_merchant_filter_is_refused_to_merchant_staff(login, manager, two_orders, other_merchant):
    client = login(manager)
    url = reverse("admin:payments_order_changelist")

    page = client.get(url).content.decode()
    response = client.get(url, {"merchant__id__exact": other_merchant.pk}, follow=True)

    assert "By merchant" not in page
    assert "theirs-001" not in response.content.decode()


def test_platform_staff_see_every_merchant_and_filter_by_merchant(
    login, platform_user, two_orders, other_merchant
):
    client = login(platform_user)
    url = reverse("admin:payments_order_changelist")

    everything = client.get(url).content.decode()
    filtered = client.get(url, {"merchant__id__exact": other_merchant.pk}).content.decode()

    assert "mine-001" in everything and "theirs-001" in everything
    assert "By merchant" in everything
    assert "theirs-001" in filtered and "mine-001" not in filtered


def test_typed_urls_to_another_merchants_records_reveal_nothing(login, manager, two_orders):
    mine, theirs, their_payment = two_orders
    client = login(manager)

    urls = [
        reverse("admin:payments_order_change", args=[theirs.pk]),
        reverse("admin:payments_payment_change", args=[their_payment.pk]),
        reverse("admin:payments_merchant_change", args=[theirs.merchant_id]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 404), url
        assert "theirs-001" not in response.content.decode()
    refund = client.post(
        reverse("admin:payments_payment_refund", args=[their_payment.pk]),
        {"reason": "x", "otp_token": "000000"},
    )
    assert refund.status_code == 404
    assert not their_payment.refunds.exists()


def test_csv_export_respects_scope_and_filters(login, manager, two_orders, make_order):
    make_order(reference="mine-pending")
    client = login(manager)
    url = reverse("admin:payments_order_export")

    everything = b"".join(client.post(url, {"otp_token": totp_now(manager)}).streaming_content)
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):  # the next TOTP step
        paid = client.post(f"{url}?status__exact=paid", {"otp_token": totp_now(manager)})
        paid_only = b"".join(paid.streaming_content).decode()
    everything = everything.decode()

    assert "mine-001" in everything and "mine-pending" in everything
    assert "theirs-001" not in everything
    assert "mine-001" in paid_only and "mine-pending" not in paid_only


def test_csv_export_action_skips_other_merchants_ids(login, manager, two_orders):
    mine, theirs, _ = two_orders
    client = login(manager)

    response = client.post(
        reverse("admin:payments_order_changelist"),
        {
            "action": "export_selected_csv",
            "_selected_action": [mine.pk, theirs.pk],
            "otp_token": totp_now(manager),
        },
    )

    body = b"".join(response.streaming_content).decode()
    assert "mine-001" in body
    assert "theirs-001" not in body


def test_exporting_selected_orders_is_audited_like_exporting_the_list(login, manager, make_order):
    from backoffice.models import AuditLog

    orders = [make_order(), make_order()]
    client = login(manager)

    response = client.post(
        reverse("admin:payments_order_changelist"),
        {
            "action": "export_selected_csv",
            "_selected_action": [o.pk for o in orders],
            "otp_token": totp_now(manager),
        },
    )
    b"".join(response.streaming_content)

    entry = AuditLog.objects.get(action="orders.exported")
    assert entry.actor == manager
    assert entry.details == {"selected": True, "count": 2}


def test_csv_export_defuses_text_a_spreadsheet_would_run_as_a_formula(login, manager, make_order):
    """References come from merchants' servers and e-mails from shoppers: a cell starting with
    = + - @ is written with a leading quote, as the settlement report does."""
    import csv
    import io

    make_order(reference='=HYPERLINK("http://evil.example/","open")', customer_email="=2+5@x.test")
    client = login(manager)

    exported = client.post(reverse("admin:payments_order_export"), {"otp_token": totp_now(manager)})
    body = b"".join(exported.streaming_content)

    (row,) = list(csv.DictReader(io.StringIO(body.decode())))
    assert row["reference"] == '\'=HYPERLINK("http://evil.example/","open")'
    assert row["customer_email"] == "'=2+5@x.test"


def test_autocomplete_offers_only_own_records(login, manager, two_orders, merchant):
    client = login(manager)
    url = reverse("admin:autocomplete")

    orders = client.get(
        url, {"app_label": "payments", "model_name": "payment", "field_name": "order", "term": "0"}
    ).json()
    merchants = client.get(
        url, {"app_label": "payments", "model_name": "order", "field_name": "merchant", "term": ""}
    ).json()

    assert [r["text"] for r in orders["results"]] == [str(two_orders[0])]
    assert [r["id"] for r in merchants["results"]] == [str(merchant.pk)]


def test_merchant_staff_cannot_read_the_audit_log(login, manager):
    client = login(manager)

    response = client.get(reverse("admin:backoffice_auditlog_changelist"))

    assert response.status_code == 403


@pytest.fixture
def their_records(make_order, pay, other_merchant, django_capture_on_commit_callbacks):
    """Another merchant's authorized payment, API key and webhook endpoint with a delivery."""
    from payments.services import api_key_create
    from webhooks import services as webhooks
    from webhooks.models import WebhookDelivery

    with django_capture_on_commit_callbacks(execute=True):
        endpoint, _ = webhooks.webhook_endpoint_create(
            merchant=other_merchant,
            livemode=False,
            url="http://127.0.0.1:9/theirs",
            enabled_events=["*"],
        )
        payment = pay(make_order(merchant=other_merchant, capture_method="manual"), card(VISA))
    key, _ = api_key_create(merchant=other_merchant, name="their key")
    return {
        "payment": payment,
        "key": key,
        "endpoint": endpoint,
        "delivery": WebhookDelivery.objects.filter(endpoint=endpoint).first(),
    }


def test_actions_posted_with_another_merchants_ids_change_nothing(login, manager, their_records):
    from payments.models import ApiKey, Payment
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    payment, key = their_records["payment"], their_records["key"]
    endpoint, delivery = their_records["endpoint"], their_records["delivery"]
    secret_before = endpoint.secret_encrypted
    attempts_before = delivery.attempt_count
    client = login(manager)
    posts = [
        ("payments_payment", "capture_selected", payment.pk),
        ("payments_payment", "cancel_selected", payment.pk),
        ("payments_apikey", "revoke_keys", key.pk),
        ("webhooks_webhookendpoint", "rotate_secret", endpoint.pk),
        ("webhooks_webhookendpoint", "redeliver_failed", endpoint.pk),
        ("webhooks_webhookendpoint", "delete_selected", endpoint.pk),
        ("webhooks_webhookdelivery", "redeliver", delivery.pk),
    ]

    pages = [
        client.post(
            reverse(f"admin:{name}_changelist"),
            {"action": action, "_selected_action": [pk], "post": "yes"},
            follow=True,
        ).content.decode()
        for name, action, pk in posts
    ]

    assert Payment.objects.get(pk=payment.pk).status == "authorized"
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret_encrypted == secret_before
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempt_count == attempts_before
    assert not any("whsec_" in page or "127.0.0.1:9/theirs" in page for page in pages)


def test_no_change_list_shows_another_merchants_records_even_in_facet_counts(
    login, manager, two_orders, their_records, other_merchant
):
    """Every page merchant staff may list, with facet counts on (?_facets=1), shows none of
    another merchant's ids, references or URLs; and a facet count never exceeds own rows."""

    _, theirs, their_payment = two_orders
    marks = [
        theirs.public_id,
        theirs.reference,
        "buyer@theirs.test",
        their_payment.public_id,
        their_records["payment"].public_id,
        their_records["key"].prefix,
        their_records["endpoint"].public_id,
        "127.0.0.1:9/theirs",
        other_merchant.name,
        other_merchant.public_id,
    ]
    client = login(manager)
    listed = 0

    for model, _ in registered_admins():
        opts = model._meta
        response = client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"_facets": "1"}
        )
        if response.status_code == 403:
            continue
        listed += 1
        page = response.content.decode()
        assert [m for m in marks if m in page] == [], opts.label
        total = response.context["cl"].full_result_count
        counts = [int(n) for n in re.findall(r"\((\d+)\)</a>", page)]
        assert all(n <= total for n in counts), opts.label

    assert listed >= 10


def test_a_viewer_is_offered_no_action_only_a_manager_may_take(login, viewer, manager):
    from django.test import Client

    manager_only = {
        "payments_payment": {"capture_selected", "cancel_selected"},
        "payments_apikey": {"revoke_keys"},
        "webhooks_webhookendpoint": {"rotate_secret", "redeliver_failed"},
        "webhooks_webhookdelivery": {"redeliver"},
    }
    viewer_client = login(viewer)
    manager_client = login(manager, the_client=Client())

    def offered(client, name):
        form = client.get(reverse(f"admin:{name}_changelist")).context["action_form"]
        return {value for value, _ in form.fields["action"].choices} if form else set()

    for name, actions in manager_only.items():
        assert offered(viewer_client, name) & actions == set(), name
        assert actions <= offered(manager_client, name), name
    assert "export_selected_csv" in offered(viewer_client, "payments_order")


def test_changing_a_membership_changes_its_role_and_never_moves_it_to_another_merchant(
    login, platform_user, manager, merchant, other_merchant
):
    from backoffice.access import merchant_ids_for
    from payments.models import MerchantMembership

    membership = MerchantMembership.objects.get(user=manager)
    client = login(platform_user)

    response = client.post(
        reverse("admin:payments_merchantmembership_change", args=[membership.pk]),
        {
            "user": manager.pk,
            "merchant": other_merchant.pk,
            "role": "viewer",
            "otp_token": totp_now(platform_user),
        },
    )

    assert response.status_code == 302
    assert list(
        MerchantMembership.objects.filter(user=manager).values_list("merchant", "role")
    ) == [(merchant.pk, "viewer")]
    assert merchant_ids_for(manager, role="manager") == []
    assert other_merchant.pk not in merchant_ids_for(manager)


def test_the_content_type_shortcut_does_not_exist(login, manager, two_orders):
    """/admin/r/<ct>/<pk>/ told staff whether another merchant's object existed."""
    from django.contrib.contenttypes.models import ContentType

    client = login(manager)
    theirs = two_orders[1]
    content_type = ContentType.objects.get_for_model(theirs)

    address = f"/admin/r/{content_type.pk}/{theirs.pk}/"
    response = client.get(address)

    assert response.status_code == 404
    # Gone, not answering one way for objects that exist and another for those that do not.
    assert resolve(address).url_name != "view_on_site"
