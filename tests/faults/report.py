"""Run every fault scenario and print one table; exit 1 if any row breaks its assertions.

make reliability        (or: python -m tests.faults.report [NAME ...])
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Sequence

from tests.faults.scenarios import Row
from tests.faults.table import SCENARIOS

COLUMNS = (
    ("scenario", 38),
    ("expected", 8),
    ("processed", 9),
    ("parked", 6),
    ("lost", 4),
    ("doubled", 7),
    ("ambiguous counted", 17),
    ("429s", 4),
    ("ok", 4),
)


def cells(row: Row) -> list[str]:
    return [
        row.scenario,
        str(row.expected),
        str(row.processed),
        str(row.parked),
        str(row.lost),
        str(row.doubled),
        str(row.ambiguous),
        str(row.rate_limited),
        "ok" if row.ok else "FAIL",
    ]


def line(values: Sequence[str]) -> str:
    parts = []
    for (_, width), value in zip(COLUMNS, values, strict=True):
        parts.append(value.ljust(width) if width == COLUMNS[0][1] else value.rjust(width))
    return "  ".join(parts)


def run(names: Sequence[str]) -> list[Row]:
    rows = []
    for scenario in SCENARIOS:
        if names and scenario.name not in names:
            continue
        try:
            row = scenario()
        except Exception as exc:
            trace = traceback.format_exception_only(type(exc), exc)[-1].strip()
            row = Row(scenario.name, notes=scenario.summary, problems=[f"crashed: {trace}"])
        rows.append(row)
        print(
            f"  {'ok  ' if row.ok else 'FAIL'} {row.scenario} ({row.seconds:.1f} s)",
            file=sys.stderr,
        )
    return rows


def main(argv: Sequence[str]) -> int:
    started = time.monotonic()
    rows = run(argv)
    header = line([name for name, _ in COLUMNS])
    print(header)
    print("-" * len(header))
    for row in rows:
        print(line(cells(row)))
        print(f"    {row.notes}")
        for problem in row.problems:
            print(f"    !! {problem}")
    failed = [r.scenario for r in rows if not r.ok]
    print("-" * len(header))
    print(
        f"{len(rows)} scenarios, {len(rows) - len(failed)} hold, {len(failed)} broken"
        f" ({time.monotonic() - started:.0f} s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
