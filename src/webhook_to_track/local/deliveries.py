"""What happened to one delivery: its record, its calls' records and its dead letters.

Read from the idempotency table (the records Powertools keeps: status, expiry and the stored
summary, which holds keys, kinds, event names and rejection reasons, never payload values)
and from the dead-letter queue (read as ``dlq list`` reads it: left as it was). Works on plain
boto3 clients, so the same code serves the deployed stack, a local moto server behind
``--endpoint-url`` and moto in-process.

Record ids are computed the way Powertools computes them (``_get_hashed_idempotency_key``): the
key prefix, ``#``, and the hex digest of ``json.dumps(<the JMESPath key>, sort_keys=True)``
with the config's hash function (md5 by default; an id, not a secret).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from webhook_to_track.idempotency import (
    CALL_PREFIX,
    DELIVERY_PREFIX,
    DRY_RUN_CALL_PREFIX,
    call_config,
    delivery_config,
)
from webhook_to_track.local.stack import (
    DLQ_OUTPUT,
    QUEUE_OUTPUT,
    StackError,
    named_stack_outputs,
)
from webhook_to_track.queue.replay import DEFAULT_LIMIT, DeadLetter, list_dead_letters
from webhook_to_track.settings import CALL_WINDOW_DEFAULT_S, SEVEN_DAYS

TABLE_OUTPUT: Final = "IdempotencyTableName"
WINDOW_OUTPUT: Final = "IdempotencyWindowSeconds"
COMPLETED: Final = "COMPLETED"
IN_PROGRESS: Final = "INPROGRESS"
MAX_GET_BATCH: Final = 100
"""BatchGetItem takes at most 100 keys."""
MAX_GET_ROUNDS: Final = 5
SCAN_PAGE_ITEMS: Final = 1000
MAX_SCAN_PAGES: Final = 50
MAX_SCAN_SECONDS: Final = 30.0

Clock = Callable[[], float]


# --- record ids -------------------------------------------------------------------------------


def record_id(prefix: str, key: Any, hash_name: str) -> str:
    """The ``id`` Powertools gives the record whose JMESPath key evaluates to ``key``."""
    text = json.dumps(key, sort_keys=True).encode()
    return f"{prefix}#{hashlib.new(hash_name, text, usedforsecurity=False).hexdigest()}"


def delivery_record_id(source: str, delivery_id: str) -> str:
    """The delivery record's id: ``DELIVERY_KEY`` (``[source, delivery_id]``) evaluated on the
    ``DeliveryKey`` Powertools turns into a dict, i.e. the list ``[source, delivery_id]``."""
    return record_id(DELIVERY_PREFIX, [source, delivery_id], _hash_name(delivery=True))


def call_record_id(prefix: str, key: str) -> str:
    """A call record's id: ``CALL_KEY`` (``key``) of the message document is the call key."""
    return record_id(prefix, key, _hash_name(delivery=False))


def _hash_name(*, delivery: bool) -> str:
    config = delivery_config(SEVEN_DAYS) if delivery else call_config(CALL_WINDOW_DEFAULT_S)
    return config.hash_function


# --- where ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Location:
    """The idempotency table, and the queues when known (no DLQ: dead letters not read)."""

    table: str
    queue_url: str | None = None
    dlq_url: str | None = None
    stack: str | None = None
    window_s: int | None = None
    """The delivery window, when the stack says it (its IdempotencyWindowSeconds output)."""


def resolve_location(
    *,
    table: str | None,
    queue_url: str | None,
    dlq_url: str | None,
    stack: str | None,
    cloudformation: Callable[[], Any],
    samconfig: Path,
    config_env: str = "default",
) -> Location:
    """What was given (a local stand-in: no AWS call), else the named (or samconfig's) stack's
    outputs; with ``--stack``, given values override the stack's.

    Raises:
        StackError: no table given and no stack to ask, or the stack has no table output.
    """
    if stack is None and (table or queue_url or dlq_url):
        if not table:
            raise StackError(
                "--table is missing: give the idempotency table (and --dlq-url for dead "
                "letters), or --stack"
            )
        return Location(table, queue_url, dlq_url)
    found = named_stack_outputs(
        stack, cloudformation, samconfig, config_env, otherwise="--table (and --dlq-url)"
    )
    name, outputs = found.name, found.outputs
    table = table or outputs.get(TABLE_OUTPUT)
    if not table:
        raise StackError(
            f"stack {name!r} ({found.status}) has no output {TABLE_OUTPUT}: deploy the current "
            "template (sam deploy), or give --table"
        )
    window = outputs.get(WINDOW_OUTPUT, "")
    return Location(
        table,
        queue_url or outputs.get(QUEUE_OUTPUT),
        dlq_url or outputs.get(DLQ_OUTPUT),
        name,
        int(window) if window.isdigit() else None,
    )


# --- records ----------------------------------------------------------------------------------


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Record:
    """One Powertools idempotency record, as DynamoDB holds it."""

    id: str
    status: str
    expires_at: datetime | None
    in_progress_until: datetime | None
    data: Any
    """The stored result (JSON), or None (in progress, or nothing stored)."""

    @classmethod
    def of(cls, item: dict[str, Any]) -> Record:
        """From a low-level DynamoDB item (``{"S": ...}``, ``{"N": ...}``)."""

        def number(name: str) -> float | None:
            value = item.get(name, {}).get("N")
            try:
                return None if value is None else float(value)
            except ValueError:
                return None

        raw = item.get("data", {}).get("S")
        try:
            data = None if raw is None else json.loads(raw)
        except ValueError:
            data = raw
        in_progress_ms = number("in_progress_expiration")
        return cls(
            id=str(item["id"]["S"]),
            status=str(item.get("status", {}).get("S", "?")),
            expires_at=_moment(number("expiration")),
            in_progress_until=None if in_progress_ms is None else _moment(in_progress_ms / 1000),
            data=data,
        )

    def expired(self, now: datetime) -> bool:
        """Past its window: Powertools treats it as absent (DynamoDB's TTL deletes it later)."""
        return self.expires_at is not None and self.expires_at <= now

    def stale(self, now: datetime) -> bool:
        """In progress, but the invocation that started it has ended: a retry runs again."""
        return (
            self.status == IN_PROGRESS
            and self.in_progress_until is not None
            and self.in_progress_until <= now
        )

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "expires_at": iso(self.expires_at),
            "expired": self.expired(now),
            "in_progress_until": iso(self.in_progress_until),
            "stale": self.stale(now),
        }


def get_records(dynamodb: Any, table: str, ids: Iterable[str]) -> dict[str, Record]:
    """The records that exist among ``ids`` (strongly consistent reads), by id."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, Record] = {}
    for start in range(0, len(wanted), MAX_GET_BATCH):
        keys: list[dict[str, Any]] = [
            {"id": {"S": record}} for record in wanted[start : start + MAX_GET_BATCH]
        ]
        for _ in range(MAX_GET_ROUNDS):
            answer = dynamodb.batch_get_item(
                RequestItems={table: {"Keys": keys, "ConsistentRead": True}}
            )
            for item in answer.get("Responses", {}).get(table, []):
                record = Record.of(item)
                found[record.id] = record
            keys = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            if not keys:
                break
            time.sleep(0.1)
        else:
            raise StackError(f"DynamoDB left {len(keys)} records of {table} unread: try again")
    return found


# --- one delivery -----------------------------------------------------------------------------


def _letter_dict(letter: DeadLetter) -> dict[str, Any]:
    """What a report says about a dead letter: its reason and Userpilot's answer, not the body."""
    return {
        "key": letter.key,
        "kind": letter.kind,
        "event_name": letter.event_name,
        "reason": letter.reason,
        "status": letter.status,
        "error": letter.error,
        "parked_at": letter.parked_at,
        "received_at": letter.received_at,
        "message_id": letter.message_id,
    }


@dataclass(slots=True)
class CallReport:
    """One call of the delivery: its record (sent, and dry run) and its dead letters."""

    key: str
    kind: str | None
    name: str | None
    record: Record | None = None
    dry_run: Record | None = None
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def outcome(self, now: datetime) -> str:
        """One phrase: what became of the call."""
        parked = self.dead_letters[0] if self.dead_letters else None
        parked_text = None
        if parked is not None:
            status = f" {parked.status}" if parked.status is not None else ""
            parked_text = f"parked: {parked.reason}{status}"
        text = self._recorded(now)
        if text is None:
            if parked_text is not None:
                return parked_text
            if self.dry_run is not None and self.dry_run.status == COMPLETED:
                return "dry run: shown, not sent"
            return "no record: waiting in the forward queue, retrying, or never forwarded"
        if self.record is not None and self.record.expired(now):
            text += " (record expired)"
        return f"{text}; {parked_text}" if parked_text else text

    def _recorded(self, now: datetime) -> str | None:
        record = self.record
        if record is None:
            return None
        if record.status == IN_PROGRESS:
            if record.stale(now):
                return "interrupted while sending: it will be sent again"
            return "being sent now"
        data = record.data if isinstance(record.data, dict) else {}
        if data.get("outcome") == "ambiguous":
            return "ambiguous: sent, no answer (check Userpilot before a replay)"
        status = data.get("status")
        return f"delivered ({status})" if isinstance(status, int) else "delivered"

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "name": self.name,
            "outcome": self.outcome(now),
            "record": None if self.record is None else _call_record(self.record, now),
            "dry_run_record": None if self.dry_run is None else _call_record(self.dry_run, now),
            "dead_letters": [_letter_dict(letter) for letter in self.dead_letters],
        }


def _call_record(record: Record, now: datetime) -> dict[str, Any]:
    stored = record.data if isinstance(record.data, dict) else {}
    return {
        **record.to_dict(now),
        "answer": {k: stored[k] for k in ("status", "outcome", "x_request_id") if k in stored},
    }


@dataclass(slots=True)
class DeliveryReport:
    source: str
    delivery_id: str
    table: str
    record_id: str
    record: Record | None
    window_s: int
    calls: list[CallReport]
    dead_letters: list[DeadLetter]
    dlq_url: str | None
    dead_letters_truncated: bool = False
    forward_queue: dict[str, int] | None = None

    @property
    def found(self) -> bool:
        return self.record is not None or bool(self.dead_letters)

    @property
    def summary(self) -> dict[str, Any]:
        data = self.record.data if self.record is not None else None
        return data if isinstance(data, dict) else {}

    @property
    def recorded_at(self) -> datetime | None:
        return recorded_at(self.record, self.window_s)

    def to_dict(self, now: datetime) -> dict[str, Any]:
        summary = self.summary
        return {
            "source": self.source,
            "delivery_id": self.delivery_id,
            "table": self.table,
            "found": self.found,
            "record": None
            if self.record is None
            else {**self.record.to_dict(now), "recorded_at": iso(self.recorded_at)},
            "summary": summary or None,
            "calls": [call.to_dict(now) for call in self.calls],
            "rejected": list(summary.get("rejected", [])),
            "dead_letters": [_letter_dict(letter) for letter in self.dead_letters],
            "dlq_url": self.dlq_url,
            "dead_letters_read": self.dlq_url is not None,
            "dead_letters_truncated": self.dead_letters_truncated,
            "forward_queue": self.forward_queue,
        }


def recorded_at(record: Record | None, window_s: int) -> datetime | None:
    """When the record was written (completed, or started): its expiry less the window."""
    if record is None or record.expires_at is None:
        return None
    return record.expires_at - timedelta(seconds=window_s)


def _of_delivery(letter: DeadLetter, source: str, delivery_id: str) -> bool:
    if letter.call is not None:
        return letter.call.source == source and letter.call.delivery_id == delivery_id
    return bool(letter.key and letter.key.startswith(f"{source}:{delivery_id}:"))


def _calls(summary: dict[str, Any], letters: Sequence[DeadLetter]) -> list[CallReport]:
    """The calls the summary says were queued, then any other call found in the DLQ (its
    delivery record may have expired before its dead letter)."""
    calls: dict[str, CallReport] = {}
    for queued in summary.get("queued", []):
        if isinstance(queued, dict) and isinstance(queued.get("key"), str):
            key = queued["key"]
            calls[key] = CallReport(key, queued.get("kind"), queued.get("name"))
    for letter in letters:
        if letter.key is None:
            continue
        call = calls.setdefault(letter.key, CallReport(letter.key, letter.kind, letter.event_name))
        call.dead_letters.append(letter)
    return list(calls.values())


def _queue_depth(sqs: Any, queue_url: str) -> dict[str, int] | None:
    """The forward queue's approximate counts (a hint for calls with no record yet)."""
    from botocore.exceptions import BotoCoreError, ClientError

    names = {
        "ApproximateNumberOfMessages": "waiting",
        "ApproximateNumberOfMessagesNotVisible": "in_flight",
        "ApproximateNumberOfMessagesDelayed": "delayed",
    }
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(names))
    except (BotoCoreError, ClientError):
        return None
    values = attributes.get("Attributes", {})
    return {label: int(values.get(name, 0)) for name, label in names.items()}


def show_delivery(
    dynamodb: Any,
    sqs: Any,
    location: Location,
    source: str,
    delivery_id: str,
    *,
    window_s: int = SEVEN_DAYS,
    dlq_limit: int = DEFAULT_LIMIT,
    wait_s: int = 1,
) -> DeliveryReport:
    """Everything the table and the dead-letter queue know about one delivery."""
    delivery = delivery_record_id(source, delivery_id)
    record = get_records(dynamodb, location.table, [delivery]).get(delivery)
    letters: list[DeadLetter] = []
    truncated = False
    if location.dlq_url is not None:
        listing = list_dead_letters(sqs, location.dlq_url, limit=dlq_limit, wait_s=wait_s)
        letters = [letter for letter in listing if _of_delivery(letter, source, delivery_id)]
        truncated = listing.truncated
    summary = record.data if record is not None and isinstance(record.data, dict) else {}
    calls = _calls(summary, letters)
    ids = {
        call.key: (
            call_record_id(CALL_PREFIX, call.key),
            call_record_id(DRY_RUN_CALL_PREFIX, call.key),
        )
        for call in calls
    }
    records = get_records(dynamodb, location.table, [i for pair in ids.values() for i in pair])
    for call in calls:
        sent, dry = ids[call.key]
        call.record, call.dry_run = records.get(sent), records.get(dry)
    report = DeliveryReport(
        source=source,
        delivery_id=delivery_id,
        table=location.table,
        record_id=delivery,
        record=record,
        window_s=window_s,
        calls=calls,
        dead_letters=letters,
        dlq_url=location.dlq_url,
        dead_letters_truncated=truncated,
    )
    waiting = any(c.record is None and not c.dead_letters and c.dry_run is None for c in calls)
    if waiting and location.queue_url is not None:
        report.forward_queue = _queue_depth(sqs, location.queue_url)
    return report


# --- recent deliveries ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    record: Record
    recorded_at: datetime | None

    @property
    def summary(self) -> dict[str, Any]:
        return self.record.data if isinstance(self.record.data, dict) else {}

    @property
    def source(self) -> str | None:
        value = self.summary.get("source")
        return value if isinstance(value, str) else None

    @property
    def delivery_id(self) -> str | None:
        value = self.summary.get("delivery_id")
        return value if isinstance(value, str) else None

    @property
    def outcome(self) -> str | None:
        value = self.summary.get("status")
        return value if isinstance(value, str) else None

    def to_dict(self, now: datetime) -> dict[str, Any]:
        summary = self.summary
        return {
            "source": self.source,
            "delivery_id": self.delivery_id,
            "status": self.record.status,
            "outcome": self.outcome,
            "recorded_at": iso(self.recorded_at),
            "expires_at": iso(self.record.expires_at),
            "expired": self.record.expired(now),
            "queued": len(summary.get("queued", [])),
            "rejected": len(summary.get("rejected", [])),
            "record_id": self.record.id,
        }


@dataclass(frozen=True, slots=True)
class DeliveryListing:
    rows: list[DeliveryRow]
    scanned: int
    truncated: bool
    """True when the scan stopped at its page or time limit: older records may be missing."""


def list_deliveries(
    dynamodb: Any,
    table: str,
    *,
    source: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    window_s: int = SEVEN_DAYS,
    page_items: int = SCAN_PAGE_ITEMS,
    max_pages: int = MAX_SCAN_PAGES,
    max_seconds: float = MAX_SCAN_SECONDS,
    clock: Clock = time.monotonic,
) -> DeliveryListing:
    """The most recent delivery records first (up to ``limit``), from a bounded scan.

    A scan has no order: every page is read (up to ``max_pages`` of ``page_items`` items,
    within ``max_seconds``) and the rows sorted by time here.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    deadline = clock() + max_seconds
    rows: list[DeliveryRow] = []
    scanned = 0
    start: dict[str, Any] | None = None
    truncated = False
    for page in range(max_pages):
        if page and clock() >= deadline:
            truncated = True
            break
        request: dict[str, Any] = {
            "TableName": table,
            "Limit": page_items,
            "FilterExpression": "begins_with(#id, :prefix)",
            "ExpressionAttributeNames": {"#id": "id"},
            "ExpressionAttributeValues": {":prefix": {"S": f"{DELIVERY_PREFIX}#"}},
        }
        if start is not None:
            request["ExclusiveStartKey"] = start
        answer = dynamodb.scan(**request)
        scanned += int(answer.get("ScannedCount", 0))
        for item in answer.get("Items", []):
            record = Record.of(item)
            row = DeliveryRow(record, recorded_at(record, window_s))
            if source is not None and row.source != source:
                continue
            if since is not None and (row.recorded_at is None or row.recorded_at < since):
                continue
            rows.append(row)
        start = answer.get("LastEvaluatedKey")
        if start is None:
            break
    else:
        truncated = start is not None
    oldest = datetime.min.replace(tzinfo=UTC)
    rows.sort(key=lambda row: row.record.expires_at or oldest, reverse=True)
    return DeliveryListing(rows[:limit], scanned, truncated)
