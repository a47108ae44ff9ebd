"""A real HTTP/1.1 server on 127.0.0.1 standing in for Userpilot's Track API.

It reads every request, answers from a script of replies (default: 202 Accepted) and keeps a
record of what it *processed* (took: a 2xx answer, or a request it took and then dropped the
connection on) and what it refused (any other answer). Besides plain answers a reply can

- ``Reply.reset_before()``: reset the connection (RST) without processing the request; it is
  not counted as received (``requests`` does not list it, ``resets_before`` counts it);
- ``Reply.reset_after()``: process the request, then reset the connection without answering;
- ``Reply.slow(seconds)``: process the request, answer only after ``seconds`` (longer than the
  client's read timeout: the client gives up, Userpilot has the call).

``UserpilotStub(rate_limit=RateLimit(n, window_s))`` refuses requests over ``n`` per sliding
window of ``window_s`` real seconds with 429 (and ``Retry-After`` when configured), before the
script is consulted, as the real API would.

Each answer is written in one socket write (status line, headers and body in one buffer, with
TCP_NODELAY), so no Nagle / delayed-ACK stall is added; connections are kept alive (HTTP/1.1,
Content-Length on every answer). Every wait is bounded, and ``stop()`` ends them; it serves
loopback only. ``stop()`` then ``start()`` brings it back on the same port (an outage).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import socketserver
import struct
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, Literal

HOST: Final = "127.0.0.1"
Action = Literal["answer", "reset_before", "reset_after"]
CallId = tuple[str, str, str]
ID_SUFFIX: Final = "event_id"


@dataclass(frozen=True)
class Reply:
    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    delay_s: float = 0.0
    action: Action = "answer"

    @classmethod
    def reset_before(cls) -> Reply:
        """Drop the connection (RST) without processing the request."""
        return cls(status=0, action="reset_before")

    @classmethod
    def reset_after(cls) -> Reply:
        """Process the request, then drop the connection (RST) without answering."""
        return cls(status=0, action="reset_after")

    @classmethod
    def slow(cls, delay_s: float, status: int = 202) -> Reply:
        """Process the request; answer after ``delay_s`` (beyond the client's read timeout)."""
        return cls(status=status, body={"status": "accepted"}, delay_s=delay_s)

    @property
    def processed(self) -> bool:
        """Whether Userpilot took the call (whatever the client hears of it)."""
        if self.action == "reset_after":
            return True
        return self.action == "answer" and 200 <= self.status < 300


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` requests per sliding window of ``window_s`` seconds; over it, 429."""

    limit: int
    window_s: float
    retry_after: str | None = None


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int | None = None
    """The status answered (None: the connection was dropped without an answer)."""
    processed: bool = False
    action: Action = "answer"

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def call_id(self) -> CallId | None:
        """user_id, event_name and the sender's event id from the metadata (the
        ``source_event_id`` key, or the source's own ``*_event_id`` key): one Userpilot call."""
        return call_id(self.body)


def call_id(body: bytes | dict[str, Any]) -> CallId | None:
    try:
        document = json.loads(body) if isinstance(body, bytes | str) else body
        metadata = document.get("metadata") or {}
        names = sorted(k for k in metadata if k == "source_event_id" or k.endswith(ID_SUFFIX))
        event_id = str(metadata[names[0]]) if names else ""
        return (str(document["user_id"]), str(document["event_name"]), event_id)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class UserpilotStub:
    MAX_DELAY_S = 10.0
    IDLE_S = 5.0
    """An idle keep-alive connection is closed after this long (bounded threads)."""
    MAX_BODY = 1024 * 1024
    MAX_REQUESTS_PER_CONNECTION = 100_000

    def __init__(self, *, port: int = 0, rate_limit: RateLimit | None = None) -> None:
        self.requests: list[Received] = []
        self.resets_before = 0
        self.rate_limit = rate_limit
        self._script: deque[Reply] = deque()
        self._default = Reply(202, body={"status": "accepted"})
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._port = port
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None
        self._bind()

    # --- control ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._port}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, then with the default."""
        with self._lock:
            self._script.extend(replies)

    def always(self, reply: Reply) -> None:
        with self._lock:
            self._script.clear()
            self._default = reply

    def start(self) -> UserpilotStub:
        if self._server is None:
            self._bind()
        assert self._server is not None
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused from now on) and close every connection."""
        self._stopping.set()
        server, self._server = self._server, None
        if server is None:
            return
        if self._thread is not None:
            server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    # --- what happened ------------------------------------------------------------------------

    @property
    def processed(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.processed]

    @property
    def refused(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if not r.processed]

    def processed_counts(self) -> Counter[CallId | None]:
        """How often each call was processed."""
        return Counter(r.call_id for r in self.processed)

    def status_counts(self) -> Counter[int | None]:
        with self._lock:
            return Counter(r.status for r in self.requests)

    # --- serving ------------------------------------------------------------------------------

    def _bind(self) -> None:
        stub = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = stub.IDLE_S
            disable_nagle_algorithm = True

            def handle(self) -> None:
                with stub._lock:
                    stub._connections.add(self.connection)
                try:
                    for _ in range(stub.MAX_REQUESTS_PER_CONNECTION):
                        if stub._stopping.is_set() or not stub._serve_one(self):
                            return
                finally:
                    with stub._lock:
                        stub._connections.discard(self.connection)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True
            block_on_close = False

        self._server = Server((HOST, self._port), Handler)
        self._port = self._server.server_address[1]

    def _serve_one(self, handler: socketserver.StreamRequestHandler) -> bool:
        """Read one request and answer it; False when the connection is done."""
        try:
            request = _read_request(handler.rfile, self.MAX_BODY)
        except (OSError, ValueError, http.client.HTTPException):
            return False
        if request is None:
            return False
        method, path, headers, body, keep_alive = request
        reply = self._decide()
        if reply.action == "reset_before":
            with self._lock:
                self.resets_before += 1
            _reset(handler)
            return False
        received = Received(
            method,
            path,
            headers,
            body,
            time.monotonic(),
            status=reply.status if reply.action == "answer" else None,
            processed=reply.processed,
            action=reply.action,
        )
        with self._lock:
            self.requests.append(received)
        if reply.action == "reset_after":
            _reset(handler)
            return False
        if reply.delay_s > 0 and self._stopping.wait(min(reply.delay_s, self.MAX_DELAY_S)):
            return False
        try:
            handler.wfile.write(_response_bytes(reply, keep_alive))
        except OSError:
            return False  # the client gave up (read timeout): nothing to answer
        return keep_alive

    def _decide(self) -> Reply:
        with self._lock:
            limit = self.rate_limit
            if limit is not None:
                now = time.monotonic()
                while self._admitted and self._admitted[0] <= now - limit.window_s:
                    self._admitted.popleft()
                if len(self._admitted) >= limit.limit:
                    headers = {"Retry-After": limit.retry_after} if limit.retry_after else {}
                    return Reply(429, headers, {"errors": [{"message": "Too many requests"}]})
                self._admitted.append(now)
            return self._script.popleft() if self._script else self._default


def _read_request(rfile: Any, max_body: int) -> tuple[str, str, dict[str, str], bytes, bool] | None:
    line = rfile.readline(65537)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise ValueError("not an HTTP/1.x request line")
    method, path, version = parts
    message = http.client.parse_headers(rfile)
    length = int(message.get("Content-Length") or 0)
    if not 0 <= length <= max_body:
        raise ValueError("body too large")
    body = rfile.read(length) if length else b""
    if len(body) != length:
        return None
    connection = (message.get("Connection") or "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    return method, path, dict(message.items()), body, keep_alive


def _response_bytes(reply: Reply, keep_alive: bool) -> bytes:
    """Status line, headers and body: one buffer, so one write."""
    data = json.dumps(reply.body or {}).encode()
    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {reply.status} {phrase}"]
    lines += [f"{name}: {value}" for name, value in reply.headers.items()]
    lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


def _reset(handler: socketserver.StreamRequestHandler) -> None:
    """Close with SO_LINGER 0: the peer gets a RST, not an orderly FIN and not an answer."""
    connection = handler.connection
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.rfile.close()
    handler.wfile.close()
    connection.close()
