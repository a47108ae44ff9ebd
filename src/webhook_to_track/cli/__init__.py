"""The webhook-to-track command: run the real handlers locally, sign payloads, refresh
events, check rules, inspect and replay dead letters."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from webhook_to_track.cli import dlq, events, invoke, rules, sign
from webhook_to_track.cli.common import CommandError, signed_event
from webhook_to_track.cli.events import BAD_SIGNATURE_EVENT
from webhook_to_track.errors import ConfigurationError

__all__ = ["BAD_SIGNATURE_EVENT", "main", "signed_event"]

COMMANDS = (invoke, sign, events, rules, dlq)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--template", default="template.yaml", help="SAM template (default: %(default)s)"
    )
    common.add_argument(
        "--env-file", default="env.json", help="sam local env vars (default: %(default)s)"
    )
    common.add_argument("--sources-dir", help="source files folder (default: the packaged ones)")

    parser = argparse.ArgumentParser(prog="webhook-to-track", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    for command in COMMANDS:
        command.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (CommandError, ConfigurationError, OSError) as exc:
        print(f"webhook-to-track {args.command}: {exc}", file=sys.stderr)
        return 2
