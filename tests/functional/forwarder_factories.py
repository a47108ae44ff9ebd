"""Factories and probes for the forwarder's functional tests.

Factories build queue messages (one ingredient changed per negative test); probes read what
the forwarder left behind: the forward queue and its dead-letter queue (moto's SQS, including
each message's remaining visibility), the call records in DynamoDB, and the EMF metrics.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.utils import unix_time_millis
from moto.sqs.models import sqs_backends

from webhook_to_track.local.aws import REGION, Queues
from webhook_to_track.queue.message import QueuedCall
from webhook_to_track.userpilot.calls import TrackBody, UserpilotCall, track

# Values that must never reach a log line: each is unique to the call body below.
USER_ID = "user-sentinel-7f3a"
EMAIL = "sentinel.person@example.org"
PLAN = "Sentinel Scale Annual"


def track_body(**changes: Any) -> TrackBody:
    """A valid track body with distinctive values; keyword arguments replace top-level keys."""
    body: dict[str, Any] = {
        "user_id": USER_ID,
        "event_name": "plan_upgraded",
        "metadata": {"email": EMAIL, "plan": PLAN, "seats": 12},
    }
    body.update(changes)
    return body  # type: ignore[return-value]  # the caller's changes are its ingredient


def queued_call(
    call: UserpilotCall | None = None,
    *,
    source: str = "stripe",
    delivery_id: str = "evt_forwarder_1",
    rule: str = "stripe.invoice_paid",
    position: str = "0",
) -> QueuedCall:
    """One queued track call, as ingest would queue it."""
    return QueuedCall.of(
        call or track(track_body()),
        source=source,
        delivery_id=delivery_id,
        rule=rule,
        position=position,
    )


def record_id(prefix: str, key: str) -> str:
    """The DynamoDB ``id`` Powertools gives the record of ``key`` (md5 of its JSON)."""
    return f"{prefix}#{hashlib.md5(json.dumps(key).encode()).hexdigest()}"  # noqa: S324


@dataclass(frozen=True)
class Parked:
    body: str
    attributes: dict[str, str]

    @property
    def parked_at(self) -> datetime:
        return datetime.strptime(self.attributes["parked_at"], "%Y-%m-%dT%H:%M:%S%z")


class QueueProbe:
    """The forward queue and its DLQ, through the SQS API and moto's backend (for time)."""

    def __init__(self, sqs: Any, queues: Queues) -> None:
        self.sqs = sqs
        self.queues = queues

    def send(self, *bodies: str) -> list[str]:
        """Put message bodies on the forward queue as ingest (or a replay) would; message ids."""
        return [
            self.sqs.send_message(QueueUrl=self.queues.queue_url, MessageBody=body)["MessageId"]
            for body in bodies
        ]

    def receive(self, times: int) -> None:
        """Receive every message ``times`` times without hiding it: ApproximateReceiveCount
        goes up as if earlier attempts had failed."""
        for _ in range(times):
            self.sqs.receive_message(
                QueueUrl=self.queues.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
            )

    def _backend_messages(self, url: str) -> list[Any]:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        return list(sqs_backends[DEFAULT_ACCOUNT_ID][REGION].get_queue(name)._messages)

    def bodies(self) -> list[str]:
        """Every message body on the forward queue, visible or not, without receiving it."""
        return [m.body for m in self._backend_messages(self.queues.queue_url)]

    def hidden_for(self) -> dict[str, float]:
        """Seconds until each message of the forward queue is visible again, by message id."""
        now = unix_time_millis()
        return {
            m.id: max(0.0, (m.visible_at - now) / 1000)
            for m in self._backend_messages(self.queues.queue_url)
        }

    def let_time_pass(self) -> None:
        """Every hidden message becomes visible now, as if its delay had run out."""
        for message in self._backend_messages(self.queues.queue_url):
            message.visible_at = 0

    def depth(self) -> int:
        """Messages left on the forward queue: visible, in flight or delayed."""
        return len(self._backend_messages(self.queues.queue_url))

    def visible(self) -> int:
        answer = self.sqs.receive_message(
            QueueUrl=self.queues.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        return len(answer.get("Messages", []))

    def parked(self) -> list[Parked]:
        """Everything in the dead-letter queue, with its String attributes."""
        found: list[Parked] = []
        while True:
            answer = self.sqs.receive_message(
                QueueUrl=self.queues.dlq_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                VisibilityTimeout=30,
            )
            messages = answer.get("Messages", [])
            if not messages:
                return found
            found.extend(
                Parked(
                    m["Body"],
                    {k: v["StringValue"] for k, v in m.get("MessageAttributes", {}).items()},
                )
                for m in messages
            )


def call_records(dynamodb: Any, table: str, prefix: str) -> dict[str, dict[str, Any]]:
    """The idempotency records under exactly ``prefix``, by id: status and stored data."""
    items = dynamodb.scan(TableName=table)["Items"]
    return {
        item["id"]["S"]: {
            "status": item["status"]["S"],
            "data": json.loads(item["data"]["S"]) if "data" in item else None,
        }
        for item in items
        if item["id"]["S"].split("#", 1)[0] == prefix
    }


@dataclass(frozen=True)
class Emitted:
    """The EMF blobs a run printed to stdout."""

    blobs: list[dict[str, Any]]

    @classmethod
    def parse(cls, stdout: str) -> Emitted:
        blobs = []
        for line in stdout.splitlines():
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if isinstance(document, dict) and "_aws" in document:
                blobs.append(document)
        return cls(blobs)

    def with_metric(self, name: str) -> list[dict[str, Any]]:
        return [
            blob
            for blob in self.blobs
            if any(
                m["Name"] == name
                for directive in blob["_aws"]["CloudWatchMetrics"]
                for m in directive["Metrics"]
            )
        ]

    def total(self, name: str) -> float:
        """The sum of one metric over every blob (0 when never emitted)."""
        return sum(sum(_values(blob[name])) for blob in self.with_metric(name))

    def names(self) -> set[str]:
        return {
            m["Name"]
            for blob in self.blobs
            for directive in blob["_aws"]["CloudWatchMetrics"]
            for m in directive["Metrics"]
        }

    @staticmethod
    def dimension_sets(blob: dict[str, Any]) -> set[frozenset[str]]:
        return {
            frozenset(dimensions)
            for directive in blob["_aws"]["CloudWatchMetrics"]
            for dimensions in directive["Dimensions"]
        }


def _values(value: Any) -> Iterable[float]:
    return value if isinstance(value, list) else [value]
