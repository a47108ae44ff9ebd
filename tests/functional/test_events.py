"""``webhook-to-track events`` rewrites only what changed: a sample is kept while its body,
its other headers and its signature (under the current local secret, whatever its age) are
right; a sample whose payload is gone is removed, and the counts are printed.

Most tests run on the tests' own senders (tests/vehicle), signed once into a temporary events
folder; the first one runs on a copy of the repository's own events/."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.factories import ROOT, VEHICLE_PAYLOADS, VEHICLE_SECRETS, VEHICLE_SOURCES
from webhook_to_track.cli import main, signed_event
from webhook_to_track.registry import load_registry
from webhook_to_track.signatures import StripeVerifier

EVENTS = ROOT / "events"
SOURCES = ("stripe", "github")  # a JSON sender, and one whose samples carry sidecar headers


@pytest.fixture(autouse=True)
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


VEHICLE = ["--sources-dir", str(VEHICLE_SOURCES), "--secrets-file", str(VEHICLE_SECRETS)]


@pytest.fixture
def events_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Two vehicle senders' payloads, signed once into events/<source>/ (and the forwarder's)."""
    root = tmp_path / "events"
    for source in SOURCES:
        shutil.copytree(VEHICLE_PAYLOADS / source, root / "payloads" / source)
    refresh(root, capsys)
    return root


def refresh(
    events_dir: Path, capsys: pytest.CaptureFixture[str], options: list[str] = VEHICLE
) -> list[str]:
    """Run the command (on a copy of env.json: the repository's stays untouched); its lines."""
    env_file = events_dir.parent / "env.json"
    if not env_file.exists():
        shutil.copy(ROOT / "env.json", env_file)
    capsys.readouterr()
    argv = ["events", "--events-dir", str(events_dir), "--env-file", str(env_file), *options]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not [line for line in lines if line.startswith("{")], "a log line reached stdout"
    return lines


def summary(lines: list[str]) -> str:
    (line,) = [line for line in lines if " rewritten, " in line]
    return line.split(": ", 1)[1]


def snapshot(events_dir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(events_dir)): p.read_text("utf-8")
        for p in sorted(events_dir.rglob("*.json"))
        if "payloads" not in p.parts
    }


def sample_count(events_dir: Path) -> int:
    return sum(1 for p in events_dir.rglob("*.json") if "payloads" not in p.parts)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def save(path: Path, event: dict[str, Any]) -> None:
    path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n", "utf-8")


def test_the_committed_samples_are_all_kept(tmp_path, capsys):
    copy = tmp_path / "events"
    shutil.copytree(EVENTS, copy)
    before = snapshot(copy)

    lines = refresh(copy, capsys, options=[])

    assert summary(lines).startswith("0 rewritten, "), "a committed sample is stale: make events"
    assert summary(lines).endswith(", 0 removed"), (
        "a committed sample's source or payload is gone (sources remove NAME deletes all of"
        f" a source): {lines}"
    )
    assert snapshot(copy) == before


def test_a_first_run_writes_everything_and_a_second_run_nothing(events_dir, capsys):
    for source in SOURCES:
        shutil.rmtree(events_dir / source)
    (events_dir / "forwarder" / "stripe-invoice.paid.json").unlink()

    first = refresh(events_dir, capsys)
    written = snapshot(events_dir)
    second = refresh(events_dir, capsys)

    assert summary(first) == f"{len(written)} rewritten, 0 unchanged, 0 removed"
    assert "The rewritten samples are valid for 300 s for" in "\n".join(first)
    assert summary(second) == f"0 rewritten, {len(written)} unchanged, 0 removed"
    assert snapshot(events_dir) == written


def test_an_old_sample_that_still_verifies_is_kept(events_dir, capsys):
    # Signed two days ago, far beyond Stripe's 300 s: kept all the same.
    path = events_dir / "stripe" / "invoice.paid.json"
    event = load(path)
    old = event["requestContext"]["timeEpoch"] // 1000 - 2 * 86400
    body = event["body"].encode()
    secret = json.loads(VEHICLE_SECRETS.read_text())["sources"]["stripe"][0]
    stripe = load_registry(VEHICLE_SOURCES).get("stripe")
    save(path, signed_event(stripe, body, secret, old))
    before = path.read_text("utf-8")

    assert only_rewritten(refresh(events_dir, capsys)) == []
    assert path.read_text("utf-8") == before


def only_rewritten(lines: list[str]) -> list[str]:
    return [
        Path(line.removeprefix("rewrote ")).name for line in lines if line.startswith("rewrote")
    ]


def test_a_changed_payload_rewrites_its_sample_only(events_dir, capsys):
    payload = events_dir / "payloads" / "stripe" / "customer.subscription.created.json"
    payload.write_bytes(payload.read_bytes() + b"\n")

    lines = refresh(events_dir, capsys)

    assert only_rewritten(lines) == ["customer.subscription.created.json"]
    event = load(events_dir / "stripe" / "customer.subscription.created.json")
    assert event["body"].encode() == payload.read_bytes()


def test_the_first_payload_changed_rewrites_the_bad_signature_sample_too(events_dir, capsys):
    payload = events_dir / "payloads" / "stripe" / "charge.refunded.json"
    payload.write_bytes(payload.read_bytes() + b"\n")

    lines = refresh(events_dir, capsys)

    assert sorted(only_rewritten(lines)) == ["bad-signature.json", "charge.refunded.json"]


def test_a_changed_sidecar_header_rewrites_the_sample(events_dir, capsys):
    sidecar = events_dir / "payloads" / "github" / "issues.opened.headers.json"
    headers = {**json.loads(sidecar.read_text()), "x-github-hook-id": "1"}
    sidecar.write_text(json.dumps(headers))

    lines = refresh(events_dir, capsys)

    # issues.opened is github's first payload: its bad-signature sample changes with it
    assert sorted(only_rewritten(lines)) == ["bad-signature.json", "issues.opened.json"]
    assert load(events_dir / "github" / "issues.opened.json")["headers"]["x-github-hook-id"] == "1"


def test_a_hand_edited_header_is_put_back(events_dir, capsys):
    path = events_dir / "stripe" / "invoice.paid.json"
    event = load(path)
    event["headers"]["user-agent"] = "curl/8"
    save(path, event)

    assert only_rewritten(refresh(events_dir, capsys)) == ["invoice.paid.json"]
    assert load(path)["headers"]["user-agent"].startswith("Stripe/")


def test_a_signature_the_current_secret_does_not_verify_is_renewed(events_dir, capsys):
    # As after the local secret changed: the sample was signed with another one.
    path = events_dir / "stripe" / "invoice.paid.json"
    event = load(path)
    moment = event["requestContext"]["timeEpoch"] // 1000
    event["headers"].update(StripeVerifier.sign(event["body"].encode(), "whsec_other", moment))
    save(path, event)

    assert only_rewritten(refresh(events_dir, capsys)) == ["invoice.paid.json"]
    assert load(path)["headers"]["stripe-signature"] != event["headers"]["stripe-signature"]


def test_a_bad_signature_sample_that_became_valid_is_made_bad_again(events_dir, capsys):
    path = events_dir / "stripe" / "bad-signature.json"
    event, good = load(path), load(events_dir / "stripe" / "charge.refunded.json")
    event["headers"]["stripe-signature"] = good["headers"]["stripe-signature"]
    event["requestContext"]["timeEpoch"] = good["requestContext"]["timeEpoch"]
    save(path, event)

    assert only_rewritten(refresh(events_dir, capsys)) == ["bad-signature.json"]


def test_a_sample_whose_payload_is_gone_is_removed_saying_so(events_dir, capsys):
    (events_dir / "payloads" / "stripe" / "invoice.payment_failed.json").unlink()
    foreign = events_dir / "stripe" / "notes.json"
    foreign.write_text('{"not": "a sample"}')

    lines = refresh(events_dir, capsys)

    sample = events_dir / "stripe" / "invoice.payment_failed.json"
    assert f"removed {sample} (its payload under {events_dir}/payloads/ is gone)" in lines
    assert not sample.exists()
    assert foreign.exists()  # not a sample event: not ours to remove
    assert summary(lines).endswith(", 1 removed")


def test_a_source_without_payloads_loses_its_samples_and_its_folder(events_dir, capsys):
    shutil.rmtree(events_dir / "payloads" / "github")
    count = len(list((events_dir / "github").glob("*.json")))

    lines = refresh(events_dir, capsys)

    assert summary(lines).endswith(f", {count} removed")
    assert not (events_dir / "github").exists()


def test_an_edited_forwarder_sample_is_rewritten(events_dir, capsys):
    path = events_dir / "forwarder" / "stripe-invoice.paid.json"
    committed = path.read_text("utf-8")
    path.write_text(committed.replace('"1"', '"2"', 1))

    assert only_rewritten(refresh(events_dir, capsys)) == ["stripe-invoice.paid.json"]
    assert path.read_text("utf-8") == committed


def test_a_forwarder_sample_whose_payload_is_gone_is_removed(events_dir, capsys):
    (events_dir / "payloads" / "stripe" / "invoice.paid.json").unlink()

    refresh(events_dir, capsys)

    assert not (events_dir / "forwarder" / "stripe-invoice.paid.json").exists()


def test_its_stdout_carries_only_what_it_prints(events_dir):
    # The Logger writes to the process's real stdout, which capsys does not see: a subprocess
    env_file = events_dir.parent / "env.json"
    argv = ["events", "--all", "--events-dir", str(events_dir), "--env-file", str(env_file)]
    done = subprocess.run(
        [sys.executable, "-m", "webhook_to_track", *argv, *VEHICLE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert "rewritten" in done.stdout
    assert not [line for line in done.stdout.splitlines() if line.startswith("{")]
