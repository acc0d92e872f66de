"""Counts of the fuzz harness, per protocol and path, for `scripts/fuzz`'s table.

Each case adds one line to the JSON-lines file named by FACE_ACCESS_FUZZ_REPORT (when set):
protocol, path, the kind of damage, the outcome and the seconds it took. `summarise` turns
such a file into the table `scripts/fuzz` prints and the README shows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
import json
import os
from pathlib import Path
import sys

REPORT_ENV = "FACE_ACCESS_FUZZ_REPORT"

REFUSED = "refused"
"""The input was answered with the protocol's error (or silence) and changed nothing."""
ACCEPTED = "accepted"
"""The damage left a message the protocol tolerates; it was taken (and acknowledged)."""
ESCAPE = "escape"
"""Anything else: a traceback, an error log line, a wrong answer, a changed state, a lost
good record. The test fails on the first one."""


def record(protocol: str, path: str, kind: str, outcome: str, seconds: float) -> None:
    """Add one case to the report file, if there is one."""
    target = os.environ.get(REPORT_ENV)
    if not target:
        return
    line = {
        "protocol": protocol,
        "path": path,
        "kind": kind,
        "outcome": outcome,
        "seconds": round(seconds, 4),
    }
    with Path(target).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


@dataclass
class _Row:
    cases: int = 0
    refused: int = 0
    accepted: int = 0
    escapes: int = 0
    slowest: float = 0.0
    slowest_kind: str = ""


def summarise(report: Path) -> str:
    """Return the Markdown table of a report file: one row per protocol and path, and totals."""
    rows: dict[tuple[str, str], _Row] = defaultdict(_Row)
    totals: dict[str, _Row] = defaultdict(_Row)
    for line in report.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        for row in (rows[case["protocol"], case["path"]], totals[case["protocol"]]):
            row.cases += 1
            row.refused += case["outcome"] == REFUSED
            row.accepted += case["outcome"] == ACCEPTED
            row.escapes += case["outcome"] == ESCAPE
            if case["seconds"] > row.slowest:
                row.slowest, row.slowest_kind = case["seconds"], case["kind"]
    lines = [
        "| protocol | path | cases | errors answered correctly | tolerated | escapes "
        "| slowest case |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for protocol in sorted(totals):
        for (proto, path), row in sorted(rows.items()):
            if proto == protocol:
                lines.append(_line(protocol, path, row))
        lines.append(_line(f"**{protocol}**", "**all**", totals[protocol]))
    return "\n".join(lines)


def _line(protocol: str, path: str, row: _Row) -> str:
    slowest = f"{row.slowest * 1000:.0f} ms ({row.slowest_kind})"
    return (
        f"| {protocol} | {path} | {row.cases} | {row.refused} | {row.accepted} "
        f"| {row.escapes} | {slowest} |"
    )


if __name__ == "__main__":
    print(summarise(Path(sys.argv[1])))
