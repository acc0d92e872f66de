"""Home Assistant tests of a network camera (camera_mqtt): entities, events, services, errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import ANY

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_OFF, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.model import AnalyticsKind
from tests.common import (
    DEVICE_ID,
    PREFIX,
    FakeTerminal,
    camera_rec_push,
    data_uri,
    fire,
    ha_device_id,
    make_image,
    make_photo,
    now_text,
    published,
    settle,
    setup_entry,
    terminal_entry,
)
from tests.test_entities import _fetch_picture, entity_id, event_attributes, fired, state

REC_TOPIC = f"{PREFIX}/{DEVICE_ID}/Rec"
SNAP_TOPIC = f"{PREFIX}/{DEVICE_ID}/Snap"

CAMERA_ENTITIES = [
    ("sensor", "last_person"),
    ("binary_sensor", "mask"),
    ("binary_sensor", "online"),
    ("camera", "snapshot"),
    ("image", "last_capture"),
    ("event", "access"),
    ("event", "alarm"),
    ("event", "analytics"),
]
ABSENT = [
    ("button", "open_door"),
    ("sensor", "body_temperature"),
    ("event", "credential"),
]


@pytest.fixture
async def camera(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> FakeTerminal:
    """A camera that answers every command, already set up."""
    device = FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass, terminal_entry(protocol="camera_mqtt"))
    return device


def fire_smoke(record_id: int = 1689962595, **info: Any) -> dict[str, Any]:
    """Return a FireSmokeSnapPush (§19), a generic record with `SnapOrRecordID`."""
    body: dict[str, Any] = {
        "deviceId": DEVICE_ID,
        "deviceName": f"IPC{DEVICE_ID}",
        "time": now_text(),
        "SnapOrRecordID": record_id,
        "fire": 1,
        "smoke": 2,
        "pic": data_uri(make_image("BMP", (30, 20)), "jpeg"),
    }
    body.update(info)
    return {"operator": "FireSmokeSnapPush", "info": body}


@pytest.mark.usefixtures("camera")
async def test_only_what_the_camera_can_do_exists(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    """Digest §9.2: no door button, no body temperature, no credential events."""
    for platform, key in CAMERA_ENTITIES:
        assert entity_registry.async_get(entity_id(hass, platform, key)) is not None
    for platform, key in ABSENT:
        assert entity_registry.async_get_entity_id(platform, DOMAIN, f"{DEVICE_ID}_{key}") is None
    assert state(hass, "event", "alarm").attributes["event_types"] == ["no_mask"]
    assert state(hass, "event", "analytics").attributes["event_types"] == [
        kind.value for kind in AnalyticsKind
    ]


@pytest.mark.usefixtures("camera")
async def test_recognition_updates_person_mask_and_picture(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A RecPush without a mask: last person, mask off, access and no_mask events, PushAck 2."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    fire(hass, REC_TOPIC, camera_rec_push("389", isNoMask="1"))
    await settle(hass)

    person = state(hass, "sensor", "last_person")
    assert person.state == "Lisa"
    assert person.attributes["similarity"] == 94.0
    assert state(hass, "binary_sensor", "mask").state == STATE_OFF
    (access,) = fired(events, entity_id(hass, "event", "access"))
    assert access.attributes["event_type"] == "recognized"
    assert access.attributes["temperature"] is None
    (alarm,) = fired(events, entity_id(hass, "event", "alarm"))
    assert alarm.attributes["event_type"] == "no_mask"
    assert [m["info"] for m in published(mqtt_mock, "PushAck")] == [
        {"PushAckType": 2, "SnapOrRecordID": 389}
    ]


@pytest.mark.usefixtures("camera")
async def test_analytics_event_with_picture_fires_once(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A fire alarm becomes one `fire_smoke` event, its BMP picture the last capture (JPEG).

    The re-sent copy (the camera did not get the first PushAck in time) is acked again but
    fires nothing.
    """
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    fire(hass, SNAP_TOPIC, fire_smoke())
    await settle(hass)
    freezer.tick(timedelta(seconds=10))
    fire(hass, SNAP_TOPIC, fire_smoke())
    await settle(hass)

    (analytics,) = fired(events, entity_id(hass, "event", "analytics"))
    assert event_attributes(analytics) == {
        "event_type": "fire_smoke",
        "fire": "present",
        "smoke": "unsure",
        "record_id": "1689962595",
        "historical": False,
    }
    assert [m["info"] for m in published(mqtt_mock, "PushAck")] == [
        {"PushAckType": 3, "SnapOrRecordID": 1689962595}
    ] * 2
    content_type, body = await _fetch_picture(
        hass, hass_client, state(hass, "image", "last_capture")
    )
    assert content_type == "image/jpeg"
    assert body[:2] == b"\xff\xd8"
    assert fired(events, entity_id(hass, "event", "access")) == []


@pytest.mark.usefixtures("camera")
async def test_thermal_alarm_is_never_a_body_temperature(hass: HomeAssistant) -> None:
    """A 62 °C hot spot is an analytics event; no person, temperature or alarm changes."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    fire(
        hass,
        SNAP_TOPIC,
        {
            "operator": "TemHighSnapPush",
            "info": {
                "deviceId": DEVICE_ID,
                "snapTime": now_text(),
                "sparkAlarm": 0,
                "message": [{"areaId": 1, "alarmType": 1, "temperature": 62.0}],
            },
        },
    )
    await settle(hass)

    (analytics,) = fired(events, entity_id(hass, "event", "analytics"))
    assert analytics.attributes["event_type"] == "thermal_alarm"
    assert analytics.attributes["max_temperature"] == 62.0
    assert fired(events, entity_id(hass, "event", "alarm")) == []
    assert state(hass, "sensor", "last_person").state == STATE_UNKNOWN
    # Besides the firmware (a diagnostic), the camera's only sensor is the last person.
    assert hass.states.async_all("sensor") == [
        state(hass, "sensor", "last_person"),
        state(hass, "sensor", "firmware"),
    ]


@pytest.mark.usefixtures("camera")
async def test_bad_analytics_change_nothing(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """A push about nothing (no ID, no time) is dropped with one log line."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    caplog.clear()

    fire(hass, SNAP_TOPIC, {"operator": "LeaveSnapPush", "info": {"deviceId": DEVICE_ID}})
    await settle(hass)

    assert fired(events, entity_id(hass, "event", "analytics")) == []
    dropped = [
        r
        for r in caplog.records
        if r.name.startswith("custom_components") and "LeaveSnapPush" in r.getMessage()
    ]
    assert len(dropped) == 1


async def test_enrolment_uses_the_camera_fields(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, camera: FakeTerminal, tmp_path: Path
) -> None:
    """enroll_person sends §4.1's validity fields; a card number is refused, nothing sent."""
    path = tmp_path / "lisa.jpg"
    path.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    device = ha_device_id(hass)
    data = {"device_id": device, "person_id": "A7", "name": "Lisa", "photo_path": str(path)}

    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN, "enroll_person", {**data, "card_number": "1234"}, blocking=True
        )
    assert refused.value.translation_key == "unsupported_service"
    assert published(mqtt_mock, "EditPerson") == []

    response = await hass.services.async_call(
        DOMAIN, "enroll_person", data, blocking=True, return_response=True
    )

    assert response == {
        "results": {device: {"status": "enrolled", "reason": ANY, "message": "enrolled"}}
    }
    (message,) = published(mqtt_mock, "EditPerson")
    assert message["info"]["tempValid"] == 0
    assert message["info"]["effectNumber"] == 65535
    assert "RFIDCard" not in message["info"]


async def test_delete_all_keeps_the_camera_running(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, camera: FakeTerminal
) -> None:
    """The camera does not restart after DeleteAllPerson (unlike the terminal)."""
    device = ha_device_id(hass)

    response = await hass.services.async_call(
        DOMAIN, "delete_all_people", {"device_id": device}, blocking=True, return_response=True
    )

    assert response == {
        "results": {device: {"status": "deleted", "reason": ANY, "message": "all people deleted"}}
    }
    (message,) = published(mqtt_mock, "DeleteAllPerson")
    assert message["info"] == {"deleteall": 1}
