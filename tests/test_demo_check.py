"""`scripts/demo --check`: the newcomer's one command works, end to end.

A real Home Assistant (`hass`, its own process, with the web frontend), a real broker and
the simulated devices, set up through Home Assistant's HTTP API as a person would. The
sockets are all in the child processes, which the test harness's socket blocking does not
reach. About 10 to 20 s once provisioned; the first run on a machine also installs the
frontend package (seconds from a warm pip cache).
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import time

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK_LIMIT = 240.0
"""Seconds the whole command may take, provisioning included (the harness allows 300)."""


@pytest.mark.timeout(CHECK_LIMIT + 30)
def test_demo_check_passes() -> None:
    started = time.monotonic()
    result = subprocess.run(
        [str(ROOT / "scripts" / "demo"), "--check", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHECK_LIMIT,
        check=False,
    )
    elapsed = time.monotonic() - started
    report = f"exit {result.returncode} after {elapsed:.0f} s\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, report
    assert "PASS: all" in result.stdout, report
    assert "FAIL" not in result.stdout, report
