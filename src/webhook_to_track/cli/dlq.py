"""``dlq list`` and ``replay``: the dead-letter queue, locally or on the deployed stack."""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Sequence
from typing import Any, Final

from webhook_to_track.cli.common import (
    AwsErrors,
    CommandError,
    add_location_options,
    located,
    plural,
    table,
)

REPLAY_NOTE: Final = (
    "Calls that were already delivered are not sent twice: the forwarder's record on each "
    "call key suppresses them (metric DuplicateSuppressed)."
)


def _forward_queues(args: argparse.Namespace) -> tuple[Any, Any]:
    """(an SQS client, the ForwardQueues) from the location options."""
    from webhook_to_track.local.stack import resolve_queues

    endpoint, queues = located(
        args, functools.partial(resolve_queues, queue_url=args.queue_url, dlq_url=args.dlq_url)
    )
    return endpoint.client("sqs"), queues


def format_age(seconds: float | None) -> str:
    """``45s``, ``12m``, ``3h 12m``, ``2d 4h``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def _letter_rows(letters: Sequence[Any], with_error: bool = True) -> list[str]:
    header = ["SOURCE", "EVENT NAME", "REASON", "STATUS", "AGE", "KEY"]
    rows = [header + (["ERROR"] if with_error else [])]
    for letter in letters:
        row = [
            letter.source or "-",
            letter.event_name or "-",
            letter.reason,
            "-" if letter.status is None else str(letter.status),
            format_age(letter.age_s),
            letter.key or "-",
        ]
        if with_error:
            error = letter.error or ""
            row.append(error if len(error) <= 60 else error[:59] + "…")
        rows.append(row)
    return table(rows)


def command_dlq_list(args: argparse.Namespace) -> int:
    from webhook_to_track.queue.replay import list_dead_letters

    with AwsErrors():
        client, queues = _forward_queues(args)
        listing = list_dead_letters(client, queues.dlq_url, limit=args.limit)
    if args.json:
        document = {
            "dlq_url": queues.dlq_url,
            "count": len(listing),
            "truncated": listing.truncated,
            "dead_letters": [letter.to_dict() for letter in listing],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    if not listing.letters:
        print(f"No dead letters in {queues.dlq_url}")
        return 0
    for line in _letter_rows(listing.letters):
        print(line)
    more = f"; stopped at {args.limit} (--limit): there may be more" if listing.truncated else ""
    print(f"\n{plural(len(listing), 'dead letter')} in {queues.dlq_url}{more}")
    return 0


def _since(text: str | None) -> Any:
    from webhook_to_track.queue.replay import parse_since

    if text is None:
        return None
    try:
        return parse_since(text)
    except ValueError as exc:
        raise CommandError(f"--since: {exc}") from None


def command_replay(args: argparse.Namespace) -> int:
    from webhook_to_track.queue.replay import replay

    since = _since(args.since)
    with AwsErrors():
        client, queues = _forward_queues(args)
        report = replay(
            client,
            queues.dlq_url,
            queues.queue_url,
            source=args.source,
            event_name=args.event_name,
            since=since,
            reason=args.reason,
            dry_run=args.dry_run,
            forget=_forgetter(args, queues) if args.resend_ambiguous else None,
            limit=args.limit,
        )
    if args.json:
        document = {
            "dlq_url": queues.dlq_url,
            "queue_url": queues.queue_url,
            "dry_run": report.dry_run,
            "truncated": report.truncated,
            **{
                name: [letter.to_dict() for letter in getattr(report, name)]
                for name in (
                    "matched",
                    "replayed",
                    "failed",
                    "not_deleted",
                    "kept",
                    "skipped",
                    "held",
                )
            },
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        _print_replay(report, queues.dlq_url, queues.queue_url)
    return 1 if report.failed or report.not_deleted else 0


def _forgetter(args: argparse.Namespace, queues: Any) -> Any:
    """--resend-ambiguous: erase each ambiguous call's record in the stack's (or --table's)
    idempotency table before it goes back."""
    from webhook_to_track.local.stack import Endpoint, StackError, stack_outputs
    from webhook_to_track.queue.replay import call_record_forgetter

    endpoint = Endpoint(args.region, args.endpoint_url)
    table = args.table
    if table is None and queues.stack is not None:
        outputs = stack_outputs(endpoint.client("cloudformation"), queues.stack).outputs
        table = outputs.get("IdempotencyTableName")
    if not table:
        raise CommandError(
            "--resend-ambiguous needs the idempotency table: pass --table, or --stack"
            " with an IdempotencyTableName output"
        )
    try:
        return call_record_forgetter(endpoint.client("dynamodb"), table)
    except StackError as exc:
        raise CommandError(str(exc)) from None


def _replay_notes(report: Any) -> str:
    notes = [f"kept {len(report.kept)} (not matching)"]
    if report.skipped:
        notes.append(f"skipped {len(report.skipped)} (not a forward message: never replayed)")
    if report.held:
        notes.append(
            f"held {len(report.held)} ambiguous (Userpilot may have them: check, then pass"
            " --resend-ambiguous to send them again)"
        )
    return ", ".join(notes).capitalize() + "."


def _print_replay(report: Any, dlq_url: str, queue_url: str) -> None:
    examined = len(report.matched) + len(report.kept) + len(report.skipped) + len(report.held)
    if not examined:
        print(f"Nothing to replay: {dlq_url} is empty.")
    elif not report.matched:
        print(f"Nothing to replay: none of {plural(examined, 'dead letter')} matched.")
    else:
        done = report.matched if report.dry_run else report.replayed
        verb = "Would replay" if report.dry_run else "Replayed"
        print(f"{verb} {plural(len(done), 'call')} to {queue_url}:")
        for line in _letter_rows(done, with_error=False):
            print(f"  {line}")
    print("\n" + _replay_notes(report))
    if report.failed:
        print(f"{plural(len(report.failed), 'call')} could not be sent and stay in the DLQ.")
    if report.not_deleted:
        print(
            f"{plural(len(report.not_deleted), 'call')} were sent but are still in the DLQ "
            "(replaying them again is harmless)."
        )
    if report.truncated:
        print("Stopped at the --limit or time limit: run it again for the rest.")
    if report.dry_run:
        print("Dry run: nothing was sent or deleted.")
    elif report.replayed:
        print(REPLAY_NOTE)


def _location_options() -> argparse.ArgumentParser:
    location = argparse.ArgumentParser(add_help=False)
    add_location_options(location)
    location.add_argument(
        "--limit", type=int, default=1000, help="read at most this many (default: %(default)s)"
    )
    location.add_argument("--json", action="store_true", help="print one JSON document")
    return location


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    from webhook_to_track.queue.replay import MALFORMED, REASONS

    location = _location_options()
    dlq = commands.add_parser("dlq", help="the dead-letter queue: calls set aside, and why")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = dlq_commands.add_parser(
        "list", parents=[location], help="every dead letter (the queue is left as it was)"
    )
    listing.set_defaults(run=command_dlq_list)

    again = commands.add_parser(
        "replay",
        parents=[location],
        help="send dead letters back to the forward queue (delivered calls stay suppressed)",
    )
    again.add_argument("--source", help="only this source's calls")
    again.add_argument("--event-name", help="only calls with this event name")
    again.add_argument(
        "--since", help="only calls received since: 2026-12-01T10:00:00Z, or 30m, 2h, 7d ago"
    )
    again.add_argument(
        "--reason",
        choices=[reason for reason in REASONS if reason != MALFORMED],
        help="only dead letters set aside for this (malformed ones are never replayed)",
    )
    again.add_argument(
        "--dry-run", action="store_true", help="show what would be replayed; change nothing"
    )
    again.add_argument(
        "--resend-ambiguous",
        action="store_true",
        help="also send ambiguous calls again (their record says sent): only once you have"
        " checked that Userpilot does not have them",
    )
    again.add_argument(
        "--table", help="with --resend-ambiguous: the idempotency table (default: the stack's)"
    )
    again.set_defaults(run=command_replay)
