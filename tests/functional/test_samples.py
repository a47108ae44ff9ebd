"""Every preset's signed samples in events/: signed now they are accepted (2xx), with one body byte
changed they are refused (401), and each source's bad-signature sample is refused (401).

This runs the same `webhook-to-track invoke` a user runs, in-process: the template's
environment plus env.json, an embedded DynamoDB, dry-run forwarding.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.factories import ROOT
from tests.unit.rules.test_golden import DELIVERY_ID as GOLDEN_DELIVERY_ID
from tests.unit.rules.test_golden import FIXTURES
from webhook_to_track.cli import BAD_SIGNATURE_EVENT, main, signed_event
from webhook_to_track.local.events import event_body, is_sample_payload, sample_headers
from webhook_to_track.local.template import function_environment, load_template
from webhook_to_track.presets import PRESETS
from webhook_to_track.registry import Registry, load_registry
from webhook_to_track.signing_keys import parse_secrets_document

EVENTS = ROOT / "events"
PAYLOADS = EVENTS / "payloads"
# Senders that do not sign the body (Basic auth, a shared token): the body cannot be tampered
# detectably, so the one-ingredient change for them is the credential.
UNSIGNED_BODY = {"chargebee", "freshdesk", "freshdesk-token"}


@pytest.fixture(autouse=True)
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def samples() -> list[Path]:
    return sorted(p for p in PAYLOADS.glob("*/*") if is_sample_payload(p))


def local_secret(source: str) -> str:
    template = load_template(ROOT / "template.yaml")
    environment = function_environment(template, json.loads((ROOT / "env.json").read_text()))
    secrets = parse_secrets_document(json.loads(environment["SECRETS_JSON"]))
    return secrets.for_source(source)[0]


@functools.cache
def shipped_registry() -> Registry:
    """The packaged source files, compiled once for the whole module (they do not change)."""
    return load_registry()


def fresh_event(payload: Path) -> dict[str, Any]:
    source = shipped_registry().get(payload.parent.name)
    body = payload.read_bytes()
    secret = local_secret(source.name)
    return signed_event(source, body, secret, int(time.time()), sample_headers(payload))


def invoke(tmp_path: Path, event: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    main(["invoke", str(path)])
    return capsys.readouterr().out.splitlines()[0]


def one_byte_changed(event: dict[str, Any]) -> dict[str, Any]:
    body = bytearray(event_body(event))
    middle = len(body) // 2
    index = next(i for i in range(middle, len(body)) if chr(body[i]).isalnum())
    body[index] = ord("X") if body[index] != ord("X") else ord("Y")
    if event["isBase64Encoded"]:
        return {**event, "body": base64.b64encode(bytes(body)).decode()}
    return {**event, "body": body.decode("utf-8")}


def wrong_credential(event: dict[str, Any]) -> dict[str, Any]:
    headers = dict(event["headers"])
    name = "authorization" if "authorization" in headers else "x-webhook-token"
    headers[name] = headers[name][:-2] + ("AA" if not headers[name].endswith("AA") else "BB")
    return {**event, "headers": headers}


def expected_requests(payload: Path, delivery_id: str) -> list[dict[str, Any]]:
    """The golden events of this sample, with the delivery id the golden test stands in."""
    golden = FIXTURES / payload.parent.name / f"{payload.stem}.expected.json"
    text = golden.read_text("utf-8").replace(f'"{GOLDEN_DELIVERY_ID}"', json.dumps(delivery_id))
    events: list[dict[str, Any]] = json.loads(text)["events"]
    return events


@pytest.mark.parametrize("payload", samples(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_signed_now_prints_the_expected_userpilot_requests(
    payload: Path, tmp_path: Path, capsys
):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(fresh_event(payload)))

    assert main(["invoke", "--json", str(path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] in (200, 202)
    sent = [request["body"] for request in shown["userpilot_requests"]]
    if "challenge" in shown["body"]:  # a setup handshake (Slack, Front): nothing to send
        assert sent == []
    else:
        assert sent == expected_requests(payload, shown["body"]["delivery_id"])
    for request in shown["userpilot_requests"]:
        assert request["url"] == "https://analytex.userpilot.io/v1/track"
        assert request["headers"]["Authorization"] == "Token ***"


@pytest.mark.parametrize("payload", samples(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_with_one_ingredient_changed_is_refused(payload: Path, tmp_path: Path, capsys):
    event = fresh_event(payload)
    tampered = (
        wrong_credential(event) if payload.parent.name in UNSIGNED_BODY else one_byte_changed(event)
    )

    assert invoke(tmp_path, tampered, capsys) == "Lambda response: 401"


@pytest.mark.parametrize("source", sorted(p.name for p in PAYLOADS.iterdir() if p.is_dir()))
def test_bad_signature_sample_is_refused(source: str, capsys):
    main(["invoke", f"events/{source}/{BAD_SIGNATURE_EVENT}"])

    assert capsys.readouterr().out.splitlines()[0] == "Lambda response: 401"


def test_every_preset_has_a_source_file_and_samples():
    sources = shipped_registry().sources

    assert {source.preset.name for source in sources.values()} == set(PRESETS)
    assert set(sources) <= {p.parent.name for p in samples()}


def test_committed_events_match_their_payloads():
    """events/<source>/<case>.json carries events/payloads/<source>/<case>.* byte for byte
    (`make events` regenerates them)."""
    for payload in samples():
        event = json.loads((EVENTS / payload.parent.name / f"{payload.stem}.json").read_text())
        assert event_body(event) == payload.read_bytes(), payload
