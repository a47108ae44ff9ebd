"""``rules check | try | events``: source files' problems, a payload's calls, event names."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from webhook_to_track.cli.common import pair, registry_of, source_named, sources_dir_of


def command_rules_check(args: argparse.Namespace) -> int:
    from webhook_to_track.local.rules_commands import check

    samples = (Path(args.events_dir) / "payloads", Path(args.fixtures_dir))
    code = check(sources_dir_of(args), samples)
    if code == 0:  # rules no golden file covers: a note, not a failure
        from webhook_to_track.local.golden import print_golden_note

        print_golden_note(registry_of(args), Path(args.fixtures_dir))
    return code


def command_rules_try(args: argparse.Namespace) -> int:
    from webhook_to_track.local.rules_commands import try_payload

    registry = registry_of(args)
    source_named(registry, args.source)  # a clear error for an unknown source
    headers = dict(pair(item, "--header") for item in args.header)
    return try_payload(registry, sources_dir_of(args), args.source, Path(args.payload), headers)


def command_rules_events(args: argparse.Namespace) -> int:
    from webhook_to_track.local.rules_commands import list_events

    return list_events(sources_dir_of(args), args.sources)


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    rules = commands.add_parser("rules", help="check source files, try a payload, list event names")
    checks = rules.add_subparsers(dest="rules_command", required=True)
    check = checks.add_parser(
        "check",
        parents=[common],
        help="every problem of every source file; a warning per path no sample payload has",
    )
    check.add_argument(
        "--events-dir", default="events", help="samples in <dir>/payloads/ (default: %(default)s)"
    )
    check.add_argument(
        "--fixtures-dir",
        default="tests/fixtures",
        help="more samples, <dir>/<source>/*.input.* (default: %(default)s)",
    )
    check.set_defaults(run=command_rules_check)
    trial = checks.add_parser("try", parents=[common], help="the events a payload file yields")
    trial.add_argument("source")
    trial.add_argument("payload", help="the raw body file, as the sender sends it")
    trial.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a request header the rules read ($headers.<name>)",
    )
    trial.set_defaults(run=command_rules_try)
    names = checks.add_parser("events", parents=[common], help="every event name the rules emit")
    names.add_argument("sources", nargs="*", help="only these sources (default: all)")
    names.set_defaults(run=command_rules_events)
