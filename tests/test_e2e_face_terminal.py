"""End to end over real sockets: amqtt broker, Home Assistant's MQTT integration, simulator.

Nothing is mocked between the simulated face terminal and Home Assistant: the simulator is an
MQTT client of a real broker (its own process on 127.0.0.1), and so is Home Assistant's MQTT
integration, which the integration uses as its transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.face_access.const import DOMAIN
from simulators.broker import Broker
from simulators.face_terminal_mqtt import FaceTerminalSimulator, make_jpeg

from .common import DEVICE_ID

ACCESS = "event.face_terminal_1305433_access"
LAST_PERSON = "sensor.face_terminal_1305433_last_person"
TEMPERATURE = "sensor.face_terminal_1305433_body_temperature"
ONLINE = "binary_sensor.face_terminal_1305433_connectivity"
OPEN_DOOR = "button.face_terminal_1305433_open_door"


@pytest.fixture
def broker(socket_enabled: None) -> Generator[Broker]:
    """Run a real MQTT broker (amqtt, its own process) on a free 127.0.0.1 port."""
    with Broker() as running:
        yield running


@pytest.fixture
def simulator(broker: Broker) -> Generator[FaceTerminalSimulator]:
    """Run the simulated face terminal against the broker, with short timers."""
    sim = FaceTerminalSimulator(
        broker.host,
        broker.port,
        DEVICE_ID,
        heartbeat_interval=2.0,
        online_repeat_interval=1.0,
        resend_interval=1.0,
    )
    sim.start()
    yield sim
    sim.stop()


async def _wait(condition: Callable[[], bool], within: float = 15.0) -> None:
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
    await _wait(lambda: mqtt.is_connected(hass))
    yield
    await hass.config_entries.async_unload(entry.entry_id)


async def _add_terminal_through_the_flow(hass: HomeAssistant) -> str:
    """Add the terminal as a user would: menu, then device ID (the flow asks the device)."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "face_terminal_mqtt"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"device_id": DEVICE_ID, "topic_prefix": "mqtt/face"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry_id: str = result["result"].entry_id
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(entry_id).state is ConfigEntryState.LOADED
    return entry_id


def _record_events(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    """Collect the attributes of every event an event entity fires from now on."""
    fired: list[dict[str, Any]] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] == entity_id and new and new.attributes.get("event_type"):
            fired.append(dict(new.attributes))

    hass.bus.async_listen("state_changed", _changed)
    return fired


async def test_face_terminal_end_to_end(
    hass: HomeAssistant,
    mqtt_connected: None,
    simulator: FaceTerminalSimulator,
    tmp_path: Path,
) -> None:
    """A real terminal's traffic becomes entities, events and answered commands."""
    entry_id = await _add_terminal_through_the_flow(hass)

    # The terminal announces itself until Home Assistant answers Online-Ack.
    await _wait(lambda: simulator.online_acked)
    await _wait(lambda: hass.states.get(ONLINE).state == STATE_ON)
    await _wait(lambda: simulator.sys_time is not None)

    # Enrolment through the service lands in the terminal's person list.
    photo = tmp_path / "ada.jpg"
    photo.write_bytes(make_jpeg(480, 640))
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    device = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)[0]
    response = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {
            "device_id": device.id,
            "person_id": "E012",
            "name": "Ada Lovelace",
            "photo_path": str(photo),
            "card_number": "1369406761",
        },
        blocking=True,
        return_response=True,
    )
    assert response == {"results": {device.id: {"status": "enrolled", "message": "enrolled"}}}
    assert simulator.persons["E012"]["name"] == "Ada Lovelace"

    listed = await hass.services.async_call(
        DOMAIN, "list_people", {"device_id": device.id}, blocking=True, return_response=True
    )
    assert listed["total"] == 1
    assert listed["people"][0]["person_id"] == "E012"
    assert listed["people"][0]["card_number"] == "1369406761"

    # A recognition pushed by the terminal becomes an access event and sensor states.
    access_events = _record_events(hass, ACCESS)
    record_id = await hass.async_add_executor_job(
        lambda: simulator.push_record("E012", temperature=36.6)
    )
    await _wait(lambda: len(access_events) == 1)
    assert access_events[0]["event_type"] == "recognized"
    assert access_events[0]["person_id"] == "E012"
    assert access_events[0]["person_name"] == "Ada Lovelace"
    assert access_events[0]["record_id"] == str(record_id)
    assert hass.states.get(LAST_PERSON).state == "Ada Lovelace"
    assert float(hass.states.get(TEMPERATURE).state) == pytest.approx(36.6)
    await _wait(lambda: record_id in simulator.acked_records)

    # A record whose PushAck was lost is re-sent by the terminal and still fires once.
    simulator.drop_push_acks(1)
    resends_before = simulator.resend_count
    lost_id = await hass.async_add_executor_job(lambda: simulator.push_record("E012"))
    await _wait(lambda: lost_id in simulator.acked_records)
    assert simulator.resend_count > resends_before
    await hass.async_block_till_done()
    assert [event["record_id"] for event in access_events] == [str(record_id), str(lost_id)]

    # The open-door button reaches the terminal.
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: OPEN_DOOR}, blocking=True)
    assert simulator.unlock_count == 1

    assert not simulator.protocol_violations
    assert not simulator.pacing_violations
