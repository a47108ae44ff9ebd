"""A local HTTP endpoint for the ingest handler, as API Gateway and Lambda would run it.

Each request to ``/webhooks/{source}`` becomes an HTTP API (payload 2.0) event: the exact body
bytes (base64 when they are not text), every header lowercased, the raw path and query, the
path parameter. The real ingest handler answers it; its status, headers and body go back to the
caller in one write; then the forwarder drains the queue. One request at a time, like one
Lambda container: HTTP/1.1 with keep-alive, an idle connection closed after a few seconds so
the next client is not kept waiting. Calls waiting for a retry are drained when they are due.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import re
import socket
import socketserver
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final, Protocol, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from webhook_to_track.local.events import make_apigw_event
from webhook_to_track.local.runtime import Drained

DEFAULT_PORT: Final = 3000
MAX_REQUEST_BYTES: Final = 6 * 1024 * 1024
"""Lambda's limit for a synchronous invocation's payload; the handler applies MAX_BODY_BYTES."""
KEEP_ALIVE_IDLE_S: Final = 2.0
"""How long an idle keep-alive connection may hold the (only) worker before it is closed."""
RETRY_POLL_S: Final = 1.0
LINGER_S: Final = 1.0
MAX_CHUNKS: Final = 100_000
MAX_LINE: Final = 8192
ROUTE: Final = re.compile(r"/webhooks/([^/]+)/?")


def local_url(source: str, port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> str:
    """Where ``serve`` answers for ``source`` (``sign --format curl`` posts there by default)."""
    return f"http://{host}:{port}/webhooks/{source}"


class Runtime(Protocol):
    """What the server needs of the local runtime (LocalRuntime)."""

    def ingest(self, event: dict[str, Any]) -> dict[str, Any]: ...

    def drain(self, max_rounds: int = ..., max_seconds: float = ...) -> Drained: ...


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request served: what came in, what the handler answered, what the forwarder did."""

    at: float
    method: str
    path: str
    source: str | None
    status: int
    body: dict[str, Any]
    answer_ms: float
    drained: Drained | None = None
    forward_ms: float = 0.0
    forward_error: str | None = None


class Listener(Protocol):
    def served(self, exchange: Exchange) -> None:
        """A request was answered (and its calls drained)."""

    def retried(self, drained: Drained) -> None:
        """Calls that were waiting for their next try were drained."""


class RequestTooLargeError(Exception):
    """The body is over the server's limit."""


def apigw_event(
    *,
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    client_ip: str,
    port: int,
    protocol: str = "HTTP/1.1",
    now: float | None = None,
) -> dict[str, Any] | None:
    """The HTTP API event for one request, or None when its path is not /webhooks/{source}."""
    parts = urlsplit(target)
    match = ROUTE.fullmatch(parts.path)
    if match is None:
        return None
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    forwarded = joined.get("x-forwarded-for")
    joined["x-forwarded-for"] = f"{forwarded}, {client_ip}" if forwarded else client_ip
    joined["x-forwarded-proto"] = "http"
    joined["x-forwarded-port"] = str(port)
    joined.setdefault("host", f"127.0.0.1:{port}")
    source = unquote(match.group(1))
    event = make_apigw_event(source, body, joined, method=method, query=parts.query, now=now)
    domain = urlsplit(f"//{joined['host']}").hostname or "127.0.0.1"
    event["rawPath"] = parts.path
    context = event["requestContext"]
    context.update(domainName=domain, domainPrefix=domain.split(".", 1)[0])
    context["http"].update(path=parts.path, sourceIp=client_ip, protocol=protocol)
    if parts.query:
        parameters: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
        event["queryStringParameters"] = parameters
    if cookies:
        event["cookies"] = cookies
    return event


def error_body(code: str, message: str) -> bytes:
    """The handler's error shape, for what the server answers itself (404, 413, 400)."""
    document = {"error": {"code": code, "message": message}}
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def read_chunked(rfile: Any, limit: int) -> bytes:
    """A chunked request body, at most ``limit`` bytes.

    Raises:
        RequestTooLargeError: over ``limit``.
        ValueError: not valid chunked encoding.
    """
    body = bytearray()
    for _ in range(MAX_CHUNKS):
        line = rfile.readline(MAX_LINE)
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size < 0:
            raise ValueError("negative chunk size")
        if size == 0:
            for _ in range(100):  # trailers, up to the blank line
                if rfile.readline(MAX_LINE).strip() == b"":
                    return bytes(body)
            raise ValueError("too many trailers")
        if len(body) + size > limit:
            raise RequestTooLargeError
        chunk = rfile.read(size)
        if len(chunk) != size:
            raise ValueError("truncated chunk")
        body += chunk
        rfile.readline(MAX_LINE)  # the CRLF after the chunk
    raise RequestTooLargeError


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "webhook-to-track-serve"
    sys_version = ""
    timeout = KEEP_ALIVE_IDLE_S
    disable_nagle_algorithm = True

    @property
    def _server(self) -> LocalServer:
        return cast(LocalServer, self.server)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the listener prints one line per request."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The base's error pages (bad request line, headers too long...), as JSON."""
        self.close_connection = True
        status = HTTPStatus(code)
        text = message or status.phrase
        self._respond(code, {"content-type": "application/json"}, error_body("bad_request", text))

    def handle_expect_100(self) -> bool:
        """Refuse an announced oversize body before the client sends it."""
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._server.max_request_bytes:
            self._too_large()
            return False
        return super().handle_expect_100()

    def _respond(self, status: int, headers: dict[str, str], body: bytes) -> None:
        """Status line, headers and body in one buffer, so one write."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [f"HTTP/1.1 {status} {phrase}", f"Date: {self.date_time_string()}"]
        for name, value in headers.items():
            if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                lines.append(f"{name}: {_header_text(value)}")
        lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        elif self.request_version == "HTTP/1.0":
            lines.append("Connection: keep-alive")
        payload = b"" if self.command == "HEAD" else body
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        if self.close_connection:
            # The caller sees the end at once, not after the forwarder's drain.
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_WR)

    def _too_large(self) -> None:
        self.close_connection = True  # the rest of the body is never read
        limit = self._server.max_request_bytes
        body = error_body("payload_too_large", f"body is larger than {limit} bytes")
        self._respond(413, {"content-type": "application/json"}, body)
        self._discard_unread()

    def _discard_unread(self) -> None:
        """Read what the client still sends, briefly: closing on unread data would reset the
        connection, and the client could lose the answer it has not read yet."""
        deadline = time.monotonic() + LINGER_S
        with contextlib.suppress(OSError):
            self.connection.settimeout(LINGER_S / 4)
            while time.monotonic() < deadline and self.connection.recv(65536):
                pass

    def _read_body(self) -> bytes | None:
        """The request body; None when an error answer was already sent."""
        limit = self._server.max_request_bytes
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            try:
                return read_chunked(self.rfile, limit)
            except RequestTooLargeError:
                self._too_large()
            except ValueError:
                self.send_error(400, "invalid chunked body")
            return None
        declared = self.headers.get("content-length")
        if declared is None:
            return b""
        if not declared.strip().isdigit():
            self.send_error(400, "invalid Content-Length")
            return None
        length = int(declared)
        if length > limit:
            self._too_large()
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            self.close_connection = True
            return None  # the client went away mid-body
        return body

    def _serve(self) -> None:
        started = time.monotonic()
        body = self._read_body()
        if body is None:
            return
        server = self._server
        event = apigw_event(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            client_ip=self.client_address[0],
            port=server.server_address[1],
            protocol=self.request_version,
        )
        if event is None:
            message = (
                f"no route for {self.command} {urlsplit(self.path).path}; use /webhooks/{{source}}"
            )
            self._respond(
                404, {"content-type": "application/json"}, error_body("not_found", message)
            )
            server.report(
                Exchange(time.time(), self.command, self.path, None, 404, {}, _ms(started))
            )
            return
        try:
            status, headers, answer = _lambda_answer(server.runtime.ingest(event))
        except Exception as exc:  # e.g. broken source files: the handler's import fails
            status, headers = 500, {"content-type": "application/json"}
            answer = error_body("internal_error", "the local function failed; see the log")
            print(f"webhook-to-track serve: the handler failed: {exc}", file=sys.stderr)
        try:
            self._respond(status, headers, answer)
        except OSError:  # the caller is gone; what was queued is forwarded all the same
            self.close_connection = True
        exchange = Exchange(
            time.time(),
            self.command,
            self.path,
            str(event["pathParameters"]["source"]),
            status,
            _json_object(answer),
            _ms(started),
        )
        if server.should_drain(exchange):
            exchange = server.drain_after(exchange)
        server.report(exchange)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve


class LocalServer(http.server.HTTPServer):
    """One worker serving ``runtime``; ``listener`` hears about every request and retry."""

    def __init__(
        self,
        address: tuple[str, int],
        runtime: Runtime,
        listener: Listener,
        *,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.runtime = runtime
        self.listener = listener
        self.max_request_bytes = max_request_bytes
        self.served = 0
        self._clock = clock
        self._waiting = 0
        self._next_retry = 0.0
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer's own server_bind asks DNS for the host's name (getfqdn): slow, unneeded.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def report(self, exchange: Exchange) -> None:
        self.served += 1
        self.listener.served(exchange)

    def should_drain(self, exchange: Exchange) -> bool:
        """After an answer that queued calls, or while calls wait for a retry."""
        queued = 200 <= exchange.status < 300 and not exchange.body.get("duplicate")
        return bool(queued and exchange.body.get("queued")) or self._waiting > 0

    def drain_after(self, exchange: Exchange) -> Exchange:
        started = time.monotonic()
        drained, error = self._drain()
        return _with_drain(exchange, drained, _ms(started), error)

    def _drain(self) -> tuple[Drained | None, str | None]:
        try:
            drained = self.runtime.drain()
        except Exception as exc:  # botocore's errors share no useful base; keep serving
            self._waiting = 0
            return None, f"{type(exc).__name__}: {exc}"
        self._waiting = drained.waiting
        self._next_retry = self._clock() + RETRY_POLL_S
        return drained, None

    def service_actions(self) -> None:
        """Between requests: drain the calls whose retry is due, as the event source would."""
        if self._waiting and self._clock() >= self._next_retry:
            drained, _ = self._drain()
            if drained is not None and (drained.messages or drained.parked):
                self.listener.retried(drained)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line instead of a traceback; the server keeps going."""
        kind, exc = sys.exc_info()[:2]
        name = kind.__name__ if kind else "error"
        print(
            f"webhook-to-track serve: request from {client_address[0]}: {name}: {exc}",
            file=sys.stderr,
        )


def _with_drain(
    exchange: Exchange, drained: Drained | None, forward_ms: float, error: str | None
) -> Exchange:
    from dataclasses import replace

    return replace(exchange, drained=drained, forward_ms=forward_ms, forward_error=error)


def _lambda_answer(response: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """What API Gateway sends back for a payload 2.0 Lambda response."""
    status = int(response.get("statusCode", 200))
    headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode("utf-8")
    return status, headers, body


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _header_text(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
