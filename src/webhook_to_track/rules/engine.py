"""Map one payload to Userpilot calls with a compiled rule set.

Every rule whose ``match`` succeeds fires, in file order; each of its ``events`` (filtered by an
optional ``when``, once per item with ``for_each``) yields one normalised track event, or a
Rejection naming what was missing. Mapping is pure: no I/O, no logging, no globals. The
structures here are built by :mod:`webhook_to_track.rules.compiler`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from webhook_to_track.models import Rejection
from webhook_to_track.rules.flatten import MAX_KEYS, MAX_STRING, FlattenOptions, flatten_members
from webhook_to_track.rules.match import Pattern, Predicate
from webhook_to_track.rules.normalise import (
    event_id_text,
    event_name_problem,
    place_value,
    trim_generated,
    user_id_of,
)
from webhook_to_track.rules.paths import (
    MISSING,
    Path,
    Reader,
    reset_request_headers,
    set_request_headers,
)
from webhook_to_track.rules.values import ValueSpec
from webhook_to_track.userpilot.calls import Primitive, TrackBody, UserpilotCall

MAX_ITEMS: Final = 500
"""for_each maps at most this many items per event spec; the rest are reported, never dropped
silently."""

Field = tuple[str, Reader]


@dataclass(frozen=True, slots=True)
class MappedCall:
    rule: str
    index: int
    call: UserpilotCall
    item: int | None = None
    """the for_each item index, or None"""

    @property
    def position(self) -> str:
        """Where the call comes from inside its rule: ``"0"``, or ``"0.3"`` for the fourth
        for_each item of the rule's first event; part of the call's queue key."""
        return str(self.index) if self.item is None else f"{self.index}.{self.item}"


@dataclass(frozen=True, slots=True)
class Dropped:
    """A metadata key left out of a sent event (a failed transform, a non-finite number, keys
    over Userpilot's limit). ``reason`` names the rule broken, never the payload value."""

    rule: str
    event_index: int
    key: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "event": self.event_index,
            "key": self.key,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class MappingResult:
    matched: tuple[str, ...]
    calls: tuple[MappedCall, ...]
    rejected: tuple[Rejection, ...]
    dropped: tuple[Dropped, ...] = ()


@dataclass(frozen=True, slots=True)
class Required:
    key: str
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Read:
    """The payload paths a value reads (its fallbacks), and the pointer of that value in the
    source file: for checks against sample payloads, the engine itself never uses it."""

    where: str
    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class Flatten:
    read: Reader
    prefix: str
    options: FlattenOptions
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class Defaults:
    """The file's defaults, compiled. ``root`` fields read only the payload, so they are
    evaluated once per delivery and shared by every event that inherits them."""

    user_id: ValueSpec | None
    root: tuple[Field, ...]
    """metadata defaults (and a payload-scoped occurred_at) that read only the payload"""
    item: tuple[Field, ...]
    """metadata defaults that read the for_each item"""
    required: dict[str, tuple[str, ...]]
    """required default keys -> the paths they read"""
    options: FlattenOptions
    id_key: str | None
    """the metadata key of the sender's event id (None: not added)"""
    id_spec: ValueSpec | None
    """where the sender's event id is (None: the delivery id)"""
    reads: tuple[Read, ...] = ()
    """what the default metadata read (values with a default aside)"""


def fill(
    metadata: dict[str, Primitive],
    fields: tuple[Field, ...],
    scope: tuple[Any, Any, bool],
    options: FlattenOptions,
    drops: list[tuple[str, str]],
) -> int:
    """Evaluate declared fields into ``metadata``, the common primitives inline; a dropped key
    is appended to ``drops`` with its reason. ``scope`` is (root, item, drop_nulls). Returns how
    many flattened keys the key limit refused."""
    root, item, drop_nulls = scope
    refused = 0
    for key, get in fields:
        value = get(root, item)
        kind = value.__class__
        if kind is str:
            if len(value) > MAX_STRING:
                value = value[:MAX_STRING]
        elif kind is int or kind is bool:
            pass
        elif value is None:
            if drop_nulls:
                continue
        elif value is MISSING:
            continue
        elif kind is float and math.isfinite(value):
            pass
        else:
            count, reason = place_value(metadata, key, value, options, drop_nulls)
            refused += count
            if reason:
                drops.append((key, reason))
            continue
        metadata[key] = value
    return refused


class _Shared:
    """Root-scoped defaults evaluated once per delivery (nulls kept: events may drop them)."""

    __slots__ = ("drops", "metadata", "missing", "nulls")

    def __init__(self, defaults: Defaults, root: Any) -> None:
        self.metadata: dict[str, Primitive] = {}
        self.drops: list[tuple[str, str]] = []
        fill(self.metadata, defaults.root, (root, root, False), defaults.options, self.drops)
        self.missing = {
            key: f"required metadata {key!r} is missing (tried: {', '.join(paths) or '-'})"
            for key, paths in defaults.required.items()
            if self.metadata.get(key) is None
        }
        self.nulls = [key for key, value in self.metadata.items() if value is None]


class _Run:
    """One ``map`` call: the payload, the delivery id, the outputs, and the per-delivery cache of
    inherited values (root defaults, the default user id)."""

    __slots__ = ("calls", "delivery_id", "dropped", "drops", "rejected", "root", "shared", "user")

    def __init__(self, root: Any, delivery_id: str | None) -> None:
        self.root = root
        self.delivery_id = delivery_id
        self.calls: list[MappedCall] = []
        self.rejected: list[Rejection] = []
        self.dropped: list[Dropped] = []
        self.drops: list[tuple[str, str]] = []
        self.shared: _Shared | None = None
        self.user: tuple[str | None, str] | None = None


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One compiled entry of a rule's ``events``."""

    rule: str
    index: int
    where: str
    for_each: Reader | None
    for_each_text: str
    when: Pattern | None
    event_name: ValueSpec
    static_name: str | None
    user_id: ValueSpec
    user_id_shared: bool
    """user_id is the file default and reads only the payload: evaluated once per delivery"""
    defaults: Defaults
    hidden: tuple[str, ...]
    """inherited root keys this event declares itself (its own value wins, even when missing)"""
    item_defaults: tuple[Field, ...]
    metadata: tuple[Field, ...]
    required: tuple[Required, ...]
    flatten: tuple[Flatten, ...]
    drop_nulls: bool
    options: FlattenOptions
    add_id: bool
    declared: frozenset[str]
    constraints: tuple[tuple[Path, tuple[Any, ...]], ...] = ()
    """exact values the rule's match and this event's when allow (for event-name listing)"""
    reads: tuple[Read, ...] = ()
    """what its event_name, metadata and flatten read (values with a default aside)"""

    def emit(self, run: _Run) -> None:
        root = run.root
        if self.for_each is None:
            if self.when is None or self.when.test(root, root):
                self._build(run, root, None)
            return
        items = self.for_each(root, root)
        if items is MISSING or items is None:
            return
        if not isinstance(items, list):
            run.rejected.append(self._reject(f"for_each: {self.for_each_text} is not an array"))
            return
        when: Predicate | None = self.when.test if self.when is not None else None
        for index, item in enumerate(items[:MAX_ITEMS]):
            if when is None or when(root, item):
                self._build(run, item, index)
        if len(items) > MAX_ITEMS:
            run.rejected.append(
                self._reject(
                    f"for_each: {self.for_each_text} has {len(items)} items; only the first"
                    f" {MAX_ITEMS} were mapped, {len(items) - MAX_ITEMS} skipped"
                )
            )

    def _reject(self, reason: str, name: str | None = None, item: int | None = None) -> Rejection:
        if item is not None:
            reason = f"item {item}: {reason}"
        return Rejection(self.rule, self.index, reason, name)

    def _build(self, run: _Run, item: Any, index: int | None) -> None:
        root = run.root
        name = self.static_name
        if name is None:
            value = self.event_name.get(root, item)
            problem = event_name_problem(value)
            if problem:
                run.rejected.append(self._reject(problem, None, index))
                return
            name = value
        user_id, problem = self._user_id(run, item)
        if user_id is None:
            run.rejected.append(self._reject(problem, name, index))
            return
        metadata, problem = self._metadata(run, item, index)
        if metadata is None:
            run.rejected.append(self._reject(problem, name, index))
            return
        body: TrackBody = {"user_id": user_id, "event_name": name, "metadata": metadata}
        run.calls.append(MappedCall(self.rule, self.index, UserpilotCall("track", body), index))

    def _user_id(self, run: _Run, item: Any) -> tuple[str | None, str]:
        spec = self.user_id
        if self.user_id_shared:
            if run.user is None:
                run.user = user_id_of(spec.get(run.root, run.root), spec.paths)
            return run.user
        return user_id_of(spec.get(run.root, item), spec.paths)

    def _metadata(
        self, run: _Run, item: Any, index: int | None
    ) -> tuple[dict[str, Primitive] | None, str]:
        root = run.root
        shared = run.shared
        if shared is None:
            shared = run.shared = _Shared(self.defaults, root)
        metadata = dict(shared.metadata)
        if self.hidden or shared.missing or shared.drops or (self.drop_nulls and shared.nulls):
            problem = self._inherit(run, shared, metadata)
            if problem:
                return None, problem
        if self.add_id:
            self._add_id(run, metadata, item, index)
        refused = self._flatten(metadata, root, item) if self.flatten else 0
        drops = run.drops
        scope = (root, item, self.drop_nulls)
        if self.item_defaults:
            refused += fill(metadata, self.item_defaults, scope, self.defaults.options, drops)
        refused += fill(metadata, self.metadata, scope, self.options, drops)
        if drops:
            run.dropped.extend(Dropped(self.rule, self.index, k, r) for k, r in drops)
            drops.clear()
        if self.required:
            problem = self._missing_required(metadata)
            if problem:
                return None, problem
        if refused or len(metadata) > MAX_KEYS:
            self._trim(run, metadata, refused)
        return metadata, ""

    def _flatten(self, metadata: dict[str, Primitive], root: Any, item: Any) -> int:
        refused = 0
        for flat in self.flatten:
            value = flat.read(root, item)
            if isinstance(value, dict):
                refused += flatten_members(
                    metadata, value, flat.prefix, flat.options, self.drop_nulls, MAX_KEYS
                )
        return refused

    def _missing_required(self, metadata: dict[str, Primitive]) -> str:
        for required in self.required:
            if metadata.get(required.key) is None:
                tried = ", ".join(required.paths) or "-"
                return f"required metadata {required.key!r} is missing (tried: {tried})"
        return ""

    def _inherit(self, run: _Run, shared: _Shared, metadata: dict[str, Primitive]) -> str:
        """Adjust the shared defaults for this event: its own keys hide inherited ones, its
        drop_nulls applies; a missing required default rejects it (the reason is returned)."""
        for key in self.hidden:
            metadata.pop(key, None)
        if self.drop_nulls:
            for key in shared.nulls:
                if metadata.get(key, MISSING) is None:
                    del metadata[key]
        for key, reason in shared.missing.items():
            if key not in self.hidden:
                return reason
        for key, reason in shared.drops:
            if key not in self.hidden:
                run.dropped.append(Dropped(self.rule, self.index, key, reason))
        return ""

    def _add_id(
        self, run: _Run, metadata: dict[str, Primitive], item: Any, index: int | None
    ) -> None:
        """The sender's event id (or the delivery id); over flattened keys, under declared ones
        (an event that declares the key has no add_id)."""
        key = self.defaults.id_key
        if key is None:
            return
        spec = self.defaults.id_spec
        value = spec.get(run.root, item) if spec is not None else MISSING
        text = event_id_text(value, run.delivery_id, index)
        if text is not None:
            metadata[key] = text

    def _trim(self, run: _Run, metadata: dict[str, Primitive], refused: int) -> None:
        dropped = trim_generated(metadata, self.declared, MAX_KEYS) + refused
        if dropped:
            run.dropped.append(
                Dropped(
                    self.rule,
                    self.index,
                    "*",
                    f"{dropped} flattened keys over Userpilot's {MAX_KEYS}-key limit left out",
                )
            )


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    match: Pattern
    events: tuple[EventSpec, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...]
    file: str = ""

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)

    def map(
        self,
        payload: Any,
        *,
        delivery_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> MappingResult:
        """Every event the payload yields, normalised for Userpilot; never raises.

        ``delivery_id`` is the sender's delivery id: the ``source_event_id`` metadata falls back
        to it when the source file names no event id. ``headers`` (lowercased names) are what
        ``$headers.<name>`` paths read.
        """
        run = _Run(payload, delivery_id)
        matched: list[str] = []
        token = set_request_headers(headers)  # a context manager would cost ~1 us per call
        try:
            for rule in self.rules:
                if rule.match.test(payload, payload):
                    matched.append(rule.id)
                    for spec in rule.events:
                        spec.emit(run)
        finally:
            reset_request_headers(token)
        return MappingResult(
            tuple(matched), tuple(run.calls), tuple(run.rejected), tuple(run.dropped)
        )
