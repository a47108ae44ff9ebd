"""Find a real CPython 3.13 (the Lambda runtime's version), the same way src/Makefile does."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess


def find_python313() -> str | None:
    candidates = [
        os.environ.get("PYTHON313", ""),
        shutil.which("python3.13") or "",
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13"))),
        "/usr/local/bin/python3.13",
        "/usr/bin/python3.13",
    ]
    for candidate in filter(None, candidates):
        check = "import sys; sys.exit(sys.version_info[:2] != (3, 13))"
        if (
            subprocess.run([candidate, "-c", check], capture_output=True, check=False).returncode
            == 0
        ):
            return candidate
    return None
