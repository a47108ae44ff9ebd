"""Paths into a payload: ``a.b[0].c``, ``a.b[-1]``, ``['odd.key']``, rooted at ``$`` (optional)
or at ``@``, the current ``for_each`` item; and ``$headers.<name>``, a request header (for
senders that put the event type only there: X-Shopify-Topic, X-GitHub-Event,
X-HelpScout-Event). Each path compiles once into a getter closure."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final


class Sentinel:
    """A named marker value, compared by identity and falsy; distinct from every JSON value."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:
        return False


MISSING: Final = Sentinel("MISSING")
"""The value at a path that leads nowhere; distinct from JSON null."""
MAX_DEPTH: Final = 32
MAX_PATH_TEXT: Final = 500
ITEM: Final = "@"
"""The first character of a path that reads the current ``for_each`` item."""

HEADERS: Final = "$headers"
"""The root of paths that read a request header: ``$headers.x-shopify-topic``."""
# Rules must never copy credentials into analytics: such headers cannot be read at all.
_CREDENTIAL_WORDS: Final = (
    "authorization",
    "cookie",
    "signature",
    "secret",
    "token",
    "auth",
    "key",
)
_HEADER_NAME: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
# The request's lowercased headers while RuleSet.map runs (a context variable: per thread/task).
_NO_HEADERS: Final[Mapping[str, str]] = MappingProxyType({})
_REQUEST_HEADERS: ContextVar[Mapping[str, str]] = ContextVar(
    "webhook_request_headers", default=_NO_HEADERS
)


def set_request_headers(headers: Mapping[str, str] | None) -> Token[Mapping[str, str]]:
    """Make ``headers`` (lowercased names) what ``$headers.<name>`` paths read, until the
    returned token is passed to reset_request_headers."""
    return _REQUEST_HEADERS.set(headers if headers is not None else _NO_HEADERS)


def reset_request_headers(token: Token[Mapping[str, str]]) -> None:
    _REQUEST_HEADERS.reset(token)


@contextmanager
def request_headers(headers: Mapping[str, str] | None) -> Iterator[None]:
    """Make ``headers`` what ``$headers.<name>`` paths read in this block."""
    token = set_request_headers(headers)
    try:
        yield
    finally:
        reset_request_headers(token)


def _header_reader(name: str) -> Reader:
    def read(root: Any, current: Any) -> Any:
        return _REQUEST_HEADERS.get().get(name, MISSING)

    return read


Reader = Callable[[Any, Any], Any]
"""(root payload, current for_each item) -> value or MISSING; never raises. Outside for_each the
item is the root payload."""

_SEGMENT: Final = re.compile(
    r"(?P<dot>\.)?(?P<name>[^.\[\]'\"\s]+)|\[(?P<index>-?\d{1,6})\]|\['(?P<quoted>[^']*)'\]"
)
# A missing key (KeyError), a key into a non-object (TypeError) or an index out of range.
_NOT_THERE: Final = (KeyError, TypeError, IndexError)


class PathError(ValueError):
    """A path that cannot be parsed; the message says why."""


def _read1(keys: tuple[str, ...], item: bool) -> Reader:
    (a,) = keys

    def read(root: Any, current: Any) -> Any:
        try:
            return (current if item else root)[a]
        except _NOT_THERE:
            return MISSING

    return read


def _read2(keys: tuple[str, ...], item: bool) -> Reader:
    a, b = keys

    def read(root: Any, current: Any) -> Any:
        try:
            return (current if item else root)[a][b]
        except _NOT_THERE:
            return MISSING

    return read


def _read3(keys: tuple[str, ...], item: bool) -> Reader:
    a, b, c = keys

    def read(root: Any, current: Any) -> Any:
        try:
            return (current if item else root)[a][b][c]
        except _NOT_THERE:
            return MISSING

    return read


def _read_n(keys: tuple[str, ...], item: bool) -> Reader:
    def read(root: Any, current: Any) -> Any:
        value = current if item else root
        try:
            for key in keys:
                value = value[key]
        except _NOT_THERE:
            return MISSING
        return value

    return read


# Object keys only: one subscript chain, the common case, unrolled for short paths.
# ``value[key]`` raises TypeError for lists, strings and scalars, so only objects are entered.
_KEY_READERS: Final = {1: _read1, 2: _read2, 3: _read3}


def _mixed_reader(keys: tuple[str | int, ...], item: bool) -> Reader:
    """Keys and indexes: an index only enters a list (a string is not indexed by character)."""

    def read(root: Any, current: Any) -> Any:
        value = current if item else root
        try:
            for key in keys:
                if key.__class__ is int and not isinstance(value, list):
                    return MISSING
                value = value[key]
        except _NOT_THERE:
            return MISSING
        return value

    return read


def compile_reader(keys: tuple[str | int, ...], item: bool = False) -> Reader:
    """The fastest exact reader for ``keys``, from the root or from the current item."""
    if not keys:
        return (lambda _, current: current) if item else (lambda root, _: root)
    if all(isinstance(key, str) for key in keys):
        factory = _KEY_READERS.get(len(keys), _read_n)
        return factory(tuple(str(key) for key in keys), item)
    return _mixed_reader(keys, item)


@dataclass(frozen=True, slots=True)
class Path:
    """A parsed path. ``item`` is true for ``@`` paths, which read the ``for_each`` item."""

    text: str
    keys: tuple[str | int, ...]
    item: bool = False
    read: Reader = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.header is not None:
            object.__setattr__(self, "read", _header_reader(self.header))
        else:
            object.__setattr__(self, "read", compile_reader(self.keys, self.item))

    @property
    def header(self) -> str | None:
        """The header a ``$headers.<name>`` path reads, else None."""
        if not self.item and len(self.keys) == 2 and self.keys[0] == HEADERS:
            return str(self.keys[1])
        return None

    def get(self, root: Any) -> Any:
        """The value at this path in ``root`` (an ``@`` path reads ``root`` as the item), or
        MISSING. Never raises."""
        return self.read(root, root)


def parse_path(text: Any) -> Path:
    """Compile a path once.

    Raises:
        PathError: the path is empty, malformed, longer than MAX_PATH_TEXT characters or deeper
            than MAX_DEPTH.
    """
    if not isinstance(text, str) or not text.strip():
        raise PathError("a path must be a non-empty string")
    if len(text) > MAX_PATH_TEXT:
        raise PathError(f"a path is at most {MAX_PATH_TEXT} characters")
    if text == HEADERS or text.startswith(HEADERS + "."):
        return _header_path(text)
    item = text.startswith(ITEM)
    body = text[1:] if item or text.startswith("$") else text
    if item and body and body[0] not in ".[":
        raise PathError(f"{text!r}: write '@.key' or '@[0]' for the for_each item")
    keys = _segments(text, body)
    if len(keys) > MAX_DEPTH:
        raise PathError(f"{text!r} is deeper than {MAX_DEPTH} levels")
    return Path(text=text, keys=tuple(keys), item=item)


def _segments(text: str, body: str) -> list[str | int]:
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
    return keys


def _header_path(text: str) -> Path:
    name = text[len(HEADERS) + 1 :].lower()
    if not _HEADER_NAME.fullmatch(name):
        raise PathError(f"{text!r}: write $headers.<header-name>, e.g. $headers.x-shopify-topic")
    if any(word in name for word in _CREDENTIAL_WORDS):
        raise PathError(f"{text!r}: headers carrying credentials or signatures cannot be read")
    return Path(text=text, keys=(HEADERS, name))
