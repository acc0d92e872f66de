"""`python -m bench --smoke` end to end: a real Home Assistant, its broker and every simulator.

About a minute on 2 cores. It asserts only that a run writes every row for every protocol
(and the roster import's: two people from a folder onto the camera) without errors; the
figures themselves come from `scripts/bench`, never from a test. It runs in the main run
only (scripts/newest leaves it out, as the demo's tests: it starts the host's own
virtualenv).
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

from tests.test_bench import REPO, assert_every_row


def test_smoke_run_writes_every_row(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
        cwd=REPO,
        check=False,
        timeout=900,
        capture_output=True,
        text=True,
    )
    written = list(tmp_path.glob("*.json"))
    # A run that wrote nothing says why in its last lines.
    assert len(written) == 1, (run.returncode, run.stdout[-3000:], run.stderr[-3000:])
    results = json.loads(written[0].read_text(encoding="utf-8"))
    assert results["errors"] == {}
    assert_every_row(results)
