"""A fast evaluator for the common subset of CEL rules, checked against ``cel-python``.

``cel-python`` interprets the parse tree on every call (about a millisecond per rule on a busy
machine): too slow for 50 rules on every payment or a rule over 100,000 stored payments. Rules
are mostly comparisons of features joined by ``&&`` and ``||``; this module turns such a tree,
once, into nested Python closures with CEL's meaning:

- comparisons only between values of one type (int, double, string, bool), else an error;
- ``&&`` and ``||`` absorb an error when the other side decides (``false && error`` is false);
- integer ``/`` and ``%`` truncate toward zero, division by zero is an error;
- ``in`` on a list literal, ``size``, ``startsWith``, ``endsWith``, ``contains``, ``?:``.

Anything else (macros, ``matches``, conversions, maps, field access) raises ``Unsupported`` and
the rule runs on ``cel-python``. An error at run time means "not matched", as there.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

Fn = Callable[[dict], object]


class Unsupported(Exception):
    """The expression uses CEL beyond this subset."""


class CelError(Exception):
    """CEL's error value: a type mismatch, a division by zero."""


_SAME = {int: int, float: float, str: str, bool: bool}


def _kind(value) -> type:
    kind = type(value)
    if kind not in _SAME:
        raise CelError(f"unsupported value {kind.__name__}")
    return kind


def _compare(op: Callable[[object, object], bool]) -> Callable[[object, object], bool]:
    def check(a, b):
        if _kind(a) is not _kind(b):
            raise CelError("no matching overload")
        return op(a, b)

    return check


_RELATIONS = {
    "relation_lt": _compare(lambda a, b: a < b),
    "relation_le": _compare(lambda a, b: a <= b),
    "relation_gt": _compare(lambda a, b: a > b),
    "relation_ge": _compare(lambda a, b: a >= b),
    "relation_eq": _compare(lambda a, b: a == b),
    "relation_ne": _compare(lambda a, b: a != b),
}


def _numeric(a, b) -> type:
    kind = _kind(a)
    if kind is not _kind(b) or kind not in (int, float):
        raise CelError("no matching overload")
    return kind


def _add(a, b):
    if _kind(a) is not _kind(b) or _kind(a) is bool:
        raise CelError("no matching overload")
    return a + b


def _sub(a, b):
    _numeric(a, b)
    return a - b


def _mul(a, b):
    _numeric(a, b)
    return a * b


def _div(a, b):
    if _numeric(a, b) is float:
        if b == 0:
            raise CelError("divide by zero")
        return a / b
    if b == 0:
        raise CelError("divide by zero")
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient


def _mod(a, b):
    if _numeric(a, b) is not int:
        raise CelError("no matching overload")
    if b == 0:
        raise CelError("modulus by zero")
    return a - b * _div(a, b)


_ARITHMETIC = {
    "addition_add": _add,
    "addition_sub": _sub,
    "multiplication_mul": _mul,
    "multiplication_div": _div,
    "multiplication_mod": _mod,
}


def _negate(value):
    _numeric(value, value)
    return -value


def _bool(value) -> bool:
    if type(value) is not bool:
        raise CelError("not a boolean")
    return value


def _and(left: Fn, right: Fn) -> Fn:
    def run(v):
        try:
            a = _bool(left(v))
        except CelError:
            if _bool(right(v)) is False:
                return False
            raise
        if not a:
            return False
        return _bool(right(v))

    return run


def _or(left: Fn, right: Fn) -> Fn:
    def run(v):
        try:
            a = _bool(left(v))
        except CelError:
            if _bool(right(v)) is True:
                return True
            raise
        if a:
            return True
        return _bool(right(v))

    return run


def _binary(node, build: Callable) -> Fn:
    """``node`` has [op(left), right]: apply the op's function to both sides."""
    op, right = node.children
    left_fn, right_fn = build(op.children[0]), build(right)
    func = _RELATIONS.get(op.data) or _ARITHMETIC.get(op.data)
    if op.data == "relation_in":
        return lambda v: _contains(right_fn(v), left_fn(v))
    if func is None:
        raise Unsupported(op.data)
    return lambda v: func(left_fn(v), right_fn(v))


def _contains(container, item) -> bool:
    if type(container) is not tuple:
        raise CelError("no matching overload")
    return any(type(x) is type(item) and x == item for x in container)


def _literal(token) -> Fn:
    kind, text = token.type, str(token)
    if kind == "INT_LIT":
        value = int(text, 0)
    elif kind == "FLOAT_LIT":
        value = float(text)
    elif kind == "BOOL_LIT":
        value = text == "true"
    elif kind == "STRING_LIT" and text[:1] in "\"'" and not text.startswith(('"""', "'''")):
        if "\\" in text:
            raise Unsupported("escapes")
        value = ast.literal_eval(text)
    else:
        raise Unsupported(kind)
    return lambda v: value


_METHODS = {
    "startsWith": lambda s, x: s.startswith(x),
    "endsWith": lambda s, x: s.endswith(x),
    "contains": lambda s, x: x in s,
}


def _method(target: Fn, name: str, args: list[Fn]) -> Fn:
    if name == "size" and not args:
        return lambda v: _size(target(v))
    if name not in _METHODS or len(args) != 1:
        raise Unsupported(name)
    func, (arg,) = _METHODS[name], args

    def run(v):
        s, x = target(v), arg(v)
        if type(s) is not str or type(x) is not str:
            raise CelError("no matching overload")
        return func(s, x)

    return run


def _size(value) -> int:
    if type(value) not in (str, tuple):
        raise CelError("no matching overload")
    return len(value)


def build(node) -> Fn:  # noqa: C901 - one branch per node kind of the CEL grammar
    """Return a closure computing ``node`` from a dict of plain Python feature values."""
    data, kids = node.data, node.children
    if data == "expr":
        if len(kids) == 1:
            return build(kids[0])
        cond, then, other = (build(k) for k in kids)
        return lambda v: then(v) if _bool(cond(v)) else other(v)
    if data in ("conditionalor", "conditionaland"):
        if len(kids) == 1:
            return build(kids[0])
        return (_or if data == "conditionalor" else _and)(build(kids[0]), build(kids[1]))
    if data in ("relation", "addition", "multiplication"):
        return build(kids[0]) if len(kids) == 1 else _binary(node, build)
    if data == "unary":
        if len(kids) == 1:
            return build(kids[0])
        inner = build(kids[1])
        if kids[0].data == "unary_not":
            return lambda v: not _bool(inner(v))
        return lambda v: _negate(inner(v))
    if data in ("member", "primary", "paren_expr"):
        if len(kids) != 1:
            raise Unsupported(data)
        return build(kids[0])
    if data == "ident":
        name = str(kids[0])
        return lambda v: v[name]
    if data == "literal":
        return _literal(kids[0])
    if data == "list_lit":
        items = [build(k) for k in (kids[0].children if kids else [])]
        return lambda v: tuple(item(v) for item in items)
    if data == "ident_arg" and str(kids[0]) == "size" and len(kids[1].children) == 1:
        inner = build(kids[1].children[0])
        return lambda v: _size(inner(v))
    if data == "member_dot_arg":
        args = [build(k) for k in kids[2].children] if len(kids) > 2 else []
        return _method(build(kids[0]), str(kids[1]), args)
    raise Unsupported(data)


def fast(tree) -> Fn | None:
    """Return the closure of a parsed expression, or None if it is beyond the subset."""
    try:
        return build(tree)
    except (Unsupported, ValueError, SyntaxError):
        return None
