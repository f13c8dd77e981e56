from .evaluations import Evaluation, ListEntry, VelocityEvent
from .reviews import Review
from .rules import RiskSettings, Rule, RuleVersion, ScoreModel, new_rule_id

__all__ = [
    "Evaluation",
    "ListEntry",
    "Review",
    "RiskSettings",
    "Rule",
    "RuleVersion",
    "ScoreModel",
    "VelocityEvent",
    "new_rule_id",
]
