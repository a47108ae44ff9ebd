"""Forwarder entry point: drain the forward queue into Userpilot, one call per record.

Each record is one call. It is sent at most once per key (a DynamoDB record on the call key,
never the SQS messageId), paced under the per-token rate, and its outcome decides its message:

| outcome                                   | message                                          |
|-------------------------------------------|--------------------------------------------------|
| 2xx, or the key was already delivered     | deleted (the batch reports it as done)           |
| 429                                       | failed, hidden for Retry-After (else backoff);   |
|                                           | the rest of the batch waits the same, unsent     |
| 5xx, 404, 408, connection refused         | failed, hidden for 1-2-4-8 s... by receive count |
| 401 / 403                                 | failed, hidden >= 60 s, UserpilotAuthFailed      |
| other 4xx                                 | parked in the DLQ with status and message        |
| sent, no answer (read timeout, reset)     | ForwardAmbiguous; retried, or parked (setting)   |
| same key, other body (rules changed)      | parked as content_changed; never sent            |
| same key being sent by another forwarder  | failed, hidden 5 s                               |

A message SQS has received ``maxReceiveCount`` times goes to the DLQ by the redrive policy.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from webhook_to_track.errors import (
    CallRejectedError,
    ConfigurationError,
    ForwardAmbiguousError,
    ForwardError,
    RateLimitedError,
    UpstreamAuthError,
)
from webhook_to_track.idempotency import (
    CALL_PREFIX,
    DRY_RUN_CALL_PREFIX,
    Processor,
    call_config,
    make_idempotent,
)
from webhook_to_track.observability import emit_counts, logger
from webhook_to_track.queue.dlq import DeadLetters, Reason
from webhook_to_track.queue.message import MalformedMessageError, QueuedCall
from webhook_to_track.queue.pacer import Pacer, get_pacer, unpaced
from webhook_to_track.queue.sink import sqs_client
from webhook_to_track.settings import Settings, get_settings, running_in_aws_lambda
from webhook_to_track.signing_keys import load_secrets
from webhook_to_track.userpilot.client import (
    CallSender,
    Delivered,
    DryRunClient,
    UserpilotClient,
    get_pool,
)
from webhook_to_track.userpilot.policy import ForwardPolicy

AMBIGUOUS: Final = "ambiguous"
RESERVE_S: Final = 2.0
"""Time kept back at the end of an invocation for the idempotency write and the batch answer."""


class Deferred(Exception):  # a control-flow signal, not one of our errors
    """The record goes back to the queue, hidden for ``delay_s`` (it failed, or was not tried)."""

    def __init__(self, delay_s: int, why: str) -> None:
        super().__init__(why)
        self.delay_s = delay_s


@dataclass
class BatchRun:
    """One invocation's state: delays to apply, counts to publish, dry-run requests to show."""

    settings: Settings
    sender: CallSender
    pacer: Pacer
    dead_letters: DeadLetters
    context: LambdaContext | None
    delays: dict[str, int] = field(default_factory=dict)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    previews: list[dict[str, Any]] = field(default_factory=list)
    delivered: set[str] = field(default_factory=set)
    paused_s: int = 0

    @property
    def policy(self) -> ForwardPolicy:
        return self.settings.forward_policy

    def count(self, source: str, name: str) -> None:
        self.counts[(source, name)] += 1

    def handle(self, record: SQSRecord) -> None:
        """The record handler: returns when the message may be deleted, raises otherwise."""
        try:
            queued = QueuedCall.from_json(record.body)
        except MalformedMessageError as exc:
            try:
                self.dead_letters.park(record.body, "malformed", error=str(exc))
            except Exception:
                logger.exception("malformed message could not be parked: left on the queue")
                raise
            logger.error("malformed message parked", extra={"reason": str(exc)})
            self.count("unknown", "CallParked")
            return
        logger.append_keys(
            source=queued.source, delivery_id=queued.delivery_id, call_key=queued.key
        )
        try:
            self._forward(queued, record)
        except Deferred:
            raise
        except Exception:
            # Logged here, while the call's keys are still on the logger; the message stays
            # on the queue and comes back after its visibility timeout.
            logger.exception("record failed unexpectedly: left on the queue")
            raise
        finally:
            logger.remove_keys(["source", "delivery_id", "call_key"])

    def _forward(self, queued: QueuedCall, record: SQSRecord) -> None:
        receives = int(record.attributes.approximate_receive_count or 1)
        if self.paused_s:
            self.count(queued.source, "Deferred429")
            raise Deferred(self.paused_s, "paused by an earlier 429 in this batch")
        try:
            result = forwarder(self.settings)(call=queued.to_document(), queued=queued, run=self)
        except IdempotencyAlreadyInProgressError as exc:
            raise Deferred(ForwardPolicy.IN_PROGRESS_DELAY_S, "being sent elsewhere") from exc
        except IdempotencyValidationError:
            logger.warning(
                "same call key, different body: the first version was kept",
                extra={"body_sha256": queued.body_sha256},
            )
            self.count(queued.source, "ForwardContentChanged")
            self._park(queued, record, "content_changed", None)
            return
        except IdempotencyPersistenceLayerError as exc:
            if queued.key in self.delivered:
                # Userpilot has it; only our record of it failed. Deleting the message is what
                # keeps it from doubling; a copy redelivered within the window may still send.
                logger.error("delivered, but the call record was not saved")
                self.count(queued.source, "CallRecordNotSaved")
                self.count(queued.source, "Forwarded")
                return
            raise Deferred(self.policy.delay_s(receives), "idempotency store failed") from exc
        except ForwardError as error:
            self._failed(queued, record, error, receives)
            return
        if result.get("outcome") == AMBIGUOUS:
            self._park_ambiguous(queued, record, duplicate=bool(result.get("duplicate")))
            return
        if result.get("duplicate"):
            logger.info("already delivered: duplicate suppressed")
            self.count(queued.source, "DuplicateSuppressed")
            return
        logger.info("call forwarded", extra={"status": result.get("status")})
        self.count(queued.source, "Forwarded")

    def _take_slot(self, queued: QueuedCall) -> None:
        """Wait for the pacer's next slot, or defer the record if it cannot come in time."""
        budget = self._time_left() - self.policy.attempt_s() - RESERVE_S
        paused = self.pacer.paused_for()  # a 429 seen by an earlier batch of this container
        if paused > max(budget, 0):
            self.count(queued.source, "Deferred429")
            raise Deferred(self.policy.delay_s(1, paused), "rate limited")
        if budget < 0 or not self.pacer.acquire(budget):
            raise Deferred(1, "not enough time left in this invocation")

    def _time_left(self) -> float:
        if self.context is None:
            return 900.0
        return self.context.get_remaining_time_in_millis() / 1000

    def _failed(
        self, queued: QueuedCall, record: SQSRecord, error: ForwardError, receives: int
    ) -> None:
        """Classify a failed send: park it, or raise Deferred with its delay."""
        detail = {"status": error.status, "reason": error.code, "receives": receives}
        if isinstance(error, CallRejectedError):
            self._park(queued, record, "rejected", error)
            logger.warning("call refused by Userpilot: parked", extra=detail)
            return
        if isinstance(error, ForwardAmbiguousError):  # policy retry (park returns, see send)
            self.count(queued.source, "ForwardAmbiguous")
            logger.error("ambiguous send: will be sent again (policy retry)", extra=detail)
            self.count(queued.source, "ForwardRetried")
            raise Deferred(self.policy.delay_s(receives), error.message) from error
        delay = self.policy.delay_s(receives, error.retry_after_s)
        if isinstance(error, RateLimitedError):
            self.count(queued.source, "Deferred429")
            self.pacer.pause(delay)
            self.paused_s = delay
            logger.warning(
                "rate limited by Userpilot: batch paused", extra={**detail, "delay_s": delay}
            )
        elif isinstance(error, UpstreamAuthError):
            self.count(queued.source, "UserpilotAuthFailed")
            delay = max(delay, ForwardPolicy.AUTH_DELAY_S)
            logger.error(error.message, extra=detail)
        else:
            self.count(queued.source, "ForwardFailed")
            logger.warning("forward failed: will retry", extra={**detail, "delay_s": delay})
        self.count(queued.source, "ForwardRetried")
        raise Deferred(delay, error.message) from error

    def _park_ambiguous(self, queued: QueuedCall, record: SQSRecord, *, duplicate: bool) -> None:
        """Policy park: the call's record says "sent, answer lost" (so no copy of the message is
        ever sent again); the message goes to the DLQ for a person to decide. A copy that finds
        the record parks again: if the first park failed, this one is the one that counts."""
        if not duplicate:
            self.count(queued.source, "ForwardAmbiguous")
        self._park(queued, record, "ambiguous", None)
        logger.error(
            "ambiguous send parked (policy park): check Userpilot before any replay",
            extra={"duplicate": duplicate},
        )

    def _park(
        self, queued: QueuedCall, record: SQSRecord, reason: Reason, error: ForwardError | None
    ) -> None:
        status = error.status if error is not None else None
        message = (error.error or error.message) if error is not None else None
        self.dead_letters.park(record.body, reason, status=status, error=message)
        self.count(queued.source, "CallParked")

    def send(self, queued: QueuedCall) -> dict[str, Any]:
        """The one place a call goes out; wrapped by the idempotency record of its key, so a
        call already delivered never waits for a pacer slot. A Deferred raised here releases
        the record like any failure."""
        self._take_slot(queued)
        try:
            delivered: Delivered = self.sender.send(queued.call)
        except ForwardAmbiguousError:
            if self.policy.ambiguous != "park":
                raise  # the record is released: the call is sent again (at least once)
            # Stored as done: at most once, even if parking it or deleting the message fails.
            return {"outcome": AMBIGUOUS, "status": None}
        self.delivered.add(queued.key)
        if delivered.request is not None:
            self.previews.append(delivered.request.redacted())
        return delivered.to_record()


def _send(*, call: dict[str, Any], queued: QueuedCall, run: BatchRun) -> dict[str, Any]:
    """``call`` is the message document: Powertools keys the record on its ``key`` and checks
    its ``body_sha256``; ``queued`` is the same call, parsed."""
    return run.send(queued)


@lru_cache(maxsize=4)
def _idempotent_send(table: str, window_s: int, prefix: str) -> Processor:
    return make_idempotent(
        _send,
        table_name=table,
        config=call_config(window_s),
        data_keyword="call",
        key_prefix=prefix,
    )


def forwarder(settings: Settings) -> Processor:
    """The send function, behind the call record unless idempotency is off (sam local)."""
    if settings.idempotency_disabled or settings.idempotency_table is None:
        return _send
    prefix = DRY_RUN_CALL_PREFIX if settings.forward_mode == "dry-run" else CALL_PREFIX
    return _idempotent_send(settings.idempotency_table, settings.call_window_s, prefix)


def make_sender(settings: Settings) -> CallSender:
    secrets = load_secrets(settings)
    if settings.forward_mode == "dry-run":
        return DryRunClient(settings.userpilot_url, secrets.userpilot_api_key)
    return UserpilotClient(
        get_pool(), settings.userpilot_url, secrets.userpilot_api_key, settings.forward_policy
    )


def _apply_delays(run: BatchRun, event: dict[str, Any], failures: list[dict[str, str]]) -> None:
    """Hide each failed message for its own delay (SQS's visibility timeout otherwise)."""
    url = run.settings.queue_url
    if url is None or not failures:
        return
    handles = {r["messageId"]: r["receiptHandle"] for r in event.get("Records", [])}
    # A record that failed unexpectedly keeps the queue's own visibility timeout.
    entries = [
        {
            "Id": str(number),
            "ReceiptHandle": handles[failure["itemIdentifier"]],
            "VisibilityTimeout": run.delays[failure["itemIdentifier"]],
        }
        for number, failure in enumerate(failures)
        if failure["itemIdentifier"] in handles and failure["itemIdentifier"] in run.delays
    ]
    if not entries:
        return
    try:
        answer = sqs_client().change_message_visibility_batch(QueueUrl=url, Entries=entries)
    except Exception:  # the messages come back after the queue's own visibility timeout
        logger.exception("could not set the retry delays")
        return
    if answer.get("Failed"):
        logger.warning("some retry delays were not set", extra={"failed": len(answer["Failed"])})


def _publish(run: BatchRun) -> None:
    per_source: dict[str, dict[str, int]] = {}
    for (source, name), value in run.counts.items():
        per_source.setdefault(source, {})[name] = value
    for source, counts in sorted(per_source.items()):
        emit_counts(counts, source=source)


class _Processor(BatchProcessor):
    """Powertools' SQS batch processor that remembers each deferred record's delay."""

    def __init__(self, run: BatchRun) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self._run = run

    def failure_handler(self, record: Any, exception: Any) -> Any:
        error = exception[1]
        if isinstance(error, Deferred):  # anything else was logged by the record handler
            self._run.delays[record.message_id] = error.delay_s
        return super().failure_handler(record, exception)


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()  # a ConfigurationError fails the whole batch: nothing is lost
    if settings.dlq_url is None and running_in_aws_lambda(os.environ):
        raise ConfigurationError("FORWARD_DLQ_URL is required: calls could not be parked")
    if settings.idempotency_table is not None and not settings.idempotency_disabled:
        call_config(settings.call_window_s).register_lambda_context(context)
    run = BatchRun(
        settings=settings,
        sender=make_sender(settings),
        pacer=(
            unpaced()
            if settings.forward_mode == "dry-run"
            else get_pacer(settings.requests_per_minute, settings.forwarder_concurrency)
        ),
        dead_letters=DeadLetters(sqs_client(), settings.dlq_url),
        context=context,
    )
    processor = _Processor(run)
    response: dict[str, Any] = dict(
        process_partial_response(
            event=event, record_handler=run.handle, processor=processor, context=context
        )
    )
    _apply_delays(run, event, response.get("batchItemFailures", []))
    _publish(run)
    logger.info(
        "batch done",
        extra={
            "records": len(event.get("Records", [])),
            "failed": len(response.get("batchItemFailures", [])),
        },
    )
    if run.previews:
        response = {**response, "dryRun": run.previews}
    return response
