"""Every sample in events/ of every source file present: signed now it is accepted (2xx) and
prints its golden file's Userpilot requests (where a golden file exists), with one ingredient
changed it is refused (401), and each source's bad-signature sample is refused (401). Folders
left from a removed source are named, with what to do about them.

This runs the same `webhook-to-track invoke` a user runs, in-process: the template's
environment plus env.json, the local secrets file, an embedded DynamoDB, dry-run forwarding.
Adding a source (`sources new`) or removing one (`sources remove`) changes which cases run,
never whether they pass.
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
from webhook_to_track.local.golden import leftover_folders
from webhook_to_track.local.secrets import LOCAL_SECRETS_FILE, load_local_secrets
from webhook_to_track.registry import Registry, load_registry

EVENTS = ROOT / "events"
PAYLOADS = EVENTS / "payloads"
# Presets that do not sign the body (Basic auth, a shared token): the body cannot be tampered
# detectably, so the one-ingredient change for them is the credential.
UNSIGNED_BODY = {"chargebee", "freshdesk", "freshdesk-token"}


@pytest.fixture(autouse=True)
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("SOURCES_DIR", raising=False)  # the packaged source files


@functools.cache
def shipped_registry() -> Registry:
    """The packaged source files, compiled once for the whole module (they do not change)."""
    return load_registry()


def samples() -> list[Path]:
    """The sample payloads of the source files present."""
    return sorted(
        p
        for source in shipped_registry().sources
        for p in (PAYLOADS / source).glob("*")
        if is_sample_payload(p)
    )


def local_secret(source: str) -> str:
    return load_local_secrets(ROOT / LOCAL_SECRETS_FILE).for_source(source)[0]


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


def golden_file(payload: Path) -> Path:
    return FIXTURES / payload.parent.name / f"{payload.stem}.expected.json"


def expected_requests(payload: Path, delivery_id: str) -> list[dict[str, Any]]:
    """The golden events of this sample, with the delivery id the golden test stands in."""
    text = golden_file(payload).read_text("utf-8")
    text = text.replace(f'"{GOLDEN_DELIVERY_ID}"', json.dumps(delivery_id))
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
    elif golden_file(payload).exists():  # a sample without one: accepted is all it promises
        assert sent == expected_requests(payload, shown["body"]["delivery_id"])
    for request in shown["userpilot_requests"]:
        assert request["url"] == "https://analytex.userpilot.io/v1/track"
        assert request["headers"]["Authorization"] == "Token ***"


@pytest.mark.parametrize("payload", samples(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_with_one_ingredient_changed_is_refused(payload: Path, tmp_path: Path, capsys):
    event = fresh_event(payload)
    preset = shipped_registry().get(payload.parent.name).preset.name
    tampered = wrong_credential(event) if preset in UNSIGNED_BODY else one_byte_changed(event)

    assert invoke(tmp_path, tampered, capsys) == "Lambda response: 401"


@pytest.mark.parametrize(
    "source",
    sorted(s for s in shipped_registry().sources if (EVENTS / s / BAD_SIGNATURE_EVENT).exists()),
)
def test_bad_signature_sample_is_refused(source: str, capsys):
    main(["invoke", f"events/{source}/{BAD_SIGNATURE_EVENT}"])

    assert capsys.readouterr().out.splitlines()[0] == "Lambda response: 401"


def test_every_source_folder_has_its_source_file():
    """A removed source's samples and golden files go with it (`sources remove` does both)."""
    left = leftover_folders(shipped_registry().sources, EVENTS, FIXTURES)

    by_source: dict[str, list[str]] = {}
    for folder in left:
        by_source.setdefault(folder.name, []).append(str(folder.relative_to(ROOT)))
    assert left == [], "; ".join(
        f"{', '.join(folders)}: no source file {name}.json: delete them, or add the source"
        f" (`webhook-to-track sources remove {name}` deletes all of it)"
        for name, folders in sorted(by_source.items())
    )


def test_committed_events_match_their_payloads():
    """events/<source>/<case>.json carries events/payloads/<source>/<case>.* byte for byte
    (`make events` regenerates them)."""
    for payload in samples():
        signed = EVENTS / payload.parent.name / f"{payload.stem}.json"
        assert signed.exists(), f"{signed.relative_to(ROOT)} is missing: run make events"
        assert event_body(json.loads(signed.read_text())) == payload.read_bytes(), payload
