"""Velocity counted in sliding windows (database, or Redis when configured) and block and allow
lists, as rules and the screening see them."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.risk.conftest import DE_IP, GB_IP, US_IP

pytestmark = pytest.mark.django_db


def features_of(payment_json) -> dict:
    from risk.models import Evaluation

    return Evaluation.objects.get(payment__public_id=payment_json["id"]).features


def test_a_rule_on_velocity_blocks_the_third_payment_of_a_card_within_the_hour(rule, pay_from):
    rule("card_attempts_1h >= 2", action="block", name="card velocity")

    first, second, third = (pay_from(amount=500) for _ in range(3))

    assert [first["status"], second["status"]] == ["captured", "captured"]
    assert third["decline_code"] == "blocked_by_rule"
    assert features_of(third)["card_attempts_1h"] == 2


def test_the_window_slides_counts_older_than_an_hour_drop_out(pay_from):
    start = timezone.now()
    with time_machine.travel(start):
        pay_from(amount=500)
    with time_machine.travel(start + timedelta(minutes=50)):
        pay_from(amount=500)
    with time_machine.travel(start + timedelta(minutes=70)):
        late = pay_from(amount=500)

    features = features_of(late)
    assert features["card_attempts_1h"] == 1  # the one 20 minutes before
    assert features["card_attempts_1d"] == 2


def test_declines_and_distinct_cards_are_counted_per_ip(pay_from):
    pay_from(number="4000000000009995", ip=GB_IP)  # no funds: declined
    pay_from(number="5555555555554444", ip=GB_IP)
    third = pay_from(ip=GB_IP)

    features = features_of(third)
    assert features["ip_attempts_1h"] == 2
    assert features["ip_declines_1h"] == 1
    assert features["ip_distinct_cards_1h"] == 2
    assert features_of(pay_from(ip=US_IP))["ip_attempts_1h"] == 0


def test_a_blocked_ip_range_and_country_are_refused_and_an_allowed_email_passes(
    api, rule, pay_from
):
    for body in (
        {"list": "block", "kind": "ip_range", "value": "198.51.100.0/24"},
        {"list": "block", "kind": "country", "value": "de"},
        {"list": "allow", "kind": "email", "value": "VIP@example.com"},
    ):
        assert api.post("/api/v1/risk/lists", body, format="json").status_code == 201

    assert pay_from(ip=GB_IP)["decline_code"] == "blocked_by_list"
    assert pay_from(ip=DE_IP)["decline_code"] == "blocked_by_list"
    assert pay_from(ip=DE_IP, email="vip@example.com")["status"] == "captured"
    assert pay_from(ip=US_IP)["status"] == "captured"


def test_a_list_entry_is_checked_and_can_be_removed(api, pay_from):
    bad = api.post(
        "/api/v1/risk/lists", {"list": "block", "kind": "ip", "value": "nope"}, format="json"
    )
    entry = api.post(
        "/api/v1/risk/lists", {"list": "block", "kind": "bin", "value": "424242"}, format="json"
    ).json()
    blocked = pay_from()
    removed = api.delete(f"/api/v1/risk/lists/{entry['id']}")

    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "value"
    assert blocked["decline_code"] == "blocked_by_list"
    assert removed.status_code == 204
    assert pay_from()["status"] == "captured"
    assert api.get("/api/v1/risk/lists").json()["data"] == []


def test_the_score_explains_its_top_features_in_words(pay_from):
    for _ in range(2):
        pay_from(number="4000000000009995", ip=DE_IP)

    payment = pay_from(amount=250000, ip=DE_IP)

    risk = payment["risk"]
    texts = " ".join(f["text"] for f in risk["top_features"])
    assert "issued in US but the shopper is in DE" in texts
    assert risk["score"] > 30
    assert risk["level"] in ("normal", "elevated", "highest")


def test_per_merchant_thresholds_and_a_highest_level_block(merchant, pay_from):
    from risk.models import RiskSettings

    RiskSettings.objects.create(
        merchant=merchant, elevated_threshold=5, highest_threshold=10, highest_action="block"
    )

    small = pay_from(amount=500, ip=US_IP)
    large = pay_from(amount=250000, ip=DE_IP)

    assert small["risk"]["level"] == "normal" and small["status"] == "captured"
    assert large["risk"]["level"] == "highest"
    assert large["decline_code"] == "highest_risk_level"


@pytest.mark.redis
def test_velocity_is_kept_in_redis_when_configured(rule, pay_from):
    from risk.models import VelocityEvent

    rule("card_attempts_1h >= 1 && ip_attempts_1h >= 1", action="block", mode="shadow")
    pay_from(number="5555555555554444", ip="192.0.2.77")
    second = pay_from(number="5555555555554444", ip="192.0.2.77")

    assert second["risk"]["rules"], "the second payment saw the first one's counts"
    assert not VelocityEvent.objects.exists()
