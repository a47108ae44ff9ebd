"""The fault suite's world: AWS (moto), the Userpilot stand-in, the real handlers, and the books.

``Lab`` is one scenario's container: the template's own table and queues in moto (in-process,
or a ``ThreadedMotoServer`` on 127.0.0.1 where other processes must share it), the stand-in,
the functions' environment, fresh caches, and a capture of EMF metrics (stdout) and logs.

moto. The server runs in a process of its own and answers one request at a time (its backends
are not thread-safe; AWS's calls are atomic). ``fast_moto_sqs`` removes moto's quadratic SQS
cost (same semantics), without which a queue of 1,000 messages takes 0.5 s per receive.

- ``lab.ingest(event)`` runs the real ingest ``lambda_handler``;
- ``lab.forward()`` drains the forward queue through the real forwarder ``lambda_handler``
  with ``local/pump.py`` (the local event source mapping), until it is empty (bounded);
- ``lab.ledger()`` does the books at the stand-in (``Ledger``).

Time. A message the forwarder defers is hidden for the delay it chose (Retry-After, backoff,
60 s after a 401). The drain does not wait that out: it records the delay (a hook on the
forwarder's ChangeMessageVisibilityBatch call), moves a ``VirtualClock`` forward by it, waits
a tenth of it in real time (at most 0.5 s) and makes the message visible again
(``ChangeMessageVisibility`` 0): test-harness time travel. The forwarder's pacer runs on the
same virtual clock (its spacing is proven by the burst scenario, on a scaled real clock).
What must happen in real time still does: DynamoDB records left in progress expire after the
invocation's real deadline, so the forwarder's context has a short timeout (4 s) and the
ingest's too (1.5 s); every SQS receive counts towards the template's maxReceiveCount (20).

Faults. ``Faults`` makes a boto3 client operation fail on a schedule (the n-th calls of that
operation), raising the botocore ``ClientError`` that the caller would see once the SDK's own
retries gave up: throttling (``ProvisionedThroughputExceededException`` / ``ThrottlingException``,
400) or a server error (``InternalServerError`` 500 / ``ServiceUnavailable`` 503). It wraps
the client's method on the instance (``client.put_item = wrapper``): the clients are the very
ones the code uses, the persistence layer's (``idempotency.persistence_layer(table, prefix)
.client``, one per key prefix: delivery records and call records) and ``sink.sqs_client()``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

import boto3
from botocore.exceptions import ClientError

from tests.factories import TEMPLATE, USERPILOT_KEY, VEHICLE_SOURCES
from tests.userpilot_stub import CallId, RateLimit, UserpilotStub, call_id
from webhook_to_track.local.aws import Queues, create_forward_queues, create_idempotency_table
from webhook_to_track.local.context import LocalLambdaContext
from webhook_to_track.local.pump import pump_once
from webhook_to_track.local.template import load_template, queue_attributes

TABLE: Final = "faults-idempotency"
PREFIX: Final = "faults"
REGION: Final = "us-east-1"
FORWARDER_TIMEOUT_S: Final = 4.0
INGEST_TIMEOUT_S: Final = 1.5
REAL_FRACTION: Final = 0.1
MAX_REAL_WAIT_S: Final = 0.5
PARK_REASONS: Final = frozenset({"rejected", "ambiguous", "malformed", "content_changed"})
SIGNING: Final = {
    "stripe": "whsec_faults_stripe_secret",
    "hubspot": "faults-hubspot-client-secret",
    "github": "faults-github-secret",
}

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def secrets_document() -> str:
    return json.dumps(
        {"userpilot_api_key": USERPILOT_KEY, "sources": {k: [v] for k, v in SIGNING.items()}}
    )


def function_env(userpilot_url: str, queues: Queues, **overrides: str) -> dict[str, str]:
    """Both functions' environment for a scenario: short timeouts, small delays."""
    return {
        "IDEMPOTENCY_TABLE": TABLE,
        "SOURCES_DIR": str(VEHICLE_SOURCES),  # the tests' own senders, not the shipped ones
        "SECRETS_JSON": secrets_document(),
        "USERPILOT_HOST": userpilot_url,
        "FORWARD_MODE": "send",
        "FORWARD_QUEUE_URL": queues.queue_url,
        "FORWARD_DLQ_URL": queues.dlq_url,
        "FORWARD_CONNECT_TIMEOUT_SECONDS": "0.2",
        "FORWARD_READ_TIMEOUT_SECONDS": "0.5",
        "FORWARD_CONNECT_RETRIES": "1",
        "FORWARD_RETRY_AFTER_MAX_SECONDS": "2",
        "USERPILOT_REQUESTS_PER_MINUTE": "480",
        "FORWARDER_MAX_CONCURRENCY": "2",
        "FORWARD_AMBIGUOUS": "retry",
        **overrides,
    }


# --- clocks -------------------------------------------------------------------------------------


class VirtualClock:
    """Scenario time: it moves only when something waits. ``sleep`` (the pacer's) is free;
    ``wait`` (the harness's) costs a tenth of it in real time, at most 0.5 s."""

    def __init__(self) -> None:
        self._now = 1_000.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)

    def wait(self, seconds: float) -> None:
        time.sleep(min(max(0.0, seconds) * REAL_FRACTION, MAX_REAL_WAIT_S))
        self.sleep(seconds)


class ScaledClock:
    """Real time, ``scale`` times faster: a minute of it lasts ``60 / scale`` real seconds."""

    def __init__(self, scale: float, origin: float | None = None) -> None:
        self.scale = scale
        self._origin = time.monotonic() if origin is None else origin

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.scale)

    wait = sleep


# --- fault injection ----------------------------------------------------------------------------

THROTTLED_DDB: Final = ("ProvisionedThroughputExceededException", 400)
UNAVAILABLE_DDB: Final = ("InternalServerError", 500)
UNAVAILABLE_SQS: Final = ("ServiceUnavailable", 503)
THROTTLED_SQS: Final = ("ThrottlingException", 400)


def client_error(operation: str, code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"injected {code} ({status})"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def _api_name(method: str) -> str:
    return "".join(part.title() for part in method.split("_"))


@dataclass
class Faults:
    """Operations of boto3 clients that fail on a schedule; counts calls and injections."""

    calls: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)

    def fail(
        self,
        client: Any,
        method: str,
        on_calls: set[int],
        error: tuple[str, int],
        *,
        label: str | None = None,
    ) -> None:
        """``client.<method>`` raises ``error`` on its n-th calls, n in ``on_calls`` (from 1)."""
        name = label or method
        original = getattr(client, method)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if self.calls[name] in on_calls:
                self.injected[name] += 1
                raise client_error(_api_name(method), *error)
            return original(*args, **kwargs)

        setattr(client, method, wrapper)

    def fail_entries(self, client: Any, on_calls: set[int], ids: set[str], label: str) -> None:
        """SendMessageBatch takes every entry but ``ids`` on the chosen calls (a partial
        failure SQS reports in ``Failed``, not an exception)."""
        original = client.send_message_batch

        def wrapper(*, QueueUrl: str, Entries: list[dict[str, Any]], **kwargs: Any) -> Any:
            self.calls[label] += 1
            if self.calls[label] not in on_calls:
                return original(QueueUrl=QueueUrl, Entries=Entries, **kwargs)
            self.injected[label] += 1
            kept = [e for e in Entries if e["Id"] not in ids]
            answer = (
                original(QueueUrl=QueueUrl, Entries=kept, **kwargs) if kept else {"Successful": []}
            )
            failed = [
                {"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "x"}
                for e in Entries
                if e["Id"] in ids
            ]
            return {**answer, "Failed": failed}

        client.send_message_batch = wrapper

    def hide_condition_item(self, client: Any) -> None:
        """PutItem's ConditionalCheckFailed answers without the existing item, as DynamoDB
        does without ReturnValuesOnConditionCheckFailure: Powertools then calls GetItem."""
        original = client.put_item

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return original(*args, **kwargs)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    cast(dict[str, Any], exc.response).pop("Item", None)
                raise

        client.put_item = wrapper


# --- the books ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parked:
    key: str
    call: CallId | None
    reason: str
    status: str | None
    error: str | None


def read_dlq(client: Any, dlq_url: str, limit: int = 2000) -> list[Parked]:
    """Every message in the dead-letter queue, with its reason (``exhausted`` when SQS moved
    it there itself), bounded; they are left there, visible."""
    parked: list[Parked] = []
    handles: list[str] = []
    for _ in range(limit // 10 + 1):
        answer = client.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=600,
            WaitTimeSeconds=0,
        )
        messages = answer.get("Messages", [])
        if not messages:
            break
        for message in messages:
            handles.append(message["ReceiptHandle"])
            parked.append(_parked(message))
    for handle in handles:
        client.change_message_visibility(
            QueueUrl=dlq_url, ReceiptHandle=handle, VisibilityTimeout=0
        )
    return parked


def _parked(message: dict[str, Any]) -> Parked:
    body = json.loads(message["Body"])
    attributes = {
        name: value.get("StringValue")
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return Parked(
        key=str(body.get("key")),
        call=call_id(body.get("body") or {}),
        reason=attributes.get("reason") or "exhausted",
        status=attributes.get("status"),
        error=attributes.get("error"),
    )


@dataclass
class Ledger:
    """Lost and doubled, counted at the stand-in.

    expected: the calls ingest reported queued (its summaries' keys), mapped to the call each
    key carries (the queued message bodies); ``declared`` is how many the rules make of the
    scenario's deliveries, so a delivery never accepted is lost too. processed: how often the
    stand-in took each call (user_id + event_name + the sender's event id). parked: dead
    letters with a reason. lost = expected - processed - parked with a reason;
    doubled = sum(max(0, processed - 1)).
    """

    declared: int
    expected: dict[str, CallId | None]
    processed: Counter[CallId | None]
    parked: list[Parked]
    ambiguous: int
    rate_limited: int
    left_in_queue: int = 0

    @property
    def parked_with_reason(self) -> dict[str, Parked]:
        return {p.key: p for p in self.parked if p.reason in PARK_REASONS}

    @property
    def lost_keys(self) -> list[str]:
        parked = self.parked_with_reason
        return sorted(
            key
            for key, call in self.expected.items()
            if not self.processed.get(call) and key not in parked
        )

    @property
    def lost(self) -> int:
        never_queued = max(0, self.declared - len(self.expected))
        return never_queued + len(self.lost_keys)

    @property
    def doubled(self) -> int:
        return sum(max(0, n - 1) for n in self.processed.values())

    @property
    def processed_total(self) -> int:
        return sum(self.processed.values())

    @property
    def unexpected(self) -> list[CallId | None]:
        wanted = set(self.expected.values())
        return sorted((c for c in self.processed if c not in wanted), key=str)


# --- capture ------------------------------------------------------------------------------------


@dataclass
class Capture:
    """What the functions printed: EMF blobs (stdout) and JSON log lines (the logger's stream)."""

    stdout: io.StringIO = field(default_factory=io.StringIO)
    logs: io.StringIO = field(default_factory=io.StringIO)

    def blobs(self) -> list[dict[str, Any]]:
        found = []
        for line in self.stdout.getvalue().splitlines():
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if isinstance(document, dict) and "_aws" in document:
                found.append(document)
        return found

    def metric(self, name: str) -> int:
        """A count summed over every EMF blob (each blob carries it once, for both of its
        dimension sets)."""
        total = 0.0
        for blob in self.blobs():
            value = blob.get(name, 0)
            total += sum(map(float, value)) if isinstance(value, list) else float(value)
        return int(total)

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.logs.getvalue().splitlines():
            with contextlib.suppress(ValueError):
                lines.append(json.loads(line))
        return lines


@contextlib.contextmanager
def logs_into(buffer: io.StringIO) -> Iterator[None]:
    from webhook_to_track.observability import logger

    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(buffer)
    try:
        yield
    finally:
        handler.setStream(previous)


def reset_container() -> None:
    """A cold start: every per-container cache, metric and flag forgotten."""
    from aws_lambda_powertools.metrics.provider.cold_start import reset_cold_start_flag

    from webhook_to_track.local.reset import reset_caches
    from webhook_to_track.observability import metrics

    reset_caches()
    metrics.clear_metrics()
    reset_cold_start_flag()  # type: ignore[no-untyped-call]


# --- AWS ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def fast_moto_sqs() -> Iterator[None]:
    """moto 5.2.5's SQS, without its quadratic cost: every send and receive builds all queue
    attributes (counting every message, each through datetime arithmetic) once per message,
    so a receive from a queue of 1,000 takes 0.5 s. Same semantics: the clock is read with
    time.time() instead of datetime, and the retention check reads the retention period
    directly instead of through get_queue_attributes."""
    import moto.sqs.models as models

    backend = models.SQSBackend
    check = "is_message_valid_based_on_retention_period"
    saved = {
        (models, "unix_time"): getattr(models, "unix_time"),  # noqa: B009
        (models, "unix_time_millis"): getattr(models, "unix_time_millis"),  # noqa: B009
        (backend, check): backend.__dict__[check],
    }
    slow_unix_time = saved[(models, "unix_time")]

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else float(slow_unix_time(dt))

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    def retained(sqs: Any, queue_name: str, message: Any) -> bool:
        period = int(sqs.get_queue(queue_name).message_retention_period)
        return bool(period + message.sent_timestamp / 1000 > time.time())

    fast = {
        (models, "unix_time"): unix_time,
        (models, "unix_time_millis"): unix_time_millis,
        (backend, check): retained,
    }
    for (owner, name), value in fast.items():
        setattr(owner, name, value)
    try:
        yield
    finally:
        for (owner, name), value in saved.items():
            setattr(owner, name, value)


class MotoServer:
    """moto in server mode (``ThreadedMotoServer``) on 127.0.0.1, a free port, in a process of
    its own (``python -m tests.faults.worker moto``): shared by every worker process, and
    not sharing a GIL with the stand-in."""

    START_TIMEOUT_S = 30.0

    def __init__(self) -> None:
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> MotoServer:
        import select

        root = Path(__file__).resolve().parents[2]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.worker", "moto"],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], self.START_TIMEOUT_S)
        line = self._process.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"moto's server did not start: {line!r}")
        self.url = line.split()[1]
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        process.stdout.close()


def create_world(template: Mapping[str, Any]) -> Queues:
    """The template's idempotency table and forward queues, in whichever AWS is active."""
    create_idempotency_table(boto3.client("dynamodb", region_name=REGION), template, TABLE)
    return create_forward_queues(boto3.client("sqs", region_name=REGION), template, PREFIX)


_TEMPLATE: dict[str, Any] = {}


def template() -> dict[str, Any]:
    if not _TEMPLATE:
        _TEMPLATE.update(load_template(TEMPLATE))
    return _TEMPLATE


def max_receive_count() -> int:
    policy = json.loads(queue_attributes(template(), "ForwardQueue", {})["RedrivePolicy"])
    return int(policy["maxReceiveCount"])


# --- draining -----------------------------------------------------------------------------------


class Drainer:
    """Feed the forwarder from the queue until it is empty: the local event source mapping,
    plus time travel for the messages the forwarder deferred (see the module docstring)."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        forwarder_sqs: Any,
        clock: VirtualClock | ScaledClock,
        timeout_s: float = FORWARDER_TIMEOUT_S,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.clock = clock
        self.timeout_s = timeout_s
        self.delays: dict[str, int] = {}
        self.applied: list[int] = []
        self.hidden: dict[str, float] = {}
        self.batches = 0
        self.receives = 0
        self.default_visibility = int(
            queue_attributes(template(), "ForwardQueue", {})["VisibilityTimeout"]
        )
        forwarder_sqs.meta.events.register(
            "provide-client-params.sqs.ChangeMessageVisibilityBatch", self._record_delays
        )

    def _record_delays(self, params: dict[str, Any], **_: Any) -> None:
        for entry in params.get("Entries", []):
            self.delays[entry["ReceiptHandle"]] = int(entry["VisibilityTimeout"])
            self.applied.append(int(entry["VisibilityTimeout"]))

    def drain(self, handler: Handler, *, max_rounds: int = 400, deadline_s: float = 40.0) -> bool:
        """True once nothing is visible or hidden; False if a bound was hit first."""
        deadline = time.monotonic() + deadline_s
        for _ in range(max_rounds):
            if time.monotonic() > deadline:
                return False
            context = LocalLambdaContext(function_name="forwarder", timeout_s=self.timeout_s)
            outcome = pump_once(self.sqs, self.queue_url, handler, context)
            if outcome is not None:
                self._note(*outcome)
                continue
            if not self.hidden:
                return True
            self._travel()
        return False

    def _note(self, event: dict[str, Any], response: dict[str, Any]) -> None:
        self.batches += 1
        self.receives += len(event["Records"])
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        for record in event["Records"]:
            if record["messageId"] in failed:
                handle = record["receiptHandle"]
                delay = self.delays.pop(handle, self.default_visibility)
                self.hidden[handle] = self.clock.now() + delay

    def _travel(self) -> None:
        """Wait (scaled) until the first hidden message is due, then show the due ones."""
        due = min(self.hidden.values())
        self.clock.wait(due - self.clock.now())
        now = self.clock.now()
        for handle, at in list(self.hidden.items()):
            if at <= now + 1e-6:
                del self.hidden[handle]
                with contextlib.suppress(ClientError):  # gone: moved to the DLQ
                    self.sqs.change_message_visibility(
                        QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=0
                    )


def queue_depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


# --- one scenario's world -----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class Lab:
    """One scenario: AWS, the stand-in, the environment, fresh caches, captured output."""

    def __init__(
        self,
        *,
        server: bool = False,
        rate_limit: RateLimit | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.server_mode = server
        self.overrides = dict(env or {})
        self.userpilot = UserpilotStub(rate_limit=rate_limit)
        self.capture = Capture()
        self.faults = Faults()
        self.clock = VirtualClock()
        self.expected: dict[str, CallId | None] = {}
        self.queued_bodies: dict[str, CallId | None] = {}
        self.queued_raw: dict[str, str] = {}
        self.summaries: list[dict[str, Any]] = []
        self.moto: MotoServer | None = None
        self.env: dict[str, str] = {}
        self._stack = contextlib.ExitStack()

    # context management

    def __enter__(self) -> Lab:
        try:
            return self._enter()
        except BaseException:
            self._stack.close()
            raise

    def _enter(self) -> Lab:
        stack = self._stack
        saved = dict(os.environ)
        stack.callback(_restore_environ, saved)
        stack.callback(reset_container)
        stack.enter_context(fast_moto_sqs())
        if self.server_mode:
            self.moto = MotoServer().start()
            stack.callback(self.moto.stop)
            os.environ["AWS_ENDPOINT_URL"] = self.moto.url
        else:
            from moto import mock_aws

            stack.enter_context(mock_aws())
        self.queues = create_world(template())
        self.userpilot.start()
        stack.callback(self.userpilot.stop)
        self.env = function_env(self.userpilot.url, self.queues, **self.overrides)
        os.environ.update(self.env)
        reset_container()
        stack.enter_context(logs_into(self.capture.logs))
        self._patch_pacer(stack)
        from webhook_to_track.queue import sink

        self.sqs = sink.sqs_client()
        self.sqs.meta.events.register(
            "provide-client-params.sqs.SendMessageBatch", self._record_queued
        )
        self.drainer = Drainer(
            boto3.client("sqs", region_name=REGION), self.queues.queue_url, self.sqs, self.clock
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _patch_pacer(self, stack: contextlib.ExitStack) -> None:
        from webhook_to_track.queue import consumer
        from webhook_to_track.queue.pacer import Pacer

        original = getattr(consumer, "get_pacer")  # noqa: B009
        pacers: dict[tuple[int, int], Pacer] = {}

        def virtual_pacer(per_minute: int, workers: int) -> Pacer:
            key = (per_minute, workers)
            if key not in pacers:
                pacers[key] = Pacer(
                    per_minute, workers, clock=self.clock.now, sleep=self.clock.sleep
                )
            return pacers[key]

        setattr(consumer, "get_pacer", virtual_pacer)  # noqa: B010
        stack.callback(setattr, consumer, "get_pacer", original)

    def _record_queued(self, params: dict[str, Any], **_: Any) -> None:
        for entry in params.get("Entries", []):
            document = json.loads(entry["MessageBody"])
            self.queued_bodies[document["key"]] = call_id(document["body"])
            self.queued_raw[document["key"]] = entry["MessageBody"]

    # the clients the code under test uses

    def delivery_store(self) -> Any:
        """The DynamoDB client behind the delivery records (ingest)."""
        from webhook_to_track.idempotency import DELIVERY_PREFIX, persistence_layer

        return persistence_layer(TABLE, DELIVERY_PREFIX).client

    def call_store(self) -> Any:
        """The DynamoDB client behind the call records (forwarder)."""
        from webhook_to_track.idempotency import CALL_PREFIX, persistence_layer

        return persistence_layer(TABLE, CALL_PREFIX).client

    # running the functions

    def ingest(self, event: dict[str, Any]) -> Answer:
        from webhook_to_track.ingest.handler import lambda_handler

        context = LocalLambdaContext(function_name="ingest", timeout_s=INGEST_TIMEOUT_S)
        with contextlib.redirect_stdout(self.capture.stdout):
            response = lambda_handler(event, cast(Any, context))
        answer = Answer(
            int(response["statusCode"]), json.loads(response["body"]), response["headers"]
        )
        if 200 <= answer.status < 300 and answer.body.get("status") == "accepted":
            self.accept(answer.body)
        return answer

    def accept(self, summary: dict[str, Any]) -> None:
        """Ingest answered 2xx with this summary: its queued calls are expected downstream."""
        self.summaries.append(summary)
        for queued in summary.get("queued", []):
            self.expected[queued["key"]] = self.queued_bodies.get(queued["key"])

    def forward(self, **bounds: Any) -> bool:
        from webhook_to_track.queue.consumer import lambda_handler

        with contextlib.redirect_stdout(self.capture.stdout):
            return self.drainer.drain(lambda_handler, **bounds)

    def ledger(self, declared: int) -> Ledger:
        # a key accepted before its message body was seen (another process queued it)
        for key, call in list(self.expected.items()):
            if call is None:
                self.expected[key] = self.queued_bodies.get(key)
        sqs = self.drainer.sqs
        return Ledger(
            declared=declared,
            expected=dict(self.expected),
            processed=self.userpilot.processed_counts(),
            parked=read_dlq(sqs, self.queues.dlq_url),
            ambiguous=self.capture.metric("ForwardAmbiguous"),
            rate_limited=self.userpilot.status_counts()[429],
            left_in_queue=queue_depth(sqs, self.queues.queue_url),
        )


def _restore_environ(saved: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(saved)
