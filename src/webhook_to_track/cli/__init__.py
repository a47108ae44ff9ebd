"""The webhook-to-track command: run the real handlers locally, sign payloads, refresh
events, check rules, inspect and replay dead letters."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from webhook_to_track.cli import deliveries, dlq, events, invoke, rules, serve, sign, sources
from webhook_to_track.cli.common import CommandError, signed_event
from webhook_to_track.cli.events import BAD_SIGNATURE_EVENT
from webhook_to_track.errors import ConfigurationError
from webhook_to_track.local.secrets import LOCAL_SECRETS_FILE
from webhook_to_track.settings import SOURCES_DIR

__all__ = ["BAD_SIGNATURE_EVENT", "main", "signed_event"]

COMMANDS = (invoke, serve, sign, events, rules, dlq, deliveries, sources)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--template", default="template.yaml", help="SAM template (default: %(default)s)"
    )
    common.add_argument(
        "--env-file", default="env.json", help="sam local env vars (default: %(default)s)"
    )
    common.add_argument(
        "--sources-dir",
        default=os.environ.get(SOURCES_DIR) or None,
        help=f"source files folder (default: ${SOURCES_DIR}, else the packaged ones)",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", help="show INFO logs and metrics on stderr"
    )
    common.add_argument(
        "--secrets-file",
        default=LOCAL_SECRETS_FILE,
        help="local test secrets, the secrets document (default: %(default)s)",
    )

    parser = argparse.ArgumentParser(prog="webhook-to-track", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    for command in COMMANDS:
        command.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a reader gone early (``| head``) shows here, not at exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except (CommandError, ConfigurationError, OSError) as exc:
        print(f"webhook-to-track {args.command}: {exc}", file=sys.stderr)
        return 2


def _reader_gone() -> int:
    """The reader closed our stdout (``rules events | head -1``): stop quietly. Python's recipe
    (signal module docs, "Note on SIGPIPE"): point stdout at devnull, so the flush at exit
    does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1
