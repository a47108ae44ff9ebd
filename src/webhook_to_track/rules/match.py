"""EventBridge-style patterns compiled to predicates: keys are dotted paths (ANDed), each holds a
list of alternatives (ORed); ``$or`` takes two or more sub-patterns. The nested form pasted from
EventBridge (``{"data": {"object": {"status": ["paid"]}}}``) reads the same as dotted keys.

Alternatives: an exact JSON primitive (strict: ``"1" != 1``, ``true != 1``, ``null`` only matches
``null``), ``{"prefix": s}``, ``{"suffix": s}`` (each optionally ``{"equals-ignore-case": s}``),
``{"equals-ignore-case": s}``, ``{"wildcard": "a*b"}``, ``{"numeric": [op, n, ...]}``,
``{"anything-but": value | [values] | {operator: s}}`` and ``{"exists": bool}`` (alone; any node,
null included). When the payload value is an array, an alternative matches if any element does.
There are no regular expressions.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from webhook_to_track.rules.paths import MISSING, Path, PathError, parse_path
from webhook_to_track.rules.problems import Problems, did_you_mean, pointer

Predicate = Callable[[Any, Any], bool]
"""(root payload, current item) -> bool"""
ValueTest = Callable[[Any], bool]
"""one payload value (never MISSING) -> bool"""

_NUMERIC_OPS: Final = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
STRING_OPERATORS: Final = ("prefix", "suffix", "equals-ignore-case", "wildcard")
OPERATORS: Final = (*STRING_OPERATORS, "exists", "numeric", "anything-but")
MAX_ALTERNATIVES: Final = 100
MAX_OPERAND: Final = 500
MAX_WILDCARDS: Final = 10


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled pattern. ``exact`` lists the ANDed keys whose alternatives are all exact
    values (outside ``$or``): the values such a key can have when the pattern matches."""

    test: Predicate
    exact: tuple[tuple[Path, tuple[Any, ...]], ...] = ()


def _never(root: Any, item: Any) -> bool:
    return False


def _always(root: Any, item: Any) -> bool:
    return True


NEVER: Final = Pattern(_never)


def is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def same(a: Any, b: Any) -> bool:
    """JSON equality: no bool/number or string/number coercion."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, str) != isinstance(b, str):
        return False
    return bool(a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _wildcard(pattern: str) -> ValueTest:
    """``*`` matches any run of characters; leftmost scanning is exact for ``*``-only globs."""
    head, *middle, tail = pattern.split("*")
    fixed = len(head) + len(tail)

    def test(value: Any) -> bool:
        if not isinstance(value, str) or len(value) < fixed:
            return False
        if not value.startswith(head) or not value.endswith(tail):
            return False
        position, end = len(head), len(value) - len(tail)
        for piece in middle:
            found = value.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return test


def _string_operand(name: str, arg: Any, where: str, problems: Problems) -> tuple[str, bool]:
    """(operand, ignore case); operand "" after a recorded problem."""
    ignore_case = False
    if name in ("prefix", "suffix") and isinstance(arg, dict):
        if set(arg) != {"equals-ignore-case"}:
            problems.add(where, f'{name} takes a string or {{"equals-ignore-case": "text"}}')
            return "", False
        arg, ignore_case = arg["equals-ignore-case"], True
    if not isinstance(arg, str) or not arg or len(arg) > MAX_OPERAND:
        problems.add(where, f"{name} takes a non-empty string of at most {MAX_OPERAND} characters")
        return "", False
    if name == "wildcard" and ("**" in arg or arg.count("*") > MAX_WILDCARDS):
        problems.add(where, f"wildcard takes at most {MAX_WILDCARDS} '*', never two in a row")
        return "", False
    return arg, ignore_case or name == "equals-ignore-case"


def _string_test(name: str, arg: Any, where: str, problems: Problems) -> ValueTest | None:
    operand, ignore_case = _string_operand(name, arg, where, problems)
    if not operand:
        return None
    if name == "wildcard":
        return _wildcard(operand)
    folded = operand.casefold() if ignore_case else operand
    if name == "equals-ignore-case":
        return lambda v: isinstance(v, str) and v.casefold() == folded
    if name == "prefix":
        if ignore_case:
            return lambda v: isinstance(v, str) and v.casefold().startswith(folded)
        return lambda v: isinstance(v, str) and v.startswith(folded)
    if ignore_case:
        return lambda v: isinstance(v, str) and v.casefold().endswith(folded)
    return lambda v: isinstance(v, str) and v.endswith(folded)


def _numeric_test(arg: Any, where: str, problems: Problems) -> ValueTest | None:
    usage = 'numeric takes [op, number] or a range [">", low, "<=", high]'
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        problems.add(where, usage)
        return None
    checks: list[tuple[Callable[[Any, Any], Any], float]] = []
    for i in range(0, len(arg), 2):
        op, bound = arg[i], arg[i + 1]
        if op not in _NUMERIC_OPS or not _is_number(bound):
            problems.add(pointer(where, i), f"expected one of {sorted(_NUMERIC_OPS)} and a number")
            return None
        checks.append((_NUMERIC_OPS[op], bound))
    if len(arg) == 4 and (arg[0] not in (">", ">=") or arg[2] not in ("<", "<=")):
        problems.add(where, usage)
        return None
    if len(checks) == 1:
        ((check, bound),) = checks
        return lambda v: _is_number(v) and bool(check(v, bound))
    (low, low_bound), (high, high_bound) = checks
    return lambda v: _is_number(v) and bool(low(v, low_bound)) and bool(high(v, high_bound))


def _anything_but_test(arg: Any, where: str, problems: Problems) -> ValueTest | None:
    if isinstance(arg, dict):
        name = next(iter(arg), "") if len(arg) == 1 else ""
        if name not in STRING_OPERATORS:
            problems.add(
                where, f"anything-but takes a value, a list or one of {list(STRING_OPERATORS)}"
            )
            return None
        excluded = _string_test(name, arg[name], pointer(where, name), problems)
        return None if excluded is None else (lambda v: not excluded(v))
    values = arg if isinstance(arg, list) else [arg]
    if not values or len(values) > MAX_ALTERNATIVES or not all(is_primitive(v) for v in values):
        problems.add(where, "anything-but takes a primitive or a non-empty list of primitives")
        return None
    return lambda v: not any(same(v, excluded) for excluded in values)


def _exact_test(values: list[Any]) -> ValueTest:
    if all(isinstance(v, str) for v in values):
        strings = frozenset(values)
        return lambda v: isinstance(v, str) and v in strings
    return lambda v: any(same(v, expected) for expected in values)


def _compile_alternative(alt: Any, where: str, problems: Problems) -> ValueTest | None:
    if is_primitive(alt):
        return _exact_test([alt])
    if not isinstance(alt, dict) or len(alt) != 1:
        problems.add(where, "an alternative is a JSON primitive or a one-key operator object")
        return None
    ((name, arg),) = alt.items()
    if name in STRING_OPERATORS:
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


def _any_of(tests: list[ValueTest]) -> ValueTest:
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(test(v) for test in tests)


def _key_predicate(path: Path, test: ValueTest) -> Predicate:
    read = path.read

    def predicate(root: Any, item: Any) -> bool:
        value = read(root, item)
        if value is MISSING:
            return False
        if isinstance(value, list):
            return any(test(member) for member in value)
        return test(value)

    return predicate


def _exists_predicate(path: Path, exists: bool) -> Predicate:
    read = path.read
    return lambda root, item: (read(root, item) is not MISSING) is exists


def _compile_key(
    path: Path, alternatives: list[Any], where: str, problems: Problems
) -> tuple[Predicate, tuple[Any, ...] | None]:
    """The key's predicate and, when every alternative is an exact value, those values."""
    if len(alternatives) > MAX_ALTERNATIVES:
        problems.add(where, f"at most {MAX_ALTERNATIVES} alternatives per key")
        return _never, None
    if any(isinstance(a, dict) and "exists" in a for a in alternatives):
        exists = alternatives[0].get("exists") if len(alternatives) == 1 else None
        if not isinstance(exists, bool):
            problems.add(
                where, 'exists must be alone, as [{"exists": true}] or [{"exists": false}]'
            )
            return _never, None
        return _exists_predicate(path, exists), None
    if all(is_primitive(a) for a in alternatives):
        return _key_predicate(path, _exact_test(alternatives)), tuple(alternatives)
    compiled = [
        _compile_alternative(a, pointer(where, i), problems) for i, a in enumerate(alternatives)
    ]
    tests = [t for t in compiled if t is not None]
    if len(tests) != len(compiled):
        return _never, None
    return _key_predicate(path, _any_of(tests)), None


def _all_of(predicates: list[Predicate]) -> Predicate:
    if not predicates:
        return _always
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda root, item: first(root, item) and second(root, item)
    return lambda root, item: all(p(root, item) for p in predicates)


def _child_path(parent: Path | None, key: str, where: str, problems: Problems) -> Path | None:
    """A pattern key: a dotted path at the top, a literal object key inside the nested form."""
    if parent is None:
        try:
            return parse_path(key)
        except PathError as exc:
            problems.add(where, str(exc))
            return None
    if not key:
        problems.add(where, "a nested pattern key must be non-empty")
        return None
    text = f"{parent.text}.{key}" if key.isidentifier() else f"{parent.text}[{key!r}]"
    return Path(text=text, keys=(*parent.keys, key), item=parent.item)


@dataclass(slots=True)
class _Collected:
    predicates: list[Predicate]
    exact: list[tuple[Path, tuple[Any, ...]]]


def _compile_entry(
    key: str,
    value: Any,
    parent: Path | None,
    found: _Collected,
    where: str,
    context: tuple[bool, Problems],
) -> None:
    item_scope, problems = context
    if key == "$or":
        found.predicates.append(_compile_or(value, parent, where, item_scope, problems).test)
        return
    path = _child_path(parent, key, where, problems)
    if path is None:
        return
    if path.item and not item_scope:
        problems.add(where, f"{path.text!r} reads the for_each item, but there is no for_each here")
        return
    if isinstance(value, dict) and value and not (set(value) & set(OPERATORS)):
        _compile_object(value, path, found, where, context)
        return
    if not isinstance(value, list) or not value:
        problems.add(
            where, "expected a non-empty list of alternatives (OR); wrap a single value in [ ]"
        )
        return
    predicate, exact = _compile_key(path, value, where, problems)
    found.predicates.append(predicate)
    if exact is not None:
        found.exact.append((path, exact))


def _compile_object(
    pattern: dict[str, Any],
    parent: Path | None,
    found: _Collected,
    where: str,
    context: tuple[bool, Problems],
) -> None:
    for key, value in pattern.items():
        _compile_entry(key, value, parent, found, pointer(where, key), context)


def _compile_or(
    options: Any, parent: Path | None, where: str, item_scope: bool, problems: Problems
) -> Pattern:
    if not isinstance(options, list) or len(options) < 2:
        problems.add(where, "$or takes a list of at least two patterns")
        return NEVER
    branches = []
    for i, option in enumerate(options):
        if not isinstance(option, dict):
            problems.add(pointer(where, i), "a pattern is an object of {path: [alternatives]}")
            continue
        found = _Collected([], [])
        _compile_object(option, parent, found, pointer(where, i), (item_scope, problems))
        branches.append(_all_of(found.predicates))
    return Pattern(lambda root, item: any(b(root, item) for b in branches))


def compile_pattern(
    pattern: Any, where: str, problems: Problems, *, item_scope: bool = False
) -> Pattern:
    """A pattern object -> Pattern. ``{}`` matches every payload. ``item_scope`` allows ``@``
    keys, which test the current for_each item."""
    if not isinstance(pattern, dict):
        problems.add(where, "a pattern is an object of {path: [alternatives]}")
        return NEVER
    found = _Collected([], [])
    _compile_object(pattern, None, found, where, (item_scope, problems))
    return Pattern(_all_of(found.predicates), tuple(found.exact))
