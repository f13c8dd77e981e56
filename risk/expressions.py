"""Rule expressions in CEL (``cel-python``): checked when saved, compiled once, evaluated safely.

CEL has no loops, no I/O and no assignment: a merchant's rule can only compute a value from the
payment's features. An expression is accepted when it parses, names only the features below (and
the variables of its own macros, as ``x`` in ``list.exists(x, …)``), calls only CEL's own
functions, and yields a boolean on a sample payment. A rule that fails at run time on some
payment (an error in a branch the sample did not take) counts as not matched, and the evaluation
says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import celpy
from celpy import celtypes

from .fastcel import CelError, fast

EXPRESSION_MAX = 1000

#: The features a rule can read, with their type and a sample value (see ``risk.features``).
FEATURES: dict[str, tuple[type, object]] = {
    "amount": (int, 12500),
    "currency": (str, "USD"),
    "method": (str, "card"),
    "livemode": (bool, False),
    "card_brand": (str, "visa"),
    "card_bin": (str, "424242"),
    "card_country": (str, "US"),
    "card_fingerprint": (str, "f" * 16),
    "ip": (str, "192.0.2.10"),
    "ip_country": (str, "US"),
    "email": (str, "ada@example.com"),
    "email_domain": (str, "example.com"),
    "email_disposable": (bool, False),
    "card_attempts_1h": (int, 1),
    "card_declines_1h": (int, 1),
    "card_attempts_1d": (int, 1),
    "ip_attempts_1h": (int, 1),
    "ip_declines_1h": (int, 1),
    "ip_attempts_1d": (int, 1),
    "ip_distinct_cards_1h": (int, 1),
    "ip_distinct_cards_1d": (int, 1),
    "email_attempts_1d": (int, 1),
    "email_distinct_cards_1d": (int, 1),
    "bin_attempts_1h": (int, 1),
    "order_declines_1h": (int, 1),
    "risk_score": (int, 10),
}
_FUNCTIONS = frozenset({"size", "int", "uint", "double", "string", "bool", "has", "matches"})
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_CEL_TYPES = {
    int: celtypes.IntType,
    str: celtypes.StringType,
    bool: celtypes.BoolType,
    float: celtypes.DoubleType,
}
_ENV = celpy.Environment()


class ExpressionError(ValueError):
    """The expression cannot be a rule; the message says why, for the merchant."""


@dataclass(frozen=True)
class Compiled:
    program: object
    names: frozenset[str]  # the features it reads
    #: The same expression as Python closures (``risk.fastcel``), None beyond its subset.
    fast: Callable[[dict], object] | None = None


def plain(features: dict) -> dict:
    """Return the values rules read from ``features`` (a missing one is its type's zero)."""
    out = {}
    for name, (kind, _) in FEATURES.items():
        value = features.get(name)
        out[name] = kind() if value is None else kind(value)
    return out


def activation(values: dict) -> dict:
    """Return ``plain`` values as CEL values."""
    return {name: _CEL_TYPES[FEATURES[name][0]](values[name]) for name in FEATURES}


def _sample() -> dict:
    return plain({name: sample for name, (_, sample) in FEATURES.items()})


def _names(tree) -> tuple[set[str], set[str], set[str]]:
    """Return the identifiers, global function calls and macro variables of a parsed tree."""
    idents, calls, bound = set(), set(), set()
    for node in tree.iter_subtrees():
        if node.data == "ident":
            idents.add(str(node.children[0]))
        elif node.data == "ident_arg":
            calls.add(str(node.children[0]))
        elif node.data == "member_dot_arg" and str(node.children[1]) in _MACROS:
            args = node.children[2]
            first = next(iter(args.children), None)
            for sub in first.iter_subtrees() if first is not None else ():
                if sub.data == "ident":
                    bound.add(str(sub.children[0]))
                    break
    return idents, calls, bound


def compile_expression(expression: str) -> Compiled:
    """Check and compile ``expression``; raise ``ExpressionError`` saying what is wrong."""
    if not expression.strip():
        raise ExpressionError(
            "Write a condition, e.g. amount > 50000 && card_country != ip_country."
        )
    if len(expression) > EXPRESSION_MAX:
        raise ExpressionError(f"An expression has at most {EXPRESSION_MAX} characters.")
    try:
        tree = _ENV.compile(expression)
    except celpy.CELParseError as err:
        where = f" (line {err.line}, column {err.column})" if getattr(err, "line", None) else ""
        raise ExpressionError(f"This is not a valid CEL expression{where}.") from None
    except (RecursionError, ValueError):
        raise ExpressionError("This expression is too deeply nested.") from None
    idents, calls, bound = _names(tree)
    unknown = sorted(idents - set(FEATURES) - bound)
    if unknown:
        raise ExpressionError(
            f"Unknown feature {unknown[0]!r}. Rules can use: {', '.join(sorted(FEATURES))}."
        )
    functions = sorted(calls - _FUNCTIONS)
    if functions:
        raise ExpressionError(f"Unknown function {functions[0]!r}.")
    program = _ENV.program(tree)
    try:
        result = program.evaluate(activation(_sample()))
    except celpy.CELEvalError as err:
        raise ExpressionError(f"This expression cannot be evaluated: {_eval_text(err)}.") from None
    except Exception:  # noqa: BLE001 - any failure of a merchant's text is a validation error
        raise ExpressionError("This expression cannot be evaluated on a payment.") from None
    if not isinstance(result, celtypes.BoolType):
        raise ExpressionError("A rule must be true or false (a comparison), not a value.")
    return Compiled(program=program, names=frozenset(idents & set(FEATURES)), fast=fast(tree))


def _eval_text(err: Exception) -> str:
    text = str(err.args[0]) if err.args else str(err)
    if "no matching overload" in text:
        return "it compares or combines values of different types (a number with text?)"
    return text.split("(", 1)[0].strip()[:120] or "error"


@lru_cache(maxsize=4096)
def compiled(expression: str) -> Compiled:
    """Return ``expression`` compiled, from a per-process cache (rules are checked when saved)."""
    return compile_expression(expression)


def matches(expression: str, values: dict) -> tuple[bool, str]:
    """Evaluate a saved expression on ``values`` (from ``plain``): (matched, error text)."""
    try:
        rule = compiled(expression)
    except ExpressionError as err:
        return False, str(err)
    if rule.fast is not None:
        try:
            return rule.fast(values) is True, ""
        except (CelError, KeyError, TypeError, OverflowError) as err:
            return False, str(err)[:120] or "error"
    try:
        result = rule.program.evaluate(activation(values))
    except Exception as err:  # noqa: BLE001 - a rule's run-time error never fails a payment
        return False, _eval_text(err)
    if isinstance(result, celpy.CELEvalError):
        return False, _eval_text(result)
    return bool(result), ""
