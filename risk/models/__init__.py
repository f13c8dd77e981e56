from .disputes import Dispute, DisputeEvidenceFile, IssuerDisputeNotice
from .evaluations import Evaluation, ListEntry, VelocityEvent
from .history import SyntheticPayment
from .reviews import Review
from .rules import RiskSettings, Rule, RuleVersion, ScoreModel, new_rule_id

__all__ = [
    "Dispute",
    "DisputeEvidenceFile",
    "IssuerDisputeNotice",
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
