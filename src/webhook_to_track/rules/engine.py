"""Compile a source file's ``defaults`` and ``rules`` once, then map payloads to track events.

Every rule whose ``match`` succeeds fires, in file order; each of its ``events`` (filtered by an
optional ``when``) yields one Userpilot track event, or a Rejection naming what was missing.
Mapping is pure: no I/O, no logging, no globals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from webhook_to_track.models import Primitive, Rejection, TrackEvent
from webhook_to_track.rules.flatten import (
    ARRAY_POLICIES,
    DEFAULT_FLATTEN,
    FlattenOptions,
    flatten_into,
    flatten_object,
)
from webhook_to_track.rules.match import Predicate, compile_pattern
from webhook_to_track.rules.paths import MISSING, Path, PathError, parse_path
from webhook_to_track.rules.problems import Problems, did_you_mean, pointer
from webhook_to_track.rules.values import ValueSpec, compile_value

RULE_KEYS: Final = ("id", "description", "enabled", "match", "events")
EVENT_KEYS: Final = ("description", "when", "event_name", "user_id", "metadata", "flatten")
DEFAULTS_KEYS: Final = ("description", "user_id", "metadata")
FLATTEN_KEYS: Final = ("path", "prefix", "separator", "max_depth", "arrays", "exclude")
MAX_METADATA_KEYS: Final = 200


@dataclass(frozen=True, slots=True)
class MappedEvent:
    rule: str
    index: int
    event: TrackEvent


@dataclass(frozen=True, slots=True)
class MappingResult:
    matched: tuple[str, ...]
    events: tuple[MappedEvent, ...]
    rejected: tuple[Rejection, ...]


@dataclass(frozen=True, slots=True)
class _Flatten:
    path: Path
    prefix: str
    options: FlattenOptions


@dataclass(frozen=True, slots=True)
class _EventSpec:
    when: Predicate | None
    event_name: ValueSpec
    user_id: ValueSpec | None
    defaults: tuple[tuple[str, ValueSpec], ...]
    metadata: tuple[tuple[str, ValueSpec], ...]
    flatten: tuple[_Flatten, ...]

    def build(self, payload: Any, rule: str, index: int) -> MappedEvent | Rejection:
        name = self.event_name.get(payload)
        if not isinstance(name, str) or not name:
            return Rejection(rule, index, "event_name is missing or not a non-empty string")
        user_id = _user_id(self.user_id.get(payload) if self.user_id else MISSING)
        if user_id is None:
            tried = ", ".join(self.user_id.paths) if self.user_id and self.user_id.paths else "-"
            return Rejection(rule, index, f"no user id in the payload (tried: {tried})", name)
        # Precedence, lowest first: file defaults, flattened objects, the event's own keys.
        metadata: dict[str, Primitive] = {}
        _evaluate_into(metadata, self.defaults, payload)
        for flat in self.flatten:
            value = flat.path.get(payload)
            if isinstance(value, dict):
                metadata.update(flatten_object(value, flat.prefix, flat.options))
        _evaluate_into(metadata, self.metadata, payload)
        event: TrackEvent = {"user_id": user_id, "event_name": name, "metadata": metadata}
        return MappedEvent(rule=rule, index=index, event=event)


def _evaluate_into(
    metadata: dict[str, Primitive], specs: tuple[tuple[str, ValueSpec], ...], payload: Any
) -> None:
    """Missing values are left out; objects and arrays are flattened under their key."""
    for key, spec in specs:
        value = spec.get(payload)
        if value is not MISSING:
            flatten_into(metadata, key, value)


def _user_id(value: Any) -> str | None:
    """Userpilot user ids are strings: numbers are stringified; blanks and booleans are refused."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value.strip():
        return value
    return None


@dataclass(frozen=True, slots=True)
class _Rule:
    id: str
    match: Predicate
    events: tuple[_EventSpec, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[_Rule, ...]

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)

    def map(self, payload: Any) -> MappingResult:
        matched: list[str] = []
        events: list[MappedEvent] = []
        rejected: list[Rejection] = []
        for rule in self.rules:
            if not rule.match(payload):
                continue
            matched.append(rule.id)
            for index, spec in enumerate(rule.events):
                if spec.when is not None and not spec.when(payload):
                    continue
                outcome = spec.build(payload, rule.id, index)
                if isinstance(outcome, MappedEvent):
                    events.append(outcome)
                else:
                    rejected.append(outcome)
        return MappingResult(tuple(matched), tuple(events), tuple(rejected))


def _unknown_keys(
    spec: Mapping[str, Any], allowed: tuple[str, ...], where: str, problems: Problems
) -> None:
    for key in spec:
        if key not in allowed:
            problems.add(pointer(where, key), f"unknown key {key!r}{did_you_mean(key, allowed)}")


def _compile_metadata(spec: Any, where: str, problems: Problems) -> dict[str, ValueSpec]:
    if not isinstance(spec, dict):
        problems.add(where, "metadata is an object of {key: value spec}")
        return {}
    if len(spec) > MAX_METADATA_KEYS:
        problems.add(where, f"at most {MAX_METADATA_KEYS} metadata keys")
    compiled: dict[str, ValueSpec] = {}
    for key, value in spec.items():
        if not key:
            problems.add(where, "metadata keys must be non-empty")
            continue
        spec_value = compile_value(value, pointer(where, key), problems)
        if spec_value is not None:
            compiled[key] = spec_value
    return compiled


def _compile_flatten(spec: Any, where: str, problems: Problems) -> _Flatten | None:
    if not isinstance(spec, dict) or "path" not in spec:
        problems.add(where, "flatten entries look like {path, prefix?, separator?, max_depth?}")
        return None
    _unknown_keys(spec, FLATTEN_KEYS, where, problems)
    try:
        path = parse_path(spec["path"])
    except PathError as exc:
        problems.add(pointer(where, "path"), str(exc))
        return None
    prefix = spec.get("prefix", "")
    separator = spec.get("separator", DEFAULT_FLATTEN.separator)
    max_depth = spec.get("max_depth", DEFAULT_FLATTEN.max_depth)
    arrays = spec.get("arrays", DEFAULT_FLATTEN.arrays)
    exclude = spec.get("exclude", [])
    if not isinstance(prefix, str) or not isinstance(separator, str) or not separator:
        problems.add(where, "prefix must be a string and separator a non-empty string")
        return None
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or not 1 <= max_depth <= 8:
        problems.add(pointer(where, "max_depth"), "max_depth must be an integer from 1 to 8")
        return None
    if arrays not in ARRAY_POLICIES:
        problems.add(pointer(where, "arrays"), f"arrays must be one of {list(ARRAY_POLICIES)}")
        return None
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        problems.add(pointer(where, "exclude"), "exclude must be a list of keys")
        return None
    options = FlattenOptions(separator, max_depth, arrays, frozenset(exclude))
    return _Flatten(path=path, prefix=prefix, options=options)


def _compile_event(
    spec: Any, defaults: _Defaults, where: str, problems: Problems
) -> _EventSpec | None:
    if not isinstance(spec, dict):
        problems.add(where, "an event is an object with event_name, user_id, metadata...")
        return None
    _unknown_keys(spec, EVENT_KEYS, where, problems)
    if "event_name" not in spec:
        problems.add(where, "event_name is required")
    event_name = compile_value(spec.get("event_name"), pointer(where, "event_name"), problems)
    user_id = defaults.user_id
    if "user_id" in spec:
        user_id = compile_value(spec["user_id"], pointer(where, "user_id"), problems)
    elif user_id is None:
        problems.add(where, "user_id is required here or in defaults")
    when = None
    if "when" in spec:
        when = compile_pattern(spec["when"], pointer(where, "when"), problems)
    metadata = _compile_metadata(spec.get("metadata", {}), pointer(where, "metadata"), problems)
    flatten_specs = spec.get("flatten", [])
    if not isinstance(flatten_specs, list):
        problems.add(pointer(where, "flatten"), "flatten is a list of {path, prefix...}")
        flatten_specs = []
    flattens = [
        _compile_flatten(f, pointer(where, "flatten", i), problems)
        for i, f in enumerate(flatten_specs)
    ]
    if event_name is None:
        return None
    return _EventSpec(
        when=when,
        event_name=event_name,
        user_id=user_id,
        defaults=tuple((k, v) for k, v in defaults.metadata.items() if k not in metadata),
        metadata=tuple(metadata.items()),
        flatten=tuple(f for f in flattens if f is not None),
    )


@dataclass(frozen=True, slots=True)
class _Defaults:
    user_id: ValueSpec | None
    metadata: dict[str, ValueSpec]


def _compile_defaults(spec: Any, where: str, problems: Problems) -> _Defaults:
    if not isinstance(spec, dict):
        problems.add(where, "defaults is an object with user_id and metadata")
        return _Defaults(None, {})
    _unknown_keys(spec, DEFAULTS_KEYS, where, problems)
    user_id = None
    if "user_id" in spec:
        user_id = compile_value(spec["user_id"], pointer(where, "user_id"), problems)
    metadata = _compile_metadata(spec.get("metadata", {}), pointer(where, "metadata"), problems)
    return _Defaults(user_id, metadata)


def _compile_rule(
    spec: Any, defaults: _Defaults, seen: set[str], where: str, problems: Problems
) -> _Rule | None:
    if not isinstance(spec, dict):
        problems.add(where, "a rule is an object with id, match and events")
        return None
    _unknown_keys(spec, RULE_KEYS, where, problems)
    rule_id = spec.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        problems.add(pointer(where, "id"), "id must be a non-empty string")
        rule_id = f"rules[{where.rsplit('/', 1)[-1]}]"
    elif rule_id in seen:
        problems.add(pointer(where, "id"), f"duplicate rule id {rule_id!r}")
    seen.add(rule_id)
    match = compile_pattern(spec.get("match"), pointer(where, "match"), problems)
    events = spec.get("events")
    if not isinstance(events, list) or not events:
        problems.add(pointer(where, "events"), "events must be a non-empty list")
        events = []
    compiled = [
        _compile_event(e, defaults, pointer(where, "events", i), problems)
        for i, e in enumerate(events)
    ]
    if spec.get("enabled", True) is False:
        return None
    return _Rule(id=rule_id, match=match, events=tuple(e for e in compiled if e is not None))


def compile_ruleset(document: Mapping[str, Any], problems: Problems) -> RuleSet:
    """Compile ``defaults`` and ``rules`` of a source document; problems are recorded."""
    defaults = _compile_defaults(document.get("defaults", {}), "/defaults", problems)
    rules = document.get("rules")
    if not isinstance(rules, list):
        problems.add("/rules", "rules must be a list")
        rules = []
    seen: set[str] = set()
    compiled = [
        _compile_rule(r, defaults, seen, pointer("/rules", i), problems)
        for i, r in enumerate(rules)
    ]
    return RuleSet(rules=tuple(r for r in compiled if r is not None))
