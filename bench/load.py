"""The load generator and what it measures: records sent at a rate, events read back.

Records are sent on a fixed schedule (``rate`` per second for ``duration`` seconds) without
waiting for one another, each stamped with a sequence number that comes back in its event
(the person ID ``b<seq>`` of Face Access's ``access`` event, the ``seq`` of the floor's).
Latency is Home Assistant's ``last_changed`` of that event minus the instant the record
was sent; both clocks are this machine's.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
import itertools
import threading
import time
from typing import Any

import aiohttp
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from .hass import BenchHass, ProcWatch, StateChange
from .protocols import Message, Transport

DRAIN_SECONDS = 15.0
"""How long to wait after the last send for events still to come (then: lost)."""
BEHIND_LIMIT = 2.0
"""Sending stops when it is this many times the duration behind: a bound, never a loop."""

_SEQUENCE = itertools.count(int(time.time()) % 1_000_000 * 1000)
"""Sequence numbers, unique for the run and unlike an earlier run's (devices de-duplicate)."""


def next_seq() -> int:
    """Return a sequence number used by no other record of this run."""
    return next(_SEQUENCE)


def key_of(change: StateChange) -> int | None:
    """Return the sequence number an event carries, or None when it is not the load's."""
    raw = change.attributes.get("seq")
    if raw is None:
        person = change.attributes.get("person_id")
        # ``b<seq>``, or the bare number where the protocol's person IDs are numbers (UNV).
        raw = person.removeprefix("b") if isinstance(person, str) else None
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


class Collector:
    """Every event of the load, by sequence number (a duplicate shows as a second entry)."""

    def __init__(self) -> None:
        """Start empty; ``expect`` names the numbers a run waits for."""
        self.events: dict[int, list[StateChange]] = defaultdict(list)
        self._waiting: set[int] = set()
        self._all_in = asyncio.Event()

    def expect(self, seqs: set[int]) -> None:
        """Wait for these numbers (the run's sends) from now on."""
        self._waiting = {seq for seq in seqs if seq not in self.events}
        if self._waiting:
            self._all_in.clear()
        else:
            self._all_in.set()

    def on_change(self, change: StateChange) -> None:
        """Keep one state change of a watched entity."""
        seq = key_of(change)
        if seq is None:
            return
        self.events[seq].append(change)
        self._waiting.discard(seq)
        if not self._waiting:
            self._all_in.set()

    async def wait_all(self, seconds: float) -> None:
        """Wait until every expected event came, at most ``seconds``."""
        try:
            async with asyncio.timeout(seconds):
                await self._all_in.wait()
        except TimeoutError:
            pass


class MqttSender:
    """Publish to the broker as a device would (paho, QoS 1, its own network thread)."""

    def __init__(self, port: int) -> None:
        """Connect to the broker on 127.0.0.1:``port``."""
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-load-{port}")
        self._client.max_queued_messages_set(0)
        self._connected = threading.Event()
        self._client.on_connect = lambda *_args: self._connected.set()
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        if not self._connected.wait(20.0):
            raise RuntimeError("the load generator could not connect to the broker")

    def send(self, message: Message) -> None:
        """Queue one publish; paho's thread writes it out."""
        self._client.publish(message.target, message.body, qos=1)

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()


@dataclass
class Sent:
    """One record on its way: when it left and how its HTTP request ended."""

    seq: int
    sent: float
    label: str
    status: int | None = None


@dataclass
class LoadResult:
    """Everything one run of the load measured."""

    sent: list[Sent]
    events: dict[int, list[StateChange]]
    cpu_seconds: float
    rss_start_mb: float
    rss_end_mb: float
    peak_rss_mb: float
    probe: dict[str, Any]
    seconds: float
    waited_seconds: float = 0.0
    http_errors: int = 0
    behind: bool = False
    latencies_ms: list[float] = field(default_factory=list)
    received_ms: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Work out the latencies of the events that came back."""
        for item in self.sent:
            changes = self.events.get(item.seq)
            if changes:
                self.latencies_ms.append((changes[0].changed - item.sent) * 1000)
                self.received_ms.append((changes[0].received - item.sent) * 1000)

    @property
    def lost(self) -> int:
        """Records sent whose event never came."""
        return sum(1 for item in self.sent if not self.events.get(item.seq))

    @property
    def duplicated(self) -> int:
        """Extra events of records that came more than once."""
        return sum(max(len(self.events.get(item.seq, [])) - 1, 0) for item in self.sent)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[min(int(rank), len(ordered)) - 1]


class LoadGenerator:
    """Sends records for a phase: owns the MQTT connection and the HTTP session."""

    def __init__(self, bench: BenchHass, collector: Collector) -> None:
        """Use ``bench``'s broker and Home Assistant; events arrive through ``collector``."""
        self._bench = bench
        self._collector = collector
        self._mqtt = MqttSender(bench.mqtt_port)
        # A connection per request, as the devices open them (and no pool to favour one).
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True, limit=0),
            timeout=aiohttp.ClientTimeout(total=30),
        )
        self._base = f"http://127.0.0.1:{bench.http_port}"

    async def close(self) -> None:
        """Release the connections."""
        await self._session.close()
        await asyncio.to_thread(self._mqtt.close)

    async def _post(self, message: Message, item: Sent) -> None:
        try:
            async with self._session.post(
                self._base + message.target,
                data=message.body,
                headers={"Content-Type": message.content_type},
            ) as response:
                await response.read()
                item.status = response.status
        except (aiohttp.ClientError, TimeoutError):
            item.status = 0

    async def run(
        self,
        messages: Iterator[tuple[int, str, Message]],
        *,
        rate: float,
        duration: float,
        drain: float = DRAIN_SECONDS,
    ) -> LoadResult:
        """Send ``rate × duration`` messages from ``messages`` on schedule; measure.

        ``messages`` yields (seq, label, message), built just before it is sent (the time
        in a record is the time it is sent, as a device's).
        """
        count = max(int(rate * duration), 1)
        sent: list[Sent] = []
        posts: list[asyncio.Task[None]] = []
        before = await self._bench.probe(collect=True)
        # The collection itself stalls the loop: let the probe see it, then forget it.
        await asyncio.sleep(0.1)
        await self._bench.probe(reset=True)
        behind = False
        async with ProcWatch(self._bench.pid) as watch:
            started = time.monotonic()
            for index, (seq, label, message) in zip(range(count), messages, strict=False):
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif -delay > BEHIND_LIMIT * duration:
                    behind = True
                    break
                item = Sent(seq, time.time(), label)
                sent.append(item)
                if message.transport is Transport.MQTT:
                    self._mqtt.send(message)
                else:
                    posts.append(asyncio.create_task(self._post(message, item)))
            self._collector.expect({item.seq for item in sent})
            await self._collector.wait_all(drain + duration * 0.5)
            # A moment more: a duplicate comes after the first copy.
            await asyncio.sleep(0.5)
            if posts:
                await asyncio.gather(*posts)
            seconds = time.monotonic() - started
        probe = await self._bench.probe()
        probe["full_collection_before_ms"] = before.get("collect_ms")
        assert watch.start is not None
        assert watch.end is not None
        return LoadResult(
            sent=sent,
            events={item.seq: list(self._collector.events.get(item.seq, [])) for item in sent},
            cpu_seconds=watch.cpu_seconds,
            rss_start_mb=watch.start.rss_mb,
            rss_end_mb=watch.end.rss_mb,
            peak_rss_mb=watch.peak_rss_mb,
            probe=probe,
            seconds=seconds,
            waited_seconds=watch.waited_seconds,
            http_errors=sum(1 for item in sent if item.status is not None and item.status != 200),
            behind=behind,
        )
