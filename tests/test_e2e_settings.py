"""Settings, restart and firmware end to end over real sockets: amqtt broker, Home Assistant's
MQTT integration, the simulated face terminal and camera (set-up in tests/e2e.py).

Every value shown is what the simulator reported; every write lands in the simulator's own
state (face-terminal-mqtt v1.24 §9.2, §9.3, §9.5, §9.7, §9.10; camera v1.25 §10.2, §10.4).
"""

from __future__ import annotations

from collections.abc import Generator
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
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest

from custom_components.face_access.const import DOMAIN
from simulators.broker import Broker
from simulators.camera_mqtt import CameraSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator

from .common import DEVICE_ID
from .e2e import add_through_the_flow, quick_simulator, record_events, running, wait_until

CAMERA_ID = "1026700"
NEW_FIRMWARE = "v12.6.0L3M1-1.1.0"


@pytest.fixture
def terminal(broker: Broker) -> Generator[FaceTerminalSimulator]:
    """Run the simulated face terminal (door mode 2) against the broker, with short timers."""
    simulator = quick_simulator(FaceTerminalSimulator, broker, DEVICE_ID, restart_delay=0.5)
    with running(simulator) as sim:
        yield sim


@pytest.fixture
def camera(broker: Broker) -> Generator[CameraSimulator]:
    """Run the simulated network camera against the broker, with short timers."""
    with running(quick_simulator(CameraSimulator, broker, CAMERA_ID, restart_delay=0.5)) as sim:
        yield sim


def find(hass: HomeAssistant, platform: str, key: str, device_id: str = DEVICE_ID) -> str | None:
    """Return the entity id of the device's entity `key` on `platform`, None if none."""
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{device_id}_{key}")


def state(hass: HomeAssistant, platform: str, key: str, device_id: str = DEVICE_ID) -> State:
    """Return the state of the device's entity `key` on `platform`."""
    entity = find(hass, platform, key, device_id)
    assert entity is not None, f"no {platform} {key}"
    current = hass.states.get(entity)
    assert current is not None
    return current


async def call(
    hass: HomeAssistant,
    platform: str,
    service: str,
    key: str,
    data: dict[str, Any] | None = None,
    device_id: str = DEVICE_ID,
) -> None:
    """Call an entity service on the device's entity `key`, waiting for its answer."""
    entity = find(hass, platform, key, device_id)
    assert entity is not None, f"no {platform} {key}"
    await hass.services.async_call(
        platform, service, {ATTR_ENTITY_ID: entity, **(data or {})}, blocking=True
    )


async def test_terminal_settings_read_written_refused(
    hass: HomeAssistant, mqtt_connected: None, terminal: FaceTerminalSimulator
) -> None:
    """Each terminal setting shows the simulator's value; writes change the simulator."""
    await add_through_the_flow(hass, "face_terminal_mqtt", DEVICE_ID)
    await wait_until(lambda: terminal.online_acked)
    await wait_until(lambda: find(hass, "number", "recognition_distance") is not None)
    await wait_until(lambda: find(hass, "select", "door_mode") is not None)

    # Read: the §9 defaults of the simulated terminal.
    assert state(hass, "select", "door_mode").state == "face_or_remote"
    assert float(state(hass, "number", "relay_hold_time").state) == 200.0
    assert float(state(hass, "number", "face_threshold").state) == 90.0
    assert float(state(hass, "number", "recognition_distance").state) == 200.0
    assert float(state(hass, "number", "temperature_alarm_threshold").state) == pytest.approx(37.3)
    assert float(state(hass, "number", "volume").state) == 90.0
    assert state(hass, "select", "temperature_unit").state == "celsius"
    assert state(hass, "switch", "fail_voice").state == STATE_ON

    # Written, and read back.
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, "door_mode", {ATTR_OPTION: "face"})
    assert terminal.door_mode == 0
    assert state(hass, "select", "door_mode").state == "face"
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "relay_hold_time", {ATTR_VALUE: 500})
    assert terminal.door_config["IOStayTime"] == 500
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "face_threshold", {ATTR_VALUE: 85})
    assert terminal.door_config["FaceThreshold"] == 85
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "recognition_distance", {ATTR_VALUE: 120})
    assert terminal.face_config["recDistance"] == 120
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "temperature_offset", {ATTR_VALUE: 0.5})
    assert terminal.temperature_config["TemperatureCheck"] == pytest.approx(0.5)
    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "volume", {ATTR_VALUE: 40})
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, "show_name", {ATTR_OPTION: "partial"})
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "fail_voice")
    sound = terminal.sound_config
    assert (sound["Volume"], sound["IsShowName"], sound["VerifyFailAudio"]) == (40, 2, 0)
    assert float(state(hass, "number", "volume").state) == 40.0
    assert state(hass, "select", "show_name").state == "partial"
    assert state(hass, "switch", "fail_voice").state == STATE_OFF

    # Refused: this terminal takes thresholds of 34-42 °C only, and answers 462.
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "temperature_alarm_threshold", {ATTR_VALUE: 44}
        )
    assert err.value.translation_key == "device_refused"
    assert "Parameter error" in str(err.value)
    assert terminal.temperature_config["TemperatureHigh"] == pytest.approx(37.3)
    assert float(state(hass, "number", "temperature_alarm_threshold").state) == pytest.approx(37.3)

    assert not terminal.protocol_violations


async def test_a_fahrenheit_terminal(
    hass: HomeAssistant, mqtt_connected: None, terminal: FaceTerminalSimulator
) -> None:
    """Switched to °F through Home Assistant: readings are labelled °F and shown right.

    The instance uses US customary units: a reading of 98.6 °F shows as 98.6 °F (labelled
    °C it would show 209.5). The alarm follows the device's threshold, the event keeps °C.
    """
    hass.config.units = US_CUSTOMARY_SYSTEM
    await add_through_the_flow(hass, "face_terminal_mqtt", DEVICE_ID)
    await wait_until(lambda: terminal.online_acked)
    await wait_until(lambda: find(hass, "select", "temperature_unit") is not None)

    await call(
        hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, "temperature_unit", {ATTR_OPTION: "fahrenheit"}
    )
    assert terminal.fahrenheit
    threshold = state(hass, "number", "temperature_alarm_threshold")
    assert threshold.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfTemperature.FAHRENHEIT
    assert float(threshold.state) == pytest.approx(99.1, abs=0.06)  # 37.3 °C
    await call(
        hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "temperature_alarm_threshold", {ATTR_VALUE: 100.4}
    )
    assert terminal.temperature_config["TemperatureHigh"] == pytest.approx(38.0)

    alarms = record_events(hass, "event.face_terminal_1305433_alarm")
    await hass.async_add_executor_job(lambda: terminal.push_record(temperature=37.0))
    await wait_until(lambda: state(hass, "sensor", "body_temperature").state not in ("unknown",))
    temperature = state(hass, "sensor", "body_temperature")
    assert temperature.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfTemperature.FAHRENHEIT
    assert float(temperature.state) == pytest.approx(98.6, abs=0.06)

    await hass.async_add_executor_job(lambda: terminal.push_record(temperature=38.5))
    await wait_until(lambda: len(alarms) == 1)
    assert alarms[0]["event_type"] == "high_temperature"
    assert alarms[0]["temperature"] == pytest.approx(38.5, abs=0.01)
    assert float(state(hass, "sensor", "body_temperature").state) == pytest.approx(101.3, abs=0.06)
    assert not terminal.protocol_violations


async def test_restart_and_firmware_upgrade(
    hass: HomeAssistant, mqtt_connected: None, terminal: FaceTerminalSimulator
) -> None:
    """The restart button restarts the terminal, which comes back with its new firmware."""
    entry_id = await add_through_the_flow(hass, "face_terminal_mqtt", DEVICE_ID)
    await wait_until(lambda: terminal.online_acked)
    await wait_until(lambda: find(hass, "sensor", "firmware") is not None)
    await wait_until(lambda: state(hass, "sensor", "firmware").state == terminal.firmware)
    online = find(hass, "binary_sensor", "online")
    assert online is not None
    await wait_until(lambda: state(hass, "binary_sensor", "online").state == STATE_ON)
    await wait_until(lambda: find(hass, "select", "door_mode") is not None)
    assert state(hass, "select", "door_mode").state == "face_or_remote"
    seen: list[str] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] == online and new is not None:
            seen.append(new.state)

    hass.bus.async_listen("state_changed", _changed)
    announcements = terminal.online_count

    # The "upgrade" takes effect with the restart; the door mode was changed on the device.
    terminal.firmware = NEW_FIRMWARE
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "reboot")
    terminal.door_mode = 1

    await wait_until(lambda: terminal.online_count > announcements)
    await wait_until(lambda: STATE_OFF in seen and seen[-1] == STATE_ON)
    await wait_until(lambda: state(hass, "sensor", "firmware").state == NEW_FIRMWARE)
    device = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)[0]
    assert device.sw_version == NEW_FIRMWARE
    # The settings are read again after the reconnection.
    await wait_until(lambda: state(hass, "select", "door_mode").state == "remote_only")
    assert not terminal.protocol_violations


async def test_camera_sound_settings_and_restart(
    hass: HomeAssistant, mqtt_connected: None, camera: CameraSimulator
) -> None:
    """The camera offers its §10.2 sound settings and a restart; nothing it lacks is asked."""
    await add_through_the_flow(hass, "camera_mqtt", CAMERA_ID)
    await wait_until(lambda: camera.online_acked)
    await wait_until(lambda: find(hass, "number", "volume", CAMERA_ID) is not None)

    assert float(state(hass, "number", "volume", CAMERA_ID).state) == 80.0
    assert state(hass, "switch", "success_voice", CAMERA_ID).state == STATE_ON
    assert find(hass, "select", "door_mode", CAMERA_ID) is None
    assert find(hass, "select", "temperature_unit", CAMERA_ID) is None

    await call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, "volume", {ATTR_VALUE: 30}, CAMERA_ID)
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, "success_voice", device_id=CAMERA_ID)
    assert camera.sound_config == {"VerifySuccAudio": 0, "Volume": 30}
    assert float(state(hass, "number", "volume", CAMERA_ID).state) == 30.0
    assert state(hass, "switch", "success_voice", CAMERA_ID).state == STATE_OFF

    announcements = camera.online_count
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, "reboot", device_id=CAMERA_ID)
    await wait_until(lambda: camera.online_count > announcements)
    await wait_until(lambda: camera.online_acked)

    # Neither door, temperature nor face commands reached the camera, and none was unknown.
    assert camera.protocol_violations == []
    assert camera.unhandled_commands == []
