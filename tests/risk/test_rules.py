"""Rules written by merchants in CEL: checked when saved, versioned, evaluated before routing."""

import pytest

from tests.risk.conftest import DE_IP, GB_IP, US_IP

pytestmark = pytest.mark.django_db

MISMATCH = "card_country != ip_country && amount > 100000"


def test_an_active_rule_blocks_a_payment_before_the_institution_is_asked(rule, pay_from):
    from institutions.models import SandboxAuthorization

    made = rule(MISMATCH, action="block", mode="active", name="Foreign large")

    payment = pay_from(amount=150000, ip=DE_IP)  # a US card (4242) paid from Germany

    assert payment["status"] == "declined"
    assert payment["decline_code"] == "blocked_by_rule"
    risk = payment["risk"]
    assert risk["decision"] == "block"
    assert risk["card_country"] == "US" and risk["ip_country"] == "DE"
    assert risk["rules"] == [
        {
            "id": made["id"],
            "name": "Foreign large",
            "version": 1,
            "action": "block",
            "mode": "active",
            "points": 0,
            "matched": True,
        }
    ]
    assert not SandboxAuthorization.objects.exists()  # nothing was sent


def test_the_same_rule_in_shadow_mode_is_recorded_and_lets_the_payment_pass(rule, pay_from):
    made = rule(MISMATCH, action="block", mode="shadow")

    payment = pay_from(amount=150000, ip=DE_IP)

    assert payment["status"] == "captured"
    assert payment["risk"]["decision"] == "allow"
    assert [(r["id"], r["mode"]) for r in payment["risk"]["rules"]] == [(made["id"], "shadow")]


def test_the_rule_does_not_match_a_small_or_domestic_payment(rule, pay_from):
    rule(MISMATCH, action="block")

    assert pay_from(amount=150000, ip=US_IP)["status"] == "captured"
    assert pay_from(amount=5000, ip=GB_IP)["status"] == "captured"


def test_a_blocked_payment_is_shown_with_its_risk_in_the_api_and_its_webhook_event(
    api, rule, pay_from
):
    rule(MISMATCH, action="block")
    payment = pay_from(amount=150000, ip=DE_IP)

    fetched = api.get(f"/api/v1/payments/{payment['id']}").json()
    listed = api.get("/api/v1/payments").json()["data"][0]
    events = api.get("/api/v1/events", {"type": "payment.declined"}).json()["data"]

    assert fetched["risk"]["decision"] == listed["risk"]["decision"] == "block"
    assert events[0]["data"]["object"]["risk"]["decision"] == "block"


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("amount >", "not a valid CEL expression"),
        ("amount > 100 && shoe_size > 3", "Unknown feature 'shoe_size'"),
        ('amount > "100"', "different types"),
        ("amount + 1", "true or false"),
        ("now() > 1", "Unknown function 'now'"),
        ("", ""),
    ],
)
def test_a_bad_expression_is_refused_at_save_with_a_field_error(api, expression, says):
    body = {"name": "bad", "expression": expression, "action": "block"}

    response = api.post("/api/v1/risk/rules", body, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"] == "expression"
    assert says in errors[0]["message"]


def test_changing_a_rule_keeps_its_versions_and_payments_name_the_version_used(api, rule, pay_from):
    made = rule("amount > 100000", action="block", mode="shadow")
    first = pay_from(amount=150000)
    response = api.patch(
        f"/api/v1/risk/rules/{made['id']}", {"expression": "amount > 120000"}, format="json"
    )
    second = pay_from(amount=150000)

    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert first["risk"]["rules"][0]["version"] == 1
    assert second["risk"]["rules"][0]["version"] == 2
    versions = api.get(f"/api/v1/risk/rules/{made['id']}/versions").json()["data"]
    assert [(v["version"], v["expression"]) for v in versions] == [
        (2, "amount > 120000"),
        (1, "amount > 100000"),
    ]


def test_a_patch_with_a_bad_expression_changes_nothing(api, rule):
    made = rule("amount > 100000")

    response = api.patch(
        f"/api/v1/risk/rules/{made['id']}", {"expression": "amount >>"}, format="json"
    )

    assert response.status_code == 400
    assert api.get(f"/api/v1/risk/rules/{made['id']}").json()["version"] == 1


def test_rules_are_the_merchants_own(api, other_api, rule):
    made = rule("amount > 100000")

    assert other_api.get(f"/api/v1/risk/rules/{made['id']}").status_code == 404
    assert other_api.get("/api/v1/risk/rules").json()["data"] == []
    assert [r["id"] for r in api.get("/api/v1/risk/rules").json()["data"]] == [made["id"]]


def test_an_allow_rule_wins_over_a_block_rule(rule, pay_from):
    rule("amount > 100000", action="block")
    rule('ip_country == "DE"', action="allow")

    payment = pay_from(amount=150000, ip=DE_IP)

    assert payment["status"] == "captured"
    assert payment["risk"]["decision"] == "allow"


def test_a_review_rule_authorizes_but_does_not_capture(rule, pay_from):
    rule("amount > 100000", action="review")

    payment = pay_from(amount=150000)

    assert payment["status"] == "authorized"
    assert payment["risk"]["decision"] == "review"


def test_a_request_otp_rule_asks_for_a_code_before_routing_then_pays(
    api, rule, pay_from, sandbox_otp_code, django_capture_on_commit_callbacks
):
    from payments.models import Payment

    rule("amount > 100000", action="request_otp")

    payment = pay_from(amount=150000, email="ada@example.com")

    assert payment["status"] == "requires_action"
    assert payment["next_action"]["type"] == "otp"
    code = sandbox_otp_code(Payment.objects.get(public_id=payment["id"]))
    with django_capture_on_commit_callbacks(execute=True):
        done = api.post(f"/api/v1/payments/{payment['id']}/otp", {"code": code}, format="json")
    assert done.json()["status"] == "captured"


# --- points: rules that add to the score ---------------------------------------------------------


def test_the_points_of_an_active_rule_add_to_the_score_and_are_explained(rule, pay_from):
    made = rule("amount > 1000", action="allow", name="Big basket", **{"points": 40})
    assert made["points"] == 40

    risk = pay_from(amount=5000, ip=US_IP)["risk"]

    assert risk["rule_points"] == 40
    assert risk["score"] == min(100, risk["model_score"] + 40)
    first = risk["top_features"][0]
    assert first["feature"] == "rule" and first["rule"] == made["id"] and first["points"] == 40
    assert first["text"] == "The rule 'Big basket' matched and added 40 points."
    assert risk["rules"][0]["points"] == 40


def test_negative_points_take_off_and_the_score_stays_within_0_to_100(rule, pay_from):
    rule("amount > 0", action="allow", name="Trusted", points=-100)
    rule("amount > 0", action="allow", name="Also trusted", points=-1)

    risk = pay_from(amount=5000, ip=DE_IP)["risk"]

    assert risk["model_score"] > 0 and risk["rule_points"] == -101
    assert risk["score"] == 0
    texts = [f["text"] for f in risk["top_features"] if f["feature"] == "rule"]
    assert texts == [
        "The rule 'Trusted' matched and took off 100 points.",
        "The rule 'Also trusted' matched and took off 1 point.",
    ]


def test_points_of_a_shadow_rule_or_a_rule_that_does_not_match_add_nothing(rule, pay_from):
    rule("amount > 0", action="allow", mode="shadow", points=90)
    rule("amount > 99999999", action="allow", points=90)

    risk = pay_from(amount=5000, ip=US_IP)["risk"]

    assert risk["rule_points"] == 0 and risk["score"] == risk["model_score"]
    assert not [f for f in risk["top_features"] if f["feature"] == "rule"]


def test_points_can_lift_a_payment_to_the_highest_level_and_its_action(merchant, rule, pay_from):
    from risk.models import RiskSettings

    RiskSettings.objects.create(merchant=merchant, highest_threshold=75, highest_action="block")
    assert pay_from(amount=2000, ip=US_IP)["status"] == "captured"
    rule("email_domain == 'fraud.example'", action="review", name="Known bad domain", points=100)

    payment = pay_from(amount=2000, ip=US_IP, email="x@fraud.example")

    assert payment["status"] == "declined" and payment["decline_code"] == "highest_risk_level"
    assert payment["risk"]["score"] == 100 and payment["risk"]["level"] == "highest"


def test_points_are_set_and_changed_through_the_api_and_versioned(api, rule):
    made = rule("amount > 0", action="review")
    assert made["points"] == 0

    changed = api.patch(f"/api/v1/risk/rules/{made['id']}", {"points": -25}, format="json")

    assert changed.status_code == 200 and changed.json()["points"] == -25
    assert changed.json()["version"] == 2
    versions = api.get(f"/api/v1/risk/rules/{made['id']}/versions").json()["data"]
    assert [v["points"] for v in versions] == [-25, 0]
    for bad in (101, -101, "10", 1.5, True, None):
        refused = api.patch(f"/api/v1/risk/rules/{made['id']}", {"points": bad}, format="json")
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["field"] == "points"
