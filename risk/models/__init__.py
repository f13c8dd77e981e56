from .evaluations import Evaluation, ListEntry, VelocityEvent
from .history import SyntheticPayment
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
    "SyntheticPayment",
    "VelocityEvent",
    "new_rule_id",
]
