"""Tests of the diagnostics: useful for debugging, free of personal data and pictures."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from tests.common import (
    DEVICE_ID,
    DEVICE_IP,
    FIRMWARE,
    PREFIX,
    FakeTerminal,
    fire,
    online,
    rec_push,
    settle,
    setup_entry,
)

PERSON_NAME = "Ada Lovelace"
PERSON_ID = "E012-7731"
DEVICE_PERSON_ID = "dev-person-4711"
CARD_NUMBER = "1369406761"
ID_NUMBER = "421381199504030001"
PHONE = "13800138000"


async def test_diagnostics_keep_people_out(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
) -> None:
    """After a recognition the diagnostics show the device's state but nobody's data."""
    FakeTerminal(hass, mqtt_mock)
    entry = await setup_entry(hass)
    fire(hass, f"{PREFIX}/basic", online())
    fire(
        hass,
        f"{PREFIX}/{DEVICE_ID}/Rec",
        rec_push(
            "381",
            persionName=PERSON_NAME,
            customId=PERSON_ID,
            personId=DEVICE_PERSON_ID,
            RFIDCard=CARD_NUMBER,
            cardNum2=CARD_NUMBER,
            idCard=ID_NUMBER,
            telnum=PHONE,
            temperature="36.6",
        ),
    )
    fire(
        hass,
        f"{PREFIX}/{DEVICE_ID}/card",
        {
            "operator": "CardPush",
            "info": {"facesluiceId": DEVICE_ID, "CardInfo": {"CardNum": CARD_NUMBER}},
        },
    )
    await settle(hass)
    assert hass.states.get(f"sensor.face_terminal_{DEVICE_ID}_last_person").state == PERSON_NAME

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    for secret in (
        PERSON_NAME,
        "Ada",
        PERSON_ID,
        DEVICE_PERSON_ID,
        CARD_NUMBER,
        ID_NUMBER,
        PHONE,
        DEVICE_IP,
        "base64",
        "/9j/",
    ):
        assert secret not in text, secret
    assert diagnostics["protocol"] == "face_terminal_mqtt"
    assert "open_door" in diagnostics["capabilities"]
    assert "enroll" in diagnostics["capabilities"]
    state = diagnostics["state"]
    assert state["online"] is True
    assert state["info"]["firmware"] == FIRMWARE
    assert state["has_capture"] is True
    assert state["last_record"]["kind"] == "recognized"
    assert state["last_record"]["record_id"] == "381"
    assert state["last_record"]["temperature"] == 36.6
    assert diagnostics["entry"]["data"]["device_id"] == DEVICE_ID
