"""An asyncio event loop of its own in a daemon thread: the engine of an HTTP simulator.

A simulated HTTP device must answer and send while the test or the driver that controls
it blocks (``time.sleep``, ``wait_for``, a synchronous assertion). ``LoopThread`` runs one
device's coroutines in a thread of their own: ``start`` runs the device's ``setup``
coroutine there (bind a server, open a client session, create tasks) and returns once it
has finished, or raises what it raised; ``stop`` cancels every task of the loop, runs the
device's ``teardown`` coroutine and joins the thread. ``call`` runs one coroutine on the
loop from any other thread and waits for it; ``call_soon`` schedules a plain callback
from any thread, the loop's own included. ``OnLoopThread`` gives a simulator that keeps
its ``LoopThread`` in ``_engine`` its ``stop``, ``running`` and ``_call``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import contextlib
import threading
from typing import Any

type Step = Callable[[], Coroutine[Any, Any, None]]
"""A coroutine function run on the loop: a device's ``setup`` or ``teardown``."""


class LoopThread:
    """One event loop in one daemon thread, between ``start`` and ``stop``."""

    def __init__(self, name: str) -> None:
        """Name the thread ``name`` (tests look for leftover threads by name)."""
        self.name = name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()`` while the thread lives."""
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    @property
    def on_loop(self) -> bool:
        """True when called from the loop's own thread."""
        with self._lock:
            return self._thread is threading.current_thread()

    def start(self, setup: Step, teardown: Step) -> None:
        """Start the thread, run ``setup`` on its loop and return when it is done.

        What ``setup`` raises is raised here, once the thread has ended. ``teardown``
        runs at ``stop`` (or after a failed ``setup``), after every other task of the
        loop has been cancelled.
        """
        with self._lock:
            if self._thread is not None:
                raise RuntimeError(f"{self.name} already started")
            self._ready.clear()
            self._error = None
            self._thread = threading.Thread(
                target=self._run, args=(setup, teardown), name=self.name, daemon=True
            )
            thread = self._thread
        thread.start()
        self._ready.wait()
        if self._error is not None:
            thread.join()
            with self._lock:
                self._thread = None
            raise self._error

    def stop(self) -> None:
        """Cancel the loop's tasks, run ``teardown`` and join the thread (idempotent)."""
        with self._lock:
            thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and stop_event is not None and not loop.is_closed():
            # The loop may close between the check and the call if it crashed.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)
        if thread is not threading.current_thread():
            thread.join()
        with self._lock:
            self._thread = None
            self._loop = None
            self._stop_event = None

    def call[T](self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop from another thread and return its result."""
        with self._lock:
            loop, thread = self._loop, self._thread
        if loop is None or not self._ready.is_set() or loop.is_closed():
            coro.close()
            raise RuntimeError(f"{self.name} not running")
        if thread is threading.current_thread():
            coro.close()
            raise RuntimeError(f"blocking call from {self.name}'s own thread")
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the loop soon, from any thread; nothing when not running."""
        with self._lock:
            loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(callback)

    def _run(self, setup: Step, teardown: Step) -> None:
        loop = asyncio.new_event_loop()
        with self._lock:
            self._loop = loop
        try:
            loop.run_until_complete(self._main(setup, teardown))
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                self._ready.set()

    async def _main(self, setup: Step, teardown: Step) -> None:
        stop_event = asyncio.Event()
        with self._lock:
            self._stop_event = stop_event
        try:
            try:
                await setup()
            except Exception as err:  # noqa: BLE001 - raised again by ``start``
                self._error = err
                return
            self._ready.set()
            await stop_event.wait()
        finally:
            # Also cancel the work of blocked callers (``call``), which then get
            # ``CancelledError`` instead of waiting for a loop that is gone.
            current = asyncio.current_task()
            others = [task for task in asyncio.all_tasks() if task is not current]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await teardown()


class OnLoopThread:
    """A simulator that runs on its own ``LoopThread``, kept in ``_engine``."""

    _engine: LoopThread

    def stop(self) -> None:
        """Cancel the device's tasks, run its teardown and join its thread (idempotent)."""
        self._engine.stop()

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._engine.running

    def _call[T](self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the device's loop from another thread and wait for it."""
        return self._engine.call(coro)
