"""Flatten nested objects and arrays into primitive metadata keys (Userpilot takes primitives only).

``{"plan": {"tier": "pro", "seats": 5}}`` with prefix ``meta_`` becomes
``{"meta_plan_tier": "pro", "meta_plan_seats": 5}``. Levels below ``max_depth`` are kept as
compact JSON text; arrays of primitives are joined with "," (or JSON-encoded, or skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from webhook_to_track.models import Primitive
from webhook_to_track.rules.values import json_text

ArrayPolicy = Literal["join", "json", "skip"]
ARRAY_POLICIES: Final = ("join", "json", "skip")


def is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


@dataclass(frozen=True, slots=True)
class FlattenOptions:
    separator: str = "_"
    max_depth: int = 3
    arrays: ArrayPolicy = "join"
    exclude: frozenset[str] = field(default_factory=frozenset)


DEFAULT_FLATTEN: Final = FlattenOptions()


def _array(values: list[Any], policy: ArrayPolicy) -> str:
    if policy == "join" and all(is_primitive(v) and v is not None for v in values):
        return ",".join(v if isinstance(v, str) else json_text(v) for v in values)
    return json_text(values)


def flatten_into(
    out: dict[str, Primitive],
    key: str,
    value: Any,
    options: FlattenOptions = DEFAULT_FLATTEN,
    depth: int = 1,
) -> None:
    """Write ``value`` under ``key`` into ``out`` as primitive keys."""
    if is_primitive(value):
        out[key] = value
    elif isinstance(value, list):
        if options.arrays != "skip":
            out[key] = _array(value, options.arrays)
    elif isinstance(value, dict):
        if depth >= options.max_depth:
            out[key] = json_text(value)
            return
        for child_key, child in value.items():
            if child_key in options.exclude:
                continue
            flatten_into(out, f"{key}{options.separator}{child_key}", child, options, depth + 1)


def flatten_object(
    value: dict[str, Any], prefix: str, options: FlattenOptions
) -> dict[str, Primitive]:
    """Flatten the members of an object, each key prefixed with ``prefix``."""
    out: dict[str, Primitive] = {}
    for key, child in value.items():
        if key not in options.exclude:
            flatten_into(out, f"{prefix}{key}", child, options)
    return out
