"""Signed timestamps: read them in the sender's unit (s, ms, ISO-8601), and write them to sign."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final, Literal

from webhook_to_track.errors import MalformedSignatureError

TimestampUnit = Literal["s", "ms", "iso"]

_SECONDS: Final = re.compile(r"[0-9]{1,15}")
_MILLISECONDS: Final = re.compile(r"[0-9]{1,18}")
# Long enough for "2021-03-25T05:09:27.123456+05:30"; longer text is not a timestamp.
_MAX_ISO_LENGTH: Final = 40


def parse_timestamp(text: str, unit: TimestampUnit) -> float:
    """Seconds since the epoch from a timestamp as the sender wrote it.

    Raises:
        MalformedSignatureError: not a timestamp in ``unit``.
    """
    value = text.strip()
    if unit == "s" and _SECONDS.fullmatch(value):
        return float(value)
    if unit == "ms" and _MILLISECONDS.fullmatch(value):
        return int(value) / 1000
    if unit == "iso" and 0 < len(value) <= _MAX_ISO_LENGTH:
        try:
            moment = datetime.fromisoformat(value)
            # A timestamp without an offset is read as UTC, as Zendesk's "...Z" means.
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        except (ValueError, OverflowError):
            pass  # reported below, with the other units
    raise MalformedSignatureError(f"the timestamp is not {_UNIT_NAMES[unit]}")


def format_timestamp(timestamp: int, unit: TimestampUnit) -> str:
    """``timestamp`` (Unix seconds) written as the sender writes it."""
    if unit == "ms":
        return str(timestamp * 1000)
    if unit == "iso":
        return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(timestamp)


_UNIT_NAMES: Final = {
    "s": "a number of seconds",
    "ms": "a number of milliseconds",
    "iso": "an ISO-8601 date-time",
}
