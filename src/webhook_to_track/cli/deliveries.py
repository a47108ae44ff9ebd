"""``deliveries show`` and ``deliveries list``: what happened to a delivery, locally or on the
deployed stack (its idempotency table and dead-letter queue)."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from datetime import UTC, datetime
from typing import Any, Final

from webhook_to_track.cli.common import (
    AwsErrors,
    CommandError,
    add_location_options,
    located,
    plural,
    table,
)
from webhook_to_track.cli.dlq import format_age

MAX_ERROR_CHARS: Final = 60


def _location(args: argparse.Namespace) -> tuple[Any, Any]:
    """(the Endpoint, the Location) from the location options."""
    from webhook_to_track.local.deliveries import resolve_location

    return located(
        args,
        functools.partial(
            resolve_location, table=args.table, queue_url=args.queue_url, dlq_url=args.dlq_url
        ),
    )


def _window_s(args: argparse.Namespace, location: Any) -> int:
    """The delivery window: the stack's, else the local one (template + env.json), else 7 d."""
    from webhook_to_track.cli.common import local_environment
    from webhook_to_track.settings import IDEMPOTENCY_WINDOW_S, SEVEN_DAYS

    if location.window_s is not None:
        return int(location.window_s)
    if location.stack is None:
        try:
            value = local_environment(args)[1].get(IDEMPOTENCY_WINDOW_S, "")
        except (CommandError, OSError, ValueError, KeyError):
            value = ""
        if value.isdigit():
            return int(value)
    return SEVEN_DAYS


def _when(moment: datetime | None, now: datetime) -> str:
    """``2026-12-01T10:00:00Z (3m ago)`` / ``(in 6d 23h)``; ``-`` when unknown."""
    if moment is None:
        return "-"
    seconds = (moment - now).total_seconds()
    text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if seconds >= 0:
        return f"{text} (in {format_age(seconds)})"
    return f"{text} ({format_age(-seconds)} ago)"


def _short(text: str | None) -> str:
    value = text or ""
    return value if len(value) <= MAX_ERROR_CHARS else value[: MAX_ERROR_CHARS - 1] + "…"


def command_show(args: argparse.Namespace) -> int:
    from webhook_to_track.local.deliveries import show_delivery

    now = datetime.now(UTC)
    with AwsErrors():
        endpoint, location = _location(args)
        report = show_delivery(
            endpoint.client("dynamodb"),
            endpoint.client("sqs") if location.dlq_url or location.queue_url else None,
            location,
            args.source,
            args.delivery_id,
            window_s=_window_s(args, location),
            dlq_limit=args.limit,
        )
    if args.json:
        print(json.dumps(report.to_dict(now), indent=2, ensure_ascii=False))
        return 0 if report.found else 1
    if not report.found:
        days = report.window_s / 86400
        checked = "" if report.dlq_url else " (dead letters not read: no --dlq-url)"
        print(
            f"webhook-to-track deliveries: no record of delivery {args.source}"
            f" {args.delivery_id} in {report.table}{checked}: never received, refused before"
            " it was recorded (a bad signature, an unknown source: see the ingest log), or"
            f" older than the {days:g}-day window",
            file=sys.stderr,
        )
        return 1
    _print_report(report, args, now)
    return 0


def _answer(report: Any, args: argparse.Namespace) -> str:
    """The stored answer in words, with the status code the source answers it with."""
    summary = report.summary
    outcome = summary.get("status")
    if report.record is None:
        return "no delivery record (expired, or never stored); its dead letters remain"
    if report.record.status != "COMPLETED":
        return "being processed (no answer stored yet)"
    if outcome == "ignored":
        return f"ignored (200): {summary.get('reason', 'no rule matched')}"
    code = _accepted_status(args, report.source)
    queued, rejected = summary.get("queued", []), summary.get("rejected", [])
    return (
        f"{outcome}{f' ({code})' if code else ''}: {plural(len(queued), 'call')} queued,"
        f" {len(rejected)} rejected by the rules"
    )


def _accepted_status(args: argparse.Namespace, source: str) -> int | None:
    """The status the source's sender got for an accepted delivery, if the source is here."""
    from webhook_to_track.cli.common import registry_of
    from webhook_to_track.errors import ConfigurationError, UnknownSourceError

    try:
        return registry_of(args).get(source).preset.accepted_status
    except (ConfigurationError, UnknownSourceError, OSError):
        return None


def _record_line(report: Any, now: datetime) -> str:
    record = report.record
    if record is None:
        return "none"
    state = record.status
    if record.stale(now):
        state += " (interrupted: the sender's retry runs it again)"
    elif record.expired(now):
        state += " (expired: a retry would run again)"
    return (
        f"{state}, recorded {_when(report.recorded_at, now)},"
        f" expires {_when(record.expires_at, now)}"
    )


def _print_report(report: Any, args: argparse.Namespace, now: datetime) -> None:
    summary = report.summary
    print(f"Delivery {report.source} {report.delivery_id}: {_answer(report, args)}")
    print(f"  record   {_record_line(report, now)}")
    if summary.get("matched"):
        print(f"  rules    matched {', '.join(summary['matched'])}")
    print(f"  table    {report.table} (id {report.record_id})")
    if report.calls:
        print("\nCalls:")
        rows = [["KEY", "KIND", "NAME", "OUTCOME"]]
        rows += [
            [call.key, call.kind or "-", call.name or "-", call.outcome(now)]
            for call in report.calls
        ]
        for line in table(rows):
            print(f"  {line}")
    rejected = summary.get("rejected", [])
    if rejected:
        print("\nRejected by the rules (never queued):")
        rows = [["RULE", "EVENT", "NAME", "REASON"]]
        rows += [
            [
                str(item.get("rule", "-")),
                str(item.get("event", "-")),
                str(item.get("event_name") or "-"),
                str(item.get("reason", "-")),
            ]
            for item in rejected
        ]
        for line in table(rows):
            print(f"  {line}")
    _print_dead_letters(report)
    if report.forward_queue is not None:
        depth = report.forward_queue
        print(
            f"\nThe forward queue holds {depth['waiting']} waiting, {depth['in_flight']} in"
            f" flight and {depth['delayed']} delayed calls (any of them may be this delivery's)."
        )


def _print_dead_letters(report: Any) -> None:
    if report.dlq_url is None:
        print("\nDead letters: not read (give --dlq-url, or --stack).")
        return
    if not report.dead_letters:
        more = " (stopped at --limit: there may be more)" if report.dead_letters_truncated else ""
        print(f"\nNo dead letters for this delivery in {report.dlq_url}{more}.")
        return
    print(f"\nDead letters ({len(report.dead_letters)} in {report.dlq_url}):")
    rows = [["KEY", "REASON", "STATUS", "PARKED AT", "ERROR"]]
    rows += [
        [
            letter.key or "-",
            letter.reason,
            "-" if letter.status is None else str(letter.status),
            letter.parked_at or "-",
            _short(letter.error),
        ]
        for letter in report.dead_letters
    ]
    for line in table(rows):
        print(f"  {line}")
    print(
        f"  To send them again: webhook-to-track replay --source {report.source} --dry-run"
        " (then without --dry-run; same location options)"
    )


def command_list(args: argparse.Namespace) -> int:
    from webhook_to_track.local.deliveries import list_deliveries

    since = _since(args.since)
    now = datetime.now(UTC)
    with AwsErrors():
        endpoint, location = _location(args)
        listing = list_deliveries(
            endpoint.client("dynamodb"),
            location.table,
            source=args.source,
            since=since,
            limit=args.limit,
            window_s=_window_s(args, location),
        )
    if args.json:
        document = {
            "table": location.table,
            "count": len(listing.rows),
            "scanned": listing.scanned,
            "truncated": listing.truncated,
            "deliveries": [row.to_dict(now) for row in listing.rows],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    if not listing.rows:
        print(f"No delivery records in {location.table}{_filters(args)}.")
    else:
        rows = [["SOURCE", "DELIVERY ID", "STATUS", "RECORDED", "AGE", "CALLS"]]
        for row in listing.rows:
            summary = row.summary
            if row.outcome == "ignored":
                calls = "ignored"
            elif row.record.status != "COMPLETED":
                calls = "-"
            else:
                calls = (
                    f"{len(summary.get('queued', []))} queued,"
                    f" {len(summary.get('rejected', []))} rejected"
                )
            moment = row.recorded_at
            rows.append(
                [
                    row.source or "-",
                    row.delivery_id or "-",
                    row.record.status,
                    "-" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "-" if moment is None else format_age((now - moment).total_seconds()),
                    calls,
                ]
            )
        for line in table(rows):
            print(line)
        print(
            f"\n{len(listing.rows)} deliver{'y' if len(listing.rows) == 1 else 'ies'} in"
            f" {location.table}{_filters(args)},"
            " most recent first"
        )
    if listing.truncated:
        print(
            f"Stopped after scanning {listing.scanned} records (page or time limit):"
            " older deliveries may be missing."
        )
    return 0


def _filters(args: argparse.Namespace) -> str:
    parts = []
    if args.source:
        parts.append(f"source {args.source}")
    if args.since:
        parts.append(f"since {args.since}")
    return f" ({', '.join(parts)})" if parts else ""


def _since(text: str | None) -> datetime | None:
    from webhook_to_track.queue.replay import parse_since

    if text is None:
        return None
    try:
        return parse_since(text)
    except ValueError as exc:
        raise CommandError(f"--since: {exc}") from None


def _options() -> argparse.ArgumentParser:
    location = argparse.ArgumentParser(add_help=False)
    where = add_location_options(location, "where the records are")
    where.add_argument(
        "--table", help="the idempotency table (default: the stack's IdempotencyTableName)"
    )
    location.add_argument("--json", action="store_true", help="print one JSON document")
    return location


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    location = _options()
    deliveries = commands.add_parser(
        "deliveries", help="what happened to a delivery: its record, its calls, dead letters"
    )
    verbs = deliveries.add_subparsers(dest="deliveries_command", required=True)
    show = verbs.add_parser(
        "show",
        parents=[common, location],
        help="one delivery: its record, each call's outcome, its dead letters",
    )
    show.add_argument("source", help="the source name, as in /webhooks/{source}")
    show.add_argument("delivery_id", help="the sender's delivery id (e.g. Stripe's evt_...)")
    show.add_argument(
        "--limit",
        type=int,
        default=1000,
        help="read at most this many dead letters (default: %(default)s)",
    )
    show.set_defaults(run=command_show)
    listing = verbs.add_parser(
        "list", parents=[common, location], help="recent delivery records, most recent first"
    )
    listing.add_argument("--source", help="only this source's deliveries")
    listing.add_argument(
        "--since", help="only deliveries recorded since: 2026-12-01T10:00:00Z, or 30m, 2h, 7d ago"
    )
    listing.add_argument(
        "--limit", type=int, default=50, help="show at most this many (default: %(default)s)"
    )
    listing.set_defaults(run=command_list)
