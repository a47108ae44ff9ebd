"""When ingest refuses a sample as signed too long ago, say how old it is, what the source
accepts, and how to refresh it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import IO, Any

from webhook_to_track.errors import ConfigurationError, TimestampOutOfToleranceError, WebhookError
from webhook_to_track.registry import Registry, Source
from webhook_to_track.request import parse_request
from webhook_to_track.settings import (
    LOCAL_SIGNATURE_TOLERANCE_S,
    NO_TIMESTAMP_LIMIT,
    SECRETS_JSON,
    parse_signature_tolerance,
)
from webhook_to_track.signing_keys import parse_secrets_document


def _error_code(response: Mapping[str, Any]) -> str | None:
    try:
        body = json.loads(response.get("body") or "{}")
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def duration(seconds: float) -> str:
    """A length of time as people say it: 42 s, 17 min, 5 h, 3 days."""
    value = round(abs(seconds))
    for unit, size, above in (("days", 86400, 172800), ("h", 3600, 7200), ("min", 60, 120)):
        if value >= above:
            return f"{value // size} {unit}"
    return f"{value} s"


def _tolerance(environment: Mapping[str, str], options: Mapping[str, Any]) -> tuple[int, str]:
    """(the tolerance ingest applied, where it comes from)."""
    raw = environment.get(LOCAL_SIGNATURE_TOLERANCE_S, "").strip()
    if raw:
        try:
            return parse_signature_tolerance(raw), f"{LOCAL_SIGNATURE_TOLERANCE_S}={raw}"
        except ValueError:
            pass  # ingest would have refused to start: not this hint's business
    return int(options.get("tolerance_s", 0)), "tolerance_s in its source file"


def _signed_age(
    event: Mapping[str, Any], source: Source, environment: Mapping[str, str], tolerance: int
) -> float | None:
    """How many seconds ago the event was signed (negative: ahead), as the source's own
    verifier reads its timestamp; None when it cannot tell."""
    try:
        request = parse_request(dict(event), max_body_bytes=sys.maxsize)
        document = parse_secrets_document(json.loads(environment.get(SECRETS_JSON) or "{}"))
        verifier = source.verifier(document.for_source(source.name), tolerance)
        verifier.verify(request.body, request.headers)
    except TimestampOutOfToleranceError as error:
        age = error.details.get("age_s")
        return float(age) if isinstance(age, int | float) else None
    except (WebhookError, ConfigurationError, ValueError):
        return None
    return None


def stale_sample_hint(
    event: Mapping[str, Any],
    response: Mapping[str, Any],
    environment: Mapping[str, str],
    registry: Callable[[], Registry],
) -> str | None:
    """How to refresh ``event`` when ingest answered 401 because its signed timestamp is
    outside the tolerance; None for any other answer. ``registry`` is called only then."""
    if response.get("statusCode") != 401:
        return None
    if _error_code(response) != TimestampOutOfToleranceError.code:
        return None
    name = str((event.get("pathParameters") or {}).get("source", ""))
    source = registry().sources.get(name)
    tolerance, origin = _tolerance(environment, source.options if source else {})
    age = _signed_age(event, source, environment, tolerance) if source else None
    if age is None:
        when = "This sample's signed timestamp is outside the tolerance"
    elif age >= 0:
        when = f"This sample was signed {duration(age)} ago"
    else:
        when = f"This sample is signed {duration(age)} in the future"
    shown = "unlimited" if tolerance == NO_TIMESTAMP_LIMIT else f"{tolerance} s"
    return (
        f"{when}; the tolerance of {name} is {shown} ({origin}). Re-sign it now with"
        " --fresh (make invoke passes it), or every sample with `webhook-to-track events --all`;"
        f" for local runs only, {LOCAL_SIGNATURE_TOLERANCE_S}=off in env.json lifts the limit."
    )


def print_stale_sample_hint(
    event: Mapping[str, Any],
    response: Mapping[str, Any],
    environment: Mapping[str, str],
    registry: Callable[[], Registry],
    out: IO[str] | None = None,
) -> None:
    """Print stale_sample_hint's advice (to stderr), if there is any."""
    hint = stale_sample_hint(event, response, environment, registry)
    if hint:
        print(f"\nhint: {hint}", file=out or sys.stderr)
