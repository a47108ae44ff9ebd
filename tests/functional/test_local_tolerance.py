"""LOCAL_SIGNATURE_TOLERANCE_SECONDS in the real ingest handler: a sample signed long ago
verifies with the override and fails without it, its signature still counts, and a deployed
function refuses the override. Then the committed samples, as `invoke` and `sam local` run
them with env.json (which sets it to off)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.factories import ROOT, STRIPE_SECRET, VEHICLE_SOURCES, payload
from webhook_to_track.cli import BAD_SIGNATURE_EVENT, main, signed_event
from webhook_to_track.registry import load_registry

NAME = "LOCAL_SIGNATURE_TOLERANCE_SECONDS"
AGE_S = 2 * 86400


def old_event() -> dict[str, Any]:
    """A Stripe delivery signed two days ago (Stripe allows 300 s)."""
    stripe = load_registry(VEHICLE_SOURCES).get("stripe")
    body = payload("stripe", "invoice.paid")
    return signed_event(stripe, body, STRIPE_SECRET, int(time.time()) - AGE_S)


@pytest.fixture
def ingest(invoke, env):
    """The ingest handler with the override set to ``override`` (None: unset)."""

    def run(event: dict[str, Any], override: str | None):
        env(**({NAME: override} if override else {}))
        return invoke(event)

    return run


def test_without_the_override_an_old_sample_is_out_of_tolerance(ingest):
    answer = ingest(old_event(), None)

    assert (answer.status, answer.error_code) == (401, "timestamp_out_of_tolerance")


def test_off_lets_an_old_sample_through(ingest):
    assert ingest(old_event(), "off").status == 202


def test_a_number_of_seconds_replaces_the_sources_tolerance(ingest):
    assert ingest(old_event(), str(AGE_S + 3600)).status == 202


def test_a_number_shorter_than_the_samples_age_still_refuses_it(ingest):
    answer = ingest(old_event(), str(AGE_S - 3600))

    assert (answer.status, answer.error_code) == (401, "timestamp_out_of_tolerance")


def test_off_still_checks_the_signature(ingest):
    event = old_event()
    tampered = {**event, "body": event["body"].replace("invoice", "lnvoice", 1)}

    answer = ingest(tampered, "off")

    assert (answer.status, answer.error_code) == (401, "signature_mismatch")


def test_a_deployed_function_refuses_the_override(ingest, monkeypatch):
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13")

    answer = ingest(old_event(), "off")

    assert (answer.status, answer.error_code) == (500, "configuration_error")


# --- the committed samples, as `invoke` (and sam local) run them with env.json ------------------

EVENTS = ROOT / "events"


def tightest_committed_sample() -> tuple[str, Path] | None:
    """(source, a committed sample) of the present source with the shortest tolerance."""
    sources = load_registry().sources.values()
    timed = sorted(
        (int(s.options["tolerance_s"]), s.name) for s in sources if "tolerance_s" in s.options
    )
    for _, name in timed:
        samples = sorted(p for p in (EVENTS / name).glob("*.json") if p.name != BAD_SIGNATURE_EVENT)
        if samples:
            return name, samples[0]
    return None


@pytest.fixture
def committed(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    found = tightest_committed_sample()
    if found is None:
        pytest.skip("no source with a signed timestamp has committed samples here")
    source, sample = found
    tolerance = load_registry().get(source).options["tolerance_s"]
    signed = int(json.loads(sample.read_text())["requestContext"]["timeEpoch"]) // 1000
    if time.time() - signed <= tolerance:
        pytest.skip(f"{sample} was signed {time.time() - signed:.0f} s ago: not old yet")
    return sample


def test_a_committed_sample_passes_invoke_with_env_json(committed, capsys):
    assert main(["invoke", str(committed.relative_to(ROOT))]) == 0
    assert capsys.readouterr().out.startswith("Lambda response: 20")


def test_a_committed_sample_fails_without_the_override_and_says_how_to_refresh(committed, capsys):
    argv = ["invoke", str(committed.relative_to(ROOT)), "--env", f"{NAME}="]

    assert main(argv) == 1
    captured = capsys.readouterr()
    assert '"code": "timestamp_out_of_tolerance"' in captured.out
    assert "hint: This sample was signed " in captured.err
    assert "--fresh" in captured.err
