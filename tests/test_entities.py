"""Tests of the entities: sensors, binary sensors, button, camera, image, events, availability."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
import io
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.camera import async_get_image
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.face_access.const import CONF_HEARTBEAT_INTERVAL, DOMAIN
from custom_components.face_access.protocols.hfsecurity_mqtt import HFSecurityMqttClient
from tests.common import (
    DEVICE_ID,
    PREFIX,
    SCENE_JPEG,
    FakeTerminal,
    data_uri,
    fire,
    make_image,
    online,
    published,
    rec_push,
    settle,
    setup_entry,
    str_snap_push,
    terminal_entry,
)

REC_TOPIC = f"{PREFIX}/{DEVICE_ID}/Rec"
SNAP_TOPIC = f"{PREFIX}/{DEVICE_ID}/Snap"
BASIC_TOPIC = f"{PREFIX}/basic"
HEARTBEAT_TOPIC = f"{PREFIX}/heartbeat"

# (platform, key) of every entity the contract gives a face terminal.
CONTRACT = [
    ("button", "open_door"),
    ("sensor", "body_temperature"),
    ("sensor", "last_person"),
    ("binary_sensor", "mask"),
    ("binary_sensor", "online"),
    ("camera", "snapshot"),
    ("image", "last_capture"),
    ("event", "access"),
    ("event", "alarm"),
    ("event", "credential"),
]


def entity_id(hass: HomeAssistant, platform: str, key: str, device_id: str = DEVICE_ID) -> str:
    """Return the entity id of the device's entity with contract key `key`."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{device_id}_{key}")
    assert found is not None, f"no {platform} {key}"
    return found


def state(hass: HomeAssistant, platform: str, key: str, device_id: str = DEVICE_ID) -> State:
    """Return the state of the device's entity with contract key `key`."""
    current = hass.states.get(entity_id(hass, platform, key, device_id))
    assert current is not None
    return current


def fired(events: list[Event], entity: str) -> list[State]:
    """Return the states an event entity took on each time it fired.

    An event entity's state is the time of its last event, to the millisecond: an event that
    repeated the previous one within the same millisecond would be invisible, so tests that
    count repeats move the (frozen) clock on between messages.
    """
    found = []
    for event in events:
        old, new = event.data["old_state"], event.data["new_state"]
        if event.data["entity_id"] != entity or new is None:
            continue
        if new.attributes.get("event_type") is None or new.state == STATE_UNAVAILABLE:
            continue
        if old is None or (old.state, old.attributes) != (new.state, new.attributes):
            found.append(new)
    return found


def event_attributes(fired_state: State) -> dict[str, Any]:
    """Return what an event carried, without the entity's own attributes."""
    return {
        key: value
        for key, value in fired_state.attributes.items()
        if key not in ("event_types", "friendly_name", "icon")
    }


@pytest.fixture
async def terminal(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> FakeTerminal:
    """A terminal that answers every command, already set up and online."""
    device = FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    return device


@pytest.mark.usefixtures("terminal")
async def test_every_contract_entity_exists(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    """A face terminal gets the contract's entities, with unique id `<device id>_<key>`."""
    for platform, key in CONTRACT:
        entry = entity_registry.async_get(entity_id(hass, platform, key))
        assert entry is not None
        assert entry.unique_id == f"{DEVICE_ID}_{key}"
        assert hass.states.get(entry.entity_id) is not None
    # Camera analytics belong to another protocol.
    assert entity_registry.async_get_entity_id("event", DOMAIN, f"{DEVICE_ID}_analytics") is None
    assert state(hass, "binary_sensor", "online").attributes["device_class"] == "connectivity"
    temperature = state(hass, "sensor", "body_temperature")
    assert temperature.attributes["device_class"] == "temperature"
    assert temperature.attributes["unit_of_measurement"] == "°C"
    assert state(hass, "event", "access").attributes["event_types"] == [
        "recognized",
        "stranger",
        "denied",
    ]
    assert state(hass, "event", "credential").attributes["event_types"] == [
        "card",
        "qr_code",
        "id_card",
    ]
    # The terminal has no door sensor: no door_alarm it could never fire.
    assert state(hass, "event", "alarm").attributes["event_types"] == [
        "high_temperature",
        "no_mask",
    ]


@pytest.mark.usefixtures("terminal")
async def test_recognition_updates_the_sensors(hass: HomeAssistant) -> None:
    """A RecPush shows who passed, their temperature and mask, and the picture."""
    when = "2026-11-20 21:00:07"
    fire(
        hass,
        REC_TOPIC,
        rec_push("381", temperature="36.53", temperatureAlarm="0", isNoMask="0", time=when),
    )
    await hass.async_block_till_done()

    last_person = state(hass, "sensor", "last_person")
    assert last_person.state == "Ada"
    assert last_person.attributes["person_id"] == "E012"
    assert last_person.attributes["similarity"] == 96.8
    assert last_person.attributes["time"] == "2026-11-20T21:00:07"
    assert last_person.attributes["record_id"] == "381"
    assert float(state(hass, "sensor", "body_temperature").state) == 36.53
    assert state(hass, "binary_sensor", "mask").state == STATE_ON


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"isNoMask": "0"}, STATE_ON),
        ({"isNoMask": "1"}, STATE_OFF),
        ({}, STATE_UNKNOWN),
        # Without isNoMask, a pass flagged "with mask detection" (otype 0x100) means a mask.
        ({"otype": str(0x100 | 1)}, STATE_ON),
    ],
    ids=["mask", "no-mask", "says-nothing", "otype-flag"],
)
async def test_mask(hass: HomeAssistant, fields: dict[str, str], expected: str) -> None:
    """The mask sensor follows the last record and is unknown when the record says nothing."""
    fire(hass, REC_TOPIC, rec_push("380", isNoMask="1"))
    await hass.async_block_till_done()
    assert state(hass, "binary_sensor", "mask").state == STATE_OFF

    fire(hass, REC_TOPIC, rec_push("381", **fields))
    await hass.async_block_till_done()

    assert state(hass, "binary_sensor", "mask").state == expected


async def _fetch_picture(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entity: State
) -> tuple[str, bytes]:
    """Fetch an entity's picture the way the frontend does; return content type and body."""
    client = await hass_client()
    response = await client.get(entity.attributes["entity_picture"])
    assert response.status == 200
    return response.content_type, await response.read()


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("fmt", ["JPEG", "BMP", "PNG"])
async def test_last_capture_is_always_jpeg(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, fmt: str
) -> None:
    """The record's picture is served as JPEG, whatever the device sent under its JPEG label."""
    before = state(hass, "image", "last_capture").state
    picture = make_image(fmt, (64, 48))

    fire(hass, REC_TOPIC, rec_push("381", pic=data_uri(picture, "jpeg")))
    await hass.async_block_till_done()

    image_state = state(hass, "image", "last_capture")
    assert image_state.state != before
    content_type, body = await _fetch_picture(hass, hass_client, image_state)
    assert content_type == "image/jpeg"
    assert body[:2] == b"\xff\xd8"
    with Image.open(io.BytesIO(body)) as decoded:
        assert decoded.format == "JPEG"
        assert decoded.size == (64, 48)


@pytest.mark.usefixtures("terminal")
async def test_a_stranger_does_not_change_the_last_person(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """A stranger fires a `stranger` access event and shows its picture, but nobody's name."""
    fire(hass, REC_TOPIC, rec_push("381", temperature="36.5"))
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    fire(hass, SNAP_TOPIC, str_snap_push("311", temperature="36.9"))
    await hass.async_block_till_done()

    last_person = state(hass, "sensor", "last_person")
    assert last_person.state == "Ada"
    assert last_person.attributes["record_id"] == "381"
    assert float(state(hass, "sensor", "body_temperature").state) == 36.9
    (access,) = fired(events, entity_id(hass, "event", "access"))
    assert access.attributes["event_type"] == "stranger"
    assert access.attributes["person_id"] is None
    assert access.attributes["person_name"] is None
    assert access.attributes["temperature"] == 36.9
    # The stranger's BMP arrives as a JPEG of its own size.
    _, body = await _fetch_picture(hass, hass_client, state(hass, "image", "last_capture"))
    with Image.open(io.BytesIO(body)) as decoded:
        assert decoded.format == "JPEG"
        assert decoded.size == (64, 48)


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("fields", "event_type", "reason"),
    [
        ({}, "recognized", None),
        ({"VerifyStatus": "2"}, "denied", "refused"),
        ({"VerifyStatus": "24"}, "denied", "no_permission"),
        ({"PersonType": "1"}, "denied", "block_list"),
    ],
)
async def test_access_events(
    hass: HomeAssistant, fields: dict[str, str], event_type: str, reason: str | None
) -> None:
    """Each record fires one access event with the contract's attributes."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    fire(hass, REC_TOPIC, rec_push("381", temperature="36.6", isNoMask="0", **fields))
    await hass.async_block_till_done()

    (access,) = fired(events, entity_id(hass, "event", "access"))
    assert event_attributes(access) == {
        "event_type": event_type,
        "person_id": "E012",
        "person_name": "Ada",
        "similarity": 96.8,
        "temperature": 36.6,
        "mask": True,
        "list": "block" if fields.get("PersonType") == "1" else "allow",
        "record_id": "381",
        "historical": False,
        "reason": reason,
        # No roster person: no Home Assistant person (test_roster_flow.py has them).
        "ha_person": None,
    }
    assert fired(events, entity_id(hass, "event", "alarm")) == []


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("fields", "alarms"),
    [
        ({"temperature": "38.2", "temperatureAlarm": "1", "isNoMask": "0"}, ["high_temperature"]),
        ({"temperature": "36.4", "temperatureAlarm": "0", "isNoMask": "1"}, ["no_mask"]),
        (
            {"temperature": "38.2", "temperatureAlarm": "1", "isNoMask": "1"},
            ["high_temperature", "no_mask"],
        ),
        ({"temperature": "36.4", "temperatureAlarm": "0", "isNoMask": "0"}, []),
    ],
    ids=["fever", "no-mask", "both", "none"],
)
async def test_alarm_events(hass: HomeAssistant, fields: dict[str, str], alarms: list[str]) -> None:
    """A fever (temperatureAlarm 1) and a bare face (isNoMask "1") fire alarms."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    fire(hass, REC_TOPIC, rec_push("381", **fields))
    await hass.async_block_till_done()

    alarm_states = fired(events, entity_id(hass, "event", "alarm"))
    assert [s.attributes["event_type"] for s in alarm_states] == alarms
    for alarm in alarm_states:
        assert alarm.attributes["person_name"] == "Ada"
        assert alarm.attributes["record_id"] == "381"
        assert alarm.attributes["temperature"] == float(fields["temperature"])
        assert alarm.attributes["mask"] is (fields["isNoMask"] == "0")
    assert len(fired(events, entity_id(hass, "event", "access"))) == 1


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("topic", "message", "event_type", "attributes"),
    [
        (
            "card",
            {
                "operator": "CardPush",
                "info": {
                    "facesluiceId": DEVICE_ID,
                    "time": "2026-11-20 14:28:32",
                    "CardInfo": {"CardMode": "1", "Endian": "1", "CardNum": "86664719"},
                },
            },
            "card",
            {"card_number": "86664719"},
        ),
        (
            "QRcode",
            {
                "operator": "QRCodePush",
                "info": {
                    "facesluiceId": DEVICE_ID,
                    "QRCodeInfo": "https://u.example/123456ABCD",
                    "time": "2026-11-20 20:52:51",
                },
            },
            "qr_code",
            {"qr_data": "https://u.example/123456ABCD"},
        ),
    ],
)
async def test_credential_events(
    hass: HomeAssistant,
    topic: str,
    message: dict[str, Any],
    event_type: str,
    attributes: dict[str, str],
) -> None:
    """Card swipes and QR scans fire a credential event with what was scanned."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    fire(hass, f"{PREFIX}/{DEVICE_ID}/{topic}", message)
    await hass.async_block_till_done()

    (credential,) = fired(events, entity_id(hass, "event", "credential"))
    assert event_attributes(credential) == {"event_type": event_type, **attributes}
    assert fired(events, entity_id(hass, "event", "access")) == []


ID_NUMBER = "421126198702054321"
ID_NAME = "Li Mou"
ID_PHOTO = data_uri(make_image("JPEG", (32, 40)))


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("nested", [True, False], ids=["example-layout", "table-layout"])
async def test_id_card_event_keeps_personal_data_out(hass: HomeAssistant, nested: bool) -> None:
    """An ID-card read fires `id_card`; its number, name and photo appear in no state at all."""
    card = {
        "IDCard_Idno": ID_NUMBER,
        "IDCard_Name": ID_NAME,
        "IDCard_Gender": 0,
        "IDCard_Birthday": "1984-12-11",
        "IDCard_Address": "Qichun County, Hubei Province",
        "IDCard_Photo": ID_PHOTO,
    }
    info: dict[str, Any] = {"facesluiceId": DEVICE_ID, "time": "2026-11-20 15:00:38"}
    info.update({"IDCardInfo": card} if nested else card)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    fire(hass, f"{PREFIX}/{DEVICE_ID}/IDcard", {"operator": "IDCardPush", "info": info})
    await hass.async_block_till_done()

    (credential,) = fired(events, entity_id(hass, "event", "credential"))
    assert credential.attributes["event_type"] == "id_card"
    everything = json.dumps([s.as_dict() for s in hass.states.async_all()], default=str)
    for secret in (ID_NUMBER, ID_NAME, "Qichun", "1984-12-11", ID_PHOTO[30:80]):
        assert secret not in everything


@pytest.mark.usefixtures("terminal")
async def test_records_keep_phone_and_id_numbers_out(hass: HomeAssistant) -> None:
    """A RecPush carries an ID-card number and phone; neither reaches any state."""
    fire(hass, REC_TOPIC, rec_push("381", idCard="421381199504030001", telnum="13800138000"))
    await hass.async_block_till_done()

    assert state(hass, "sensor", "last_person").state == "Ada"
    everything = json.dumps([s.as_dict() for s in hass.states.async_all()], default=str)
    assert "421381199504030001" not in everything
    assert "13800138000" not in everything
    assert "base64" not in everything


async def test_resent_record_fires_once_but_is_acked_again(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A record the device sends again (same RecordID) is acknowledged again, not re-fired."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    record = rec_push("381", temperatureAlarm="1", temperature="38.0")

    fire(hass, REC_TOPIC, record)
    await settle(hass)
    freezer.tick(timedelta(seconds=10))
    fire(hass, REC_TOPIC, record)
    await settle(hass)

    assert len(fired(events, entity_id(hass, "event", "access"))) == 1
    assert len(fired(events, entity_id(hass, "event", "alarm"))) == 1
    acks = published(mqtt_mock, "PushAck")
    assert [ack["info"] for ack in acks] == [{"PushAckType": "2", "SnapOrRecordID": "381"}] * 2
    assert all(ack["_topic"] == f"{PREFIX}/{DEVICE_ID}" for ack in acks)

    # A new record still fires.
    freezer.tick(timedelta(seconds=1))
    fire(hass, REC_TOPIC, rec_push("382"))
    await settle(hass)
    assert len(fired(events, entity_id(hass, "event", "access"))) == 2


@pytest.mark.usefixtures("terminal")
async def test_backlog_does_not_roll_the_sensors_back(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """Records the device kept while offline fire `historical` events but change no sensor."""
    fire(hass, REC_TOPIC, rec_push("382", temperature="36.5", isNoMask="0"))
    await hass.async_block_till_done()
    picture_state = state(hass, "image", "last_capture")
    _, picture_before = await _fetch_picture(hass, hass_client, picture_state)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    # An older record, pushed late (more than a minute old), of someone else without a mask.
    fire(
        hass,
        REC_TOPIC,
        rec_push(
            "370",
            persionName="Grace",
            customId="E013",
            temperature="37.9",
            temperatureAlarm="1",
            isNoMask="1",
            time="2026-01-02 03:04:05",
            pic=data_uri(make_image("JPEG", (20, 20))),
        ),
    )
    await hass.async_block_till_done()

    assert state(hass, "sensor", "last_person").state == "Ada"
    assert float(state(hass, "sensor", "body_temperature").state) == 36.5
    assert state(hass, "binary_sensor", "mask").state == STATE_ON
    assert state(hass, "image", "last_capture").state == picture_state.state
    _, picture_after = await _fetch_picture(hass, hass_client, picture_state)
    assert picture_after == picture_before
    (access,) = fired(events, entity_id(hass, "event", "access"))
    assert access.attributes["historical"] is True
    assert access.attributes["person_name"] == "Grace"
    alarms = fired(events, entity_id(hass, "event", "alarm"))
    assert [a.attributes["event_type"] for a in alarms] == ["high_temperature", "no_mask"]
    assert all(a.attributes["historical"] is True for a in alarms)


@pytest.mark.usefixtures("terminal")
async def test_update_entity_keeps_the_pushed_state(hass: HomeAssistant) -> None:
    """Asking a push device's entity to update changes nothing (there is nothing to poll)."""
    await async_setup_component(hass, "homeassistant", {})
    fire(hass, REC_TOPIC, rec_push("381", temperature="36.5"))
    await hass.async_block_till_done()

    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {ATTR_ENTITY_ID: entity_id(hass, "sensor", "last_person")},
        blocking=True,
    )
    await hass.async_block_till_done()

    assert state(hass, "sensor", "last_person").state == "Ada"
    assert float(state(hass, "sensor", "body_temperature").state) == 36.5
    assert state(hass, "binary_sensor", "online").state == STATE_ON


async def test_stranger_is_acked_as_a_snapshot(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A StrSnapPush is acknowledged with PushAckType 1 and its SnapID."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)

    fire(hass, SNAP_TOPIC, str_snap_push("311"))
    await settle(hass)

    (ack,) = published(mqtt_mock, "PushAck")
    assert ack["info"] == {"PushAckType": "1", "SnapOrRecordID": "311"}


# ---- button --------------------------------------------------------------------------------


async def _press(hass: HomeAssistant) -> None:
    """Press the open-door button."""
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity_id(hass, "button", "open_door")},
        blocking=True,
    )


async def test_button_opens_the_door(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """Pressing reads the door mode, then sends `Unlock` (never retained)."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    # The settings are read in the background after set-up; they are not the press's.
    await hass.async_block_till_done(wait_background_tasks=True)
    mqtt_mock.async_publish.reset_mock()

    await _press(hass)

    operators = [m["operator"] for m in published(mqtt_mock)]
    assert operators == ["GetDoorconfig", "Unlock"]
    (unlock,) = published(mqtt_mock, "Unlock")
    assert unlock["_topic"] == f"{PREFIX}/{DEVICE_ID}"
    assert unlock["_retain"] is False
    assert unlock["info"]["openDoor"] == "1"


async def test_button_in_face_only_door_mode(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """In door mode 0 the device ignores Unlock: the press says so and sends nothing."""
    FakeTerminal(hass, mqtt_mock).reply("GetDoorconfig", {"OpendoorWay": "0"})
    await setup_entry(hass)

    with pytest.raises(HomeAssistantError) as err:
        await _press(hass)

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "door_mode"
    assert "OpendoorWay" in str(err.value)
    assert published(mqtt_mock, "Unlock") == []


async def test_button_when_the_device_is_silent(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A device that does not answer makes the press fail with `device_timeout`."""
    terminal = FakeTerminal(hass, mqtt_mock)
    with patch(
        "custom_components.face_access.protocols.hfsecurity_mqtt.HFSecurityMqttClient",
        partial(HFSecurityMqttClient, command_timeout=0.2),
    ):
        await setup_entry(hass)
    terminal.silence("Unlock")

    with pytest.raises(HomeAssistantError) as err:
        await _press(hass)

    assert err.value.translation_key == "device_timeout"
    assert "Unlock" in str(err.value)


async def test_button_when_the_device_refuses(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A failed `Unlock-Ack` makes the press fail with the device's reason."""
    FakeTerminal(hass, mqtt_mock).refuse("Unlock", "door is locked by schedule", "462")
    await setup_entry(hass)

    with pytest.raises(HomeAssistantError) as err:
        await _press(hass)

    assert err.value.translation_key == "device_refused"
    assert "door is locked by schedule" in str(err.value)


# ---- camera --------------------------------------------------------------------------------


async def test_camera_takes_a_scene_snapshot(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_client: ClientSessionGenerator
) -> None:
    """The camera asks the device for a still (GetSceneSnap) and shows it."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    camera = entity_id(hass, "camera", "snapshot")

    image = await async_get_image(hass, camera)

    assert image.content_type == "image/jpeg"
    assert image.content == SCENE_JPEG
    (request,) = published(mqtt_mock, "GetSceneSnap")
    assert request["info"]["ImgType"] == "2"
    content_type, body = await _fetch_picture(hass, hass_client, hass.states.get(camera))
    assert content_type == "image/jpeg"
    assert body == SCENE_JPEG


async def test_camera_falls_back_to_the_last_record(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Firmware without GetSceneSnap (464) shows the last record's picture instead."""
    FakeTerminal(hass, mqtt_mock).refuse("GetSceneSnap", "Version not support GetSceneSnap", "464")
    await setup_entry(hass)
    record_picture = make_image("JPEG", (64, 48))
    fire(hass, REC_TOPIC, rec_push("381", pic=data_uri(record_picture)))
    await hass.async_block_till_done()

    image = await async_get_image(hass, entity_id(hass, "camera", "snapshot"))

    assert image.content == record_picture
    assert len(published(mqtt_mock, "GetSceneSnap")) == 1


async def test_camera_falls_back_when_the_device_is_silent(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A device gone quiet (not yet offline) still shows the last record within HA's 10 s."""
    FakeTerminal(hass, mqtt_mock).silence("GetSceneSnap")
    await setup_entry(hass)
    record_picture = make_image("JPEG", (64, 48))
    fire(hass, REC_TOPIC, rec_push("381", pic=data_uri(record_picture)))
    await hass.async_block_till_done()

    task = asyncio.get_running_loop().create_task(
        async_get_image(hass, entity_id(hass, "camera", "snapshot"))
    )
    for _ in range(15):
        await settle(hass, 2)
        if task.done():
            break
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
    image = await task

    assert image.content == record_picture
    assert len(published(mqtt_mock, "GetSceneSnap")) == 1


async def test_camera_without_any_picture(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """No snapshot and no record yet: the camera has nothing to show."""
    FakeTerminal(hass, mqtt_mock).refuse("GetSceneSnap", "Version not support GetSceneSnap", "464")
    await setup_entry(hass)

    with pytest.raises(HomeAssistantError):
        await async_get_image(hass, entity_id(hass, "camera", "snapshot"))


# ---- availability --------------------------------------------------------------------------


def _unavailable(hass: HomeAssistant) -> set[str]:
    """Return the contract keys of the device's entities that are unavailable."""
    return {
        key
        for platform, key in CONTRACT
        if hass.states.get(entity_id(hass, platform, key)).state == STATE_UNAVAILABLE
    }


ALL_BUT_ONLINE = {key for _, key in CONTRACT} - {"online"}


@pytest.mark.usefixtures("terminal")
async def test_offline_and_back(hass: HomeAssistant) -> None:
    """`Offline` makes the entities unavailable; the next message of any kind brings them back."""
    assert _unavailable(hass) == set()

    fire(hass, BASIC_TOPIC, {"operator": "Offline", "info": {"facesluiceId": DEVICE_ID}})
    await hass.async_block_till_done()

    assert _unavailable(hass) == ALL_BUT_ONLINE
    assert state(hass, "binary_sensor", "online").state == STATE_OFF

    fire(hass, HEARTBEAT_TOPIC, {"operator": "HeartBeat", "info": {"facesluiceId": DEVICE_ID}})
    await hass.async_block_till_done()

    assert _unavailable(hass) == set()
    assert state(hass, "binary_sensor", "online").state == STATE_ON


@pytest.mark.usefixtures("terminal")
async def test_another_devices_offline_changes_nothing(hass: HomeAssistant) -> None:
    """Devices share the `basic` topic: another device's `Offline` is not ours."""
    fire(hass, BASIC_TOPIC, {"operator": "Offline", "info": {"facesluiceId": "9999999"}})
    await hass.async_block_till_done()

    assert _unavailable(hass) == set()


async def test_silence_makes_the_device_unavailable(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """After 2.5 heartbeat intervals (75 s) without a message the device is unavailable."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)

    freezer.tick(timedelta(seconds=60))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _unavailable(hass) == set()

    # A heartbeat resets the clock.
    fire(hass, HEARTBEAT_TOPIC, {"operator": "HeartBeat", "info": {"facesluiceId": DEVICE_ID}})
    freezer.tick(timedelta(seconds=60))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _unavailable(hass) == set()

    freezer.tick(timedelta(seconds=20))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _unavailable(hass) == ALL_BUT_ONLINE
    assert state(hass, "binary_sensor", "online").state == STATE_OFF

    fire(hass, BASIC_TOPIC, online())
    await settle(hass)
    assert _unavailable(hass) == set()


async def test_heartbeat_interval_option(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """With a 60 s heartbeat the device may be silent for 150 s."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass, terminal_entry(**{CONF_HEARTBEAT_INTERVAL: 60}))

    freezer.tick(timedelta(seconds=140))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _unavailable(hass) == set()

    freezer.tick(timedelta(seconds=20))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _unavailable(hass) == ALL_BUT_ONLINE
