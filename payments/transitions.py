"""Where a state machine's refusal becomes the domain's ``InvalidTransition``.

The ``@transition`` methods on the models are the one statement of which states allow what.
Services ask them through these two helpers instead of comparing ``status`` to lists of states:
``transition_check`` before any work a refusal must prevent (a call to the institution),
``transition_run`` to make the change.
"""

from __future__ import annotations

from collections.abc import Callable

from django_fsm import TransitionNotAllowed, can_proceed

from .errors import InvalidTransition


def _refusal(method: Callable[[], object], message: str) -> InvalidTransition:
    obj = method.__self__
    return InvalidTransition(
        message or f"Not allowed while the {obj._meta.verbose_name} is {obj.status}."
    )


def transition_check(method: Callable[[], object], message: str = "") -> None:
    """Raise ``InvalidTransition(message)`` unless the bound transition ``method`` may run now."""
    if not can_proceed(method):
        raise _refusal(method, message)


def transition_run(method: Callable[[], object], message: str = "") -> None:
    """Run the bound transition ``method``; a refusal raises ``InvalidTransition(message)``."""
    try:
        method()
    except TransitionNotAllowed as err:
        raise _refusal(method, message) from err
