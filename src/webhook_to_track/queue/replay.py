"""Read the dead-letter queue without consuming it, and replay its calls to the forward queue.

Both work on a boto3 SQS client, so the same code serves the deployed queues and the local
stand-in (moto, in-process or as a server behind ``--endpoint-url``).

Listing receives every message with a short visibility timeout (it hides them from another
reader for a moment), keeps each message id once, and afterwards makes every message it
received visible again (``ChangeMessageVisibility`` 0): nothing is deleted or moved. If the
process dies half-way, the messages come back by themselves when that timeout runs out.

Replaying sends the matching messages' ORIGINAL bodies (no message attributes) to the forward
queue and only then deletes them from the dead-letter queue, so a failure in between leaves
the call in both queues rather than in neither; a call sent twice that way, or one that was
already delivered, is suppressed by the forwarder's record on its key (DuplicateSuppressed).
Messages that do not match are made visible again, as in a listing.

Why not SQS's own ``StartMessageMoveTask`` (a DLQ redrive): it moves every message (no filter
on source, event name, time or reason), allows one active task per queue, and moto does not
implement it (``NotImplementedError``), so neither the tests nor the local stand-in could run
it. Filters need receive -> send -> delete anyway; doing that for every replay keeps one code
path for AWS and local runs.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from webhook_to_track.queue.dlq import EXHAUSTED
from webhook_to_track.queue.message import MalformedMessageError, QueuedCall

MALFORMED: Final = "malformed"
AMBIGUOUS: Final = "ambiguous"
REASONS: Final = ("rejected", AMBIGUOUS, MALFORMED, "content_changed", EXHAUSTED)
"""Every reason ``dlq list`` shows: the forwarder's, and ``exhausted`` for SQS's own moves."""
MAX_BATCH: Final = 10
"""SQS receives, sends, deletes and changes visibility in batches of at most 10."""
DEFAULT_LIMIT: Final = 1000
DEFAULT_MAX_SECONDS: Final = 30.0
VISIBILITY_MARGIN_S: Final = 30
"""The visibility timeout is the time budget plus this: nothing reappears while we work."""

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message of the dead-letter queue, as ``dlq list`` shows it.

    ``reason`` is the forwarder's (message attribute ``reason``), ``exhausted`` when SQS moved
    the message itself after too many receives (no attributes), and ``malformed`` when the
    body is not a forward message (never replayed). ``age_s`` counts from the call's
    ``received_at`` (when ingest accepted it), else from when the message was sent.
    ``receive_count`` includes receives by ``dlq list`` and ``replay`` themselves.
    """

    message_id: str
    receipt_handle: str
    body: str
    key: str | None
    source: str | None
    event_name: str | None
    kind: str | None
    reason: str
    status: int | None
    error: str | None
    parked_at: str | None
    received_at: str | None
    receive_count: int
    age_s: float | None
    call: QueuedCall | None = field(default=None, repr=False, compare=False)

    @property
    def replayable(self) -> bool:
        return self.call is not None

    def to_dict(self) -> dict[str, Any]:
        """Everything but the receipt handle (useless once the command ends)."""
        try:
            message: Any = json.loads(self.body)
        except (ValueError, RecursionError):
            message = self.body
        return {
            "message_id": self.message_id,
            "key": self.key,
            "source": self.source,
            "event_name": self.event_name,
            "kind": self.kind,
            "reason": self.reason,
            "status": self.status,
            "error": self.error,
            "parked_at": self.parked_at,
            "received_at": self.received_at,
            "receive_count": self.receive_count,
            "age_s": None if self.age_s is None else round(self.age_s),
            "message": message,
        }


@dataclass(frozen=True, slots=True)
class Listing:
    letters: list[DeadLetter]
    truncated: bool
    """True when the count or time limit stopped the listing: there may be more."""

    def __len__(self) -> int:
        return len(self.letters)

    def __iter__(self) -> Iterator[DeadLetter]:
        return iter(self.letters)


@dataclass(frozen=True, slots=True)
class Filter:
    """What ``replay`` selects; every criterion given must hold (None: any)."""

    source: str | None = None
    event_name: str | None = None
    since: datetime | None = None
    reason: str | None = None

    def matches(self, letter: DeadLetter) -> bool:
        if letter.call is None:
            return False
        if self.source is not None and letter.source != self.source:
            return False
        if self.event_name is not None and letter.event_name != self.event_name:
            return False
        if self.reason is not None and letter.reason != self.reason:
            return False
        if self.since is not None:
            received = parse_timestamp(letter.received_at)
            return received is not None and received >= self.since
        return True


@dataclass(slots=True)
class ReplayReport:
    """``matched`` = ``replayed`` + ``failed`` (+ all of them on a dry run, none replayed).

    ``replayed`` were sent to the forward queue (and, but for ``not_deleted``, removed from the
    dead-letter queue); ``failed`` were refused by the forward queue and stay dead letters;
    ``kept`` did not match; ``skipped`` are not forward messages and are never replayed;
    ``held`` matched but are ambiguous calls, replayed only when their record is forgotten.
    """

    dry_run: bool
    matched: list[DeadLetter] = field(default_factory=list)
    replayed: list[DeadLetter] = field(default_factory=list)
    failed: list[DeadLetter] = field(default_factory=list)
    kept: list[DeadLetter] = field(default_factory=list)
    skipped: list[DeadLetter] = field(default_factory=list)
    held: list[DeadLetter] = field(default_factory=list)
    not_deleted: list[DeadLetter] = field(default_factory=list)
    truncated: bool = False


# --- time -----------------------------------------------------------------------------------

_RELATIVE: Final = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_S: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_timestamp(text: str | None) -> datetime | None:
    """An ISO-8601 time as an aware UTC datetime (no zone: UTC), or None if it is not one."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``--since``: ISO-8601 (``2026-12-01T10:00:00Z``, or a date) or a time ago (``30m``,
    ``2h``, ``7d``, ``1w``, ``1h30m``).

    Raises:
        ValueError: neither form.
    """
    value = text.strip().lower()
    if value and _RELATIVE.sub("", value).strip() == "":
        seconds = sum(int(n) * _UNIT_S[unit] for n, unit in _RELATIVE.findall(value))
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    moment = parse_timestamp(text)
    if moment is None:
        raise ValueError(
            f"{text!r} is neither an ISO-8601 time (2026-12-01T10:00:00Z) "
            "nor a time ago (30m, 2h, 7d)"
        )
    return moment


# --- reading messages -------------------------------------------------------------------------


def _attribute(message: dict[str, Any], name: str) -> str | None:
    value = message.get("MessageAttributes", {}).get(name, {}).get("StringValue")
    return None if value in (None, "", "-") else str(value)


def _status(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _loose_fields(body: str) -> dict[str, str | None]:
    """Best-effort key, source, kind and event name of a body that is not a valid message
    (hand-edited, say), so the listing still says what it was."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        document = {}
    call = document.get("body")
    if not isinstance(call, dict):
        call = {}

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    return {
        "key": text(document.get("key")),
        "source": text(document.get("source")),
        "kind": text(document.get("kind")),
        "event_name": text(call.get("event_name")),
        "received_at": text(document.get("received_at")),
    }


def dead_letter(message: dict[str, Any], now: float) -> DeadLetter:
    """A received SQS message (``AttributeNames=All``, ``MessageAttributeNames=All``) read as
    a dead letter; ``now`` is unix seconds, for its age."""
    body = str(message.get("Body", ""))
    reason = _attribute(message, "reason") or EXHAUSTED
    error = _attribute(message, "error")
    call: QueuedCall | None
    try:
        call = QueuedCall.from_json(body)
    except MalformedMessageError as exc:
        call, reason, error = None, MALFORMED, error or str(exc)
    except (TypeError, ValueError, RecursionError) as exc:  # odd JSON the parser trips on
        call, reason, error = None, MALFORMED, error or f"not a forward message ({exc})"
    if call is not None:
        event_name = call.call.body.get("event_name")
        fields: dict[str, str | None] = {
            "key": call.key,
            "source": call.source,
            "kind": call.call.kind,
            "event_name": event_name if isinstance(event_name, str) else None,
            "received_at": call.received_at,
        }
    else:
        fields = _loose_fields(body)
    attributes = message.get("Attributes", {})
    received = parse_timestamp(fields["received_at"])
    sent_ms = attributes.get("SentTimestamp")
    if received is not None:
        age: float | None = now - received.timestamp()
    elif sent_ms is not None and str(sent_ms).isdigit():
        age = now - int(sent_ms) / 1000
    else:
        age = None
    return DeadLetter(
        message_id=str(message["MessageId"]),
        receipt_handle=str(message["ReceiptHandle"]),
        body=body,
        key=fields["key"],
        source=fields["source"],
        event_name=fields["event_name"],
        kind=fields["kind"],
        reason=reason,
        status=_status(_attribute(message, "status")),
        error=error,
        parked_at=_attribute(message, "parked_at"),
        received_at=fields["received_at"],
        receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
        age_s=None if age is None else max(age, 0.0),
        call=call,
    )


def _batches(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), MAX_BATCH):
        yield items[start : start + MAX_BATCH]


class _Reader:
    """Receives the queue's messages once each, hidden while we work, within the limits;
    ``release`` makes every one not deleted visible again."""

    def __init__(
        self,
        client: Any,
        url: str,
        *,
        limit: int,
        max_seconds: float,
        wait_s: int,
        clock: Clock,
        wall_clock: Clock,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._client = client
        self._url = url
        self._limit = limit
        self._wait_s = wait_s
        self._clock = clock
        self._wall_clock = wall_clock
        self._deadline = clock() + max_seconds
        self._visibility_s = int(max_seconds) + VISIBILITY_MARGIN_S
        self.handles: dict[str, str] = {}  # message id -> latest receipt handle, to release
        self.seen = 0
        self.truncated = False

    def batches(self) -> Iterator[list[DeadLetter]]:
        """New messages, up to 10 at a time, until the queue shows no more or a limit hits."""
        while True:
            if self.seen >= self._limit or self._clock() >= self._deadline:
                self.truncated = True
                return
            answer = self._client.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(MAX_BATCH, self._limit - self.seen),
                VisibilityTimeout=self._visibility_s,
                WaitTimeSeconds=self._wait_s,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = answer.get("Messages", [])
            if not messages:
                return
            now = self._wall_clock()
            fresh: list[DeadLetter] = []
            for message in messages:
                message_id = str(message["MessageId"])
                known = message_id in self.handles
                self.handles[message_id] = str(message["ReceiptHandle"])
                if not known:  # a standard queue may hand out a message twice
                    fresh.append(dead_letter(message, now))
            self.seen += len(fresh)
            if fresh:
                yield fresh

    def forget(self, letters: Sequence[DeadLetter]) -> None:
        """These were deleted: nothing to release."""
        for letter in letters:
            self.handles.pop(letter.message_id, None)

    def release(self) -> None:
        """Make every received message that is still ours visible again (best effort: one
        that is not comes back when its visibility timeout ends)."""
        entries = [
            {"Id": str(number), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for number, handle in enumerate(self.handles.values())
        ]
        for batch in _batches(entries):
            with contextlib.suppress(Exception):  # botocore's errors share no useful base
                self._client.change_message_visibility_batch(
                    QueueUrl=self._url, Entries=list(batch)
                )
        self.handles.clear()


def list_dead_letters(
    client: Any,
    dlq_url: str,
    *,
    limit: int = DEFAULT_LIMIT,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    wait_s: int = 1,
    clock: Clock = time.monotonic,
    wall_clock: Clock = time.time,
) -> Listing:
    """Every dead letter (up to ``limit``, within ``max_seconds``), oldest call first; the
    queue is left as it was.

    ``wait_s`` is each receive's long-poll wait: with 0 SQS samples only some of its servers
    and may answer empty while messages remain, so the listing stops at the first empty long
    poll instead.
    """
    reader = _Reader(
        client,
        dlq_url,
        limit=limit,
        max_seconds=max_seconds,
        wait_s=wait_s,
        clock=clock,
        wall_clock=wall_clock,
    )
    letters: list[DeadLetter] = []
    try:
        for batch in reader.batches():
            letters.extend(batch)
    finally:
        reader.release()
    letters.sort(key=lambda letter: -(letter.age_s or 0.0))
    return Listing(letters, reader.truncated)


def replay(
    client: Any,
    dlq_url: str,
    queue_url: str,
    *,
    source: str | None = None,
    event_name: str | None = None,
    since: datetime | None = None,
    reason: str | None = None,
    dry_run: bool = False,
    forget: Callable[[DeadLetter], None] | None = None,
    limit: int = DEFAULT_LIMIT,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    wait_s: int = 1,
    clock: Clock = time.monotonic,
    wall_clock: Clock = time.time,
) -> ReplayReport:
    """Send the matching dead letters back to the forward queue, unchanged; the rest stay.

    Each batch is sent first and deleted after, only the entries the forward queue took: a
    call is never in neither queue. A dry run sends and deletes nothing (it only hides the
    messages while it reads them, then shows them again). Malformed messages never go back.

    An ``ambiguous`` call (policy park) is recorded as sent, so the forwarder would park it
    again: it is replayed only with ``forget``, which erases that record first, once a person
    has checked that Userpilot does not have it; otherwise it is kept in ``held``.
    """
    wanted = Filter(source=source, event_name=event_name, since=since, reason=reason)
    report = ReplayReport(dry_run=dry_run)
    reader = _Reader(
        client,
        dlq_url,
        limit=limit,
        max_seconds=max_seconds,
        wait_s=wait_s,
        clock=clock,
        wall_clock=wall_clock,
    )
    try:
        for batch in reader.batches():
            matched: list[DeadLetter] = []
            for letter in batch:
                if not letter.replayable:
                    report.skipped.append(letter)
                elif not wanted.matches(letter):
                    report.kept.append(letter)
                elif letter.reason == AMBIGUOUS and forget is None:
                    report.held.append(letter)
                else:
                    matched.append(letter)
            report.matched.extend(matched)
            if forget is not None and not dry_run:
                for letter in matched:
                    if letter.reason == AMBIGUOUS:
                        forget(letter)
            if matched and not dry_run:
                _move(client, dlq_url, queue_url, matched, report, reader)
    finally:
        reader.release()
    report.truncated = reader.truncated
    return report


def _move(
    client: Any,
    dlq_url: str,
    queue_url: str,
    letters: Sequence[DeadLetter],
    report: ReplayReport,
    reader: _Reader,
) -> None:
    """Send one batch (<= 10) to the forward queue, then delete what it accepted."""
    by_id = {str(number): letter for number, letter in enumerate(letters)}
    answer = client.send_message_batch(
        QueueUrl=queue_url,
        Entries=[{"Id": number, "MessageBody": letter.body} for number, letter in by_id.items()],
    )
    sent = [by_id[entry["Id"]] for entry in answer.get("Successful", []) if entry["Id"] in by_id]
    sent_ids = {letter.message_id for letter in sent}
    report.failed.extend(letter for letter in letters if letter.message_id not in sent_ids)
    report.replayed.extend(sent)
    if not sent:
        return
    handles = {str(number): letter for number, letter in enumerate(sent)}
    try:
        deleted = client.delete_message_batch(
            QueueUrl=dlq_url,
            Entries=[
                {"Id": number, "ReceiptHandle": reader.handles.get(letter.message_id)}
                for number, letter in handles.items()
            ],
        )
    except Exception:  # sent but still a dead letter: a later replay is a duplicate, suppressed
        report.not_deleted.extend(sent)
        return
    gone = [handles[entry["Id"]] for entry in deleted.get("Successful", [])]
    gone_ids = {letter.message_id for letter in gone}
    report.not_deleted.extend(letter for letter in sent if letter.message_id not in gone_ids)
    reader.forget(gone)


def call_record_forgetter(client: Any, table_name: str) -> Callable[[DeadLetter], None]:
    """Erase a call's record in the idempotency table (``client``: DynamoDB), so the forwarder
    sends the call again: for ambiguous calls a person decided Userpilot does not have."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from webhook_to_track.idempotency import CALL_PREFIX, call_config
    from webhook_to_track.settings import CALL_WINDOW_DEFAULT_S

    layer = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
    layer.configure(call_config(CALL_WINDOW_DEFAULT_S), key_prefix=CALL_PREFIX)

    def forget(letter: DeadLetter) -> None:
        layer.delete_record(
            data={"key": letter.key}, exception=RuntimeError("replayed after an ambiguous send")
        )

    return forget
