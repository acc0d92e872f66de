"""Bad input from a device is dropped with one log line and changes nothing.

DESIGN.md, quality bar: malformed JSON, wrong types, an unknown device or an oversize body
never raises into Home Assistant, never changes state, and never loses a good record.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from tests.common import (
    DEVICE_ID,
    PREFIX,
    FakeTerminal,
    fire,
    published,
    rec_push,
    settle,
    setup_entry,
    str_snap_push,
)

REC_TOPIC = f"{PREFIX}/{DEVICE_ID}/Rec"
SNAP_TOPIC = f"{PREFIX}/{DEVICE_ID}/Snap"
LAST_PERSON = f"sensor.face_terminal_{DEVICE_ID}_last_person"
OUR_LOGGER = "custom_components.face_access"
TEN_MB = 10 * 1024 * 1024


def _good_info() -> dict[str, Any]:
    return rec_push("390")["info"]


BAD_INPUT = [
    pytest.param(REC_TOPIC, '{"operator": "RecPush", "info": {', id="not-json"),
    pytest.param(REC_TOPIC, "\x00\xff binary", id="binary-garbage"),
    pytest.param(REC_TOPIC, "[1, 2, 3]", id="json-array"),
    pytest.param(REC_TOPIC, lambda: json.dumps({"info": _good_info()}), id="no-operator"),
    pytest.param(
        REC_TOPIC, lambda: json.dumps({"operator": 7, "info": _good_info()}), id="operator-number"
    ),
    pytest.param(REC_TOPIC, json.dumps({"operator": "RecPush", "info": {}}), id="recpush-empty"),
    pytest.param(REC_TOPIC, json.dumps({"operator": "RecPush"}), id="recpush-without-info"),
    pytest.param(
        SNAP_TOPIC, json.dumps({"operator": "StrSnapPush", "info": {}}), id="strsnap-empty"
    ),
    pytest.param(
        REC_TOPIC,
        lambda: json.dumps(rec_push("390", facesluiceId="9999999")),
        id="foreign-device-id",
    ),
    pytest.param(
        REC_TOPIC,
        lambda: json.dumps(rec_push("390", pic="data:image/jpeg;base64," + "A" * TEN_MB)),
        id="10mb-picture",
    ),
]


def _snapshot(hass: HomeAssistant) -> dict[str, Any]:
    """Return every state with its attributes (not its timestamps)."""
    return {s.entity_id: (s.state, dict(s.attributes)) for s in hass.states.async_all()}


@pytest.mark.parametrize(("topic", "payload"), BAD_INPUT)
async def test_bad_input_is_dropped(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    caplog: pytest.LogCaptureFixture,
    topic: str,
    payload: str | Any,
) -> None:
    """The message is dropped with exactly one log line; a good record afterwards works."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    # The settings entities appear once the background read after set-up is done.
    await hass.async_block_till_done(wait_background_tasks=True)
    fire(hass, REC_TOPIC, rec_push("381"))
    await settle(hass)
    assert hass.states.get(LAST_PERSON).state == "Ada"
    before = _snapshot(hass)
    mqtt_mock.async_publish.reset_mock()
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger=OUR_LOGGER)

    fire(hass, topic, payload() if callable(payload) else payload)
    await settle(hass)

    ours = [r for r in caplog.records if r.name.startswith(OUR_LOGGER)]
    assert len(ours) == 1, [r.getMessage() for r in ours]
    assert ours[0].levelno == logging.WARNING
    assert ours[0].exc_info is None
    assert len(ours[0].getMessage()) < 200
    assert _snapshot(hass) == before
    assert published(mqtt_mock, "PushAck") == []

    fire(hass, REC_TOPIC, rec_push("382", persionName="Grace"))
    await settle(hass)

    assert hass.states.get(LAST_PERSON).state == "Grace"
    assert [m["info"]["SnapOrRecordID"] for m in published(mqtt_mock, "PushAck")] == ["382"]


async def test_wrong_types_in_a_record(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Fields of the wrong type are read as absent; the rest of the record still counts."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)

    fire(
        hass,
        REC_TOPIC,
        rec_push(
            "381",
            similarity1={"not": "a number"},
            temperature="hot",
            temperatureAlarm=[1],
            isNoMask="maybe",
            time="yesterday",
        ),
    )
    await settle(hass)

    last_person = hass.states.get(LAST_PERSON)
    assert last_person.state == "Ada"
    assert last_person.attributes["similarity"] is None
    assert last_person.attributes["time"] is None
    assert hass.states.get(f"sensor.face_terminal_{DEVICE_ID}_body_temperature").state == (
        "unknown"
    )
    assert hass.states.get(f"binary_sensor.face_terminal_{DEVICE_ID}_mask").state == "unknown"
    assert [m["info"]["SnapOrRecordID"] for m in published(mqtt_mock, "PushAck")] == ["381"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_picture_that_is_not_an_image(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A record whose picture cannot be decoded counts; the picture is left out, logged once."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    image = f"image.face_terminal_{DEVICE_ID}_last_capture"
    before = hass.states.get(image).state
    caplog.set_level(logging.DEBUG, logger=OUR_LOGGER)

    fire(hass, REC_TOPIC, rec_push("381", pic="data:image/jpeg;base64,bm90IGFuIGltYWdl"))
    await settle(hass)

    assert hass.states.get(LAST_PERSON).state == "Ada"
    assert hass.states.get(image).state == before
    warnings = [
        r for r in caplog.records if r.name.startswith(OUR_LOGGER) and r.levelno >= logging.WARNING
    ]
    assert len(warnings) == 1
    assert "bm90IGFuIGltYWdl" not in warnings[0].getMessage()


async def test_a_stranger_from_another_device_on_its_own_topic(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Another device's records on its own topic are not ours and are not acknowledged."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    # The settings entities appear once the background read after set-up is done.
    await hass.async_block_till_done(wait_background_tasks=True)
    before = _snapshot(hass)

    fire(hass, f"{PREFIX}/9999999/Snap", str_snap_push("311", facesluiceId="9999999"))
    await settle(hass)

    assert _snapshot(hass) == before
    assert published(mqtt_mock, "PushAck") == []
