"""Errors of bulk payouts, as domain errors the API and the admin already know how to show."""

from payments.errors import DomainError


class SamePerson(DomainError):
    """The one who prepared a payout batch may not approve it too."""

    code = "approver_is_preparer"
    http_status = 403
    title = "A second person must approve"


class InsufficientBalance(DomainError):
    """The available balance no longer covers the batch (other payouts were approved first)."""

    code = "insufficient_balance"
    http_status = 409
    title = "The available balance does not cover this batch"
