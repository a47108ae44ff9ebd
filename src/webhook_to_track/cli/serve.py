"""``serve``: a local HTTP endpoint for curl and sender CLIs, in front of the real handlers."""

from __future__ import annotations

import argparse
import ipaddress
import json
import shlex
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import urlsplit

from webhook_to_track.cli.common import (
    CommandError,
    pair,
    plural,
    registry_of,
    runtime_environment,
    source_named,
)
from webhook_to_track.cli.invoke import print_request
from webhook_to_track.local.events import is_sample_payload
from webhook_to_track.local.runtime import AwsServer, Drained, LocalAwsError, LocalRuntime
from webhook_to_track.local.server import DEFAULT_PORT, Exchange, LocalServer, local_url
from webhook_to_track.registry import Registry
from webhook_to_track.settings import LOCAL_SIGNATURE_TOLERANCE_S

DEFAULT_AWS_PORT: Final = 5005
LOOPBACK_NAMES: Final = frozenset({"localhost"})
HINT_SOURCE: Final = "stripe"
HINT_SAMPLE: Final = "invoice.paid.json"
PROGRAM: Final = "webhook-to-track"


class Printer:
    """One line per request on stdout; the Userpilot requests under it (dry run)."""

    def __init__(self, out: IO[str], *, mode: str, verbose: bool) -> None:
        self.out = out
        self.mode = mode
        self.verbose = verbose
        self.outcomes: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def _print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def served(self, exchange: Exchange) -> None:
        body = exchange.body
        outcome, what = _outcome(exchange)
        self.outcomes[outcome] += 1
        self._count(exchange.drained)
        delivery = str(body.get("delivery_id") or "-")
        timing = f"{exchange.answer_ms:.0f} ms"
        if exchange.drained is not None:
            timing += f", forwarder {exchange.forward_ms:.0f} ms"
        line = [
            time.strftime("%H:%M:%S", time.localtime(exchange.at)),
            str(exchange.status),
            exchange.source or "-",
            delivery,
            what + self._calls(exchange.drained),
            f"({timing})",
        ]
        self._print("  ".join(line))
        if exchange.forward_error:
            self._print(f"    forwarder failed: {exchange.forward_error}")
        if exchange.drained is not None:
            self._requests(exchange.drained)

    def retried(self, drained: Drained) -> None:
        now = time.strftime("%H:%M:%S")
        self._count(drained)
        self._print(f"{now}  retry  {self._calls(drained).removeprefix('; ')}")
        self._requests(drained)

    def _calls(self, drained: Drained | None) -> str:
        if drained is None or not drained.messages:
            return ""
        done = "shown (dry run)" if self.mode == "dry-run" else "sent"
        parts = [f"{drained.delivered} {done}"]
        if drained.failed:
            parts.append(f"{drained.failed} to retry")
        if drained.parked:
            parts.append(f"{drained.parked} parked in the DLQ")
        return "; " + ", ".join(parts)

    def _count(self, drained: Drained | None) -> None:
        if drained is not None:
            self.calls["delivered"] += drained.delivered
            self.calls["parked"] += drained.parked

    def _requests(self, drained: Drained) -> None:
        total = len(drained.requests)
        for number, request in enumerate(drained.requests, start=1):
            if self.verbose:
                print_request(request, number, total, sent=False, out=self.out)
            else:
                body = json.dumps(request["body"], separators=(",", ":"), ensure_ascii=False)
                self._print(f"    {request['method']} {request['url']} {body}")
        if self.mode != "dry-run":
            for message in drained.messages:
                self._print(f"    {message['kind']} {message['key']}")

    def summary(self) -> str:
        requests = sum(self.outcomes.values())
        parts = [
            f"{count} {name}{'s' if name == 'duplicate' and count != 1 else ''}"
            for name, count in sorted(self.outcomes.items())
        ]
        done = "shown (dry run)" if self.mode == "dry-run" else "sent"
        text = f"Stopped after {plural(requests, 'request')}"
        if parts:
            text += f" ({', '.join(parts)})"
        text += f"; {plural(self.calls['delivered'], 'Userpilot call')} {done}"
        if self.calls["parked"]:
            text += f", {self.calls['parked']} parked"
        return text + "."


def _outcome(exchange: Exchange) -> tuple[str, str]:
    """(the outcome counted in the summary, the words of the line)."""
    body = exchange.body
    if exchange.source is None:
        return "not found", f"no route: {exchange.method} {exchange.path}"
    error = body.get("error")
    if isinstance(error, dict):
        return "refused", f"{error.get('code')}: {error.get('message')}"
    if body.get("duplicate"):
        return "duplicate", "duplicate: nothing new queued"
    if body.get("status") == "ignored":
        return "ignored", f"ignored: {body.get('reason')}"
    if body.get("status") == "handshake" or "queued" not in body:
        return "answered", str(body.get("status") or "answered")
    queued, rejected = len(body.get("queued", [])), len(body.get("rejected", []))
    words = f"{plural(queued, 'call')} queued"
    if rejected:
        words += f", {rejected} rejected by the rules"
    return "accepted", words


def _is_loopback(host: str) -> bool:
    try:
        return host in LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_host(host: str, allow_remote: bool) -> str:
    if not _is_loopback(host) and not allow_remote:
        raise CommandError(
            f"--host {host} is not a loopback address; serve listens on 127.0.0.1 only, "
            "unless --allow-remote (anyone who reaches it can post test deliveries)"
        )
    return host


def _with_secrets(environment: dict[str, str], registry: Registry, items: list[str]) -> None:
    """Put each ``--secret SOURCE=SECRET`` first in that source's local secrets (SECRETS_JSON)."""
    if not items:
        return
    try:
        document = json.loads(environment.get("SECRETS_JSON") or "{}")
    except ValueError:
        raise CommandError("SECRETS_JSON is not valid JSON; cannot add --secret") from None
    if not isinstance(document, dict):
        raise CommandError("SECRETS_JSON is not a JSON object; cannot add --secret")
    sources = document.setdefault("sources", {})
    for item in items:
        name, secret = pair(item, "--secret")
        source = source_named(registry, name).name
        sources[source] = [secret, *[s for s in sources.get(source, []) if s != secret]]
    environment["SECRETS_JSON"] = json.dumps(document)


def _mode(args: argparse.Namespace) -> str:
    """A stand-in on loopback is sent to; any other --userpilot-url needs --send as well."""
    if args.userpilot_url and not args.send:
        host = urlsplit(args.userpilot_url).hostname or ""
        if host not in LOOPBACK_NAMES and not _is_loopback(host):
            raise CommandError(
                f"--userpilot-url {args.userpilot_url} is not on this machine; add --send to "
                "really send there"
            )
    return "send" if args.send or args.userpilot_url else "dry-run"


def _environment(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    template, environment = runtime_environment(args, _mode(args))
    if args.userpilot_url:
        environment["USERPILOT_HOST"] = args.userpilot_url
    # Live senders sign as they send: their timestamps are checked as the deployed function
    # checks them. env.json's override is for replaying old samples (sam local, invoke).
    environment.pop(LOCAL_SIGNATURE_TOLERANCE_S, None)
    _with_secrets(environment, registry_of(args), args.secret)
    environment.update(pair(item, "--env") for item in args.env)
    return template, environment


def _sample(registry: Registry) -> tuple[str, str]:
    """A source and one of its sample payloads, for the hint."""
    names = sorted(registry.sources)
    source = HINT_SOURCE if HINT_SOURCE in registry.sources else (names[0] if names else "SOURCE")
    folder = Path("events/payloads") / source
    samples = sorted(p for p in folder.glob("*") if is_sample_payload(p)) if folder.is_dir() else []
    preferred = [p for p in samples if p.name == HINT_SAMPLE]
    return source, str((preferred or samples)[0]) if samples else "PAYLOAD_FILE"


def program() -> str:
    """How to run this command again from here: its name when it is on PATH, else its path."""
    argv0 = Path(sys.argv[0])
    if shutil.which(PROGRAM):
        return PROGRAM
    if argv0.name == PROGRAM:
        found = argv0.resolve()
        try:
            return str(found.relative_to(Path.cwd()))
        except ValueError:
            return str(found)
    return f"{Path(sys.executable).name} -m webhook_to_track"


def banner(
    server: LocalServer, runtime: LocalRuntime, registry: Registry, forwarding: str
) -> list[str]:
    host, port = str(server.server_address[0]), server.port
    shown = f"[{host}]" if ":" in host else host
    me = program()
    source, sample = _sample(registry)
    sign = ["sign", "--format", "curl", source, sample]
    if port != DEFAULT_PORT or shown != "127.0.0.1":
        sign += ["--url", local_url(source, port, shown)]
    endpoint = runtime.endpoint_url or ""
    return [
        f"Listening on http://{shown}:{port}/webhooks/{{source}}; {forwarding}",
        f"Local AWS (moto server) at {endpoint}, table {runtime.table}; from another terminal:",
        f"  {me} dlq list --endpoint-url {endpoint} --queue-url {runtime.queue_url}"
        f" --dlq-url {runtime.dlq_url}",
        f"  {me} deliveries show SOURCE DELIVERY_ID --endpoint-url {endpoint}"
        f" --table {runtime.table} --queue-url {runtime.queue_url} --dlq-url {runtime.dlq_url}",
        "Send it a delivery:",
        f'  eval "$({me} {shlex.join(sign)})"',
        f"  stripe listen --forward-to {shown}:{port}/webhooks/stripe"
        "   (and serve --secret stripe=<the whsec_ it prints>)",
        f"  hookdeck listen {port} SOURCE --path /webhooks/SOURCE",
        "Ctrl-C stops.",
    ]


def _forwarding(mode: str) -> str:
    """What happens to the calls, in words (read inside the runtime: its settings)."""
    if mode == "dry-run":
        return "dry run: the Userpilot requests are printed, not sent (--send sends them)"
    from webhook_to_track.settings import get_settings

    return f"sending the calls to {get_settings().userpilot_url}"


@contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """``kill`` stops serve as Ctrl-C does: summary, no traceback (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_serve(
    args: argparse.Namespace,
    out: IO[str],
    ready: Callable[[LocalServer], None] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Serve until Ctrl-C (or ``server.shutdown()``), printing to ``out`` and logging to ``err``
    (default: stderr); ``ready`` gets the server once it listens."""
    from webhook_to_track.local.runtime import local_runtime
    from webhook_to_track.local.template import function_timeout

    host = _checked_host(args.host, args.allow_remote)
    template, environment = _environment(args)
    registry = registry_of(args)
    mode = _mode(args)
    printer = Printer(out, mode=mode, verbose=args.verbose)
    aws = AwsServer("127.0.0.1", args.aws_port)
    listening = False
    with _interrupt_on_sigterm():
        try:
            with local_runtime(
                template,
                environment,
                function_timeout(template),
                verbose=args.verbose,
                aws_server=aws,
                log_stream=err,
            ) as runtime:
                runtime.check_settings()
                with _listen(host, args.port, runtime, printer) as server:
                    listening = True
                    for line in banner(server, runtime, registry, _forwarding(mode)):
                        print(line, file=out, flush=True)
                    if ready is not None:
                        ready(server)
                    server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            if listening:
                print(f"\n{printer.summary()}", file=out, flush=True)
    return 0


def _listen(host: str, port: int, runtime: LocalRuntime, printer: Printer) -> LocalServer:
    try:
        return LocalServer((host, port), runtime, printer)
    except OSError as exc:
        raise CommandError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another --port"
        ) from None


def command_serve(args: argparse.Namespace) -> int:
    try:
        return run_serve(args, sys.stdout)
    except LocalAwsError as exc:
        raise CommandError(f"{exc}; pick another --aws-port (0: any free port)") from None


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="a local HTTP endpoint for curl, stripe listen and hookdeck listen",
        description=(
            "Answer POST /webhooks/{source} on 127.0.0.1 with the real ingest handler (as API "
            "Gateway would call it), then run the real forwarder on what it queued. DynamoDB "
            "and SQS are a local moto server, kept for the whole run, so a delivery sent twice "
            "is a duplicate. Forwarding is a dry run unless --send or --userpilot-url."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="listen address (default: %(default)s)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="listen port (default: %(default)s)"
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that is not loopback (anyone who reaches it can post)",
    )
    serve.add_argument(
        "--aws-port",
        type=int,
        default=DEFAULT_AWS_PORT,
        help="the local AWS (moto server) port on 127.0.0.1; 0 picks a free one "
        "(default: %(default)s)",
    )
    serve.add_argument(
        "--send", action="store_true", help="really send to Userpilot (needs a real key)"
    )
    serve.add_argument(
        "--userpilot-url",
        metavar="URL",
        help="send the calls to this Userpilot stand-in instead, e.g. http://127.0.0.1:8080",
    )
    serve.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="SOURCE=SECRET",
        help="use this signing secret for SOURCE (e.g. the whsec_ that stripe listen prints)",
    )
    serve.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="override a variable"
    )
    serve.set_defaults(run=command_serve)
