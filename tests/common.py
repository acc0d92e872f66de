"""Helpers shared by the Home Assistant tests."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Sequence
import contextlib
import copy
from datetime import timedelta
import io
import json
from typing import TYPE_CHECKING, Any, Protocol
from unittest.mock import DEFAULT

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
from PIL import Image
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.face_access.const import (
    CONF_DEVICE_ID,
    CONF_PROTOCOL,
    CONF_TOPIC_PREFIX,
    DOMAIN,
)
from custom_components.face_access.protocols.http import HttpReply, HttpRequest
from custom_components.face_access.roster import CONF_KIND, KIND_PEOPLE, PEOPLE_UNIQUE_ID

if TYPE_CHECKING:
    from .fake_device import FakeClient

DEVICE_ID = "1305433"
PREFIX = "mqtt/face"
FIRMWARE = "v12.5.6L3M1-1.0.6.9 Beta"
DEVICE_IP = "172.168.2.202"


class MemoryStore:
    """A client's `StateStore` in memory that keeps what is saved as JSON would."""

    def __init__(self) -> None:
        """Start with nothing saved."""
        self.data: dict[str, Any] | None = None

    async def load(self) -> dict[str, Any] | None:
        """Return a copy of what was saved, None before anything was."""
        return copy.deepcopy(self.data)

    async def save(self, data: dict[str, Any]) -> None:
        """Keep `data` through a JSON round trip (tuples become lists, keys strings)."""
        self.data = json.loads(json.dumps(data))


class WebhookClient(Protocol):
    """A protocol client that takes the requests its devices send to Home Assistant."""

    async def handle_request(self, request: HttpRequest) -> HttpReply:
        """Answer one request."""


async def serve_client(
    stack: contextlib.AsyncExitStack,
    holder: Sequence[WebhookClient],
    route: str = "/{tail:.*}",
    *,
    path: str | None = None,
) -> tuple[web.AppRunner, web.TCPSite, int]:
    """Serve a protocol client on a free 127.0.0.1 port, as Home Assistant's webhook does.

    The client is `holder[0]`, put there once built (it needs the port first). POSTs to
    `route` reach its `handle_request` as Home Assistant's webhook passes them on, with `path`
    (the request's own path when None); the reply goes back unchanged. Returns the runner,
    its site (to stop, and start again on the port) and the port; cleaned up when `stack`
    closes.
    """

    async def handler(request: web.Request) -> web.Response:
        reply = await holder[0].handle_request(
            HttpRequest(body=await request.read(), remote=request.remote, path=path or request.path)
        )
        return web.Response(status=reply.status, body=reply.body, content_type=reply.content_type)

    app = web.Application()
    app.router.add_post(route, handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = runner.addresses[0][1]
    return runner, site, port


def make_image(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    """Return a small generated picture in the given Pillow format."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 80)).save(out, format=fmt)
    return out.getvalue()


SCENE_JPEG = make_image("JPEG", (80, 60))
"""The picture the fake terminal answers GetSceneSnap with (record pictures are 64x48)."""


def make_photo(fmt: str = "JPEG", size: tuple[int, int] = (320, 240)) -> bytes:
    """Return a photo with detail (noise), big enough for a device to accept as a face."""
    out = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(out, format=fmt)
    return out.getvalue()


def data_uri(data: bytes, label: str = "jpeg") -> str:
    """Return a picture as the devices send it (the label may lie)."""
    return f"data:image/{label};base64,{base64.b64encode(data).decode()}"


def terminal_entry(
    device_id: str = DEVICE_ID, *, protocol: str = "face_terminal_mqtt", **options: Any
) -> MockConfigEntry:
    """Return a config entry of a face terminal (or another protocol's device) over MQTT."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{'Camera' if protocol == 'camera_mqtt' else 'Face terminal'} {device_id}",
        unique_id=device_id,
        data={
            CONF_PROTOCOL: protocol,
            CONF_DEVICE_ID: device_id,
            CONF_TOPIC_PREFIX: PREFIX,
        },
        options=options,
    )


def fire(hass: HomeAssistant, topic: str, message: dict[str, Any] | str) -> None:
    """Publish a message as if a device sent it."""
    payload = message if isinstance(message, str) else json.dumps(message)
    async_fire_mqtt_message(hass, topic, payload)


def now_text() -> str:
    """Return Home Assistant's local time now, as the devices write it."""
    return dt_util.now().strftime("%Y-%m-%d %H:%M:%S")


def rec_push(record_id: str = "381", **info: Any) -> dict[str, Any]:
    """Return a RecPush the way the terminal firmware sends it (field notes §3.2)."""
    body: dict[str, Any] = {
        "customId": "E012",
        "personId": "191",
        "RecordID": record_id,
        "VerifyStatus": "1",
        "PersonType": "0",
        "similarity1": "96.800003",
        "similarity2": "0.000000",
        "Sendintime": 0,
        "direction": "entr",
        "otype": "1",
        "persionName": "Ada",
        "facesluiceId": DEVICE_ID,
        "facesluiceName": "Face1",
        "idCard": "421381199504030001",
        "telnum": " ",
        "time": now_text(),
        "PushType": "0",
        "pic": data_uri(make_image()),
    }
    body.update(info)
    return {"operator": "RecPush", "info": body}


def camera_rec_push(record_id: str = "389", **info: Any) -> dict[str, Any]:
    """Return a RecPush shaped like the captured camera's (field notes §3.2)."""
    body: dict[str, Any] = {
        "customId": "A7",
        "personId": "22",
        "RecordID": record_id,
        "VerifyStatus": "1",
        "PersonType": "0",
        "similarity1": "94.000000",
        "Sendintime": 1,
        "personName": "Lisa",
        "facesluiceId": DEVICE_ID,
        "idCard": " ",
        "telnum": " ",
        "time": now_text(),
        "isNoMask": "0",
        "PushType": 0,
        "targetPosInScene": [346, 0, 1572, 1080],
        "pic": data_uri(make_image()),
    }
    body.update(info)
    return {"operator": "RecPush", "info": body}


def str_snap_push(snap_id: str = "311", **info: Any) -> dict[str, Any]:
    """Return a StrSnapPush (a stranger) with a BMP picture labelled JPEG, as in the document."""
    body: dict[str, Any] = {
        "SnapID": snap_id,
        "facesluiceId": DEVICE_ID,
        "facesluiceName": "Face1",
        "direction": "exit",
        "time": now_text(),
        "temperature": "36.6",
        "temperatureAlarm": "0",
        "pic": data_uri(make_image("BMP")),
    }
    body.update(info)
    return {"operator": "StrSnapPush", "info": body}


def online(device_id: str = DEVICE_ID, **info: Any) -> dict[str, Any]:
    """Return the `Online` notice a terminal publishes on `mqtt/face/basic`."""
    body: dict[str, Any] = {
        "facesluiceId": device_id,
        "username": "admin",
        "time": now_text(),
        "ip": DEVICE_IP,
        "facesname": "Face1",
    }
    body.update(info)
    return {"operator": "Online", "info": body}


def published(
    mqtt_mock: MqttMockHAClient, operator: str | None = None, device_id: str | None = None
) -> list[dict[str, Any]]:
    """Return the JSON messages the integration published, oldest first.

    Each item is the decoded payload plus `_topic`, `_qos` and `_retain`.
    """
    found: list[dict[str, Any]] = []
    for call in mqtt_mock.async_publish.call_args_list:
        topic, payload, qos, retain = call.args
        try:
            message = json.loads(payload)
        except ValueError:
            continue
        if operator is not None and message.get("operator") != operator:
            continue
        if device_id is not None and topic != f"{PREFIX}/{device_id}":
            continue
        found.append({**message, "_topic": topic, "_qos": qos, "_retain": retain})
    return found


SILENT = object()
"""A reply that makes the fake terminal ignore a command."""

type Reply = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | object


class FakeTerminal:
    """Answers the commands the integration publishes, as face terminals do.

    Installed as `mqtt_mock.async_publish.side_effect`: every command published to
    `mqtt/face/<id>` gets its `<operator>-Ack` (same `messageId`) on `mqtt/face/<id>/Ack`,
    delivered on the next loop iteration. `reply()` changes what a command gets: extra ack
    `info` fields (a dict, or a function of the request), top-level fields, or SILENT.
    The real publish still runs, so the mocked broker echoes commands back like a real one.
    """

    def __init__(self, hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
        """Start answering."""
        self.hass = hass
        self.mqtt_mock = mqtt_mock
        self._replies: dict[tuple[str | None, str], tuple[Reply, dict[str, Any]]] = {}
        mqtt_mock.async_publish.side_effect = self._on_publish

    def reply(
        self,
        operator: str,
        info: Reply = None,
        *,
        device_id: str | None = None,
        top: dict[str, Any] | None = None,
    ) -> None:
        """Set the answer to `operator` (for one device, or for all when device_id is None)."""
        self._replies[(device_id, operator)] = (info or {}, top or {})

    def refuse(
        self, operator: str, detail: str, code: str = "461", *, device_id: str | None = None
    ) -> None:
        """Make the device answer `operator` with a failure."""
        self.reply(
            operator, {"result": "fail", "detail": detail}, device_id=device_id, top={"code": code}
        )

    def silence(self, operator: str, *, device_id: str | None = None) -> None:
        """Make the device ignore `operator`."""
        self.reply(operator, SILENT, device_id=device_id)

    @staticmethod
    def _default(operator: str, request: dict[str, Any]) -> dict[str, Any]:
        """Return what a working terminal puts in the ack's `info`."""
        info = request.get("info")
        if operator == "Versions":
            return {"name": FIRMWARE, "buildtime": "2019-12-02/10:46:05"}
        if operator == "GetDoorconfig":
            return {"OpendoorWay": "2", "VerifyMode": "1"}
        if operator == "GetSceneSnap":
            return {"ImgData": data_uri(SCENE_JPEG)}
        if operator == "DeletePersons" and isinstance(info, dict):
            ids = info.get("customId") or []
            return {"DelSucNum": str(len(ids)), "DelErrNum": "0"}
        if operator == "SearchPersonList":
            return {"TotalPersonNum": 0, "PersonNum": 0, "List": []}
        return {}

    def _on_publish(
        self, topic: str, payload: str, qos: int = 0, retain: bool = False, **_: object
    ) -> object:
        """Schedule the ack of a published command; let the real publish run."""
        parts = topic.split("/")
        if topic.startswith(f"{PREFIX}/") and len(parts) == 3:
            try:
                request = json.loads(payload)
            except ValueError:
                request = None
            if isinstance(request, dict):
                self._answer(parts[2], request)
        return DEFAULT

    def _answer(self, device_id: str, request: dict[str, Any]) -> None:
        """Answer one command unless it needs no answer or the device is told to stay silent."""
        operator = request.get("operator", "")
        if operator.endswith("-Ack") or operator == "PushAck":
            return
        reply, top = self._replies.get(
            (device_id, operator), self._replies.get((None, operator), ({}, {}))
        )
        if reply is SILENT:
            return
        extra = reply(request) if callable(reply) else reply
        assert isinstance(extra, dict)
        ack = {
            "messageId": request.get("messageId"),
            "operator": f"{operator}-Ack",
            **top,
            "info": {
                "facesluiceId": device_id,
                "result": "ok",
                **self._default(operator, request),
                **extra,
            },
        }
        self.hass.loop.call_soon(
            async_fire_mqtt_message, self.hass, f"{PREFIX}/{device_id}/Ack", json.dumps(ack)
        )


async def wait_for_mqtt[T](hass: HomeAssistant, awaitable: Awaitable[T]) -> T:
    """Await something that waits on MQTT subscriptions, also when a test froze the clock.

    Home Assistant's MQTT client sends subscriptions in batches behind short timers, and the
    integration waits until the broker has them; moving time on sends them at once.
    """
    task = hass.async_create_task(awaitable, eager_start=True)
    while not task.done():
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
        await asyncio.sleep(0)
    return task.result()


async def settle(hass: HomeAssistant, rounds: int = 20) -> None:
    """Let everything the last message started finish.

    The protocol client sends acks from its own asyncio tasks, which
    `hass.async_block_till_done` does not know about; a few loop rounds let them run.
    """
    for _ in range(rounds):
        await hass.async_block_till_done()
        await asyncio.sleep(0)


async def reconnect(hass: HomeAssistant, client: FakeClient) -> None:
    """Take a fake device offline and back (its last will, then its return).

    Then let what a reconnect starts (catch-up, upload check) finish.
    """
    client.go_offline()
    client.go_online()
    await hass.async_block_till_done(wait_background_tasks=True)


async def add_people_entry(hass: HomeAssistant) -> MockConfigEntry:
    """Add the People entry (the roster) and set it up."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="People", unique_id=PEOPLE_UNIQUE_ID, data={CONF_KIND: KIND_PEOPLE}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry | None = None) -> MockConfigEntry:
    """Add a terminal's config entry (by default DEVICE_ID) and set it up."""
    entry = entry or terminal_entry()
    entry.add_to_hass(hass)
    assert await wait_for_mqtt(hass, hass.config_entries.async_setup(entry.entry_id))
    await hass.async_block_till_done()
    return entry


def ha_device_id(hass: HomeAssistant, device_id: str = DEVICE_ID) -> str:
    """Return the Home Assistant device id of a terminal."""
    device = find_device(hass, device_id)
    assert device is not None
    return device.id


def find_device(hass: HomeAssistant, device_id: str = DEVICE_ID) -> dr.DeviceEntry | None:
    """Return a terminal's device entry.

    Through its config entries: `DeviceRegistry.async_get_device` is deprecated (an error in
    tests) from Home Assistant 2026.10, and its replacements do not exist in 2026.2.
    """
    registry = dr.async_get(hass)
    return next(
        (
            device
            for entry in hass.config_entries.async_entries("face_access")
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
            if ("face_access", device_id) in device.identifiers
        ),
        None,
    )
