"""``invoke``: the real ingest handler on an API Gateway event, then the forwarder on its calls."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from webhook_to_track.cli.common import (
    CommandError,
    pair,
    read_json,
    registry_of,
    runtime_environment,
    signing_secret,
    source_named,
)
from webhook_to_track.local.events import event_body
from webhook_to_track.local.runtime import Drained
from webhook_to_track.local.staleness import print_stale_sample_hint
from webhook_to_track.registry import Registry
from webhook_to_track.request import parse_request


def _refresh(
    event: dict[str, Any], registry: Registry, secret: Callable[[str], str]
) -> dict[str, Any]:
    """The same event, its signature headers replaced by fresh ones from the local test secret."""
    request = parse_request(event, max_body_bytes=sys.maxsize)
    source = source_named(registry, request.source)
    signature = source.sign(event_body(event), secret(source.name), int(time.time()))
    return {**event, "headers": {**request.headers, **signature}}


def _run_locally(
    event: dict[str, Any], environment: dict[str, str], template: dict[str, Any], verbose: bool
) -> tuple[dict[str, Any], Drained]:
    from webhook_to_track.local.runtime import local_runtime
    from webhook_to_track.local.template import function_timeout

    timeout = function_timeout(template)
    with local_runtime(template, environment, timeout, verbose=verbose) as runtime:
        response = runtime.ingest(event)
        return response, runtime.drain()


def print_request(
    request: dict[str, Any], number: int, total: int, sent: bool, out: IO[str] | None = None
) -> None:
    """One Userpilot request as sent over the wire (the key is already redacted)."""
    note = "sent" if sent else "dry run: not sent"
    lines = [f"\nUserpilot request {number} of {total} ({note})"]
    lines.append(f"{request['method']} {request['url']}")
    lines += [f"{name}: {value}" for name, value in request["headers"].items()]
    lines += ["", json.dumps(request["body"], indent=2, ensure_ascii=False)]
    print("\n".join(lines), file=out or sys.stdout, flush=True)


def _print_run(response: dict[str, Any], drained: Drained, sent: bool) -> None:
    body = json.loads(response.get("body") or "{}")
    print(f"Lambda response: {response['statusCode']}")
    print(json.dumps(response.get("headers", {}), indent=2))
    print(json.dumps(body, indent=2, ensure_ascii=False))
    queued = drained.messages
    print(f"\nQueued calls: {len(queued)} (forward queue, embedded SQS)")
    for message in queued:
        print(f"  {message['key']}  {message['kind']}  sha256 {message['body_sha256'][:12]}")
    for number, request in enumerate(drained.requests, start=1):
        print_request(request, number, len(drained.requests), sent)
    if drained.failed:
        print(f"\n{drained.failed} call(s) were not delivered and stay queued; see the log.")
    if not drained.requests and 200 <= response["statusCode"] < 300:
        print("\nNo Userpilot request shown (nothing to send, or sent for real with --send).")


def command_invoke(args: argparse.Namespace) -> int:
    template, environment = runtime_environment(args, "send" if args.send else "dry-run")
    event = read_json(Path(args.event))
    if not isinstance(event, dict):
        raise CommandError(f"{args.event}: an API Gateway event is a JSON object")
    if args.fresh:
        event = _refresh(event, registry_of(args), lambda name: signing_secret(environment, name))
    environment.update(pair(item, "--env") for item in args.env)
    response, drained = _run_locally(event, environment, template, args.verbose)
    if args.json:
        body = json.loads(response.get("body") or "{}")
        shown = {
            "status": response["statusCode"],
            "body": body,
            "queued": drained.messages,
            "userpilot_requests": drained.requests,
            "not_delivered": drained.failed,
        }
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    else:
        _print_run(response, drained, args.send)
    if not args.fresh:  # a sample too old for its source: say how to refresh it
        print_stale_sample_hint(event, response, environment, lambda: registry_of(args))
    ok = 200 <= int(response["statusCode"]) < 300 and not drained.failed
    return 0 if ok else 1


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    invoke = commands.add_parser(
        "invoke",
        parents=[common],
        help="run ingest on an API Gateway event, then the forwarder on what it queued",
    )
    invoke.add_argument(
        "event", help="API Gateway event file, e.g. events/stripe/invoice.paid.json"
    )
    invoke.add_argument(
        "--fresh", action="store_true", help="re-sign the body now with the local test secret"
    )
    invoke.add_argument(
        "--send", action="store_true", help="really send to Userpilot (needs a real key)"
    )
    invoke.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="override a variable"
    )
    invoke.add_argument(
        "--json", action="store_true", help="print the response and requests as one JSON document"
    )
    invoke.set_defaults(run=command_invoke)
