"""Every row of the scenario table, as a test: lost = 0 and doubled = 0 (or counted) at the
Userpilot stand-in, and each row's own assertions (see scenarios.py and concurrent.py)."""

from __future__ import annotations

import pytest

from tests.faults.scenarios import Scenario
from tests.faults.table import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario: Scenario) -> None:
    row = scenario()

    assert row.ok, row.explain()
