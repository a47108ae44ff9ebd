"""The scenarios that run in one process: each runs the real handlers against one fault and
does the books (table.py joins them with concurrent.py's into the one table).

The table is what ``test_faults.py`` parametrizes over and what ``report.py`` prints. A
scenario returns a ``Row``; its ``problems`` are every assertion the row breaks (empty: it
holds). Every row asserts lost = 0 and doubled = 0 at the Userpilot stand-in, except the
ambiguous ones (Userpilot took the call, its answer was lost), which assert that any double
was counted (doubled <= ForwardAmbiguous and ForwardAmbiguous >= 1), or, with
FORWARD_AMBIGUOUS=park, that nothing doubled and the call was parked with its reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, Literal

from tests.factories import VEHICLE_SOURCES, payload
from tests.faults.harness import (
    SIGNING,
    THROTTLED_DDB,
    THROTTLED_SQS,
    UNAVAILABLE_DDB,
    UNAVAILABLE_SQS,
    Lab,
    Ledger,
    max_receive_count,
    queue_depth,
)
from tests.faults.senders import GITHUB, HUBSPOT, STRIPE, Delivery, Outcome, Vendor, send
from tests.userpilot_stub import Reply

ONE_CALL: Final = "customer.subscription.created"
TWO_CALLS: Final = "invoice.paid"
USER_NOT_FOUND: Final = Reply(
    400, body={"errors": [{"message": "user not found: identify the user first"}]}
)


@dataclass
class Row:
    scenario: str
    expected: int = 0
    processed: int = 0
    parked: int = 0
    lost: int = 0
    doubled: int = 0
    ambiguous: int = 0
    rate_limited: int = 0
    notes: str = ""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def explain(self) -> str:
        return f"{self.scenario}: " + "; ".join(self.problems) + f" ({self.notes})"


@dataclass(frozen=True)
class Expect:
    """What a row must show besides lost = 0."""

    doubled: Literal["none", "counted"] = "none"
    ambiguous_min: int = 0
    parked: int = 0
    reason: str | None = None

    def check(self, ledger: Ledger) -> list[str]:
        return self._counts(ledger) + self._parked(ledger) + _leftovers(ledger)

    def _counts(self, ledger: Ledger) -> list[str]:
        problems = []
        if ledger.declared != len(ledger.expected):
            problems.append(
                f"the rules make {ledger.declared} calls; ingest accepted {len(ledger.expected)}"
            )
        if ledger.lost:
            problems.append(f"lost {ledger.lost}: {ledger.lost_keys}")
        if self.doubled == "none" and ledger.doubled:
            problems.append(f"doubled {ledger.doubled}")
        if self.doubled == "counted" and ledger.doubled > ledger.ambiguous:
            problems.append(f"doubled {ledger.doubled} > ForwardAmbiguous {ledger.ambiguous}")
        if ledger.ambiguous < self.ambiguous_min:
            problems.append(f"ForwardAmbiguous {ledger.ambiguous} < {self.ambiguous_min}")
        return problems

    def _parked(self, ledger: Ledger) -> list[str]:
        problems = []
        parked = ledger.parked_with_reason
        if len(parked) != self.parked:
            problems.append(f"parked {len(parked)}, expected {self.parked}")
        if self.reason and any(p.reason != self.reason for p in parked.values()):
            problems.append(f"parked for {[p.reason for p in parked.values()]}, not {self.reason}")
        return problems


def _leftovers(ledger: Ledger) -> list[str]:
    problems = []
    parked = ledger.parked_with_reason
    exhausted = [p.key for p in ledger.parked if p.key not in parked]
    if exhausted:
        problems.append(f"moved to the DLQ by SQS (maxReceiveCount): {exhausted}")
    if ledger.unexpected:
        problems.append(f"the stand-in took calls nobody queued: {ledger.unexpected}")
    if ledger.left_in_queue:
        problems.append(f"{ledger.left_in_queue} messages left in the forward queue")
    return problems


def row_of(name: str, ledger: Ledger, expect: Expect, notes: str, problems: list[str]) -> Row:
    return Row(
        scenario=name,
        expected=len(ledger.expected),
        processed=ledger.processed_total,
        parked=len(ledger.parked_with_reason),
        lost=ledger.lost,
        doubled=ledger.doubled,
        ambiguous=ledger.ambiguous,
        rate_limited=ledger.rate_limited,
        notes=notes,
        problems=expect.check(ledger) + problems,
    )


# --- deliveries ---------------------------------------------------------------------------------


def stripe_delivery(event_id: str, sample: str = TWO_CALLS) -> Delivery:
    document = json.loads(payload("stripe", sample))
    document["id"] = event_id
    return Delivery("stripe", document)


def github_delivery(guid: str) -> Delivery:
    document = json.loads(payload("github", "issues.opened"))
    headers = json.loads(payload("github", "issues.opened.headers"))
    return Delivery("github", document, {**headers, "x-github-delivery": guid})


def hubspot_batch(size: int = 100) -> Delivery:
    """``size`` notifications made from the vehicle's sample batch, each with its own ids."""
    sample = json.loads(payload("hubspot", "batch"))
    items = []
    for n in range(size):
        item = dict(sample[n % len(sample)])
        item["eventId"] = 7_000_000 + n
        item["objectId"] = 51_000_000 + n
        items.append(item)
    return Delivery("hubspot", items)


def mapped_calls(delivery: Delivery) -> int:
    """How many calls the vehicle's rules make of a delivery (the independent count)."""
    from webhook_to_track.registry import get_registry
    from webhook_to_track.request import lowercase_headers

    rules = get_registry(VEHICLE_SOURCES).get(delivery.source).rules
    mapped = rules.map(
        json.loads(delivery.raw(0)),
        delivery_id="count",
        headers=lowercase_headers(delivery.headers),
    )
    return len(mapped.calls)


def sender_notes(outcome: Outcome) -> str:
    return "sender " + ",".join(str(s) for s in outcome.statuses)


def deliver(lab: Lab, vendor: Vendor, delivery: Delivery) -> Outcome:
    return send(vendor, delivery, SIGNING[delivery.source], lab.ingest)


# --- Userpilot's answers ------------------------------------------------------------------------


def upstream(
    name: str,
    script: Sequence[Reply],
    *,
    expect: Expect = Expect(),
    env: dict[str, str] | None = None,
    sample: str = TWO_CALLS,
    check: Callable[[Lab, Ledger], list[str]] | None = None,
    notes: str = "",
) -> Row:
    with Lab(env=env) as lab:
        lab.userpilot.script(*script)
        delivery = stripe_delivery(f"evt_{name}", sample)
        outcome = deliver(lab, STRIPE, delivery)
        drained = lab.forward()
        ledger = lab.ledger(mapped_calls(delivery))
        problems = [] if drained else ["the queue did not drain within its bounds"]
        if check is not None:
            problems += check(lab, ledger)
        detail = f"{notes}; {sender_notes(outcome)}; {lab.drainer.receives} receives"
        return row_of(name, ledger, expect, detail.lstrip("; "), problems)


def requests_seen(count: int) -> Callable[[Lab, Ledger], list[str]]:
    def check(lab: Lab, ledger: Ledger) -> list[str]:
        seen = len(lab.userpilot.requests)
        return [] if seen == count else [f"the stand-in saw {seen} requests, not {count}"]

    return check


def delays_applied(*wanted: int) -> Callable[[Lab, Ledger], list[str]]:
    def check(lab: Lab, ledger: Ledger) -> list[str]:
        first = sorted(lab.drainer.applied[: len(wanted)])
        if first != sorted(wanted):
            return [f"the first retry delays were {first}, not {sorted(wanted)}"]
        return []

    return check


def both(*checks: Callable[[Lab, Ledger], list[str]]) -> Callable[[Lab, Ledger], list[str]]:
    return lambda lab, ledger: [p for c in checks for p in c(lab, ledger)]


def metric_at_least(name: str, least: int) -> Callable[[Lab, Ledger], list[str]]:
    def check(lab: Lab, ledger: Ledger) -> list[str]:
        value = lab.capture.metric(name)
        return [] if value >= least else [f"metric {name} = {value} < {least}"]

    return check


def rejected_with_message(lab: Lab, ledger: Ledger) -> list[str]:
    parked = list(ledger.parked_with_reason.values())
    if not parked:
        return ["nothing parked"]
    wanted = ("rejected", "400", "user not found: identify the user first")
    got = (parked[0].reason, parked[0].status, parked[0].error)
    return [] if got == wanted else [f"parked with {got}, not {wanted}"]


def refused_then_up(name: str, vendor: Vendor, delivery: Delivery, down_rounds: int) -> Row:
    """Userpilot refuses connections (the stand-in is down) for a while, then comes back."""
    with Lab() as lab:
        lab.userpilot.stop()
        outcome = deliver(lab, vendor, delivery)
        lab.forward(max_rounds=down_rounds)
        waiting = queue_depth(lab.drainer.sqs, lab.queues.queue_url)
        lab.userpilot.start()
        drained = lab.forward()
        ledger = lab.ledger(mapped_calls(delivery))
        problems = [] if drained else ["the queue did not drain within its bounds"]
        if waiting != len(ledger.expected):
            problems.append(f"{waiting} calls waited in the queue while down, not all")
        if lab.drainer.receives >= max_receive_count():
            problems.append(f"{lab.drainer.receives} receives: too close to maxReceiveCount")
        notes = (
            f"down for {down_rounds} forward rounds, {waiting} waiting in the queue; "
            f"{sender_notes(outcome)}; {lab.drainer.receives} receives"
        )
        return row_of(name, ledger, Expect(), notes, problems)


# --- DynamoDB and SQS ---------------------------------------------------------------------------


def store_fault(
    name: str,
    arrange: Callable[[Lab], None],
    *,
    notes: str,
    duplicate: Literal["none", "delivery", "message"] = "none",
    script: Sequence[Reply] = (),
    check: Callable[[Lab, Ledger], list[str]] | None = None,
    delivery: Delivery | None = None,
    vendor: Vendor = STRIPE,
    env: dict[str, str] | None = None,
    expect: Expect = Expect(),
) -> Row:
    """A fault arranged on the code's own clients, then one delivery (Stripe's two-call
    invoice.paid unless told; sent twice for ``duplicate="delivery"``; its messages queued
    again after the first drain, as SQS may deliver a message twice, for
    ``duplicate="message"``)."""
    with Lab(env=env) as lab:
        lab.userpilot.script(*script)
        delivery = delivery or stripe_delivery(f"evt_{name}")
        if duplicate == "delivery":
            first = deliver(lab, vendor, delivery)
            arrange(lab)
            outcome = deliver(lab, vendor, delivery)
            outcome.statuses[:0] = first.statuses
        else:
            arrange(lab)
            outcome = deliver(lab, vendor, delivery)
        drained = lab.forward()
        if duplicate == "message":
            for raw in lab.queued_raw.values():
                lab.drainer.sqs.send_message(QueueUrl=lab.queues.queue_url, MessageBody=raw)
            drained = lab.forward() and drained
        ledger = lab.ledger(mapped_calls(delivery))
        problems = [] if drained else ["the queue did not drain within its bounds"]
        if arrange is not no_fault and not any(lab.faults.injected.values()):
            problems.append("no fault was injected: the scenario did not reach its fault")
        if check is not None:
            problems += check(lab, ledger)
        injected = ", ".join(f"{k} x{v}" for k, v in sorted(lab.faults.injected.items()))
        faults = f" [{injected}]" if injected else ""
        detail = f"{notes}{faults}; {sender_notes(outcome)}; {lab.drainer.receives} receives"
        return row_of(name, ledger, expect, detail, problems)


def no_fault(lab: Lab) -> None:
    """Nothing on the clients: the scenario's fault is elsewhere (Userpilot, SQS copies)."""


def ingest_put_item(lab: Lab) -> None:
    lab.faults.fail(lab.delivery_store(), "put_item", {1, 2}, THROTTLED_DDB, label="PutItem")


def ingest_update_item(lab: Lab) -> None:
    lab.faults.fail(lab.delivery_store(), "update_item", {1}, UNAVAILABLE_DDB, label="UpdateItem")


def ingest_delete_item(lab: Lab) -> None:
    lab.faults.fail(lab.sqs, "send_message_batch", {1}, UNAVAILABLE_SQS, label="SendMessageBatch")
    lab.faults.fail(lab.delivery_store(), "delete_item", {1}, THROTTLED_DDB, label="DeleteItem")


def ingest_get_item(lab: Lab) -> None:
    store = lab.delivery_store()
    lab.faults.hide_condition_item(store)
    lab.faults.fail(store, "get_item", {1}, UNAVAILABLE_DDB, label="GetItem")


def forward_put_item(lab: Lab) -> None:
    lab.faults.fail(lab.call_store(), "put_item", {1, 2}, UNAVAILABLE_DDB, label="PutItem")


def forward_update_item(lab: Lab) -> None:
    lab.faults.fail(lab.call_store(), "update_item", {1}, THROTTLED_DDB, label="UpdateItem")


def forward_delete_item(lab: Lab) -> None:
    lab.faults.fail(lab.call_store(), "delete_item", {1}, UNAVAILABLE_DDB, label="DeleteItem")


def forward_get_item(lab: Lab) -> None:
    store = lab.call_store()
    lab.faults.hide_condition_item(store)
    lab.faults.fail(store, "get_item", {1}, THROTTLED_DDB, label="GetItem")


def sqs_batch_down(lab: Lab) -> None:
    lab.faults.fail(lab.sqs, "send_message_batch", {1, 2}, THROTTLED_SQS, label="SendMessageBatch")


def sqs_fails_half_way(lab: Lab) -> None:
    # a 100-notification batch is queued 10 calls a SendMessageBatch: the 5th one fails
    lab.faults.fail(lab.sqs, "send_message_batch", {5}, UNAVAILABLE_SQS, label="SendMessageBatch")


def sqs_partial(lab: Lab) -> None:
    # the sink sends refused entries once more: both tries of the first delivery refuse entry 1
    lab.faults.fail_entries(lab.sqs, {1, 2}, {"1"}, label="SendMessageBatch entry 1")


def first_call_sent_once(lab: Lab, ledger: Ledger) -> list[str]:
    first = lab.userpilot.requests[0].call_id
    times = ledger.processed.get(first, 0)
    return [] if times == 1 else [f"the first call was sent {times} times"]


def hubspot_100(name: str) -> Row:
    with Lab() as lab:
        delivery = hubspot_batch(100)
        started = time.monotonic()
        outcome = deliver(lab, HUBSPOT, delivery)
        answered_s = time.monotonic() - started
        before = len(lab.userpilot.requests) + lab.userpilot.resets_before
        drained = lab.forward()
        ledger = lab.ledger(mapped_calls(delivery))
        problems = [] if drained else ["the queue did not drain within its bounds"]
        if before:
            problems.append(f"the stand-in saw {before} requests before the forwarder ran")
        notes = (
            f"{len(delivery.body)} notifications, answered in {answered_s * 1000:.0f} ms with 0 "
            f"Userpilot calls; {sender_notes(outcome)}; {lab.drainer.batches} batches"
        )
        return row_of(name, ledger, Expect(), notes, problems)


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[], Row]
    summary: str

    def __call__(self) -> Row:
        started = time.monotonic()
        row = self.run()
        row.seconds = time.monotonic() - started
        return row


AMBIGUOUS: Final = Expect(doubled="counted", ambiguous_min=1)
PARKED_AMBIGUOUS: Final = Expect(ambiguous_min=1, parked=1, reason="ambiguous")
PARK: Final = {"FORWARD_AMBIGUOUS": "park"}


def _u(name: str, script: Sequence[Reply], summary: str, **kwargs: Any) -> Scenario:
    return Scenario(name, partial(upstream, name, script, notes=summary, **kwargs), summary)


def _s(name: str, arrange: Callable[[Lab], None], summary: str, **kwargs: Any) -> Scenario:
    return Scenario(name, partial(store_fault, name, arrange, notes=summary, **kwargs), summary)


SEQUENTIAL: Final[list[Scenario]] = [
    _u("202", [], "Userpilot answers 202"),
    _u(
        "429 Retry-After",
        [Reply(429, headers={"Retry-After": "2"}, body={"errors": []})],
        "429 Retry-After: 2; the batch waits 2 s, its other call unsent",
        check=both(requests_seen(3), delays_applied(2, 2)),
    ),
    _u(
        "429 no Retry-After",
        [Reply(429, body={"errors": []})],
        "429 without Retry-After: backoff 1 s, the other call unsent",
        check=both(requests_seen(3), delays_applied(1, 1)),
    ),
    _u("503 then 202", [Reply(503)], "503 once", sample=ONE_CALL),
    _u("500 x3 then 202", [Reply(500)] * 3, "500 three times", sample=ONE_CALL),
    _u(
        "slow (retry)",
        [Reply.slow(1.5)],
        "taken, answered after 1.5 s > read timeout 0.5 s; FORWARD_AMBIGUOUS=retry",
        expect=AMBIGUOUS,
        sample=ONE_CALL,
    ),
    _u(
        "slow (park)",
        [Reply.slow(1.5)],
        "taken, answered after 1.5 s > read timeout; FORWARD_AMBIGUOUS=park",
        expect=PARKED_AMBIGUOUS,
        env=PARK,
        sample=ONE_CALL,
    ),
    _u(
        "reset before processing",
        [Reply.reset_before()],
        "RST before Userpilot took it: ambiguous to the client, resent once",
        expect=Expect(ambiguous_min=1),
        sample=ONE_CALL,
    ),
    _u(
        "reset after processing (retry)",
        [Reply.reset_after()],
        "taken, then RST without an answer; FORWARD_AMBIGUOUS=retry",
        expect=AMBIGUOUS,
        sample=ONE_CALL,
    ),
    _u(
        "reset after processing (park)",
        [Reply.reset_after()],
        "taken, then RST without an answer; FORWARD_AMBIGUOUS=park",
        expect=PARKED_AMBIGUOUS,
        env=PARK,
        sample=ONE_CALL,
    ),
    _u(
        "401 then fixed",
        [Reply(401), Reply(401)],
        "401 twice (key replaced meanwhile): retried >= 60 s apart",
        sample=ONE_CALL,
        check=both(metric_at_least("UserpilotAuthFailed", 2), delays_applied(60)),
    ),
    _u(
        "400",
        [USER_NOT_FOUND],
        "400: parked with status and Userpilot's message, not lost",
        expect=Expect(parked=1, reason="rejected"),
        sample=ONE_CALL,
        check=rejected_with_message,
    ),
    _u("404 then 202", [Reply(404)], "404 once (host being deployed)", sample=ONE_CALL),
    Scenario(
        "connection refused then up",
        partial(
            refused_then_up,
            "connection refused then up",
            STRIPE,
            stripe_delivery("evt_refused"),
            4,
        ),
        "Userpilot down (connection refused), then up",
    ),
    _s("ingest PutItem throttled", ingest_put_item, "delivery record PutItem throttled x2"),
    _s(
        "ingest UpdateItem 5xx", ingest_update_item, "delivery record UpdateItem 500 after queueing"
    ),
    _s(
        "ingest DeleteItem throttled",
        ingest_delete_item,
        "SQS fails, then the delivery record DeleteItem is throttled (record stays in progress)",
    ),
    _s(
        "ingest GetItem 5xx",
        ingest_get_item,
        "duplicate delivery; the existing record is fetched with GetItem, which fails once",
        duplicate="delivery",
    ),
    _s("forwarder PutItem 5xx", forward_put_item, "call record PutItem 500 x2"),
    _s(
        "forwarder UpdateItem throttled",
        forward_update_item,
        "call record UpdateItem throttled after Userpilot's 202",
        check=metric_at_least("CallRecordNotSaved", 1),
    ),
    _s(
        "forwarder DeleteItem 5xx",
        forward_delete_item,
        "Userpilot 503, then the call record DeleteItem 500 (record stays in progress)",
        script=[Reply(503)],
    ),
    _s(
        "forwarder GetItem throttled",
        forward_get_item,
        "the calls queued again later (redelivery); GetItem of their records throttled once",
        duplicate="message",
        check=metric_at_least("DuplicateSuppressed", 2),
    ),
    _s("SQS SendMessageBatch down", sqs_batch_down, "SendMessageBatch throttled x2: 503, retried"),
    _s(
        "SQS partial batch",
        sqs_partial,
        "SendMessageBatch refuses one of two entries twice: 503; the retry queues both again",
    ),
    _u(
        "two calls, second 503",
        [Reply(202), Reply(503)],
        "the second call of a delivery gets 503; the first is not sent again",
        check=both(requests_seen(3), first_call_sent_once),
    ),
    Scenario(
        "HubSpot 100 notifications",
        partial(hubspot_100, "HubSpot 100 notifications"),
        "a 100-notification batch: no Userpilot call on the ingest path",
    ),
    _s(
        "HubSpot retry of a half-queued batch",
        sqs_fails_half_way,
        "the 5th SendMessageBatch of 100 notifications fails: 503 with 40 calls queued;"
        " HubSpot retries with attemptNumber 1",
        delivery=hubspot_batch(100),
        vendor=HUBSPOT,
    ),
    _s(
        "slow (park), delivered twice by SQS",
        no_fault,
        "FORWARD_AMBIGUOUS=park; taken, answer lost (slow); SQS delivers the message again",
        script=[Reply.slow(1.5)],
        delivery=stripe_delivery("evt_park_twice", ONE_CALL),
        duplicate="message",
        env=PARK,
        expect=PARKED_AMBIGUOUS,
    ),
    Scenario(
        "GitHub (never retries), Userpilot down",
        partial(
            refused_then_up,
            "GitHub (never retries), Userpilot down",
            GITHUB,
            github_delivery("0b7c8c3e-8d1f-4a8b-9c1e-5f2d7a6b4c3d"),
            10,
        ),
        "GitHub sends once; Userpilot is down; the call waits in the queue",
    ),
]
