"""process_delivery with an in-memory queue: map -> validate -> queue, no AWS, no network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from webhook_to_track.errors import QueueUnavailableError
from webhook_to_track.ingest.process import MAX_MESSAGE_BYTES, process_delivery
from webhook_to_track.models import DeliveryKey
from webhook_to_track.queue.message import QueuedCall
from webhook_to_track.queue.sink import CallQueue
from webhook_to_track.rules import Problems, RuleSet, compile_ruleset

KEY = DeliveryKey("test", "d-1")
PAYLOAD = {"type": "t"}


class FakeQueue:
    """Implements CallQueue: keeps every put, or raises the error it was given."""

    def __init__(self, error: Exception | None = None) -> None:
        self.puts: list[list[QueuedCall]] = []
        self._error = error

    def put(self, calls: Sequence[QueuedCall]) -> None:
        if self._error is not None:
            raise self._error
        self.puts.append(list(calls))

    @property
    def calls(self) -> list[QueuedCall]:
        return [call for put in self.puts for call in put]


def rules(*events: dict[str, Any], rule_id: str = "r") -> RuleSet:
    """One rule matching ``{"type": "t"}`` with these events, compiled as a rules file would be."""
    problems = Problems("t.json")
    compiled = compile_ruleset(
        {"rules": [{"id": rule_id, "match": {"type": ["t"]}, "events": list(events)}]}, problems
    )
    assert not problems, problems.items
    return compiled


def event(name: str = "a", **spec: Any) -> dict[str, Any]:
    return {"event_name": name, "user_id": "u", **spec}


def run(ruleset: RuleSet, queue: CallQueue, payload: Any = PAYLOAD) -> dict[str, Any]:
    """``queue: CallQueue`` makes mypy check FakeQueue against the port."""
    return process_delivery(delivery=KEY, payload=payload, rules=ruleset, queue=queue)


def test_queued_calls_are_summarised_and_put_in_one_call():
    # Given a rule with two events
    queue = FakeQueue()

    # When a delivery is processed
    summary = run(rules(event("a"), event("b")), queue)

    # Then both calls went to the queue in one put, and the summary names them (no values)
    assert summary == {
        "source": "test",
        "delivery_id": "d-1",
        "status": "accepted",
        "matched": ["r"],
        "queued": [
            {"key": "test:d-1:r:0", "kind": "track", "name": "a"},
            {"key": "test:d-1:r:1", "kind": "track", "name": "b"},
        ],
        "rejected": [],
    }
    assert len(queue.puts) == 1
    assert [c.call.body for c in queue.calls] == [
        {"user_id": "u", "event_name": "a", "metadata": {"source_event_id": "d-1"}},
        {"user_id": "u", "event_name": "b", "metadata": {"source_event_id": "d-1"}},
    ]


def test_queued_calls_carry_their_origin_and_one_receipt_time():
    queue = FakeQueue()

    run(rules(event("a"), event("b")), queue)

    first, second = queue.calls
    assert (first.source, first.delivery_id, first.rule, first.position) == (
        "test",
        "d-1",
        "r",
        "0",
    )
    assert first.body_sha256 == first.call.digest()
    assert first.received_at == second.received_at


def test_schema_invalid_call_is_rejected_and_never_queued_while_its_sibling_is():
    # Given a rule whose first event maps to a blank event name (the schema needs a non-space)
    queue = FakeQueue()

    # When the delivery is processed
    summary = run(rules(event("   "), event("b")), queue)

    # Then only the valid sibling is queued; the invalid one is reported with the broken rule
    assert [c.key for c in queue.calls] == ["test:d-1:r:1"]
    assert summary["queued"] == [{"key": "test:d-1:r:1", "kind": "track", "name": "b"}]
    (rejected,) = summary["rejected"]
    assert rejected["rule"] == "r"
    assert rejected["event"] == 0
    assert rejected["event_name"] == "   "
    assert rejected["reason"].startswith("invalid track: ")
    assert "event_name" in rejected["reason"]


def test_call_over_the_queues_message_limit_is_rejected_while_its_sibling_is_queued():
    # Given a payload whose flattened object makes one call larger than 256 KiB of UTF-8
    big = {f"k{i}": "😀" * 1024 for i in range(80)}  # 80 x 4 KiB
    queue = FakeQueue()

    # When the delivery is processed
    summary = run(
        rules(event("big", flatten=[{"path": "big"}]), event("small")),
        queue,
        {**PAYLOAD, "big": big},
    )

    # Then the big call is refused, named by its event, and the small one is queued
    assert [c.call.name for c in queue.calls] == ["small"]
    assert summary["rejected"] == [
        {
            "rule": "r",
            "event": 0,
            "event_name": "big",
            "reason": "the call is over the queue's 256 KiB message limit",
        }
    ]


def test_large_call_within_the_message_limit_is_queued():
    # Given one call of about 150 KiB
    queue = FakeQueue()

    # When it is processed
    summary = run(
        rules(event("big", flatten=[{"path": "big"}])),
        queue,
        {**PAYLOAD, "big": {f"k{i}": "x" * 1024 for i in range(150)}},
    )

    # Then it is queued whole
    (message,) = queue.calls
    assert len(message.to_json().encode("utf-8")) <= MAX_MESSAGE_BYTES
    assert summary["rejected"] == []


def test_rules_matching_with_no_applicable_call_are_ignored():
    queue = FakeQueue()

    summary = run(rules(event("a", when={"x": [1]})), queue)

    assert summary == {
        "status": "ignored",
        "source": "test",
        "delivery_id": "d-1",
        "reason": "rules matched but no call applied",
    }
    assert queue.puts == []


def test_no_rule_matching_is_ignored():
    queue = FakeQueue()

    summary = run(rules(event("a")), queue, {"type": "other"})

    assert (summary["status"], summary["reason"]) == ("ignored", "no rule matched")
    assert queue.puts == []


def test_only_rejected_calls_queue_nothing():
    queue = FakeQueue()

    summary = run(rules(event("   ")), queue)

    assert summary["status"] == "accepted"
    assert (summary["queued"], len(summary["rejected"])) == ([], 1)
    assert queue.puts == []


def test_queue_failure_propagates_so_nothing_is_stored():
    # Given a queue that SQS does not answer
    queue = FakeQueue(QueueUnavailableError("SQS did not take 1 of 2 calls (InternalError)"))

    # When the delivery is processed
    # Then the error reaches the caller (Powertools releases the record; the sender retries)
    with pytest.raises(QueueUnavailableError, match="did not take 1 of 2"):
        run(rules(event("a"), event("b")), queue)


def test_for_each_items_get_event_dot_item_positions():
    queue = FakeQueue()

    summary = run(
        rules({"for_each": "items", "event_name": "e", "user_id": {"path": "@.u"}}),
        queue,
        {**PAYLOAD, "items": [{"u": "a"}, {"u": "b"}]},
    )

    assert [c.position for c in queue.calls] == ["0.0", "0.1"]
    assert [q["key"] for q in summary["queued"]] == ["test:d-1:r:0.0", "test:d-1:r:0.1"]
    assert [c.call.body["user_id"] for c in queue.calls] == ["a", "b"]


def test_second_event_of_a_for_each_rule_counts_from_its_own_index():
    queue = FakeQueue()

    run(
        rules(event("first"), {"for_each": "items", "event_name": "e", "user_id": {"path": "@.u"}}),
        queue,
        {**PAYLOAD, "items": [{"u": "a"}]},
    )

    assert [c.key for c in queue.calls] == ["test:d-1:r:0", "test:d-1:r:1.0"]


def test_same_delivery_builds_the_same_keys_and_hashes():
    # A sender retry maps to the very same messages: the forwarder's record catches the repeat
    first, second = FakeQueue(), FakeQueue()

    run(rules(event("a"), event("b")), first)
    run(rules(event("a"), event("b")), second)

    assert [(c.key, c.body_sha256) for c in first.calls] == [
        (c.key, c.body_sha256) for c in second.calls
    ]
