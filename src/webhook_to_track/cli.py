"""The ``webhook-to-track`` command: run the real handler locally, sign payloads, refresh events."""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, cast

from webhook_to_track.errors import ConfigurationError, UnknownSourceError
from webhook_to_track.local.events import (
    event_body,
    is_sample_payload,
    make_apigw_event,
    sample_headers,
)
from webhook_to_track.registry import Registry, Source, load_registry
from webhook_to_track.request import parse_request
from webhook_to_track.signing_keys import SecretsDocument, parse_secrets_document

LOCAL_TABLE: Final = "webhook-to-track-local-idempotency"
BAD_SIGNING_KEY: Final = "whsec_not_the_configured_secret"
BAD_SIGNATURE_EVENT: Final = "bad-signature.json"


class CommandError(Exception):
    """A problem with the command's input, printed without a traceback."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except ValueError as exc:
        raise CommandError(f"{path}: not valid JSON ({exc})") from None


def _registry(args: argparse.Namespace) -> Registry:
    return load_registry(Path(args.sources_dir) if args.sources_dir else None)


def _source(registry: Registry, name: str) -> Source:
    try:
        return registry.get(name)
    except UnknownSourceError:
        known = ", ".join(sorted(registry.sources)) or "none"
        raise CommandError(f"unknown source {name!r} (configured: {known})") from None


def _local_environment(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """(template, the function environment sam local would build from template + env.json)."""
    from webhook_to_track.local.template import function_environment, load_template

    template = load_template(Path(args.template))
    env_json = _read_json(Path(args.env_file)) if Path(args.env_file).exists() else {}
    return template, function_environment(template, env_json)


def _local_secrets(environment: dict[str, str]) -> SecretsDocument:
    raw = environment.get("SECRETS_JSON")
    if not raw:
        raise CommandError("no SECRETS_JSON in env.json: local test secrets live there")
    try:
        return parse_secrets_document(json.loads(raw))
    except (ValueError, ConfigurationError) as exc:
        raise CommandError(
            f"SECRETS_JSON in env.json is not a valid secrets document: {exc}"
        ) from None


def _signing_secret(environment: dict[str, str], source: str) -> str:
    """The source's local test secret (the first one in env.json's SECRETS_JSON)."""
    secrets = _local_secrets(environment).for_source(source)
    if not secrets:
        raise CommandError(f"env.json has no test secret for {source!r}; pass --secret")
    return secrets[0]


def signed_event(
    source: Source,
    body: bytes,
    secret: str,
    timestamp: int,
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway event carrying ``body`` signed exactly as the sender would, with the
    sample's other headers (e.g. x-shopify-topic)."""
    headers = {
        "content-type": source.preset.content_type,
        "user-agent": source.preset.user_agent,
        **(extra_headers or {}),
        **source.sign(body, secret, timestamp),
    }
    return make_apigw_event(source.name, body, headers, now=timestamp)


def _payload(path: Path) -> tuple[bytes, dict[str, str]]:
    """A sample's raw body and its sidecar headers."""
    try:
        return path.read_bytes(), sample_headers(path)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except ValueError as exc:
        raise CommandError(str(exc)) from None


# --- sign ---------------------------------------------------------------------------------------


def _curl(source: Source, body_file: Path, headers: dict[str, str], url: str) -> str:
    parts = ["curl", "-sS", "-X", "POST", url]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", f"@{body_file}"]
    return " ".join(shlex.quote(p) for p in parts)


def command_sign(args: argparse.Namespace) -> int:
    source = _source(_registry(args), args.source)
    _, environment = _local_environment(args)
    secret = args.secret or _signing_secret(environment, source.name)
    body, extra = _payload(Path(args.payload))
    timestamp = int(args.timestamp if args.timestamp is not None else time.time())
    if args.format == "curl":
        headers = {
            "content-type": source.preset.content_type,
            **extra,
            **source.sign(body, secret, timestamp),
        }
        url = (
            args.url
            or source.options.get("url")  # senders that sign the URL: the one they call
            or f"https://YOUR-API-ID.execute-api.REGION.amazonaws.com/webhooks/{source.name}"
        )
        print(_curl(source, Path(args.payload), headers, url))
    else:
        event = signed_event(source, body, secret, timestamp, extra)
        print(json.dumps(event, indent=2, ensure_ascii=False))
    return 0


# --- events -------------------------------------------------------------------------------------


def _write_event(path: Path, event: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n", "utf-8")


def command_events(args: argparse.Namespace) -> int:
    """Re-sign every payload under events/payloads/<source>/ into events/<source>/."""
    registry = _registry(args)
    _, environment = _local_environment(args)
    events_dir = Path(args.events_dir)
    now = int(time.time())
    written = 0
    for payload_dir in sorted(p for p in (events_dir / "payloads").iterdir() if p.is_dir()):
        source = _source(registry, payload_dir.name)
        secret = _signing_secret(environment, source.name)
        # Any file: JSON senders' samples are .json, form senders' are .form (raw bodies).
        payloads = sorted(p for p in payload_dir.iterdir() if is_sample_payload(p))
        for payload in payloads:
            event = signed_event(source, *_signed_parts(payload, secret, now))
            _write_event(events_dir / source.name / f"{payload.stem}.json", event)
            written += 1
        if payloads:  # the same first payload, signed with a secret nobody configured: a 401
            event = signed_event(source, *_signed_parts(payloads[0], BAD_SIGNING_KEY, now))
            _write_event(events_dir / source.name / BAD_SIGNATURE_EVENT, event)
            written += 1
    print(
        f"wrote {written} signed events under {events_dir}/ (valid for {_tolerance_note(registry)})"
    )
    return 0


def _signed_parts(payload: Path, secret: str, now: int) -> tuple[bytes, str, int, dict[str, str]]:
    body, extra = _payload(payload)
    return body, secret, now, extra


def _tolerance_note(registry: Registry) -> str:
    """How long the freshly signed samples stay valid: the shortest tolerance wins."""
    tolerances = sorted(
        (int(s.options["tolerance_s"]), s.name)
        for s in registry.sources.values()
        if "tolerance_s" in s.options
    )
    if not tolerances:
        return "ever: no timestamp is signed"
    (shortest, name), longest = tolerances[0], tolerances[-1][0]
    return f"{shortest} s for {name}, up to {longest} s for the others"


# --- invoke -------------------------------------------------------------------------------------


def _refresh(
    event: dict[str, Any], registry: Registry, secret: Callable[[str], str]
) -> dict[str, Any]:
    """The same event, its signature headers replaced by fresh ones from the local test secret."""
    request = parse_request(event, max_body_bytes=sys.maxsize)
    source = _source(registry, request.source)
    signature = source.sign(event_body(event), secret(source.name), int(time.time()))
    return {**event, "headers": {**request.headers, **signature}}


def _run_handler(
    event: dict[str, Any], environment: dict[str, str], template: dict[str, Any]
) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from webhook_to_track.local.aws import embedded_dynamodb, patched_environ
    from webhook_to_track.local.context import LocalLambdaContext
    from webhook_to_track.local.template import function_timeout

    context = LocalLambdaContext(timeout_s=function_timeout(template))
    # Logs and metrics go to stderr, so stdout carries only the response and the requests.
    with (
        patched_environ(environment),
        embedded_dynamodb(template, LOCAL_TABLE),
        contextlib.redirect_stdout(sys.stderr),
    ):
        from webhook_to_track.local.reset import reset_caches

        reset_caches()
        from webhook_to_track.handler import lambda_handler

        result: dict[str, Any] = lambda_handler(event, cast(LambdaContext, context))
        return result


def _print_response(response: dict[str, Any]) -> None:
    body = json.loads(response.get("body") or "{}")
    requests = body.pop("would_send", []) if isinstance(body, dict) else []
    print(f"Lambda response: {response['statusCode']}")
    print(json.dumps(response.get("headers", {}), indent=2))
    print(json.dumps(body, indent=2, ensure_ascii=False))
    for number, request in enumerate(requests, start=1):
        print(f"\nUserpilot request {number} of {len(requests)} (dry run: not sent)")
        print(f"{request['method']} {request['url']}")
        for name, value in request["headers"].items():
            print(f"{name}: {value}")
        print()
        print(json.dumps(request["body"], indent=2, ensure_ascii=False))
    if not requests and 200 <= response["statusCode"] < 300:
        print("\nNo Userpilot request (nothing to send, or sent for real with --send).")


def command_invoke(args: argparse.Namespace) -> int:
    template, environment = _local_environment(args)
    event = _read_json(Path(args.event))
    if not isinstance(event, dict):
        raise CommandError(f"{args.event}: an API Gateway event is a JSON object")
    if args.fresh:
        event = _refresh(event, _registry(args), lambda name: _signing_secret(environment, name))
    environment.update(
        {
            "IDEMPOTENCY_TABLE": LOCAL_TABLE,
            "POWERTOOLS_IDEMPOTENCY_DISABLED": "false",  # env.json disables it for sam local only
            "FORWARD_MODE": "send" if args.send else "dry-run",
        }
    )
    if args.sources_dir:
        environment["SOURCES_DIR"] = args.sources_dir
    environment.update(_pair(item, "--env") for item in args.env)
    response = _run_handler(event, environment, template)
    if args.json:
        body = json.loads(response.get("body") or "{}")
        requests = body.pop("would_send", []) if isinstance(body, dict) else []
        shown = {"status": response["statusCode"], "body": body, "userpilot_requests": requests}
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    else:
        _print_response(response)
    return 0 if 200 <= int(response["statusCode"]) < 300 else 1


# --- rules ---------------------------------------------------------------------------------------


def _sources_dir(args: argparse.Namespace) -> Path | None:
    return Path(args.sources_dir) if args.sources_dir else None


def command_rules_check(args: argparse.Namespace) -> int:
    from webhook_to_track.local.rules_commands import check

    return check(_sources_dir(args))


def command_rules_try(args: argparse.Namespace) -> int:
    from webhook_to_track.local.rules_commands import try_payload

    registry = _registry(args)
    _source(registry, args.source)  # a clear error for an unknown source
    headers = dict(_pair(item, "--header") for item in args.header)
    return try_payload(registry, _sources_dir(args), args.source, Path(args.payload), headers)


def command_rules_events(args: argparse.Namespace) -> int:
    from webhook_to_track.local.rules_commands import list_events

    return list_events(_sources_dir(args), args.sources)


def _pair(item: str, option: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise CommandError(f"{option} takes NAME=VALUE, not {item!r}")
    return name, value


# --- main ---------------------------------------------------------------------------------------


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

    invoke = commands.add_parser(
        "invoke", parents=[common], help="run the real handler on an API Gateway event"
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

    sign = commands.add_parser("sign", parents=[common], help="sign a payload as its sender would")
    sign.add_argument("source")
    sign.add_argument("payload", help="the raw body file, sent byte for byte")
    sign.add_argument(
        "--secret", help="signing secret (default: the source's test secret in env.json)"
    )
    sign.add_argument("--timestamp", type=int, help="unix seconds (default: now)")
    sign.add_argument("--format", choices=("event", "curl"), default="event")
    sign.add_argument("--url", help="for --format curl: the webhook URL")
    sign.set_defaults(run=command_sign)

    events = commands.add_parser(
        "events", parents=[common], help="re-sign events/payloads/* into events/"
    )
    events.add_argument("--events-dir", default="events")
    events.set_defaults(run=command_events)

    rules = commands.add_parser("rules", help="check source files, try a payload, list event names")
    checks = rules.add_subparsers(dest="rules_command", required=True)
    check = checks.add_parser("check", parents=[common], help="every problem of every source file")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (CommandError, ConfigurationError, OSError) as exc:
        print(f"webhook-to-track {args.command}: {exc}", file=sys.stderr)
        return 2
