"""The command-reply half of the fuzz harness: damaged answers of a device to our commands.

Home Assistant's services, buttons and camera call a protocol client's commands and turn
every `FaceAccessError` into a translated error (`errors.py`, `services.py`); any other
exception would reach Home Assistant's log as a traceback. So each case runs one command
against the protocol's simulator, with one of the simulator's replies damaged by
`tests.fuzz_mutations`, and the command must return or raise a `FaceAccessError`, logging
no error. These are pure protocol clients: no Home Assistant instance is needed.

A `ReplyAdapter` per protocol whose device answers commands builds a client wired to its
simulator through a `Damage` hook; the temperature tablet has none (its results are POSTs,
fuzzed as inbound requests).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import aiohttp
from hypothesis import strategies as st

from custom_components.face_access.protocols import model
from custom_components.face_access.protocols.face_capture_http import (
    FaceCaptureConnection,
    FaceCaptureHttpClient,
    Mode,
)
from custom_components.face_access.protocols.hfsecurity_mqtt import HFSecurityMqttClient
from custom_components.face_access.protocols.hfsecurity_mqtt.client import MAX_PAYLOAD_BYTES
from custom_components.face_access.protocols.hfsecurity_mqtt.variants import (
    CAMERA,
    FACE_TERMINAL,
)
from custom_components.face_access.protocols.http import MAX_BODY_BYTES, DeviceResponse
from custom_components.face_access.protocols.unv_lapi import LapiConnection, UnvLapiClient
from custom_components.face_access.protocols.unv_lapi.codec import ALL_FEATURES
from simulators.camera_mqtt import CameraSimulator
from simulators.face_capture_http import FaceCaptureSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.unv_lapi import UnvLapiSimulator
from tests.common import make_photo
from tests.fuzz_mutations import Mutant, mutants

USER = "admin"
PASSWORD = "s3cret"
COMMAND_TIMEOUT = 0.05
"""Seconds a command waits for a reply the damage made unrecognisable (it times out)."""
PHOTO = make_photo()


class MemoryStore:
    """A `StateStore` in memory: the clients save their queue and subscription here."""

    def __init__(self) -> None:
        """Start empty."""
        self.data: dict[str, Any] | None = None

    async def load(self) -> dict[str, Any] | None:
        """Return what was saved."""
        return self.data

    async def save(self, data: dict[str, Any]) -> None:
        """Keep `data`."""
        self.data = data


class Damage:
    """Damages the `target`-th reply of the device (counting from 0), drawn by hypothesis.

    `mutant` is the damage done (None: the command ended before that reply); the replies
    before and after pass intact.
    """

    def __init__(self, data: st.DataObject, target: int, limit: int) -> None:
        """Damage reply number `target`; `limit` is the transport's size limit."""
        self._data = data
        self._target = target
        self._limit = limit
        self._count = 0
        self.mutant: Mutant | None = None

    def __call__(self, reply: bytes) -> bytes:
        """Return a reply of the device, damaged if it is the target."""
        index, self._count = self._count, self._count + 1
        if index != self._target:
            return reply
        seed = reply.decode("utf-8", "replace") or "{}"
        # No Content-Type damage: the clients read the body whatever the header says.
        self.mutant = self._data.draw(
            mutants(seed, self._limit, http=False), label=f"reply {index}"
        )
        return self.mutant.body


type Command = Callable[[Any], Awaitable[object]]


def _enrollment(person_id: str) -> model.Enrollment:
    return model.Enrollment(person_id=person_id, name="Fuzz Person", photo_jpeg=PHOTO)


COMMANDS: dict[str, Command] = {
    "query_info": lambda client: client.query_info(),
    "open_door": lambda client: client.open_door(),
    "snapshot": lambda client: client.snapshot(),
    "enroll": lambda client: client.enroll(_enrollment("2002")),
    "delete_one": lambda client: client.delete(["1001"]),
    "delete_many": lambda client: client.delete(["1001", "2002", "3003"]),
    "delete_all": lambda client: client.delete_all(),
    "list_people": lambda client: client.list_people(),
    "check_uploads": lambda client: client.check_uploads(),
    "fix_uploads": lambda client: client.fix_uploads(),
    "fetch_records": lambda client: client.fetch_records(datetime(2000, 1, 1), datetime.now()),
}
"""Every command a client offers, as the Home Assistant layer calls it."""
OPTIONAL_COMMANDS = frozenset({"check_uploads", "fix_uploads", "fetch_records"})
"""Commands of the optional `UploadCheckClient` and `CatchUpClient`: an adapter whose client
offers them lists them in its `commands`."""


@dataclass(frozen=True, kw_only=True)
class ReplyAdapter:
    """A protocol whose device answers commands: how to get a client wired to `Damage`."""

    protocol: str
    limit: int
    client: Callable[[Damage], Any]
    """An async context manager that yields a started client whose replies pass `Damage`."""
    commands: tuple[str, ...] = tuple(name for name in COMMANDS if name not in OPTIONAL_COMMANDS)


# ---- HFSecurity MQTT: the simulator's command handler answers, in-process ------------------


@dataclass(frozen=True)
class _Message:
    """What the simulator's paho callback reads of a message."""

    payload: bytes
    topic: str
    retain: bool = False
    qos: int = 1


class _SimulatorTransport:
    """An `MqttTransport` whose broker is one simulator: commands in, its acks out (damaged)."""

    def __init__(self, simulator: Any, damage: Damage) -> None:
        """Answer with `simulator`'s replies, passed through `damage`."""
        self._simulator = simulator
        self._damage = damage
        self._callbacks: list[Callable[[str, str | bytes | bytearray], None]] = []
        simulator._publish = self._from_device  # the simulator's one exit to the broker

    async def subscribe(
        self, topic: str, callback: Callable[[str, str | bytes | bytearray], None]
    ) -> Callable[[], None]:
        """Take every message (the client filters by topic)."""
        self._callbacks.append(callback)
        return lambda: None

    async def publish(self, topic: str, payload: str) -> None:
        """Hand a command to the simulator's handler, as its MQTT client would."""
        self._simulator._on_message(None, None, _Message(payload.encode("utf-8"), topic))

    def _from_device(self, topic: str, payload: bytes) -> None:
        """Deliver what the simulator publishes on the next loop iteration, as a broker would."""
        body = self._damage(payload)
        loop = asyncio.get_running_loop()
        for callback in self._callbacks:
            loop.call_soon(callback, topic, body)


def _mqtt_client(factory: Callable[[], Any], variant: Any) -> Callable[[Damage], Any]:
    @asynccontextmanager
    async def client(damage: Damage) -> AsyncIterator[HFSecurityMqttClient]:
        simulator = factory()
        simulator.add_person("1001", "Ada Lovelace")
        # Kept, not sent (the simulator is not connected): what `fetch_records` re-pushes.
        simulator.push_record("1001")
        simulator.push_stranger()
        transport = _SimulatorTransport(simulator, damage)
        device = HFSecurityMqttClient(
            transport,
            simulator.device_id,
            variant=variant,
            sync_time=False,
            command_timeout=COMMAND_TIMEOUT,
        )
        await device.start()
        try:
            yield device
        finally:
            await device.stop()

    return client


# ---- HTTP devices Home Assistant calls: the simulator over a socket, replies damaged --------


def _damaged_send(http: Any, damage: Damage) -> None:
    """Pass every reply of the device through `damage` (status and headers unchanged)."""
    send = http.send

    async def damaged(*args: Any, **kwargs: Any) -> DeviceResponse:
        response: DeviceResponse = await send(*args, **kwargs)
        return replace(response, body=damage(response.body))

    http.send = damaged


def _now() -> datetime:
    return datetime.now().astimezone()


@asynccontextmanager
async def _running[S](factory: Callable[[], S]) -> AsyncIterator[S]:
    """Run a fresh simulator on a free port of 127.0.0.1 for one case.

    Fresh for every case: hypothesis replays a case and needs the same replies again, which
    a device that kept the last case's people would not give.
    """
    simulator = factory()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, simulator.start, 0)  # type: ignore[attr-defined]
    try:
        yield simulator
    finally:
        await loop.run_in_executor(None, simulator.stop)  # type: ignore[attr-defined]


def _huaan() -> FaceCaptureSimulator:
    simulator = FaceCaptureSimulator(
        "0123E4-FB5BFC-9186EE", user=USER, password=PASSWORD, heartbeat_interval=None
    )
    simulator.add_person("1001", "Ada Lovelace")
    # Kept, not sent (no upload address): what `fetch_records` reads with `request records`.
    simulator.recognition("1001", temperature=36.6)
    simulator.stranger(temperature=37.9)
    return simulator


def _unv() -> UnvLapiSimulator:
    simulator = UnvLapiSimulator(
        "210235C31L3186000023", user=USER, password=PASSWORD, resend_interval=None
    )
    simulator.add_person("1001", "Ada Lovelace")
    return simulator


@asynccontextmanager
async def _huaan_client(damage: Damage) -> AsyncIterator[FaceCaptureHttpClient]:
    async with _running(_huaan) as simulator, aiohttp.ClientSession() as session:
        connection = FaceCaptureConnection(
            session, "127.0.0.1", simulator.address[1], USER, PASSWORD, timeout=2.0
        )
        _damaged_send(connection._http, damage)
        client = FaceCaptureHttpClient(
            simulator.serial,
            MemoryStore(),
            connection=connection,
            mode=Mode.PUSH,
            upload_path="/upload",
            poll_path="/poll",
            now=_now,
            sync_time=False,
            upload_address=lambda: ("127.0.0.1", 8123),
        )
        await client.start()
        try:
            yield client
        finally:
            await client.stop()


@asynccontextmanager
async def _unv_client(damage: Damage) -> AsyncIterator[UnvLapiClient]:
    async with _running(_unv) as simulator, aiohttp.ClientSession() as session:
        connection = LapiConnection(
            session, "127.0.0.1", simulator.address[1], USER, PASSWORD, timeout=2.0
        )
        _damaged_send(connection._http, damage)
        client = UnvLapiClient(
            simulator.serial,
            connection=connection,
            now=_now,
            subscribe_to=("127.0.0.1", 8123),
            features=ALL_FEATURES,
            store=MemoryStore(),
        )
        # Starting subscribes: the subscription's replies are fuzzed too.
        await client.start()
        try:
            yield client
        finally:
            await client.stop()


REPLY_ADAPTERS: tuple[ReplyAdapter, ...] = (
    ReplyAdapter(
        protocol="face_terminal_mqtt",
        limit=MAX_PAYLOAD_BYTES,
        client=_mqtt_client(
            lambda: FaceTerminalSimulator("127.0.0.1", 1, "1305433"), FACE_TERMINAL
        ),
        commands=tuple(COMMANDS),
    ),
    ReplyAdapter(
        protocol="camera_mqtt",
        limit=MAX_PAYLOAD_BYTES,
        client=_mqtt_client(lambda: CameraSimulator("127.0.0.1", 1, "1305433"), CAMERA),
        commands=tuple(COMMANDS),
    ),
    ReplyAdapter(
        protocol="face_capture_http",
        limit=MAX_BODY_BYTES,
        client=_huaan_client,
        commands=tuple(COMMANDS),
    ),
    ReplyAdapter(
        protocol="unv_lapi",
        limit=MAX_BODY_BYTES,
        client=_unv_client,
    ),
)
"""Every protocol whose device answers Home Assistant's commands."""
