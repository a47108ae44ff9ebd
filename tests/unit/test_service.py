"""process_delivery with an in-memory sink: map -> validate -> forward, no AWS, no network."""

from __future__ import annotations

import pytest

from webhook_to_track.errors import UpstreamUnavailableError
from webhook_to_track.forwarder import SendResult
from webhook_to_track.models import DeliveryKey, TrackEvent
from webhook_to_track.policy import Deadline
from webhook_to_track.rules import Problems, compile_ruleset
from webhook_to_track.service import process_delivery

KEY = DeliveryKey("test", "d-1")


class FakeSink:
    """Records events; answers from a script of outcomes (default: forwarded)."""

    def __init__(self, *outcomes: SendResult | Exception) -> None:
        self.events: list[TrackEvent] = []
        self._outcomes = list(outcomes)

    def send(self, event: TrackEvent, deadline: Deadline) -> SendResult:
        self.events.append(event)
        outcome = self._outcomes.pop(0) if self._outcomes else SendResult("forwarded", 202)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def rules(*events: dict):
    problems = Problems("t.json")
    compiled = compile_ruleset(
        {"rules": [{"id": "r", "match": {"type": ["t"]}, "events": list(events)}]}, problems
    )
    assert not problems, problems.items
    return compiled


def run(ruleset, payload, sink):
    return process_delivery(
        delivery=KEY, payload=payload, rules=ruleset, sink=sink, deadline=Deadline.after(5)
    )


def test_forwarded_events_are_summarised():
    sink = FakeSink()

    summary = run(rules({"event_name": "a", "user_id": "u"}), {"type": "t"}, sink)

    assert summary == {
        "source": "test",
        "delivery_id": "d-1",
        "status": "accepted",
        "matched": ["r"],
        "events": [{"rule": "r", "event_name": "a", "outcome": "forwarded"}],
        "rejected": [],
    }
    assert sink.events == [
        {"user_id": "u", "event_name": "a", "metadata": {"source_event_id": "d-1"}}
    ]


def test_schema_invalid_event_is_rejected_and_never_sent():
    sink = FakeSink()

    summary = run(
        rules({"event_name": "   ", "user_id": "u"}, {"event_name": "b", "user_id": "u"}),
        {"type": "t"},
        sink,
    )

    assert summary["rejected"] == [
        {
            "rule": "r",
            "event": 0,
            "event_name": "   ",
            "reason": 'invalid track event: $.event_name breaks pattern="\\\\S"',
        }
    ]
    assert [e["event_name"] for e in sink.events] == ["b"]


def test_rules_matching_without_applicable_event_are_ignored():
    summary = run(
        rules({"when": {"x": [1]}, "event_name": "a", "user_id": "u"}), {"type": "t"}, FakeSink()
    )

    assert (summary["status"], summary["reason"]) == (
        "ignored",
        "rules matched but no event applied",
    )


def test_forward_failure_propagates_so_nothing_is_stored():
    sink = FakeSink(SendResult("forwarded", 202), UpstreamUnavailableError("down"))

    with pytest.raises(UpstreamUnavailableError):
        run(
            rules({"event_name": "a", "user_id": "u"}, {"event_name": "b", "user_id": "u"}),
            {"type": "t"},
            sink,
        )
