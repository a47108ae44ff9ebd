"""Ingest's side of the queue: every call of a delivery into SQS, or an error.

``SendMessageBatch`` takes at most 10 entries; entries SQS refuses are sent once more, and if
any call is still not queued the whole delivery fails (503), so the sender retries. A call
queued twice that way is caught by the forwarder's record on its key.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final, Protocol

from botocore.config import Config

from webhook_to_track import aws
from webhook_to_track.errors import QueueUnavailableError
from webhook_to_track.queue.message import QueuedCall

MAX_BATCH: Final = 10
MAX_BATCH_BYTES: Final = 256 * 1024
"""SQS limits the bodies of one SendMessageBatch together, as it limits one message."""
ATTEMPTS: Final = 2
BOTO_CONFIG: Final = Config(
    connect_timeout=1, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"}
)


class CallQueue(Protocol):
    def put(self, calls: Sequence[QueuedCall]) -> None:
        """Queue every call, or raise QueueUnavailableError."""


@lru_cache(maxsize=1)
def sqs_client() -> Any:
    """One SQS client per container, built on first use (after tests started moto)."""
    return aws.session().client("sqs", config=BOTO_CONFIG)


class SqsCallQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def put(self, calls: Sequence[QueuedCall]) -> None:
        for batch in batches([(call, call.to_json()) for call in calls]):
            self._put_batch(batch)

    def _put_batch(self, batch: Sequence[tuple[QueuedCall, str]]) -> None:
        pending = {str(number): item for number, item in enumerate(batch)}
        for _ in range(ATTEMPTS):
            entries = [{"Id": number, "MessageBody": body} for number, (_, body) in pending.items()]
            try:
                answer = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            except Exception as exc:  # botocore's errors share no useful base with ours
                raise QueueUnavailableError(
                    f"SQS refused the batch ({type(exc).__name__}); retry later"
                ) from exc
            for done in answer.get("Successful", []):
                pending.pop(done["Id"], None)
            if not pending:
                return
            failed = answer.get("Failed", [])
            if any(entry.get("SenderFault") for entry in failed):
                break  # our fault (too large, bad attribute): the same send fails again
        codes = sorted({str(entry.get("Code")) for entry in answer.get("Failed", [])})
        raise QueueUnavailableError(
            f"SQS did not take {len(pending)} of {len(batch)} calls ({', '.join(codes)})"
        )


def batches(
    items: Sequence[tuple[QueuedCall, str]],
) -> list[list[tuple[QueuedCall, str]]]:
    """Consecutive groups of at most 10 messages and 256 KiB of bodies (a larger single
    message, refused at ingest before this, would go alone)."""
    groups: list[list[tuple[QueuedCall, str]]] = []
    size = 0
    for item in items:
        length = len(item[1].encode("utf-8"))
        if not groups or len(groups[-1]) == MAX_BATCH or size + length > MAX_BATCH_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += length
    return groups


class PreviewQueue:
    """Local runs without a queue (``sam local invoke``): keeps the messages to show them."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def put(self, calls: Sequence[QueuedCall]) -> None:
        self.messages.extend(call.to_document() for call in calls)
