"""The forwarder Lambda through its real handler: every outcome of the table in
webhook_to_track.queue.consumer, on messages queued by the real ingest path (a signed Stripe
invoice.paid maps to two calls) or built with QueuedCall.of, against moto's SQS and DynamoDB
and a real HTTP Userpilot stand-in on 127.0.0.1.

"Time passes" is moto's clock for hidden messages being moved to now (QueueProbe.let_time_pass),
so retries are tested without waiting for their delays.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.factories import USERPILOT_KEY, make_event
from tests.functional.conftest import TABLE, Answer, Forwarded
from tests.functional.forwarder_factories import (
    EMAIL,
    PLAN,
    USER_ID,
    Emitted,
    QueueProbe,
    call_records,
    queued_call,
    record_id,
    track_body,
)
from tests.userpilot_stub import Reply, UserpilotStub
from webhook_to_track.errors import ConfigurationError
from webhook_to_track.idempotency import (
    CALL_PREFIX,
    DRY_RUN_CALL_PREFIX,
    call_config,
    persistence_layer,
)
from webhook_to_track.local.aws import Queues
from webhook_to_track.local.context import LocalLambdaContext
from webhook_to_track.local.pump import pump_once
from webhook_to_track.settings import get_settings
from webhook_to_track.userpilot.calls import track

Invoke = Callable[..., Answer]
Forward = Callable[..., Forwarded]
Env = Callable[..., None]
ForwardOnce = Callable[[], dict[str, Any]]
USER_NOT_FOUND = Reply(400, body={"errors": [{"message": "user not found"}]})


@pytest.fixture
def probe(queues: Queues) -> QueueProbe:
    return QueueProbe(boto3.client("sqs", region_name="us-east-1"), queues)


@pytest.fixture
def forward_once(probe: QueueProbe, env: Env) -> ForwardOnce:
    """One receive, forward, delete round through the real handler, whatever the bodies are
    (conftest's forward parses each body as JSON, so it cannot carry a non-JSON message)."""
    from webhook_to_track.queue.consumer import lambda_handler

    def run() -> dict[str, Any]:
        context = LocalLambdaContext(function_name="forwarder", timeout_s=30.0)
        outcome = pump_once(probe.sqs, probe.queues.queue_url, lambda_handler, context)
        assert outcome is not None, "the queue was empty"
        return outcome[1]

    return run


@pytest.fixture
def emitted(capsys: pytest.CaptureFixture[str]) -> Callable[[], Emitted]:
    """The EMF metrics printed so far (Powertools prints EMF blobs to stdout)."""
    seen: list[str] = []

    def read() -> Emitted:
        seen.append(capsys.readouterr().out)
        return Emitted.parse("".join(seen))

    return read


def ingest(invoke: Invoke, probe: QueueProbe) -> tuple[Answer, list[str]]:
    """The signed Stripe sample through the real ingest handler; the two bodies it queued."""
    answer = invoke(make_event())
    assert answer.status == 202
    bodies = probe.bodies()
    assert len(bodies) == 2
    return answer, bodies


def failed_ids(outcome: Forwarded) -> list[str]:
    return [f["itemIdentifier"] for r in outcome.responses for f in r["batchItemFailures"]]


def delivered_after_the_delay(probe: QueueProbe, forward: Forward, aws: Any, call: Any) -> None:
    """Let the retry delay pass, forward again: the call is delivered, its message deleted."""
    probe.let_time_pass()
    second = forward()
    assert second.failures == 0
    assert probe.depth() == 0
    records = call_records(aws, TABLE, CALL_PREFIX)
    assert records[record_id(CALL_PREFIX, call.key)]["status"] == "COMPLETED"


def parked_alone(probe: QueueProbe, body: str, reason: str) -> None:
    """The forward queue is empty and the DLQ holds exactly ``body``, parked for ``reason``
    with no Userpilot status (none was given)."""
    assert probe.depth() == 0
    (parked,) = probe.parked()
    assert parked.body == body
    assert parked.attributes["reason"] == reason
    assert "status" not in parked.attributes


# --- 2xx -----------------------------------------------------------------------------------------


def test_accepted_calls_are_sent_once_deleted_and_recorded(
    invoke: Invoke, forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, aws: Any, emitted
):
    # Given the two calls ingest queued for a signed Stripe invoice.paid
    answer, bodies = ingest(invoke, probe)
    userpilot.always(Reply(202, headers={"x-request-id": "req-1"}, body={"status": "accepted"}))

    # When the forwarder drains the queue
    outcome = forward()

    # Then each call went out once, exactly as queued
    sent = sorted(json.dumps(r.json(), sort_keys=True) for r in userpilot.requests)
    assert sent == sorted(json.dumps(json.loads(b)["body"], sort_keys=True) for b in bodies)
    assert {(r.method, r.path) for r in userpilot.requests} == {("POST", "/v1/track")}
    assert all(r.headers["Authorization"] == f"Token {USERPILOT_KEY}" for r in userpilot.requests)
    # and both messages are gone
    assert outcome.failures == 0
    assert probe.depth() == 0
    # and each call key (not the messageId) has a COMPLETED record with Userpilot's answer
    keys = [q["key"] for q in answer.body["queued"]]
    assert call_records(aws, TABLE, CALL_PREFIX) == {
        record_id(CALL_PREFIX, key): {
            "status": "COMPLETED",
            "data": {"status": 202, "x_request_id": "req-1"},
        }
        for key in keys
    }
    # and Forwarded=2 is published per source and in total
    (blob,) = emitted().with_metric("Forwarded")
    assert blob["Forwarded"] == [2.0]
    assert (blob["service"], blob["source"]) == ("webhook-to-track", "stripe")
    assert blob["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "WebhookToTrack"
    assert Emitted.dimension_sets(blob) == {
        frozenset({"service", "source"}),
        frozenset({"service"}),
    }


# --- the same call again -------------------------------------------------------------------------


def test_the_same_call_queued_twice_in_one_batch_is_sent_once(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, emitted
):
    # Given the same call twice on the queue (a sender retry queues new messageIds)
    body = queued_call().to_json()
    probe.send(body, body)

    # When the forwarder drains the queue
    outcome = forward()

    # Then Userpilot saw it once, both messages are deleted, the second is counted as suppressed
    assert len(userpilot.requests) == 1
    assert outcome.failures == 0
    assert probe.depth() == 0
    metrics = emitted()
    assert (metrics.total("Forwarded"), metrics.total("DuplicateSuppressed")) == (1, 1)


def test_a_redriven_call_that_was_delivered_is_not_sent_again(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, emitted
):
    # Given a call that was delivered
    body = queued_call().to_json()
    probe.send(body)
    forward()

    # When the same message comes back later (a replay from the DLQ, a redrive)
    probe.send(body)
    outcome = forward()

    # Then it is acknowledged without a second request
    assert len(userpilot.requests) == 1
    assert outcome.failures == 0
    assert probe.depth() == 0
    assert emitted().total("DuplicateSuppressed") == 1


def test_same_key_with_a_changed_body_is_parked_not_sent(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, emitted
):
    # Given a call that was delivered
    first = queued_call()
    probe.send(first.to_json())
    forward()
    # and the same key queued again with a different body (the rules changed in between)
    changed = queued_call(track(track_body(event_name="plan_changed")))
    assert changed.key == first.key
    assert changed.body_sha256 != first.body_sha256
    probe.send(changed.to_json())

    # When the forwarder drains the queue
    outcome = forward()

    # Then the changed version is not sent but parked as content_changed, unchanged
    assert len(userpilot.requests) == 1
    assert outcome.failures == 0
    parked_alone(probe, changed.to_json(), "content_changed")
    metrics = emitted()
    assert (metrics.total("ForwardContentChanged"), metrics.total("CallParked")) == (1, 1)


def test_a_call_another_forwarder_is_sending_is_deferred_for_5_s(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub
):
    # Given another forwarder holds the record of this call key (as Powertools writes it)
    call = queued_call()
    layer = persistence_layer(TABLE, CALL_PREFIX)
    layer.configure(call_config(get_settings().call_window_s), key_prefix=CALL_PREFIX)
    layer.save_inprogress(data=call.to_document(), remaining_time_in_millis=60_000)
    (message_id,) = probe.send(call.to_json())

    # When the forwarder drains the queue
    outcome = forward()

    # Then the call is not sent and comes back in 5 s
    assert userpilot.requests == []
    assert failed_ids(outcome) == [message_id]
    assert probe.hidden_for()[message_id] == pytest.approx(5, abs=0.5)


# --- 429 -----------------------------------------------------------------------------------------


def test_429_hides_the_batch_for_retry_after_and_stops_sending(
    invoke: Invoke, forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, emitted
):
    # Given two queued calls, and Userpilot rate-limiting the first with Retry-After: 7
    ingest(invoke, probe)
    userpilot.script(Reply(429, headers={"Retry-After": "7"}))

    # When the forwarder drains the queue
    outcome = forward()

    # Then only the first call was tried: the rest of the batch waits unsent
    assert len(userpilot.requests) == 1
    # and both records are failures hidden for 7 s
    hidden = probe.hidden_for()
    assert sorted(failed_ids(outcome)) == sorted(hidden)
    assert list(hidden.values()) == [pytest.approx(7, abs=0.5)] * 2
    assert probe.visible() == 0
    metrics = emitted()
    assert (metrics.total("Deferred429"), metrics.total("ForwardRetried")) == (2, 1)


def test_a_long_retry_after_is_capped(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub
):
    # Given Userpilot asking for an hour's wait
    (message_id,) = probe.send(queued_call().to_json())
    userpilot.script(Reply(429, headers={"Retry-After": "3600"}))

    # When the forwarder tries the call
    forward()

    # Then it waits FORWARD_RETRY_AFTER_MAX_SECONDS (900 by default), not an hour
    assert probe.hidden_for()[message_id] == pytest.approx(900, abs=0.5)


def test_failed_call_backs_off_1_2_4_8_s_with_each_receive(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub
):
    # Given a call Userpilot keeps answering 503 without Retry-After
    (message_id,) = probe.send(queued_call().to_json())
    userpilot.always(Reply(503))

    delays = []
    for _ in range(4):
        # When the forwarder tries it, and its delay passes
        forward()
        delays.append(probe.hidden_for()[message_id])
        probe.let_time_pass()

    # Then each try waits twice as long as the one before, by ApproximateReceiveCount
    assert len(userpilot.requests) == 4
    assert delays == [pytest.approx(d, abs=0.5) for d in (1, 2, 4, 8)]


def test_429_without_retry_after_backs_off_by_receive_count(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub
):
    # Given a call received twice before (earlier attempts failed)
    (message_id,) = probe.send(queued_call().to_json())
    probe.receive(2)
    userpilot.always(Reply(429))

    # When the forwarder tries it again and Userpilot answers 429 without Retry-After
    outcome = forward()

    # Then it is hidden for the backoff step of its third receive: 1, 2, 4 s
    assert failed_ids(outcome) == [message_id]
    assert probe.hidden_for()[message_id] == pytest.approx(4, abs=0.5)


def test_after_a_429_a_later_batch_without_time_for_the_pause_defers_unsent(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, emitted
):
    # Given a batch of this container that got a 429 with Retry-After: 7
    probe.send(queued_call(position="0").to_json())
    userpilot.script(Reply(429, headers={"Retry-After": "7"}))
    forward()

    # When a new call arrives before the 7 s are over, in an invocation with less time left
    (message_id,) = probe.send(queued_call(position="1").to_json())
    outcome = forward(timeout_s=8.0)

    # Then it is not sent, and waits for the rest of the pause
    assert len(userpilot.requests) == 1
    assert failed_ids(outcome) == [message_id]
    assert 6 <= probe.hidden_for()[message_id] <= 7.5
    assert emitted().total("Deferred429") == 2


def test_after_a_429_a_later_batch_with_time_left_waits_out_the_pause(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub
):
    # Given a batch of this container that got a 429 with Retry-After: 1
    probe.send(queued_call(position="0").to_json())
    userpilot.script(Reply(429, headers={"Retry-After": "1"}))
    forward()

    # When a new call arrives right away, in an invocation with time to spare
    probe.send(queued_call(position="1").to_json())
    outcome = forward()

    # Then it is sent, but not before the pause is over
    rate_limited, sent = userpilot.requests[:2]
    assert sent.json() == queued_call(position="1").call.body
    assert sent.at - rate_limited.at >= 0.9
    assert outcome.failures == 0


# --- 5xx, 404, 408, 401/403 ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 404, 408])  # 503: see the backoff test
def test_unavailable_answers_are_retried_later(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, aws: Any, emitted, status
):
    # Given a call Userpilot answers with status once, then accepts
    call = queued_call()
    (message_id,) = probe.send(call.to_json())
    userpilot.script(Reply(status))

    # When the forwarder drains the queue
    first = forward()

    # Then the record failed, hidden for the first backoff step, and nothing is recorded
    assert failed_ids(first) == [message_id]
    assert probe.hidden_for()[message_id] == pytest.approx(1, abs=0.5)
    assert call_records(aws, TABLE, CALL_PREFIX) == {}
    metrics = emitted()
    assert (metrics.total("ForwardFailed"), metrics.total("ForwardRetried")) == (1, 1)

    # When its delay has passed, then it is sent again, delivered and deleted
    delivered_after_the_delay(probe, forward, aws, call)
    assert len(userpilot.requests) == 2


def test_connection_refused_is_retried_later_not_ambiguous(
    env: Env, forward: Forward, probe: QueueProbe, emitted
):
    # Given nothing listening where Userpilot should be (the request is provably not sent)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env(USERPILOT_HOST=f"http://127.0.0.1:{port}")
    (message_id,) = probe.send(queued_call().to_json())

    # When the forwarder tries the call
    outcome = forward()

    # Then it failed safely: retried after the first backoff step, not counted ambiguous
    assert failed_ids(outcome) == [message_id]
    assert probe.hidden_for()[message_id] == pytest.approx(1, abs=0.5)
    metrics = emitted()
    assert (metrics.total("ForwardFailed"), metrics.total("ForwardAmbiguous")) == (1, 0)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_api_key_is_retried_at_least_a_minute_later_and_logged_as_error(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, emitted, log_lines, status
):
    # Given Userpilot refuses the API key
    call = queued_call()
    (message_id,) = probe.send(call.to_json())
    userpilot.always(Reply(status))

    # When the forwarder drains the queue
    outcome = forward()

    # Then the call stays on the queue, hidden for at least 60 s (not parked: not its fault)
    assert failed_ids(outcome) == [message_id]
    assert probe.hidden_for()[message_id] >= 59.5
    assert probe.parked() == []
    metrics = emitted()
    assert metrics.total("UserpilotAuthFailed") == 1
    assert metrics.total("ForwardFailed") == 0
    # and an error names the call and points at the API key
    errors = [line for line in log_lines() if line["level"] == "ERROR"]
    assert [(e["call_key"], e["status"]) for e in errors] == [(call.key, status)]
    assert "userpilot_api_key" in errors[0]["message"]


# --- other 4xx: parked ---------------------------------------------------------------------------


def test_call_userpilot_refuses_is_parked_with_its_reason(
    invoke: Invoke, forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, emitted
):
    # Given the two calls ingest queued, and Userpilot refusing them (unknown user)
    answer, bodies = ingest(invoke, probe)
    userpilot.always(USER_NOT_FOUND)

    # When the forwarder drains the queue
    outcome = forward()

    # Then each was tried once and left the forward queue
    assert len(userpilot.requests) == 2
    assert outcome.failures == 0
    assert probe.depth() == 0
    # and sits in the DLQ unchanged, with Userpilot's status and message
    parked = probe.parked()
    assert sorted(p.body for p in parked) == sorted(bodies)
    for message in parked:
        assert {k: v for k, v in message.attributes.items() if k != "parked_at"} == {
            "reason": "rejected",
            "status": "400",
            "error": "user not found",
        }
        assert message.parked_at.tzinfo is not None
    assert emitted().total("CallParked") == 2
    # and no sender ever sees Userpilot's text: not in the answer, not in a retried delivery's
    retried = invoke(make_event())
    for response in (answer, retried):
        assert "user not found" not in json.dumps(response.body)


def test_a_call_that_cannot_be_parked_stays_on_the_queue(
    env: Env, forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, log_lines
):
    # Given a DLQ that cannot be written to, and Userpilot refusing the call
    env(FORWARD_DLQ_URL="https://sqs.us-east-1.amazonaws.com/123456789012/no-such-dlq")
    call = queued_call()
    (message_id,) = probe.send(call.to_json())
    userpilot.always(USER_NOT_FOUND)

    # When the forwarder drains the queue
    outcome = forward()

    # Then nothing is dropped: the message is a failure and stays on the queue
    assert failed_ids(outcome) == [message_id]
    assert probe.depth() == 1
    # and the error about it names the call, like every line logged for a record
    (error,) = [line for line in log_lines() if line["level"] == "ERROR"]
    assert error["message"] == "record failed unexpectedly: left on the queue"
    assert (error.get("call_key"), error.get("delivery_id")) == (call.key, call.delivery_id)


# --- ambiguous: sent, no answer ------------------------------------------------------------------


def test_read_timeout_is_ambiguous_and_retried_by_default(
    env: Env, forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, aws: Any, emitted
):
    # Given Userpilot answers the first request after the read timeout, then promptly
    env(FORWARD_READ_TIMEOUT_SECONDS="0.3")
    call = queued_call()
    (message_id,) = probe.send(call.to_json())
    userpilot.script(Reply(202, delay_s=0.8))

    # When the forwarder drains the queue
    first = forward()

    # Then it was sent once (urllib3 did not re-send it), counted ambiguous and failed
    assert len(userpilot.requests) == 1
    assert failed_ids(first) == [message_id]
    assert emitted().total("ForwardAmbiguous") == 1
    assert probe.parked() == []

    # When its delay has passed, then it is sent once more (at least once) and delivered
    delivered_after_the_delay(probe, forward, aws, call)
    assert len(userpilot.requests) == 2


def test_read_timeout_with_policy_park_is_parked_not_retried(
    env: Env, forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, emitted
):
    # Given the park policy, and Userpilot answering after the read timeout
    env(FORWARD_READ_TIMEOUT_SECONDS="0.3", FORWARD_AMBIGUOUS="park")
    call = queued_call()
    probe.send(call.to_json())
    userpilot.script(Reply(202, delay_s=0.8))

    # When the forwarder drains the queue, and again after any delay
    outcome = forward()
    probe.let_time_pass()
    forward()

    # Then it was sent exactly once (at most once) and parked as ambiguous
    assert len(userpilot.requests) == 1
    assert outcome.failures == 0
    parked_alone(probe, call.to_json(), "ambiguous")
    metrics = emitted()
    assert (metrics.total("ForwardAmbiguous"), metrics.total("CallParked")) == (1, 1)


# --- messages that are not ours ------------------------------------------------------------------


def _tampered_body() -> str:
    document = queued_call().to_document()
    document["body"]["user_id"] = "someone-else"
    return json.dumps(document)


def _wrong_key() -> str:
    document = queued_call().to_document()
    document["key"] = "stripe:evt_other:stripe.invoice_paid:0"
    return json.dumps(document)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json", id="not-json"),
        pytest.param(json.dumps({**queued_call().to_document(), "v": 2}), id="other-version"),
        pytest.param(_tampered_body(), id="body-changed-after-hashing"),
        pytest.param(_wrong_key(), id="key-not-from-its-fields"),
    ],
)
def test_malformed_message_is_parked_unsent(
    forward_once: ForwardOnce, probe: QueueProbe, userpilot: UserpilotStub, emitted, body: str
):
    # Given a message on the queue that is not a valid forward message
    probe.send(body)

    # When the forwarder takes it
    response = forward_once()

    # Then nothing is sent; the message is parked as it was, with the reason
    assert userpilot.requests == []
    assert response["batchItemFailures"] == []
    assert probe.depth() == 0
    (parked,) = probe.parked()
    assert parked.body == body
    assert parked.attributes["reason"] == "malformed"
    assert parked.attributes["error"]
    (blob,) = emitted().with_metric("CallParked")
    assert blob["source"] == "unknown"


# --- time, dry run, idempotency off --------------------------------------------------------------


def test_records_are_deferred_unsent_when_the_invocation_is_almost_over(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub
):
    # Given two queued calls
    probe.send(*(queued_call(position=str(n)).to_json() for n in range(2)))

    # When the forwarder runs with less time left than one attempt plus the reserve
    outcome = forward(timeout_s=3.0)

    # Then nothing is sent and both come back shortly
    assert userpilot.requests == []
    hidden = probe.hidden_for()
    assert sorted(failed_ids(outcome)) == sorted(hidden)
    assert list(hidden.values()) == [pytest.approx(1, abs=0.5)] * 2


def test_dry_run_sends_nothing_and_shows_the_redacted_requests(
    env: Env, invoke: Invoke, forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, aws
):
    # Given dry-run mode and the two calls ingest queued
    env(FORWARD_MODE="dry-run")
    answer, bodies = ingest(invoke, probe)

    # When the forwarder drains the queue
    outcome = forward()

    # Then nothing reached Userpilot, and the answer shows each request without the API key
    assert userpilot.requests == []
    assert outcome.failures == 0
    (response,) = outcome.responses
    shown = response["dryRun"]
    assert [r["body"] for r in shown] == [json.loads(b)["body"] for b in bodies]
    assert {(r["method"], r["url"]) for r in shown} == {("POST", f"{userpilot.url}/v1/track")}
    assert {r["headers"]["Authorization"] for r in shown} == {"Token ***"}
    assert USERPILOT_KEY not in json.dumps(response)
    # and the records are dry-run ones: switching to send later still sends these calls
    keys = [q["key"] for q in answer.body["queued"]]
    records = call_records(aws, TABLE, DRY_RUN_CALL_PREFIX)
    assert set(records) == {record_id(DRY_RUN_CALL_PREFIX, key) for key in keys}
    assert {r["status"] for r in records.values()} == {"COMPLETED"}
    assert call_records(aws, TABLE, CALL_PREFIX) == {}


def test_with_idempotency_disabled_calls_are_still_forwarded(
    env: Env, invoke: Invoke, forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, aws
):
    # Given idempotency turned off (sam local without a table)
    env(POWERTOOLS_IDEMPOTENCY_DISABLED="true")
    ingest(invoke, probe)

    # When the forwarder drains the queue
    outcome = forward()

    # Then both calls are sent and deleted, with no call record
    assert len(userpilot.requests) == 2
    assert outcome.failures == 0
    assert probe.depth() == 0
    assert call_records(aws, TABLE, CALL_PREFIX) == {}


# --- logs ----------------------------------------------------------------------------------------


def test_forwarder_logs_name_the_call_and_never_its_values_or_the_key(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, log_lines
):
    # Given four calls meeting four outcomes: refused, unavailable, key refused, accepted
    calls = [queued_call(position=str(n)) for n in range(4)]
    probe.send(*(c.to_json() for c in calls))
    userpilot.script(USER_NOT_FOUND, Reply(503), Reply(401), Reply(202))
    # When the forwarder drains the queue, then again once the delays passed, then a duplicate
    forward()
    probe.let_time_pass()
    forward()
    probe.send(calls[3].to_json())
    forward()

    # Then every line logged while a record was processed names it
    lines = [line for line in log_lines() if line.get("function_name") == "forwarder"]
    per_record = [line for line in lines if line["message"] != "batch done"]
    assert len(per_record) >= 7
    keys = {c.key for c in calls}
    for line in per_record:
        assert line.get("call_key") in keys, line
        assert (line.get("source"), line.get("delivery_id")) == ("stripe", "evt_forwarder_1")
    # and batch lines do not carry a record's keys over
    assert all("call_key" not in line for line in lines if line["message"] == "batch done")
    # and no line holds the API key or a value of the call body
    text = "\n".join(json.dumps(line) for line in log_lines())
    for secret in (USERPILOT_KEY, USER_ID, EMAIL, PLAN):
        assert secret not in text


# --- the call record cannot be saved -------------------------------------------------------------


class FailingUpdates:
    """A DynamoDB client whose UpdateItem (Powertools' COMPLETED write) fails."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def update_item(self, **kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "UpdateItem",
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_delivered_call_whose_record_fails_to_save_is_deleted_not_resent(
    forward: Forward, probe: QueueProbe, userpilot: UserpilotStub, emitted
):
    # Given DynamoDB refusing the COMPLETED update after a successful send
    layer = persistence_layer(TABLE, CALL_PREFIX)
    layer.client = FailingUpdates(layer.client)
    probe.send(queued_call().to_json())

    # When the forwarder drains the queue, and again after any delay
    outcome = forward()
    probe.let_time_pass()
    forward()

    # Then the call was sent once and its message deleted
    assert len(userpilot.requests) == 1
    assert outcome.failures == 0
    assert probe.depth() == 0
    metrics = emitted()
    assert (metrics.total("CallRecordNotSaved"), metrics.total("Forwarded")) == (1, 1)


def test_a_deployed_forwarder_without_a_dlq_refuses_the_whole_batch(
    env: Env, forward_once, probe: QueueProbe, userpilot: UserpilotStub
):
    # Given a forwarder deployed without FORWARD_DLQ_URL, and a call in the queue
    env(
        FORWARD_DLQ_URL="",
        AWS_EXECUTION_ENV="AWS_Lambda_python3.13",
        SOURCES_DIR="",  # refused in AWS
        SECRETS_JSON="",
        SECRETS_NAME="arn:aws:secretsmanager:us-east-1:123456789012:secret:never-read",
    )
    probe.send(queued_call().to_json())

    # Then it fails loudly before taking any record: nothing is sent, SQS keeps the message
    with pytest.raises(ConfigurationError, match="FORWARD_DLQ_URL is required"):
        forward_once()
    assert userpilot.requests == []
