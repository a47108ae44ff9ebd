"""The ``webhook-to-track`` command: run the real handler locally, sign payloads, refresh events."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from webhook_to_track.errors import ConfigurationError, UnknownSourceError
from webhook_to_track.local.events import (
    event_body,
    is_sample_payload,
    make_apigw_event,
    sample_headers,
)
from webhook_to_track.local.runtime import Drained
from webhook_to_track.registry import Registry, Source, load_registry
from webhook_to_track.request import parse_request
from webhook_to_track.signing_keys import SecretsDocument, parse_secrets_document

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
    from webhook_to_track.local.events import write_forwarder_samples

    for path in write_forwarder_samples(events_dir, registry):
        print(f"wrote {path} (SQS event for sam local invoke ForwarderFunction)")
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


def _function_environments(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """(template, one environment for both functions: the ingest's, then the forwarder's
    variables it does not set; both read the same table, queue and secrets)."""
    from webhook_to_track.local.template import FORWARDER_ID, function_environment

    template, environment = _local_environment(args)
    env_json = _read_json(Path(args.env_file)) if Path(args.env_file).exists() else {}
    if FORWARDER_ID in template.get("Resources", {}):
        forwarder = function_environment(template, env_json, FORWARDER_ID)
        environment = {**forwarder, **environment}
    return template, environment


def _run_locally(
    event: dict[str, Any], environment: dict[str, str], template: dict[str, Any]
) -> tuple[dict[str, Any], Drained]:
    from webhook_to_track.local.runtime import local_runtime
    from webhook_to_track.local.template import function_timeout

    with local_runtime(template, environment, function_timeout(template)) as runtime:
        response = runtime.ingest(event)
        return response, runtime.drain()


def _print_request(request: dict[str, Any], number: int, total: int, sent: bool) -> None:
    note = "sent" if sent else "dry run: not sent"
    print(f"\nUserpilot request {number} of {total} ({note})")
    print(f"{request['method']} {request['url']}")
    for name, value in request["headers"].items():
        print(f"{name}: {value}")
    print()
    print(json.dumps(request["body"], indent=2, ensure_ascii=False))


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
        _print_request(request, number, len(drained.requests), sent)
    if drained.failed:
        print(f"\n{drained.failed} call(s) were not delivered and stay queued; see the log.")
    if not drained.requests and 200 <= response["statusCode"] < 300:
        print("\nNo Userpilot request shown (nothing to send, or sent for real with --send).")


def command_invoke(args: argparse.Namespace) -> int:
    template, environment = _function_environments(args)
    event = _read_json(Path(args.event))
    if not isinstance(event, dict):
        raise CommandError(f"{args.event}: an API Gateway event is a JSON object")
    if args.fresh:
        event = _refresh(event, _registry(args), lambda name: _signing_secret(environment, name))
    environment.update(
        {
            "POWERTOOLS_IDEMPOTENCY_DISABLED": "false",  # env.json disables it for sam local only
            "FORWARD_MODE": "send" if args.send else "dry-run",
        }
    )
    if args.sources_dir:
        environment["SOURCES_DIR"] = args.sources_dir
    environment.update(_pair(item, "--env") for item in args.env)
    response, drained = _run_locally(event, environment, template)
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
    ok = 200 <= int(response["statusCode"]) < 300 and not drained.failed
    return 0 if ok else 1


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


# --- dlq list / replay ---------------------------------------------------------------------------

REPLAY_NOTE: Final = (
    "Calls that were already delivered are not sent twice: the forwarder's record on each "
    "call key suppresses them (metric DuplicateSuppressed)."
)


class _AwsErrors:
    """botocore's errors as one line each (no region, no credentials, refused, unreachable)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

        if isinstance(exc, NoRegionError):
            raise CommandError("no AWS region: pass --region or set AWS_REGION") from None
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code, message = error.get("Code"), error.get("Message")
            raise CommandError(f"AWS refused: {code}: {message}") from None
        if isinstance(exc, BotoCoreError):
            raise CommandError(f"AWS: {exc}") from None


def _forward_queues(args: argparse.Namespace) -> tuple[Any, Any]:
    """(an SQS client, the ForwardQueues) from the location options."""
    from webhook_to_track.local.stack import Endpoint, StackError, resolve_queues

    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    endpoint = Endpoint(args.region, args.endpoint_url)
    try:
        queues = resolve_queues(
            queue_url=args.queue_url,
            dlq_url=args.dlq_url,
            stack=args.stack,
            cloudformation=lambda: endpoint.client("cloudformation"),
            samconfig=Path(args.samconfig),
            config_env=args.config_env,
        )
    except StackError as exc:
        raise CommandError(str(exc)) from None
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


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


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
    return _table(rows)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def command_dlq_list(args: argparse.Namespace) -> int:
    from webhook_to_track.queue.replay import list_dead_letters

    with _AwsErrors():
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
    print(f"\n{_plural(len(listing), 'dead letter')} in {queues.dlq_url}{more}")
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
    with _AwsErrors():
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
        print(f"Nothing to replay: none of {_plural(examined, 'dead letter')} matched.")
    else:
        done = report.matched if report.dry_run else report.replayed
        verb = "Would replay" if report.dry_run else "Replayed"
        print(f"{verb} {_plural(len(done), 'call')} to {queue_url}:")
        for line in _letter_rows(done, with_error=False):
            print(f"  {line}")
    print("\n" + _replay_notes(report))
    if report.failed:
        print(f"{_plural(len(report.failed), 'call')} could not be sent and stay in the DLQ.")
    if report.not_deleted:
        print(
            f"{_plural(len(report.not_deleted), 'call')} were sent but are still in the DLQ "
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
    where = location.add_argument_group("where the queues are")
    where.add_argument("--stack", help="deployed stack name (default: samconfig.toml's)")
    where.add_argument("--samconfig", default="samconfig.toml", help="(default: %(default)s)")
    where.add_argument(
        "--config-env", default="default", help="samconfig environment (default: %(default)s)"
    )
    where.add_argument("--queue-url", help="the forward queue's URL (with --dlq-url: no stack)")
    where.add_argument("--dlq-url", help="the dead-letter queue's URL")
    where.add_argument(
        "--endpoint-url", help="a local SQS/CloudFormation stand-in, e.g. http://127.0.0.1:5000"
    )
    where.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    location.add_argument(
        "--limit", type=int, default=1000, help="read at most this many (default: %(default)s)"
    )
    location.add_argument("--json", action="store_true", help="print one JSON document")
    return location


def _add_dlq_commands(commands: Any) -> None:
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
    _add_dlq_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (CommandError, ConfigurationError, OSError) as exc:
        print(f"webhook-to-track {args.command}: {exc}", file=sys.stderr)
        return 2
