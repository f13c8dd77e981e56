"""Backtests over stored and synthetic payments, the history generator and the trained score."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.risk.conftest import DE_IP

pytestmark = pytest.mark.django_db

RULE = "card_country != ip_country && amount > 100000"


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def history(merchant):
    call_command("risk_generate_history", merchant.public_id, "--count", "3000", "--seed", "7")
    from risk.models import SyntheticPayment

    return SyntheticPayment.objects.filter(merchant=merchant)


def test_the_generator_writes_labelled_scenarios(history):
    scenarios = {row.scenario for row in history}
    assert history.count() == 3000
    assert scenarios == {"good", "stolen_card", "card_testing"}
    assert history.filter(fraud=True, scenario="good").count() == 0
    assert 0 < history.filter(fraud=True).count() < 300


def test_a_backtest_reports_precision_recall_and_amounts_against_the_labels(api, rule, history):
    made = rule(RULE, action="block", mode="shadow")
    now = timezone.now()
    body = {"since": iso(now - timedelta(days=31)), "until": iso(now + timedelta(minutes=1))}

    result = api.post(f"/api/v1/risk/rules/{made['id']}/backtest", body, format="json").json()

    def hit(f):
        return f["card_country"] != f["ip_country"] and f["amount"] > 100000

    matched = [row for row in history if hit(row.features)]
    fraud = [row for row in history if row.fraud]
    caught = [row for row in matched if row.fraud]
    assert result["payments"] == 3000
    assert result["matched"] == len(matched) > 0
    assert result["would_have"] == "blocked"
    assert result["precision"] == round(len(caught) / len(matched), 4)
    assert result["recall"] == round(len(caught) / len(fraud), 4)
    assert result["fraud_amount_stopped"] == {"USD": sum(r.amount for r in caught)}
    lost = sum(r.amount for r in matched if not r.fraud and r.captured)
    assert result["good_volume_lost"] == ({"USD": lost} if lost else {})


def test_a_backtest_counts_real_payments_refunded_as_fraud(api, rule, pay_from):
    from payments.models import Merchant
    from payments.services import refund_create

    made = rule("amount > 100000", action="review", mode="shadow")
    fraud = pay_from(amount=150000, ip=DE_IP)
    pay_from(amount=150000)  # matched, not fraud
    pay_from(amount=500)  # neither
    merchant = Merchant.objects.get(payments__public_id=fraud["id"])
    refund_create(merchant=merchant, payment_id=fraud["id"], reason="fraudulent")
    now = timezone.now()
    body = {"since": iso(now - timedelta(hours=1)), "until": iso(now + timedelta(hours=1))}

    result = api.post(f"/api/v1/risk/rules/{made['id']}/backtest", body, format="json").json()

    assert (result["payments"], result["matched"], result["matched_fraud"]) == (3, 2, 1)
    assert result["would_have"] == "sent_to_review"
    assert (result["precision"], result["recall"]) == (0.5, 1.0)
    assert result["good_volume_lost"] == {"USD": 150000}


def test_a_backtest_of_a_bad_period_is_a_field_error(api, rule):
    made = rule(RULE)
    now = iso(timezone.now())

    response = api.post(
        f"/api/v1/risk/rules/{made['id']}/backtest", {"since": now, "until": now}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "until"


def test_the_backtest_command_prints_the_same_report(rule, history, capsys):
    import json

    made = rule(RULE)

    call_command("risk_backtest", made["id"], "--days", "31")

    report = json.loads(capsys.readouterr().out)
    assert report["payments"] == 3000 and report["precision"] is not None


def test_a_trained_model_scores_new_payments_and_explains_them(merchant, history, pay_from):
    from risk.models import ScoreModel

    call_command("risk_train", merchant.public_id, "--days", "31")

    model = ScoreModel.objects.get(merchant=merchant)
    assert model.weights["country_mismatch"] > 0
    risky = pay_from(amount=250000, ip=DE_IP, email="x@mailinator.com")
    calm = pay_from(amount=2500)
    assert risky["risk"]["model"] == model.version
    assert risky["risk"]["score"] > calm["risk"]["score"]
    texts = [f["text"] for f in risky["risk"]["top_features"]]
    assert any("throw-away" in t or "issued in US" in t or "large" in t for t in texts)
