"""Privacy: who walked in stays out of the logs, the diagnostics and (by option) the history.

A day's mix of records and commands runs with debug logging on; the integration's log lines
and both diagnostics downloads (the entry's and the device's) are then searched for every
planted secret: names, ID-card and card numbers, phone numbers, pictures, passwords and
webhook ids.
"""

from __future__ import annotations

from functools import partial
import json
import logging
from pathlib import Path
from typing import Any

from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.face_access.const import DOMAIN, EVENT_FACE_ACCESS
from simulators.unv_lapi import UnvLapiSimulator
from tests.common import (
    DEVICE_ID,
    PREFIX,
    FakeTerminal,
    fire,
    ha_device_id,
    make_photo,
    online,
    rec_push,
    settle,
    setup_entry,
    terminal_entry,
)
from tests.http_devices import add_by_address, serve, state, until

NAME = "Zebediah Quuxworth"
NEW_NAME = "Philippa Vexley"
CARD = "7755331199"
ID_NUMBER = "110101199003070000"
PHONE = "13912345678"
PASSWORD = "pa55-Quetzal!"
PHOTO_MARKERS = ("/9j/", "data:image", "base64,")
SECRETS = (NAME, NEW_NAME, CARD, ID_NUMBER, PHONE, PASSWORD, *PHOTO_MARKERS)
UNV_SERIAL = "210235C31L3186000023"


def _our_log(caplog: pytest.LogCaptureFixture) -> str:
    """Return everything the integration logged, at every level, with its arguments."""
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.face_access")
    )


def _leaks(text: str, secrets: tuple[str, ...]) -> list[str]:
    return [secret for secret in secrets if secret in text]


async def _diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: Any, device_id: str
) -> str:
    """Return both diagnostics downloads as one text."""
    from homeassistant.helpers import device_registry as dr  # noqa: PLC0415

    device = next(
        device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if (DOMAIN, device_id) in device.identifiers
    )
    entry_diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    device_diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, device)
    return json.dumps(entry_diagnostics) + json.dumps(device_diagnostics)


async def test_a_day_at_a_face_terminal_leaves_no_personal_data_behind(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    terminal = FakeTerminal(hass, mqtt_mock)
    terminal.reply(
        "SearchPersonList",
        {
            "TotalPersonNum": 1,
            "PersonNum": 1,
            "List": [
                {
                    "name": NAME,
                    "idCard": ID_NUMBER,
                    "telnum1": PHONE,
                    "RFIDCard": CARD,
                    "customId": "E012",
                    "personType": 0,
                }
            ],
        },
    )
    entry = await setup_entry(hass)
    fire(hass, f"{PREFIX}/basic", online())
    rec = f"{PREFIX}/{DEVICE_ID}/Rec"
    for number in range(20):
        fire(
            hass,
            rec,
            rec_push(
                str(500 + number),
                persionName=NAME,
                idCard=ID_NUMBER,
                telnum=PHONE,
                RFIDCard=CARD,
                temperature="37.9" if number % 5 == 0 else "36.5",
                temperatureAlarm="1" if number % 5 == 0 else "0",
                VerifyStatus="2" if number % 7 == 0 else "1",
            ),
        )
    fire(
        hass,
        f"{PREFIX}/{DEVICE_ID}/card",
        {
            "operator": "CardPush",
            "info": {"facesluiceId": DEVICE_ID, "CardInfo": {"CardNum": CARD}},
        },
    )
    await settle(hass)
    photo = tmp_path / "new.jpg"
    photo.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    target = {"device_id": ha_device_id(hass)}
    for service, data in (
        (
            "enroll_person",
            {"person_id": "E077", "name": NEW_NAME, "card_number": CARD, "photo_path": str(photo)},
        ),
        ("list_people", {}),
        ("delete_person", {"person_id": "E077"}),
    ):
        await hass.services.async_call(
            DOMAIN, service, {**target, **data}, blocking=True, return_response=True
        )
    await settle(hass)

    log = _our_log(caplog)
    assert log, "debug logging produced nothing: the scan would prove nothing"
    assert _leaks(log, SECRETS) == []
    assert _leaks(await _diagnostics(hass, hass_client, entry, DEVICE_ID), SECRETS) == []


async def test_a_day_at_a_uniview_terminal_leaves_no_personal_data_behind(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    socket_enabled: None,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    await serve(hass, hass_client_no_auth)
    device = UnvLapiSimulator(UNV_SERIAL, password=PASSWORD, resend_interval=0.5)
    await hass.async_add_executor_job(partial(device.start, 0))
    try:
        result = await add_by_address(hass, "unv_lapi", device.address[1], "admin", PASSWORD)
        entry = result["result"]
        await hass.async_block_till_done()
        await until(lambda: len(device.subscriptions) == 1)
        device.add_person("7", NAME, card_id=CARD)
        for push in (
            lambda: device.recognition("7", temperature=36.5, mask=True),
            lambda: device.high_temperature(38.4, person_id="7"),
            device.stranger,
            lambda: device.card(CARD),
            lambda: device.id_card(NAME, ID_NUMBER),
        ):
            seq = push()
            await until(lambda seq=seq: seq in device.acked)
        photo = tmp_path / "new.jpg"
        photo.write_bytes(make_photo())
        hass.config.allowlist_external_dirs = {str(tmp_path)}
        target = {"device_id": ha_device_id(hass, UNV_SERIAL)}
        for service, data in (
            ("enroll_person", {"person_id": "1077", "name": NEW_NAME, "photo_path": str(photo)}),
            ("list_people", {}),
            ("delete_person", {"person_id": "1077"}),
        ):
            await hass.services.async_call(
                DOMAIN, service, {**target, **data}, blocking=True, return_response=True
            )
        await hass.async_block_till_done()
        assert state(hass, UNV_SERIAL, "sensor", "last_person").state == NAME

        log = _our_log(caplog)
        assert log
        assert _leaks(log, SECRETS) == []
        assert _leaks(await _diagnostics(hass, hass_client, entry, UNV_SERIAL), SECRETS) == []
    finally:
        await hass.async_add_executor_job(device.stop)


async def test_with_names_off_the_history_carries_the_person_id_only(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass, terminal_entry(show_names=False))
    bus: list[Event] = async_capture_events(hass, EVENT_FACE_ACCESS)

    fire(hass, f"{PREFIX}/{DEVICE_ID}/Rec", rec_push("381", persionName=NAME, customId="E012"))
    await settle(hass)

    last_person = hass.states.get(f"sensor.face_terminal_{DEVICE_ID}_last_person")
    access = hass.states.get(f"event.face_terminal_{DEVICE_ID}_access")
    assert last_person is not None
    assert access is not None
    assert last_person.state == "E012"
    assert access.attributes["person_id"] == "E012"
    assert access.attributes.get("person_name") is None
    assert [event.data["person_id"] for event in bus] == ["E012"]
    assert NAME not in repr([last_person, access, [event.data for event in bus]])
