"""A merchant's risk configuration and webhook endpoints are read once per version, and every
change of them applies to the very next payment (``payments.config_cache``)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.models import Event
from risk.models import RiskSettings, Rule, ScoreModel
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .conftest import DE_IP

pytestmark = pytest.mark.django_db

CONFIG_TABLES = [
    model._meta.db_table for model in (RiskSettings, Rule, ScoreModel, WebhookEndpoint)
]
ENDPOINTS = "/api/v1/webhook-endpoints"


def _tables_read(queries) -> set[str]:
    return {
        table
        for query in queries
        if query["sql"].startswith("SELECT")
        for table in CONFIG_TABLES
        if f'FROM "{table}"' in query["sql"]
    }


def _paid_with_queries(pay_from, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        payment = pay_from(**kwargs)
    return payment, _tables_read(queries.captured_queries)


def test_the_second_payment_reads_none_of_the_merchants_configuration(pay_from):
    _, first = _paid_with_queries(pay_from)
    _, second = _paid_with_queries(pay_from)

    assert first == set(CONFIG_TABLES)
    assert second == set()


def test_a_change_is_read_once_by_the_next_payment(rule, pay_from):
    pay_from()
    rule("amount > 100000", action="block", mode="shadow")

    _, after_change = _paid_with_queries(pay_from)
    _, next_one = _paid_with_queries(pay_from)

    assert after_change == set(CONFIG_TABLES)
    assert next_one == set()


def test_a_rule_added_after_a_payment_blocks_the_next_one(rule, pay_from):
    assert pay_from(amount=150000)["status"] == "captured"

    rule("amount > 100000", action="block")

    assert pay_from(amount=150000)["decline_code"] == "blocked_by_rule"


def test_a_rule_written_elsewhere_applies_to_the_next_request(merchant, pay_from):
    assert pay_from(amount=150000)["status"] == "captured"

    # As another process would: by the merchant's id, no merchant object in common.
    Rule.objects.create(
        merchant_id=merchant.pk,
        livemode=False,
        name="big",
        expression="amount > 100000",
        action=Rule.Action.BLOCK,
        mode=Rule.Mode.ACTIVE,
    )

    assert pay_from(amount=150000)["decline_code"] == "blocked_by_rule"


def test_a_disabled_rule_blocks_no_more(api, rule, pay_from):
    made = rule("amount > 100000", action="block")
    assert pay_from(amount=150000)["decline_code"] == "blocked_by_rule"

    url = f"/api/v1/risk/rules/{made['id']}"
    assert api.patch(url, {"mode": "disabled"}, format="json").status_code == 200

    assert pay_from(amount=150000)["status"] == "captured"


def test_new_risk_settings_apply_to_the_next_payment(merchant, pay_from):
    assert pay_from(amount=150000, ip=DE_IP)["status"] == "captured"

    RiskSettings.objects.create(
        merchant_id=merchant.pk,
        elevated_threshold=1,
        highest_threshold=2,
        highest_action=RiskSettings.LevelAction.BLOCK,
    )

    assert pay_from(amount=150000, ip=DE_IP)["decline_code"] == "highest_risk_level"


def _deliveries_of(payment) -> int:
    events = Event.objects.filter(object_id__in=[payment["id"], payment["order"]])
    return WebhookDelivery.objects.filter(event__in=events).count()


def test_an_endpoint_added_after_a_payment_gets_the_next_payments_events(api, pay_from):
    before = pay_from()
    created = api.post(
        ENDPOINTS, {"url": "https://example.com/hook", "enabled_events": ["*"]}, format="json"
    )
    assert created.status_code == 201, created.content

    after = pay_from()

    assert _deliveries_of(before) == 0
    # payment.created, .authorized, .captured; order.created, .paid
    assert _deliveries_of(after) == 5


def test_a_disabled_endpoint_gets_no_more_events(api, pay_from):
    created = api.post(
        ENDPOINTS, {"url": "https://example.com/hook", "enabled_events": ["*"]}, format="json"
    ).json()
    assert _deliveries_of(pay_from()) == 5

    api.patch(f"{ENDPOINTS}/{created['id']}", {"enabled": False}, format="json")

    assert _deliveries_of(pay_from()) == 0


def test_saving_a_merchant_read_before_a_change_does_not_bring_back_the_old_rules(
    merchant, rule, pay_from
):
    pay_from(amount=150000)  # the rules (none) kept under the merchant's version
    stale = type(merchant).objects.get(pk=merchant.pk)
    rule("amount > 100000", action="block")

    stale.name = "Renamed"
    stale.save()  # the whole row, from before the rule

    assert pay_from(amount=150000)["decline_code"] == "blocked_by_rule"
