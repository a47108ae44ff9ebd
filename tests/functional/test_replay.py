"""Dead letters end to end on moto's SQS: the real forwarder parks a call Userpilot refused,
``dlq list`` shows why, ``replay`` sends it back and the forwarder delivers it once; a call
already delivered is suppressed by its key. Plus the committed forwarder sample event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.factories import ROOT, VEHICLE_PAYLOADS, VEHICLE_SOURCES, deployed, make_event
from tests.functional.conftest import TABLE
from tests.userpilot_stub import Reply
from webhook_to_track.cli import main
from webhook_to_track.local.events import (
    SAMPLE_RECEIVED_AT,
    forwarder_event,
    forwarder_samples,
    make_sqs_event,
)
from webhook_to_track.queue.message import QueuedCall
from webhook_to_track.queue.replay import list_dead_letters
from webhook_to_track.registry import load_registry

REFUSED = Reply(400, body={"errors": [{"message": "user not found"}]})
ACCEPTED = Reply(202, body={"status": "accepted"})
INVOICE_KEY = "stripe:evt_1PqR7sLkdIwHu7ix0aBcDeFg:stripe.invoice_paid:0"


def sqs() -> Any:
    return boto3.client("sqs", region_name="us-east-1")


def bodies(url: str) -> list[str]:
    """What the queue holds, left as it was."""
    return sorted(letter.body for letter in list_dead_letters(sqs(), url, wait_s=0))


def where(queues: Any) -> list[str]:
    return ["--queue-url", queues.queue_url, "--dlq-url", queues.dlq_url]


@pytest.fixture
def parked(deliver, userpilot, queues) -> list[str]:
    """Ingest the stripe invoice.paid sample; Userpilot refuses both calls: both are parked."""
    userpilot.always(REFUSED)
    answer, forwarded = deliver(make_event())
    assert answer.status == 202
    assert forwarded.failures == 0
    assert len(userpilot.requests) == 2
    held = bodies(queues.dlq_url)
    assert len(held) == 2
    assert bodies(queues.queue_url) == []
    return held


def test_dlq_list_shows_the_refused_calls_with_reason_status_and_message(parked, queues, capsys):
    assert main(["dlq", "list", *where(queues)]) == 0

    out = capsys.readouterr().out
    header, *rows = out.split("\n\n")[0].splitlines()
    assert header.split() == ["SOURCE", "EVENT", "NAME", "REASON", "STATUS", "AGE", "KEY", "ERROR"]
    assert len(rows) == 2
    invoice = next(row for row in rows if INVOICE_KEY in row)
    assert invoice.split()[:4] == ["stripe", "invoice_paid", "rejected", "400"]
    assert invoice.endswith("user not found")
    assert f"2 dead letters in {queues.dlq_url}\n" in out
    assert bodies(queues.dlq_url) == parked  # listing took nothing away


def test_dlq_list_json_has_every_field(parked, queues, capsys):
    assert main(["dlq", "list", *where(queues), "--json"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["count"] == 2
    assert not document["truncated"]
    letter = next(d for d in document["dead_letters"] if d["key"] == INVOICE_KEY)
    assert letter["reason"] == "rejected"
    assert letter["status"] == 400
    assert letter["error"] == "user not found"
    assert letter["source"] == "stripe"
    assert letter["event_name"] == "invoice_paid"
    assert letter["parked_at"].endswith("Z")
    assert letter["message"]["body"]["event_name"] == "invoice_paid"
    assert "receipt_handle" not in letter


def test_an_empty_dlq_says_so(queues, capsys):
    assert main(["dlq", "list", *where(queues)]) == 0

    assert capsys.readouterr().out == f"No dead letters in {queues.dlq_url}\n"


def test_replay_dry_run_changes_nothing(parked, queues, userpilot, forward, capsys):
    assert main(["replay", "--dry-run", "--source", "stripe", *where(queues)]) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"Would replay 2 calls to {queues.queue_url}:\n")
    assert "Dry run: nothing was sent or deleted." in out
    assert bodies(queues.dlq_url) == parked
    assert bodies(queues.queue_url) == []
    forward()
    assert len(userpilot.requests) == 2


def test_replay_sends_the_calls_back_and_the_forwarder_delivers_each_once(
    parked, queues, userpilot, forward, capsys
):
    userpilot.always(ACCEPTED)

    assert main(["replay", "--source", "stripe", *where(queues)]) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"Replayed 2 calls to {queues.queue_url}:\n")
    assert INVOICE_KEY in out
    assert "suppresses them (metric DuplicateSuppressed)" in out
    assert bodies(queues.dlq_url) == []
    assert bodies(queues.queue_url) == parked  # the original bodies, unchanged
    forwarded = forward()
    assert forwarded.failures == 0
    sent = [r.json()["event_name"] for r in userpilot.requests[2:]]
    assert sorted(sent) == ["invoice_paid", "subscription_renewed"]
    assert bodies(queues.dlq_url) == []
    assert bodies(queues.queue_url) == []
    forward()
    assert len(userpilot.requests) == 4  # once each


def test_replay_of_another_source_moves_nothing(parked, queues, capsys):
    assert main(["replay", "--source", "chargebee", *where(queues)]) == 0

    assert "Nothing to replay: none of 2 dead letters matched." in capsys.readouterr().out
    assert bodies(queues.dlq_url) == parked
    assert bodies(queues.queue_url) == []


def test_replay_by_event_name_moves_only_that_call(parked, queues, capsys):
    assert main(["replay", "--event-name", "invoice_paid", *where(queues)]) == 0

    assert [json.loads(b)["key"] for b in bodies(queues.queue_url)] == [INVOICE_KEY]
    assert len(bodies(queues.dlq_url)) == 1


@pytest.mark.parametrize(("since", "moved"), [("1h", 2), ("2999-01-01T00:00:00Z", 0)])
def test_replay_since_compares_with_when_the_call_was_received(parked, queues, since, moved):
    assert main(["replay", "--since", since, *where(queues)]) == 0

    assert len(bodies(queues.queue_url)) == moved


@pytest.mark.parametrize(("reason", "moved"), [("rejected", 2), ("exhausted", 0)])
def test_replay_by_reason(parked, queues, reason, moved):
    assert main(["replay", "--reason", reason, *where(queues)]) == 0

    assert len(bodies(queues.queue_url)) == moved


def delivered_once(deliver, userpilot, queues) -> list[str]:
    """Deliver the sample (Userpilot accepts); the message bodies the forwarder consumed."""
    userpilot.always(ACCEPTED)
    answer, forwarded = deliver(make_event())
    assert answer.status == 202
    assert len(userpilot.requests) == 2
    return [json.dumps(b, separators=(",", ":"), ensure_ascii=False) for b in forwarded.bodies]


def test_replaying_a_call_already_delivered_sends_nothing(
    deliver, userpilot, queues, forward, log_lines, capsys
):
    originals = delivered_once(deliver, userpilot, queues)
    invoice = next(b for b in originals if INVOICE_KEY in b)
    sqs().send_message(QueueUrl=queues.dlq_url, MessageBody=invoice)  # as SQS moves one

    assert main(["replay", *where(queues)]) == 0
    assert "exhausted" in capsys.readouterr().out
    forwarded = forward()

    assert forwarded.failures == 0
    assert len(userpilot.requests) == 2  # no second request
    assert any(line["message"] == "already delivered: duplicate suppressed" for line in log_lines())
    assert bodies(queues.dlq_url) == []
    assert bodies(queues.queue_url) == []


def test_replaying_a_call_with_a_key_not_yet_delivered_sends_it(
    deliver, userpilot, queues, forward
):
    originals = delivered_once(deliver, userpilot, queues)
    invoice = next(b for b in originals if INVOICE_KEY in b)
    call = QueuedCall.from_json(invoice)
    other = QueuedCall.of(  # the same call under a key never delivered
        call.call,
        source=call.source,
        delivery_id="evt_other",
        rule=call.rule,
        position=call.position,
        received_at=call.received_at,
    )
    sqs().send_message(QueueUrl=queues.dlq_url, MessageBody=other.to_json())

    assert main(["replay", *where(queues)]) == 0
    forward()

    assert len(userpilot.requests) == 3


def test_a_malformed_dead_letter_is_listed_and_never_replayed(queues, capsys):
    sqs().send_message(QueueUrl=queues.dlq_url, MessageBody="not a forward message")

    assert main(["dlq", "list", *where(queues)]) == 0
    assert "malformed" in capsys.readouterr().out
    assert main(["replay", *where(queues)]) == 0

    assert "skipped 1 (not a forward message: never replayed)" in capsys.readouterr().out
    assert bodies(queues.dlq_url) == ["not a forward message"]
    assert bodies(queues.queue_url) == []


def test_replay_of_an_empty_dlq_says_so(queues, capsys):
    assert main(["replay", *where(queues)]) == 0

    assert capsys.readouterr().out.startswith(f"Nothing to replay: {queues.dlq_url} is empty.")


# --- command errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["replay", "--since", "yesterday"], "--since: 'yesterday' is neither an ISO-8601 time"),
        (["replay", "--since", "2026-13-01"], "--since: '2026-13-01' is neither"),
        (["dlq", "list", "--queue-url", "https://q"], "--dlq-url is missing"),
        (["replay", "--dlq-url", "https://q"], "--queue-url is missing"),
        (["dlq", "list", "--limit", "0"], "--limit must be at least 1"),
    ],
)
def test_bad_options_are_a_clear_error(argv, message, aws, capsys):
    assert main(argv) == 2

    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("reason", ["bored", "malformed"])
def test_a_reason_replay_cannot_select_is_refused_by_the_parser(capsys, reason):
    with pytest.raises(SystemExit) as exit_info:
        main(["replay", "--reason", reason])

    assert exit_info.value.code == 2
    assert f"invalid choice: '{reason}'" in capsys.readouterr().err


def test_a_queue_that_does_not_exist_is_a_clear_error(aws, capsys):
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/nope"

    assert main(["dlq", "list", "--queue-url", url, "--dlq-url", url]) == 2

    err = capsys.readouterr().err
    assert "AWS refused:" in err
    assert "Traceback" not in err


# --- the deployed stack's outputs ----------------------------------------------------------


def test_without_urls_the_samconfig_stacks_outputs_name_the_queues(
    parked, queues, cloudformation, capsys
):
    cloudformation.add_response(
        "describe_stacks",
        deployed(
            "webhook-to-track", ForwardQueueUrl=queues.queue_url, ForwardDLQUrl=queues.dlq_url
        ),
        {"StackName": "webhook-to-track"},
    )

    assert main(["dlq", "list"]) == 0

    assert f"2 dead letters in {queues.dlq_url}" in capsys.readouterr().out


def test_replay_with_stack_uses_that_stacks_queues(parked, queues, cloudformation):
    cloudformation.add_response(
        "describe_stacks",
        deployed("other", ForwardQueueUrl=queues.queue_url, ForwardDLQUrl=queues.dlq_url),
        {"StackName": "other"},
    )

    assert main(["replay", "--stack", "other"]) == 0

    assert bodies(queues.queue_url) == parked


def test_a_stack_that_does_not_exist_is_a_clear_error(aws, cloudformation, capsys):
    cloudformation.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message="Stack with id gone does not exist",
        expected_params={"StackName": "gone"},
    )

    assert main(["dlq", "list", "--stack", "gone"]) == 2

    err = capsys.readouterr().err
    assert "webhook-to-track dlq: no stack named 'gone' in us-east-1" in err
    assert "give --queue-url and --dlq-url" in err


def test_a_stack_without_the_queue_outputs_is_a_clear_error(aws, cloudformation, capsys):
    cloudformation.add_response(
        "describe_stacks",
        deployed("webhook-to-track", WebhookBaseUrl="https://x"),
        {"StackName": "webhook-to-track"},
    )

    assert main(["replay"]) == 2

    err = capsys.readouterr().err
    assert "has no output ForwardQueueUrl or ForwardDLQUrl" in err


# --- the forwarder's sample event ----------------------------------------------------------

FORWARDER_EVENTS = ROOT / "events" / "forwarder"


def committed_samples() -> dict[str, tuple[str, Path]]:
    """The forwarder samples of the shipped sources present (one goes with its source)."""
    return forwarder_samples(ROOT / "events", load_registry())


def vehicle_forwarder_event() -> dict[str, Any]:
    """What the committed stripe sample holds, from the tests' own stripe (the shipped one may
    be edited or removed)."""
    return forwarder_event(
        load_registry(VEHICLE_SOURCES), "stripe", VEHICLE_PAYLOADS / "stripe" / "invoice.paid.json"
    )


def test_the_committed_forwarder_events_are_what_ingest_queues():
    for name, (source, payload) in committed_samples().items():
        expected = forwarder_event(load_registry(), source, payload)

        committed = (FORWARDER_EVENTS / name).read_text("utf-8")

        regenerate = f"{name} is stale: regenerate with make events"
        assert committed == json.dumps(expected, indent=2, ensure_ascii=False) + "\n", regenerate


def test_every_forwarder_event_file_is_generated():
    files = sorted(p.name for p in FORWARDER_EVENTS.glob("*.json"))

    left = sorted(set(files) - set(committed_samples()))
    assert not left, f"events/forwarder/{left[0]}: its source or sample is gone: delete it"
    assert files == sorted(committed_samples()), "missing: run make events"


def test_the_forwarder_sample_holds_every_call_of_the_delivery_with_a_fixed_time():
    event = vehicle_forwarder_event()

    messages = [json.loads(record["body"]) for record in event["Records"]]
    assert [m["key"] for m in messages] == [INVOICE_KEY, INVOICE_KEY[:-1] + "1"]
    assert {m["received_at"] for m in messages} == {SAMPLE_RECEIVED_AT}
    record = event["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":webhook-to-track-ForwardQueue")
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }


def sam_local_forwarder_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ForwarderFunction environment sam local builds from template.yaml and env.json."""
    from webhook_to_track.local.template import (
        FORWARDER_ID,
        function_environment,
        load_template,
    )

    env_json = json.loads((ROOT / "env.json").read_text("utf-8"))
    environment = function_environment(
        load_template(ROOT / "template.yaml"), env_json, FORWARDER_ID
    )
    assert environment["FORWARD_MODE"] == "dry-run"
    assert environment["POWERTOOLS_IDEMPOTENCY_DISABLED"] == "true"
    for name in ("IDEMPOTENCY_TABLE", "FORWARD_QUEUE_URL", "FORWARD_DLQ_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)


def run_forwarder(event: dict[str, Any]) -> dict[str, Any]:
    from typing import cast

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from webhook_to_track.local.context import LocalLambdaContext
    from webhook_to_track.queue.consumer import lambda_handler

    context = cast(LambdaContext, LocalLambdaContext(function_name="forwarder", timeout_s=30))
    return lambda_handler(event, context)


def test_the_sam_local_forwarder_accepts_the_sample_and_shows_the_requests(aws, monkeypatch):
    sam_local_forwarder_environment(monkeypatch)
    event = vehicle_forwarder_event()

    response = run_forwarder(event)

    assert response["batchItemFailures"] == []
    requests = response["dryRun"]
    assert [r["url"] for r in requests] == ["https://analytex.userpilot.io/v1/track"] * 2
    assert [r["body"]["event_name"] for r in requests] == ["invoice_paid", "subscription_renewed"]
    assert all(r["headers"]["Authorization"] == "Token ***" for r in requests)


def test_the_sam_local_forwarder_refuses_a_record_that_was_altered(aws, monkeypatch):
    sam_local_forwarder_environment(monkeypatch)
    event = vehicle_forwarder_event()
    altered = event["Records"][0]["body"].replace("user_8842", "user_0000")
    event = make_sqs_event([altered, event["Records"][1]["body"]])

    response = run_forwarder(event)

    # The altered body no longer matches its body_sha256: it is parked (here: no DLQ, so it
    # fails and stays queued); the other call still goes through.
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        event["Records"][0]["messageId"]
    ]
    assert [r["body"]["event_name"] for r in response["dryRun"]] == ["subscription_renewed"]


# --- ambiguous calls (policy park): held until a person says "resend" ----------------------------


@pytest.fixture
def ambiguous(env, deliver, userpilot, queues) -> list[str]:
    """Userpilot takes both calls but answers after the read timeout: both are parked as
    ambiguous, and their records say "sent"."""
    env(FORWARD_AMBIGUOUS="park", FORWARD_READ_TIMEOUT_SECONDS="0.2")
    userpilot.always(Reply(202, delay_s=0.5))
    answer, forwarded = deliver(make_event())
    assert (answer.status, forwarded.failures, len(userpilot.requests)) == (202, 0, 2)
    userpilot.always(ACCEPTED)
    return bodies(queues.dlq_url)


def test_ambiguous_calls_are_held_back_by_a_plain_replay(ambiguous, queues, capsys):
    assert len(ambiguous) == 2

    assert main(["replay", *where(queues)]) == 0

    assert "held 2 ambiguous" in capsys.readouterr().out
    assert bodies(queues.dlq_url) == ambiguous
    assert bodies(queues.queue_url) == []


def test_resend_ambiguous_erases_their_records_so_they_are_sent_again(
    ambiguous, queues, userpilot, forward, capsys
):
    # When a person has checked Userpilot and resends them
    command = ["replay", "--resend-ambiguous", "--table", TABLE, *where(queues)]
    assert main(command) == 0

    # Then both go back and the forwarder sends each once more (2 + 2 requests in all)
    assert capsys.readouterr().out.startswith(f"Replayed 2 calls to {queues.queue_url}:\n")
    assert forward().failures == 0
    assert len(userpilot.requests) == 4
    assert bodies(queues.dlq_url) == []


def test_resend_ambiguous_needs_the_table(ambiguous, queues, capsys):
    assert main(["replay", "--resend-ambiguous", *where(queues)]) == 2

    assert "--resend-ambiguous needs the idempotency table" in capsys.readouterr().err
    assert bodies(queues.dlq_url) == ambiguous
