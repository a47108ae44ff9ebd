"""The readable local secrets file and env.json's generated SECRETS_JSON strings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import ROOT
from webhook_to_track.local.secrets import (
    FORWARDER_ID,
    INGEST_ID,
    LOCAL_SECRETS_FILE,
    REFRESH_COMMAND,
    LocalSecretsError,
    env_json_differences,
    load_local_secrets,
    read_local_secrets,
    secrets_json,
    sync_env_json,
    write_local_secrets,
)

DOCUMENT = {
    "userpilot_api_key": "up_test",
    "sources": {"zendesk": ["z1"], "stripe": ["whsec_new", "whsec_old"]},
}


def env_json_for(document: dict, path: Path) -> Path:
    """An env.json like the repository's, its SECRETS_JSON generated from ``document``."""
    env = {
        "Parameters": {"POWERTOOLS_LOG_LEVEL": "INFO"},
        INGEST_ID: {"SECRETS_JSON": secrets_json(document), "FORWARD_QUEUE_URL": ""},
        FORWARDER_ID: {"SECRETS_JSON": json.dumps({"userpilot_api_key": "up_test"})},
    }
    path.write_text(json.dumps(env, indent=2) + "\n", "utf-8")
    return path


def test_the_repository_env_json_is_generated_from_the_readable_file():
    stale = env_json_differences(ROOT / LOCAL_SECRETS_FILE, ROOT / "env.json")

    assert stale == [], (
        f"env.json's SECRETS_JSON ({', '.join(stale)}) is not generated from {LOCAL_SECRETS_FILE}:"
        f" edit only {LOCAL_SECRETS_FILE}, then run `{REFRESH_COMMAND}` (make events) to"
        " regenerate env.json"
    )


def test_the_readable_file_is_pretty_one_source_a_line_and_reads_back(tmp_path):
    path = tmp_path / "local-secrets.json"

    write_local_secrets(path, DOCUMENT)

    lines = path.read_text("utf-8").splitlines()
    assert lines[3] == '    "stripe": ["whsec_new", "whsec_old"],'  # sorted by source
    assert lines[4] == '    "zendesk": ["z1"]'
    assert read_local_secrets(path) == DOCUMENT
    assert load_local_secrets(path).for_source("stripe") == ("whsec_new", "whsec_old")


def test_secrets_json_is_one_line_with_sorted_sources():
    assert secrets_json(DOCUMENT) == (
        '{"userpilot_api_key": "up_test", "sources": '
        '{"stripe": ["whsec_new", "whsec_old"], "zendesk": ["z1"]}}'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "local-secrets.json: no such file"),
        ("{nope", "local-secrets.json: not valid JSON"),
        ('{"sources": {}}', "local-secrets.json: not a valid secrets document"),
    ],
    ids=["missing", "not JSON", "not a secrets document"],
)
def test_a_bad_readable_file_is_one_clear_error_naming_it(tmp_path, text, message):
    path = tmp_path / "local-secrets.json"
    if text is not None:
        path.write_text(text, "utf-8")

    with pytest.raises(LocalSecretsError, match=message):
        read_local_secrets(path)


def test_sync_rewrites_env_json_only_when_it_differs(tmp_path):
    secrets_file = tmp_path / "local-secrets.json"
    write_local_secrets(secrets_file, DOCUMENT)
    env_file = env_json_for(DOCUMENT, tmp_path / "env.json")
    before = env_file.read_bytes()

    assert sync_env_json(secrets_file, env_file) is False
    assert env_file.read_bytes() == before

    write_local_secrets(secrets_file, {**DOCUMENT, "sources": {"new": ["n1"]}})
    assert env_json_differences(secrets_file, env_file) == [INGEST_ID]
    assert sync_env_json(secrets_file, env_file) is True

    env = json.loads(env_file.read_text("utf-8"))
    assert json.loads(env[INGEST_ID]["SECRETS_JSON"])["sources"] == {"new": ["n1"]}
    assert env[INGEST_ID]["FORWARD_QUEUE_URL"] == ""  # the rest is kept
    assert env_json_differences(secrets_file, env_file) == []


def test_the_forwarder_gets_only_the_userpilot_key(tmp_path):
    secrets_file = tmp_path / "local-secrets.json"
    write_local_secrets(secrets_file, {**DOCUMENT, "userpilot_api_key": "up_rotated"})
    env_file = env_json_for(DOCUMENT, tmp_path / "env.json")

    assert env_json_differences(secrets_file, env_file) == [INGEST_ID, FORWARDER_ID]
    sync_env_json(secrets_file, env_file)

    forwarder = json.loads(env_file.read_text("utf-8"))[FORWARDER_ID]["SECRETS_JSON"]
    assert json.loads(forwarder) == {"userpilot_api_key": "up_rotated"}


def test_without_env_json_there_is_nothing_to_sync(tmp_path):
    secrets_file = tmp_path / "local-secrets.json"
    write_local_secrets(secrets_file, DOCUMENT)

    assert sync_env_json(secrets_file, tmp_path / "env.json") is False
    assert not (tmp_path / "env.json").exists()
