"""The protocols' own floors for commands and enrolment: their clients, without Home Assistant.

A door opening's floor is one request to the device and its answer, which is what the
protocol client alone takes (``open_door`` on a client made here, talking to the same
simulated device over the same sockets), except for the tablet, whose commands ride the
replies to its heartbeats: its floor is one heartbeat period, and its client-only figures
come from ``bench.tablet_latency`` (the former ``benchmarks`` package).

An enrolment's floor is the interval the vendor document demands between two photo
commands (``ProtocolAdapter.photo_interval``) or, without one, the time the client alone
takes to enrol one person. Where the protocol has a batch operation (the MQTT family's
``EditPersonsNew``), the floor is its client's ``enroll_batch`` alone enrolling everyone,
the photos served from a bare HTTP server on 127.0.0.1 (``enroll_batch_client_only``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
import threading
import time
from typing import Any, Protocol
import uuid

import aiohttp
from aiohttp import web
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from custom_components.face_access.protocols.client import BatchEnrollClient
from custom_components.face_access.protocols.face_capture_http.client import (
    FaceCaptureHttpClient,
)
from custom_components.face_access.protocols.face_capture_http.codec import Mode
from custom_components.face_access.protocols.face_capture_http.connection import (
    FaceCaptureConnection,
)
from custom_components.face_access.protocols.hfsecurity_mqtt.client import HFSecurityMqttClient
from custom_components.face_access.protocols.hfsecurity_mqtt.variants import CAMERA, FACE_TERMINAL
from custom_components.face_access.protocols.images import normalize_photo
from custom_components.face_access.protocols.model import Capability, Enrollment
from custom_components.face_access.protocols.temperature_http.codec import (
    PROFILE as TABLET_PROFILE,
)
from custom_components.face_access.protocols.unv_lapi.client import UnvLapiClient
from custom_components.face_access.protocols.unv_lapi.connection import LapiConnection

from . import tablet_latency
from .devices import BenchDevice
from .protocols import DEVICE_PASSWORD, DEVICE_USER, TABLET_HEARTBEAT

FLOOR_ID_BASE = 600_000
"""Person IDs of the floor's enrolments: numbers, as UNV demands, unlike the staff's."""
SUBSCRIBE_SETTLE = 0.3
"""Seconds for the broker to take a subscription before the first command."""


class _Client(Protocol):
    """The part of a protocol client the floors use."""

    async def open_door(self) -> Any: ...

    async def enroll(self, enrollment: Enrollment) -> Any: ...

    async def stop(self) -> None: ...


class PahoTransport:
    """An ``MqttTransport`` on paho for a client outside Home Assistant."""

    def __init__(self, port: int, loop: asyncio.AbstractEventLoop) -> None:
        """Connect to the broker on 127.0.0.1:``port``."""
        self._loop = loop
        # Unique: a broker drops the older of two connections with one client ID.
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"bench-floor-{port}-{uuid.uuid4().hex[:8]}"
        )
        connected = threading.Event()
        self._client.on_connect = lambda *_args: connected.set()
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        if not connected.wait(20.0):
            raise RuntimeError("the floor's MQTT client could not connect")

    async def subscribe(
        self, topic: str, callback: Callable[[str, str | bytes | bytearray], None]
    ) -> Callable[[], None]:
        """Subscribe; paho's thread hands each message to the event loop."""

        def on_message(_client: Any, _userdata: Any, message: paho.MQTTMessage) -> None:
            self._loop.call_soon_threadsafe(callback, message.topic, message.payload)

        self._client.message_callback_add(topic, on_message)
        self._client.subscribe(topic, qos=1)
        await asyncio.sleep(SUBSCRIBE_SETTLE)

        def unsubscribe() -> None:
            self._client.message_callback_remove(topic)
            self._client.unsubscribe(topic)

        return unsubscribe

    async def publish(self, topic: str, payload: str) -> None:
        """Publish with QoS 1, as Home Assistant's transport does."""
        self._client.publish(topic, payload, qos=1)

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


class _MemoryStore:
    async def load(self) -> dict[str, Any] | None:
        return None

    async def save(self, data: dict[str, Any]) -> None:
        return None


def _now() -> datetime:
    return datetime.now(UTC)


async def _client_for(
    device: BenchDevice, mqtt_port: int, session: aiohttp.ClientSession
) -> tuple[_Client, Callable[[], None]]:
    """Return a started client of ``device``'s protocol and what closes its transport."""
    protocol = device.adapter.protocol
    simulator = device.simulator
    if protocol in ("face_terminal_mqtt", "camera_mqtt"):
        transport = PahoTransport(mqtt_port, asyncio.get_running_loop())
        mqtt_client = HFSecurityMqttClient(
            transport,
            device.spec.device_id,
            variant=FACE_TERMINAL if protocol == "face_terminal_mqtt" else CAMERA,
            topic_prefix=device.spec.topic_prefix,
            sync_time=False,
        )
        # No shared topics: this client must not answer the device's Online in HA's place.
        await mqtt_client.start(shared_topics=False)
        return mqtt_client, transport.close
    address = simulator.address
    assert address is not None
    host, port = address
    if protocol == "face_capture_http":
        capture = FaceCaptureHttpClient(
            device.spec.device_id,
            _MemoryStore(),
            connection=FaceCaptureConnection(session, host, port, DEVICE_USER, DEVICE_PASSWORD),
            mode=Mode.PUSH,
            upload_path="/bench",
            poll_path="/bench-poll",
            now=_now,
            sync_time=False,
        )
        await capture.start()
        return capture, lambda: None
    if protocol == "unv_lapi":
        unv = UnvLapiClient(
            device.spec.device_id,
            connection=LapiConnection(session, host, port, DEVICE_USER, DEVICE_PASSWORD),
            now=_now,
        )
        await unv.start()
        return unv, lambda: None
    raise ValueError(f"no client-only floor for {protocol}")


async def door_client_only(device: BenchDevice, mqtt_port: int, rounds: int) -> list[float]:
    """Open ``device``'s door ``rounds`` times through its client alone; seconds each.

    Each opening counts once the simulated device has it (its ``unlock_count``), as the
    round trip through Home Assistant does.
    """
    if device.adapter.heartbeat_bound:
        results = await tablet_latency.measure(TABLET_HEARTBEAT, rounds, cid="be0cf1004000")
        return results["open_door"]
    async with aiohttp.ClientSession() as session:
        client, close = await _client_for(device, mqtt_port, session)
        try:
            times = []
            for _ in range(rounds):
                before = device.simulator.unlock_count
                started = time.perf_counter()
                await client.open_door()
                while device.simulator.unlock_count == before:
                    if time.perf_counter() - started > 15.0:
                        raise TimeoutError(f"{device.spec.title} never opened")
                    await asyncio.sleep(0.001)
                times.append(time.perf_counter() - started)
            return times
        finally:
            await client.stop()
            close()


async def enroll_client_only(
    device: BenchDevice, mqtt_port: int, photo: bytes, people: int
) -> list[float]:
    """Enrol ``people`` people on ``device`` through its client alone; seconds each."""
    async with aiohttp.ClientSession() as session:
        client, close = await _client_for(device, mqtt_port, session)
        try:
            limits = client.profile.photo_limits  # type: ignore[attr-defined]
            jpeg = await asyncio.to_thread(normalize_photo, photo, limits)
            times = []
            for number in range(people):
                enrollment = Enrollment(
                    person_id=str(FLOOR_ID_BASE + number), name="Floor", photo_jpeg=jpeg
                )
                started = time.perf_counter()
                await client.enroll(enrollment)
                times.append(time.perf_counter() - started)
            return times
        finally:
            await client.stop()
            close()


class PhotoServer:
    """One photo served over HTTP on 127.0.0.1 at any path, for a device to download."""

    def __init__(self, jpeg: bytes) -> None:
        """Serve ``jpeg``; nothing listens before ``start``."""
        self._jpeg = jpeg
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/{name}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, _request: web.Request) -> web.Response:
        return web.Response(body=self._jpeg, content_type="image/jpeg")


async def enroll_batch_client_only(
    device: BenchDevice, mqtt_port: int, photo: bytes, people: int
) -> float | None:
    """Enrol ``people`` people with the client's ``enroll_batch`` alone; seconds in all.

    None when the protocol has no batch operation. The people are the floor's own
    (``FLOOR_ID_BASE``); the photos come from a ``PhotoServer`` when the device downloads.
    """
    async with aiohttp.ClientSession() as session:
        client, close = await _client_for(device, mqtt_port, session)
        server: PhotoServer | None = None
        try:
            profile = client.profile  # type: ignore[attr-defined]
            if Capability.BATCH_ENROLL not in profile.capabilities or not isinstance(
                client, BatchEnrollClient
            ):
                return None
            jpeg = await asyncio.to_thread(normalize_photo, photo, profile.photo_limits)
            enrollments = [
                Enrollment(person_id=str(FLOOR_ID_BASE + number), name="Floor", photo_jpeg=jpeg)
                for number in range(people)
            ]
            urls = None
            if client.batch_needs_urls:
                server = PhotoServer(jpeg)
                await server.start()
                urls = {e.person_id: f"{server.base}/{e.person_id}.jpg" for e in enrollments}
            started = time.perf_counter()
            outcomes = await client.enroll_batch(enrollments, urls)
            seconds = time.perf_counter() - started
            failed = [o for o in outcomes.values() if isinstance(o, Exception)]
            if failed:
                raise RuntimeError(f"the floor's batch failed for {len(failed)}: {failed[0]}")
            return seconds
        finally:
            if server is not None:
                await server.stop()
            await client.stop()
            close()


async def tablet_batch_client_only(photo: bytes, people: int) -> float:
    """Enrol ``people`` people on a tablet with its client's ``enroll_batch`` alone; seconds.

    The ``facelib_batch`` chain (temperature_http digest §7) on the bench's heartbeat period
    (``bench.tablet_latency.measure_batch``).
    """
    jpeg = await asyncio.to_thread(normalize_photo, photo, TABLET_PROFILE.photo_limits)
    return await tablet_latency.measure_batch(TABLET_HEARTBEAT, people, jpeg, cid="be0cf1005000")
