"""A saved queue of commands for devices that come and fetch them.

Some devices are HTTP clients only: a command reaches them in the reply to something they
send, such as the temperature tablet's heartbeat (temperature_http digest §2) or a long poll
(the Huaan long-poll mode, face_capture_http digest). Such a command waits in a queue until
the device calls, and its caller waits for the device's confirmation, which may come much
later, in another request, or after Home Assistant restarted.

This module is the protocol-free half of that: numbering commands (`seq`), saving the queue
through an injected `QueueStore`, one waiter per command, dropping commands that were not
delivered in time, and holding a long poll until there is something to deliver. Which command
goes next, how it is sent and what confirms it stay with the protocol's client, which extends
`QueuedCommand` with the fields its protocol needs. A `seq` is an integer; a protocol whose
correlation ID is a string (Huaan's `command_id`) sends `str(seq)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
import copy
from dataclasses import asdict, dataclass, field, fields
import logging
from typing import Any, Self

from .client import StateStore

_LOGGER = logging.getLogger(__name__)


QueueStore = StateStore
"""Where a client keeps its queue across restarts."""


@dataclass(slots=True, kw_only=True)
class QueuedCommand:
    """One queued command, as saved: JSON-safe fields only.

    `seq` numbers it (given by the queue), `kind` says how the protocol confirms it,
    `command` is the body that delivers it, `expires` the Unix time after which it must not
    be delivered any more (None: never), `delivered` the Unix time it went out (None: not
    yet). A protocol subclasses it for more fields; every field must be JSON-safe.
    """

    seq: int
    kind: str
    command: dict[str, Any] = field(default_factory=dict)
    expires: float | None = None
    delivered: float | None = None

    @classmethod
    def from_saved(cls, data: Mapping[str, Any]) -> Self | None:
        """Return the entry `data` saved, or None when this version cannot use it.

        Keys this class does not know are ignored (a later version's fields); a `seq` that is
        not an integer or a `kind` that is not a string makes it unusable.
        """
        names = {item.name for item in fields(cls)}
        try:
            entry = cls(**{key: value for key, value in data.items() if key in names})
        except TypeError:  # a required field is missing
            return None
        if (
            not isinstance(entry.seq, int)
            or isinstance(entry.seq, bool)
            or not isinstance(entry.kind, str)
        ):
            return None
        return entry


class _Stopped:
    """A waiter's outcome when the queue is released: the command stays queued."""


_STOPPED = _Stopped()


class CommandQueue[E: QueuedCommand]:
    """The commands waiting for one device, saved after every change a caller waits on.

    `save` writes only what differs from the last write (or from what `load` read): the
    clients call it after every request of the device, and a tablet heartbeating every
    5 s would otherwise rewrite the same file some 17,000 times a day.

    `entry_type` is the protocol's `QueuedCommand` class; saved entries of another `kind`
    than `kinds` (when given) are dropped on `load`. `seq` values run from 1 to
    `seq_limit` - 1 and wrap, skipping any still queued or awaited. Entries of a
    `transient` kind are never saved (the client rebuilds them). `state` returns the
    client's own data to save alongside (JSON-safe; its keys must not be `version`,
    `next_seq` or `queue`), and `load` hands it back.

    Saved layout: `{"version": version, "next_seq": int, "queue": [entry, ...], **state}`.
    """

    def __init__(
        self,
        store: QueueStore,
        entry_type: type[E],
        *,
        version: int,
        seq_limit: int,
        kinds: Collection[str] | None = None,
        transient: Collection[str] = (),
        state: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """Start empty; `load` reads what was saved."""
        if seq_limit < 2:
            raise ValueError("seq_limit must leave at least one seq")
        self._store = store
        self._entry_type = entry_type
        self._version = version
        self._seq_limit = seq_limit
        self._kinds = None if kinds is None else frozenset(kinds)
        self._transient = frozenset(transient)
        self._state = state
        self._entries: list[E] = []
        self._next_seq = 1
        self._waiters: dict[int, asyncio.Future[Any]] = {}
        self._save_lock = asyncio.Lock()
        # What the store holds now, as far as this queue knows (None: unknown, so the next
        # `save` writes). Compared whole rather than tracked with a dirty flag, because the
        # clients change entries in place (delivery times, heartbeat counts).
        self._saved: dict[str, Any] | None = None
        self._queued = asyncio.Event()

    def __len__(self) -> int:
        """Return how many commands wait for delivery or confirmation."""
        return len(self._entries)

    @property
    def entries(self) -> Sequence[E]:
        """Return the queued commands in delivery order (a copy; change them in place)."""
        return tuple(self._entries)

    # ---- persistence ------------------------------------------------------------------------

    async def load(self) -> dict[str, Any]:
        """Replace the queue with the saved one and return everything saved ({} if nothing).

        Entries this version cannot use are dropped; so is a `next_seq` out of range.
        """
        data = await self._store.load() or {}
        self._saved = copy.deepcopy(data) if data else None
        saved = data.get("queue")
        self._entries = []
        for item in saved if isinstance(saved, list) else []:
            entry = self._entry_type.from_saved(item) if isinstance(item, dict) else None
            if entry is None or (self._kinds is not None and entry.kind not in self._kinds):
                _LOGGER.debug("Dropped a saved command this version cannot use")
                continue
            self._entries.append(entry)
        next_seq = data.get("next_seq")
        self._next_seq = (
            next_seq
            if isinstance(next_seq, int)
            and not isinstance(next_seq, bool)
            and 0 < next_seq < self._seq_limit
            else 1
        )
        return data

    async def save(self) -> None:
        """Save the queue and the client's state when they changed; saves never interleave.

        The data is taken once the lock is held, so a save that waited writes the newest
        state. A failed write leaves the last written data as it was: the next save tries
        again.
        """
        async with self._save_lock:
            data: dict[str, Any] = dict(self._state()) if self._state is not None else {}
            data.update(
                version=self._version,
                next_seq=self._next_seq,
                queue=[
                    asdict(entry) for entry in self._entries if entry.kind not in self._transient
                ],
            )
            if data == self._saved:
                return
            await self._store.save(data)
            # `asdict` and `_state` build new objects: nothing else holds or changes `data`.
            self._saved = data

    # ---- queueing ---------------------------------------------------------------------------

    def take_seq(self) -> int:
        """Return the next free `seq`, wrapping below `seq_limit`.

        Raises OverflowError when every `seq` is in use (only with a tiny `seq_limit`).
        """
        in_use = {entry.seq for entry in self._entries} | self._waiters.keys()
        for _ in range(self._seq_limit):
            seq = self._next_seq
            self._next_seq = seq + 1 if seq + 1 < self._seq_limit else 1
            if seq not in in_use:
                return seq
        raise OverflowError("every seq is in use")

    def add(self, entry: E, *, before: Callable[[E], bool] | None = None) -> int:
        """Give `entry` a `seq` and queue it, without a waiter or a save; return the `seq`.

        With `before`, it goes ahead of the first entry `before` accepts (at the end when
        none does): the client's own commands can so overtake its callers'.
        """
        entry.seq = self.take_seq()
        position = len(self._entries)
        if before is not None:
            position = next(
                (index for index, queued in enumerate(self._entries) if before(queued)),
                position,
            )
        self._entries.insert(position, entry)
        self._queued.set()
        return entry.seq

    async def submit(self, entry: E, build: Callable[[int], dict[str, Any]] | None = None) -> int:
        """Give `entry` a `seq`, queue it last with a waiter, save, and return the `seq`.

        `build(seq)` makes its `command` when the body must carry the `seq`. The queue is
        saved before this returns, so a caller told "queued" is never lied to.
        """
        entry.seq = self.take_seq()
        if build is not None:
            entry.command = build(entry.seq)
        self._entries.append(entry)
        self._waiters[entry.seq] = asyncio.get_running_loop().create_future()
        self._queued.set()
        await self.save()
        return entry.seq

    def remove(self, entry: E) -> None:
        """Take `entry` out of the queue without telling its waiter (a fire-and-forget)."""
        if entry in self._entries:
            self._entries.remove(entry)

    def find(self, predicate: Callable[[E], bool]) -> E | None:
        """Return the first queued entry `predicate` accepts, or None."""
        return next((entry for entry in self._entries if predicate(entry)), None)

    async def until_undelivered(self, seconds: float) -> bool:
        """Wait up to `seconds` until a command waits for delivery; return whether one does.

        A long-poll protocol holds the device's request this way (face_capture_http digest
        §3.3: answer at once when a command is queued, else after a while, never at once).
        Returns at once when a command is already waiting.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self.find(lambda entry: entry.delivered is None) is None:
            # Cleared before each wait: only entries queued from now on wake this caller.
            self._queued.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._queued.wait()
            except TimeoutError:
                return False
        return True

    def in_flight(self, kind: str | None = None) -> E | None:
        """Return the first delivered entry (of `kind`, when given) awaiting its result."""
        return self.find(
            lambda entry: entry.delivered is not None and (kind is None or entry.kind == kind)
        )

    # ---- outcomes ---------------------------------------------------------------------------

    def finish(self, entry: E, outcome: Any) -> bool:
        """Remove `entry` and hand `outcome` to its waiter (None: it got no result).

        Returns whether a waiter took it; when not, the client may log the outcome.
        """
        self.remove(entry)
        future = self._waiters.pop(entry.seq, None)
        if future is None or future.done():
            return False
        future.set_result(outcome)
        return True

    def expire(self, now: float) -> list[E]:
        """Drop the undelivered entries whose `expires` (Unix time) is before `now`.

        Their waiters get None; the dropped entries are returned for the client to log.
        """
        expired = [
            entry
            for entry in self._entries
            if entry.delivered is None and entry.expires is not None and entry.expires < now
        ]
        for entry in expired:
            self.finish(entry, None)
        return expired

    async def wait(self, seq: int, seconds: float) -> tuple[bool, Any]:
        """Wait up to `seconds` for a command's outcome.

        Returns (True, outcome) when it came, (False, None) when it did not come in time, the
        queue was released, or `seq` is not queued any more; the command stays queued.
        `seconds` of 0 or less give up at once (a device known to be away). Several callers
        may wait for the same `seq`, also one whose earlier caller gave up: a command still
        queued gets a waiter again (a list query that timed out is joined by the next call,
        which must get its answer rather than fail at once).
        """
        future = self._waiters.get(seq)
        if future is None:
            if self.find(lambda entry: entry.seq == seq) is None:
                return False, None
            future = self._waiters[seq] = asyncio.get_running_loop().create_future()
        if seconds <= 0:
            self._waiters.pop(seq, None)
            return False, None
        try:
            async with asyncio.timeout(seconds):
                # Shielded: a caller that gives up must not cancel the others' wait.
                outcome = await asyncio.shield(future)
        except TimeoutError:
            self._waiters.pop(seq, None)
            return False, None
        if outcome is _STOPPED:
            return False, None
        return True, outcome

    def release(self) -> None:
        """Let every waiter return as if not confirmed yet; the commands stay queued."""
        for future in self._waiters.values():
            if not future.done():
                future.set_result(_STOPPED)
        self._waiters.clear()
