"""``sources new | list | remove`` in a copy of the project: a new sender works end to end at
once (rules check, signed samples, invoke), with its secret in the readable local secrets file
and env.json regenerated; removing one takes everything of it and nothing else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.factories import ROOT, VEHICLE_PAYLOADS, VEHICLE_SECRETS, VEHICLE_SOURCES
from webhook_to_track.cli import main
from webhook_to_track.local.secrets import (
    LOCAL_SECRETS_FILE,
    env_json_differences,
    load_local_secrets,
)
from webhook_to_track.presets import PRESETS

NEW_FILES = [
    "sources/billing.json",
    "events/payloads/billing/example.created.json",
    "events/billing/example.created.json",
    "events/billing/bad-signature.json",
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory: the template, env.json, the tests' own senders (source files
    in sources/, samples, local secrets) and an empty tests/fixtures."""
    project = tmp_path / "project"
    shutil.copytree(VEHICLE_SOURCES, project / "sources")
    shutil.copytree(VEHICLE_PAYLOADS, project / "events" / "payloads")
    shutil.copy(VEHICLE_SECRETS, project / LOCAL_SECRETS_FILE)
    (project / "tests" / "fixtures").mkdir(parents=True)
    for name in ("template.yaml", "env.json"):
        shutil.copy(ROOT / name, project / name)
    monkeypatch.chdir(project)
    monkeypatch.setenv("SOURCES_DIR", str(project / "sources"))
    assert main(["events"]) == 0  # env.json's SECRETS_JSON now from the vehicle's secrets
    return project


def invoke(event: str, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    main(["invoke", "--json", event])
    return json.loads(capsys.readouterr().out)


def test_new_writes_a_working_sender_and_says_what_next(project, capsys):
    capsys.readouterr()

    assert main(["sources", "new", "billing", "--preset", "stripe"]) == 0

    out = capsys.readouterr().out
    for path in NEW_FILES:
        assert (project / path).exists(), path
        assert f"wrote {path}" in out
    assert "make invoke EVENT=events/billing/example.created.json" in out
    assert "webhook-to-track rules try billing events/payloads/billing/example.created.json" in out
    assert "Secrets Manager" in out
    secret = load_local_secrets(project / LOCAL_SECRETS_FILE).for_source("billing")[0]
    assert secret.startswith("whsec_local-")
    assert env_json_differences(project / LOCAL_SECRETS_FILE, project / "env.json") == []
    assert "updated env.json" in out

    assert main(["rules", "check"]) == 0
    shown = invoke("events/billing/example.created.json", capsys)
    assert shown["status"] == 202
    assert [r["body"]["event_name"] for r in shown["userpilot_requests"]] == ["example_created"]
    assert invoke("events/billing/bad-signature.json", capsys)["status"] == 401


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_scaffolds_a_sender_invoke_accepts(project, capsys, preset):
    assert main(["sources", "new", "new-sender", "--preset", preset]) == 0

    shown = invoke("events/new-sender/example.created.json", capsys)
    assert shown["status"] == PRESETS[preset].accepted_status
    assert [r["body"]["event_name"] for r in shown["userpilot_requests"]] == ["example_created"]
    assert invoke("events/new-sender/bad-signature.json", capsys)["status"] == 401


def test_rules_check_notes_the_new_rule_has_no_golden_file(project, capsys):
    main(["sources", "new", "billing", "--preset", "stripe"])
    capsys.readouterr()

    assert main(["rules", "check"]) == 0

    note = capsys.readouterr().err.splitlines()
    assert note[0].startswith("note: ")
    assert "  billing: billing.example_created" in note


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["billing", "--preset", "strpe"], "unknown preset 'strpe' (did you mean 'stripe'?)"),
        (["Billing", "--preset", "stripe"], "'Billing' is not a valid source name"),
        (["stripe", "--preset", "stripe"], "a source named 'stripe' already exists"),
    ],
    ids=["preset typo", "bad name", "taken name"],
)
def test_new_refuses_and_writes_nothing(project, capsys, argv, message):
    before = sorted(p.relative_to(project) for p in project.rglob("*"))

    assert main(["sources", "new", *argv]) == 2

    assert message in capsys.readouterr().err
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_new_refuses_a_name_whose_old_samples_are_still_there(project, capsys):
    (project / "events" / "payloads" / "billing").mkdir()

    assert main(["sources", "new", "billing", "--preset", "stripe"]) == 2

    assert "events/payloads/billing exists already: nothing was written" in capsys.readouterr().err
    assert not (project / "sources" / "billing.json").exists()


def test_new_keeps_a_secret_already_on_file(project, capsys):
    document = json.loads((project / LOCAL_SECRETS_FILE).read_text())
    document["sources"]["billing"] = ["whsec_mine", "whsec_older"]
    (project / LOCAL_SECRETS_FILE).write_text(json.dumps(document))

    assert main(["sources", "new", "billing", "--preset", "stripe"]) == 0

    assert "kept the local test secret on file" in capsys.readouterr().out
    kept = load_local_secrets(project / LOCAL_SECRETS_FILE).for_source("billing")
    assert kept == ("whsec_mine", "whsec_older")
    assert invoke("events/billing/example.created.json", capsys)["status"] == 202


def test_list_shows_preset_rules_samples_and_golden_coverage(project, capsys):
    main(["sources", "new", "billing", "--preset", "stripe"])
    capsys.readouterr()

    assert main(["sources", "list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "source",
        "preset",
        "rules",
        "samples",
        "rules",
        "with",
        "a",
        "golden",
        "file",
    ]
    assert lines[1].split() == ["billing", "stripe", "1", "1", "0", "of", "1"]
    assert lines[-1] == "4 sources"


def test_remove_takes_everything_of_the_source_and_nothing_else(project, capsys):
    main(["sources", "new", "billing", "--preset", "stripe"])
    (project / "tests" / "fixtures" / "billing").mkdir()
    (project / "tests" / "fixtures" / "billing" / "example.created.expected.json").write_text("{}")
    others = sorted(p.relative_to(project) for p in project.rglob("*") if "billing" not in str(p))
    capsys.readouterr()

    assert main(["sources", "remove", "billing"]) == 0

    out = capsys.readouterr().out
    assert "removed sources/billing.json" in out
    assert "removed events/local-secrets.json (sources.billing)" in out
    remaining = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert remaining == others
    assert load_local_secrets(project / LOCAL_SECRETS_FILE).for_source("billing") == ()
    assert env_json_differences(project / LOCAL_SECRETS_FILE, project / "env.json") == []
    assert main(["rules", "check"]) == 0


def test_remove_of_a_source_with_a_forwarder_sample_removes_that_too(project, capsys):
    sample = project / "events" / "forwarder" / "stripe-invoice.paid.json"
    assert sample.exists()

    assert main(["sources", "remove", "stripe"]) == 0

    assert not sample.exists()
    assert main(["events"]) == 0  # the other samples are signed again, without that one
    assert not sample.exists()


def test_remove_of_an_unknown_source_is_an_error(project, capsys):
    assert main(["sources", "remove", "nosuch"]) == 2
    assert "no source named 'nosuch': nothing to remove" in capsys.readouterr().err
