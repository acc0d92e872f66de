"""The phases of a run; each adds its rows (plain dicts, written as they are to JSON).

Order (``bench.__main__``): the scale in devices first, on a fresh instance, so that its
memory figures start from an instance without devices; its first device of each protocol
stays for the rest and the others are removed. Then, per protocol: push ingest beside the
floor, the door round trip beside the protocol's floor, and enrollment (all protocols at
once, since most of it is waiting out the intervals the vendors demand).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
import itertools
from pathlib import Path
import statistics
import time
from typing import Any

from demo.people import add_people_entry, find_people_entry

from .devices import DOMAIN, BenchDevice, add_device, find_ids, reload_all, remove, wait_answered
from .floors import (
    door_client_only,
    enroll_batch_client_only,
    enroll_client_only,
    tablet_batch_client_only,
)
from .hass import FLOOR_FIXED_PATH, FLOOR_TOPIC, FLOOR_WEBHOOK_PATH, BenchHass, proc_sample
from .images import jpeg_of_size
from .load import Collector, LoadGenerator, LoadResult, next_seq, percentile
from .protocols import ADAPTERS, TABLET_HEARTBEAT, Message, Pictures, ProtocolAdapter

Row = dict[str, Any]
FACE_BYTES = 100_000
SCENE_BYTES = 400_000
PHOTO_BYTES = 50_000
TABLET_BATCH = 20
"""People per ``facelib_batch`` (temperature-terminal §7): the tablet's batch operation."""
ENROLL_ID_BASE = 500_000
"""The staff's person IDs are this plus 0..people-1."""
WARM_UP_RATE = 10.0
WARM_UP_SECONDS = 0.5
"""Records sent, unmeasured, before each measured run (``Run._warm_up``)."""
SETTLE_SECONDS = 3.0
"""Quiet time before a memory reading, for set-up work still under way to finish."""
PROFILE_SECONDS = 5.0
"""Seconds of ingest per protocol under the profiler (``--profile``)."""
ROSTER_PROTOCOLS = ("camera_mqtt", "face_terminal_mqtt")
"""The roster phase's devices by default: the camera of issue 16's criterion, and the face
terminal, the other device whose batch downloads its photos from Home Assistant."""
ROSTER_ID_BASE = 700_000
"""The imported people's IDs: this plus 10,000 × the device's place plus 0..people-1."""
ROSTER_POLL = 0.05
"""Seconds between two looks at the simulator while the roster reaches it."""
PERSON_OPERATORS = frozenset({"EditPersonsNew", "EditPerson", "AddPerson", "AddPersons"})
"""Commands of the MQTT family that put people on a device (face_terminal_mqtt §4)."""


@dataclass(frozen=True)
class Settings:
    """How long and how much each phase measures.

    The full run's durations keep it under 20 minutes on 2 cores: ingest gets 20 s per rate
    (1,000 records at 50/s, enough for a p99); enrollment goes in batches where the protocol
    has them (about a minute for 200 people on every protocol, floors included).
    """

    quick: bool = False
    ingest_seconds: float = 20.0
    rates: tuple[float, ...] = (10.0, 50.0)
    scale_levels: tuple[int, ...] = (1, 10, 50)
    scale_seconds: float = 15.0
    scale_rate: float = 50.0
    door_rounds: int = 10
    enroll_people: int = 200
    floor_enroll_people: int = 5
    warm_up: bool = True
    phases: tuple[str, ...] = ("scale", "ingest", "commands", "enrollment", "roster")
    enroll_protocols: tuple[str, ...] | None = None
    """The protocols the enrollment phase enrols on (None: all)."""
    roster_people: int = 200
    roster_protocols: tuple[str, ...] = ROSTER_PROTOCOLS
    """The devices the roster phase imports people for, one after the other."""

    @classmethod
    def smoke_run(cls) -> Settings:
        """Return the smallest run with every row (the test suite's): one rate, one round."""
        return cls(
            quick=True,
            ingest_seconds=1.0,
            rates=(50.0,),
            scale_levels=(1, 5),
            scale_seconds=1.0,
            door_rounds=1,
            enroll_people=1,
            floor_enroll_people=1,
            warm_up=False,
            roster_people=2,
            roster_protocols=("camera_mqtt",),
        )

    @classmethod
    def quick_run(cls) -> Settings:
        """Return a smoke run of a few seconds per row: every row exists, no figure means much."""
        return cls(
            quick=True,
            ingest_seconds=2.0,
            scale_levels=(1, 5),
            scale_seconds=2.0,
            door_rounds=2,
            enroll_people=3,
            floor_enroll_people=1,
            roster_people=3,
        )


class Progress:
    """One line per phase: what runs, how long the run took so far, about how long is left."""

    def __init__(self, estimates: Sequence[tuple[str, float]]) -> None:
        """``estimates``: (phase, estimated seconds), in the order they run."""
        self._estimates = dict(estimates)
        self._order = [name for name, _ in estimates]
        self._started = time.monotonic()
        self._done: set[str] = set()

    def begin(self, phase: str, detail: str = "") -> None:
        """Say that ``phase`` starts (and what is left after it)."""
        left = sum(self._estimates[name] for name in self._order if name not in self._done)
        index = self._order.index(phase) + 1 if phase in self._order else 0
        elapsed = time.monotonic() - self._started
        print(
            f"[bench {elapsed:6.0f} s] phase {index}/{len(self._order)} {phase}"
            f"{': ' + detail if detail else ''} (about {left:.0f} s left)",
            flush=True,
        )

    def end(self, phase: str) -> None:
        """Mark ``phase`` done."""
        self._done.add(phase)

    def note(self, message: str) -> None:
        """Print a line within a phase."""
        print(f"[bench {time.monotonic() - self._started:6.0f} s]   {message}", flush=True)


def estimates(settings: Settings) -> list[tuple[str, float]]:
    """Return the phases and their rough durations, for the progress lines."""
    per_run = settings.ingest_seconds + 2.5
    enroll = settings.enroll_people * 0.3 + 4 * TABLET_HEARTBEAT + 20
    roster = len(settings.roster_protocols) * (settings.roster_people * 0.2 + 15)
    every = [
        ("start", 60.0),
        ("scale", sum(1.5 * n + settings.scale_seconds + 5 for n in settings.scale_levels)),
        ("ingest", per_run * len(settings.rates) * 2 * len(ADAPTERS)),
        ("commands", settings.door_rounds * 8.0 + 20),
        ("enrollment", enroll),
        ("roster", roster),
    ]
    return [
        (name, seconds) for name, seconds in every if name == "start" or name in settings.phases
    ]


def make_pictures() -> Pictures:
    """Return the load's face (about 100 KB) and scene (about 400 KB), in Base64."""
    face = jpeg_of_size(FACE_BYTES, seed=1)
    scene = jpeg_of_size(SCENE_BYTES, seed=2, aspect=16 / 9)
    return Pictures(
        face_b64=base64.b64encode(face).decode("ascii"),
        scene_b64=base64.b64encode(scene).decode("ascii"),
        face_bytes=len(face),
        scene_bytes=len(scene),
    )


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def load_row(result: LoadResult) -> Row:
    """Return the figures of one load run."""
    records = len(result.sent)
    growth = result.rss_end_mb - result.rss_start_mb
    return {
        "records_sent": records,
        "events": sum(1 for item in result.sent if result.events.get(item.seq)),
        "lost": result.lost,
        "duplicated": result.duplicated,
        "http_errors": result.http_errors,
        "sender_fell_behind": result.behind,
        "latency_ms": {
            "p50": _ms(percentile(result.latencies_ms, 0.50)),
            "p95": _ms(percentile(result.latencies_ms, 0.95)),
            "p99": _ms(percentile(result.latencies_ms, 0.99)),
            "max": _ms(max(result.latencies_ms, default=None)),
        },
        "latency_read_ms": {
            "p50": _ms(percentile(result.received_ms, 0.50)),
            "p99": _ms(percentile(result.received_ms, 0.99)),
        },
        "cpu_s_per_1000": round(result.cpu_seconds / max(records, 1) * 1000, 3),
        "cpu_seconds": round(result.cpu_seconds, 2),
        "seconds": round(result.seconds, 1),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
        "rss_growth_mb": round(growth, 1),
        "rss_growth_mb_per_10k": round(growth / max(records, 1) * 10_000, 1),
        "max_stall_ms": result.probe.get("max_stall_ms"),
        # Time the loop's thread was ready but other processes had the CPUs.
        "loop_cpu_wait_ms": round(result.waited_seconds * 1000, 1),
        "stalls_over_20ms": result.probe.get("stalls_over_20ms"),
        "gc_max_ms": result.probe.get("gc_max_ms"),
        "gc_total_ms": result.probe.get("gc_total_ms"),
        "gc_collections": result.probe.get("gc_collections"),
        "full_collection_before_ms": result.probe.get("full_collection_before_ms"),
    }


def _messages(
    devices: Sequence[BenchDevice], pictures: Pictures, *, floor: bool
) -> Iterator[tuple[int, str, Message]]:
    """Yield the records of ``devices`` in turn (to the floor: the same bytes)."""
    for device in itertools.cycle(devices):
        seq = next_seq()
        message = device.adapter.record(device.target, seq, pictures)
        if floor:
            message = floor_address(message, seq)
        yield seq, device.adapter.protocol, message


def floor_address(message: Message, seq: int) -> Message:
    """Return ``message`` addressed to the floor component (same transport and body)."""
    from .protocols import floor_message  # noqa: PLC0415 - keeps the names together

    return floor_message(message, seq, FLOOR_WEBHOOK_PATH, FLOOR_FIXED_PATH, FLOOR_TOPIC)


def _ratio(value: float | None, floor: float | None) -> float | None:
    if value is None or floor is None or floor <= 0:
        return None
    return round(value / floor, 2)


def _write_roster_folder(folder: Path, ids: Sequence[str], photo: bytes) -> None:
    """Write ``<id>.jpg`` for each ID and ``people.csv`` (the import's layout) to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["person_id,name"]
    for number, person_id in enumerate(ids):
        (folder / f"{person_id}.jpg").write_bytes(photo)
        lines.append(f"{person_id},Roster {number}")
    (folder / "people.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _photo_costs(source: bytes) -> tuple[bytes, float, float]:
    """Return the kept photo and the CPU seconds of the import's and the sync's normalising.

    The import keeps each photo normalised to the roster's limits
    (``people_entry.normalize_photo``); the sync normalises the kept copy again to the
    device's (``roster_photos.read_photo``; the MQTT family's limits). One photo, this thread.
    """
    from custom_components.face_access.people_entry import (  # noqa: PLC0415
        normalize_photo as keep,
    )
    from custom_components.face_access.protocols.hfsecurity_mqtt.variants import (  # noqa: PLC0415
        PHOTO_LIMITS,
    )
    from custom_components.face_access.protocols.images import normalize_photo  # noqa: PLC0415

    keep(source)  # the first call pays for imports and caches
    started = time.thread_time()
    kept = keep(source)
    middle = time.thread_time()
    normalize_photo(kept, PHOTO_LIMITS)
    return kept, middle - started, time.thread_time() - middle


class Run:
    """One benchmark run on one Home Assistant."""

    def __init__(self, bench: BenchHass, settings: Settings, progress: Progress) -> None:
        """Use ``bench`` (started); nothing is measured until the phases run."""
        self.bench = bench
        self.settings = settings
        self.progress = progress
        self.collector = Collector()
        self.pictures = make_pictures()
        self.devices: list[BenchDevice] = []
        self.base: dict[str, BenchDevice] = {}
        self.rows: dict[str, list[Row]] = {
            "ingest": [],
            "scale": [],
            "commands": [],
            "enrollment": [],
            "roster": [],
        }
        self.people_entry_id: str | None = None
        self.load: LoadGenerator | None = None
        self.records_to_integration = 0
        self.memory: Row = {}

    async def _watch(self) -> None:
        """Follow the access events of every device and the floor's, over the websocket."""
        assert self.bench.stream is not None
        entity_ids = [device.entities["access"] for device in self.devices]
        entity_ids += [f"event.bench_floor_{name}" for name in ("mqtt", "webhook", "fixed_path")]
        self.bench.stream.on_change = self.collector.on_change
        await self.bench.stream.start(entity_ids)

    async def _warm_up(self, devices: Sequence[BenchDevice], *, floor: bool) -> None:
        """Send a few records that are not measured (unless the settings say not to)."""
        if self.settings.warm_up and self.load is not None:
            await self.load.run(
                _messages(devices, self.pictures, floor=floor),
                rate=WARM_UP_RATE,
                duration=WARM_UP_SECONDS,
                drain=5.0,
            )

    # -------------------------------------------------------------- scale

    async def scale(self) -> None:
        """Measure set-up time, memory per device and ingest at 1, 10, 50 mixed devices."""
        assert self.bench.client is not None
        client = self.bench.client
        await asyncio.sleep(SETTLE_SECONDS)
        baseline = proc_sample(self.bench.pid).rss_mb
        counters = dict.fromkeys((adapter.protocol for adapter in ADAPTERS), 0)
        previous_rss, previous_level = baseline, 0
        self.load = LoadGenerator(self.bench, self.collector)
        for level in self.settings.scale_levels:
            started = time.monotonic()
            while len(self.devices) < level:
                adapter = ADAPTERS[len(self.devices) % len(ADAPTERS)]
                counters[adapter.protocol] += 1
                self.devices.append(
                    await add_device(self.bench, adapter, counters[adapter.protocol])
                )
            added = time.monotonic() - started
            await find_ids(client, self.devices)
            await wait_answered(self.devices)
            await asyncio.sleep(SETTLE_SECONDS)
            rss = proc_sample(self.bench.pid).rss_mb
            setup = await reload_all(client, self.devices)
            await wait_answered(self.devices)
            await self._watch()
            self.progress.note(
                f"{level} devices: added in {added:.1f} s, set up again in {setup:.2f} s; "
                f"ingest {self.settings.scale_rate:.0f}/s over all of them"
            )
            await self._warm_up(self.devices, floor=False)
            result = await self.load.run(
                _messages(self.devices, self.pictures, floor=False),
                rate=self.settings.scale_rate,
                duration=self.settings.scale_seconds,
            )
            mix: dict[str, int] = {}
            for device in self.devices:
                mix[device.adapter.protocol] = mix.get(device.adapter.protocol, 0) + 1
            self.rows["scale"].append(
                {
                    "devices": level,
                    "protocols": mix,
                    "add_seconds": round(added, 1),
                    "setup_seconds": round(setup, 2),
                    "rss_mb": round(rss, 1),
                    "rss_baseline_mb": round(baseline, 1),
                    "rss_per_device_mb": round((rss - baseline) / level, 2),
                    # The first device also loads the integration's code: the devices
                    # added since the previous level tell the cost of one more device.
                    "rss_marginal_per_device_mb": round(
                        (rss - previous_rss) / max(level - previous_level, 1), 2
                    ),
                    "rate": self.settings.scale_rate,
                    **load_row(result),
                }
            )
            previous_rss, previous_level = rss, level
        await self.keep_one_per_protocol()

    async def keep_one_per_protocol(self) -> None:
        """Keep the first device of each protocol (adding any missing); remove the others.

        Also after a failed scale phase, so that the other phases still have their devices.
        """
        assert self.bench.client is not None
        client = self.bench.client
        if self.load is None:
            self.load = LoadGenerator(self.bench, self.collector)
        for device in self.devices:
            self.base.setdefault(device.adapter.protocol, device)
        extra = [device for device in self.devices if device not in self.base.values()]
        if extra:
            self.progress.note(f"removing the {len(extra)} devices beyond one per protocol")
            await remove(client, extra)
        self.devices = [
            self.base[adapter.protocol] for adapter in ADAPTERS if adapter.protocol in self.base
        ]
        missing = [adapter.protocol for adapter in ADAPTERS if adapter.protocol not in self.base]
        for number, protocol in enumerate(missing, start=1):
            adapter = next(item for item in ADAPTERS if item.protocol == protocol)
            device = await add_device(self.bench, adapter, 900 + number)
            self.base[protocol] = device
            self.devices.append(device)
        await find_ids(client, self.devices)
        await wait_answered(self.devices)
        await self._watch()

    # -------------------------------------------------------------- ingest

    async def ingest(self) -> None:
        """Per protocol and rate: Face Access, then the floor with the same records.

        Also the memory over the whole phase (``ingest_memory``): one run is too short to
        tell growth from the allocator's noise; all of them together are not.
        """
        assert self.load is not None
        start = proc_sample(self.bench.pid)
        for adapter in ADAPTERS:
            device = self.base[adapter.protocol]
            for rate in self.settings.rates:
                runs: dict[str, Row] = {}
                for floor in (False, True):
                    # A few records first, not measured: the first record of a kind pays
                    # one-off costs (imports, caches) that a running installation has paid.
                    await self._warm_up([device], floor=floor)
                    result = await self.load.run(
                        _messages([device], self.pictures, floor=floor),
                        rate=rate,
                        duration=self.settings.ingest_seconds,
                    )
                    runs["floor" if floor else "integration"] = load_row(result)
                integration, bottom = runs["integration"], runs["floor"]
                row: Row = {
                    "protocol": adapter.protocol,
                    "transport": adapter.transport.value,
                    "rate": rate,
                    "seconds": self.settings.ingest_seconds,
                    "face_bytes": self.pictures.face_bytes,
                    "scene_bytes": self.pictures.scene_bytes if adapter.scene else 0,
                    "integration": integration,
                    "floor": bottom,
                    "p99_ratio": _ratio(
                        integration["latency_ms"]["p99"], bottom["latency_ms"]["p99"]
                    ),
                    "cpu_ratio": _ratio(integration["cpu_s_per_1000"], bottom["cpu_s_per_1000"]),
                }
                self.rows["ingest"].append(row)
                self.records_to_integration += integration["records_sent"]
                self.progress.note(
                    f"{adapter.protocol} {rate:.0f}/s: p99 {integration['latency_ms']['p99']} ms "
                    f"(floor {bottom['latency_ms']['p99']}), CPU {integration['cpu_s_per_1000']} "
                    f"s/1000 (floor {bottom['cpu_s_per_1000']}), lost {integration['lost']}"
                )

        await asyncio.sleep(SETTLE_SECONDS)
        end = proc_sample(self.bench.pid)
        records = max(self.records_to_integration, 1)
        self.memory = {
            "rss_start_mb": round(start.rss_mb, 1),
            "rss_end_mb": round(end.rss_mb, 1),
            "records_to_face_access": self.records_to_integration,
            "rss_growth_mb_per_10k": round((end.rss_mb - start.rss_mb) / records * 10_000, 2),
            "note": "over the whole ingest phase (Face Access and floor runs; the floor's "
            "records are not counted, so the figure is an upper bound)",
        }

    # -------------------------------------------------------------- commands

    async def _press(self, device: BenchDevice) -> float:
        """Press Open door in Home Assistant; return the seconds until the device opened."""
        assert self.bench.client is not None
        before = device.simulator.unlock_count
        started = time.perf_counter()
        await self.bench.client.call_service(
            "button", "press", {"entity_id": device.entities["open_door"]}
        )
        while device.simulator.unlock_count == before:
            if time.perf_counter() - started > 30.0:
                raise TimeoutError(f"{device.spec.title} never opened its door")
            await asyncio.sleep(0.001)
        return time.perf_counter() - started

    async def commands(self) -> None:
        """Door round trip per protocol through Home Assistant, beside its floor."""
        rounds = self.settings.door_rounds
        for adapter in ADAPTERS:
            device = self.base[adapter.protocol]
            if "open_door" not in device.entities:
                # The protocol has no door command (a camera): a row that says so.
                self.rows["commands"].append(
                    {
                        "protocol": adapter.protocol,
                        "rounds": 0,
                        "applicable": False,
                        "floor_basis": "no door command in this protocol (no Open door button)",
                    }
                )
                self.progress.note(f"{adapter.protocol}: no door to open")
                continue
            through_ha = []
            for number in range(rounds):
                if adapter.heartbeat_bound:
                    # Presses land anywhere in the heartbeat cycle, as a person's would.
                    await asyncio.sleep(TABLET_HEARTBEAT * ((number * 0.37) % 1))
                through_ha.append(await self._press(device))
            alone = await door_client_only(device, self.bench.mqtt_port, rounds)
            floor_p50: float | None
            floor_p95: float | None
            if adapter.heartbeat_bound:
                floor_p50 = floor_p95 = float(TABLET_HEARTBEAT)
                basis = f"one heartbeat period ({TABLET_HEARTBEAT} s)"
            else:
                floor_p50, floor_p95 = percentile(alone, 0.5), percentile(alone, 0.95)
                basis = "one request: the protocol client alone, same device"
            p50, p95 = percentile(through_ha, 0.5), percentile(through_ha, 0.95)
            self.rows["commands"].append(
                {
                    "protocol": adapter.protocol,
                    "rounds": rounds,
                    "applicable": True,
                    "p50_ms": _ms(p50 * 1000 if p50 is not None else None),
                    "p95_ms": _ms(p95 * 1000 if p95 is not None else None),
                    "client_only_p50_ms": _ms(1000 * (percentile(alone, 0.5) or 0)),
                    "client_only_p95_ms": _ms(1000 * (percentile(alone, 0.95) or 0)),
                    "floor_p50_ms": _ms(1000 * (floor_p50 or 0)),
                    "floor_p95_ms": _ms(1000 * (floor_p95 or 0)),
                    "floor_basis": basis,
                    "p50_ratio": _ratio(p50, floor_p50),
                    "p95_ratio": _ratio(p95, floor_p95),
                }
            )
            self.progress.note(
                f"{adapter.protocol}: door p50 {1000 * (p50 or 0):.0f} ms, "
                f"p95 {1000 * (p95 or 0):.0f} ms (floor p50 {1000 * (floor_p50 or 0):.0f} ms)"
            )

    # -------------------------------------------------------------- enrollment

    async def _enroll_all(self, device: BenchDevice, photo: str, people: int) -> Row:
        """Enrol ``people`` people on ``device`` as the roster sync does; time until it holds them.

        Through ``batch_enroll.async_enroll_many`` (``bench_floor/enroll_many``): in batches
        where the protocol has them, one by one elsewhere.
        """
        assert self.bench.client is not None
        client = self.bench.client
        # Numbers: UNV person IDs must be (1 to 2^32 - 1); every protocol takes them.
        ids = [str(ENROLL_ID_BASE + number) for number in range(people)]
        wanted = set(ids)

        def held() -> int:
            return len(wanted.intersection(device.simulator.persons))

        # Its floor starts with an idle client, halfway through a heartbeat period: so does
        # this. A tablet's first-call reads go out one per heartbeat and would come first,
        # and the last of them is confirmed by a heartbeat, where the wait ends.
        idle = await client.websocket(
            {"type": "bench_floor/idle", "device_id": device.ha_device_id}, seconds=60
        )
        if idle["queued"]:
            await asyncio.sleep(TABLET_HEARTBEAT * 0.5)
        started = time.monotonic()
        response = await client.websocket(
            {
                "type": "bench_floor/enroll_many",
                "device_id": device.ha_device_id,
                "photo_path": photo,
                "person_ids": ids,
            },
            seconds=people * 15 + 120,
        )
        statuses: dict[str, int] = response["statuses"]
        answered = time.monotonic() - started
        # "pending" answers finish later: the device holding everyone is the end.
        deadline = started + people * 10 + 60
        while held() < people and time.monotonic() < deadline:  # noqa: ASYNC110
            # The simulator's people are a thread's state: polling it is all there is.
            await asyncio.sleep(0.2)
        return {
            "seconds": round(time.monotonic() - started, 2),
            "calls_answered_seconds": round(answered, 2),
            "on_device": held(),
            "statuses": statuses,
        }

    async def enrollment(self) -> None:
        """Enrol the staff on one device per protocol, all protocols at once; and the floors."""
        people = self.settings.enroll_people
        source = jpeg_of_size(PHOTO_BYTES, seed=3)
        photo = self.bench.photos / "staff.jpg"
        await asyncio.to_thread(photo.write_bytes, source)
        adapters = [
            adapter
            for adapter in ADAPTERS
            if self.settings.enroll_protocols is None
            or adapter.protocol in self.settings.enroll_protocols
        ]
        results = await asyncio.gather(
            *(
                self._enroll_all(self.base[adapter.protocol], str(photo), people)
                for adapter in adapters
            )
        )
        for adapter, measured in zip(adapters, results, strict=True):
            device = self.base[adapter.protocol]
            extra: Row = {}
            if adapter.heartbeat_bound and adapter.photo_interval is not None:
                # The tablet's batch operation: chunks of 20 chained by `type` 9 (§7).
                floor = await tablet_batch_client_only(source, people)
                per_command = floor / people
                one_each = people * adapter.photo_interval
                basis = (
                    f"facelib_batch chain of {TABLET_BATCH} people per reply: the client's "
                    f"enroll_batch alone, from mid heartbeat ({TABLET_HEARTBEAT} s period)"
                )
                extra = {
                    "floor_one_per_reply_seconds": one_each,
                    "ratio_one_per_reply": _ratio(measured["seconds"], one_each),
                }
            elif (
                batch := await enroll_batch_client_only(
                    device, self.bench.mqtt_port, source, people
                )
            ) is not None:
                # EditPersonsNew: everyone in batches of 1000 (face_terminal_mqtt §4.13).
                per_command = batch / people
                floor = batch
                basis = (
                    f"EditPersonsNew: the client's enroll_batch alone, {people} people, "
                    "photos downloaded by the device"
                )
                if adapter.photo_interval is not None:
                    one_each = (people - 1) * adapter.photo_interval
                    extra = {
                        "floor_one_by_one_seconds": one_each,
                        "ratio_one_by_one": _ratio(measured["seconds"], one_each),
                    }
            elif adapter.photo_interval is not None:
                # The first command goes at once; each further one waits the interval.
                alone = await enroll_client_only(device, self.bench.mqtt_port, source, 1)
                per_command = adapter.photo_interval
                floor = (people - 1) * adapter.photo_interval + alone[0]
                basis = (
                    f"{adapter.photo_interval_source}: (people − 1) × {adapter.photo_interval:g} s"
                    f" + one enrolment by the client alone ({alone[0] * 1000:.0f} ms)"
                )
            else:
                alone = await enroll_client_only(
                    device, self.bench.mqtt_port, source, self.settings.floor_enroll_people
                )
                per_command = statistics.median(alone)
                floor = per_command * people
                basis = "no interval required: the client alone, one enrolment (median) × people"
            self.rows["enrollment"].append(
                {
                    "protocol": adapter.protocol,
                    "people": people,
                    "photo_bytes": len(source),
                    "path": "async_enroll_many",
                    **measured,
                    "floor_seconds": round(floor, 2),
                    "floor_per_person_s": round(per_command, 3),
                    "floor_basis": basis,
                    "ratio": _ratio(measured["seconds"], floor),
                    **extra,
                }
            )
            self.progress.note(
                f"{adapter.protocol}: {people} people in {measured['seconds']} s "
                f"(floor {floor:.1f} s, {measured['statuses']})"
            )

    # -------------------------------------------------------------- roster

    async def _people_entry(self) -> str:
        """Return the People entry's ID, adding it through the config flow the first time."""
        assert self.bench.client is not None
        client = self.bench.client
        if self.people_entry_id is None:
            found = await find_people_entry(client)
            self.people_entry_id = (
                found["entry_id"] if found is not None else await add_people_entry(client)
            )
            # Its sync first reconciles every device; let that pass before anything is timed.
            await asyncio.sleep(SETTLE_SECONDS)
        return self.people_entry_id

    async def _import_roster(self, device: BenchDevice, folder: Path, ids: list[str]) -> Row:
        """Call ``face_access.import_people`` for ``folder``; time until ``device`` holds ``ids``.

        The simulator is watched while the call runs (the sync starts with the first row):
        when each of its people commands (``PERSON_OPERATORS``) first showed, with how many
        of ``ids`` it carried, and when it held them all. Times are seconds since the call.
        """
        assert self.bench.client is not None
        client = self.bench.client
        simulator = device.simulator
        wanted = set(ids)
        seen = len(simulator.received)  # type: ignore[attr-defined]
        seen_acks = len(simulator.published)  # type: ignore[attr-defined]
        commands: list[tuple[float, int]] = []
        acks: list[float] = []
        held_at: float | None = None
        answered: float | None = None
        done = asyncio.Event()
        before = proc_sample(self.bench.pid)
        started = time.monotonic()

        async def watch() -> None:
            nonlocal seen, seen_acks, held_at
            deadline = started + len(ids) * 10 + 120
            last_note = started
            while time.monotonic() < deadline:
                now = time.monotonic() - started
                received = simulator.received  # type: ignore[attr-defined]
                for command in received[seen:]:
                    if command.get("operator") in PERSON_OPERATORS:
                        info = command.get("info")
                        people = info if isinstance(info, list) else [info]
                        count = sum(
                            1
                            for item in people
                            if isinstance(item, dict) and str(item.get("customId")) in wanted
                        )
                        if count:
                            commands.append((round(now, 2), count))
                seen = len(received)
                published = simulator.published  # type: ignore[attr-defined]
                acks.extend(
                    now
                    for _topic, message in published[seen_acks:]
                    if str(message.get("operator", "")).endswith("-Ack")
                    and str(message["operator"]).removesuffix("-Ack") in PERSON_OPERATORS
                )
                seen_acks = len(published)
                held = len(wanted.intersection(simulator.persons))
                if held == len(wanted):
                    held_at = now
                    return
                if time.monotonic() - last_note >= 10.0:
                    last_note = time.monotonic()
                    state = "importing" if answered is None else "import answered"
                    self.progress.note(
                        f"{device.adapter.protocol}: {state}, {held}/{len(wanted)} on the "
                        f"device after {now:.0f} s ({len(wanted) - held} left)"
                    )
                if done.is_set() and answered is None:
                    return  # the call failed: nothing more will come
                await asyncio.sleep(ROSTER_POLL)

        watcher = asyncio.create_task(watch())
        try:
            response = await client.request(
                "POST",
                f"/api/services/{DOMAIN}/import_people?return_response",
                json={"folder": str(folder), "terminals": [device.ha_device_id]},
                seconds=len(ids) * 5 + 120,
            )
            answered = time.monotonic() - started
        finally:
            done.set()
            if answered is None:
                watcher.cancel()
        self.progress.note(
            f"{device.adapter.protocol}: import answered in {answered:.1f} s; waiting for the "
            f"device ({len(wanted.intersection(simulator.persons))}/{len(ids)} there)"
        )
        await watcher
        after = proc_sample(self.bench.pid)
        imported = response["service_response"]
        first = commands[0][0] if commands else None
        # The device works one batch at a time: it idles before the first command and
        # between a batch's answer and the next command (the sync's own time).
        idle = None
        if first is not None and len(acks) >= len(commands) - 1:
            idle = first + sum(
                max(0.0, sent - acked)
                for (sent, _people), acked in zip(commands[1:], acks, strict=False)
            )
        return {
            "import_seconds": round(answered, 2),
            "import_statuses": {key: imported[key] for key in ("added", "updated", "failed")},
            "seconds": None if held_at is None else round(held_at, 2),
            "first_command_seconds": first,
            "sync_seconds": None if held_at is None or first is None else round(held_at - first, 2),
            "commands": len(commands),
            "batches": [
                [sent, count, round(acks[number], 2) if number < len(acks) else None]
                for number, (sent, count) in enumerate(commands)
            ],
            "device_idle_seconds": None if idle is None else round(idle, 2),
            "on_device": len(wanted.intersection(simulator.persons)),
            # Home Assistant's CPU (all its threads) from the call until everyone was there,
            # and how long its loop's thread waited for a CPU meanwhile.
            "ha_cpu_seconds": round(after.cpu - before.cpu, 2),
            "loop_cpu_wait_seconds": round(after.waited - before.waited, 2),
        }

    async def roster(self) -> None:
        """Import people from a folder for each roster device; beside the batch floor.

        Per device (``Settings.roster_protocols``, one after the other): ``people`` photos
        and ``people.csv`` in an allow-listed folder, ``face_access.import_people`` with the
        device as the only terminal, and the time until the device holds everyone, from the
        call and from the sync's first command. The floor is the protocol client's
        ``enroll_batch`` alone (``floors.enroll_batch_client_only``), as for enrollment.
        """
        assert self.bench.client is not None
        client = self.bench.client
        people = self.settings.roster_people
        source = jpeg_of_size(PHOTO_BYTES, seed=3)
        kept, import_cpu, sync_cpu = await asyncio.to_thread(_photo_costs, source)
        self.progress.note("adding the People entry")
        await self._people_entry()
        for place, protocol in enumerate(self.settings.roster_protocols):
            device = self.base[protocol]
            ids = [str(ROSTER_ID_BASE + 10_000 * place + number) for number in range(people)]
            folder = self.bench.photos / f"roster-{protocol}"
            self.progress.note(f"{protocol}: writing {people} photos and people.csv to {folder}")
            await asyncio.to_thread(_write_roster_folder, folder, ids, source)
            # Each person costs the import more the larger the roster already is.
            entry_id = await self._people_entry()
            before = len(await client.subentries(entry_id))
            self.progress.note(f"{protocol}: importing {people} people ({before} on the roster)")
            measured = await self._import_roster(device, folder, ids)
            self.progress.note(f"{protocol}: the floor, {people} people by the client alone")
            floor = await enroll_batch_client_only(device, self.bench.mqtt_port, source, people)
            row: Row = {
                "protocol": protocol,
                "people": people,
                "roster_before": before,
                "photo_bytes": len(source),
                "path": "import_people → roster sync → async_enroll_many",
                **measured,
                "floor_seconds": None if floor is None else round(floor, 2),
                "floor_basis": f"EditPersonsNew: the client's enroll_batch alone, {people} "
                "people, photos downloaded by the device",
                "ratio": _ratio(measured["seconds"], floor),
                "sync_ratio": _ratio(measured["sync_seconds"], floor),
                "import_ratio": _ratio(measured["import_seconds"], floor),
                "kept_photo_bytes": len(kept),
                # Measured here, one photo in one thread: what the import (kept copy) and
                # the sync (the device's copy) spend on each person's photo.
                "import_photo_ms": round(import_cpu * 1000, 1),
                "sync_photo_ms": round(sync_cpu * 1000, 1),
            }
            self.rows["roster"].append(row)
            self.progress.note(
                f"{protocol}: {measured['on_device']}/{people} imported people on the device "
                f"{measured['seconds']} s after the call (import {measured['import_seconds']} s, "
                f"first command at {measured['first_command_seconds']} s, "
                f"{measured['commands']} commands); floor "
                f"{'–' if floor is None else f'{floor:.1f}'} s, ratio {row['ratio']}"
            )

    async def profile_roster(self, directory: Path) -> None:
        """Profile Home Assistant's loop while the camera's roster is imported again.

        Other people (``ROSTER_ID_BASE`` place 9), the same way as ``roster``, onto a
        roster that holds the measured runs' people already; not a measurement (cProfile
        slows what it watches, every thread's, the executor's included). Written to
        ``directory/roster.txt`` with the run's timeline.
        """
        assert self.bench.client is not None
        client = self.bench.client
        protocol = self.settings.roster_protocols[0]
        device = self.base[protocol]
        people = self.settings.roster_people
        ids = [str(ROSTER_ID_BASE + 90_000 + number) for number in range(people)]
        folder = self.bench.photos / "roster-profile"
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(
            _write_roster_folder, folder, ids, jpeg_of_size(PHOTO_BYTES, seed=3)
        )
        await self._people_entry()
        await client.websocket({"type": "bench_floor/profile", "action": "start"})
        try:
            measured = await self._import_roster(device, folder, ids)
        finally:
            stats = await client.websocket({"type": "bench_floor/profile", "action": "stop"})
        path = directory / "roster.txt"
        await asyncio.to_thread(
            path.write_text,
            f"{protocol}: import of {people} people under cProfile (all threads)\n"
            f"{ {key: value for key, value in measured.items() if key != 'batches'} }\n"
            f"people commands (seconds since the call, people, answered): {measured['batches']}\n\n"
            + stats["tottime"]
            + "\n"
            + stats["cumulative"],
            "utf-8",
        )
        self.progress.note(f"{protocol}: roster import profile in {path}")

    # -------------------------------------------------------------- profile

    async def profile(self, directory: Path) -> None:
        """Profile Home Assistant's loop while each protocol ingests at the highest rate.

        Not a measurement (cProfile slows what it watches): where the time goes, written
        to ``directory`` as one text file per protocol, for finding what to tune.
        """
        assert self.load is not None
        assert self.bench.client is not None
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        for adapter in ADAPTERS:
            device = self.base[adapter.protocol]
            await self.bench.client.websocket({"type": "bench_floor/profile", "action": "start"})
            result = await self.load.run(
                _messages([device], self.pictures, floor=False),
                rate=max(self.settings.rates),
                duration=PROFILE_SECONDS,
            )
            stats = await self.bench.client.websocket(
                {"type": "bench_floor/profile", "action": "stop"}
            )
            path = directory / f"{adapter.protocol}.txt"
            await asyncio.to_thread(
                path.write_text,
                f"{adapter.protocol}: {len(result.sent)} records at {max(self.settings.rates):g}/s"
                f" under cProfile (all threads)\n\n"
                + stats["tottime"]
                + "\n"
                + stats["cumulative"],
                "utf-8",
            )
            self.progress.note(f"{adapter.protocol}: profile in {path}")

    async def close(self) -> None:
        """Release the load generator."""
        if self.load is not None:
            await self.load.close()


__all__ = ["ADAPTERS", "ProtocolAdapter", "Run", "Settings"]
