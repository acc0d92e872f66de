"""End to end over real sockets: amqtt broker, Home Assistant's MQTT integration, simulated
face terminal (set-up in tests/e2e.py).
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from unittest.mock import ANY

from homeassistant.const import ATTR_ENTITY_ID, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.face_access.const import DOMAIN
from simulators.broker import Broker
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.images import make_jpeg

from .common import DEVICE_ID
from .e2e import add_through_the_flow, quick_simulator, record_events, running, wait_until

ACCESS = "event.face_terminal_1305433_access"
LAST_PERSON = "sensor.face_terminal_1305433_last_person"
TEMPERATURE = "sensor.face_terminal_1305433_body_temperature"
ONLINE = "binary_sensor.face_terminal_1305433_connectivity"
OPEN_DOOR = "button.face_terminal_1305433_open_door"


@pytest.fixture
def simulator(broker: Broker) -> Generator[FaceTerminalSimulator]:
    """Run the simulated face terminal against the broker, with short timers."""
    with running(quick_simulator(FaceTerminalSimulator, broker, DEVICE_ID)) as sim:
        yield sim


async def test_face_terminal_end_to_end(
    hass: HomeAssistant,
    mqtt_connected: None,
    simulator: FaceTerminalSimulator,
    tmp_path: Path,
) -> None:
    """A real terminal's traffic becomes entities, events and answered commands."""
    entry_id = await add_through_the_flow(hass, "face_terminal_mqtt", DEVICE_ID)

    # The terminal announces itself until Home Assistant answers Online-Ack.
    await wait_until(lambda: simulator.online_acked)
    await wait_until(lambda: hass.states.get(ONLINE).state == STATE_ON)
    await wait_until(lambda: simulator.sys_time is not None)

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
    assert response == {
        "results": {device.id: {"status": "enrolled", "reason": ANY, "message": "enrolled"}}
    }
    assert simulator.persons["E012"]["name"] == "Ada Lovelace"

    listed = await hass.services.async_call(
        DOMAIN, "list_people", {"device_id": device.id}, blocking=True, return_response=True
    )
    assert listed["total"] == 1
    assert listed["people"][0]["person_id"] == "E012"
    assert listed["people"][0]["card_number"] == "1369406761"

    # A recognition pushed by the terminal becomes an access event and sensor states.
    access_events = record_events(hass, ACCESS)
    record_id = await hass.async_add_executor_job(
        lambda: simulator.push_record("E012", temperature=36.6)
    )
    await wait_until(lambda: len(access_events) == 1)
    assert access_events[0]["event_type"] == "recognized"
    assert access_events[0]["person_id"] == "E012"
    assert access_events[0]["person_name"] == "Ada Lovelace"
    assert access_events[0]["record_id"] == str(record_id)
    assert hass.states.get(LAST_PERSON).state == "Ada Lovelace"
    assert float(hass.states.get(TEMPERATURE).state) == pytest.approx(36.6)
    await wait_until(lambda: record_id in simulator.acked_records)

    # A record whose PushAck was lost is re-sent by the terminal and still fires once.
    simulator.drop_push_acks(1)
    resends_before = simulator.resend_count
    lost_id = await hass.async_add_executor_job(lambda: simulator.push_record("E012"))
    await wait_until(lambda: lost_id in simulator.acked_records)
    assert simulator.resend_count > resends_before
    await hass.async_block_till_done()
    assert [event["record_id"] for event in access_events] == [str(record_id), str(lost_id)]

    # The open-door button reaches the terminal.
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: OPEN_DOOR}, blocking=True)
    assert simulator.unlock_count == 1

    assert not simulator.protocol_violations
    assert not simulator.pacing_violations
