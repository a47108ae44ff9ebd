"""Compile a source file's ``defaults`` and ``rules`` once (cold start) into a RuleSet.

The compiler is the authority on rule files: it keeps going after a mistake and records every
problem with its JSON pointer, a message and, for unknown names, a "did you mean".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from webhook_to_track.rules.engine import (
    Defaults,
    EventSpec,
    Field,
    Flatten,
    Read,
    Required,
    Rule,
    RuleSet,
)
from webhook_to_track.rules.flatten import ARRAY_POLICIES, MAX_KEY, MAX_KEYS, FlattenOptions
from webhook_to_track.rules.match import Pattern, compile_pattern
from webhook_to_track.rules.normalise import (
    ID_KEY,
    TIME_KEY,
    Added,
    Policy,
    compile_added,
    compile_policy,
    literal_problem,
)
from webhook_to_track.rules.paths import MISSING, Path, PathError, parse_path
from webhook_to_track.rules.problems import Problems, did_you_mean, pointer
from webhook_to_track.rules.values import ValueSpec, compile_value

RULE_KEYS: Final = ("id", "description", "enabled", "match", "events")
EVENT_KEYS: Final = (
    "description",
    "for_each",
    "when",
    "event_name",
    "user_id",
    "metadata",
    "flatten",
    "drop_nulls",
    "arrays",
)
DEFAULTS_KEYS: Final = (
    "description",
    "user_id",
    "metadata",
    "drop_nulls",
    "arrays",
    TIME_KEY,
    ID_KEY,
)
FLATTEN_KEYS: Final = ("path", "prefix", "separator", "max_depth", "arrays", "exclude")
MAX_RULE_ID: Final = 200
MAX_EVENTS: Final = 50
"""event specs per rule"""


@dataclass(frozen=True, slots=True)
class _FileDefaults:
    user_id: ValueSpec | None
    metadata: dict[str, ValueSpec]
    policy: Policy
    time: Added
    id: Added
    runtime: Defaults

    def inherited(self) -> dict[str, ValueSpec]:
        """Every declared default field, the occurred_at field included (under its key)."""
        fields = dict(self.metadata)
        if self.time.key is not None and self.time.spec is not None:
            fields.setdefault(self.time.key, self.time.spec)
        return fields


def _unknown_keys(
    spec: Mapping[str, Any], allowed: tuple[str, ...], where: str, problems: Problems
) -> None:
    for key in spec:
        if key not in allowed:
            problems.add(pointer(where, key), f"unknown key {key!r}{did_you_mean(key, allowed)}")


def _compile_metadata(
    spec: Any, where: str, item_scope: bool, problems: Problems
) -> dict[str, ValueSpec]:
    if not isinstance(spec, dict):
        problems.add(where, "metadata is an object of {key: value spec}")
        return {}
    if len(spec) > MAX_KEYS:
        problems.add(where, f"at most {MAX_KEYS} metadata keys")
    compiled: dict[str, ValueSpec] = {}
    for key, value in spec.items():
        if not 0 < len(key) <= MAX_KEY:
            problems.add(pointer(where, key), f"metadata keys have 1 to {MAX_KEY} characters")
            continue
        spec_value = compile_value(value, pointer(where, key), problems, item_scope=item_scope)
        if spec_value is not None:
            compiled[key] = spec_value
    return compiled


def _flatten_options(spec: dict[str, Any], where: str, problems: Problems) -> FlattenOptions | None:
    separator = spec.get("separator", "_")
    max_depth = spec.get("max_depth", 3)
    arrays = spec.get("arrays", "join")
    exclude = spec.get("exclude", [])
    if (
        not isinstance(spec.get("prefix", ""), str)
        or not isinstance(separator, str)
        or not separator
    ):
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
    return FlattenOptions(separator, max_depth, arrays, frozenset(exclude))


def _compile_flatten(spec: Any, where: str, item_scope: bool, problems: Problems) -> Flatten | None:
    if not isinstance(spec, dict) or "path" not in spec:
        problems.add(where, "flatten entries look like {path, prefix?, separator?, max_depth?}")
        return None
    _unknown_keys(spec, FLATTEN_KEYS, where, problems)
    try:
        path = parse_path(spec["path"])
    except PathError as exc:
        problems.add(pointer(where, "path"), str(exc))
        return None
    if path.item and not item_scope:
        problems.add(
            pointer(where, "path"),
            f"{path.text!r} reads the for_each item, but there is no for_each here",
        )
        return None
    options = _flatten_options(spec, where, problems)
    if options is None:
        return None
    return Flatten(read=path.read, prefix=spec.get("prefix", ""), options=options, path=path)


def _compile_flattens(spec: Any, where: str, item_scope: bool, problems: Problems) -> list[Flatten]:
    if not isinstance(spec, list):
        problems.add(where, "flatten is a list of {path, prefix...}")
        return []
    compiled = [
        _compile_flatten(f, pointer(where, i), item_scope, problems) for i, f in enumerate(spec)
    ]
    return [f for f in compiled if f is not None]


def _compile_for_each(spec: dict[str, Any], where: str, problems: Problems) -> Path | None:
    if "for_each" not in spec:
        return None
    here = pointer(where, "for_each")
    text = spec["for_each"]
    if not isinstance(text, str):
        problems.add(
            here,
            'for_each takes a path to an array, e.g. "data.items" or "$" for a top-level array',
        )
        return None
    try:
        path = parse_path(text)
    except PathError as exc:
        problems.add(here, str(exc))
        return None
    if path.item:
        problems.add(
            here, "for_each reads the payload; a for_each inside a for_each is not supported"
        )
        return None
    return path


def _identity(
    spec: dict[str, Any], defaults: _FileDefaults, where: str, item_scope: bool, problems: Problems
) -> tuple[ValueSpec | None, ValueSpec | None]:
    """(event_name, user_id) of an event; the user id may come from the defaults."""
    if "event_name" not in spec:
        problems.add(where, "event_name is required")
    name_where = pointer(where, "event_name")
    event_name = compile_value(
        spec.get("event_name"), name_where, problems, item_scope=item_scope, role="event_name"
    )
    if literal_problem(event_name, "event_name"):
        problems.add(name_where, literal_problem(event_name, "event_name"))
    user_id = defaults.user_id
    if "user_id" in spec:
        user_where = pointer(where, "user_id")
        user_id = compile_value(
            spec["user_id"], user_where, problems, item_scope=item_scope, role="user_id"
        )
        if literal_problem(user_id, "user_id"):
            problems.add(user_where, literal_problem(user_id, "user_id"))
    elif user_id is None:
        problems.add(where, "user_id is required here or in defaults")
    elif user_id.reads_item and not item_scope:
        problems.add(
            where,
            "inherits /defaults/user_id, which reads the for_each item (@); add a for_each or"
            " give this event its own user_id",
        )
    return event_name, user_id


def _inherited_scope(
    defaults: _FileDefaults, own: dict[str, ValueSpec], where: str, problems: Problems
) -> None:
    """An event without for_each cannot inherit default fields that read the item."""
    for key, value in defaults.inherited().items():
        if key not in own and value.reads_item:
            source = (
                "/defaults/occurred_at" if key == defaults.time.key else f"/defaults/metadata/{key}"
            )
            problems.add(
                where,
                f"inherits {source}, which reads the for_each item (@); add a for_each or"
                f" declare {key!r} on this event",
            )
    if defaults.id.key not in own and defaults.id.spec is not None and defaults.id.spec.reads_item:
        problems.add(
            where,
            "inherits /defaults/source_event_id, which reads the for_each item (@); add a for_each"
            f" or declare {defaults.id.key!r} on this event",
        )


@dataclass(frozen=True, slots=True)
class _Layout:
    """Which inherited fields an event keeps, and every key it declares."""

    hidden: tuple[str, ...]
    item_defaults: tuple[Field, ...]
    required: tuple[Required, ...]
    add_id: bool
    declared: frozenset[str]


def _layout(defaults: _FileDefaults, own: dict[str, ValueSpec]) -> _Layout:
    inherited = defaults.inherited()
    root_keys = [key for key, _ in defaults.runtime.root]
    hidden = tuple(key for key in root_keys if key in own)
    item_defaults = tuple(
        (key, value.get) for key, value in inherited.items() if value.reads_item and key not in own
    )
    required = [Required(key, value.paths) for key, value in own.items() if value.required]
    required += [
        Required(key, value.paths)
        for key, value in inherited.items()
        if value.required and value.reads_item and key not in own
    ]
    add_id = (
        defaults.id.key is not None
        and defaults.id.key not in own
        and defaults.id.key not in inherited
    )
    declared = set(own) | {key for key in inherited if key not in own}
    if add_id and defaults.id.key is not None:
        declared.add(defaults.id.key)
    return _Layout(hidden, item_defaults, tuple(required), add_id, frozenset(declared))


@dataclass(frozen=True, slots=True)
class _RuleContext:
    rule_id: str
    match: Pattern
    defaults: _FileDefaults


def _constraints(*patterns: Pattern | None) -> tuple[tuple[Path, tuple[Any, ...]], ...]:
    return tuple(exact for p in patterns if p is not None for exact in p.exact)


def _reads(where: str, value: ValueSpec | None) -> tuple[Read, ...]:
    """A value's payload paths (headers aside) as one Read; none for a literal, or for a value
    with a default (it may be missing by design)."""
    if value is None or value.default is not MISSING:
        return ()
    paths = tuple(path for path in value.sources if path.header is None)
    return (Read(where, paths),) if paths else ()


def _event_reads(
    where: str, event_name: ValueSpec | None, own: dict[str, ValueSpec], flattens: list[Flatten]
) -> tuple[Read, ...]:
    reads = [*_reads(pointer(where, "event_name"), event_name)]
    for key, value in own.items():
        reads += _reads(pointer(where, "metadata", key), value)
    for i, flat in enumerate(flattens):
        if flat.path is not None and flat.path.header is None:
            reads.append(Read(pointer(where, "flatten", i), (flat.path,)))
    return tuple(reads)


def _compile_event(
    spec: Any, index: int, context: _RuleContext, where: str, problems: Problems
) -> EventSpec | None:
    if not isinstance(spec, dict):
        problems.add(where, "an event is an object with event_name, user_id, metadata...")
        return None
    _unknown_keys(spec, EVENT_KEYS, where, problems)
    defaults = context.defaults
    for_each = _compile_for_each(spec, where, problems)
    item_scope = for_each is not None or "for_each" in spec
    when = None
    if "when" in spec:
        when = compile_pattern(
            spec["when"], pointer(where, "when"), problems, item_scope=item_scope
        )
    event_name, user_id = _identity(spec, defaults, where, item_scope, problems)
    own = _compile_metadata(
        spec.get("metadata", {}), pointer(where, "metadata"), item_scope, problems
    )
    flattens = _compile_flattens(
        spec.get("flatten", []), pointer(where, "flatten"), item_scope, problems
    )
    policy = compile_policy(spec, defaults.policy, where, problems)
    if not item_scope:
        _inherited_scope(defaults, own, where, problems)
    layout = _layout(defaults, own)
    if len(layout.declared) > MAX_KEYS:
        problems.add(
            pointer(where, "metadata"),
            f"this event declares {len(layout.declared)} metadata keys with its defaults and added"
            f" fields; Userpilot takes at most {MAX_KEYS}",
        )
    if event_name is None or user_id is None:
        return None
    static_name = (
        event_name.constant
        if event_name.kind == "literal"
        and not event_name.chain
        and isinstance(event_name.constant, str)
        else None
    )
    return EventSpec(
        rule=context.rule_id,
        index=index,
        where=where,
        for_each=for_each.read if for_each is not None else None,
        for_each_text=for_each.text if for_each is not None else "",
        when=when,
        event_name=event_name,
        static_name=static_name,
        user_id=user_id,
        user_id_shared="user_id" not in spec and not user_id.reads_item,
        defaults=defaults.runtime,
        hidden=layout.hidden,
        item_defaults=layout.item_defaults,
        metadata=tuple((key, value.get) for key, value in own.items()),
        required=layout.required,
        flatten=tuple(flattens),
        drop_nulls=policy.drop_nulls,
        options=policy.options,
        add_id=layout.add_id,
        declared=layout.declared,
        constraints=_constraints(context.match, when),
        reads=_event_reads(where, event_name, own, flattens),
    )


def _compile_defaults(spec: Any, where: str, problems: Problems) -> _FileDefaults:
    if not isinstance(spec, dict):
        problems.add(where, "defaults is an object with user_id and metadata")
        spec = {}
    _unknown_keys(spec, DEFAULTS_KEYS, where, problems)
    user_id = None
    if "user_id" in spec:
        user_where = pointer(where, "user_id")
        user_id = compile_value(
            spec["user_id"], user_where, problems, item_scope=True, role="user_id"
        )
        if literal_problem(user_id, "user_id"):
            problems.add(user_where, literal_problem(user_id, "user_id"))
    metadata = _compile_metadata(
        spec.get("metadata", {}), pointer(where, "metadata"), True, problems
    )
    policy = compile_policy(spec, Policy(), where, problems)
    time = compile_added(spec, TIME_KEY, where, problems)
    if time.key in metadata:
        time = Added(None, None)  # a declared key of that name wins
    event_id = compile_added(spec, ID_KEY, where, problems)
    fields = dict(metadata)
    if time.key is not None and time.spec is not None:
        fields[time.key] = time.spec
    runtime = Defaults(
        user_id=user_id,
        root=tuple((k, v.get) for k, v in fields.items() if not v.reads_item),
        item=tuple((k, v.get) for k, v in fields.items() if v.reads_item),
        required={k: v.paths for k, v in fields.items() if v.required and not v.reads_item},
        options=policy.options,
        id_key=event_id.key,
        id_spec=event_id.spec,
        reads=(
            *(r for k, v in metadata.items() for r in _reads(pointer(where, "metadata", k), v)),
            *_reads(pointer(where, TIME_KEY), time.spec),
            *_reads(pointer(where, ID_KEY), event_id.spec),
        ),
    )
    return _FileDefaults(user_id, metadata, policy, time, event_id, runtime)


def _rule_id(spec: dict[str, Any], seen: set[str], where: str, problems: Problems) -> str:
    rule_id = spec.get("id")
    if not isinstance(rule_id, str) or not 0 < len(rule_id) <= MAX_RULE_ID:
        problems.add(pointer(where, "id"), f"id must be a string of 1 to {MAX_RULE_ID} characters")
        return f"rules[{where.rsplit('/', 1)[-1]}]"
    if rule_id in seen:
        problems.add(pointer(where, "id"), f"duplicate rule id {rule_id!r}")
    seen.add(rule_id)
    return rule_id


def _compile_rule(
    spec: Any, defaults: _FileDefaults, seen: set[str], where: str, problems: Problems
) -> Rule | None:
    if not isinstance(spec, dict):
        problems.add(where, "a rule is an object with id, match and events")
        return None
    _unknown_keys(spec, RULE_KEYS, where, problems)
    rule_id = _rule_id(spec, seen, where, problems)
    if "match" not in spec:
        problems.add(pointer(where, "match"), "match is required ({} matches every payload)")
    match = compile_pattern(spec.get("match", {}), pointer(where, "match"), problems)
    events = spec.get("events")
    if not isinstance(events, list) or not events or len(events) > MAX_EVENTS:
        problems.add(pointer(where, "events"), f"events must be a list of 1 to {MAX_EVENTS} events")
        events = events if isinstance(events, list) else []
    enabled = spec.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.add(pointer(where, "enabled"), "enabled is true or false")
    context = _RuleContext(rule_id, match, defaults)
    compiled = [
        _compile_event(e, i, context, pointer(where, "events", i), problems)
        for i, e in enumerate(events)
    ]
    if enabled is False:
        return None
    return Rule(id=rule_id, match=match, events=tuple(e for e in compiled if e is not None))


def rule_label(rule_id: str) -> str:
    """How problem lines name a rule: ``rule "invoice-paid"``."""
    return f"rule {json.dumps(rule_id, ensure_ascii=False)}"


def label_rules(document: Any, problems: Problems) -> None:
    """Name each rule by its id in the problem lines about it; a rule without a usable id keeps
    its bare pointer, whose index says which one it is."""
    rules = document.get("rules") if isinstance(document, Mapping) else None
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if isinstance(rule_id, str) and 0 < len(rule_id) <= MAX_RULE_ID:
            problems.label(pointer("/rules", index), rule_label(rule_id))


def compile_ruleset(document: Mapping[str, Any], problems: Problems) -> RuleSet:
    """Compile ``defaults`` and ``rules`` of a source document; problems are recorded, each
    rule's named by its id."""
    label_rules(document, problems)
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
    return RuleSet(rules=tuple(r for r in compiled if r is not None), file=problems.file)
