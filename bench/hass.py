"""The benchmark's Home Assistant: its configuration, the processes, and what is read of it.

Built on the demo's machinery (``demo.processes``, ``demo.hass_api``, ``demo.runner``'s
way of adding devices) but with a configuration of its own: a temporary directory, only
the components the benchmark needs (no recorder, frontend or history, whose cost would be
the same for Face Access and the floor and only add noise), Home Assistant in UTC, and the
floor component (``bench/floor_component``) linked in beside the integration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import Any

import aiohttp

from demo.config import INTEGRATION_SOURCE
from demo.hass_api import HassClient, JsonObject
from demo.processes import ChildProcess
from demo.provision import default_cache, provision
from simulators.lifecycle import accepts_connections, free_port

from .floor_component.custom_components.bench_floor.const import (
    DOMAIN as FLOOR_DOMAIN,
    FIXED_PATH as FLOOR_FIXED_PATH,
    MQTT_TOPIC as FLOOR_TOPIC,
    WEBHOOK_ID as FLOOR_WEBHOOK_ID,
)

FLOOR_SOURCE = (
    Path(__file__).resolve().parent / "floor_component" / "custom_components" / FLOOR_DOMAIN
)
FLOOR_WEBHOOK_PATH = f"/api/webhook/{FLOOR_WEBHOOK_ID}"
__all__ = ["FLOOR_FIXED_PATH", "FLOOR_TOPIC", "FLOOR_WEBHOOK_PATH", "BenchHass"]

USERNAME = "bench"
PASSWORD = "bench-bench"
START_TIMEOUT = 240.0
"""Seconds for Home Assistant to start on a busy 2-core machine."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _configuration(root: Path, port: int, photos: Path) -> str:
    """Return ``configuration.yaml``: the API, webhooks, onboarding and the floor only."""
    return f"""\
# Written by scripts/bench for one run.
homeassistant:
  name: Face Access benchmark
  latitude: 52.3731
  longitude: 4.8922
  elevation: 0
  unit_system: metric
  time_zone: UTC
  country: NL
  internal_url: http://127.0.0.1:{port}
  allowlist_external_dirs:
    - {photos}
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
onboarding:
websocket_api:
webhook:
{FLOOR_DOMAIN}:
logger:
  default: warning
"""


def _skip_location_step(root: Path) -> None:
    """Mark onboarding's location step done, so it adds no integration that goes online.

    The same record as ``demo.config.skip_core_config_step`` writes (onboarding store 4).
    """
    store = root / ".storage" / "onboarding"
    store.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "version": 4,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": ["core_config"]},
    }
    store.write_text(json.dumps(record) + "\n", encoding="utf-8")


@dataclass
class ProcSample:
    """CPU seconds (user + system) and resident memory (MB) of a process at one instant.

    ``waited``: seconds its main thread (Home Assistant's event loop) has spent ready to
    run but waiting for a CPU. It tells a stall that the machine caused (other processes
    on the same cores) from one that Home Assistant's own code caused.
    """

    cpu: float
    rss_mb: float
    waited: float = 0.0


def proc_sample(pid: int) -> ProcSample:
    """Read ``/proc/<pid>/stat`` (utime, stime), ``statm`` (pages) and ``schedstat``."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    # The command name may hold spaces; the fields after its closing parenthesis do not.
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    resident = int(Path(f"/proc/{pid}/statm").read_text(encoding="ascii").split()[1])
    try:
        # The main thread's: run time, run-queue wait time (ns), time slices.
        waited = int(Path(f"/proc/{pid}/schedstat").read_text(encoding="ascii").split()[1]) / 1e9
    except (OSError, IndexError, ValueError):  # a kernel without schedstats
        waited = 0.0
    return ProcSample(cpu=cpu, rss_mb=resident * PAGE_KB / 1024, waited=waited)


@dataclass
class ProcWatch:
    """Sample a process's memory while a phase runs: the start, the peak and the end."""

    pid: int
    interval: float = 0.25
    start: ProcSample | None = None
    end: ProcSample | None = None
    peak_rss_mb: float = 0.0
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ProcWatch:
        """Take the first sample and keep sampling."""
        self.start = proc_sample(self.pid)
        self.peak_rss_mb = self.start.rss_mb
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.peak_rss_mb = max(self.peak_rss_mb, proc_sample(self.pid).rss_mb)

    async def __aexit__(self, *_exc: object) -> None:
        """Stop sampling and take the last sample."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.end = proc_sample(self.pid)
        self.peak_rss_mb = max(self.peak_rss_mb, self.end.rss_mb)

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds the process used between the first and the last sample."""
        assert self.start is not None
        assert self.end is not None
        return self.end.cpu - self.start.cpu

    @property
    def waited_seconds(self) -> float:
        """Seconds the event loop's thread waited for a CPU between the two samples."""
        assert self.start is not None
        assert self.end is not None
        return self.end.waited - self.start.waited

    @property
    def rss_growth_mb(self) -> float:
        """Resident memory at the end minus at the start."""
        assert self.start is not None
        assert self.end is not None
        return self.end.rss_mb - self.start.rss_mb


class BenchClient(HassClient):
    """``demo.hass_api.HassClient`` that also hands its token to the state stream."""

    @property
    def token(self) -> str | None:
        """The access token of the log-in (None before it)."""
        return self._token


@dataclass(frozen=True)
class StateChange:
    """One state change of a watched entity, as the websocket API told it."""

    entity_id: str
    attributes: dict[str, Any]
    changed: float
    """When Home Assistant wrote the state (its ``last_changed``, Unix seconds)."""
    received: float
    """When the benchmark read it (Unix seconds)."""


class StateStream:
    """A websocket subscription to the states of chosen entities (``subscribe_entities``).

    The same compressed stream the web UI reads: each change carries the changed attributes
    and ``lc``, the instant Home Assistant wrote the new state.
    """

    def __init__(self, client: BenchClient, session: aiohttp.ClientSession) -> None:
        """Connect lazily with ``start``; changes go to ``on_change``."""
        self._client = client
        self._session = session
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None
        self.on_change: Callable[[StateChange], None] = lambda _change: None

    async def start(self, entity_ids: list[str]) -> None:
        """Open a connection and subscribe to ``entity_ids`` (a second call replaces them)."""
        await self.stop()
        ws = await self._session.ws_connect(
            self._client.base_url + "/api/websocket", max_msg_size=0
        )
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": self._client.token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise RuntimeError(f"websocket authentication failed: {answer}")
        await ws.send_json({"id": 1, "type": "subscribe_entities", "entity_ids": entity_ids})
        self._ws = ws
        self._task = asyncio.create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            received = time.time()
            payload = json.loads(message.data)
            for item in payload if isinstance(payload, list) else [payload]:
                changes = (item.get("event") or {}).get("c") or {}
                for entity_id, diff in changes.items():
                    plus = diff.get("+") or {}
                    changed = plus.get("lc") or plus.get("lu")
                    if changed is None:
                        continue
                    self.on_change(
                        StateChange(entity_id, plus.get("a") or {}, float(changed), received)
                    )

    async def stop(self) -> None:
        """Close the connection."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._ws is not None:
            await self._ws.close()
            self._ws = None


@dataclass
class BenchHass:
    """One Home Assistant and one broker for the whole run, in a temporary directory."""

    keep: bool = False
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="face_access_bench_")))
    http_port: int = 0
    mqtt_port: int = 0
    hass: ChildProcess | None = None
    broker: ChildProcess | None = None
    session: aiohttp.ClientSession | None = None
    client: BenchClient | None = None
    stream: StateStream | None = None

    @property
    def photos(self) -> Path:
        """The allow-listed folder enrolment photos are written to."""
        return self.root / "photos"

    @property
    def log(self) -> Path:
        """Home Assistant's log."""
        return self.root / "home-assistant.log"

    @property
    def pid(self) -> int:
        """Home Assistant's process ID."""
        assert self.hass is not None
        assert self.hass.pid is not None
        return self.hass.pid

    def prepare(self) -> None:
        """Write the configuration and link the integration and the floor component."""
        self.http_port = free_port()
        self.mqtt_port = free_port()
        self.photos.mkdir(parents=True, exist_ok=True)
        custom = self.root / "custom_components"
        custom.mkdir(exist_ok=True)
        (custom / "face_access").symlink_to(INTEGRATION_SOURCE, target_is_directory=True)
        (custom / FLOOR_DOMAIN).symlink_to(FLOOR_SOURCE, target_is_directory=True)
        (self.root / "configuration.yaml").write_text(
            _configuration(self.root, self.http_port, self.photos), encoding="utf-8"
        )
        _skip_location_step(self.root)

    async def start(self) -> BenchClient:
        """Start the broker and Home Assistant, onboard, add MQTT; return the API client."""
        self.prepare()
        repo = INTEGRATION_SOURCE.parent.parent
        self.broker = ChildProcess(
            "broker",
            [
                sys.executable,
                "-m",
                "simulators.broker",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.mqtt_port),
            ],
            self.root / "broker-output.log",
            cwd=repo,
        )
        # Home Assistant always sets up its frontend, whose package the test environment
        # lacks: the demo's cache of it (installed once by demo.provision) goes on its path.
        deps = await asyncio.to_thread(provision, default_cache())
        env = dict(os.environ)
        if deps is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(deps), env.get("PYTHONPATH")]))
        self.hass = ChildProcess(
            "Home Assistant",
            [str(Path(sys.executable).parent / "hass"), "-c", str(self.root), "--skip-pip"],
            self.root / "hass-output.log",
            env=env,
        )
        # Forked before this process starts any thread (see demo.processes).
        self.broker.start()
        self.hass.start()
        deadline = time.monotonic() + 20.0
        while not accepts_connections(self.mqtt_port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the broker did not start:\n{self.broker.tail()}")
            await asyncio.sleep(0.1)
        self.session = aiohttp.ClientSession()
        client = BenchClient(self.session, self.http_port)
        self.client = client
        hass = self.hass
        await client.wait_http(START_TIMEOUT, lambda: hass.running)
        await client.onboard("Bench", USERNAME, PASSWORD, "en")
        await client.wait_running(START_TIMEOUT)
        flow = await client.start_flow("mqtt")
        result = await client.flow_step(
            flow["flow_id"], {"broker": "127.0.0.1", "port": self.mqtt_port}
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"MQTT set-up failed: {result}")
        deadline = time.monotonic() + 60.0
        while not (await self.probe()).get("mqtt_ready"):
            if time.monotonic() > deadline:
                raise RuntimeError("the floor component never subscribed to MQTT")
            await asyncio.sleep(0.3)
        self.stream = StateStream(client, self.session)
        return client

    async def probe(self, *, reset: bool = False, collect: bool = False) -> JsonObject:
        """Return the event-loop probe's figures since its last reset (and reset it).

        ``collect``: run a full garbage collection in Home Assistant first (``collect_ms``).
        """
        assert self.client is not None
        result: JsonObject = await self.client.websocket(
            {"type": "bench_floor/probe", "reset": reset, "collect": collect}
        )
        return result

    async def stop(self) -> None:
        """Stop Home Assistant and the broker; delete the directory unless ``keep``."""
        if self.stream is not None:
            await self.stream.stop()
        if self.session is not None:
            await self.session.close()
        if self.hass is not None:
            await self.hass.stop(seconds=60.0)
        if self.broker is not None:
            await self.broker.stop(seconds=10.0)
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
