"""Batch enrolment over real sockets: `EditPersonsNew` with `picURI`, and Home Assistant's side.

Client level: a protocol client on a real broker (amqtt) talks to the simulated face
terminal or camera, which downloads every photo over HTTP from a server on 127.0.0.1, as
the device does (face_terminal_mqtt digest §4.13/§4.14, camera_mqtt digest §4.9). Home
Assistant level: its HTTP server listens on 127.0.0.1 and serves the photos at signed URLs;
the temperature tablet's `facelib_batch` chain (temperature_http digest §7) through its webhook.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from aiohttp import web
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from bench.floors import PahoTransport
from custom_components.face_access.batch_enroll import async_enroll_many
from custom_components.face_access.const import DOMAIN
from custom_components.face_access.photo_view import SHELF_KEY
from custom_components.face_access.protocols.hfsecurity_mqtt import batch
from custom_components.face_access.protocols.hfsecurity_mqtt.client import HFSecurityMqttClient
from custom_components.face_access.protocols.hfsecurity_mqtt.variants import (
    CAMERA,
    FACE_TERMINAL,
    MqttVariant,
)
from custom_components.face_access.protocols.model import (
    CommandResult,
    DeviceRefusedError,
    Enrollment,
    InvalidRequestError,
)
from simulators.broker import Broker
from simulators.camera_mqtt.device import CameraSimulator
from simulators.face_terminal_mqtt.device import FaceTerminalSimulator
from simulators.hfsecurity_mqtt import HFSecurityMqttDevice
from simulators.temperature_http import TemperatureTabletSimulator
from tests.common import make_photo
from tests.e2e import (
    add_through_the_flow,
    quick_simulator,
    running,
    tablet_on_webhook,
    wait_until,
)
from tests.http_devices import serve
from tests.test_temperature_http import CID

TERMINAL_ID = "1305433"
CAMERA_ID = "1026700"
PHOTO = make_photo()


class PhotoServer:
    """Photos served over HTTP on 127.0.0.1, as Home Assistant serves them to a device."""

    def __init__(self) -> None:
        self.photos: dict[str, bytes] = {}
        self.base = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/photo/{name}", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        data = self.photos.get(request.match_info["name"])
        if data is None:
            raise web.HTTPNotFound
        return web.Response(body=data, content_type="image/jpeg")

    def url(self, name: str, data: bytes | None = PHOTO) -> str:
        """Serve `data` as `name` (None: a URL that answers 404) and return its URL."""
        if data is not None:
            self.photos[name] = data
        return f"{self.base}/photo/{name}"


@pytest.fixture
async def photos(socket_enabled: None) -> AsyncIterator[PhotoServer]:
    server = PhotoServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def devices(broker: Broker) -> Iterator[Callable[..., HFSecurityMqttDevice]]:
    """Start simulated devices that download their photos; stop them at teardown."""
    started: list[HFSecurityMqttDevice] = []

    def _start(kind: type[HFSecurityMqttDevice], device_id: str, **kwargs: Any) -> Any:
        device = kind(broker.host, broker.port, device_id, heartbeat_interval=30.0, **kwargs)
        device.download_pictures = True
        device.start()
        started.append(device)
        return device

    yield _start
    for device in started:
        device.wait_batch_done()
        device.stop()


@pytest.fixture
async def clients(broker: Broker) -> AsyncIterator[Callable[..., Any]]:
    """Start protocol clients, each on its own MQTT connection; stop them at teardown."""
    started: list[tuple[HFSecurityMqttClient, PahoTransport]] = []

    async def _start(variant: MqttVariant, device_id: str) -> HFSecurityMqttClient:
        transport = await asyncio.to_thread(PahoTransport, broker.port, asyncio.get_running_loop())
        client = HFSecurityMqttClient(transport, device_id, variant=variant, sync_time=False)
        await client.start(shared_topics=False)
        started.append((client, transport))
        return client

    yield _start
    for client, transport in started:
        await client.stop()
        await asyncio.to_thread(transport.close)


@pytest.fixture
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll a running batch's progress every 0.1 s instead of the terminal's 5 s."""
    monkeypatch.setattr(batch, "PROGRESS_POLL_INTERVAL", 0.1)


def people(count: int, prefix: str = "p") -> list[Enrollment]:
    """Return `count` people, `<prefix>0` onwards, each with the same photo."""
    return [
        Enrollment(person_id=f"{prefix}{number}", name=f"Person {number}", photo_jpeg=PHOTO)
        for number in range(count)
    ]


def photo_urls(photos: PhotoServer, staff: Iterable[Enrollment]) -> dict[str, str]:
    """Serve each person's photo under their person ID; return the URLs by person ID."""
    return {person.person_id: photos.url(person.person_id) for person in staff}


def batches(device: HFSecurityMqttDevice) -> list[dict[str, Any]]:
    """Return the `EditPersonsNew` commands the device received, oldest first."""
    return [command for command in device.received if command["operator"] == "EditPersonsNew"]


@pytest.mark.usefixtures("quick_polls")
async def test_a_batch_reaches_the_terminal_in_one_command(
    devices: Callable[..., Any], clients: Callable[..., Any], photos: PhotoServer
) -> None:
    """30 people in one `EditPersonsNew`; the terminal downloads each photo while asked."""
    terminal: FaceTerminalSimulator = devices(FaceTerminalSimulator, TERMINAL_ID)
    terminal.batch_person_seconds = 0.05
    client = await clients(FACE_TERMINAL, TERMINAL_ID)
    staff = people(30)
    urls = photo_urls(photos, staff)

    outcomes = await client.enroll_batch(staff, urls)

    assert all(isinstance(outcome, CommandResult) for outcome in outcomes.values())
    assert set(outcomes) == set(urls)
    stored = terminal.persons
    assert {person_id: stored[person_id]["picture"] for person_id in urls} == dict.fromkeys(
        urls, PHOTO
    )
    assert stored["p7"]["name"] == "Person 7"
    [command] = batches(terminal)
    assert command["PersonNum"] == "30"
    assert all("pic" not in entry and entry["picURI"] for entry in command["info"])
    # The terminal was asked how far it got while it worked (digest §4.14).
    assert terminal.progress_queries > 0
    assert terminal.protocol_violations == []


async def test_per_person_failures_are_reported_and_the_rest_enrolled(
    devices: Callable[..., Any], clients: Callable[..., Any], photos: PhotoServer
) -> None:
    """Each person's errcode (camera §6.2 29.8) comes back for that person alone."""
    camera: CameraSimulator = devices(CameraSimulator, CAMERA_ID)
    client = await clients(CAMERA, CAMERA_ID)
    good, missing, tiny, garbage, long_name, no_url = people(6)
    long_name = Enrollment(person_id="p4", name="N" * 40, photo_jpeg=PHOTO)
    urls = {
        good.person_id: photos.url("good"),
        missing.person_id: photos.url("gone", None),
        tiny.person_id: photos.url("tiny", PHOTO[:500]),
        garbage.person_id: photos.url("garbage", b"not a picture at all " * 100),
        long_name.person_id: photos.url("long"),
    }

    outcomes = await client.enroll_batch([good, missing, tiny, garbage, long_name, no_url], urls)

    assert isinstance(outcomes["p0"], CommandResult)
    codes = {
        person_id: outcome.code
        for person_id, outcome in outcomes.items()
        if isinstance(outcome, DeviceRefusedError)
    }
    assert codes == {"p1": "466", "p2": "466", "p3": "468"}
    assert "could not read the downloaded photo" in str(outcomes["p1"])
    assert isinstance(outcomes["p4"], InvalidRequestError)  # never sent: name over 31 bytes
    assert isinstance(outcomes["p5"], InvalidRequestError)  # no URL to give the device
    assert set(camera.persons) == {"p0"}
    assert camera.persons["p0"]["picture"] == PHOTO
    [command] = batches(camera)
    assert [entry["customId"] for entry in command["info"]] == ["p0", "p1", "p2", "p3"]


@pytest.mark.parametrize(
    ("kind", "variant", "device_id"),
    [(FaceTerminalSimulator, FACE_TERMINAL, TERMINAL_ID), (CameraSimulator, CAMERA, CAMERA_ID)],
)
@pytest.mark.usefixtures("quick_polls")
async def test_a_busy_device_is_waited_for(
    devices: Callable[..., Any],
    clients: Callable[..., Any],
    photos: PhotoServer,
    monkeypatch: pytest.MonkeyPatch,
    kind: type[HFSecurityMqttDevice],
    variant: MqttVariant,
    device_id: str,
) -> None:
    """A batch refused as busy (410) goes again once the device is idle.

    The terminal is asked (`QueryProgress`, digest §4.14); the camera, whose document has no
    such command, is given a few seconds before each try.
    """
    monkeypatch.setattr(batch, "BUSY_RETRY_INTERVAL", 0.3)
    terminal = devices(kind, device_id)
    terminal.batch_person_seconds = 0.2
    other = await clients(variant, device_id)  # another platform on the same device
    client = await clients(variant, device_id)
    theirs = people(5, "other")
    ours = people(3, "ours")
    urls = photo_urls(photos, theirs + ours)
    first = asyncio.create_task(other.enroll_batch(theirs, urls))
    async with asyncio.timeout(10):
        while terminal.batch_running is None:  # noqa: ASYNC110 - another thread's state
            await asyncio.sleep(0.01)

    outcomes = await client.enroll_batch(ours, urls)

    assert all(isinstance(outcome, CommandResult) for outcome in outcomes.values())
    assert all(isinstance(outcome, CommandResult) for outcome in (await first).values())
    assert {"ours0", "ours1", "ours2", "other4"} <= set(terminal.persons)
    acks = [
        message
        for _topic, message in terminal.published
        if message.get("operator") == "EditPersonsNew-Ack"
    ]
    codes = [ack.get("code") for ack in acks]
    assert codes[-2:] == ["200", "200"]  # theirs, then ours
    assert set(codes[:-2]) == {"410"}  # ours, refused while theirs ran
    asked = [c for c in terminal.received if c["operator"] == "QueryProgress"]
    assert bool(asked) is variant.query_progress


@pytest.mark.usefixtures("quick_polls")
async def test_a_lost_ack_is_told_by_query_progress_and_the_batch_sent_again(
    devices: Callable[..., Any], clients: Callable[..., Any], photos: PhotoServer
) -> None:
    """The terminal idle again without an ack: the batch (an upsert) goes once more."""
    terminal: FaceTerminalSimulator = devices(FaceTerminalSimulator, TERMINAL_ID)
    terminal.lose_next_ack("EditPersonsNew")
    client = await clients(FACE_TERMINAL, TERMINAL_ID)
    staff = people(3)
    urls = photo_urls(photos, staff)

    outcomes = await client.enroll_batch(staff, urls)

    assert all(isinstance(outcome, CommandResult) for outcome in outcomes.values())
    assert set(terminal.persons) == set(urls)
    assert len(batches(terminal)) == 2
    assert terminal.progress_queries >= 2


async def test_a_camera_refusing_the_whole_batch_fails_each_person(
    devices: Callable[..., Any], clients: Callable[..., Any], photos: PhotoServer
) -> None:
    """A refusal of the whole command (here 460 "Data out of range") is every person's."""
    camera: CameraSimulator = devices(CameraSimulator, CAMERA_ID)
    camera.refuse_next("EditPersonsNew", 460, "Data out of range")
    client = await clients(CAMERA, CAMERA_ID)
    staff = people(2)
    urls = photo_urls(photos, staff)

    outcomes = await client.enroll_batch(staff, urls)

    assert {
        person_id: (type(outcome), getattr(outcome, "code", None))
        for person_id, outcome in outcomes.items()
    } == dict.fromkeys(urls, (DeviceRefusedError, "460"))
    assert camera.persons == {}


# ------------------------------------------------------------------ Home Assistant


async def test_a_photo_is_served_only_at_its_signed_url(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    hass_client: ClientSessionGenerator,
    socket_enabled: None,
) -> None:
    """The signed URL works until withdrawn; unsigned, tampered, expired or other auth: 401."""
    await serve(hass, hass_client_no_auth)
    anyone = await hass_client_no_auth()
    shelf = hass.data[SHELF_KEY]
    path = shelf.offer(hass, PHOTO, timedelta(minutes=1))
    plain, signature = path.split("?", 1)

    response = await anyone.get(path)
    assert response.status == 200
    assert await response.read() == PHOTO
    assert response.headers["Content-Type"] == "image/jpeg"

    assert (await anyone.get(plain)).status == 401
    other_token = plain[:-2] + ("AA" if not plain.endswith("AA") else "BB")
    assert (await anyone.get(f"{other_token}?{signature}")).status == 401
    assert (await anyone.get(f"{path}&size=big")).status == 401
    expired = shelf.offer(hass, PHOTO, timedelta(seconds=-5))
    assert (await anyone.get(expired)).status == 401
    # A user's own token is not the signature: the photos are for the devices.
    assert (await (await hass_client()).get(plain)).status == 401

    shelf.withdraw([path])
    assert (await anyone.get(path)).status == 404


@pytest.fixture
def camera(broker: Broker) -> Iterator[CameraSimulator]:
    """The simulated camera (quick timers), downloading its photos; not yet added."""
    sim = quick_simulator(CameraSimulator, broker, CAMERA_ID)
    sim.download_pictures = True
    with running(sim):
        yield sim
        sim.wait_batch_done()


async def add_camera(hass: HomeAssistant, camera: CameraSimulator) -> ConfigEntry:
    """Add the camera through the config flow; return its entry once the camera is online."""
    entry = hass.config_entries.async_get_entry(
        await add_through_the_flow(hass, "camera_mqtt", CAMERA_ID)
    )
    assert entry is not None
    await wait_until(lambda: camera.online_acked)
    return entry


async def test_enroll_many_sends_one_batch_to_a_camera(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    mqtt_connected: None,
    camera: CameraSimulator,
) -> None:
    """Home Assistant serves the photos the camera downloads, then withdraws them."""
    base = await serve(hass, hass_client_no_auth)
    entry = await add_camera(hass, camera)
    staff = people(12, "staff-member-")  # never found in a token or signature by chance
    staff.append(Enrollment(person_id="too-long", name="N" * 40, photo_jpeg=PHOTO))

    outcomes = await async_enroll_many(hass, entry, staff)

    assert [p for p, outcome in outcomes.items() if isinstance(outcome, CommandResult)] == [
        person.person_id for person in staff[:12]
    ]
    assert isinstance(outcomes["too-long"], InvalidRequestError)
    assert {p: camera.persons[p]["picture"] for p in outcomes if p != "too-long"} == dict.fromkeys(
        (person.person_id for person in staff[:12]), PHOTO
    )
    [command] = batches(camera)
    uris = [entry["picURI"] for entry in command["info"]]
    assert all(uri.startswith(f"{base}/api/face_access/photo/") for uri in uris)
    assert not any(person.person_id in uri for person, uri in zip(staff, uris, strict=False))
    # The batch is over: its photos are no longer served, signature or not.
    anyone = await hass_client_no_auth()
    assert (await anyone.get(uris[0].removeprefix(base))).status == 404
    assert not [c for c in camera.received if c["operator"] == "EditPerson"]


async def test_people_a_camera_cannot_download_go_one_by_one(
    hass: HomeAssistant,
    mqtt_connected: None,
    camera: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A local URL the camera cannot reach: it says so per person, and they go with the photo."""
    await async_process_ha_core_config(hass, {"internal_url": "http://192.0.2.1:8123"})
    entry = await add_camera(hass, camera)

    outcomes = await async_enroll_many(hass, entry, people(2))

    assert all(isinstance(outcome, CommandResult) for outcome in outcomes.values())
    assert {p: camera.persons[p]["picture"] for p in ("p0", "p1")} == {"p0": PHOTO, "p1": PHOTO}
    [command] = batches(camera)
    assert all(e["picURI"].startswith("http://192.0.2.1:8123/") for e in command["info"])
    acks = [m for _t, m in camera.published if m.get("operator") == "EditPersonsNew-Ack"]
    assert [e["errcode"] for e in acks[0]["info"]["AddErrInfo"]] == ["464", "464"]
    singles = [c["info"]["customId"] for c in camera.received if c["operator"] == "EditPerson"]
    assert singles == ["p0", "p1"]
    assert "could not download 2 enrolment photos" in caplog.text
    assert "http://192.0.2.1:8123" in caplog.text


@pytest.fixture
async def tablet(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, socket_enabled: None
) -> AsyncIterator[TemperatureTabletSimulator]:
    """A temperature tablet's entry and a simulated tablet posting to its webhook (1 s)."""
    async with tablet_on_webhook(hass, hass_client_no_auth) as device:
        yield device


async def test_enroll_many_chains_facelib_batches_on_a_tablet(
    hass: HomeAssistant, tablet: TemperatureTabletSimulator
) -> None:
    """45 people: three `facelib_batch` chunks of at most 20, chained by `type` 9 (§7)."""
    [entry] = [e for e in hass.config_entries.async_entries(DOMAIN) if e.unique_id == CID]
    staff = people(45)
    staff.append(Enrollment(person_id="too-long", name="N" * 40, photo_jpeg=PHOTO))

    outcomes = await async_enroll_many(hass, entry, staff)

    enrolled = [outcomes[person.person_id] for person in staff[:45]]
    assert all(isinstance(o, CommandResult) and not o.pending for o in enrolled)
    assert isinstance(outcomes["too-long"], InvalidRequestError)
    assert {person_id: data["image"] for person_id, data in tablet.persons.items()} == {
        person.person_id: PHOTO for person in staff[:45]
    }
    chunks = [command for command in tablet.commands if "facelib_batch" in command]
    assert [len(c["facelib_batch"]["personList"]) for c in chunks] == [20, 20, 5]
    assert not any("facelib_manage" in command for command in tablet.commands)
