"""Build API Gateway HTTP API (payload 2.0) events exactly as API Gateway would send them."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from webhook_to_track.request import lowercase_headers


def make_apigw_event(
    source: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    method: str = "POST",
    request_id: str | None = None,
    now: float | None = None,
    base64_body: bool | None = None,
    query: str = "",
) -> dict[str, Any]:
    """An HTTP API event: header names lowercased; the body as text for JSON and text content
    types, base64 otherwise (as HTTP API does for form bodies) or when it is not UTF-8."""
    moment = time.time() if now is None else now
    path = f"/webhooks/{source}"
    if base64_body is None:
        base64_body = not _is_text(lowercase_headers(headers).get("content-type"))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            base64_body = True
    if base64_body:
        text = base64.b64encode(body).decode("ascii")
    wire_headers = lowercase_headers(
        {
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "content-length": str(len(body)),
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "x-amzn-trace-id": f"Root=1-{int(moment):08x}-{uuid.uuid4().hex[:24]}",
            **headers,
        }
    )
    route_key = "POST /webhooks/{source}"
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": wire_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": wire_headers.get("user-agent", ""),
            },
            "requestId": request_id or f"{uuid.uuid4().hex[:14]}=",
            "routeKey": route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(moment, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(moment * 1000),
        },
        "pathParameters": {"source": source},
        "body": text,
        "isBase64Encoded": base64_body,
    }


def _is_text(content_type: str | None) -> bool:
    """Whether API Gateway hands this body over as text (no content type: assume JSON)."""
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    return kind.startswith("text/") or kind == "application/json" or kind.endswith("+json")


def event_body(event: Mapping[str, Any]) -> bytes:
    """The raw body bytes of an event (base64-decoded when flagged)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body).encode("utf-8")


HEADERS_SUFFIX = ".headers.json"


def is_sample_payload(path: Path) -> bool:
    """A payload file of events/payloads/<source>/ (not a headers sidecar)."""
    return path.is_file() and not path.name.endswith(HEADERS_SUFFIX)


def sample_headers(payload: Path) -> dict[str, str]:
    """The headers a sample sends besides its signature (e.g. x-shopify-topic), from
    ``<case>.headers.json`` next to ``<case>.<ext>``; none when there is no such file."""
    sidecar = payload.with_name(payload.stem + HEADERS_SUFFIX)
    if not sidecar.exists():
        return {}
    headers = json.loads(sidecar.read_text("utf-8"))
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ValueError(f"{sidecar}: expected an object of header name -> string value")
    return {str(name).lower(): value for name, value in headers.items()}
