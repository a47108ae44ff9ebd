"""The one Logger and Metrics instance, and what one invocation reports through them.

Logs carry the request id (correlation id), source and delivery id; never bodies, signature
headers or secrets. Metrics are EMF with two dimension sets: ``[service, source]`` (``unknown``
until the source is known, so an attacker cannot mint dimensions by inventing paths) and
``[service]``, the totals that alarms watch, so every alarm covers every source.
"""

from __future__ import annotations

import os
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

from webhook_to_track.errors import QueueUnavailableError, WebhookError
from webhook_to_track.sdk_logging import cap_sdk_loggers
from webhook_to_track.settings import METRICS_NAMESPACE, SERVICE_NAME

SERVICE: Final = os.environ.get(SERVICE_NAME) or "webhook-to-track"
NAMESPACE: Final = os.environ.get(METRICS_NAMESPACE) or "WebhookToTrack"
UNKNOWN_SOURCE: Final = "unknown"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# botocore logs whole responses (the secrets document included) at DEBUG: never below WARNING.
cap_sdk_loggers()


def emit_counts(counts: dict[str, int], **dimensions: str) -> None:
    """One EMF blob of counts with ``[service, *dimensions]`` and the same less ``source``
    (the totals), flushed now; for counts that do not fit the invocation's one blob."""
    emf = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=SERVICE)
    for name, value in dimensions.items():
        emf.add_dimension(name=name, value=value)
    totals = {k: v for k, v in dimensions.items() if k != "source"}
    emf.add_dimensions(service=SERVICE, **totals)
    for metric, count in counts.items():
        emf.add_metric(name=metric, unit=MetricUnit.Count, value=count)
    emf.flush_metrics()


class Observation:
    """What one invocation logs and counts, stage by stage.

    Counts are collected and emitted once, when the answer is known, so the ``source``
    dimension is added exactly once per invocation.
    """

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.source = UNKNOWN_SOURCE
        self._counts: dict[str, int] = {"Received": 1}
        self._verified = True

    def identify(self, source: str) -> None:
        """Called once the source is known to exist."""
        self.source = source
        logger.append_keys(source=source)

    def shadowed(self, failure: WebhookError | None) -> None:
        """Shadow mode let a delivery through that failed its signature check: say so loudly."""
        if failure is None:
            return
        self._verified = False
        logger.warning(
            "signature check failed; shadow mode lets the delivery through",
            extra={"reason": failure.code, "detail": str(failure)},
        )
        self._counts["ShadowSignatureFailed"] = 1
        self._single("ShadowRejected", failure.code)

    def delivery(self, delivery_id: str) -> None:
        logger.append_keys(delivery_id=delivery_id)
        logger.info("signature verified" if self._verified else "delivery opened unverified")

    def handshake(self) -> None:
        """A setup challenge (Slack, Front) answered instead of mapped."""
        self._counts["Handshake"] = 1
        self._emit()
        logger.info("setup handshake answered")

    def rejected(self, error: WebhookError) -> None:
        """An error response: one log line, and a metric with the reason as a dimension."""
        log = logger.error if error.status_code >= 500 else logger.warning
        log(
            "delivery refused",
            extra={"status": error.status_code, "reason": error.code, "detail": str(error)},
        )
        if isinstance(error, QueueUnavailableError):
            self._counts["QueueFailed"] = 1
        self._emit()
        self._single("Rejected", error.code)

    def finished(self, status: int, summary: dict[str, Any]) -> None:
        """A 2xx answer: accepted, ignored or replayed."""
        if summary.get("duplicate"):
            self._counts["Duplicate"] = 1
        elif summary.get("status") == "ignored":
            self._counts["Ignored"] = 1
        else:
            self._counts["Accepted"] = 1
            self._counts["CallsQueued"] = len(summary.get("queued", []))
            self._counts["CallsRejected"] = len(summary.get("rejected", []))
        self._emit()
        logger.info(
            "delivery answered",
            extra={
                "status": status,
                "outcome": summary.get("status"),
                "duplicate": bool(summary.get("duplicate")),
                "queued": len(summary.get("queued", [])),
                "rejected": len(summary.get("rejected", [])),
            },
        )

    def _single(self, name: str, reason: str) -> None:
        """One metric with ``reason`` as an extra dimension, flushed on its own."""
        emit_counts({name: 1}, source=self.source, reason=reason)

    def _emit(self) -> None:
        metrics.add_dimension(name="source", value=self.source)
        metrics.add_dimensions(service=SERVICE)
        for name, value in self._counts.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
