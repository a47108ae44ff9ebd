"""Cold start: the ingest handler compiles source files at init and refuses broken ones; the
forwarder needs no source file at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import ROOT

IMPORT = "import webhook_to_track.ingest.handler"


def start(environment: dict[str, str], code: str = IMPORT) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter importing the handler, as Lambda's init phase does."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SOURCES_", "SECRETS_"))},
        "IDEMPOTENCY_TABLE": "t",
        "SECRETS_JSON": '{"userpilot_api_key": "k", "sources": {}}',
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_valid_sources_start_cleanly():
    started = start({})

    assert started.returncode == 0, started.stderr
    assert "ERROR" not in started.stdout


def test_broken_rule_set_stops_init_with_every_problem(tmp_path: Path):
    (tmp_path / "stripe.json").write_text(
        json.dumps(
            {
                "signature": {"preset": "stripe"},
                "rules": [
                    {
                        "id": "a",
                        "match": {"type": "x"},
                        "events": [{"event_name": "e", "user_id": "u"}],
                    },
                    {
                        "id": "b",
                        "match": {},
                        "events": [{"event_name": "e", "user_id": {"paht": "u"}}],
                    },
                ],
            }
        )
    )

    started = start({"SOURCES_DIR": str(tmp_path)})

    assert started.returncode != 0
    (log,) = [json.loads(line) for line in started.stdout.splitlines() if line.startswith("{")]
    assert log["message"] == "invalid source files: the function will not start"
    assert log["problems"] == [
        'stripe.json: rule "a" (/rules/0/match/type): expected a non-empty list of'
        " alternatives (OR); wrap a single value in [ ]",
        "stripe.json: rule \"b\" (/rules/1/events/0/user_id/paht): unknown key 'paht'"
        " (did you mean 'path'?)",
        'stripe.json: rule "b" (/rules/1/events/0/user_id): name exactly one of path,'
        " template or literal",
    ]
    assert "ConfigurationError: invalid source files" in started.stderr


def test_invalid_settings_do_not_stop_init():
    started = start({"USERPILOT_HOST": "ftp://nope"})

    assert started.returncode == 0, started.stderr
    assert "invalid settings at init" in started.stdout


def test_forwarder_starts_without_compiling_any_source_file(tmp_path: Path):
    # Given a source folder that would stop the ingest function at init
    (tmp_path / "broken.json").write_text("{not json")

    # When the forwarder's module is imported, as its init phase does
    started = start(
        {"SOURCES_DIR": str(tmp_path)},
        "import sys, webhook_to_track.queue.consumer;"
        " assert 'webhook_to_track.rules.compiler' not in sys.modules",
    )

    # Then it starts: it forwards queued calls and never reads the rules
    assert started.returncode == 0, started.stderr
