"""Validate Userpilot calls against their JSON Schemas (one per kind), compiled once per cold start.

The schema file is the contract and jsonschema the source of truth: at cold start the schema is
also compiled into a plain-Python predicate covering the keywords it uses (type, required,
properties, additionalProperties, propertyNames, min/maxLength, pattern, min/maxProperties).
Valid events, the common case, pass that predicate alone; only an event it refuses goes to
jsonschema, which decides and names the broken rule. A Hypothesis property test keeps the two
equivalent. A schema using any other keyword gets no predicate, so jsonschema checks everything.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from webhook_to_track.errors import InvalidCallError
from webhook_to_track.userpilot.api import SCHEMAS
from webhook_to_track.userpilot.calls import UserpilotCall

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

Check = Callable[[Any], bool]
TRACK_SCHEMA: Final = SCHEMAS["track"]
_ANNOTATIONS: Final = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default"}
)
_KEYWORDS: Final = _ANNOTATIONS | {
    "type",
    "required",
    "properties",
    "additionalProperties",
    "propertyNames",
    "minLength",
    "maxLength",
    "pattern",
    "minProperties",
    "maxProperties",
}


class UnsupportedSchemaError(ValueError):
    """The schema uses a keyword the predicate compiler does not implement."""


def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in the package's schemas/ folder."""
    text = resources.files("webhook_to_track.userpilot.schemas").joinpath(name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=8)
def get_validator(name: str) -> Draft202012Validator:
    """Build (and check) each schema's validator once per cold start. jsonschema is imported
    here, on first need, so the cold start of a container that only sees valid events skips it."""
    from jsonschema import Draft202012Validator

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


# --- the predicate compiler: jsonschema's Draft 2020-12 semantics for the keywords above -------


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int)


_TYPE_TESTS: Final[Mapping[str, Check]] = {
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}
# Exact built-in types that certainly pass each type test (a shortcut before the tests).
_SURE: Final[Mapping[str, frozenset[type]]] = {
    "string": frozenset({str}),
    "number": frozenset({int, float}),
    "integer": frozenset({int}),
    "boolean": frozenset({bool}),
    "null": frozenset({type(None)}),
    "object": frozenset({dict}),
    "array": frozenset({list}),
}


def _type_check(types: Any) -> Check:
    names = [types] if isinstance(types, str) else list(types)
    if not names or any(name not in _TYPE_TESTS for name in names):
        raise UnsupportedSchemaError(f"type {types!r}")
    sure = frozenset().union(*(_SURE[name] for name in names))
    tests = tuple(_TYPE_TESTS[name] for name in names)
    return lambda v: v.__class__ in sure or any(test(v) for test in tests)


def _string_check(schema: Mapping[str, Any], typed: bool) -> Check | None:
    """minLength / maxLength / pattern; ``typed``: the schema's type is exactly "string", so
    anything else fails here (and no separate type test is needed)."""
    low = schema.get("minLength", 0)
    high = schema.get("maxLength", 1 << 62)
    pattern = re.compile(schema["pattern"]).search if "pattern" in schema else None
    if low == 0 and high == 1 << 62 and pattern is None:
        return None

    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return not typed
        if not low <= len(value) <= high:
            return False
        return pattern is None or pattern(value) is not None

    return check


def _shortcut(schema: Mapping[str, Any]) -> Check | None:
    """For a map-like object schema (no properties, no required; additionalProperties a pure
    type; propertyNames pure lengths): a C-speed test that returns True only when the object is
    certainly valid. Anything it cannot vouch for goes to the exact member loop."""
    extra = schema.get("additionalProperties")
    names = schema.get("propertyNames", {})
    if (
        schema.get("properties")
        or schema.get("required")
        or not isinstance(extra, dict)
        or set(extra) - _ANNOTATIONS != {"type"}
        or not isinstance(names, dict)
        or set(names) - _ANNOTATIONS - {"minLength", "maxLength"}
    ):
        return None
    kinds = [extra["type"]] if isinstance(extra["type"], str) else list(extra["type"])
    sure = frozenset().union(*(_SURE[kind] for kind in kinds if kind in _SURE))
    low, high = names.get("minLength", 0), names.get("maxLength", 1 << 62)

    def certainly_valid(value: dict[Any, Any]) -> bool:
        for name, member in value.items():
            if name.__class__ is not str or not low <= len(name) <= high:
                return False
            if member.__class__ not in sure:
                return False
        return True

    return certainly_valid


def _member_check(schema: Mapping[str, Any]) -> Callable[[Any, Any], bool]:
    """(name, value) -> whether one member passes properties / additionalProperties /
    propertyNames."""
    properties = {name: compile_check(sub) for name, sub in schema.get("properties", {}).items()}
    extra = schema.get("additionalProperties", True)
    extra_check = compile_check(extra) if isinstance(extra, dict) else None
    names = compile_check(schema["propertyNames"]) if "propertyNames" in schema else None

    def member_ok(name: Any, value: Any) -> bool:
        if names is not None and not names(name):
            return False
        check = properties.get(name)
        if check is not None:
            return check(value)
        if extra is False:
            return False
        return extra_check is None or extra_check(value)

    return member_ok


def _closed_check(
    members: tuple[tuple[str, Check], ...], low: int, high: int, typed: bool
) -> Check:
    """An object whose properties are all required and nothing else allowed: exactly these
    keys, each valid."""
    size = len(members)

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return not typed
        if len(value) != size or not low <= size <= high:
            return False
        for name, member_check in members:
            if name not in value or not member_check(value[name]):
                return False
        return True

    return check


def _open_check(schema: Mapping[str, Any], low: int, high: int, typed: bool) -> Check:
    member_ok = _member_check(schema)
    required = tuple(schema.get("required", ()))
    shortcut = _shortcut(schema) or (lambda _: False)

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return not typed
        if not low <= len(value) <= high:
            return False
        if shortcut(value):
            return True
        for name in required:
            if name not in value:
                return False
        return all(member_ok(name, member) for name, member in value.items())

    return check


def _object_check(schema: Mapping[str, Any], typed: bool) -> Check | None:
    keys = ("properties", "additionalProperties", "propertyNames", "required", "minProperties")
    if not any(key in schema for key in (*keys, "maxProperties")):
        return None
    low, high = schema.get("minProperties", 0), schema.get("maxProperties", 1 << 62)
    properties = schema.get("properties", {})
    if (
        schema.get("additionalProperties") is False
        and "propertyNames" not in schema
        and set(schema.get("required", ())) == set(properties)
    ):
        members = tuple((name, compile_check(sub)) for name, sub in properties.items())
        return _closed_check(members, low, high, typed)
    return _open_check(schema, low, high, typed)


def compile_check(schema: Any) -> Check:
    """A predicate equivalent to ``Draft202012Validator(schema).is_valid``.

    Raises:
        UnsupportedSchemaError: the schema uses a keyword outside the supported subset.
    """
    if schema is True or schema == {}:
        return lambda _: True
    if schema is False:
        return lambda _: False
    if not isinstance(schema, dict) or set(schema) - _KEYWORDS:
        raise UnsupportedSchemaError(str(sorted(set(schema) - _KEYWORDS)))
    kind = schema.get("type")
    string_check = _string_check(schema, kind == "string")
    object_check = _object_check(schema, kind == "object")
    typed = (kind == "string" and string_check) or (kind == "object" and object_check)
    type_check = _type_check(kind) if "type" in schema and not typed else None
    checks = [c for c in (type_check, string_check, object_check) if c is not None]
    if not checks:
        return lambda _: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    return lambda value: all(check(value) for check in checks)


@lru_cache(maxsize=8)
def get_check(name: str) -> Check | None:
    """The schema's predicate, or None when the schema needs jsonschema for every event."""
    try:
        return compile_check(load_schema(name))
    except UnsupportedSchemaError:
        return None


def is_valid(name: str, body: Any) -> bool:
    """Whether ``body`` is valid against schema ``name`` (the predicate, else jsonschema)."""
    check = get_check(name)
    if check is not None:
        return check(body)
    return bool(get_validator(name).is_valid(body))


def is_valid_track(event: Any) -> bool:
    """Whether ``event`` is a valid Track body."""
    return is_valid(TRACK_SCHEMA, event)


def validate_body(name: str, body: Any) -> None:
    """Raise InvalidCallError, carrying the JSON path and failing keyword, if ``body`` breaks
    schema ``name``."""
    check = get_check(name)
    if check is not None and check(body):  # the fast path: no jsonschema at all
        return
    validator = get_validator(name)
    if check is None and validator.is_valid(body):
        return
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(body))
    if error is None:  # the predicate refused what jsonschema accepts: jsonschema decides
        return
    # Name the rule broken, not the value: values are payload data and must not reach logs.
    expected = json.dumps(error.validator_value, separators=(",", ":"))
    raise InvalidCallError(
        f"{error.json_path} breaks {error.validator}={expected}",
        path=error.json_path,
        validator=str(error.validator),
    )


def validate_track(event: Any) -> None:
    """validate_body for a Track body."""
    validate_body(TRACK_SCHEMA, event)


def validate_call(call: UserpilotCall) -> None:
    """Check a call against its kind's schema (raises InvalidCallError)."""
    validate_body(SCHEMAS[call.kind], call.body)
