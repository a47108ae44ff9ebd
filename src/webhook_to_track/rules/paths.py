"""Paths into a payload: ``a.b[0].c``, ``['odd.key']``, rooted at ``$`` (optional)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final


class _Missing:
    """The value at a path that leads nowhere; distinct from JSON null."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
MAX_DEPTH: Final = 32

_SEGMENT: Final = re.compile(
    r"(?P<dot>\.)?(?P<name>[^.\[\]'\"\s]+)|\[(?P<index>-?\d{1,6})\]|\['(?P<quoted>[^']*)'\]"
)


class PathError(ValueError):
    """A path that cannot be parsed; the message says why."""


@dataclass(frozen=True, slots=True)
class Path:
    text: str
    keys: tuple[str | int, ...]

    def get(self, root: Any) -> Any:
        """The value at this path, or MISSING. Never raises."""
        value = root
        for key in self.keys:
            if isinstance(key, str):
                if not isinstance(value, dict):
                    return MISSING
                value = value.get(key, MISSING)
                if value is MISSING:
                    return MISSING
            else:
                if not isinstance(value, list) or not -len(value) <= key < len(value):
                    return MISSING
                value = value[key]
        return value


def parse_path(text: str) -> Path:
    """Compile a path once.

    Raises:
        PathError: the path is empty, malformed or deeper than MAX_DEPTH.
    """
    if not isinstance(text, str) or not text.strip():
        raise PathError("a path must be a non-empty string")
    body = text[1:] if text.startswith("$") else text
    keys: list[str | int] = []
    position = 0
    while position < len(body):
        match = _SEGMENT.match(body, position)
        if match is None:
            raise PathError(f"cannot read {text!r} at character {position + len(text) - len(body)}")
        if match["name"] is not None:
            if position > 0 and not match["dot"]:
                raise PathError(f"{text!r}: a key after ']' needs a '.' before it")
            keys.append(match["name"])
        elif match["index"] is not None:
            keys.append(int(match["index"]))
        else:
            keys.append(match["quoted"])
        position = match.end()
    if len(keys) > MAX_DEPTH:
        raise PathError(f"{text!r} is deeper than {MAX_DEPTH} levels")
    return Path(text=text, keys=tuple(keys))
