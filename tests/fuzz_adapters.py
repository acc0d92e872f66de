"""The fuzz harness's adapter table: how to reach each protocol's device inside Home Assistant.

One `Adapter` per implemented protocol says everything the harness needs, so that a protocol
added later joins by adding its adapter to `ADAPTERS`:

- `start`: set the device up in a real Home Assistant test instance (a config entry, and a
  simulator where Home Assistant must call the device) and return a `Device`;
- `seeds`: the real payloads to mutate, by path (`tests.fuzz_seeds`);
- `good`: a good record numbered `n` and the path it goes to, and `marker`, the attribute of
  its `face_access_event` that tells it was processed;
- `limit`: the body limit of the transport (larger bodies must be refused whole).

A `Device` delivers bytes on a path and returns the `Answer`: the HTTP status and body, or
the MQTT messages the integration published in reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
import json
import time
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.hfsecurity_mqtt.client import MAX_PAYLOAD_BYTES
from custom_components.face_access.protocols.http import MAX_BODY_BYTES
from custom_components.face_access.protocols.unv_lapi import FIXED_PATHS
from simulators.face_capture_http import FaceCaptureSimulator
from simulators.unv_lapi import UnvLapiSimulator
from tests import fuzz_seeds
from tests.common import (
    DEVICE_ID,
    PREFIX,
    FakeTerminal,
    camera_rec_push,
    rec_push,
    setup_entry,
    terminal_entry,
)
from tests.fuzz_seeds import Seed
from tests.http_devices import add_by_address, until

USER = "admin"
PASSWORD = "s3cret"
CID = "0012b516a202"
TABLET_WEBHOOK = "fuzz-tablet-webhook-0123456789"
HUAAN_SERIAL = "0123E4-FB5BFC-9186EE"
UNV_SERIAL = "210235C31L3186000023"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the integration answered: HTTP status and body, or the MQTT messages it sent."""

    status: int | None = None
    body: bytes = b""
    published: tuple[dict[str, Any], ...] = ()


@dataclass(slots=True)
class Env:
    """The fixtures an adapter may use, and what to undo when the test ends."""

    hass: HomeAssistant
    mqtt_mock: MqttMockHAClient
    hass_client: ClientSessionGenerator
    cleanup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    http: TestClient | None = None
    run: Any = None
    """The harness's state for this test, kept across hypothesis's cases (`test_fuzz.Run`)."""

    async def serve(self) -> TestClient:
        """Start Home Assistant's HTTP server on 127.0.0.1 once (see tests.http_devices.serve)."""
        if self.http is None:
            for domain in (DOMAIN, "camera", "image", "diagnostics"):
                assert await async_setup_component(self.hass, domain, {})
            self.http = await self.hass_client()
            base = str(self.http.make_url("")).rstrip("/")
            await async_process_ha_core_config(self.hass, {"internal_url": base})
        return self.http


class Device:
    """Delivers bodies on a protocol's paths and returns the integration's answer."""

    def __init__(self, env: Env, serial: str, routes: dict[str, str], *, http: bool) -> None:
        """Route each path key to its topic (MQTT) or URL path (HTTP)."""
        self.env = env
        self.serial = serial
        self.routes = routes
        self.http = http

    async def deliver(self, path: str, body: bytes, content_type: str) -> Answer:
        """Send `body` on `path` as the device would and return the answer."""
        route = self.routes[path]
        if not self.http:
            self.env.mqtt_mock.async_publish.reset_mock()
            # As the broker delivers it: bytes, through Home Assistant's MQTT client.
            async_fire_mqtt_message(self.env.hass, route, body)
            return Answer()
        assert self.env.http is not None
        headers = {"Content-Type": content_type} if content_type else {}
        skip = () if content_type else ("Content-Type",)
        async with self.env.http.post(
            route, data=body, headers=headers, skip_auto_headers=skip
        ) as response:
            return Answer(status=response.status, body=await response.read())

    def published(self) -> tuple[dict[str, Any], ...]:
        """Return the JSON messages the integration published since the last delivery."""
        found: list[dict[str, Any]] = []
        for call in self.env.mqtt_mock.async_publish.call_args_list:
            try:
                message = json.loads(call.args[1])
            except ValueError:
                continue
            if isinstance(message, dict):
                found.append(message)
        return tuple(found)


@dataclass(frozen=True, kw_only=True)
class Adapter:
    """One protocol as the fuzz harness sees it (see the module's docstring)."""

    protocol: str
    serial: str
    http: bool
    limit: int
    start: Callable[[Env], Awaitable[Device]]
    seeds: Callable[[], tuple[Seed, ...]]
    good: Callable[[int], tuple[str, bytes]]
    marker: Callable[[int], tuple[str, str]]
    refusals: frozenset[int] = frozenset()
    """HTTP statuses that are a correct refusal on this protocol's paths."""


# ---- HFSecurity MQTT (face terminal, camera) --------------------------------------------------

_MQTT_ROUTES = {
    suffix: f"{PREFIX}/{DEVICE_ID}/{suffix}"
    for suffix in ("Rec", "Snap", "QRcode", "card", "IDcard", "Ack")
} | {"basic": f"{PREFIX}/basic", "heartbeat": f"{PREFIX}/heartbeat"}


async def _start_mqtt(protocol: str, env: Env) -> Device:
    """Add an MQTT device whose commands a FakeTerminal answers."""
    FakeTerminal(env.hass, env.mqtt_mock)
    await setup_entry(env.hass, terminal_entry(protocol=protocol))
    return Device(env, DEVICE_ID, _MQTT_ROUTES, http=False)


def _device_now() -> datetime:
    """Return the time on the simulators' clocks (the machine's), which the seeds carry.

    Home Assistant's test instance runs in another zone; a good record must be newer than
    the seeds by the devices' own clock, as it is on a real device.
    """
    return datetime.now()


def _terminal_good(n: int) -> tuple[str, bytes]:
    when = f"{_device_now():%Y-%m-%d %H:%M:%S}"
    return "Rec", json.dumps(rec_push(str(n), time=when)).encode()


def _camera_good(n: int) -> tuple[str, bytes]:
    when = f"{_device_now():%Y-%m-%d %H:%M:%S}"
    return "Rec", json.dumps(camera_rec_push(str(n), time=when)).encode()


def _record_id(n: int) -> tuple[str, str]:
    return "record_id", str(n)


# ---- temperature tablet (webhook) ------------------------------------------------------------


async def _start_tablet(env: Env) -> Device:
    """Add the tablet's entry (its webhook) and start Home Assistant's HTTP server."""
    await env.serve()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Temperature tablet {CID}",
        unique_id=CID,
        data={"protocol": "temperature_http", "device_id": CID, CONF_WEBHOOK_ID: TABLET_WEBHOOK},
        # No clock setting: the commands it queues are not what is fuzzed.
        options={"sync_time": False},
    )
    entry.add_to_hass(env.hass)
    assert await env.hass.config_entries.async_setup(entry.entry_id)
    await env.hass.async_block_till_done()
    return Device(env, CID, {"upload": f"/api/webhook/{TABLET_WEBHOOK}"}, http=True)


def _tablet_good(n: int) -> tuple[str, bytes]:
    """A recognition of person `fz<n>` now, shaped as the simulator's."""
    body = json.loads(fuzz_seeds.tablet(CID)[0][1])
    body["time"] = int(time.time())
    body["result"] = {**body["result"], "person_id": f"fz{n}", "person_type": 1}
    return "upload", json.dumps(body).encode()


def _person_marker(n: int) -> tuple[str, str]:
    return "person_id", f"fz{n}"


# ---- Huaan face capture terminal (two webhooks) ----------------------------------------------


async def _start_huaan(env: Env) -> Device:
    """Add a simulated Huaan terminal through the config flow (push mode, as by default)."""
    await env.serve()
    simulator = FaceCaptureSimulator(
        HUAAN_SERIAL, user=USER, password=PASSWORD, heartbeat_interval=None
    )
    await env.hass.async_add_executor_job(partial(simulator.start, 0))

    async def stop() -> None:
        await env.hass.async_add_executor_job(simulator.stop)

    env.cleanup.append(stop)
    port = simulator.address[1]
    result = await add_by_address(env.hass, "face_capture_http", port, USER, PASSWORD)
    entry = result["result"]
    # The settings and upload check read after set-up, in the background, create the
    # settings entities: before any case. The read may also wait for the device's first
    # request, which comes from the simulator's thread after set-up.
    await until(lambda: bool(entry.runtime_data.coordinator.data.settings))
    await env.hass.async_block_till_done(wait_background_tasks=True)
    client = entry.runtime_data.client
    # A poll is held until a command is queued, 10 s by default; the fuzz queues none.
    client._poll_hold = 0.01
    routes = {
        "upload": f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}",
        "poll": f"/api/webhook/{entry.data['poll_webhook_id']}",
    }
    return Device(env, HUAAN_SERIAL, routes, http=True)


def _huaan_good(n: int) -> tuple[str, bytes]:
    """A recognition with `sequence_no` n, captured now."""
    body = json.loads(fuzz_seeds.face_capture(HUAAN_SERIAL)[0][1])
    now = _device_now()
    body.update(
        sequence_no=n,
        cap_time=f"{now:%Y/%m/%d %H:%M:%S}.{now.microsecond // 1000:03d}",
        is_realtime=1,
    )
    return "upload", json.dumps(body, ensure_ascii=False).encode()


# ---- Uniview LAPI (fixed paths) --------------------------------------------------------------


async def _start_unv(env: Env) -> Device:
    """Add a simulated UNV terminal through the config flow; it subscribes to Home Assistant."""
    await env.serve()
    simulator = UnvLapiSimulator(UNV_SERIAL, user=USER, password=PASSWORD, resend_interval=None)
    await env.hass.async_add_executor_job(partial(simulator.start, 0))

    async def stop() -> None:
        await env.hass.async_add_executor_job(simulator.stop)

    env.cleanup.append(stop)
    result = await add_by_address(env.hass, "unv_lapi", simulator.address[1], USER, PASSWORD)
    assert result["type"] == "create_entry", result
    await env.hass.async_block_till_done()
    await until(lambda: len(simulator.subscriptions) == 1)
    verification, notifications, heartbeat = FIXED_PATHS
    routes = {
        "verification": verification,
        "notifications": notifications,
        "heartbeat": heartbeat,
    }
    return Device(env, UNV_SERIAL, routes, http=True)


def _unv_good(n: int) -> tuple[str, bytes]:
    """A recognition with `Seq` n, now."""
    body = json.loads(
        fuzz_seeds.unv(UNV_SERIAL)[0][1].replace("\u201c", '"').replace("\u201d", '"')
    )
    now = int(time.time())
    body.update(Seq=n, Timestamp=now, NotificationType=0)
    for face in body["FaceInfoList"]:
        face["Timestamp"] = now
    return "verification", json.dumps(body).encode()


ADAPTERS: tuple[Adapter, ...] = (
    Adapter(
        protocol="face_terminal_mqtt",
        serial=DEVICE_ID,
        http=False,
        limit=MAX_PAYLOAD_BYTES,
        start=partial(_start_mqtt, "face_terminal_mqtt"),
        seeds=partial(fuzz_seeds.face_terminal, DEVICE_ID),
        good=_terminal_good,
        marker=_record_id,
    ),
    Adapter(
        protocol="camera_mqtt",
        serial=DEVICE_ID,
        http=False,
        limit=MAX_PAYLOAD_BYTES,
        start=partial(_start_mqtt, "camera_mqtt"),
        seeds=partial(fuzz_seeds.camera, DEVICE_ID),
        good=_camera_good,
        marker=_record_id,
    ),
    Adapter(
        protocol="temperature_http",
        serial=CID,
        http=True,
        limit=MAX_BODY_BYTES,
        start=_start_tablet,
        seeds=partial(fuzz_seeds.tablet, CID),
        good=_tablet_good,
        marker=_person_marker,
        # 400 not a message of the protocol, 403 another cid, 413 too large.
        refusals=frozenset({400, 403, 413}),
    ),
    Adapter(
        protocol="face_capture_http",
        serial=HUAAN_SERIAL,
        http=True,
        limit=MAX_BODY_BYTES,
        start=_start_huaan,
        seeds=partial(fuzz_seeds.face_capture, HUAAN_SERIAL),
        good=_huaan_good,
        marker=_record_id,
        # 400 not JSON or an unacknowledgeable record, 403 another device_sn, 413.
        refusals=frozenset({400, 403, 413}),
    ),
    Adapter(
        protocol="unv_lapi",
        serial=UNV_SERIAL,
        http=True,
        limit=MAX_BODY_BYTES,
        start=_start_unv,
        seeds=partial(fuzz_seeds.unv, UNV_SERIAL),
        good=_unv_good,
        marker=_record_id,
        # 400 not a LAPI push, 404 no device with that serial, 413 too large.
        refusals=frozenset({400, 404, 413}),
    ),
)
"""Every implemented protocol; `tests/test_fuzz.py` fuzzes each one of them."""
