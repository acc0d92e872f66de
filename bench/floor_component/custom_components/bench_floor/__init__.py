"""The benchmark's floor: the least a Home Assistant integration can do with a push message.

Not shipped. ``scripts/bench`` links it into its own Home Assistant configuration, beside
Face Access, and sends it the same messages over the same transports:

- MQTT: ``bench/floor/<seq>`` (through Home Assistant's MQTT integration);
- a webhook: ``/api/webhook/bench_floor?seq=<seq>`` (local only, as Face Access's are);
- a fixed path: ``POST /bench_floor/fixed?seq=<seq>`` (a view without login, as UNV's are).

Each message becomes one event of an event entity (``event.bench_floor_<transport>``),
with the sequence number as its only attribute, taken from the topic or the query string:
the body is read whole (as any handler must) but never parsed, and no picture is touched.
So the difference between Face Access's figures and these is what Face Access itself costs.

It also hosts the event-loop probe (``probe.py``), read and reset over the websocket API
(``bench_floor/probe``), so that every phase knows the longest stall of Home Assistant's
loop while it ran, and ``bench_floor/enroll_many``, which enrols people on a Face Access
device through ``batch_enroll.async_enroll_many``: the path the roster sync takes, which no
service exposes; ``bench_floor/idle`` first waits until that device has nothing queued.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import cProfile
import gc
import io
import pstats
import time
from typing import Any

from aiohttp import web
from homeassistant.components.webhook import async_register as register_webhook
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import async_response, websocket_command
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.discovery import async_load_platform
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .const import DOMAIN, FIXED_PATH, MQTT_TOPIC, TRANSPORTS, WEBHOOK_ID
from .probe import LoopProbe

CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)

type Sink = Callable[[str, str], None]
"""``sink(transport, seq)``: hand one message to the transport's event entity."""


def _sink(hass: HomeAssistant) -> Sink:
    """Return the function that turns a message into its entity's event."""

    @callback
    def deliver(transport: str, seq: str) -> None:
        entity = hass.data[DOMAIN]["entities"].get(transport)
        if entity is not None:
            entity.fire(seq)

    return deliver


class FixedPathView(HomeAssistantView):
    """A fixed path without login, like the views a UNV terminal posts to."""

    url = FIXED_PATH
    name = "api:bench_floor:fixed"
    requires_auth = False

    def __init__(self, sink: Sink) -> None:
        """Send each request to ``sink``."""
        self._sink = sink

    async def post(self, request: web.Request) -> web.Response:
        """Read the body (unparsed), fire one event, answer 200."""
        await request.read()
        self._sink("fixed_path", request.query.get("seq", ""))
        return web.json_response({"ok": True})


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the three entry points, the probe and the event entities."""
    sink = _sink(hass)
    probe = LoopProbe(hass.loop)
    hass.data[DOMAIN] = {"entities": {}, "probe": probe}
    probe.start()

    async def on_webhook(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        await request.read()
        sink("webhook", request.query.get("seq", ""))
        return web.json_response({"ok": True})

    register_webhook(hass, DOMAIN, "Benchmark floor", WEBHOOK_ID, on_webhook, local_only=True)
    hass.http.register_view(FixedPathView(sink))
    async_register_command(hass, ws_probe)
    async_register_command(hass, ws_profile)
    async_register_command(hass, ws_enroll_many)
    async_register_command(hass, ws_idle)
    # In the background: start-up must not wait for an MQTT set-up that comes later.
    hass.async_create_background_task(_subscribe_mqtt(hass, sink), "bench_floor MQTT")
    hass.async_create_task(
        async_load_platform(hass, Platform.EVENT, DOMAIN, {"transports": TRANSPORTS}, config)
    )

    @callback
    def stop(_event: Any) -> None:
        probe.stop()

    hass.bus.async_listen_once("homeassistant_stop", stop)
    return True


async def _subscribe_mqtt(hass: HomeAssistant, sink: Sink) -> None:
    """Subscribe to the floor's topic once Home Assistant's MQTT client exists.

    The benchmark adds the MQTT integration after start-up, so this waits for it rather
    than failing: ``mqtt`` is only an after-dependency.
    """
    from homeassistant.components import mqtt  # noqa: PLC0415 - only once MQTT is wanted

    # Without an MQTT entry the wait returns at once: poll, never spin.
    while not await _mqtt_ready(hass):  # noqa: ASYNC110 - nothing to wait on before MQTT exists
        await asyncio.sleep(0.5)

    @callback
    def on_message(message: mqtt.ReceiveMessage) -> None:
        sink("mqtt", message.topic.rsplit("/", 1)[-1])

    # QoS 1, as Face Access subscribes: the broker then waits for each acknowledgement too.
    await mqtt.async_subscribe(hass, f"{MQTT_TOPIC}/+", on_message, qos=1, encoding=None)
    hass.data[DOMAIN]["mqtt_ready"] = True


async def _mqtt_ready(hass: HomeAssistant) -> bool:
    """Tell whether Home Assistant's MQTT client is there (waiting for it once it is set up)."""
    from homeassistant.components import mqtt  # noqa: PLC0415 - only once MQTT is wanted

    return bool(
        hass.config_entries.async_entries("mqtt")
    ) and await mqtt.async_wait_for_mqtt_client(hass)


@websocket_command(
    {
        vol.Required("type"): "bench_floor/probe",
        vol.Optional("reset", default=False): bool,
        vol.Optional("collect", default=False): bool,
    }
)
@callback
def ws_probe(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Answer the probe's figures since its last reset (and reset it when asked).

    ``collect``: first run a full garbage collection (timed, in ``collect_ms``), so that
    every measured run starts from the same heap and a full collection due anyway does
    not fall at random into one run: its pause is reported on its own instead.
    """
    data = hass.data[DOMAIN]
    probe: LoopProbe = data["probe"]
    collect_ms = None
    if msg["collect"]:
        started = time.perf_counter()
        gc.collect()
        collect_ms = round((time.perf_counter() - started) * 1000, 1)
    result = probe.figures()
    result["collect_ms"] = collect_ms
    result["mqtt_ready"] = bool(data.get("mqtt_ready"))
    if msg["reset"]:
        probe.reset()
    connection.send_result(msg["id"], result)


@websocket_command(
    {
        vol.Required("type"): "bench_floor/profile",
        vol.Required("action"): vol.In(["start", "stop"]),
    }
)
@callback
def ws_profile(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Start or stop a cProfile of Home Assistant; stopping returns the top lines.

    Started on the loop's thread, but since Python 3.12 cProfile (on ``sys.monitoring``)
    sees every thread: the executor's jobs are in the figures too, and ``cumtime`` of
    ``concurrent/futures/thread.py`` tells their share. For finding where the time goes,
    not for timing.
    """
    data = hass.data[DOMAIN]
    if msg["action"] == "start":
        profiler = cProfile.Profile()
        data["profiler"] = profiler
        profiler.enable()
        connection.send_result(msg["id"], {})
        return
    profiler = data.pop("profiler", None)
    if profiler is None:
        connection.send_result(msg["id"], {"tottime": "", "cumulative": ""})
        return
    profiler.disable()
    result: dict[str, str] = {}
    for order in ("tottime", "cumulative"):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(40)
        result[order] = stream.getvalue()
    connection.send_result(msg["id"], result)


def _face_access_entry(hass: HomeAssistant, device_id: str) -> ConfigEntry[Any] | None:
    """Return the Face Access config entry of a Home Assistant device ID, or None."""
    device = dr.async_get(hass).async_get(device_id)
    return next(
        (
            entry
            for entry_id in (device.config_entries if device else ())
            if (entry := hass.config_entries.async_get_entry(entry_id)) is not None
            and entry.domain == "face_access"
        ),
        None,
    )


@websocket_command(
    {
        vol.Required("type"): "bench_floor/idle",
        vol.Required("device_id"): str,
        vol.Optional("seconds", default=30.0): vol.Coerce(float),
    }
)
@async_response
async def ws_idle(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Wait until a Face Access device's client has no command queued.

    Answers ``seconds`` waited and ``queued``, whether anything was queued at first.

    A device that takes its commands from a queue (the tablet, one per heartbeat) gets the
    reads of its first call (settings, clock, upload mode) queued at set-up; an enrolment
    timed from then measures them too, and its floor (the client alone) starts idle. Clients
    without a queue are idle at once. Gives up after ``seconds``.
    """
    entry = _face_access_entry(hass, msg["device_id"])
    if entry is None:
        connection.send_error(msg["id"], "not_found", "no Face Access device of that ID")
        return
    client = entry.runtime_data.client
    queued = bool(getattr(client, "queued", 0))
    started = time.perf_counter()
    deadline = started + msg["seconds"]
    # Polling: the queue belongs to the protocol client, which signals nothing outside.
    while getattr(client, "queued", 0) and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    connection.send_result(msg["id"], {"seconds": time.perf_counter() - started, "queued": queued})


@websocket_command(
    {
        vol.Required("type"): "bench_floor/enroll_many",
        vol.Required("device_id"): str,
        vol.Required("photo_path"): str,
        vol.Required("person_ids"): [str],
    }
)
@async_response
async def ws_enroll_many(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Enrol ``person_ids`` (named "Person <n>") with one photo on a Face Access device.

    Answers how many outcomes of each kind there were (``enrolled``, ``pending`` or the
    error's class name) and the seconds ``async_enroll_many`` took.
    """
    # Face Access is imported here: it is set up after this component.
    from custom_components.face_access.batch_enroll import (  # noqa: PLC0415
        async_enroll_many,
    )
    from custom_components.face_access.protocols.images import (  # noqa: PLC0415
        normalize_photo,
    )
    from custom_components.face_access.protocols.model import (  # noqa: PLC0415
        CommandResult,
        Enrollment,
    )

    entry = _face_access_entry(hass, msg["device_id"])
    if entry is None:
        connection.send_error(msg["id"], "not_found", "no Face Access device of that ID")
        return
    limits = entry.runtime_data.client.profile.photo_limits

    def read() -> bytes:
        with open(msg["photo_path"], "rb") as file:
            jpeg: bytes = normalize_photo(file.read(), limits)
            return jpeg

    jpeg = await hass.async_add_executor_job(read)
    enrollments = [
        Enrollment(person_id=person_id, name=f"Person {number}", photo_jpeg=jpeg)
        for number, person_id in enumerate(msg["person_ids"])
    ]
    started = time.perf_counter()
    outcomes = await async_enroll_many(hass, entry, enrollments)
    seconds = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for outcome in outcomes.values():
        if isinstance(outcome, CommandResult):
            key = "pending" if outcome.pending else "enrolled"
        else:
            key = type(outcome).__name__
        statuses[key] = statuses.get(key, 0) + 1
    connection.send_result(msg["id"], {"statuses": statuses, "seconds": seconds})
