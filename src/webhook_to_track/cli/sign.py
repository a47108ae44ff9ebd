"""``sign``: a payload signed as its sender would, as an API Gateway event or a curl command."""

from __future__ import annotations

import argparse
import json
import shlex
import time
from pathlib import Path
from typing import Any

from webhook_to_track.cli.common import (
    local_environment,
    read_payload,
    registry_of,
    signed_event,
    signing_secret,
    source_named,
)
from webhook_to_track.local.server import local_url
from webhook_to_track.registry import Source


def _curl(source: Source, body_file: Path, headers: dict[str, str], url: str) -> str:
    parts = ["curl", "-sS", "-i", "-X", "POST", url]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", f"@{body_file}"]
    return " ".join(shlex.quote(p) for p in parts)


def command_sign(args: argparse.Namespace) -> int:
    source = source_named(registry_of(args), args.source)
    _, environment = local_environment(args)
    secret = args.secret or signing_secret(environment, source.name)
    body, extra = read_payload(Path(args.payload))
    timestamp = int(args.timestamp if args.timestamp is not None else time.time())
    if args.format == "curl":
        headers = {
            "content-type": source.preset.content_type,
            **extra,
            **source.sign(body, secret, timestamp),
        }
        # Senders that sign their URL are signed for the source file's url wherever we post.
        url = args.url or local_url(source.name)
        print(_curl(source, Path(args.payload), headers, url))
    else:
        event = signed_event(source, body, secret, timestamp, extra)
        print(json.dumps(event, indent=2, ensure_ascii=False))
    return 0


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    sign = commands.add_parser("sign", parents=[common], help="sign a payload as its sender would")
    sign.add_argument("source")
    sign.add_argument("payload", help="the raw body file, sent byte for byte")
    sign.add_argument(
        "--secret",
        help="signing secret (default: the source's in events/local-secrets.json)",
    )
    sign.add_argument("--timestamp", type=int, help="unix seconds (default: now)")
    sign.add_argument(
        "--format",
        choices=("event", "curl"),
        default="event",
        help="an API Gateway event (for invoke, sam local invoke) or a curl command (for serve)",
    )
    sign.add_argument(
        "--url",
        help="for --format curl: where to post (default: serve's "
        "http://127.0.0.1:3000/webhooks/SOURCE); give your deployed "
        "https://<api-id>.execute-api.<region>.amazonaws.com/webhooks/SOURCE to post there. "
        "Senders that sign their URL are signed for the url in the source file either way",
    )
    sign.set_defaults(run=command_sign)
