"""What every simulator (and the broker launcher) shares: a `with` block, and waiting."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
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
