"""The screening of a payment before routing (registered in ``payments.screening``).

In order: the features and velocity counts, the model's score, the rules (whose points the active
ones that match add to the score), the lists, then the rules by action in the order
``request_otp``, ``allow``, ``block``, ``review`` (an allow stops blocks and reviews; a
block stops reviews); shadow rules are evaluated and recorded but never act. The evaluation is
written with the payment, in its transaction, and the attempt counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from payments.config_cache import merchant_config
from payments.screening import ALLOW, Verdict

from .. import scoring, velocity
from ..context import shopper_current
from ..expressions import matches, plain
from ..features import base_features, velocity_features, velocity_keys
from ..models import Evaluation, ListEntry, RiskSettings, Rule
from . import lists
from .models import model_current

Decision = Evaluation.Decision
BLOCKED_BY_RULE = "blocked_by_rule"
BLOCKED_BY_LIST = "blocked_by_list"
CARD_TESTING = "card_testing"
HIGHEST_RISK = "highest_risk_level"
MESSAGES = {
    BLOCKED_BY_RULE: "The merchant's fraud rules do not accept this payment.",
    BLOCKED_BY_LIST: "The merchant does not accept payments from this card, address or place.",
    CARD_TESTING: (
        "Too many declined payments came from here in a short time; payments are paused for a "
        "while. Nothing was charged."
    ),
    HIGHEST_RISK: "This payment was judged too risky to accept. Nothing was charged.",
}


@dataclass
class Outcome:
    decision: str = Decision.ALLOW
    reason: str = ""
    decline_code: str = ""
    request_otp: bool = False
    matched: list[dict] = field(default_factory=list)


def settings_for(merchant) -> RiskSettings:
    """Return the merchant's risk settings, or the defaults (unsaved) if it has none."""

    def load() -> RiskSettings:
        return RiskSettings.objects.filter(merchant_id=merchant.pk).first() or RiskSettings(
            merchant_id=merchant.pk
        )

    # The same for both modes: kept once, under test mode.
    return merchant_config(merchant, "risk.settings", False, load)


def payment_screen(*, payment, order, card) -> Verdict:
    """Evaluate ``payment`` before routing, store the evaluation, and return the verdict."""
    scope = {"merchant_id": payment.merchant_id, "livemode": payment.livemode}
    features = base_features(payment=payment, order=order, card=card, shopper=shopper_current())
    keys = list(velocity_keys(features).values())
    evaluation, verdict = screened(
        payment=payment, features=features, counts=velocity.counts_read(**scope, keys=keys)
    )
    velocity.attempt_record(
        **scope, keys=keys, card=features["card_fingerprint"], ref=payment.public_id
    )
    evaluation.save(force_insert=True)
    return verdict


def screened(
    *, payment, features: dict, counts: dict, entries: list[ListEntry] | None = None
) -> tuple[Evaluation, Verdict]:
    """Score and decide ``payment`` from its base ``features`` and velocity ``counts`` (and the
    list ``entries`` matching it, when read already); return its unsaved evaluation and the
    verdict. One place for the single and the batch screening."""
    # The merchant's configuration, read once per process and version (``config_cache``).
    merchant = payment.merchant
    config = settings_for(merchant)
    features.update(velocity_features(velocity_keys(features), counts))
    model = merchant_config(
        merchant,
        "risk.model",
        payment.livemode,
        lambda: model_current(merchant_id=payment.merchant_id, livemode=payment.livemode),
    )
    model_score, reasons = scoring.score(model, features)
    features["risk_score"] = model_score
    outcome = Outcome()
    rules = merchant_config(merchant, "risk.rules", payment.livemode, lambda: rules_for(payment))
    fired = rules_matched(rules, features, outcome.matched)
    active = [rule for rules in fired.values() for rule in rules]
    features["rule_points"] = sum(rule.points for rule in active)
    score, reasons = scoring.rule_points_add(model_score, reasons, active)
    level = scoring.level(
        score, elevated=config.elevated_threshold, highest=config.highest_threshold
    )
    decide(
        payment=payment,
        features=features,
        level=level,
        config=config,
        fired=fired,
        outcome=outcome,
        entries=entries,
    )
    evaluation = Evaluation(
        payment=payment,
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
        score=score,
        level=level,
        decision=outcome.decision,
        reason=outcome.reason[:200],
        features=features,
        matched_rules=outcome.matched,
        top_features=reasons,
        model_version=model.version,
    )
    if outcome.decision == Decision.BLOCK:
        code = outcome.decline_code
        return evaluation, Verdict(block=True, decline_code=code, message=MESSAGES[code])
    if outcome.request_otp and payment.method_type == "card":
        return evaluation, Verdict(request_otp=True)
    return evaluation, ALLOW


def rules_for(payment) -> list[Rule]:
    """The merchant's rules evaluated on ``payment`` (active and shadow), oldest first."""
    return list(
        Rule.objects.filter(
            merchant_id=payment.merchant_id,
            livemode=payment.livemode,
            mode__in=[Rule.Mode.ACTIVE, Rule.Mode.SHADOW],
        ).order_by("created", "id")
    )


def decide(
    *,
    payment,
    features: dict,
    level: str,
    config: RiskSettings,
    fired: dict[str, list[Rule]],
    outcome: Outcome,
    entries: list[ListEntry] | None = None,
) -> Outcome:
    """Decide for ``features`` given the active rules that ``fired``: lists (``entries``, the
    matching ones, read here unless given), the card-testing guard, rules, the level;
    ``outcome`` already holds the matched rules."""
    outcome.request_otp = bool(fired[Rule.Action.REQUEST_OTP])
    if entries is None:
        entries = lists.entries_matching(
            merchant_id=payment.merchant_id, livemode=payment.livemode, features=features
        )
    allowed = next((e for e in entries if e.list == ListEntry.List.ALLOW), None)
    if allowed is not None or fired[Rule.Action.ALLOW]:
        outcome.reason = (
            f"Allowed by the list ({allowed.kind} {allowed.value})"
            if allowed is not None
            else f"Allowed by rule {fired[Rule.Action.ALLOW][0].name!r}"
        )
        return outcome
    blocked = next((e for e in entries if e.list == ListEntry.List.BLOCK), None)
    if blocked is None and config.card_testing_guard:
        blocked = lists.card_testing_guard(payment=payment, features=features)
    if blocked is not None:
        code = CARD_TESTING if blocked.source == ListEntry.Source.CARD_TESTING else BLOCKED_BY_LIST
        return _block(outcome, code, f"Blocked by the list ({blocked.kind}): {blocked.reason}")
    if fired[Rule.Action.BLOCK]:
        return _block(
            outcome, BLOCKED_BY_RULE, f"Blocked by rule {fired[Rule.Action.BLOCK][0].name!r}"
        )
    level_action = {
        "highest": config.highest_action,
        "elevated": config.elevated_action,
    }.get(level, RiskSettings.LevelAction.NONE)
    if level_action == RiskSettings.LevelAction.BLOCK:
        return _block(outcome, HIGHEST_RISK, f"Blocked: {level} risk score")
    if fired[Rule.Action.REVIEW]:
        outcome.decision = Decision.REVIEW
        outcome.reason = f"Sent to review by rule {fired[Rule.Action.REVIEW][0].name!r}"
    elif level_action == RiskSettings.LevelAction.REVIEW:
        outcome.decision, outcome.reason = Decision.REVIEW, f"Sent to review: {level} risk score"
    elif outcome.request_otp:
        outcome.decision = Decision.REQUEST_OTP
        outcome.reason = f"Verification asked by rule {fired[Rule.Action.REQUEST_OTP][0].name!r}"
    return outcome


def _block(outcome: Outcome, code: str, reason: str) -> Outcome:
    outcome.decision, outcome.decline_code, outcome.reason = Decision.BLOCK, code, reason
    return outcome


def rules_matched(rules: list[Rule], features: dict, matched: list[dict]) -> dict[str, list[Rule]]:
    """Evaluate every rule; append each match (and each failure) to ``matched``; return the
    active rules that matched, by action."""
    values = plain(features)
    fired: dict[str, list[Rule]] = {action: [] for action in Rule.Action.values}
    for rule in rules:
        hit, error = matches(rule.expression, values)
        if not hit and not error:
            continue
        record = {
            "id": rule.public_id,
            "name": rule.name,
            "version": rule.version,
            "action": rule.action,
            "mode": rule.mode,
            "points": rule.points,  # added to the score only when active
        }
        if error:
            matched.append({**record, "matched": False, "error": error})
            continue
        matched.append({**record, "matched": True})
        if rule.mode == Rule.Mode.ACTIVE:
            fired[rule.action].append(rule)
    return fired
