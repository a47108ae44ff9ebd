"""The one scenario table: what test_faults.py runs as tests and report.py prints."""

from __future__ import annotations

from typing import Final

from tests.faults.concurrent import CONCURRENT
from tests.faults.scenarios import SEQUENTIAL, Scenario

SCENARIOS: Final[list[Scenario]] = [*SEQUENTIAL, *CONCURRENT]
