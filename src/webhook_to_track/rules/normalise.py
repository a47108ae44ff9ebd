"""The Userpilot normaliser: what every mapped event is made to satisfy before validation.

Policy:

* ``user_id`` is text of 1 to 255 characters that is not blank. Whole numbers become text
  (``42`` and ``42.0`` -> ``"42"``). Booleans, blanks, fractions and objects reject the event
  ("no user id in the payload (tried: ...)"); so does a failed transform and an id longer than
  255 characters, which is never cut (a shorter id names another user).
* ``event_name`` is non-empty text of at most 255 characters, never cut; otherwise the event is
  rejected. (A blank name is left to the Track schema, which rejects it.)
* ``metadata`` holds primitives only. Text longer than MAX_STRING (1,024) characters is cut to
  1,024. Non-finite numbers are dropped. A declared key whose value is an object is flattened
  into ``key_child`` keys (separator "_", depth 3, deeper levels as JSON text); an array becomes
  one value per the ``arrays`` policy: ``join`` (primitives joined with ","; otherwise JSON
  text, the default), ``json`` or ``skip``.
* At most MAX_KEYS (200) keys. Declared keys (the event's, then the file defaults', then the
  added fields) always fit (the compiler counts them); flattened keys past the limit are left
  out and reported as Dropped.
* null: kept by default (Userpilot accepts null metadata); ``drop_nulls: true`` in ``defaults``
  (for the whole file) or on an event (for that event) removes null values.
* A metadata transform that fails drops that key (reported as Dropped, never sent half-made),
  unless the value has a ``default``, which then applies.
* ``required: true`` on a metadata value: the key must end up in the sent metadata with a
  non-null value; otherwise the event is rejected naming the key and the paths tried. (An
  object value is flattened into other keys, so it never satisfies ``required``.)
* Added fields, each under a declared key of the same name losing to it:
  ``occurred_at`` (the sender's event time, ISO-8601, from ``defaults.occurred_at``; not added
  when the file names none, since no other time is the sender's) and ``source_event_id`` (the
  sender's event id from ``defaults.source_event_id``, as text; else the delivery id, with
  ``#<item>`` appended per for_each item). Either may set ``"key"`` to rename it, or be
  ``false`` to turn it off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from webhook_to_track.rules.flatten import (
    ARRAY_POLICIES,
    MAX_KEY,
    MAX_KEYS,
    ArrayPolicy,
    FlattenOptions,
    place,
)
from webhook_to_track.rules.paths import MISSING
from webhook_to_track.rules.problems import Problems, pointer
from webhook_to_track.rules.values import Failure, ValueSpec, compile_value
from webhook_to_track.userpilot.calls import Primitive

MAX_NAME: Final = 255
"""user_id and event_name: Userpilot's limit; longer ones reject the event."""
TIME_KEY: Final = "occurred_at"
ID_KEY: Final = "source_event_id"


@dataclass(frozen=True, slots=True)
class Policy:
    """Null and array handling of one level (the file defaults, or an event)."""

    drop_nulls: bool = False
    arrays: ArrayPolicy = "join"

    @property
    def options(self) -> FlattenOptions:
        return FlattenOptions(arrays=self.arrays)


@dataclass(frozen=True, slots=True)
class Added:
    """One added field: the metadata key (None: off) and where its value is (None: not named)."""

    key: str | None
    spec: ValueSpec | None


def user_id_of(value: Any, paths: tuple[str, ...]) -> tuple[str | None, str]:
    """(the Userpilot user id, "") or (None, why the event is rejected)."""
    if isinstance(value, str):
        if not value or value.isspace():
            return None, f"no user id in the payload (tried: {', '.join(paths) or '-'})"
        if len(value) > MAX_NAME:
            return None, (
                f"user_id is longer than {MAX_NAME} characters (never cut: a shorter id names"
                " another user)"
            )
        return str(value), ""
    if isinstance(value, int) and not isinstance(value, bool):
        return user_id_of(str(value), paths)
    if isinstance(value, float) and value.is_integer():
        return user_id_of(str(int(value)), paths)
    if value.__class__ is Failure:
        return None, f"user_id: {value.reason} (tried: {', '.join(paths) or '-'})"
    return None, f"no user id in the payload (tried: {', '.join(paths) or '-'})"


def event_name_problem(value: Any) -> str:
    """Why ``value`` cannot be an event name, or "" if it can."""
    if isinstance(value, str) and value:
        return "" if len(value) <= MAX_NAME else f"event_name is longer than {MAX_NAME} characters"
    if value.__class__ is Failure:
        return f"event_name: {value.reason}"
    return "event_name is missing or not a non-empty string"


def event_id_text(value: Any, delivery_id: str | None, item: int | None) -> str | None:
    """The sender's event id as text; else the delivery id (``#item`` per for_each item)."""
    if isinstance(value, str) and value:
        return value[:MAX_NAME]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if delivery_id is None:
        return None
    return delivery_id if item is None else f"{delivery_id}#{item}"


def place_value(
    metadata: dict[str, Primitive],
    key: str,
    value: Any,
    options: FlattenOptions,
    drop_nulls: bool,
) -> tuple[int, str]:
    """Write any evaluated value under a declared key: (flattened keys refused by the limit,
    why the key was dropped or "")."""
    if value is MISSING:
        return 0, ""
    if value.__class__ is Failure:
        return 0, str(value.reason)
    if isinstance(value, float) and not math.isfinite(value):
        return 0, "not a finite number"
    refused = place(metadata, key, value, options, drop_nulls, MAX_KEYS)
    if key not in metadata and value is not None and not isinstance(value, dict | list):
        return refused, "not a JSON value"
    return refused, ""


def trim_generated(metadata: dict[str, Primitive], declared: frozenset[str], limit: int) -> int:
    """Remove the last generated (not declared) keys until at most ``limit`` remain."""
    extra = len(metadata) - limit
    if extra <= 0:
        return 0
    doomed = [key for key in reversed(metadata) if key not in declared][:extra]
    for key in doomed:
        del metadata[key]
    return len(doomed)


def compile_policy(
    spec: dict[str, Any], inherited: Policy, where: str, problems: Problems
) -> Policy:
    """``drop_nulls`` and ``arrays`` of one level; unset ones are inherited."""
    drop_nulls = spec.get("drop_nulls", inherited.drop_nulls)
    arrays = spec.get("arrays", inherited.arrays)
    if not isinstance(drop_nulls, bool):
        problems.add(pointer(where, "drop_nulls"), "drop_nulls is true or false")
        drop_nulls = inherited.drop_nulls
    if arrays not in ARRAY_POLICIES:
        problems.add(pointer(where, "arrays"), f"arrays must be one of {list(ARRAY_POLICIES)}")
        arrays = inherited.arrays
    return Policy(drop_nulls, arrays)


def compile_added(defaults: dict[str, Any], name: str, where: str, problems: Problems) -> Added:
    """``defaults.occurred_at`` / ``defaults.source_event_id``: false, or a value object with an
    optional ``key``. Absent: source_event_id still falls back to the delivery id."""
    off = Added(None, None)
    if name not in defaults:
        return off if name == TIME_KEY else Added(ID_KEY, None)
    spec = defaults[name]
    here = pointer(where, name)
    if spec is False:
        return off
    if not isinstance(spec, dict):
        problems.add(
            here,
            f'{name} is false or a value object, e.g. {{"path": "created", "transform":'
            ' ["unix_to_iso"]}; a plain string would be a literal',
        )
        return off
    key = spec.get("key", name)
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY:
        problems.add(pointer(here, "key"), f"key is a metadata key of 1 to {MAX_KEY} characters")
        key = name
    value = compile_value(spec, here, problems, item_scope=True, role="added")
    return Added(key, value) if value is not None else off


def literal_problem(spec: ValueSpec | None, role: str) -> str:
    """Why a literal user_id or event_name could never be sent, or ""."""
    if spec is None or spec.kind != "literal" or spec.chain:
        return ""
    value = spec.constant
    if role == "user_id":
        return user_id_of(value, ())[1] and "user_id must be text or a whole number"
    return (
        event_name_problem(value) and "event_name must be non-empty text of at most 255 characters"
    )
