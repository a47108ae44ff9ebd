"""Collect every compile problem of a rule file, each with its JSON pointer."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


def pointer(base: str, *parts: str | int) -> str:
    """Extend a JSON pointer (RFC 6901 escaping of ``~`` and ``/``)."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/".join([base, *escaped]) if parts else base


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _enclosing(where: str) -> Iterator[str]:
    """``where`` and every pointer that contains it, innermost first (not the root)."""
    while where and where != "/":
        yield where
        where = where.rsplit("/", 1)[0]


@dataclass(slots=True)
class Problems:
    """Compile problems of one file; the compiler keeps going so the user sees them all.

    ``items`` are the lines shown to people (``file: pointer: message``, or ``file: rule "id"
    (pointer): message`` inside a labelled part); ``pointers`` and ``messages`` hold each
    line's JSON pointer and message, in the same order.
    """

    file: str
    items: list[str] = field(default_factory=list)
    pointers: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    """pointer -> the name people know that part by, e.g. ``/rules/3`` -> ``rule "paid"``"""

    def label(self, where: str, name: str) -> None:
        """Name the part at ``where`` in every line about it or about a place inside it."""
        self.labels[where] = name

    def place(self, where: str) -> str:
        """``where`` as shown: ``rule "paid" (/rules/3/match)`` inside a labelled part."""
        where = where or "/"
        for part in _enclosing(where) if self.labels else ():
            name = self.labels.get(part)
            if name is not None:
                return f"{name} ({where})"
        return where

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.file}: {self.place(where)}: {message}")
        self.pointers.append(where or "/")
        self.messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.items)
