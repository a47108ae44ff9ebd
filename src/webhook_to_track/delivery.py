"""Open a verified request: parse its body and find the sender's delivery id."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from webhook_to_track.errors import MalformedBodyError
from webhook_to_track.request import WebhookRequest
from webhook_to_track.rules.paths import Path


@dataclass(frozen=True, slots=True)
class DeliveryIdSpec:
    """Where the sender puts its delivery id: a body path or a header."""

    path: Path | None = None
    header: str | None = None

    def find(self, payload: Any, request: WebhookRequest) -> str:
        """The sender's id, or ``sha256:<hex of the raw body>`` when it sends none."""
        value: Any = None
        if self.path is not None:
            value = self.path.get(payload)
        elif self.header is not None:
            value = request.header(self.header)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            return "sha256:" + hashlib.sha256(request.body).hexdigest()
        return str(value)[:256]


def parse_json(body: bytes) -> Any:
    """The JSON payload of a delivery.

    Raises:
        MalformedBodyError: empty, not UTF-8, not JSON, or nested too deeply to parse.
    """
    if not body.strip():
        raise MalformedBodyError("the body is empty; this source sends JSON")
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise MalformedBodyError("the body is not UTF-8 JSON") from exc
    except json.JSONDecodeError as exc:
        raise MalformedBodyError(
            f"the body is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise MalformedBodyError("the body is nested too deeply") from exc
