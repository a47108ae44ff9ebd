"""Preset options a source file may set next to ``"preset"``: their kinds, defaults and checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlsplit

OptionKind = Literal["integer", "url", "header", "choice", "text"]

_HEADER_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
# Printable ASCII without space: a URL exactly as registered with the sender, percent-encoded.
_URL_TEXT: Final = re.compile(r"[\x21-\x7e]{1,2048}")
_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1"})
_TEXT: Final = re.compile(r"[\x20-\x7e]{0,200}")  # printable ASCII, spaces included


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option: its kind, a default (None means required) and a help text.

    ``low``/``high`` bound integers; ``choices`` lists the values of a choice.
    """

    kind: OptionKind
    help: str
    default: int | str | None = None
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is None

    def describe(self) -> str:
        """The option in a few words, for a README table: "integer 1..86400, default 300"."""
        kind = {
            "integer": f"integer {self.low}..{self.high}",
            "url": "absolute https URL",
            "header": "header name",
            "choice": "one of " + ", ".join(self.choices),
            "text": "text",
        }[self.kind]
        return f"{kind}, required" if self.required else f"{kind}, default {self.default}"

    def check(self, name: str, value: Any) -> tuple[Any, str | None]:
        """(the value to use, or the default; a problem or None)."""
        problem = _PROBLEMS[self.kind](self, value)
        if problem is not None:
            return self.default, f"{name} {problem}"
        return (value.lower() if self.kind == "header" else value), None


def integer(default: int, low: int, high: int, help: str) -> OptionSpec:
    """An integer from ``low`` to ``high``."""
    return OptionSpec("integer", help, default, low=low, high=high)


def url(help: str) -> OptionSpec:
    """A required absolute https URL (http only for localhost), no credentials or fragment."""
    return OptionSpec("url", help)


def header(default: str, help: str) -> OptionSpec:
    """A header name, lowercased when resolved."""
    return OptionSpec("header", help, default)


def choice(default: str, choices: tuple[str, ...], help: str) -> OptionSpec:
    """One of ``choices``."""
    return OptionSpec("choice", help, default, choices=choices)


def text(default: str, help: str) -> OptionSpec:
    """Printable ASCII text of at most 200 characters (may be empty)."""
    return OptionSpec("text", help, default)


def _text_problem(spec: OptionSpec, value: Any) -> str | None:
    if not isinstance(value, str) or not _TEXT.fullmatch(value):
        return "must be printable ASCII text of at most 200 characters"
    return None


def _integer_problem(spec: OptionSpec, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not spec.low <= value <= spec.high:
        return f"must be an integer from {spec.low} to {spec.high}"
    return None


def _url_problem(spec: OptionSpec, value: Any) -> str | None:
    wanted = "must be the absolute https URL registered with the sender (http only for localhost)"
    if not isinstance(value, str) or not _URL_TEXT.fullmatch(value):
        return wanted + ", percent-encoded, without spaces"
    parts = urlsplit(value)
    if not _port_parses(value):
        return wanted + ": its port is not a number"
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS)
    if not secure or not parts.hostname:
        return wanted
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials (user:password@)"
    if "#" in value:
        return "must not have a #fragment: senders do not sign it"
    return None


def _port_parses(value: str) -> bool:
    try:
        port = urlsplit(value).port  # urllib reads the port lazily: "host:abc" raises here
    except ValueError:
        return False
    return port is None or port > 0


def _header_problem(spec: OptionSpec, value: Any) -> str | None:
    if not isinstance(value, str) or not _HEADER_NAME.fullmatch(value):
        return "must be an HTTP header name, e.g. x-webhook-token"
    return None


def _choice_problem(spec: OptionSpec, value: Any) -> str | None:
    if value not in spec.choices:
        return "must be one of " + ", ".join(repr(c) for c in spec.choices)
    return None


_PROBLEMS: Final = {
    "integer": _integer_problem,
    "url": _url_problem,
    "header": _header_problem,
    "choice": _choice_problem,
    "text": _text_problem,
}
