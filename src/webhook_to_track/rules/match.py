"""EventBridge-style patterns compiled to predicates: keys are dotted paths (ANDed), each holds a
list of alternatives (ORed); ``$or`` takes two or more sub-patterns.

Alternatives: an exact JSON primitive (strict: ``"1" != 1``, ``true != 1``, ``null`` only matches
``null``), ``{"prefix": s}``, ``{"suffix": s}``, ``{"equals-ignore-case": s}``,
``{"exists": bool}``, ``{"numeric": [op, n, ...]}`` and ``{"anything-but": value | [values]}``.
When the payload value is an array, the alternative matches if any element matches.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

from webhook_to_track.rules.paths import MISSING, Path, PathError, parse_path
from webhook_to_track.rules.problems import Problems, did_you_mean, pointer

Predicate = Callable[[Any], bool]
"""payload -> bool"""
ValueTest = Callable[[Any], bool]
"""one payload value (never MISSING) -> bool"""

_NUMERIC_OPS: Final = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
OPERATORS: Final = frozenset(
    {"prefix", "suffix", "equals-ignore-case", "exists", "numeric", "anything-but"}
)


def _is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: no bool/number or string/number coercion."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, str) != isinstance(b, str):
        return False
    return bool(a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _string_test(name: str, arg: Any, where: str, problems: Problems) -> ValueTest | None:
    if not isinstance(arg, str) or not arg:
        problems.add(where, f"{name} takes a non-empty string")
        return None
    if name == "prefix":
        return lambda v: isinstance(v, str) and v.startswith(arg)
    if name == "suffix":
        return lambda v: isinstance(v, str) and v.endswith(arg)
    folded = arg.casefold()
    return lambda v: isinstance(v, str) and v.casefold() == folded


def _numeric_test(arg: Any, where: str, problems: Problems) -> ValueTest | None:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        problems.add(where, 'numeric takes [op, number] or [op, number, op, number], e.g. [">", 0]')
        return None
    checks: list[tuple[Callable[[Any, Any], Any], float]] = []
    for i in range(0, len(arg), 2):
        op, bound = arg[i], arg[i + 1]
        if op not in _NUMERIC_OPS or not _is_number(bound):
            problems.add(pointer(where, i), f"expected one of {sorted(_NUMERIC_OPS)} and a number")
            return None
        checks.append((_NUMERIC_OPS[op], bound))
    return lambda v: _is_number(v) and all(bool(check(v, bound)) for check, bound in checks)


def _anything_but_test(arg: Any, where: str, problems: Problems) -> ValueTest | None:
    values = arg if isinstance(arg, list) else [arg]
    if not values or not all(_is_primitive(v) for v in values):
        problems.add(where, "anything-but takes a primitive or a non-empty list of primitives")
        return None
    return lambda v: not any(_same(v, excluded) for excluded in values)


def _compile_alternative(alt: Any, where: str, problems: Problems) -> ValueTest | None:
    if _is_primitive(alt):
        return lambda v: _same(v, alt)
    if not isinstance(alt, dict) or len(alt) != 1:
        problems.add(where, "an alternative is a JSON primitive or a one-key operator object")
        return None
    ((name, arg),) = alt.items()
    if name in ("prefix", "suffix", "equals-ignore-case"):
        return _string_test(name, arg, pointer(where, name), problems)
    if name == "numeric":
        return _numeric_test(arg, pointer(where, name), problems)
    if name == "anything-but":
        return _anything_but_test(arg, pointer(where, name), problems)
    if name == "exists":
        problems.add(where, "exists must be the only alternative of its key")
        return None
    problems.add(where, f"unknown operator {name!r}{did_you_mean(name, OPERATORS)}")
    return None


def _compile_key(path: Path, alternatives: Any, where: str, problems: Problems) -> Predicate:
    if not isinstance(alternatives, list) or not alternatives:
        problems.add(
            where, "expected a non-empty list of alternatives (OR); wrap a single value in [ ]"
        )
        return lambda _: False
    if any(isinstance(a, dict) and "exists" in a for a in alternatives):
        exists = alternatives[0].get("exists") if len(alternatives) == 1 else None
        if not isinstance(exists, bool):
            problems.add(
                where, 'exists must be alone, as [{"exists": true}] or [{"exists": false}]'
            )
            return lambda _: False
        return lambda payload: (path.get(payload) is not MISSING) is exists
    compiled = [
        _compile_alternative(a, pointer(where, i), problems) for i, a in enumerate(alternatives)
    ]
    tests = [t for t in compiled if t is not None]

    def predicate(payload: Any) -> bool:
        value = path.get(payload)
        if value is MISSING:
            return False
        candidates = value if isinstance(value, list) else (value,)
        return any(test(candidate) for candidate in candidates for test in tests)

    return predicate


def compile_pattern(pattern: Any, where: str, problems: Problems) -> Predicate:
    """A pattern object -> predicate. ``{}`` matches every payload."""
    if not isinstance(pattern, dict):
        problems.add(where, "a pattern is an object of {path: [alternatives]}")
        return lambda _: False
    predicates: list[Predicate] = []
    for key, alternatives in pattern.items():
        key_where = pointer(where, key)
        if key == "$or":
            predicates.append(_compile_or(alternatives, key_where, problems))
            continue
        try:
            path = parse_path(key)
        except PathError as exc:
            problems.add(key_where, str(exc))
            continue
        predicates.append(_compile_key(path, alternatives, key_where, problems))
    return lambda payload: all(p(payload) for p in predicates)


def _compile_or(options: Any, where: str, problems: Problems) -> Predicate:
    if not isinstance(options, list) or len(options) < 2:
        problems.add(where, "$or takes a list of at least two patterns")
        return lambda _: False
    branches = [compile_pattern(o, pointer(where, i), problems) for i, o in enumerate(options)]
    return lambda payload: any(b(payload) for b in branches)
