"""The protocol-free command queue (protocols/command_queue.py): seq, persistence, waiters.

The tablet's own rules (what confirms what) are tested in test_temperature_client.py; these
tests use a made-up protocol, as a long-poll device would.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
import json
from typing import Any

import pytest

from custom_components.face_access.protocols.command_queue import CommandQueue, QueuedCommand


class MemoryStore:
    """Keeps what the queue saves, as JSON would (a copy, not the live objects)."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data = data
        self.saves = 0

    async def load(self) -> dict[str, Any] | None:
        return copy.deepcopy(self.data)

    async def save(self, data: dict[str, Any]) -> None:
        self.data = json.loads(json.dumps(data))
        self.saves += 1


@dataclass(slots=True, kw_only=True)
class PollCommand(QueuedCommand):
    """A long-poll protocol's command, with a field of its own."""

    attempts: int = 0
    targets: list[str] = field(default_factory=list)


def make_queue(
    store: MemoryStore, *, seq_limit: int = 1000, **options: Any
) -> CommandQueue[PollCommand]:
    return CommandQueue(
        store, PollCommand, version=3, seq_limit=seq_limit, kinds={"open", "add", "hint"}, **options
    )


async def test_seq_counts_up_and_wraps_below_the_limit() -> None:
    queue = make_queue(MemoryStore(), seq_limit=4)

    seqs = [queue.take_seq() for _ in range(5)]

    assert seqs == [1, 2, 3, 1, 2]


async def test_wrapping_skips_a_seq_still_queued_or_awaited() -> None:
    queue = make_queue(MemoryStore(), seq_limit=4)
    queued = queue.add(PollCommand(seq=0, kind="open"))  # 1, stays queued
    awaited = await queue.submit(PollCommand(seq=0, kind="add"))  # 2, has a waiter

    assert (queued, awaited) == (1, 2)
    assert [queue.take_seq() for _ in range(3)] == [3, 3, 3]


async def test_no_free_seq_is_an_overflow() -> None:
    queue = make_queue(MemoryStore(), seq_limit=3)
    queue.add(PollCommand(seq=0, kind="open"))
    queue.add(PollCommand(seq=0, kind="open"))

    with pytest.raises(OverflowError):
        queue.take_seq()


def test_a_limit_without_any_seq_is_refused() -> None:
    with pytest.raises(ValueError, match="seq_limit"):
        make_queue(MemoryStore(), seq_limit=1)


async def test_the_queue_and_the_owners_state_survive_a_restart() -> None:
    """Saved as JSON, loaded back in order with the protocol's own fields; seqs go on."""
    store = MemoryStore()
    first = make_queue(store, transient={"hint"}, state=lambda: {"learnt": 42})
    await first.submit(PollCommand(seq=0, kind="add", targets=["p1", "p2"]))
    first.add(PollCommand(seq=0, kind="hint", command={"hint": 1}))  # never saved
    await first.submit(
        PollCommand(seq=0, kind="open", expires=1_800_000_000.0),
        lambda seq: {"open": {"seq": seq}},
    )
    assert store.data is not None
    assert store.data["version"] == 3
    assert store.data["learnt"] == 42

    second = make_queue(store)
    data = await second.load()

    assert data["learnt"] == 42
    assert [(e.seq, e.kind) for e in second.entries] == [(1, "add"), (3, "open")]
    assert second.entries[0].targets == ["p1", "p2"]
    assert second.entries[1].command == {"open": {"seq": 3}}
    assert second.entries[1].expires == 1_800_000_000.0
    assert second.take_seq() == 4


@pytest.mark.parametrize(
    "saved",
    [
        {"seq": 5, "kind": "unknown"},  # a kind this version does not know
        {"seq": "5", "kind": "open"},  # not an integer
        {"seq": True, "kind": "open"},
        {"seq": 5, "kind": 7},
        {"kind": "open"},  # no seq at all
        "not an object",
    ],
)
async def test_saved_entries_this_version_cannot_use_are_dropped(saved: Any) -> None:
    good = {"seq": 9, "kind": "open", "from_a_later_version": True}
    queue = make_queue(MemoryStore({"next_seq": 10, "queue": [saved, good]}))

    await queue.load()

    assert [(e.seq, e.kind) for e in queue.entries] == [(9, "open")]


@pytest.mark.parametrize("next_seq", [0, -3, 1000, "7", None, True])
async def test_a_saved_next_seq_out_of_range_starts_again_at_1(next_seq: Any) -> None:
    queue = make_queue(MemoryStore({"next_seq": next_seq, "queue": "garbage"}), seq_limit=1000)

    assert await queue.load() is not None
    assert queue.take_seq() == 1
    assert len(queue) == 0


async def test_nothing_saved_is_an_empty_queue() -> None:
    queue = make_queue(MemoryStore())

    assert await queue.load() == {}
    assert len(queue) == 0


async def test_submit_saves_before_returning_and_finish_reaches_the_waiter() -> None:
    store = MemoryStore()
    queue = make_queue(store)

    seq = await queue.submit(PollCommand(seq=0, kind="add"))
    assert store.saves == 1
    waiting = asyncio.create_task(queue.wait(seq, 5))
    await asyncio.sleep(0)
    entry = queue.in_flight()
    assert entry is None  # not delivered yet
    (entry,) = queue.entries
    entry.delivered = 1.0
    assert queue.in_flight("add") is entry
    assert queue.in_flight("open") is None

    assert queue.finish(entry, "done") is True
    assert await waiting == (True, "done")
    assert len(queue) == 0
    assert queue.finish(entry, "again") is False  # nobody waits any more


async def test_several_callers_wait_for_one_command() -> None:
    queue = make_queue(MemoryStore())
    seq = await queue.submit(PollCommand(seq=0, kind="add"))
    first = asyncio.create_task(queue.wait(seq, 5))
    second = asyncio.create_task(queue.wait(seq, 5))
    await asyncio.sleep(0)

    queue.finish(queue.entries[0], ["p1"])

    assert await first == (True, ["p1"])
    assert await second == (True, ["p1"])


async def test_a_wait_that_times_out_leaves_the_command_queued() -> None:
    queue = make_queue(MemoryStore())
    seq = await queue.submit(PollCommand(seq=0, kind="add"))

    assert await queue.wait(seq, 0.01) == (False, None)
    assert len(queue) == 1
    assert await queue.wait(seq, 5) == (False, None)  # nobody waits any more: no wait
    assert queue.finish(queue.entries[0], True) is False


async def test_no_patience_gives_up_at_once() -> None:
    """An owner that knows the device is away does not wait at all."""
    queue = make_queue(MemoryStore())
    seq = await queue.submit(PollCommand(seq=0, kind="add"))

    assert await asyncio.wait_for(queue.wait(seq, 0), 1) == (False, None)
    assert len(queue) == 1


async def test_release_lets_every_waiter_go_and_keeps_the_commands() -> None:
    queue = make_queue(MemoryStore())
    seq = await queue.submit(PollCommand(seq=0, kind="add"))
    waiting = asyncio.create_task(queue.wait(seq, 60))
    await asyncio.sleep(0)

    queue.release()

    assert await waiting == (False, None)
    assert len(queue) == 1


async def test_expiry_drops_only_undelivered_commands_past_their_time() -> None:
    queue = make_queue(MemoryStore())
    old = await queue.submit(PollCommand(seq=0, kind="open", expires=100.0))
    waiting = asyncio.create_task(queue.wait(old, 5))
    queue.add(PollCommand(seq=0, kind="open", expires=300.0))
    delivered = PollCommand(seq=0, kind="open", expires=100.0, delivered=50.0)
    queue.add(delivered)
    queue.add(PollCommand(seq=0, kind="add"))  # never expires
    await asyncio.sleep(0)

    expired = queue.expire(200.0)

    assert [e.seq for e in expired] == [old]
    assert await waiting == (True, None)  # None: it got no result
    assert [e.expires for e in queue.entries] == [300.0, 100.0, None]
    assert delivered in queue.entries


async def test_add_can_put_a_command_ahead_of_others() -> None:
    """The owner's own commands overtake its callers' that are not delivered yet."""
    queue = make_queue(MemoryStore())
    first = PollCommand(seq=0, kind="add", delivered=1.0)
    queue.add(first)
    queue.add(PollCommand(seq=0, kind="add"))

    queue.add(PollCommand(seq=0, kind="hint"), before=lambda e: e.delivered is None)
    queue.add(PollCommand(seq=0, kind="hint"), before=lambda e: e.kind == "nothing")

    assert [(e.seq, e.kind) for e in queue.entries] == [
        (1, "add"),
        (3, "hint"),
        (2, "add"),
        (4, "hint"),
    ]
    queue.remove(first)
    queue.remove(first)  # twice is harmless
    assert queue.find(lambda e: e.kind == "add") is not None
    assert len(queue) == 3


async def test_a_long_poll_is_held_until_a_command_is_queued() -> None:
    """A long poll waits for the next command, and no longer than it may."""
    queue = make_queue(MemoryStore())
    assert await queue.until_undelivered(0.01) is False

    poll = asyncio.create_task(queue.until_undelivered(5))
    await asyncio.sleep(0)
    assert not poll.done()
    seq = await queue.submit(PollCommand(seq=0, kind="open"))

    assert await asyncio.wait_for(poll, 1) is True
    assert await queue.until_undelivered(5) is True  # already there: no wait
    queue.entries[0].delivered = 1.0
    assert await queue.until_undelivered(0.01) is False  # delivered ones do not count
    assert seq == 1
