"""Checks run on money-moving API requests before the view stores anything.

``payments`` does not know who checks: an app registers a guard in its ``AppConfig.ready``
(``developers``: RFC 9421 request signatures, when the merchant requires them). A view opts in
with ``money_moving = True`` (payouts and bulk charges, refunds, signing keys); its mutating
methods then run every guard after authentication and before the ``Idempotency-Key`` is
claimed, so a refused request leaves no trace but its request log line.
"""

from __future__ import annotations

from collections.abc import Callable

#: ``(*, request) -> object``: raise a ``DomainError`` (an API problem) to refuse the request.
RequestGuard = Callable[..., object]

_GUARDS: list[RequestGuard] = []


def request_guard_register(*, guard: RequestGuard) -> None:
    """Run ``guard`` on every mutating request of a money-moving view."""
    if guard not in _GUARDS:
        _GUARDS.append(guard)


def request_guards_run(*, request) -> None:
    """Run the registered guards on ``request`` (each may raise)."""
    for guard in _GUARDS:
        guard(request=request)
