"""How late Home Assistant's event loop runs a timer: the longest stall of the loop.

A timer is asked to fire every ``PERIOD`` seconds; whatever delays it beyond that is time
the loop spent on something else without yielding. The longest such delay since the last
reset is what the benchmark reports as the event-loop stall. Garbage collections are timed
too (``gc.callbacks``): a full collection of a large heap stalls the loop as surely as a
slow callback does, and the figures then tell the two causes apart.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

PERIOD = 0.005
"""Seconds between two ticks: short enough to see stalls of a few milliseconds."""


class LoopProbe:
    """Measure the lateness of a repeating timer on ``loop``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Nothing runs until ``start``."""
        self._loop = loop
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._gc_started = 0.0
        self.reset()

    def reset(self) -> None:
        """Forget the figures so far."""
        self._max_late = 0.0
        self._total_late = 0.0
        self._ticks = 0
        self._over_20ms = 0
        self._gc_max = 0.0
        self._gc_total = 0.0
        self._gc_counts = [0, 0, 0]

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        """Time each collection (``gc.callbacks``: called before and after it)."""
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        took = time.perf_counter() - self._gc_started
        self._gc_max = max(self._gc_max, took)
        self._gc_total += took
        generation = info.get("generation", 0)
        if 0 <= generation < len(self._gc_counts):
            self._gc_counts[generation] += 1

    def start(self) -> None:
        """Arm the first tick."""
        self._due = self._loop.time() + PERIOD
        self._handle = self._loop.call_at(self._due, self._tick)
        gc.callbacks.append(self._on_gc)

    def stop(self) -> None:
        """Stop ticking (Home Assistant stops)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _tick(self) -> None:
        now = self._loop.time()
        late = max(now - self._due, 0.0)
        self._ticks += 1
        self._total_late += late
        self._max_late = max(self._max_late, late)
        if late > 0.020:
            self._over_20ms += 1
        # From now, not from the missed due time: one stall counts once, not as a burst.
        self._due = now + PERIOD
        self._handle = self._loop.call_at(self._due, self._tick)

    def figures(self) -> dict[str, Any]:
        """Return the longest and mean lateness (ms), ticks, those over 20 ms, and the GC's."""
        return {
            "max_stall_ms": round(self._max_late * 1000, 2),
            "mean_lateness_ms": round(self._total_late * 1000 / max(self._ticks, 1), 3),
            "ticks": self._ticks,
            "stalls_over_20ms": self._over_20ms,
            "gc_max_ms": round(self._gc_max * 1000, 2),
            "gc_total_ms": round(self._gc_total * 1000, 1),
            "gc_collections": list(self._gc_counts),
        }
