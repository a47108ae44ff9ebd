"""Userpilot's HTTP API as documented: hosts, endpoints, version header, rate limit, backoff.

Sources: reference/userpilot.md and reference/durability.md section 3.
"""

from __future__ import annotations

from typing import Final, Literal

HOSTS: Final = {
    "us": "https://analytex.userpilot.io",
    "eu": "https://analytex-eu.userpilot.io",
}
API_VERSION: Final = "2020-09-22"

CallKind = Literal["track"]
"""The calls a rule can emit today; ``identify`` and ``company`` follow."""

ENDPOINTS: Final[dict[str, str]] = {"track": "/v1/track"}
SCHEMAS: Final[dict[str, str]] = {"track": "track.schema.json"}

RATE_LIMIT_PER_MINUTE: Final = 600
"""Per application token, for Track and for Identify (each listed separately)."""
DEFAULT_REQUESTS_PER_MINUTE: Final = 480
"""80 % of the limit: the token is often shared with the app's own backend."""
BACKOFF_S: Final = (1, 2, 4, 8)
"""Userpilot's recommended backoff after a 429; we keep doubling past 8 s."""
MAX_EVENT_NAMES: Final = 10_000
