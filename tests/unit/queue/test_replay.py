"""queue/replay.py on a small in-memory SQS: listing leaves the queue as it was, replay sends
the original body first and deletes after, and every filter selects on its own ingredient."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webhook_to_track.local.stack import (
    Endpoint,
    StackError,
    resolve_queues,
    stack_name_from_samconfig,
)
from webhook_to_track.queue.message import QueuedCall
from webhook_to_track.queue.replay import (
    REASONS,
    list_dead_letters,
    parse_since,
    parse_timestamp,
    replay,
)
from webhook_to_track.userpilot.calls import track

DLQ = "https://sqs.local/123/dlq"
QUEUE = "https://sqs.local/123/forward"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC).timestamp()


def body(
    source: str = "stripe",
    event_name: str = "invoice_paid",
    received_at: str = "2026-12-02T09:00:00Z",
    delivery_id: str = "evt_1",
    position: str = "0",
) -> str:
    call = track({"user_id": "u1", "event_name": event_name, "metadata": {"plan": "Growth"}})
    queued = QueuedCall.of(
        call,
        source=source,
        delivery_id=delivery_id,
        rule=f"{source}.{event_name}",
        position=position,
        received_at=received_at,
    )
    return queued.to_json()


def parked(reason: str = "rejected", status: str | None = "400", error: str | None = None):
    attributes = {
        "reason": reason,
        "parked_at": "2026-12-02T09:00:05Z",
        "status": status,
        "error": error or "user not found",
    }
    return {
        name: {"DataType": "String", "StringValue": value}
        for name, value in attributes.items()
        if value is not None
    }


@dataclass
class Message:
    message_id: str
    body: str
    attributes: dict[str, Any]
    sent_ms: int
    handle: str = ""
    receives: int = 0
    visible_at: float = 0.0


@dataclass
class FakeSQS:
    """Receive (hiding for VisibilityTimeout), change visibility, send and delete batches;
    receipt handles change per receive and only the latest one is valid, as in SQS."""

    now: float = 1000.0
    queues: dict[str, list[Message]] = field(default_factory=lambda: {DLQ: [], QUEUE: []})
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    refuse_bodies: set[str] = field(default_factory=set)
    fail: dict[str, Exception] = field(default_factory=dict)
    fail_after: dict[str, int] = field(default_factory=dict)
    duplicate_once: set[str] = field(default_factory=set)
    tick_per_receive: float = 0.0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def put(self, url: str, text: str, attributes: dict[str, Any] | None = None) -> str:
        message_id = f"m{next(self._ids)}"
        self.queues[url].append(Message(message_id, text, attributes or {}, int(NOW * 1000)))
        return message_id

    def _check(self, operation: str) -> None:
        count = sum(1 for call in self.calls if call[0] == operation)
        if operation in self.fail and count > self.fail_after.get(operation, 0):
            raise self.fail[operation]

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("receive", kwargs["QueueUrl"], kwargs["MaxNumberOfMessages"]))
        self._check("receive")
        self.now += self.tick_per_receive
        assert 1 <= kwargs["MaxNumberOfMessages"] <= 10
        visible = [m for m in self.queues[kwargs["QueueUrl"]] if m.visible_at <= self.now]
        out = []
        for message in visible[: kwargs["MaxNumberOfMessages"]]:
            message.receives += 1
            message.handle = f"{message.message_id}-h{message.receives}"
            if message.message_id in self.duplicate_once:
                self.duplicate_once.discard(message.message_id)  # shown again next time
            else:
                message.visible_at = self.now + kwargs["VisibilityTimeout"]
            out.append(
                {
                    "MessageId": message.message_id,
                    "ReceiptHandle": message.handle,
                    "Body": message.body,
                    "Attributes": {
                        "ApproximateReceiveCount": str(message.receives),
                        "SentTimestamp": str(message.sent_ms),
                    },
                    **({"MessageAttributes": message.attributes} if message.attributes else {}),
                }
            )
        return {"Messages": out} if out else {}

    def _by_handle(self, url: str, handle: str) -> Message | None:
        return next((m for m in self.queues[url] if m.handle == handle), None)

    def change_message_visibility_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]):
        self.calls.append(("visibility", QueueUrl, len(Entries)))
        self._check("visibility")
        assert len(Entries) <= 10
        done, failed = [], []
        for entry in Entries:
            message = self._by_handle(QueueUrl, entry["ReceiptHandle"])
            if message is None:
                failed.append({"Id": entry["Id"], "Code": "ReceiptHandleIsInvalid"})
                continue
            message.visible_at = self.now + entry["VisibilityTimeout"]
            done.append({"Id": entry["Id"]})
        return {"Successful": done, "Failed": failed}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]):
        self.calls.append(("send", QueueUrl, len(Entries)))
        self._check("send")
        assert len(Entries) <= 10
        assert all(set(entry) == {"Id", "MessageBody"} for entry in Entries)  # no attributes
        done, failed = [], []
        for entry in Entries:
            if entry["MessageBody"] in self.refuse_bodies:
                failed.append({"Id": entry["Id"], "Code": "InternalError", "SenderFault": False})
            else:
                self.put(QueueUrl, entry["MessageBody"])
                done.append({"Id": entry["Id"], "MessageId": "x"})
        return {"Successful": done, "Failed": failed}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]):
        self.calls.append(("delete", QueueUrl, len(Entries)))
        self._check("delete")
        done, failed = [], []
        for entry in Entries:
            message = self._by_handle(QueueUrl, entry["ReceiptHandle"])
            if message is None:
                failed.append({"Id": entry["Id"], "Code": "ReceiptHandleIsInvalid"})
                continue
            self.queues[QueueUrl].remove(message)
            done.append({"Id": entry["Id"]})
        return {"Successful": done, "Failed": failed}

    def visible(self, url: str) -> list[str]:
        return [m.body for m in self.queues[url] if m.visible_at <= self.now]


@pytest.fixture
def sqs() -> FakeSQS:
    return FakeSQS()


def run_list(sqs: FakeSQS, **kwargs: Any):
    options = {"wait_s": 0, "clock": lambda: sqs.now, "wall_clock": lambda: NOW, **kwargs}
    return list_dead_letters(sqs, DLQ, **options)


def run_replay(sqs: FakeSQS, **kwargs: Any):
    options = {"wait_s": 0, "clock": lambda: sqs.now, "wall_clock": lambda: NOW, **kwargs}
    return replay(sqs, DLQ, QUEUE, **options)


# --- listing ---------------------------------------------------------------------------------


def test_a_parked_call_is_listed_with_the_forwarders_reason_status_and_message(sqs):
    sqs.put(DLQ, body(), parked())

    (letter,) = run_list(sqs)

    assert (letter.source, letter.event_name, letter.kind) == ("stripe", "invoice_paid", "track")
    assert letter.key == "stripe:evt_1:stripe.invoice_paid:0"
    assert (letter.reason, letter.status, letter.error) == ("rejected", 400, "user not found")
    assert letter.parked_at == "2026-12-02T09:00:05Z"
    assert letter.received_at == "2026-12-02T09:00:00Z"
    assert letter.age_s == 3 * 3600  # from the call's received_at
    assert letter.receive_count == 1
    assert letter.replayable


def test_a_message_sqs_moved_itself_has_no_attributes_and_shows_exhausted(sqs):
    sqs.put(DLQ, body())

    (letter,) = run_list(sqs)

    assert (letter.reason, letter.status, letter.error, letter.parked_at) == (
        "exhausted",
        None,
        None,
        None,
    )
    assert letter.replayable


@pytest.mark.parametrize(
    ("text", "shown_key", "why"),
    [
        ("not json", None, "not JSON"),
        (
            body().replace('"plan":"Growth"', '"plan":"Scale"'),
            "stripe:evt_1:stripe.invoice_paid:0",
            "body_sha256",
        ),
        (json.dumps({"v": 2}), None, "version 1"),
    ],
    ids=["not-json", "hand-edited", "other-version"],
)
def test_a_body_that_is_not_a_forward_message_is_listed_as_malformed(sqs, text, shown_key, why):
    sqs.put(DLQ, text)

    (letter,) = run_list(sqs)

    assert letter.reason == "malformed"
    assert why in (letter.error or "")
    assert letter.key == shown_key  # what it was, as far as it can be read
    assert not letter.replayable
    assert letter.age_s == (3 * 3600 if shown_key else 0)  # else from SentTimestamp


def test_the_forwarders_own_malformed_park_keeps_its_error(sqs):
    sqs.put(DLQ, "{}", parked("malformed", status=None, error="not a version 1 forward message"))

    (letter,) = run_list(sqs)

    assert (letter.reason, letter.error) == ("malformed", "not a version 1 forward message")


def test_listing_changes_nothing_every_message_is_visible_again(sqs):
    bodies = [body(delivery_id=f"evt_{n}") for n in range(13)]
    for text in bodies:
        sqs.put(DLQ, text, parked())

    listing = run_list(sqs)

    assert len(listing) == 13
    assert not listing.truncated
    assert sorted(sqs.visible(DLQ)) == sorted(bodies)
    assert sqs.visible(QUEUE) == []
    assert not [c for c in sqs.calls if c[0] in ("send", "delete")]


def test_a_message_handed_out_twice_is_listed_once_and_released_with_its_latest_handle(sqs):
    first = sqs.put(DLQ, body())
    sqs.put(DLQ, body(delivery_id="evt_2"))
    sqs.duplicate_once.add(first)

    listing = run_list(sqs)

    assert [letter.message_id for letter in listing].count(first) == 1
    assert len(listing) == 2
    assert len(sqs.visible(DLQ)) == 2


def test_listing_stops_at_the_limit_and_says_so(sqs):
    for n in range(25):
        sqs.put(DLQ, body(delivery_id=f"evt_{n}"))

    listing = run_list(sqs, limit=12)

    assert len(listing) == 12
    assert listing.truncated
    assert [c[2] for c in sqs.calls if c[0] == "receive"] == [10, 2]
    assert len(sqs.visible(DLQ)) == 25


def test_listing_stops_at_the_time_limit_and_says_so(sqs):
    for n in range(25):
        sqs.put(DLQ, body(delivery_id=f"evt_{n}"))
    sqs.tick_per_receive = 4.0

    listing = run_list(sqs, max_seconds=5.0)

    assert len(listing) == 20  # two receives fit in 5 s
    assert listing.truncated
    assert len(sqs.visible(DLQ)) == 25


def test_a_failure_mid_listing_still_shows_what_it_had_received(sqs):
    for n in range(15):
        sqs.put(DLQ, body(delivery_id=f"evt_{n}"))
    sqs.fail["receive"] = RuntimeError("throttled")
    sqs.fail_after["receive"] = 1

    with pytest.raises(RuntimeError):
        run_list(sqs)

    assert len(sqs.visible(DLQ)) == 15


def test_the_hiding_outlasts_the_time_budget(sqs):
    sqs.put(DLQ, body())
    seen: list[int] = []
    receive = sqs.receive_message

    def spy(**kwargs: Any) -> dict[str, Any]:
        seen.append(kwargs["VisibilityTimeout"])
        return receive(**kwargs)

    sqs.receive_message = spy  # type: ignore[method-assign]

    run_list(sqs, max_seconds=20.0)

    assert seen
    assert all(timeout > 20 for timeout in seen)


def test_oldest_call_first(sqs):
    sqs.put(DLQ, body(delivery_id="new", received_at="2026-12-02T11:00:00Z"))
    sqs.put(DLQ, body(delivery_id="old", received_at="2026-11-25T11:00:00Z"))

    assert [letter.key.split(":")[1] for letter in run_list(sqs)] == ["old", "new"]


# --- replay ----------------------------------------------------------------------------------


def test_replay_sends_the_original_body_first_then_deletes_it(sqs):
    original = body()
    sqs.put(DLQ, original, parked())

    report = run_replay(sqs)

    assert [letter.body for letter in report.replayed] == [original]
    assert sqs.visible(QUEUE) == [original]  # byte for byte; no attributes (the fake checks)
    assert sqs.queues[DLQ] == []
    operations = [c[0] for c in sqs.calls if c[0] in ("send", "delete")]
    assert operations == ["send", "delete"]


def test_a_dry_run_sends_and_deletes_nothing(sqs):
    original = body()
    sqs.put(DLQ, original, parked())

    report = run_replay(sqs, dry_run=True)

    assert [letter.body for letter in report.matched] == [original]
    assert report.replayed == []
    assert sqs.visible(DLQ) == [original]
    assert sqs.visible(QUEUE) == []
    assert not [c for c in sqs.calls if c[0] in ("send", "delete")]


MATCHING = {
    "source": "stripe",
    "event_name": "invoice_paid",
    "since": datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
    "reason": "rejected",
}


def test_a_call_matching_every_filter_is_replayed(sqs):
    sqs.put(DLQ, body(), parked())

    report = run_replay(sqs, **MATCHING)

    assert len(report.replayed) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("source", "chargebee"),
        ("event_name", "subscription_renewed"),
        ("since", datetime(2026, 12, 2, 10, 0, tzinfo=UTC)),
        ("reason", "ambiguous"),
    ],
)
def test_a_call_failing_one_filter_stays_a_dead_letter(sqs, name, value):
    original = body()
    sqs.put(DLQ, original, parked())

    report = run_replay(sqs, **{**MATCHING, name: value})

    assert report.matched == []
    assert [letter.body for letter in report.kept] == [original]
    assert sqs.visible(DLQ) == [original]
    assert sqs.visible(QUEUE) == []


def test_since_includes_a_call_received_exactly_then(sqs):
    sqs.put(DLQ, body(received_at="2026-12-02T09:00:00Z"))

    report = run_replay(sqs, since=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))

    assert len(report.replayed) == 1


def test_since_keeps_a_call_whose_received_at_is_not_a_time(sqs):
    sqs.put(DLQ, body(received_at="yesterday"))

    report = run_replay(sqs, since=datetime(2020, 1, 1, tzinfo=UTC))

    assert len(report.kept) == 1


def test_exhausted_is_a_reason_to_filter_on(sqs):
    sqs.put(DLQ, body(delivery_id="moved"))
    sqs.put(DLQ, body(delivery_id="refused"), parked())

    report = run_replay(sqs, reason="exhausted")

    assert [letter.key for letter in report.replayed] == ["stripe:moved:stripe.invoice_paid:0"]


@pytest.mark.parametrize("reason", [None, "malformed"])
def test_a_malformed_message_is_never_replayed(sqs, reason):
    sqs.put(DLQ, "not json", parked("malformed", status=None))

    report = run_replay(sqs, reason=reason)

    assert len(report.skipped) == 1
    assert report.matched == []
    assert sqs.visible(DLQ) == ["not json"]
    assert sqs.visible(QUEUE) == []


def test_many_dead_letters_go_back_in_batches_of_ten(sqs):
    for n in range(23):
        sqs.put(DLQ, body(delivery_id=f"evt_{n}"))

    report = run_replay(sqs)

    assert len(report.replayed) == 23
    assert sqs.queues[DLQ] == []
    assert len(sqs.visible(QUEUE)) == 23
    assert all(c[2] <= 10 for c in sqs.calls)


def test_a_call_the_forward_queue_refused_stays_a_dead_letter(sqs):
    refused, taken = body(delivery_id="refused"), body(delivery_id="taken")
    sqs.put(DLQ, refused)
    sqs.put(DLQ, taken)
    sqs.refuse_bodies.add(refused)

    report = run_replay(sqs)

    assert [letter.body for letter in report.failed] == [refused]
    assert [letter.body for letter in report.replayed] == [taken]
    assert sqs.visible(DLQ) == [refused]  # visible again, not lost
    assert sqs.visible(QUEUE) == [taken]


def test_when_sending_fails_nothing_is_deleted(sqs):
    original = body()
    sqs.put(DLQ, original)
    sqs.fail["send"] = RuntimeError("AccessDenied")

    with pytest.raises(RuntimeError):
        run_replay(sqs)

    assert sqs.visible(DLQ) == [original]
    assert not [c for c in sqs.calls if c[0] == "delete"]


def test_when_deleting_fails_the_sent_call_is_reported_still_a_dead_letter(sqs):
    original = body()
    sqs.put(DLQ, original)
    sqs.fail["delete"] = RuntimeError("throttled")

    report = run_replay(sqs)

    assert [letter.body for letter in report.replayed] == [original]
    assert [letter.body for letter in report.not_deleted] == [original]
    assert sqs.visible(QUEUE) == [original]
    assert sqs.visible(DLQ) == [original]  # both: a second delivery is suppressed by its key


def test_replay_stops_at_the_limit(sqs):
    for n in range(15):
        sqs.put(DLQ, body(delivery_id=f"evt_{n}"))

    report = run_replay(sqs, limit=4)

    assert len(report.replayed) == 4
    assert report.truncated
    assert len(sqs.visible(DLQ)) == 11


def test_a_limit_below_one_is_refused(sqs):
    with pytest.raises(ValueError, match="limit"):
        run_list(sqs, limit=0)


def test_every_reason_the_forwarder_parks_with_is_known():
    from typing import get_args

    from webhook_to_track.queue.dlq import Reason

    assert set(get_args(Reason)) | {"exhausted"} == set(REASONS)


# --- --since ---------------------------------------------------------------------------------

BASE = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("2026-12-01T11:00:00+01:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("2026-12-01T10:00:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("30m", BASE - timedelta(minutes=30)),
        ("2h", BASE - timedelta(hours=2)),
        ("7d", BASE - timedelta(days=7)),
        ("1w", BASE - timedelta(days=7)),
        ("1h30m", BASE - timedelta(minutes=90)),
        ("45s", BASE - timedelta(seconds=45)),
    ],
)
def test_since_takes_an_iso_time_or_a_time_ago(text, expected):
    assert parse_since(text, now=BASE) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2h ago", "-2h", "2026-13-01", "h", "2x"])
def test_since_refuses_anything_else(text):
    with pytest.raises(ValueError, match="neither an ISO-8601 time"):
        parse_since(text, now=BASE)


def test_parse_timestamp_is_none_for_a_non_time():
    assert parse_timestamp("soon") is None
    assert parse_timestamp(None) is None


# --- where the queues are --------------------------------------------------------------------


class FakeCloudFormation:
    def __init__(self, stacks: dict[str, dict[str, Any]]) -> None:
        self.stacks = stacks
        self.asked: list[str] = []

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        self.asked.append(StackName)
        if StackName not in self.stacks:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationError",
                        "Message": f"Stack with id {StackName} does not exist",
                    }
                },
                "DescribeStacks",
            )
        return {"Stacks": [self.stacks[StackName]]}

    class meta:  # boto3's client.meta
        region_name = "eu-west-1"


def stack(**outputs: str) -> dict[str, Any]:
    return {
        "StackStatus": "UPDATE_COMPLETE",
        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
    }


DEPLOYED = stack(ForwardQueueUrl=QUEUE, ForwardDLQUrl=DLQ, WebhookBaseUrl="https://x")


def resolve(cloudformation: FakeCloudFormation, tmp_path, **kwargs: Any):
    options = {"queue_url": None, "dlq_url": None, "stack": None, **kwargs}
    return resolve_queues(
        cloudformation=lambda: cloudformation, samconfig=tmp_path / "samconfig.toml", **options
    )


def test_the_stack_outputs_name_the_queues(tmp_path):
    cloudformation = FakeCloudFormation({"mine": DEPLOYED})

    queues = resolve(cloudformation, tmp_path, stack="mine")

    assert (queues.queue_url, queues.dlq_url, queues.stack) == (QUEUE, DLQ, "mine")


def test_without_stack_the_samconfig_stack_name_is_used(tmp_path):
    (tmp_path / "samconfig.toml").write_text(
        'version = 0.1\n[default.global.parameters]\nstack_name = "from-samconfig"\n'
    )
    cloudformation = FakeCloudFormation({"from-samconfig": DEPLOYED})

    assert resolve(cloudformation, tmp_path).stack == "from-samconfig"


def test_given_urls_need_no_stack(tmp_path):
    cloudformation = FakeCloudFormation({})

    queues = resolve(cloudformation, tmp_path, queue_url=QUEUE, dlq_url=DLQ)

    assert (queues.queue_url, queues.dlq_url, queues.stack) == (QUEUE, DLQ, None)
    assert cloudformation.asked == []


@pytest.mark.parametrize(
    ("stacks", "kwargs", "message"),
    [
        ({}, {"stack": "gone"}, "no stack named 'gone' in eu-west-1"),
        (
            {"old": stack(WebhookBaseUrl="x")},
            {"stack": "old"},
            "stack 'old' (UPDATE_COMPLETE) has no output ForwardQueueUrl or ForwardDLQUrl",
        ),
        ({"half": stack(ForwardQueueUrl=QUEUE)}, {"stack": "half"}, "has no output ForwardDLQUrl"),
        ({}, {}, "no stack name: pass --stack"),
        ({}, {"queue_url": QUEUE}, "--dlq-url is missing"),
        ({}, {"dlq_url": DLQ}, "--queue-url is missing"),
        ({}, {"queue_url": QUEUE, "dlq_url": DLQ, "stack": "s"}, "not both"),
    ],
    ids=["no-stack", "no-outputs", "one-output", "no-name", "no-dlq", "no-queue", "both"],
)
def test_missing_queues_are_a_clear_error(tmp_path, stacks, kwargs, message):
    with pytest.raises(StackError, match=re.escape(message)):
        resolve(FakeCloudFormation(stacks), tmp_path, **kwargs)


def test_samconfig_environments_and_fallback_to_deploy(tmp_path):
    path = tmp_path / "samconfig.toml"
    path.write_text(
        '[default.global.parameters]\nstack_name = "dev"\n'
        '[prod.deploy.parameters]\nstack_name = "prod-stack"\n'
    )

    assert stack_name_from_samconfig(path) == "dev"
    assert stack_name_from_samconfig(path, "prod") == "prod-stack"
    assert stack_name_from_samconfig(path, "staging") is None
    assert stack_name_from_samconfig(tmp_path / "absent.toml") is None


def test_a_broken_samconfig_is_a_clear_error(tmp_path):
    path = tmp_path / "samconfig.toml"
    path.write_text("[default.global.parameters\n")

    with pytest.raises(StackError, match="not valid TOML"):
        stack_name_from_samconfig(path)


def test_the_repositorys_samconfig_names_the_stack():
    from tests.factories import ROOT

    assert stack_name_from_samconfig(ROOT / "samconfig.toml") == "webhook-to-track"


def test_an_endpoint_url_reaches_a_local_server_with_fake_credentials(monkeypatch):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    client = Endpoint(endpoint_url="http://127.0.0.1:5000").client("sqs")

    assert client.meta.endpoint_url == "http://127.0.0.1:5000"
    assert client.meta.region_name == "us-east-1"
    assert client._request_signer._credentials.access_key == "testing"


def test_without_an_endpoint_url_the_aws_configuration_is_used(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")

    client = Endpoint().client("sqs")

    assert client.meta.region_name == "eu-central-1"
    assert "amazonaws.com" in client.meta.endpoint_url
    assert Endpoint(region="ap-south-1").client("sqs").meta.region_name == "ap-south-1"


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({**json.loads(body()), "kind": ["track"]}),
        json.dumps({**json.loads(body()), "kind": {"track": 1}}),
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["kind-list", "kind-object", "deeply-nested"],
)
def test_json_the_message_parser_trips_on_is_malformed_not_a_crash(sqs, text):
    sqs.put(DLQ, text)

    (letter,) = run_list(sqs)
    report = run_replay(sqs)

    assert letter.reason == "malformed"
    assert letter.to_dict()["message"] is not None
    assert len(report.skipped) == 1
    assert sqs.visible(QUEUE) == []
