"""``serve``: real HTTP on 127.0.0.1 into the real handlers, with a moto server for AWS.

Each test starts the command in a thread (ports 0: any free port), talks to it with
http.client or a raw socket, and stops it with ``server.shutdown()``; every wait is bounded.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.factories import ROOT, VEHICLE_SOURCES, payload
from tests.userpilot_stub import Reply, UserpilotStub
from webhook_to_track.cli import _parser, main
from webhook_to_track.cli.serve import program, run_serve
from webhook_to_track.local.runtime import LOCAL_TABLE
from webhook_to_track.local.server import KEEP_ALIVE_IDLE_S, MAX_REQUEST_BYTES, LocalServer
from webhook_to_track.signatures import StripeVerifier

START_S = 60.0
WAIT_S = 15.0
SAMPLE = "tests/vehicle/payloads/stripe/invoice.paid.json"  # the tests' own stripe
USERPILOT = "POST https://analytex.userpilot.io/v1/track "
SECRET = "whsec_given_to_serve_with_secret"
"""Every test's serve gets it with --secret (the local secrets file's stays valid too)."""


@pytest.fixture(autouse=True)
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    # The tests' own senders (--sources-dir's default), so the shipped ones can change or go.
    monkeypatch.setenv("SOURCES_DIR", str(VEHICLE_SOURCES))


def wait_for(
    condition: Callable[[], bool], what: Callable[[], str], timeout_s: float = WAIT_S
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what()}")
        time.sleep(0.01)


@dataclass
class Serving:
    """A running ``serve``: its server, what it printed, the events its handler got."""

    server: LocalServer
    out: io.StringIO
    err: io.StringIO
    thread: threading.Thread
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def printed(self) -> str:
        return self.out.getvalue()

    def lines(self, pattern: str) -> list[str]:
        return [line for line in self.printed.splitlines() if re.search(pattern, line)]

    def wait_printed(self, pattern: str, count: int = 1) -> None:
        wait_for(
            lambda: len(self.lines(pattern)) >= count,
            lambda: f"{count} line(s) matching {pattern} in:\n{self.printed}",
        )

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT_S)

    def post(
        self, path: str, body: bytes, headers: dict[str, str], method: str = "POST"
    ) -> tuple[int, dict[str, str], Any]:
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, json.loads(data)
        finally:
            connection.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Serving]]:
    """Start ``webhook-to-track serve ARGS`` on free ports; stopped after the test."""
    started: list[Serving] = []

    def start(*argv: str) -> Serving:
        ports = ["--port", "0", "--aws-port", "0"]
        args = _parser().parse_args(["serve", *ports, "--secret", f"stripe={SECRET}", *argv])
        out, err = io.StringIO(), io.StringIO()
        ready: queue.Queue[LocalServer] = queue.Queue()
        failed: list[BaseException] = []

        def run() -> None:
            try:
                run_serve(args, out, ready.put, err)
            except BaseException as exc:  # surfaced by the test, not lost in the thread
                failed.append(exc)
                raise

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        deadline = time.monotonic() + START_S
        while True:
            try:
                server = ready.get(timeout=0.1)
                break
            except queue.Empty:
                assert not failed, f"serve failed to start: {failed[0]!r}"
                assert time.monotonic() < deadline, "serve did not start in time"
        serving = Serving(server, out, err, thread)
        ingest = server.runtime.ingest

        def recording(event: dict[str, Any]) -> dict[str, Any]:
            serving.events.append(event)
            return ingest(event)

        server.runtime.ingest = recording
        started.append(serving)
        return serving

    yield start
    for serving in started:
        stopper = threading.Thread(target=serving.server.shutdown, daemon=True)
        stopper.start()
        stopper.join(timeout=WAIT_S)
        serving.thread.join(timeout=WAIT_S)
        assert not serving.thread.is_alive(), "serve did not stop"


def stripe_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        **StripeVerifier.sign(body, secret, int(time.time())),
    }


@dataclass(frozen=True)
class Curl:
    """A curl command line as ``sign --format curl`` prints it."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @classmethod
    def parse(cls, command: str) -> Curl:
        words = shlex.split(command)
        assert words[:2] == ["curl", "-sS"]
        method, url, headers, body = "GET", "", {}, b""
        position = 2
        while position < len(words):
            word = words[position]
            if word == "-X":
                method, position = words[position + 1], position + 1
            elif word == "-H":
                name, _, value = words[position + 1].partition(": ")
                headers[name] = value
                position += 1
            elif word == "--data-binary":
                body = Path(words[position + 1].removeprefix("@")).read_bytes()
                position += 1
            elif not word.startswith("-"):
                url = word
            position += 1
        return cls(method, url, headers, body)


def banner_sign_command(serving: Serving) -> list[str]:
    """The ``sign`` arguments of the ready-to-paste hint serve printed."""
    (line,) = serving.lines(r'^  eval "\$\(')
    inner = line.strip().removeprefix('eval "$(').removesuffix(')"')
    words = shlex.split(inner)
    start = words.index("sign")
    assert words[:start] == shlex.split(program())
    return words[start:]


# --- the happy path, as the README shows it --------------------------------------------------


def test_the_hinted_curl_is_answered_202_and_its_userpilot_requests_are_printed(
    capsys, vehicle, serve
):
    serving = serve()
    capsys.readouterr()

    # Given the curl that the hint's sign command prints
    assert main(banner_sign_command(serving)) == 0
    curl = Curl.parse(capsys.readouterr().out)
    assert curl.url == f"http://127.0.0.1:{serving.port}/webhooks/stripe"

    # When it is sent
    path = curl.url.split(str(serving.port), 1)[1]
    status, headers, body = serving.post(path, curl.body, curl.headers, curl.method)

    # Then 202, one line for the delivery and each dry-run request under it
    assert status == 202
    assert headers["content-type"] == "application/json"
    assert body["status"] == "accepted"
    assert len(body["queued"]) == 2
    serving.wait_printed(re.escape(USERPILOT), 2)
    (line,) = serving.lines(r"^\d\d:\d\d:\d\d  202  stripe  ")
    assert f"  {body['delivery_id']}  2 calls queued; 2 shown (dry run)  (" in line
    assert len(serving.lines('"event_name":"invoice_paid"')) == 1
    assert len(serving.lines('"event_name":"subscription_renewed"')) == 1


def test_the_event_is_an_http_api_event_with_every_header_lowercased(serve):
    serving = serve()
    body = payload("stripe", "invoice.paid")

    serving.post(
        "/webhooks/stripe?a=1&a=2&b=",
        body,
        {**stripe_headers(body), "X-Custom-Thing": "yes", "Cookie": "c1=v1; c2=v2"},
    )

    (event,) = serving.events
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/webhooks/stripe"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"source": "stripe"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert all(name == name.lower() for name in event["headers"])
    assert event["headers"]["x-custom-thing"] == "yes"
    assert event["headers"]["host"] == f"127.0.0.1:{serving.port}"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["http"]["path"] == "/webhooks/stripe"
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert abs(event["requestContext"]["timeEpoch"] / 1000 - time.time()) < 60
    assert event["isBase64Encoded"] is False
    assert event["body"].encode() == body


# --- exact bytes ------------------------------------------------------------------------------

NOT_UTF8 = b'{"id": "evt_latin1", "type": "invoice.paid", "name": "caf\xe9"}'


def test_a_body_that_is_not_utf8_arrives_base64_and_byte_exact(serve):
    serving = serve()

    status, _, body = serving.post("/webhooks/stripe", NOT_UTF8, stripe_headers(NOT_UTF8))

    (event,) = serving.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == NOT_UTF8
    # The signature held over the exact bytes: the handler got past it, to the body itself.
    assert status == 400
    assert body["error"]["code"] != "signature_mismatch"


def test_a_body_changed_by_one_byte_fails_its_signature(serve):
    serving = serve()
    changed = NOT_UTF8.replace(b"\xe9", b"\xe8")

    status, _, body = serving.post("/webhooks/stripe", changed, stripe_headers(NOT_UTF8))

    assert status == 401
    assert body["error"]["code"] == "signature_mismatch"


# --- one long-lived runtime -------------------------------------------------------------------


def test_the_same_delivery_twice_is_a_duplicate_and_sends_nothing_new(serve):
    serving = serve()
    body = payload("stripe", "invoice.paid")
    headers = stripe_headers(body)

    first = serving.post("/webhooks/stripe", body, headers)
    serving.wait_printed(re.escape(USERPILOT), 2)
    second = serving.post("/webhooks/stripe", body, headers)
    serving.wait_printed("duplicate: nothing new queued")

    assert first[0] == second[0] == 202
    assert "duplicate" not in first[2]
    assert second[2]["duplicate"] is True
    assert len(serving.lines(re.escape(USERPILOT))) == 2


def test_a_new_delivery_after_a_duplicate_is_forwarded(serve):
    serving = serve()
    body = payload("stripe", "invoice.paid")
    other = payload("stripe", "checkout.session.completed")

    serving.post("/webhooks/stripe", body, stripe_headers(body))
    serving.post("/webhooks/stripe", body, stripe_headers(body))
    status, _, answer = serving.post("/webhooks/stripe", other, stripe_headers(other))

    assert status == 202
    assert "duplicate" not in answer
    serving.wait_printed('"event_name":"checkout_subscription_completed"')


# --- what the server answers itself ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/webhooks", "/webhooks/stripe/extra", "/hooks/stripe"])
def test_a_path_other_than_webhooks_source_is_a_json_404(serve, path):
    serving = serve()

    status, headers, body = serving.post(path, b"{}", {"Content-Type": "application/json"})

    assert status == 404
    assert headers["content-type"] == "application/json"
    assert body["error"]["code"] == "not_found"
    assert serving.events == []
    serving.wait_printed(f"  404  -  -  no route: POST {re.escape(path)}")


def test_another_method_reaches_the_handler_which_answers_405(serve):
    serving = serve()

    status, headers, body = serving.post("/webhooks/stripe", b"", {}, method="GET")

    assert status == 405
    assert headers["allow"] == "POST"
    assert body["error"]["code"] == "method_not_allowed"


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send bytes, read until the server closes (bounded)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as connection:
        connection.sendall(request)
        received = b""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def test_an_announced_body_over_the_limit_is_413_before_it_is_read(serve):
    serving = serve()
    request = (
        "POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n"
    ).encode() + b"{}"

    answer = raw_exchange(serving.port, request)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in head
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert serving.events == []


def test_an_oversize_body_announced_with_expect_100_continue_is_413_without_continue(serve):
    serving = serve()
    request = (
        "POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n"
    ).encode()

    answer = raw_exchange(serving.port, request)

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in answer


def test_a_chunked_body_over_the_limit_is_413(serve):
    serving = serve()
    chunk = b"x" * 1024 * 1024
    request = (
        b"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 7
        + b"0\r\n\r\n"
    )

    answer = raw_exchange(serving.port, request)

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert serving.events == []


def test_a_chunked_body_under_the_limit_reaches_the_handler_whole(serve):
    serving = serve()
    body = payload("stripe", "invoice.paid")
    headers = "".join(f"{k}: {v}\r\n" for k, v in stripe_headers(body).items())
    request = (
        f"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    for start in range(0, len(body), 100):
        part = body[start : start + 100]
        request += b"%x\r\n" % len(part) + part + b"\r\n"
    request += b"0\r\n\r\n"

    answer = raw_exchange(serving.port, request)

    assert answer.startswith(b"HTTP/1.1 202 ")
    assert serving.events[0]["body"].encode() == body


def test_a_body_over_max_body_bytes_is_the_handlers_413(serve):
    serving = serve("--env", "MAX_BODY_BYTES=1024")
    body = b'{"id": "evt_big", "pad": "' + b"x" * 2048 + b'"}'

    status, _, answer = serving.post("/webhooks/stripe", body, stripe_headers(body))

    assert status == 413
    assert answer["error"]["code"] == "payload_too_large"
    assert len(serving.events) == 1


def test_two_requests_share_one_keep_alive_connection(serve):
    serving = serve()
    connection = serving.connection()
    try:
        answers = []
        sockets = []
        for name in ("invoice.paid", "checkout.session.completed"):
            body = payload("stripe", name)
            connection.request("POST", "/webhooks/stripe", body=body, headers=stripe_headers(body))
            sockets.append(connection.sock)
            answer = connection.getresponse()
            answers.append((answer.status, answer.will_close, json.loads(answer.read())))
    finally:
        connection.close()

    assert [(status, will_close) for status, will_close, _ in answers] == [
        (202, False),
        (202, False),
    ]
    assert sockets[0] is sockets[1] is not None
    assert len(serving.events) == 2


def test_an_idle_keep_alive_connection_does_not_hold_up_the_next_client(serve):
    serving = serve()
    idle = serving.connection()
    try:
        idle.request("POST", "/nowhere", body=b"{}")
        idle.getresponse().read()  # kept alive, then left idle

        started = time.monotonic()
        status, _, _ = serving.post("/nowhere", b"{}", {})

        assert status == 404
        assert time.monotonic() - started < KEEP_ALIVE_IDLE_S + 2
    finally:
        idle.close()


# --- forwarding to a stand-in ------------------------------------------------------------------


def test_userpilot_url_sends_the_calls_to_the_stand_in(serve):
    stub = UserpilotStub().start()
    try:
        serving = serve("--userpilot-url", stub.url, "--env", "USERPILOT_REQUESTS_PER_MINUTE=600")
        body = payload("stripe", "invoice.paid")

        status, _, _ = serving.post("/webhooks/stripe", body, stripe_headers(body))
        serving.wait_printed("2 sent")

        assert status == 202
        assert sorted(r.json()["event_name"] for r in stub.processed) == [
            "invoice_paid",
            "subscription_renewed",
        ]
        assert all(r.path == "/v1/track" for r in stub.processed)
        assert serving.lines(re.escape(USERPILOT)) == []  # sent, not a dry run
    finally:
        stub.stop()


def test_a_call_that_failed_is_retried_when_due_without_a_new_request(serve):
    stub = UserpilotStub().start()
    stub.script(Reply(503))
    try:
        serving = serve("--userpilot-url", stub.url)
        body = payload("stripe", "invoice.paid")

        status, _, _ = serving.post("/webhooks/stripe", body, stripe_headers(body))
        serving.wait_printed("1 sent, 1 to retry")
        serving.wait_printed(r"^\d\d:\d\d:\d\d  retry  1 sent$")

        assert status == 202
        assert stub.status_counts() == {503: 1, 202: 2}
        assert sorted(stub.processed_counts().values()) == [1, 1]
    finally:
        stub.stop()


@pytest.mark.parametrize(
    ("given", "status"), [("whsec_from_stripe_listen", 202), ("whsec_something_else", 401)]
)
def test_a_secret_given_with_secret_verifies_and_no_other_does(serve, given, status):
    serving = serve("--secret", "stripe=whsec_from_stripe_listen")
    body = payload("stripe", "invoice.paid")

    assert serving.post("/webhooks/stripe", body, stripe_headers(body, given))[0] == status


@pytest.mark.parametrize(
    ("env", "status"), [((), 401), (("--env", "LOCAL_SIGNATURE_TOLERANCE_SECONDS=off"), 202)]
)
def test_serve_checks_timestamps_as_aws_does_unless_told_otherwise(serve, env, status):
    # env.json lifts the tolerance for old samples (sam local, invoke); live senders sign now
    serving = serve(*env)
    body = payload("stripe", "invoice.paid")
    hour_ago = {
        "Content-Type": "application/json; charset=utf-8",
        **StripeVerifier.sign(body, SECRET, int(time.time()) - 3600),
    }

    assert serving.post("/webhooks/stripe", body, hour_ago)[0] == status


# --- the local AWS, for other terminals ----------------------------------------------------------


def test_the_local_aws_is_reachable_with_endpoint_url(serve):
    serving = serve()
    (line,) = serving.lines(r"^Local AWS \(moto server\) at ")
    endpoint = re.search(r"at (http://127\.0\.0\.1:\d+),", line).group(1)
    body = payload("stripe", "invoice.paid")
    serving.post("/webhooks/stripe", body, stripe_headers(body))
    serving.wait_printed(re.escape(USERPILOT), 2)

    # Given boto3 clients that know nothing but the printed endpoint
    options = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    dynamodb = boto3.client("dynamodb", **options)
    sqs = boto3.client("sqs", **options)

    # Then the table holds the delivery's and calls' records, and the queues exist
    assert dynamodb.describe_table(TableName=LOCAL_TABLE)["Table"]["TableStatus"] == "ACTIVE"
    assert dynamodb.scan(TableName=LOCAL_TABLE, Select="COUNT")["Count"] == 3
    queues = sqs.list_queues()["QueueUrls"]
    (dlq_hint,) = serving.lines(r" dlq list --endpoint-url ")
    for url in re.findall(r"--(?:queue|dlq)-url (\S+)", dlq_hint):
        assert url in queues
    assert f"--table {LOCAL_TABLE}" in serving.lines(r"deliveries show")[0]


# --- logs ---------------------------------------------------------------------------------------


def test_local_logs_are_quiet_by_default_and_stdout_has_none(capsys, serve):
    serving = serve()
    body = payload("stripe", "invoice.paid")
    serving.post("/webhooks/stripe", body, stripe_headers(body))
    serving.post("/webhooks/stripe", b"{}", stripe_headers(b"{}", "whsec_wrong"))
    serving.wait_printed("  401  stripe  ")

    logged = [json.loads(line) for line in serving.err.getvalue().splitlines()]
    assert [entry["level"] for entry in logged] == ["WARNING"]  # the 401, nothing else
    assert '"_aws"' not in serving.err.getvalue()  # no EMF metrics
    assert capsys.readouterr().out == ""
    assert '"level"' not in serving.printed
    assert '"_aws"' not in serving.printed


def test_verbose_shows_info_logs_and_metrics_on_stderr_only(capsys, serve):
    serving = serve("--verbose")
    body = payload("stripe", "invoice.paid")
    serving.post("/webhooks/stripe", body, stripe_headers(body))
    serving.wait_printed("Userpilot request 2 of 2 \\(dry run: not sent\\)")

    lines = [json.loads(line) for line in serving.err.getvalue().splitlines()]
    assert {"signature verified", "calls queued", "call forwarded"} <= {
        entry.get("message") for entry in lines
    }
    assert any("_aws" in entry for entry in lines)
    assert capsys.readouterr().out == ""
    assert '"level"' not in serving.printed
    assert "Authorization: Token ***" in serving.printed


def test_invoke_is_quiet_by_default_and_verbose_with_v(capsys, vehicle):
    assert main(["invoke", "--fresh", "events/stripe/invoice.paid.json"]) == 0
    quiet = capsys.readouterr()
    assert main(["invoke", "-v", "--fresh", "events/stripe/invoice.paid.json"]) == 0
    verbose = capsys.readouterr()

    assert quiet.err == ""
    assert '"level":"INFO"' in verbose.err
    assert '"_aws"' in verbose.err
    assert '"level"' not in quiet.out + verbose.out


# --- the command as a process ---------------------------------------------------------------------


def test_ctrl_c_stops_serve_with_a_summary_and_no_traceback():
    command = [sys.executable, "-m", "webhook_to_track", "serve", "--port", "0", "--aws-port", "0"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    )
    reader.start()
    try:
        seen = []
        deadline = time.monotonic() + START_S
        while not seen or seen[-1] != "Ctrl-C stops.\n":
            assert time.monotonic() < deadline, f"serve did not start: {seen}"
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                assert process.poll() is None, process.stderr.read()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/webhooks", seen[0]).group(1))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
        connection.request("POST", "/nowhere", body=b"{}")
        assert connection.getresponse().status == 404
        connection.close()
        line = lines.get(timeout=WAIT_S)  # printed once the answer is out
        assert "  404  -  -  no route: POST /nowhere" in line

        process.send_signal(signal.SIGINT)
        process.wait(timeout=WAIT_S)  # stdout is the reader's; stderr is small (quiet logs)
        err = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=WAIT_S)
        reader.join(timeout=WAIT_S)
        process.stdout.close()
        process.stderr.close()
    rest = []
    while not lines.empty():
        rest.append(lines.get_nowait())

    assert process.returncode == 0
    assert "Traceback" not in err
    assert "Stopped after 1 request (1 not found); 0 Userpilot calls shown (dry run)." in "".join(
        rest
    )


def test_serve_refuses_a_host_that_is_not_loopback(capsys):
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "not a loopback address" in capsys.readouterr().err


def test_serve_refuses_a_remote_userpilot_url_without_send(capsys):
    assert main(["serve", "--userpilot-url", "https://example.com"]) == 2
    assert "add --send" in capsys.readouterr().err


def test_serve_says_when_its_port_is_taken(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]

        assert main(["serve", "--port", str(port), "--aws-port", "0"]) == 2

    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
