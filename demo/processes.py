"""Child processes (the broker, Home Assistant) that never outlive the demo.

Each child runs in its own session, so the terminal's Ctrl-C reaches only the demo, which
then stops things in order (simulators, Home Assistant, broker) instead of all at once.
Each child also asks the kernel for SIGTERM when the demo dies (``PR_SET_PDEATHSIG``), so
even a killed demo leaves no orphans behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
from pathlib import Path
import signal
import socket
import subprocess
import time

from simulators.lifecycle import ChildProcessHandle

_LOGGER = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGTERM when the parent thread ends (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Return True when nothing listens on ``host:port``.

    With ``SO_REUSEADDR``, as servers bind: connections of a server that just stopped
    (``TIME_WAIT``) do not make its port busy.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class ChildProcess(ChildProcessHandle):
    """One child process with its output in a file; stopped with SIGTERM, then SIGKILL."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        output: Path,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        """Describe the child; nothing runs until ``start()``.

        ``output``: the file that receives its stdout and stderr (appended to, so the
        output of earlier runs of a kept configuration stays readable).
        """
        self.name = name
        self.argv = argv
        self.output = output
        self.env = env
        self.cwd = cwd
        self._process = None

    def start(self) -> None:
        """Start the child in a new session that ends with the demo."""
        with self.output.open("ab") as output:
            output.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} start\n".encode())
            output.flush()
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                # Only ctypes' prctl call runs between fork and exec, and the demo forks
                # before it starts any thread of its own.
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )
        _LOGGER.debug("%s started (pid %s)", self.name, self._process.pid)

    def tail(self, lines: int = 30) -> str:
        """Return the last ``lines`` lines of the child's output."""
        try:
            text = self.output.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self, seconds: float = 30.0) -> None:
        """SIGTERM the child's whole session, wait up to ``seconds``, then SIGKILL it.

        The session rather than the process: the broker launcher has a child of its own.
        """
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, seconds)
            except subprocess.TimeoutExpired:
                # Still alive, so the process group is still certainly ours.
                _LOGGER.warning("%s did not stop within %.0f s; killing it", self.name, seconds)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        status = process.wait()
        _LOGGER.debug("%s exited with status %s", self.name, status)
        self._process = None
