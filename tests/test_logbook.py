"""Tests of the logbook: what a user reads there after a device sent a record.

Every entry comes from Home Assistant's real logbook (its `logbook/get_events` websocket
command, which the logbook panel and a device's page use), fed by the real recorder, after a
record went through the integration the way the device sends it (MQTT, a face terminal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    RecorderInstanceContextManager,
    WebSocketGenerator,
)

from custom_components.face_access.const import DOMAIN, EVENT_FACE_ACCESS
from custom_components.face_access.logbook import describe, shorten
from tests.common import (
    DEVICE_ID,
    PREFIX,
    FakeTerminal,
    fire,
    ha_device_id,
    rec_push,
    settle,
    setup_entry,
    str_snap_push,
)

REC_TOPIC = f"{PREFIX}/{DEVICE_ID}/Rec"
SNAP_TOPIC = f"{PREFIX}/{DEVICE_ID}/Snap"
CARD_NUMBER = "86664719"
QR_DATA = "https://u.example/123456ABCD"
ID_NUMBER = "421126198702054321"
PHONE = "13800138000"


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(
    async_setup_recorder_instance: RecorderInstanceContextManager,
) -> None:
    """Start the recorder before Home Assistant, as the logbook needs it."""


@pytest.fixture
async def door(recorder_mock: object, hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> str:
    """A face terminal the user renamed "Front door", with the logbook loaded; its device id."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    # The logbook panel is the frontend's, which the test environment does not ship; the
    # logbook only registers its panel there.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})
    device_id = ha_device_id(hass)
    dr.async_get(hass).async_update_device(device_id, name_by_user="Front door")
    return device_id


async def logbook(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, start: datetime, **query: Any
) -> list[dict[str, Any]]:
    """Return the logbook's entries since `start`, as the frontend gets them."""
    await settle(hass)
    await async_wait_recording_done(hass)
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {"type": "logbook/get_events", "start_time": start.isoformat(), **query}
    )
    response = await client.receive_json()
    assert response["success"], response
    result: list[dict[str, Any]] = response["result"]
    return result


async def device_page(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, start: datetime, device_id: str
) -> list[dict[str, Any]]:
    """Return the logbook of a device's page: its device and its entities, as the page asks."""
    entity_ids = [
        entry.entity_id for entry in er.async_entries_for_device(er.async_get(hass), device_id)
    ]
    return await logbook(hass, hass_ws_client, start, device_ids=[device_id], entity_ids=entity_ids)


def sentences(entries: list[dict[str, Any]]) -> list[str]:
    """Return the integration's lines as the frontend shows them: name, then message."""
    return [
        f"{entry['name']} {entry['message']}" for entry in entries if entry.get("domain") == DOMAIN
    ]


def card_push(card_number: str) -> dict[str, Any]:
    """Return a card swipe as the face terminal publishes it."""
    return {
        "operator": "CardPush",
        "info": {
            "facesluiceId": DEVICE_ID,
            "time": "2026-11-20 14:28:32",
            "CardInfo": {"CardMode": "1", "Endian": "1", "CardNum": card_number},
        },
    }


def qr_push(qr_data: str) -> dict[str, Any]:
    """Return a QR-code scan as the face terminal publishes it."""
    return {
        "operator": "QRCodePush",
        "info": {"facesluiceId": DEVICE_ID, "QRCodeInfo": qr_data, "time": "2026-11-20 20:52:51"},
    }


def id_card_push() -> dict[str, Any]:
    """Return an ID-card read, carrying a number, a name, an address and a photo."""
    return {
        "operator": "IDCardPush",
        "info": {
            "facesluiceId": DEVICE_ID,
            "time": "2026-11-20 15:00:38",
            "IDCardInfo": {
                "IDCard_Idno": ID_NUMBER,
                "IDCard_Name": "Li Mou",
                "IDCard_Address": "Qichun County, Hubei Province",
                "IDCard_Photo": "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ",
            },
        },
    }


async def test_what_the_logbook_says(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, door: str
) -> None:
    """Each kind of record reads as one sentence on the device's page, at the renamed door."""
    start = dt_util.utcnow()

    fire(
        hass,
        REC_TOPIC,
        rec_push(
            "381", persionName="Ada Lovelace", temperature="36.4", isNoMask="0", idCard=ID_NUMBER
        ),
    )
    await settle(hass)
    fire(hass, SNAP_TOPIC, str_snap_push("311", temperature="36.9"))
    await settle(hass)
    fire(hass, REC_TOPIC, rec_push("382", persionName="Grace", PersonType="1", telnum=PHONE))
    await settle(hass)
    fire(
        hass,
        REC_TOPIC,
        rec_push("383", temperature="38.2", temperatureAlarm="1", isNoMask="1"),
    )
    await settle(hass)
    fire(hass, f"{PREFIX}/{DEVICE_ID}/card", card_push(CARD_NUMBER))
    await settle(hass)
    fire(hass, f"{PREFIX}/{DEVICE_ID}/QRcode", qr_push(QR_DATA))
    await settle(hass)
    fire(hass, f"{PREFIX}/{DEVICE_ID}/IDcard", id_card_push())

    entries = await device_page(hass, hass_ws_client, start, door)

    assert sentences(entries) == [
        "Ada Lovelace recognized at Front door (36.4 °C, mask)",
        "Stranger at Front door (36.9 °C)",
        "Access denied to Grace at Front door: block list",
        "Ada recognized at Front door (38.2 °C, no mask)",
        "Ada has a high temperature at Front door (38.2 °C, no mask)",
        "Ada without a mask at Front door (38.2 °C, no mask)",
        "Card 8666… at Front door",
        "QR code https://… scanned at Front door",
        "ID card read at Front door",
    ]
    # Each line links to the event entity that fired.
    access = er.async_get(hass).async_get_entity_id("event", DOMAIN, f"{DEVICE_ID}_access")
    credential = er.async_get(hass).async_get_entity_id("event", DOMAIN, f"{DEVICE_ID}_credential")
    described = [entry for entry in entries if entry.get("domain") == DOMAIN]
    assert described[0]["entity_id"] == access
    assert described[-1]["entity_id"] == credential
    # The whole logbook, not only these lines, never shows what must stay private.
    everything = str(await logbook(hass, hass_ws_client, start))
    for secret in (CARD_NUMBER, QR_DATA, ID_NUMBER, PHONE, "Li Mou", "Qichun", "base64"):
        assert secret not in everything


async def test_one_line_per_record(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, door: str
) -> None:
    """A record gives one sentence; the event entity's own line says it was caused by it.

    An event entity's state change always reaches the logbook (its state is the time of
    its last event); Home Assistant links it to the sentence through their shared context,
    as it links a light turning on to the action that turned it on.
    """
    start = dt_util.utcnow()
    access = er.async_get(hass).async_get_entity_id("event", DOMAIN, f"{DEVICE_ID}_access")

    fire(hass, REC_TOPIC, rec_push("381", persionName="Ada Lovelace"))
    entries = await logbook(hass, hass_ws_client, start)

    assert sentences(entries) == ["Ada Lovelace recognized at Front door"]
    (state_line,) = [
        entry for entry in entries if entry.get("entity_id") == access and "state" in entry
    ]
    assert state_line["context_event_type"] == EVENT_FACE_ACCESS
    assert state_line["context_name"] == "Ada Lovelace"
    assert state_line["context_message"] == "recognized at Front door"


async def test_backlog_is_marked(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, door: str
) -> None:
    """Records the device kept while offline say so."""
    start = dt_util.utcnow()

    fire(
        hass,
        REC_TOPIC,
        rec_push("370", persionName="Grace", time="2026-01-02 03:04:05", temperature="36.5"),
    )
    entries = await device_page(hass, hass_ws_client, start, door)

    assert sentences(entries) == [
        "Grace recognized at Front door (36.5 °C) (from the device's backlog)"
    ]


async def test_the_door_is_the_devices_current_name(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, door: str
) -> None:
    """Renaming the device renames the door in earlier lines too; no rename: its own name."""
    start = dt_util.utcnow()
    fire(hass, f"{PREFIX}/{DEVICE_ID}/card", card_push(CARD_NUMBER))
    await settle(hass)

    dr.async_get(hass).async_update_device(door, name_by_user="Back door")
    assert sentences(await device_page(hass, hass_ws_client, start, door)) == [
        "Card 8666… at Back door"
    ]

    dr.async_get(hass).async_update_device(door, name_by_user=None)
    assert sentences(await device_page(hass, hass_ws_client, start, door)) == [
        "Card 8666… at Face terminal 1305433"
    ]


async def test_the_bus_event_keeps_personal_data_out(hass: HomeAssistant, door: str) -> None:
    """The bus event behind the lines carries the event entity's attributes and no more."""
    events: list[Event] = async_capture_events(hass, EVENT_FACE_ACCESS)

    fire(hass, REC_TOPIC, rec_push("381", idCard=ID_NUMBER, telnum=PHONE))
    fire(hass, f"{PREFIX}/{DEVICE_ID}/IDcard", id_card_push())
    await settle(hass)

    assert [(event.data["category"], event.data["event_type"]) for event in events] == [
        ("access", "recognized"),
        ("credential", "id_card"),
    ]
    assert all(event.data["device_id"] == door for event in events)
    assert events[0].data["person_name"] == "Ada"
    for secret in (ID_NUMBER, PHONE, "Li Mou", "Qichun", "base64"):
        assert secret not in str([event.data for event in events])


@pytest.mark.parametrize(
    ("event_type", "data", "sentence"),
    [
        ("denied", {"reason": "no_mask"}, "Access denied at Back door: no mask"),
        ("denied", {}, "Access denied at Back door"),
        ("stranger", {"mask": False}, "Stranger at Back door (no mask)"),
        ("door_alarm", {}, "Door alarm at Back door"),
        (
            "area_intrusion",
            {"historical": True},
            "Area intrusion at Back door (from the device's backlog)",
        ),
        ("card", {"card_number": "12"}, "Card 1… at Back door"),
        ("qr_code", {}, "QR code scanned at Back door"),
        ("recognized", {"person_id": "E012"}, "E012 recognized at Back door"),
    ],
)
def test_sentences_of_other_events(event_type: str, data: dict[str, Any], sentence: str) -> None:
    """Events the face terminal above cannot send read as sentences too."""
    name, message = describe(event_type, data, "Back door")
    assert f"{name} {message}" == sentence


@pytest.mark.parametrize(("text", "shown"), [("86664719", "8666…"), ("123", "1…"), ("7", "…")])
def test_numbers_are_never_shown_whole(text: str, shown: str) -> None:
    """A card number shows at most its first four digits and at most half of itself."""
    assert shorten(text, 4) == shown
