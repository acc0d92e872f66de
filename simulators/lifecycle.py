"""What every simulator, the broker launcher and the demo's child processes share.

A ``with`` block (``StartStop``), waiting for a condition, a free TCP port, and the
bookkeeping of a child process (``ChildProcessHandle``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
import socket
import subprocess
import time
from types import TracebackType
from typing import Self


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` s pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing uses at the moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def accepts_connections(port: int, host: str = "127.0.0.1") -> bool:
    """Return True when a TCP connection to ``host:port`` succeeds (within 0.5 s)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class StartStop(ABC):
    """Something started by ``start()`` and stopped by ``stop()``, usable in ``with``."""

    @abstractmethod
    def start(self) -> None:
        """Start (connect, launch the process...)."""

    @abstractmethod
    def stop(self) -> None:
        """Stop and release everything that ``start`` took."""

    def __enter__(self) -> Self:
        """Start, for the ``with`` block."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop at the end of the ``with`` block, whatever happened in it."""
        self.stop()


class ChildProcessHandle:
    """The owner of at most one child process at a time, kept in ``_process``."""

    _process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's process ID while it exists."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """True while the child has not exited."""
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status once the child has exited."""
        return self._process.poll() if self._process is not None else None
