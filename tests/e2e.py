"""Shared set-up of the end-to-end tests: a real broker, Home Assistant's MQTT, the flow.

Nothing is mocked between a simulated device and Home Assistant: the simulator is an MQTT
client of a real broker (amqtt, its own process on 127.0.0.1), and so is Home Assistant's MQTT
integration, which the integration uses as its transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Any, Final
from unittest.mock import patch
from urllib.parse import urlsplit

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.hfsecurity_mqtt import CAMERA, MqttVariant
from simulators.broker import Broker
from simulators.camera_mqtt import CameraSimulator
from simulators.face_capture_http import FaceCaptureSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.hfsecurity_mqtt import HFSecurityMqttDevice
from simulators.temperature_http import TemperatureTabletSimulator

from .http_devices import add_by_address
from .test_temperature_http import CID, URL, tablet_entry

QUICK_TIMERS: Final[dict[str, Any]] = {
    "heartbeat_interval": 2.0,
    "online_repeat_interval": 1.0,
    "resend_interval": 1.0,
}
"""Short timers for a simulated MQTT device: heartbeats every 2 s, `Online` and re-sends every
second (the documents' 30 s, 60 s and 10 s would make every test wait)."""
TERMINAL_ID: Final = "1305433"
"""The face terminal's ID in its document's examples."""
CAMERA_ID: Final = "1026700"
"""The network camera's ID in its document's examples."""
CAPTURE_USER: Final = "admin"
CAPTURE_PASSWORD: Final = "s3cret"
"""The simulated face-capture terminal's login, unless a test gives its own."""


@pytest.fixture
def broker(socket_enabled: None) -> Generator[Broker]:
    """Run a real MQTT broker (amqtt, its own process) on a free 127.0.0.1 port."""
    with Broker() as running:
        yield running


async def wait_until(condition: Callable[[], bool], within: float = 15.0) -> None:
    """Wait on the event loop until `condition` holds.

    Polling, because the conditions are about other processes and threads (the broker, the
    simulator's network thread) that cannot set an asyncio event.
    """
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


@pytest.fixture
async def mqtt_connected(hass: HomeAssistant, broker: Broker) -> AsyncGenerator[None]:
    """Set up Home Assistant's MQTT integration against the real broker."""
    entry = MockConfigEntry(domain=mqtt.DOMAIN, data={"broker": broker.host, "port": broker.port})
    entry.add_to_hass(hass)
    with patch("homeassistant.config.load_yaml_config_file", return_value={}):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    await wait_until(lambda: mqtt.is_connected(hass))
    yield
    await hass.config_entries.async_unload(entry.entry_id)


async def add_through_the_flow(hass: HomeAssistant, protocol: str, device_id: str) -> str:
    """Add a device as a user would: menu, then device ID (the flow asks the device)."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": protocol}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"device_id": device_id, "topic_prefix": "mqtt/face"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry_id: str = result["result"].entry_id
    await hass.async_block_till_done()
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED
    return entry_id


def record_events(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    """Collect the attributes of every event an event entity fires from now on."""
    fired: list[dict[str, Any]] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] == entity_id and new and new.attributes.get("event_type"):
            fired.append(dict(new.attributes))

    hass.bus.async_listen("state_changed", _changed)
    return fired


def quick_simulator[S: HFSecurityMqttDevice](
    kind: type[S], broker: Broker, device_id: str, **options: Any
) -> S:
    """Build a simulated MQTT device of `kind` on `broker` with QUICK_TIMERS.

    `options` are further constructor arguments of the simulator, or other timers.
    """
    return kind(broker.host, broker.port, device_id, **{**QUICK_TIMERS, **options})


def variant_simulator(
    broker: Broker, variant: MqttVariant, **options: Any
) -> FaceTerminalSimulator | CameraSimulator:
    """Build the simulated device of `variant` (TERMINAL_ID or CAMERA_ID) on `broker`.

    `Online` and re-sends come every second, heartbeats as the document says unless
    `options` (further constructor arguments) say otherwise. Not started.
    """
    settings: dict[str, Any] = {"online_repeat_interval": 1.0, "resend_interval": 1.0}
    settings.update(options)
    if variant is CAMERA:
        return CameraSimulator(broker.host, broker.port, CAMERA_ID, **settings)
    return FaceTerminalSimulator(broker.host, broker.port, TERMINAL_ID, **settings)


@contextmanager
def running[S: HFSecurityMqttDevice](simulator: S) -> Iterator[S]:
    """Start `simulator`, and stop it when the block ends."""
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@asynccontextmanager
async def tablet_on_webhook(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> AsyncIterator[TemperatureTabletSimulator]:
    """Set up a temperature tablet's entry (1 s heartbeats) and run a simulated tablet on it.

    The tablet posts to the entry's webhook on Home Assistant's HTTP server over 127.0.0.1
    (needs `socket_enabled`); it is there once it took the 1 s period from Home Assistant's
    first reply and set its clock. At the end it is stopped, and must have seen no protocol
    violation.
    """
    entry = tablet_entry(heartbeat_interval=1)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    device = TemperatureTabletSimulator(str(client.make_url(URL)), CID, heartbeat_interval=30)
    await hass.async_add_executor_job(device.start)
    # Home Assistant's first reply sets the 1 s period; the config query and the clock follow.
    await wait_until(lambda: device.time_interval == 1 and device.time_zone is not None)
    yield device
    await hass.async_add_executor_job(device.stop)
    assert device.protocol_violations == []


@asynccontextmanager
async def face_capture_terminal(
    hass: HomeAssistant,
    user: str = CAPTURE_USER,
    password: str = CAPTURE_PASSWORD,
    people: Mapping[str, str] | None = None,
) -> AsyncIterator[FaceCaptureSimulator]:
    """Run a simulated face-capture terminal (1 s heartbeats) on a free port of 127.0.0.1.

    `people` (person ID to name) are enrolled on it first. At the end it is stopped, and
    must have seen no protocol violation. Not yet added to Home Assistant.
    """
    simulator = FaceCaptureSimulator(user=user, password=password, heartbeat_interval=1.0)
    for person_id, name in (people or {}).items():
        simulator.add_person(person_id, name)
    await hass.async_add_executor_job(partial(simulator.start, 0))
    yield simulator
    await hass.async_add_executor_job(simulator.stop)
    assert simulator.protocol_violations == []


async def add_face_capture(
    hass: HomeAssistant,
    simulator: FaceCaptureSimulator,
    user: str = CAPTURE_USER,
    password: str = CAPTURE_PASSWORD,
) -> ConfigEntry[Any]:
    """Add the terminal through the config flow (which points its upload here); set it up."""
    port = urlsplit(simulator.url).port
    assert port is not None
    result = await add_by_address(hass, "face_capture_http", port, user, password)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    entry: ConfigEntry[Any] = result["result"]
    return entry
