"""API Gateway responses: always JSON, never a traceback."""

from __future__ import annotations

import json
from typing import Any, Final

from webhook_to_track.errors import (
    DeliveryInProgressError,
    MethodNotAllowedError,
    ServiceUnavailableError,
    WebhookError,
)

# Hints for senders that honour them; most use their own backoff schedule anyway.
RETRY_AFTER_S: Final[dict[type[WebhookError], str]] = {
    DeliveryInProgressError: "10",
    ServiceUnavailableError: "30",
}


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        "isBase64Encoded": False,
    }


def error_response(error: WebhookError, request_id: str | None) -> dict[str, Any]:
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowedError):
        headers["allow"] = "POST"
    for kind, seconds in RETRY_AFTER_S.items():
        if isinstance(error, kind):
            headers["retry-after"] = seconds
    return json_response(error.status_code, error.to_body(request_id), headers)
