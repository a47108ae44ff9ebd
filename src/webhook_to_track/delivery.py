"""Open a verified request: parse its body (JSON or one of the form encodings) and find the
sender's delivery id."""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args
from urllib.parse import parse_qsl

from webhook_to_track.errors import MalformedBodyError
from webhook_to_track.request import WebhookRequest
from webhook_to_track.rules.paths import Path

# json: a JSON document. form: x-www-form-urlencoded, repeated names become lists.
# form-payload: a form whose "payload" field holds the JSON (GitHub form mode, Slack
# interactivity). form-brackets: Maxio's payload[subscription][product][name]=... nesting.
BodyFormat = Literal["json", "form", "form-payload", "form-brackets"]
BODY_FORMATS: Final[tuple[str, ...]] = get_args(BodyFormat)

_BRACKETS: Final = re.compile(r"\[([^\[\]]*)\]")
_MAX_FORM_DEPTH: Final = 32  # as deep as a mapping path can reach


def _usable(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and value != ""


@dataclass(frozen=True, slots=True)
class DeliveryIdSpec:
    """Where the sender puts its delivery id: a body path; a header that may come under several
    names (Standard Webhooks' ``webhook-id`` is ``svix-id`` from Svix; the first present wins);
    or, for a body that is an array of events (HubSpot), a path inside each element."""

    path: Path | None = None
    headers: tuple[str, ...] = ()
    each: Path | None = None

    def find(self, payload: Any, request: WebhookRequest) -> str:
        """The sender's id, or ``sha256:<hex of the raw body>`` when it sends none."""
        if self.each is not None:
            return self._batch_id(payload) or _body_hash(request.body)
        value: Any = None
        if self.path is not None:
            value = self.path.get(payload)
        else:
            value = next((v for v in map(request.header, self.headers) if v), None)
        return str(value)[:256] if _usable(value) else _body_hash(request.body)

    def _batch_id(self, payload: Any) -> str | None:
        """A hash of the elements' ids, in order: stable across retries, which change other
        fields (HubSpot's attemptNumber), so the body hash would not be."""
        if not isinstance(payload, list) or not payload or self.each is None:
            return None
        ids = [self.each.get(element) for element in payload]
        if not all(_usable(i) for i in ids):
            return None
        joined = "\n".join(str(i) for i in ids).encode("utf-8")
        return "ids:" + hashlib.sha256(joined).hexdigest()


def _body_hash(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def parse_body(body: bytes, body_format: str) -> Any:
    """The payload of a verified delivery, parsed per the preset's body format.

    Raises:
        MalformedBodyError: the body is not in ``body_format``.
        ValueError: ``body_format`` is not one of BODY_FORMATS (a programming error).
    """
    if body_format == "json":
        return parse_json(body)
    if body_format == "form":
        return _grouped(form_pairs(body))
    if body_format == "form-payload":
        fields = _grouped(form_pairs(body))
        payload = fields.get("payload")
        if not isinstance(payload, str):
            raise MalformedBodyError("the form has no single payload field holding the JSON")
        return parse_json(payload.encode("utf-8"))
    if body_format == "form-brackets":
        return _nested(form_pairs(body))
    raise ValueError(f"unknown body format {body_format!r}; expected one of {BODY_FORMATS}")


def _refuse_constant(text: str) -> Any:
    """``NaN``, ``Infinity`` and ``-Infinity``: Python's json accepts them, JSON does not."""
    raise MalformedBodyError(f"the body is not valid JSON: {text} is not a JSON number")


def _finite_float(text: str) -> float:
    """A JSON number with a fraction or exponent, refused when it overflows to infinity
    (``1e999``): one float() and one isinf() per number, no second walk of the document."""
    value = float(text)
    if math.isinf(value):
        raise MalformedBodyError("the body has a number too large for a float")
    return value


# Built once: json.loads(..., parse_float=...) would build a decoder and scanner per call.
# Integers keep the C fast path (parse_int unset); their digit limit raises ValueError.
_DECODER: Final = json.JSONDecoder(parse_float=_finite_float, parse_constant=_refuse_constant)


def parse_json(body: bytes) -> Any:
    """The JSON payload of a delivery.

    Raises:
        MalformedBodyError: empty, not UTF-8, not JSON, nested too deeply to parse, NaN or
            Infinity, a float beyond the float range, or an integer longer than Python
            converts (``sys.get_int_max_str_digits()``, 4,300 digits by default).
    """
    if not body.strip():
        raise MalformedBodyError("the body is empty; this source sends JSON")
    try:
        # What json.loads does with bytes (UTF-8, or UTF-16/32 told by the first bytes).
        return _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except UnicodeDecodeError as exc:
        raise MalformedBodyError("the body is not UTF-8 JSON") from exc
    except json.JSONDecodeError as exc:
        raise MalformedBodyError(
            f"the body is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise MalformedBodyError("the body is nested too deeply") from exc
    except ValueError as exc:
        # The one other ValueError json raises: int() refusing a number over the digit limit.
        raise MalformedBodyError(
            f"the body has an integer longer than {sys.get_int_max_str_digits()} digits"
        ) from exc


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of an x-www-form-urlencoded body, in order, blanks kept.

    Raises:
        MalformedBodyError: not UTF-8 (raw or percent-encoded), or a field without ``=``.
    """
    try:
        text = body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise MalformedBodyError("the form body is not UTF-8") from exc
    except ValueError as exc:
        raise MalformedBodyError("the body is not x-www-form-urlencoded name=value pairs") from exc


def _grouped(pairs: Sequence[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Fields by name; a name sent several times keeps every value, in order, as a list."""
    fields: dict[str, str | list[str]] = {}
    for name, value in pairs:
        seen = fields.get(name)
        if seen is None:
            fields[name] = value
        elif isinstance(seen, list):
            seen.append(value)
        else:
            fields[name] = [seen, value]
    return fields


def _nested(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Bracket names as nested objects: ``a[b][c]=1`` is ``{"a": {"b": {"c": "1"}}}``;
    ``a[]=1&a[]=2`` is a list. A name used both as a value and as an object is malformed."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        keys = _keys(name)
        append = keys[-1] == ""  # a[]=x appends to the list a
        if append:
            keys.pop()
        node = root
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise MalformedBodyError(f"form field {name!r} nests under a plain value")
            node = child
        _put(node, keys[-1], [value] if append else value, name)
    return root


def _keys(name: str) -> list[str]:
    head, bracket, rest = name.partition("[")
    if not bracket:
        return [name]
    rest = bracket + rest
    keys = _BRACKETS.findall(rest)
    if not head or "".join(f"[{k}]" for k in keys) != rest or len(keys) >= _MAX_FORM_DEPTH:
        raise MalformedBodyError(f"form field {name!r} is not name[key][key]...")
    if "" in keys[:-1]:
        raise MalformedBodyError(f"form field {name!r}: only the last [] may be empty")
    return [head, *keys]


def _put(node: dict[str, Any], key: str, value: str | list[str], name: str) -> None:
    seen = node.get(key)
    if isinstance(seen, dict):
        raise MalformedBodyError(f"form field {name!r} is both a value and an object")
    if seen is None:
        node[key] = value
    elif isinstance(seen, list):
        seen.extend(value if isinstance(value, list) else [value])
    else:
        node[key] = [seen, *(value if isinstance(value, list) else [value])]
