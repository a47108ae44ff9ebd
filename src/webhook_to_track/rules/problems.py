"""Collect every compile problem of a rule file, each with its JSON pointer."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


def pointer(base: str, *parts: str | int) -> str:
    """Extend a JSON pointer (RFC 6901 escaping of ``~`` and ``/``)."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/".join([base, *escaped]) if parts else base


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(slots=True)
class Problems:
    """Compile problems of one file; the compiler keeps going so the user sees them all.

    ``items`` are the lines shown to people (``file: pointer: message``); ``pointers`` holds
    each line's JSON pointer, in the same order.
    """

    file: str
    items: list[str] = field(default_factory=list)
    pointers: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.file}: {where or '/'}: {message}")
        self.pointers.append(where or "/")

    def __bool__(self) -> bool:
        return bool(self.items)
