"""SqsCallQueue: calls go to SQS in SendMessageBatch requests of at most 10; a transient entry
failure is sent once more, anything else raises QueueUnavailableError naming what SQS said.

moto's SQS (the template's own queue) for the happy paths; an in-memory fake client for the
partial failures moto cannot be made to produce."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from webhook_to_track.errors import QueueUnavailableError
from webhook_to_track.ingest.process import MAX_MESSAGE_BYTES
from webhook_to_track.local.aws import Queues
from webhook_to_track.queue.message import QueuedCall
from webhook_to_track.queue.sink import MAX_BATCH, PreviewQueue, SqsCallQueue
from webhook_to_track.userpilot.calls import track

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/test-forward"
Answer = dict[str, Any] | Exception | Callable[[list[dict[str, Any]]], dict[str, Any]]


def calls(count: int, *, padding: int = 0) -> list[QueuedCall]:
    """``count`` distinct calls of one delivery; ``padding`` adds that many bytes of metadata."""
    return [
        QueuedCall.of(
            track(
                {
                    "user_id": f"u-{n}",
                    "event_name": "invoice_paid",
                    "metadata": {"n": n, "pad": "x" * padding} if padding else {"n": n},
                }
            ),
            source="stripe",
            delivery_id="evt_1",
            rule="invoice_paid",
            position=str(n),
            received_at="2026-12-02T00:00:00Z",
        )
        for n in range(count)
    ]


def all_ok(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Successful": [{"Id": e["Id"], "MessageId": f"m-{e['Id']}"} for e in entries]}


def failing(
    ids: set[str], code: str = "InternalError", *, sender_fault: bool = False
) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    """An answer in which SQS refuses the entries with these Ids and takes the others."""

    def answer(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "Successful": [
                {"Id": e["Id"], "MessageId": f"m-{e['Id']}"} for e in entries if e["Id"] not in ids
            ],
            "Failed": [
                {"Id": e["Id"], "SenderFault": sender_fault, "Code": code, "Message": "no"}
                for e in entries
                if e["Id"] in ids
            ],
        }

    return answer


class FakeSqs:
    """The one SQS method SqsCallQueue uses, answering from a script (then: all taken)."""

    def __init__(self, *answers: Answer) -> None:
        self.requests: list[list[dict[str, Any]]] = []
        self._answers = list(answers)

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:
        assert QueueUrl == URL
        self.requests.append(list(Entries))
        answer = self._answers.pop(0) if self._answers else all_ok
        if isinstance(answer, Exception):
            raise answer
        return answer(Entries) if callable(answer) else answer


def sqs() -> Any:
    return boto3.client("sqs", region_name="us-east-1")


def batch_sizes(client: Any) -> list[int]:
    """Record the number of entries of every SendMessageBatch request this client makes."""
    sizes: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params["Entries"]))

    client.meta.events.register("provide-client-params.sqs.SendMessageBatch", record)
    return sizes


def drain(client: Any, queue_url: str, expected: int) -> list[str]:
    """Every message body in the queue (bounded: moto answers at once)."""
    bodies: list[str] = []
    for _ in range(expected + 5):
        answer = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        bodies.extend(m["Body"] for m in answer.get("Messages", []))
        if len(bodies) >= expected:
            break
    return bodies


# --- moto: the real client and the template's queue -----------------------------------------------


def test_25_calls_go_in_three_batches_of_at_most_ten(queues: Queues):
    # Given a client on the forward queue that records each SendMessageBatch
    client = sqs()
    sizes = batch_sizes(client)
    pending = calls(25)

    # When 25 calls are put
    SqsCallQueue(client, queues.queue_url).put(pending)

    # Then three requests carried them, and the queue holds every message as written
    assert sizes == [10, 10, 5]
    assert max(sizes) <= MAX_BATCH
    bodies = drain(client, queues.queue_url, 25)
    assert sorted(bodies) == sorted(c.to_json() for c in pending)
    assert {QueuedCall.from_json(b).key for b in bodies} == {c.key for c in pending}


def test_no_calls_make_no_request(queues: Queues):
    client = sqs()
    sizes = batch_sizes(client)

    SqsCallQueue(client, queues.queue_url).put([])

    assert sizes == []


def test_unknown_queue_is_unavailable(queues: Queues):
    missing = queues.queue_url.replace("test-forward", "no-such-queue")

    with pytest.raises(QueueUnavailableError, match=r"SQS refused the batch \(\w+\)") as caught:
        SqsCallQueue(sqs(), missing).put(calls(1))
    assert caught.value.status_code == 503


def test_calls_that_together_pass_the_batch_size_limit_are_still_queued(queues: Queues):
    # Given ten calls each well under the per-message limit (about 110 KiB apiece) but over
    # SQS's limit on one SendMessageBatch request together (the sum of its bodies)
    client = sqs()
    sizes = batch_sizes(client)
    pending = calls(10, padding=110 * 1024)
    assert all(len(c.to_json().encode()) < MAX_MESSAGE_BYTES for c in pending)

    # When they are put
    SqsCallQueue(client, queues.queue_url).put(pending)

    # Then they went in more than one request and all of them are queued: a batch that can
    # never fit must not turn into a 503 that the sender's every retry meets again
    assert len(sizes) > 1
    assert len(drain(client, queues.queue_url, 10)) == 10


# --- a fake client: partial failures --------------------------------------------------------------


def test_transient_entry_failure_is_sent_once_more_and_succeeds():
    # Given SQS refuses one entry of the first request with a server-side error
    client = FakeSqs(failing({"3"}))
    pending = calls(5)

    # When the calls are put
    SqsCallQueue(client, URL).put(pending)

    # Then only that entry is sent again, with the same body, and the put succeeds
    first, second = client.requests
    assert [e["Id"] for e in first] == ["0", "1", "2", "3", "4"]
    assert second == [{"Id": "3", "MessageBody": pending[3].to_json()}]


def test_persistent_entry_failure_raises_naming_the_codes():
    client = FakeSqs(
        failing({"1", "3"}, "ServiceUnavailable"), failing({"1", "3"}, "ServiceUnavailable")
    )

    with pytest.raises(
        QueueUnavailableError, match=r"SQS did not take 2 of 5 calls \(ServiceUnavailable\)"
    ):
        SqsCallQueue(client, URL).put(calls(5))
    assert len(client.requests) == 2


def test_persistent_failure_names_every_distinct_code():
    def mixed(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "Successful": [],
            "Failed": [
                {"Id": e["Id"], "SenderFault": False, "Code": code}
                for e, code in zip(entries, ["Throttling", "InternalError"], strict=True)
            ],
        }

    with pytest.raises(QueueUnavailableError, match=r"\(InternalError, Throttling\)"):
        SqsCallQueue(FakeSqs(mixed, mixed), URL).put(calls(2))


def test_sender_fault_is_not_retried():
    # Given SQS blames the request itself for one entry
    client = FakeSqs(failing({"0"}, "InvalidParameterValue", sender_fault=True))

    # When the calls are put
    with pytest.raises(
        QueueUnavailableError, match=r"did not take 1 of 2 calls \(InvalidParameterValue\)"
    ):
        SqsCallQueue(client, URL).put(calls(2))

    # Then the same send was not tried again
    assert len(client.requests) == 1


@pytest.mark.parametrize(
    "error",
    [
        ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "SendMessageBatch"),
        EndpointConnectionError(endpoint_url=URL),
    ],
    ids=["client-error", "no-connection"],
)
def test_client_exception_is_queue_unavailable(error: Exception):
    client = FakeSqs(error)

    with pytest.raises(QueueUnavailableError, match=type(error).__name__) as caught:
        SqsCallQueue(client, URL).put(calls(3))
    assert isinstance(caught.value.__cause__, type(error))
    assert len(client.requests) == 1


def test_failure_in_a_later_batch_raises_after_the_earlier_batch_was_taken():
    # The delivery then fails as a whole; the sender's retry re-queues the first batch too, and
    # the forwarder's record on each key keeps that from doubling a call.
    client = FakeSqs(all_ok, failing({"0"}), failing({"0"}))

    with pytest.raises(QueueUnavailableError, match="did not take 1 of 2 calls"):
        SqsCallQueue(client, URL).put(calls(12))
    assert [len(r) for r in client.requests] == [10, 2, 1]


def test_batch_entry_ids_are_unique_within_a_request():
    client = FakeSqs()

    SqsCallQueue(client, URL).put(calls(MAX_BATCH))

    (request,) = client.requests
    assert len({e["Id"] for e in request}) == MAX_BATCH


def test_preview_queue_keeps_the_documents():
    queue = PreviewQueue()
    pending: Sequence[QueuedCall] = calls(2)

    queue.put(pending)

    assert queue.messages == [c.to_document() for c in pending]
    assert json.loads(pending[0].to_json()) == queue.messages[0]
