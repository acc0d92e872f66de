"""The tablet's settings and restart end to end: the simulated temperature tablet against
Home Assistant's HTTP server over 127.0.0.1 (temperature-terminal-http v1.16 §9, §11).

Every command rides in a heartbeat reply (the entry's heartbeat is 1 s): a config query is
answered in the next heartbeat slot, a config set at once with its `seq` and `errcode`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    SERVICE_TURN_OFF,
    STATE_OFF,
    STATE_ON,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access.const import DOMAIN
from simulators.temperature_http import TemperatureTabletSimulator
from tests.common import find_device
from tests.e2e import tablet_on_webhook, wait_until
from tests.test_temperature_http import CID


@pytest.fixture
async def tablet(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, socket_enabled: None
) -> AsyncGenerator[TemperatureTabletSimulator]:
    """The tablet's entry (1 s heartbeats), set up, and a simulated tablet posting to it."""
    async with tablet_on_webhook(hass, hass_client_no_auth) as device:
        yield device


def find(hass: HomeAssistant, platform: str, key: str) -> str | None:
    """Return the entity id of the tablet's entity `key` on `platform`, None if none."""
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{CID}_{key}")


def state(hass: HomeAssistant, platform: str, key: str) -> State:
    """Return the state of the tablet's entity `key` on `platform`."""
    entity = find(hass, platform, key)
    assert entity is not None, f"no {platform} {key}"
    current = hass.states.get(entity)
    assert current is not None
    return current


async def call(
    hass: HomeAssistant, platform: str, service: str, key: str, data: dict[str, Any] | None = None
) -> None:
    """Call an entity service on the tablet's entity `key`, waiting for the tablet."""
    entity = find(hass, platform, key)
    assert entity is not None, f"no {platform} {key}"
    await hass.services.async_call(
        platform, service, {ATTR_ENTITY_ID: entity, **(data or {})}, blocking=True
    )


async def test_tablet_settings_read_written_refused(
    hass: HomeAssistant, tablet: TemperatureTabletSimulator
) -> None:
    """§9: the config query's values are shown; a set lands in the tablet and reads back."""
    await wait_until(lambda: find(hass, "number", "relay_hold_time") is not None)

    relay = state(hass, "number", "relay_hold_time")
    assert (float(relay.state), relay.attributes[ATTR_UNIT_OF_MEASUREMENT]) == (200.0, "ms")
    threshold = state(hass, "number", "temperature_alarm_threshold")
    assert float(threshold.state) == pytest.approx(37.3)
    assert threshold.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfTemperature.CELSIUS
    assert float(state(hass, "number", "face_threshold").state) == 70.0
    assert float(state(hass, "number", "recognition_distance").state) == 100.0
    assert state(hass, "switch", "temperature_measurement").state == STATE_ON
    assert state(hass, "select", "temperature_unit").state == "celsius"
    # What the tablet's document does not have does not exist.
    assert find(hass, "select", "door_mode") is None
    assert find(hass, "number", "volume") is None

    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "relay_hold_time", {ATTR_VALUE: 500})
    assert tablet.config["relay"]["duration"] == 5
    assert float(state(hass, "number", "relay_hold_time").state) == 500.0
    await call(
        hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "temperature_alarm_threshold", {ATTR_VALUE: 37.8}
    )
    assert tablet.config["temperature"]["high_threshold"] == pytest.approx(37.8)
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "recognition_distance", {ATTR_VALUE: 150})
    assert tablet.config["face_rec"]["distance"] == 2
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "temperature_measurement")
    assert tablet.config["temperature"]["enable"] == 0
    assert state(hass, "switch", "temperature_measurement").state == STATE_OFF
    # The rest of a section is sent back as it was read.
    assert tablet.config["temperature"]["high_threshold"] == pytest.approx(37.8)

    # Refused: errcode 2, "configuration failed" (§9 L2095-L2103).
    tablet.config_fails = True
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "face_threshold", {ATTR_VALUE: 80})
    assert err.value.translation_key == "device_refused"
    assert "configuration failed" in str(err.value)
    assert tablet.config["face_rec"]["score"] == 70.0
    assert float(state(hass, "number", "face_threshold").state) == 70.0


async def test_a_fahrenheit_tablet(hass: HomeAssistant, tablet: TemperatureTabletSimulator) -> None:
    """Switched to °F: the threshold is shown in °F by the tablet and converted by Home
    Assistant (metric here), and readings still show the right temperature."""
    await wait_until(lambda: find(hass, "select", "temperature_unit") is not None)

    await call(
        hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, "temperature_unit", {ATTR_OPTION: "fahrenheit"}
    )

    assert tablet.config["temperature"]["unit"] == 1
    threshold = state(hass, "number", "temperature_alarm_threshold")
    assert state(hass, "select", "temperature_unit").state == "fahrenheit"
    # The simulated tablet keeps the number (37.3) and reads it in °F now: 2.9 °C.
    assert float(threshold.state) == pytest.approx((37.3 - 32) * 5 / 9, abs=0.06)
    await hass.async_add_executor_job(lambda: tablet.push_record(temperature=37.0))
    await wait_until(lambda: state(hass, "sensor", "body_temperature").state != "unknown")
    assert float(state(hass, "sensor", "body_temperature").state) == pytest.approx(37.0, abs=0.06)


async def test_tablet_restart_and_firmware(
    hass: HomeAssistant, tablet: TemperatureTabletSimulator
) -> None:
    """§11 `reboot` rides a heartbeat reply; the new boot brings the new `app_version`."""
    await wait_until(lambda: find(hass, "sensor", "firmware") is not None)
    await wait_until(lambda: state(hass, "sensor", "firmware").state == "1.0.1.1")
    tablet.app_version = "1.0.2.0"

    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "reboot")

    await wait_until(lambda: tablet.reboot_count == 1)
    await wait_until(lambda: state(hass, "sensor", "firmware").state == "1.0.2.0")
    device = find_device(hass, CID)
    assert device is not None
    assert device.sw_version == "1.0.2.0"
