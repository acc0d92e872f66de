"""Fault injection for tests/test_faults.py: one rig per protocol, a faulty link, a clock.

A `Rig` is one implemented protocol as the fault tests see it: a simulated device (the
vendor protocol over real sockets on 127.0.0.1), its config entry loaded in Home Assistant,
and the handful of things a fault needs the device to do (push a recognition, say what it
pushed, send it again, stop answering commands, go away and come back). Every fault test
is written once against `Rig` and parametrized over `RIGS`: a protocol added later joins
every fault by adding its rig there.

`FaultyLink` is a TCP proxy between Home Assistant and a device's own HTTP server that can
forward, hold requests without ever answering, or cut connections. `SkewedClock` moves
the coordinator's monotonic clock on, so that a minute of silence takes no real minute.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
import json
import threading
import time
from typing import Any, ClassVar, Literal
from unittest.mock import patch
import urllib.request

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import paho.mqtt.publish as mqtt_publish
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.face_access.const import DOMAIN, EVENT_FACE_ACCESS
from custom_components.face_access.protocols.face_capture_http import FaceCaptureHttpClient
from custom_components.face_access.protocols.http import DEFAULT_TIMEOUT as HTTP_TIMEOUT
from custom_components.face_access.protocols.model import DeviceTimeoutError
from simulators.base import Simulator
from simulators.broker import Broker
from simulators.camera_mqtt import CameraSimulator
from simulators.face_capture_http import DEFAULT_SERIAL as HUAAN_SERIAL, FaceCaptureSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.hfsecurity_mqtt import HFSecurityMqttDevice
from simulators.loop_thread import LoopThread
from simulators.temperature_http import TemperatureTabletSimulator
from simulators.unv_lapi import UnvLapiSimulator
from tests.common import ha_device_id, terminal_entry
from tests.e2e import wait_until
from tests.http_devices import add_by_address
from tests.test_temperature_http import CID, URL, tablet_entry

USER = "admin"
PASSWORD = "s3cret"
UNV_SERIAL = "210235C31L3186000023"
HUAAN_CLIENT = "custom_components.face_access.registry_face_capture_http.FaceCaptureHttpClient"
MQTT_COMMAND_TIMEOUT = 15.0
"""`hfsecurity_mqtt.DEFAULT_COMMAND_TIMEOUT`: how long an MQTT command waits for its -Ack."""
TABLET_HEARTBEAT = 1
"""The tablets' heartbeat period in these tests, in seconds (the entry's option)."""


# ---- what Home Assistant shows -------------------------------------------------------------------


class AccessEvents:
    """Every `face_access_event` of category `access` from now on: who, as the bus said."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start listening (the listener goes with `hass`)."""
        self.people: list[str | None] = []

        @callback
        def _on_event(event: Event) -> None:
            if event.data.get("category") == "access":
                self.people.append(event.data.get("person_id"))

        hass.bus.async_listen(EVENT_FACE_ACCESS, _on_event)

    def count(self) -> Counter[str | None]:
        """Return how many access events each person got."""
        return Counter(self.people)


def integration_tasks() -> list[asyncio.Task[Any]]:
    """Return the unfinished tasks running code of the integration (by their coroutine)."""
    found = []
    for task in asyncio.all_tasks():
        if task.done():
            continue
        coro = task.get_coro()
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        if code is not None and "custom_components/face_access" in code.co_filename:
            found.append(task)
    return found


LEFTOVER_GRACE = 3.0
"""Real seconds a task may take to see its visit end (shorter than every command timeout).

A read started when the device came back waits for its next heartbeat, a send for the
broker's socket: both end within a second or two. A waiter the integration forgot waits
for a timeout (8 s and more here) or for ever, and is still there after this grace.
"""


async def outliving(tasks: Callable[[], list[asyncio.Task[Any]]]) -> list[asyncio.Task[Any]]:
    """Return what `tasks()` still lists after up to LEFTOVER_GRACE seconds of real time."""
    deadline = time.monotonic() + LEFTOVER_GRACE
    # Polling: the tasks are the integration's own, which no event of the test's marks.
    while (left := tasks()) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    return left


def fire_in(hass: HomeAssistant, seconds: float) -> None:
    """Run every timer due within `seconds` from now at once (a compressed timeline).

    The harness also runs asyncio's own timers (the ones behind `asyncio.timeout` and
    aiohttp's request timeouts), so a command's timeout can be reached without waiting.
    Its half-second allowance for Home Assistant's jittered timers is taken back here.
    """
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds - 0.5))


async def settle(hass: HomeAssistant) -> None:
    """Let what the last message started finish (acks go out from the clients' own tasks)."""
    for _ in range(10):
        await hass.async_block_till_done()
        await asyncio.sleep(0)


class SkewedClock:
    """The coordinator's `time` module, with a monotonic clock that tests move on.

    The coordinator declares a silent device offline by `time.monotonic()`; moving this
    clock on instead of sleeping compresses the silence of a device that went away.
    """

    def __init__(self) -> None:
        """Start in step with the real clock."""
        self.offset = 0.0

    def monotonic(self) -> float:
        """Return the real monotonic time plus the offset."""
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.offset += seconds

    @contextlib.contextmanager
    def installed(self) -> Iterator[SkewedClock]:
        """Let the coordinator read this clock within the block."""
        with patch("custom_components.face_access.coordinator.time", self):
            yield self


# ---- a faulty link -------------------------------------------------------------------------------

type LinkMode = Literal["forward", "hold", "cut"]


class FaultyLink:
    """A TCP proxy on 127.0.0.1 in front of a device's own server, on its own thread.

    `forward` passes bytes both ways; `hold` swallows what Home Assistant sends and never
    answers (a device that hangs); `cut` drops the connection as soon as Home Assistant
    sends anything (a device that is away). The mode is checked for every chunk, so that a
    kept-alive connection is held or cut too.
    """

    def __init__(self, target_port: int) -> None:
        """Proxy to `target_port` on 127.0.0.1 once started."""
        self.target_port = target_port
        self.port = 0
        self.mode: LinkMode = "forward"
        self._lock = threading.Lock()
        self._held = 0
        self._engine = LoopThread(f"faulty-link-{target_port}")
        self._server: asyncio.Server | None = None

    @property
    def held(self) -> int:
        """Return how many requests were swallowed so far."""
        with self._lock:
            return self._held

    def start(self) -> None:
        """Listen on a free port (`port`)."""
        self._engine.start(self._setup, self._teardown)

    def stop(self) -> None:
        """Close every connection and the listener."""
        self._engine.stop()

    async def _setup(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _teardown(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        back: asyncio.Task[None] | None = None
        try:
            while chunk := await reader.read(65536):
                mode = self.mode
                if mode == "cut":
                    break
                if mode == "hold":
                    with self._lock:
                        self._held += 1
                    continue
                if upstream is None:
                    up_reader, upstream = await asyncio.open_connection(
                        "127.0.0.1", self.target_port
                    )
                    back = asyncio.create_task(self._pump(up_reader, writer))
                upstream.write(chunk)
                await upstream.drain()
        except OSError:
            pass
        finally:
            if back is not None:
                back.cancel()
            for stream in (upstream, writer):
                if stream is not None:
                    stream.transport.abort()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        writer.transport.abort()


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, bytes]:
    """POST `body` to `url` from a plain HTTP client (blocking); return status and body.

    An error status raises `urllib.error.HTTPError`. The URL is always http://127.0.0.1.
    """
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        status: int = reply.status
        return status, reply.read()


# ---- the rigs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resources:
    """What a rig may need from the test: Home Assistant's address or the broker."""

    hass: HomeAssistant
    base_url: str | None = None
    broker: Broker | None = None


class Rig(ABC):
    """One protocol's simulated device and config entry, driven by the fault tests.

    `command_timeout` is the documented time a command may take before the service call
    fails (seconds, what the digest or the client's docstring says); `timeout_reason` a
    part of the reason that failure names. `start` sets the device up and loads its entry.
    """

    protocol: ClassVar[str]
    serial: ClassVar[str]
    command_timeout: ClassVar[float]
    timeout_reason: ClassVar[str]
    sim: Simulator
    refusals_expected = False
    """Set by a test in which Home Assistant refuses the device's records for a while (an
    unloaded entry): the simulator notes each refusal as a violation, which is expected."""

    def violations(self) -> list[str]:
        """Return what the platform did that the device's document forbids."""
        found: list[str] = getattr(self.sim, "protocol_violations", [])
        if self.refusals_expected:
            found = [
                item
                for item in found
                if not any(f"answered {how}" in item for how in ("503", "with HTTP 404"))
            ]
        return found

    def __init__(self, resources: Resources) -> None:
        """Keep what the test gave; nothing starts before `start`."""
        self.hass = resources.hass
        self.resources = resources
        self.entry: ConfigEntry | None = None

    # -- life

    @abstractmethod
    async def start(self) -> ConfigEntry:
        """Start the device and load its entry; return once the device is online."""

    async def stop(self) -> None:
        """Stop the device (its entry goes with Home Assistant)."""
        await self.hass.async_add_executor_job(self.sim.stop)

    @property
    def title(self) -> str:
        """Return the entry's title, as errors name the device."""
        assert self.entry is not None
        return self.entry.title

    def entity_id(self, platform: str, key: str) -> str:
        """Return the entity id of the device's entity with contract key `key`."""
        found = er.async_get(self.hass).async_get_entity_id(
            platform, DOMAIN, f"{self.serial}_{key}"
        )
        assert found is not None, key
        return found

    def online_state(self) -> str | None:
        """Return the state of the device's connectivity sensor (None before it exists)."""
        state = self.hass.states.get(self.entity_id("binary_sensor", "online"))
        return None if state is None else state.state

    # -- records

    async def enroll_on_device(self, person_ids: list[str]) -> None:
        """Enrol people on the device itself (its own screen), so that it recognizes them."""
        for person_id in person_ids:
            await self.hass.async_add_executor_job(
                partial(self.sim.add_person, person_id, f"Person {person_id}")
            )

    @abstractmethod
    def push(self, person_id: str) -> None:
        """Make the device recognize `person_id` and send the record (blocking; executor)."""

    @abstractmethod
    def delivered(self) -> bool:
        """Return whether every record the device made was acknowledged (thread-safe)."""

    @abstractmethod
    def sent_records(self) -> list[tuple[str, bytes]]:
        """Return (person ID, payload) of every record the device sent, as it sent it."""

    @abstractmethod
    def replay(self, payloads: list[bytes]) -> int:
        """Send record payloads again, in this order, as the device does (blocking).

        Returns how many copies Home Assistant acknowledged as the protocol asks.
        """

    # -- commands

    @abstractmethod
    async def mute(self) -> None:
        """Make the device take commands and never answer them."""

    @abstractmethod
    async def unmute(self) -> None:
        """Make the device answer commands again."""

    async def held(self) -> None:  # noqa: B027 - most devices need nothing here
        """Return once a command is on its way to the muted device (its timer runs)."""

    # -- presence

    @abstractmethod
    async def go_away(self) -> None:
        """Make the device go away; return once Home Assistant shows it offline."""

    @abstractmethod
    async def come_back(self) -> None:
        """Bring the device back; return once Home Assistant shows it online."""

    async def until_online(self, online: bool) -> None:
        """Wait until the connectivity sensor says `online`."""
        wanted = "on" if online else "off"
        await wait_until(lambda: self.online_state() == wanted)


# -- MQTT (face terminal, camera): both broker clients ------------------------------------------


class MqttRig(Rig):
    """An HFSecurity-family device on a real amqtt broker, Home Assistant's MQTT client."""

    command_timeout = MQTT_COMMAND_TIMEOUT
    timeout_reason = "no answer to SearchPersonList"
    simulator: ClassVar[type[HFSecurityMqttDevice]]
    sim: HFSecurityMqttDevice

    def __init__(self, resources: Resources) -> None:
        """Build the device on the broker; it connects at `start`."""
        super().__init__(resources)
        broker = resources.broker
        assert broker is not None
        self.broker = broker
        self.sim = self.simulator(
            broker.host,
            broker.port,
            self.serial,
            heartbeat_interval=2.0,
            online_repeat_interval=1.0,
            resend_interval=1.0,
            # Real devices reconnect within seconds; the default backoff would stretch
            # the broker restart.
            keepalive=5,
        )
        self.sim._client.reconnect_delay_set(min_delay=1, max_delay=1)
        self._muted: set[str] = set()
        self._held_commands: list[tuple[str, dict[str, Any]]] = []
        dispatch = self.sim._dispatch

        def _dispatch(operator: str, command: dict[str, Any]) -> None:
            if operator in self._muted:
                self._held_commands.append((operator, command))
                return
            dispatch(operator, command)

        self.sim._dispatch = _dispatch  # type: ignore[method-assign]
        self._dispatch = dispatch

    async def start(self) -> ConfigEntry:
        """Connect the device, then load its entry (heartbeats every 2 s, as the device)."""
        await self.hass.async_add_executor_job(self.sim.start)
        entry = terminal_entry(self.serial, protocol=self.protocol, heartbeat_interval=2)
        entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(entry.entry_id)
        self.entry = entry
        await wait_until(lambda: self.sim.online_acked)
        await self.until_online(True)
        return entry

    def push(self, person_id: str) -> None:
        """Publish a RecPush (re-sent every second until its PushAck)."""
        self.sim.push_record(person_id)  # type: ignore[attr-defined]

    def delivered(self) -> bool:
        """Return whether no record waits for its PushAck."""
        return not self.sim.pending_pushes

    def sent_records(self) -> list[tuple[str, bytes]]:
        """Return the RecPush messages the device published, re-sends included."""
        return [
            (message["info"]["customId"], json.dumps(message).encode())
            for topic, message in self.sim.published
            if message.get("operator") == "RecPush" and topic.endswith("/Rec")
        ]

    def replay(self, payloads: list[bytes]) -> int:
        """Publish the payloads on the device's record topic, QoS 1, over one connection.

        Returns how many PushAcks the device received meanwhile (one per copy is due).
        """
        before = self._push_acks()
        topic = self.sim.push_topic("Rec")
        mqtt_publish.multiple(
            [{"topic": topic, "payload": payload, "qos": 1} for payload in payloads],
            hostname=self.broker.host,
            port=self.broker.port,
            client_id=f"replay-{self.serial}",
        )
        self.sim.wait_for(lambda: self._push_acks() >= before + len(payloads), 10.0)
        return self._push_acks() - before

    def _push_acks(self) -> int:
        """Return how many PushAck commands the device has received."""
        return sum(1 for command in self.sim.received if command.get("operator") == "PushAck")

    async def mute(self) -> None:
        """Take `SearchPersonList` and never answer it."""
        self._muted.add("SearchPersonList")

    async def unmute(self) -> None:
        """Answer again; the commands held meanwhile are answered now, late."""
        self._muted.clear()
        held, self._held_commands = self._held_commands, []
        for operator, command in held:
            await self.hass.async_add_executor_job(self._dispatch, operator, command)

    async def held(self) -> None:
        """Return once the device has received the command it will not answer."""
        await wait_until(lambda: bool(self._held_commands))

    async def go_away(self) -> None:
        """Lose power: the TCP connection drops and the broker publishes the Offline Will."""
        await self.hass.async_add_executor_job(partial(self.sim.stop, abrupt=True))
        await self.until_online(False)

    async def come_back(self) -> None:
        """Power up: connect and announce Online until Home Assistant answers it."""
        await self.hass.async_add_executor_job(self.sim.start)
        await wait_until(lambda: self.sim.online_acked)
        await self.until_online(True)


class FaceTerminalRig(MqttRig):
    """The face terminal (face_terminal_mqtt)."""

    protocol = "face_terminal_mqtt"
    serial = "1305433"
    simulator = FaceTerminalSimulator


class CameraRig(MqttRig):
    """The network camera (camera_mqtt)."""

    protocol = "camera_mqtt"
    serial = "1026700"
    simulator = CameraSimulator


# -- HTTP devices -------------------------------------------------------------------------------


class HttpRig(Rig):
    """A device that posts to Home Assistant's HTTP server (`Resources.base_url`)."""

    def __init__(self, resources: Resources) -> None:
        """Keep Home Assistant's address."""
        super().__init__(resources)
        assert resources.base_url is not None
        self.base_url = resources.base_url

    def replay(self, payloads: list[bytes]) -> int:
        """POST the payloads again, one by one, to where the device posts them.

        Returns how many were answered with the protocol's acknowledgement.
        """
        acknowledged = 0
        for payload in payloads:
            status, body = post(self.record_url(), payload, self.record_content_type)
            acknowledged += status == 200 and self.acknowledges(payload, body)
        return acknowledged

    def acknowledges(self, record: bytes, reply: bytes) -> bool:
        """Tell whether a 200 reply acknowledges the record (a 200 does, by default)."""
        return True

    record_content_type: ClassVar[str] = "application/json"

    @abstractmethod
    def record_url(self) -> str:
        """Return where the device posts its records."""


class TabletRig(HttpRig):
    """The temperature tablet (temperature_http): it posts, commands ride heartbeat replies."""

    protocol = "temperature_http"
    serial = CID
    # The client's default confirm_timeout: three heartbeat periods and 5 s.
    command_timeout = 3 * TABLET_HEARTBEAT + 5
    timeout_reason = "the list has not arrived yet"
    sim: TemperatureTabletSimulator

    def __init__(self, resources: Resources) -> None:
        """Build the tablet; it posts to the entry's webhook once started."""
        super().__init__(resources)
        self._queued_before = 0
        # A refused record is sent again after half a second without a new one (§6 mode 2;
        # the tablet's own default is 180 s).
        self.sim = TemperatureTabletSimulator(
            self.record_url(), CID, heartbeat_interval=30, reupload_idle=0.5
        )
        self.clock = SkewedClock()

    def record_url(self) -> str:
        """Return the entry's webhook."""
        return f"{self.base_url}{URL}"

    async def start(self) -> ConfigEntry:
        """Load the entry, start the tablet; its first reply sets the 1 s heartbeat."""
        entry = tablet_entry(heartbeat_interval=TABLET_HEARTBEAT)
        entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(entry.entry_id)
        await self.hass.async_block_till_done()
        self.entry = entry
        await self._boot()
        return entry

    async def _boot(self) -> None:
        await self.hass.async_add_executor_job(self.sim.start)
        await wait_until(lambda: self.sim.time_interval == TABLET_HEARTBEAT)
        await self.until_online(True)

    def push(self, person_id: str) -> None:
        """POST a record (with Expect: 100-continue); a refused one is kept for later."""
        self.sim.push_record(person_id)

    def delivered(self) -> bool:
        """Return whether the tablet keeps no refused record."""
        return not self.sim.failed_records

    def sent_records(self) -> list[tuple[str, bytes]]:
        """Return the `type` 1 records the tablet posted."""
        return [
            (body["result"]["person_id"], json.dumps(body).encode())
            for body in self.sim.sent
            if body.get("type") == 1
        ]

    async def mute(self) -> None:
        """Stop the tablet: commands wait for a heartbeat that does not come."""
        await self.hass.async_add_executor_job(self.sim.stop)
        self._queued_before = self._queued()

    def _queued(self) -> int:
        """Return how many commands wait for the tablet."""
        assert self.entry is not None
        queued: int = self.entry.runtime_data.client.diagnostics()["queued_commands"]
        return queued

    async def unmute(self) -> None:
        """Start the tablet again (a reboot: it heartbeats at once)."""
        await self._boot()

    async def held(self) -> None:
        """Return once the command waits in the queue for the tablet's next heartbeat."""
        await wait_until(lambda: self._queued() > self._queued_before)

    async def go_away(self) -> None:
        """Stop the tablet; its silence is noticed once `offline_after` has passed."""
        await self.hass.async_add_executor_job(self.sim.stop)
        assert self.entry is not None
        offline_after = self.entry.runtime_data.client.offline_after
        assert offline_after is not None
        self.clock.advance(offline_after + 1)
        fire_in(self.hass, 11)  # the coordinator's availability check runs every 10 s
        await self.until_online(False)

    async def come_back(self) -> None:
        """Start the tablet again."""
        await self._boot()


class CalledRig(HttpRig):
    """A device Home Assistant also calls, on its own server, behind a `FaultyLink`.

    The device does not heartbeat: Home Assistant's poll alone tells whether it is there.
    """

    flow_step: ClassVar[str]
    link: FaultyLink
    command_timeout = HTTP_TIMEOUT
    timeout_reason = "no answer within 10 s"

    async def _start_behind_link(self, port: int) -> ConfigEntry:
        """Put a link before `port` and add the device through it with the config flow."""
        self.link = FaultyLink(port)
        await self.hass.async_add_executor_job(self.link.start)
        result = await add_by_address(self.hass, self.flow_step, self.link.port, USER, PASSWORD)
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        await self.hass.async_block_till_done()
        entry: ConfigEntry = result["result"]
        assert entry.state is ConfigEntryState.LOADED
        self.entry = entry
        await self.until_online(True)
        return entry

    async def stop(self) -> None:
        """Stop the device and the link."""
        await super().stop()
        await self.hass.async_add_executor_job(self.link.stop)

    async def mute(self) -> None:
        """Hold every request: the device hangs."""
        self.link.mode = "hold"

    async def unmute(self) -> None:
        """Forward again."""
        self.link.mode = "forward"

    async def held(self) -> None:
        """Return once the link swallowed the command."""
        await wait_until(lambda: self.link.held > 0)

    async def _poll(self) -> None:
        """Let the coordinator's poll come (compressed) and finish."""
        assert self.entry is not None
        interval = self.entry.runtime_data.client.poll_interval
        assert interval is not None
        fire_in(self.hass, interval + 1)

    async def go_away(self) -> None:
        """Cut the link; the next poll fails."""
        self.link.mode = "cut"
        await self._poll()
        await self.until_online(False)

    async def come_back(self) -> None:
        """Forward again; the next poll succeeds."""
        self.link.mode = "forward"
        await self._poll()
        await self.until_online(True)


class HuaanRig(CalledRig):
    """The Huaan face capture terminal (face_capture_http) in its default push mode."""

    protocol = "face_capture_http"
    serial = HUAAN_SERIAL
    flow_step = "face_capture_http"
    sim: FaceCaptureSimulator

    def __init__(self, resources: Resources) -> None:
        """Build the terminal; it serves on a free port once started."""
        super().__init__(resources)
        self.sim = FaceCaptureSimulator(
            user=USER, password=PASSWORD, heartbeat_interval=None, resend_interval=0.2
        )

    async def start(self) -> ConfigEntry:
        """Start the terminal; the flow (through the link) points its uploads here."""
        await self.hass.async_add_executor_job(partial(self.sim.start, 0))
        return await self._start_behind_link(self.sim.port)

    def record_url(self) -> str:
        """Return the upload URL the flow gave the terminal."""
        url = self.sim.upload_url
        assert url is not None
        return url

    def push(self, person_id: str) -> None:
        """Queue a recognition; the terminal posts it until acknowledged."""
        self.sim.recognition(person_id)

    def acknowledges(self, record: bytes, reply: bytes) -> bool:
        """Tell whether the reply is the record's ACK: code 0, its sequence_no and cap_time."""
        sent, ack = json.loads(record), json.loads(reply)
        return bool(
            ack.get("code") == 0
            and ack.get("sequence_no") == sent["sequence_no"]
            and ack.get("cap_time") == sent["cap_time"]
        )

    def delivered(self) -> bool:
        """Return whether no record waits for its acknowledgement."""
        return not self.sim.queued

    def sent_records(self) -> list[tuple[str, bytes]]:
        """Return the `face` records the terminal posted."""
        return [
            (body["match"]["person_id"], json.dumps(body).encode())
            for body in self.sim.sent
            if body.get("cmd") == "face"
        ]


class UnvRig(CalledRig):
    """The Uniview terminal (unv_lapi): it posts records to fixed LAPI paths."""

    protocol = "unv_lapi"
    serial = UNV_SERIAL
    flow_step = "unv_lapi"
    record_content_type = "text/plain"
    sim: UnvLapiSimulator

    def __init__(self, resources: Resources) -> None:
        """Build the terminal; it serves on a free port once started."""
        super().__init__(resources)
        self.sim = UnvLapiSimulator(UNV_SERIAL, user=USER, password=PASSWORD, resend_interval=0.5)

    async def start(self) -> ConfigEntry:
        """Start the terminal; the entry subscribes it (through the link) to this address."""
        await self.hass.async_add_executor_job(partial(self.sim.start, 0))
        entry = await self._start_behind_link(self.sim.address[1])
        await wait_until(lambda: len(self.sim.subscriptions) == 1)
        return entry

    def record_url(self) -> str:
        """Return the fixed path records go to, on Home Assistant's port."""
        return f"{self.base_url}{self.sim.push_path}"

    def push(self, person_id: str) -> None:
        """Recognize someone; the terminal posts it to its subscriber until acknowledged."""
        self.sim.recognition(person_id)

    def acknowledges(self, record: bytes, reply: bytes) -> bool:
        """Tell whether the reply names the record's Seq as its RecordID (notes §1.3)."""
        data = json.loads(reply).get("Response", {}).get("Data", {})
        return str(data.get("RecordID")) == str(json.loads(record)["Seq"])

    def delivered(self) -> bool:
        """Return whether no record waits for its acknowledgement."""
        return not self.sim.pending

    def sent_records(self) -> list[tuple[str, bytes]]:
        """Return the records the terminal posted (the person is its MatchPersonID)."""
        found = []
        for item in self.sim.sent:
            if item["path"] != self.sim.push_path:
                continue
            body = json.loads(item["body"])
            person = body["LibMatInfoList"][0]["MatchPersonID"]
            found.append((str(person), item["body"].encode()))
        return found


RIGS: dict[str, type[Rig]] = {
    rig.protocol: rig for rig in (FaceTerminalRig, CameraRig, TabletRig, HuaanRig, UnvRig)
}
"""Every implemented protocol's rig, by protocol key: the rows of every fault table."""


def huaan_long_poll(**settings: Any) -> Callable[..., FaceCaptureHttpClient]:
    """Return the Huaan client class with quicker long-poll settings, for `patch`."""
    return partial(FaceCaptureHttpClient, **settings)


# ---- devices that fetch their commands: the saved queue ------------------------------------------


class QueueRig(ABC):
    """A protocol whose commands wait in a saved queue until the device calls.

    `entry` is the device's config entry, `device` a simulator calling `base_url` (not
    started). `queue_commands` queues commands while the device is away; `saved_kinds` are
    the kinds the saved queue then holds; `runs` says how often the device ran each of them
    (all 1 once done). `calls` counts the device's heartbeats or polls, `idle` makes it call
    `count` more times.
    """

    protocol: ClassVar[str]
    saved_kinds: ClassVar[tuple[str, ...]]
    idle_calls: ClassVar[int] = 100
    """How many calls of an idle device the write count is taken over."""

    def patched(self) -> contextlib.AbstractContextManager[Any]:
        """Return what the client needs patched for a quick test (nothing by default)."""
        return contextlib.nullcontext()

    @abstractmethod
    def entry(self) -> MockConfigEntry:
        """Return the device's config entry (the same on every call: a restart reads it)."""

    @abstractmethod
    def device(self, base_url: str) -> Simulator:
        """Return the simulated device, calling Home Assistant at `base_url`."""

    @abstractmethod
    async def queue_commands(self, hass: HomeAssistant, photo: str) -> None:
        """Queue the commands that must survive, while the device is away."""

    @abstractmethod
    def runs(self, device: Simulator) -> dict[str, int]:
        """Return how often the device ran each queued command."""

    @abstractmethod
    def calls(self, device: Simulator) -> int:
        """Return how many heartbeats (or polls) the device sent."""

    @abstractmethod
    def idle(self, device: Simulator, count: int) -> None:
        """Let the device call `count` more times (blocking)."""

    @abstractmethod
    async def command(self, hass: HomeAssistant, photo: str) -> None:
        """Run one command through its whole cycle with the device there."""


async def call_service(hass: HomeAssistant, serial: str, service: str, **data: Any) -> Any:
    """Call a Face Access service on one device; return its response."""
    return await hass.services.async_call(
        DOMAIN,
        service,
        {"device_id": ha_device_id(hass, serial), **data},
        blocking=True,
        return_response=True,
    )


class TabletQueue(QueueRig):
    """The temperature tablet: commands ride its heartbeat replies."""

    protocol = "temperature_http"
    saved_kinds = ("facelib", "control")
    _entry: MockConfigEntry | None = None

    def entry(self) -> MockConfigEntry:
        """Return the tablet's entry, heartbeat every second."""
        if self._entry is None:
            self._entry = tablet_entry(heartbeat_interval=TABLET_HEARTBEAT)
        return self._entry

    def device(self, base_url: str) -> TemperatureTabletSimulator:
        """Return a tablet posting to the entry's webhook."""
        return TemperatureTabletSimulator(
            f"{base_url}{URL}", CID, heartbeat_interval=TABLET_HEARTBEAT
        )

    async def queue_commands(self, hass: HomeAssistant, photo: str) -> None:
        """Enrol 1001 (pending) and open the door (not confirmed: the tablet is away)."""
        enrolled = await call_service(
            hass, CID, "enroll_person", person_id="1001", name="Ada", photo_path=photo
        )
        assert [result["status"] for result in enrolled["results"].values()] == ["pending"]
        # The button is unavailable while the tablet is offline; the client queues anyway.
        with contextlib.suppress(DeviceTimeoutError):
            await self.entry().runtime_data.client.open_door()

    def runs(self, device: Simulator) -> dict[str, int]:
        """Return the enrolments of 1001 and the door openings the tablet performed."""
        assert isinstance(device, TemperatureTabletSimulator)
        enrolments = [
            command
            for command in device.commands
            if command.get("facelib_manage", {}).get("type") == 1
            and command["facelib_manage"]["face"].get("id") == "1001"
        ]
        return {"enrol": len(enrolments), "door": device.unlock_count}

    def calls(self, device: Simulator) -> int:
        """Return the heartbeats sent."""
        assert isinstance(device, TemperatureTabletSimulator)
        return device.heartbeat_count

    def idle(self, device: Simulator, count: int) -> None:
        """Send `count` heartbeats now, one after the other."""
        assert isinstance(device, TemperatureTabletSimulator)
        for _ in range(count):
            device.heartbeat_now()

    async def command(self, hass: HomeAssistant, photo: str) -> None:
        """Enrol someone: delivered in a heartbeat reply, confirmed by the next."""
        enrolled = await call_service(
            hass, CID, "enroll_person", person_id="1002", name="Bo", photo_path=photo
        )
        assert [result["status"] for result in enrolled["results"].values()] == ["enrolled"]


class HuaanLongPollQueue(QueueRig):
    """The Huaan terminal in long-poll mode: commands answer its held polls."""

    protocol = "face_capture_http"
    saved_kinds = ("people", "people")
    idle_calls = 40  # each poll is held a moment: fewer than the tablet's heartbeats
    webhook_id = "huaan-upload-0123456789"
    poll_webhook_id = "huaan-poll-0123456789"
    _entry: MockConfigEntry | None = None

    def patched(self) -> contextlib.AbstractContextManager[Any]:
        """Hold polls 50 ms rather than 10 s, so that the device polls often."""
        return patch(HUAAN_CLIENT, huaan_long_poll(poll_hold=0.05))

    def entry(self) -> MockConfigEntry:
        """Return the terminal's entry in long-poll mode (its own server is never called)."""
        if self._entry is None:
            self._entry = MockConfigEntry(
                domain=DOMAIN,
                title=f"Face capture terminal {HUAAN_SERIAL}",
                unique_id=HUAAN_SERIAL,
                data={
                    "protocol": "face_capture_http",
                    "host": "127.0.0.1",
                    "port": 1,
                    "username": USER,
                    "password": PASSWORD,
                    "webhook_id": self.webhook_id,
                    "poll_webhook_id": self.poll_webhook_id,
                },
                options={"mode": "long_poll", "door_port": 1, "sync_time": False},
            )
        return self._entry

    def device(self, base_url: str) -> FaceCaptureSimulator:
        """Return a terminal polling the entry's poll webhook, with 1002 enrolled."""
        # Polls again at once after an answer (the device's own pause is 0.2 s).
        device = FaceCaptureSimulator(
            user=USER, password=PASSWORD, heartbeat_interval=None, poll_pause=0.01
        )
        device.configure_poll_url(f"{base_url}/api/webhook/{self.poll_webhook_id}")
        device.add_person("1002", "Bo")
        return device

    async def queue_commands(self, hass: HomeAssistant, photo: str) -> None:
        """Enrol 1001 and delete 1002, both pending: the terminal is not polling."""
        enrolled = await call_service(
            hass, HUAAN_SERIAL, "enroll_person", person_id="1001", name="Ada", photo_path=photo
        )
        deleted = await call_service(hass, HUAAN_SERIAL, "delete_person", person_id="1002")
        for response in (enrolled, deleted):
            assert [result["status"] for result in response["results"].values()] == ["pending"]

    def runs(self, device: Simulator) -> dict[str, int]:
        """Return how often the terminal ran each people command."""
        assert isinstance(device, FaceCaptureSimulator)
        commands = device.commands
        return {
            "enrol": commands.count("upload person"),
            "delete": commands.count("delete person(s)"),
        }

    def calls(self, device: Simulator) -> int:
        """Return the polls sent (results not counted)."""
        assert isinstance(device, FaceCaptureSimulator)
        return device.poll_count

    def idle(self, device: Simulator, count: int) -> None:
        """Wait until the terminal polled `count` more times."""
        assert isinstance(device, FaceCaptureSimulator)
        target = device.poll_count + count
        assert device.wait_for(lambda: device.poll_count >= target, 30.0)

    async def command(self, hass: HomeAssistant, photo: str) -> None:
        """Enrol someone: the answer to a held poll, confirmed by the next poll."""
        enrolled = await call_service(
            hass, HUAAN_SERIAL, "enroll_person", person_id="1003", name="Cy", photo_path=photo
        )
        assert [result["status"] for result in enrolled["results"].values()] == ["enrolled"]


QUEUES: dict[str, type[QueueRig]] = {rig.protocol: rig for rig in (TabletQueue, HuaanLongPollQueue)}
"""Every protocol whose commands wait in a saved queue: the rows of the restart faults."""
