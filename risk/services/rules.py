"""Rules: created and changed by merchants, each change kept as a new version."""

from __future__ import annotations

from django.db import transaction

from payments.errors import QuotaExceeded, ValidationFailed
from payments.validation import FieldError

from ..expressions import ExpressionError, compile_expression
from ..models import Rule, RuleVersion

RULES_MAX = 200  # per merchant and mode: each one is evaluated on every payment


def _expression_checked(expression: str) -> str:
    try:
        compile_expression(expression)
    except ExpressionError as err:
        raise ValidationFailed([FieldError("expression", "invalid_expression", str(err))]) from None
    return expression


def _name_checked(name: str) -> str:
    limit = Rule._meta.get_field("name").max_length
    if not name.strip():
        raise ValidationFailed([FieldError("name", "required", "Give the rule a name.")])
    if len(name) > limit:
        raise ValidationFailed(
            [FieldError("name", "too_long", f"A rule's name has at most {limit} characters.")]
        )
    return name


def _version_write(rule: Rule) -> None:
    RuleVersion.objects.create(
        rule=rule,
        version=rule.version,
        name=rule.name,
        expression=rule.expression,
        action=rule.action,
        mode=rule.mode,
        points=rule.points,
    )


@transaction.atomic
def rule_create(
    *,
    merchant,
    livemode: bool,
    name: str,
    expression: str,
    action: str,
    mode: str = "active",
    points: int = 0,
) -> Rule:
    """Create a rule after checking its expression (``ValidationFailed`` on ``expression``)."""
    _name_checked(name)
    _expression_checked(expression)
    if Rule.objects.filter(merchant=merchant, livemode=livemode).count() >= RULES_MAX:
        raise QuotaExceeded(f"A merchant has at most {RULES_MAX} rules per mode.")
    rule = Rule.objects.create(
        merchant=merchant,
        livemode=livemode,
        name=name,
        expression=expression,
        action=action,
        mode=mode,
        points=points,
    )
    _version_write(rule)
    return rule


@transaction.atomic
def rule_update(*, rule: Rule, **changes) -> Rule:
    """Change a rule's name, expression, action, mode or points; a real change is a new
    version."""
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    if "name" in changes:
        _name_checked(changes["name"])
    if "expression" in changes:
        _expression_checked(changes["expression"])
    changed = False
    for name in ("name", "expression", "action", "mode", "points"):
        if name in changes and getattr(rule, name) != changes[name]:
            setattr(rule, name, changes[name])
            changed = True
    if changed:
        rule.version += 1
        rule.save()
        _version_write(rule)
    return rule
