"""Turn an API Gateway event into a WebhookRequest: raw body bytes, lowercased headers, source."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from webhook_to_track.errors import (
    MalformedBodyError,
    MethodNotAllowedError,
    PayloadTooLargeError,
    UnknownSourceError,
)

SOURCE_NAME: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_PATH_SOURCE: Final = re.compile(r"/webhooks/([^/]+)/?$")


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """One HTTP delivery, exactly as received."""

    source: str
    method: str
    body: bytes
    headers: Mapping[str, str]
    request_id: str
    path: str
    query: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def lowercase_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Lowercase header names once. Names that differ only by case are joined with ',',
    as HTTP API does for repeated headers."""
    result: dict[str, str] = {}
    for name, value in (headers or {}).items():
        key = str(name).lower()
        text = value if isinstance(value, str) else str(value)
        result[key] = f"{result[key]},{text}" if key in result else text
    return result


def _method(event: Mapping[str, Any]) -> str:
    http = event.get("requestContext", {}).get("http") or {}
    return str(http.get("method") or event.get("httpMethod") or "").upper()


def _source(event: Mapping[str, Any]) -> str:
    params = event.get("pathParameters") or {}
    source = params.get("source")
    if not source:
        match = _PATH_SOURCE.search(str(event.get("rawPath") or event.get("path") or ""))
        source = match.group(1) if match else ""
    source = str(source)
    if not SOURCE_NAME.fullmatch(source):
        raise UnknownSourceError("no such source; the URL is /webhooks/{source}")
    return source


def _body(event: Mapping[str, Any], max_body_bytes: int) -> bytes:
    raw = event.get("body")
    if raw is None:
        return b""
    if not isinstance(raw, str):
        raise MalformedBodyError("the event body is not a string")
    if event.get("isBase64Encoded"):
        # Reject before decoding: base64 is 4 characters for every 3 bytes.
        if len(raw) * 3 // 4 > max_body_bytes + 3:
            raise PayloadTooLargeError(f"body is larger than {max_body_bytes} bytes")
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedBodyError("the body is marked base64 but does not decode") from exc
    else:
        # HTTP API hands text bodies over as str; their bytes on the wire were UTF-8.
        try:
            body = raw.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MalformedBodyError("the body is not valid text") from exc
    if len(body) > max_body_bytes:
        raise PayloadTooLargeError(f"body is larger than {max_body_bytes} bytes")
    return body


def parse_request(event: Mapping[str, Any], *, max_body_bytes: int) -> WebhookRequest:
    """Read an API Gateway HTTP API (payload 2.0) or REST (1.0) event.

    Raises:
        MethodNotAllowedError: the method is not POST.
        UnknownSourceError: the path names no valid source.
        PayloadTooLargeError: the body exceeds ``max_body_bytes``.
        MalformedBodyError: the body is not a string or not valid base64.
    """
    method = _method(event)
    if method != "POST":
        raise MethodNotAllowedError(f"method {method or '?'} is not allowed; use POST")
    source = _source(event)
    context = event.get("requestContext") or {}
    return WebhookRequest(
        source=source,
        method=method,
        body=_body(event, max_body_bytes),
        headers=lowercase_headers(event.get("headers")),
        request_id=str(context.get("requestId") or ""),
        path=str(event.get("rawPath") or event.get("path") or ""),
        query=str(event.get("rawQueryString") or ""),
    )
