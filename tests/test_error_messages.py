"""What a user reads when a command fails: which device, and why, in words.

Each failure is produced the way a user meets it (a door button press or a service call
against a face terminal that refuses, stays silent, is in a face-only door mode, or is
given a person it cannot take) and the rendered message is checked whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
import json
from pathlib import Path
import re
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import translation
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.hfsecurity_mqtt import HFSecurityMqttClient
from tests.common import DEVICE_ID, FakeTerminal, ha_device_id, make_photo, setup_entry

TITLE = f"Face terminal {DEVICE_ID}"
EN = json.loads(
    (Path(__file__).parent.parent / "custom_components/face_access/translations/en.json").read_text(
        encoding="utf-8"
    )
)["exceptions"]


async def _press_door(hass: HomeAssistant, tmp_path: Path) -> None:
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": f"button.face_terminal_{DEVICE_ID}_open_door"},
        blocking=True,
    )


async def _enroll_too_long_a_name(hass: HomeAssistant, tmp_path: Path) -> None:
    photo = tmp_path / "ada.jpg"
    photo.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {
            "device_id": ha_device_id(hass),
            "person_id": "E012",
            "name": "Ada Augusta King, Countess of Lovelace",
            "photo_path": str(photo),
        },
        blocking=True,
        return_response=True,
    )


async def _enroll_on_a_stranger_too(hass: HomeAssistant, tmp_path: Path) -> None:
    photo = tmp_path / "ada.jpg"
    photo.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {
            "device_id": ["not-a-device", ha_device_id(hass)],
            "person_id": "E012",
            "name": "Ada Augusta King, Countess of Lovelace",
            "photo_path": str(photo),
        },
        blocking=True,
        return_response=True,
    )


def _refuses(terminal: FakeTerminal) -> None:
    terminal.refuse("Unlock", "door is locked by schedule", "462")


def _silent(terminal: FakeTerminal) -> None:
    terminal.silence("Unlock")


def _face_only(terminal: FakeTerminal) -> None:
    terminal.reply("GetDoorconfig", {"OpendoorWay": "0"})


def _nothing(terminal: FakeTerminal) -> None:
    del terminal


@pytest.mark.parametrize(
    ("setup", "action", "error", "expected"),
    [
        pytest.param(
            _refuses,
            _press_door,
            HomeAssistantError,
            rf"^{TITLE} refused: .*door is locked by schedule.*$",
            id="refused",
        ),
        pytest.param(
            _silent, _press_door, HomeAssistantError, rf"^{TITLE} did not answer: .+$", id="timeout"
        ),
        pytest.param(
            _face_only,
            _press_door,
            HomeAssistantError,
            rf"^{TITLE} cannot open the door remotely: .*OpendoorWay.*$",
            id="door mode",
        ),
        pytest.param(
            _nothing,
            _enroll_too_long_a_name,
            ServiceValidationError,
            rf"^{TITLE} cannot take this: name must be 1 to 31 bytes$",
            id="validation",
        ),
        pytest.param(
            _nothing,
            _enroll_on_a_stranger_too,
            ServiceValidationError,
            r"^These devices cannot take the call, so nothing was sent: "
            rf"not-a-device is not a Face Access device; "
            rf"{TITLE} cannot take this: name must be 1 to 31 bytes$",
            id="several targets",
        ),
    ],
)
async def test_a_failure_says_which_device_and_why(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup: Callable[[FakeTerminal], None],
    action: Callable[[HomeAssistant, Path], Awaitable[None]],
    error: type[HomeAssistantError],
    expected: str,
    tmp_path: Path,
) -> None:
    terminal = FakeTerminal(hass, mqtt_mock)
    setup(terminal)
    with patch(
        "custom_components.face_access.protocols.hfsecurity_mqtt.HFSecurityMqttClient",
        partial(HFSecurityMqttClient, command_timeout=0.2),
    ):
        await setup_entry(hass)

    with pytest.raises(error) as err:
        await action(hass, tmp_path)

    message = str(err.value)
    assert re.match(expected, message), message
    assert "{" not in message


async def test_every_error_text_renders_with_the_placeholders_it_names(
    hass: HomeAssistant,
) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    for key, text in EN.items():
        names = set(re.findall(r"{(\w+)}", text["message"]))
        values = {name: f"<{name}>" for name in names}
        rendered = translation.async_get_exception_message(DOMAIN, key, values)
        assert rendered != key, key
        assert "{" not in rendered, (key, rendered)
        for value in values.values():
            assert value in rendered, (key, rendered)
