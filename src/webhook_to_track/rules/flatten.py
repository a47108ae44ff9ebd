"""Turn any JSON value into Userpilot-safe metadata entries: primitives only, strings capped,
nested objects flattened into prefixed keys (Userpilot takes primitives only).

``{"plan": {"tier": "pro", "seats": 5}}`` with prefix ``meta_`` becomes
``{"meta_plan_tier": "pro", "meta_plan_seats": 5}``. Levels from ``max_depth`` down are kept as
compact JSON text; arrays of primitives are joined with "," (or JSON-encoded, or skipped).
Keys made by flattening never replace a key already written (declared keys win, then the first
generated one), and stop at a key limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal

from webhook_to_track.rules.transforms import json_text
from webhook_to_track.userpilot.calls import Primitive

ArrayPolicy = Literal["join", "json", "skip"]
ARRAY_POLICIES: Final = ("join", "json", "skip")
MAX_STRING: Final = 1024
"""Metadata strings longer than this are cut to this many characters."""
MAX_KEY: Final = 255
MAX_KEYS: Final = 200


class _Drop:
    """A leaf that is not sent (a null under drop_nulls, a non-finite number, not JSON)."""

    def __repr__(self) -> str:
        return "DROP"


DROP: Final = _Drop()


@dataclass(frozen=True, slots=True)
class FlattenOptions:
    separator: str = "_"
    max_depth: int = 3
    arrays: ArrayPolicy = "join"
    exclude: frozenset[str] = field(default_factory=frozenset)


DEFAULT_FLATTEN: Final = FlattenOptions()


def clean_leaf(value: Any, drop_nulls: bool) -> Any:
    """A primitive as Userpilot takes it, DROP, or the value itself if it is nested."""
    if isinstance(value, str):
        return value[:MAX_STRING] if len(value) > MAX_STRING else value
    if value is None:
        return DROP if drop_nulls else None
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else DROP
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return value
    return DROP


def _text(value: Any) -> Any:
    try:
        return clean_leaf(json_text(value), False)
    except (ValueError, TypeError, RecursionError):
        return DROP


def array_text(values: list[Any], policy: ArrayPolicy) -> Any:
    """An array as one primitive: joined, JSON text, or DROP (policy "skip" or not JSON)."""
    if policy == "skip":
        return DROP
    if policy == "join" and all(_joinable(v) for v in values):
        return clean_leaf(
            ",".join(v if isinstance(v, str) else json_text(v) for v in values), False
        )
    return _text(values)


def _joinable(value: Any) -> bool:
    if isinstance(value, str | int):  # bool is an int
        return True
    return isinstance(value, float) and math.isfinite(value)


def place(
    out: dict[str, Primitive],
    key: str,
    value: Any,
    options: FlattenOptions,
    drop_nulls: bool,
    limit: int,
) -> int:
    """Write a declared key's value: a primitive or an array under ``key`` itself, an object as
    generated ``key_child`` entries. Returns how many generated keys ``limit`` refused."""
    value = clean_leaf(value, drop_nulls)
    if value is DROP:
        return 0
    if isinstance(value, list):
        text = array_text(value, options.arrays)
        if text is not DROP:
            out[key] = text
        return 0
    if isinstance(value, dict):
        return flatten_into(out, key, value, options, drop_nulls, limit)
    out[key] = value
    return 0


def flatten_into(
    out: dict[str, Primitive],
    key: str,
    value: Any,
    options: FlattenOptions,
    drop_nulls: bool,
    limit: int,
    depth: int = 1,
) -> int:
    """Write ``value`` as generated key(s) under ``key``: never over an existing key, never past
    ``limit`` keys. Returns how many keys the limit refused."""
    value = clean_leaf(value, drop_nulls)
    if value is DROP:
        return 0
    if isinstance(value, dict):
        if depth >= options.max_depth:
            value = _text(value)
        else:
            refused = 0
            for child_key, child in value.items():
                if child_key not in options.exclude:
                    child_name = f"{key}{options.separator}{child_key}"
                    refused += flatten_into(
                        out, child_name, child, options, drop_nulls, limit, depth + 1
                    )
            return refused
    elif isinstance(value, list):
        value = array_text(value, options.arrays)
    if value is DROP or key in out or not 0 < len(key) <= MAX_KEY:
        return 0
    if len(out) >= limit:
        return 1
    out[key] = value
    return 0


def flatten_members(
    out: dict[str, Primitive],
    value: dict[str, Any],
    prefix: str,
    options: FlattenOptions,
    drop_nulls: bool,
    limit: int,
) -> int:
    """Flatten the members of an object, each key prefixed with ``prefix``."""
    refused = 0
    for key, child in value.items():
        if key not in options.exclude:
            refused += flatten_into(out, f"{prefix}{key}", child, options, drop_nulls, limit)
    return refused


def flatten_object(
    value: dict[str, Any], prefix: str, options: FlattenOptions = DEFAULT_FLATTEN
) -> dict[str, Primitive]:
    """The members of an object flattened into a new dict (nulls kept, default key limit)."""
    out: dict[str, Primitive] = {}
    flatten_members(out, value, prefix, options, False, MAX_KEYS)
    return out
