"""Settings: environment variables parsed once into one frozen object, every problem reported."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal, TypeVar
from urllib.parse import urlsplit

from webhook_to_track.errors import ConfigurationError
from webhook_to_track.userpilot.api import DEFAULT_REQUESTS_PER_MINUTE, HOSTS, RATE_LIMIT_PER_MINUTE
from webhook_to_track.userpilot.policy import AmbiguousPolicy, ForwardPolicy

# Environment variable names, in one place.
USERPILOT_HOST: Final = "USERPILOT_HOST"
IDEMPOTENCY_TABLE: Final = "IDEMPOTENCY_TABLE"
IDEMPOTENCY_WINDOW_S: Final = "IDEMPOTENCY_WINDOW_SECONDS"
IDEMPOTENCY_DISABLED: Final = "POWERTOOLS_IDEMPOTENCY_DISABLED"
SECRETS_NAME: Final = "SECRETS_NAME"
SECRETS_JSON: Final = "SECRETS_JSON"
SECRETS_MAX_AGE_S: Final = "SECRETS_MAX_AGE_SECONDS"
FORWARD_MODE: Final = "FORWARD_MODE"
FORWARD_QUEUE_URL: Final = "FORWARD_QUEUE_URL"
FORWARD_DLQ_URL: Final = "FORWARD_DLQ_URL"
REQUESTS_PER_MINUTE: Final = "USERPILOT_REQUESTS_PER_MINUTE"
FORWARDER_MAX_CONCURRENCY: Final = "FORWARDER_MAX_CONCURRENCY"
FORWARD_AMBIGUOUS: Final = "FORWARD_AMBIGUOUS"
CALL_WINDOW_S: Final = "CALL_IDEMPOTENCY_WINDOW_SECONDS"
FORWARD_CONNECT_TIMEOUT_S: Final = "FORWARD_CONNECT_TIMEOUT_SECONDS"
FORWARD_READ_TIMEOUT_S: Final = "FORWARD_READ_TIMEOUT_SECONDS"
FORWARD_CONNECT_RETRIES: Final = "FORWARD_CONNECT_RETRIES"
FORWARD_RETRY_AFTER_MAX_S: Final = "FORWARD_RETRY_AFTER_MAX_SECONDS"
MAX_BODY_BYTES: Final = "MAX_BODY_BYTES"
SOURCES_DIR: Final = "SOURCES_DIR"
LOCAL_SIGNATURE_TOLERANCE_S: Final = "LOCAL_SIGNATURE_TOLERANCE_SECONDS"
SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"

LOCAL_ONLY: Final = frozenset({SECRETS_JSON, SOURCES_DIR, LOCAL_SIGNATURE_TOLERANCE_S})
"""Variables for local runs only (``invoke``, ``serve``, ``sam local``): a deployed function
refuses to start with any of them set. The template may declare them (sam local lets env.json
set only declared variables), always empty. The README's settings table marks them."""

USERPILOT_HOSTS: Final = HOSTS
LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
SEVEN_DAYS: Final = 7 * 24 * 3600
CALL_WINDOW_DEFAULT_S: Final = 19 * 24 * 3600
"""Longer than the queue's 4 days plus the dead-letter queue's 14: a replayed call that was
already delivered still finds its record."""
MAX_ATTEMPT_S: Final = 25
NO_TIMESTAMP_LIMIT: Final = sys.maxsize
"""The tolerance ``LOCAL_SIGNATURE_TOLERANCE_SECONDS=off`` stands for: no age is too old."""
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"", "0", "false", "no", "off"})

ForwardMode = Literal["send", "dry-run"]
T = TypeVar("T")
N = TypeVar("N", int, float)


@dataclass(frozen=True, slots=True)
class Settings:
    userpilot_url: str
    forward_mode: ForwardMode
    forward_policy: ForwardPolicy
    queue_url: str | None
    """None locally only: ingest then shows what it would queue instead of queueing."""
    dlq_url: str | None
    requests_per_minute: int
    forwarder_concurrency: int
    idempotency_table: str | None
    idempotency_disabled: bool
    idempotency_window_s: int
    call_window_s: int
    secrets_name: str | None
    # The local secrets document: never shown by repr, never logged.
    secrets_json: str | None = field(repr=False)
    secrets_max_age_s: int
    max_body_bytes: int
    sources_dir: Path | None
    signature_tolerance_s: int | None = None
    """Local runs only: replaces every timestamped source's tolerance_s (committed samples are
    old; sam local cannot re-sign them). None: each source's own."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Parse every variable; raise one ConfigurationError that lists every problem."""
        reader = _Reader(environ)
        defaults = ForwardPolicy()
        policy = ForwardPolicy(
            connect_timeout=reader.get(
                FORWARD_CONNECT_TIMEOUT_S, _float_in(0.05, 10), defaults.connect_timeout
            ),
            read_timeout=reader.get(
                FORWARD_READ_TIMEOUT_S, _float_in(0.05, 20), defaults.read_timeout
            ),
            connect_retries=reader.get(
                FORWARD_CONNECT_RETRIES, _int_in(0, 5), defaults.connect_retries
            ),
            delay_max_s=reader.get(
                FORWARD_RETRY_AFTER_MAX_S, _int_in(1, 43_200), defaults.delay_max_s
            ),
            ambiguous=reader.get(FORWARD_AMBIGUOUS, _ambiguous, defaults.ambiguous),
        )
        if policy.attempt_s() > MAX_ATTEMPT_S:
            reader.problems.append(
                f"one forward could take {policy.attempt_s():.0f} s with these timeouts;"
                f" keep it under {MAX_ATTEMPT_S} s (the forwarder's timeout is 30 s)"
            )
        queue_url = reader.get(FORWARD_QUEUE_URL, _text, None)
        if queue_url is None and running_in_aws_lambda(environ):
            reader.problems.append(f"{FORWARD_QUEUE_URL} is required (the forward queue's URL)")
        idempotency_disabled = reader.get(IDEMPOTENCY_DISABLED, _bool, False)
        if idempotency_disabled and running_in_aws_lambda(environ):
            # Without the records every sender retry and SQS redelivery is sent again.
            reader.problems.append(
                f"{IDEMPOTENCY_DISABLED}=true turns deduplication off: for sam local only,"
                " never in AWS"
            )
        table = reader.get(IDEMPOTENCY_TABLE, _text, None)
        if table is None and not idempotency_disabled:
            reader.problems.append(f"{IDEMPOTENCY_TABLE} is required (the DynamoDB table name)")
        _refuse_local_only(environ, reader)
        secrets_json = _local_secrets_json(environ, reader)
        secrets_name = reader.get(SECRETS_NAME, _text, None)
        if secrets_name is None and secrets_json is None:
            reader.problems.append(
                f"{SECRETS_NAME} is required (the Secrets Manager secret holding the secrets"
                f" document); locally, set {SECRETS_JSON} instead"
            )
        sources_dir = reader.get(SOURCES_DIR, _text, None)
        settings = cls(
            userpilot_url=reader.get(USERPILOT_HOST, _userpilot_url, USERPILOT_HOSTS["us"]),
            forward_mode=reader.get(FORWARD_MODE, _forward_mode, "send"),
            forward_policy=policy,
            queue_url=queue_url,
            dlq_url=reader.get(FORWARD_DLQ_URL, _text, None),
            requests_per_minute=reader.get(
                REQUESTS_PER_MINUTE, _int_in(1, RATE_LIMIT_PER_MINUTE), DEFAULT_REQUESTS_PER_MINUTE
            ),
            forwarder_concurrency=reader.get(FORWARDER_MAX_CONCURRENCY, _int_in(2, 1000), 2),
            idempotency_table=table,
            idempotency_disabled=idempotency_disabled,
            idempotency_window_s=reader.get(
                IDEMPOTENCY_WINDOW_S, _int_in(60, 366 * 24 * 3600), SEVEN_DAYS
            ),
            call_window_s=reader.get(
                CALL_WINDOW_S, _int_in(60, 366 * 24 * 3600), CALL_WINDOW_DEFAULT_S
            ),
            secrets_name=secrets_name,
            secrets_json=secrets_json,
            secrets_max_age_s=reader.get(SECRETS_MAX_AGE_S, _int_in(0, 3600), 300),
            max_body_bytes=reader.get(MAX_BODY_BYTES, _int_in(1024, 6 * 1024 * 1024), 1024 * 1024),
            sources_dir=Path(sources_dir) if sources_dir else None,
            signature_tolerance_s=_local_signature_tolerance(environ, reader),
        )
        if reader.problems:
            raise ConfigurationError("invalid settings", problems=reader.problems)
        return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this container, parsed on first use (tests call ``cache_clear``)."""
    return Settings.from_env(os.environ)


def running_in_aws_lambda(environ: Mapping[str, str]) -> bool:
    """True in a deployed Lambda; False locally and under ``sam local``."""
    if environ.get("AWS_SAM_LOCAL", "").lower() in _TRUE:
        return False
    return environ.get("AWS_EXECUTION_ENV", "").startswith("AWS_Lambda_")


def _refuse_local_only(environ: Mapping[str, str], reader: _Reader) -> None:
    """A local-only variable set in a deployed function is a mistake: report it, not use it.
    (SECRETS_JSON has its own message, which names the setting to use instead.)"""
    if not running_in_aws_lambda(environ):
        return
    for name in sorted(LOCAL_ONLY - {SECRETS_JSON}):
        if environ.get(name, "").strip():
            reader.problems.append(f"{name} is for local runs only; unset it in AWS")


def _local_signature_tolerance(environ: Mapping[str, str], reader: _Reader) -> int | None:
    if running_in_aws_lambda(environ):
        return None  # refused in AWS (LOCAL_ONLY): a deployed function keeps each source's own
    return reader.get(LOCAL_SIGNATURE_TOLERANCE_S, parse_signature_tolerance, None)


def parse_signature_tolerance(raw: str) -> int:
    """Seconds, or ``off``: no timestamp is then too old or too new (signatures still count)."""
    if raw.lower() == "off":
        return NO_TIMESTAMP_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError("expected a whole number of seconds (1 or more) or off")
    return value


def _local_secrets_json(environ: Mapping[str, str], reader: _Reader) -> str | None:
    value = environ.get(SECRETS_JSON, "").strip()
    if not value:
        return None
    if running_in_aws_lambda(environ):
        # A secret in a plain environment variable of a deployed function is a leak waiting to
        # happen (console, describe-function, CloudTrail); refuse it rather than use it.
        reader.problems.append(
            f"{SECRETS_JSON} is for local runs only; in AWS use {SECRETS_NAME} (Secrets Manager)"
        )
        return None
    return value


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def get(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return parse(raw.strip())
        except ValueError as exc:
            self.problems.append(f"{name}={raw!r}: {exc}")
            return default


def _text(raw: str) -> str:
    return raw


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false")


def _in_range(kind: Callable[[str], N], low: N, high: N) -> Callable[[str], N]:
    noun = "an integer" if kind is int else "a number"

    def parse(raw: str) -> N:
        value = kind(raw)
        if not low <= value <= high:
            raise ValueError(f"expected {noun} from {low} to {high}")
        return value

    return parse


def _int_in(low: int, high: int) -> Callable[[str], int]:
    return _in_range(int, low, high)


def _float_in(low: float, high: float) -> Callable[[str], float]:
    return _in_range(float, low, high)


def _forward_mode(raw: str) -> ForwardMode:
    if raw == "send":
        return "send"
    if raw == "dry-run":
        return "dry-run"
    raise ValueError("expected send or dry-run")


def _ambiguous(raw: str) -> AmbiguousPolicy:
    if raw == "retry":
        return "retry"
    if raw == "park":
        return "park"
    raise ValueError("expected retry (at least once) or park (at most once)")


def _userpilot_url(raw: str) -> str:
    """``us``, ``eu`` or an https URL (a dedicated enterprise host); http only for 127.0.0.1."""
    if raw.lower() in USERPILOT_HOSTS:
        return USERPILOT_HOSTS[raw.lower()]
    parts = urlsplit(raw)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError("expected us, eu or an https:// URL")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError("plain http is only allowed for a local stand-in on 127.0.0.1")
    if parts.query or parts.fragment:
        raise ValueError("the host URL must not carry a query or fragment")
    return raw.rstrip("/")
