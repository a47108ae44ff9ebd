"""Setup handshakes: a signed request some senders send when a URL is registered, which must be
answered with a challenge instead of being mapped (Slack's url_verification, Front's
x-front-challenge). Pure functions of the verified payload and headers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Handshake = Callable[[Any, Mapping[str, str]], dict[str, str] | None]
"""(verified payload, lowercased headers) -> the JSON answer, or None for a normal delivery"""


def slack_url_verification(payload: Any, headers: Mapping[str, str]) -> dict[str, str] | None:
    """Slack Events API: ``{"type": "url_verification", "challenge": ...}`` is answered with the
    challenge, or Slack refuses the Request URL."""
    if isinstance(payload, dict) and payload.get("type") == "url_verification":
        challenge = payload.get("challenge")
        if isinstance(challenge, str) and challenge:
            return {"challenge": challenge}
    return None


def front_challenge(payload: Any, headers: Mapping[str, str]) -> dict[str, str] | None:
    """Front application webhooks: a request carrying ``x-front-challenge`` (sent when the
    webhook is saved) is answered with that value, or Front will not save the webhook."""
    challenge = headers.get("x-front-challenge")
    return {"challenge": challenge} if challenge else None
