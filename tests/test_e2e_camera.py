"""End to end over real sockets: amqtt broker, Home Assistant's MQTT integration, simulated
network camera (set-up in tests/e2e.py).
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from unittest.mock import ANY

from homeassistant.components.camera import async_get_image
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.face_access.const import DOMAIN
from simulators.broker import Broker
from simulators.camera_mqtt import CameraSimulator
from simulators.images import make_jpeg

from .e2e import add_through_the_flow, quick_simulator, record_events, running, wait_until

CAMERA_ID = "1026700"
ACCESS = f"event.camera_{CAMERA_ID}_access"
ANALYTICS = f"event.camera_{CAMERA_ID}_analytics"
LAST_PERSON = f"sensor.camera_{CAMERA_ID}_last_person"
MASK = f"binary_sensor.camera_{CAMERA_ID}_mask"
ONLINE = f"binary_sensor.camera_{CAMERA_ID}_connectivity"
SNAPSHOT = f"camera.camera_{CAMERA_ID}_snapshot"


@pytest.fixture
def simulator(broker: Broker) -> Generator[CameraSimulator]:
    """Run the simulated camera against the broker, with short timers."""
    with running(quick_simulator(CameraSimulator, broker, CAMERA_ID)) as sim:
        yield sim


async def test_camera_end_to_end(
    hass: HomeAssistant,
    mqtt_connected: None,
    simulator: CameraSimulator,
    tmp_path: Path,
) -> None:
    """A real camera's traffic becomes entities, events, pictures and answered commands."""
    entry_id = await add_through_the_flow(hass, "camera_mqtt", CAMERA_ID)

    # The camera announces itself until Home Assistant answers Online-Ack.
    await wait_until(lambda: simulator.online_acked)
    await wait_until(lambda: hass.states.get(ONLINE).state == STATE_ON)
    await wait_until(lambda: simulator.sys_time is not None)

    # What the camera cannot do does not exist.
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    keys = {entity.unique_id.removeprefix(f"{CAMERA_ID}_") for entity in entities}
    assert {"open_door", "body_temperature", "credential"}.isdisjoint(keys)
    assert "analytics" in keys

    # Enrolment through the service lands in the camera's person list.
    photo = tmp_path / "lisa.jpg"
    photo.write_bytes(make_jpeg(480, 640))
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    device = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)[0]
    response = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {"device_id": device.id, "person_id": "A7", "name": "Lisa", "photo_path": str(photo)},
        blocking=True,
        return_response=True,
    )
    assert response == {
        "results": {device.id: {"status": "enrolled", "reason": ANY, "message": "enrolled"}}
    }
    assert simulator.persons["A7"]["name"] == "Lisa"
    listed = await hass.services.async_call(
        DOMAIN, "list_people", {"device_id": device.id}, blocking=True, return_response=True
    )
    assert [person["person_id"] for person in listed["people"]] == ["A7"]

    # A recognition without a mask becomes an access event and sensor states.
    access_events = record_events(hass, ACCESS)
    record_id = await hass.async_add_executor_job(lambda: simulator.push_record("A7", no_mask=1))
    await wait_until(lambda: len(access_events) == 1)
    assert access_events[0]["event_type"] == "recognized"
    assert access_events[0]["person_name"] == "Lisa"
    assert hass.states.get(LAST_PERSON).state == "Lisa"
    assert hass.states.get(MASK).state == STATE_OFF
    await wait_until(lambda: record_id in simulator.acked_records)

    # An analytics detection becomes an analytics event; its PushAck (type 3) is lost once,
    # the camera re-sends it, and it still fires once.
    analytics_events = record_events(hass, ANALYTICS)
    simulator.drop_push_acks(1)
    resends_before = simulator.resend_count
    snap_id = await hass.async_add_executor_job(lambda: simulator.push_fire_smoke(fire=1, smoke=0))
    await wait_until(lambda: snap_id in simulator.acked_generic)
    assert simulator.resend_count > resends_before
    await hass.async_block_till_done()
    assert len(analytics_events) == 1
    assert analytics_events[0]["event_type"] == "fire_smoke"
    assert analytics_events[0]["fire"] == "present"
    assert analytics_events[0]["record_id"] == str(snap_id)

    # A tripwire crossing (no ID, nothing to acknowledge) fires too.
    await hass.async_add_executor_job(simulator.push_behavior)
    await wait_until(lambda: len(analytics_events) == 2)
    assert analytics_events[1]["event_type"] in ("tripwire", "area_intrusion")

    # The snapshot camera asks the camera for a scene picture.
    image = await async_get_image(hass, SNAPSHOT)
    assert image.content[:2] == b"\xff\xd8"

    assert not simulator.protocol_violations
    assert not simulator.pacing_violations
