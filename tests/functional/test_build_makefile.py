"""src/Makefile, the build sam runs: ``SOURCES`` (WEBHOOK_TO_TRACK_SOURCES) ships only the named
source files, refuses unknown names before installing anything, and ships all by default.

The recipes run for real (make, cp) in a copy of src/, as sam runs them; pip is replaced by
``true`` and bytecode is skipped, so nothing is downloaded."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.factories import ROOT
from webhook_to_track.registry import load_registry

MAKEFILE = ROOT / "src" / "Makefile"
MAKE = shutil.which("make") or "make: not on PATH"  # `make test` itself needs it
PRESENT = sorted(load_registry().sources)


def build(tmp_path: Path, sources: str | None) -> subprocess.CompletedProcess[str]:
    """``make build-IngestFunction`` from a scratch copy of src/, as sam build runs it."""
    scratch = tmp_path / "scratch"
    shutil.copytree(ROOT / "src" / "webhook_to_track", scratch / "webhook_to_track")
    environment = {k: v for k, v in os.environ.items() if k != "WEBHOOK_TO_TRACK_SOURCES"}
    environment["ARTIFACTS_DIR"] = str(tmp_path / "artifact")
    if sources is not None:
        environment["WEBHOOK_TO_TRACK_SOURCES"] = sources
    return subprocess.run(
        [MAKE, "-s", "-f", str(MAKEFILE), "build-IngestFunction", "PYTHON=true", "SKIP_PYC=1"],
        cwd=scratch,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def shipped(tmp_path: Path) -> list[str]:
    folder = tmp_path / "artifact" / "webhook_to_track" / "sources"
    return sorted(p.stem for p in folder.glob("*.json") if not p.name.endswith(".schema.json"))


def test_by_default_every_source_file_ships_and_local_tooling_does_not(tmp_path):
    result = build(tmp_path, None)

    assert result.returncode == 0, result.stderr
    assert shipped(tmp_path) == PRESENT
    package = tmp_path / "artifact" / "webhook_to_track"
    assert not (package / "cli").exists()
    assert not (package / "local").exists()
    assert (package / "sources" / "source.schema.json").exists()


def test_only_the_named_sources_ship(tmp_path):
    named = PRESENT[:2]

    result = build(tmp_path, f" {named[1]}  {named[0]} ")

    assert result.returncode == 0, result.stderr
    assert shipped(tmp_path) == named
    assert f"shipping 2 source file(s): {named[1]} {named[0]}" in result.stdout


@pytest.mark.parametrize("unknown", ["no-such-sender", "../registry", "source.schema"])
def test_an_unknown_name_fails_the_build_before_anything_is_installed(tmp_path, unknown):
    result = build(tmp_path, f"{PRESENT[0]} {unknown}")

    assert result.returncode != 0
    assert f"SOURCES names no source file: {unknown} (source files: {' '.join(PRESENT)})" in (
        result.stderr
    )
    assert not (tmp_path / "artifact").exists()
