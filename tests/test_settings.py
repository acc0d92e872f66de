"""Settings entities, the restart button and the firmware sensor, with a fake MQTT terminal.

The fake answers `Get<group>` with the fields it holds and applies `Up<group>` to them, as
face-terminal-mqtt v1.24 §9.2, §9.3, §9.5 and §9.10 describe; what Home Assistant shows is
what the device read back.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from unittest.mock import patch

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
    EVENT_STATE_CHANGED,
    SERVICE_TURN_OFF,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    EntityCategory,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, MqttMockHAClient

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.hfsecurity_mqtt import HFSecurityMqttClient
from tests.common import (
    DEVICE_ID,
    FIRMWARE,
    PREFIX,
    FakeTerminal,
    find_device,
    fire,
    online,
    published,
    rec_push,
    settle,
    setup_entry,
    terminal_entry,
)

REC_TOPIC = f"{PREFIX}/{DEVICE_ID}/Rec"


class ConfigurableTerminal:
    """The settings half of a face terminal, on top of a FakeTerminal.

    `groups` holds each group's fields as the device reports them (strings, as the
    terminal's examples write them); `Up<group>` changes the fields it names.
    """

    def __init__(self, terminal: FakeTerminal, groups: dict[str, dict[str, str]]) -> None:
        """Answer the settings commands of every group in `groups`."""
        self.terminal = terminal
        self.groups = groups
        for stem in groups:
            terminal.reply(f"Get{stem}", lambda _request, stem=stem: dict(self.groups[stem]))
            terminal.reply(f"Up{stem}", lambda request, stem=stem: self._update(stem, request))

    def _update(self, stem: str, request: dict[str, Any]) -> dict[str, Any]:
        """Apply an `Up<group>` to the group's fields; the ack carries nothing more."""
        info = request.get("info") or {}
        for key, value in info.items():
            if key in self.groups[stem]:
                self.groups[stem][key] = str(value)
        return {}


def terminal_groups() -> dict[str, dict[str, str]]:
    """Return a temperature terminal's settings, as the §9 examples show them."""
    return {
        "Doorconfig": {
            "OpendoorWay": "2",
            "FaceThreshold": "90",
            "VerifyMode": "513",
            "IOStayTime": "200",
        },
        "TPTconfig": {
            "TemperatureMode": "0",
            "TemperatureCheck": "0.00",
            "TemperatureHigh": "37.30",
            "Distance": "350",
        },
        "Soundconfig": {
            "VerifySuccAudio": "1",
            "VerifyFailAudio": "1",
            "Volume": "90",
            "IsShowName": "1",
        },
        "Faceconfig": {"recDistance": "200", "faceMinPixel": "124"},
    }


@pytest.fixture
async def device(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> ConfigurableTerminal:
    """A temperature face terminal with settings, set up and its settings read."""
    configurable = ConfigurableTerminal(FakeTerminal(hass, mqtt_mock), terminal_groups())
    await setup_entry(hass)
    await settle(hass)
    return configurable


def entity_id(hass: HomeAssistant, platform: str, key: str, device_id: str = DEVICE_ID) -> str:
    """Return the entity id of the device's entity `key` on `platform`."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{device_id}_{key}")
    assert found is not None, f"no {platform} {key}"
    return found


def state(hass: HomeAssistant, platform: str, key: str, device_id: str = DEVICE_ID) -> State:
    """Return the state of the device's entity `key` on `platform`."""
    current = hass.states.get(entity_id(hass, platform, key, device_id))
    assert current is not None
    return current


async def test_settings_entities_show_what_the_device_reports(
    hass: HomeAssistant, device: ConfigurableTerminal, entity_registry: er.EntityRegistry
) -> None:
    """Each setting the terminal reports becomes a config entity showing its value."""
    assert state(hass, "select", "door_mode").state == "face_or_remote"
    assert state(hass, "select", "door_mode").attributes["options"] == [
        "face",
        "remote_only",
        "face_or_remote",
        "face_then_remote",
    ]
    relay = state(hass, "number", "relay_hold_time")
    assert (float(relay.state), relay.attributes[ATTR_UNIT_OF_MEASUREMENT]) == (200.0, "ms")
    assert float(state(hass, "number", "face_threshold").state) == 90.0
    assert state(hass, "number", "face_threshold").attributes["min"] == 50
    assert state(hass, "number", "face_threshold").attributes["max"] == 100
    distance = state(hass, "number", "recognition_distance")
    assert (float(distance.state), distance.attributes[ATTR_UNIT_OF_MEASUREMENT]) == (200.0, "cm")
    threshold = state(hass, "number", "temperature_alarm_threshold")
    assert float(threshold.state) == pytest.approx(37.3)
    assert threshold.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfTemperature.CELSIUS
    assert float(state(hass, "number", "temperature_offset").state) == 0.0
    assert state(hass, "select", "temperature_unit").state == "celsius"
    assert float(state(hass, "number", "volume").state) == 90.0
    assert state(hass, "select", "show_name").state == "shown"
    assert state(hass, "switch", "success_voice").state == STATE_ON
    assert state(hass, "switch", "fail_voice").state == STATE_ON
    for platform, key in (("select", "door_mode"), ("number", "volume"), ("switch", "fail_voice")):
        entry = entity_registry.async_get(entity_id(hass, platform, key))
        assert entry is not None
        assert entry.entity_category is EntityCategory.CONFIG
    # §9.3: measurement is the door's VerifyMode flag 0x200 (513 = face list + temperature).
    assert state(hass, "switch", "temperature_measurement").state == STATE_ON


async def test_a_setting_the_device_lacks_has_no_entity(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_registry: er.EntityRegistry
) -> None:
    """Firmware without face config (refused) and without a volume gets neither entity."""
    groups = terminal_groups()
    del groups["Soundconfig"]["Volume"]
    terminal = FakeTerminal(hass, mqtt_mock)
    ConfigurableTerminal(terminal, groups)
    terminal.refuse("GetFaceconfig", "Unsupported operator GetFaceconfig", "400")
    await setup_entry(hass)
    await settle(hass)

    assert state(hass, "select", "door_mode").state == "face_or_remote"
    for key in ("recognition_distance", "volume"):
        assert entity_registry.async_get_entity_id("number", DOMAIN, f"{DEVICE_ID}_{key}") is None


async def test_the_camera_is_asked_only_what_its_document_has(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_registry: er.EntityRegistry
) -> None:
    """camera_mqtt §10.2: volume and the success voice; no door, temperature or face config."""
    terminal = FakeTerminal(hass, mqtt_mock)
    ConfigurableTerminal(terminal, {"Soundconfig": {"VerifySuccAudio": "0", "Volume": "80"}})
    await setup_entry(hass, terminal_entry(protocol="camera_mqtt"))
    await settle(hass)

    asked = {m["operator"] for m in published(mqtt_mock)}
    assert "GetSoundconfig" in asked
    assert asked.isdisjoint({"GetDoorconfig", "GetTPTconfig", "GetFaceconfig"})
    assert float(state(hass, "number", "volume").state) == 80.0
    assert state(hass, "switch", "success_voice").state == STATE_OFF
    assert entity_registry.async_get_entity_id("select", DOMAIN, f"{DEVICE_ID}_door_mode") is None
    assert entity_registry.async_get_entity_id("switch", DOMAIN, f"{DEVICE_ID}_fail_voice") is None


WRITES = [
    # platform, key, service, service data, operator, wire field, wire value, state after
    (
        SELECT_DOMAIN,
        "door_mode",
        SERVICE_SELECT_OPTION,
        {ATTR_OPTION: "face"},
        "UpDoorconfig",
        "OpendoorWay",
        "0",
        "face",
    ),
    (
        NUMBER_DOMAIN,
        "relay_hold_time",
        SERVICE_SET_VALUE,
        {ATTR_VALUE: 500},
        "UpDoorconfig",
        "IOStayTime",
        "500",
        "500.0",
    ),
    (
        NUMBER_DOMAIN,
        "face_threshold",
        SERVICE_SET_VALUE,
        {ATTR_VALUE: 85},
        "UpDoorconfig",
        "FaceThreshold",
        "85",
        "85.0",
    ),
    (
        NUMBER_DOMAIN,
        "recognition_distance",
        SERVICE_SET_VALUE,
        {ATTR_VALUE: 120},
        "UpFaceconfig",
        "recDistance",
        "120",
        "120.0",
    ),
    (
        NUMBER_DOMAIN,
        "temperature_alarm_threshold",
        SERVICE_SET_VALUE,
        {ATTR_VALUE: 37.8},
        "UpTPTconfig",
        "TemperatureHigh",
        "37.80",
        "37.8",
    ),
    (
        NUMBER_DOMAIN,
        "temperature_offset",
        SERVICE_SET_VALUE,
        {ATTR_VALUE: -0.4},
        "UpTPTconfig",
        "TemperatureCheck",
        "-0.40",
        "-0.4",
    ),
    (
        SELECT_DOMAIN,
        "temperature_unit",
        SERVICE_SELECT_OPTION,
        {ATTR_OPTION: "fahrenheit"},
        "UpTPTconfig",
        "TemperatureMode",
        "1",
        "fahrenheit",
    ),
    (
        NUMBER_DOMAIN,
        "volume",
        SERVICE_SET_VALUE,
        {ATTR_VALUE: 40},
        "UpSoundconfig",
        "Volume",
        "40",
        "40.0",
    ),
    (
        SELECT_DOMAIN,
        "show_name",
        SERVICE_SELECT_OPTION,
        {ATTR_OPTION: "partial"},
        "UpSoundconfig",
        "IsShowName",
        "2",
        "partial",
    ),
    (
        SWITCH_DOMAIN,
        "success_voice",
        SERVICE_TURN_OFF,
        {},
        "UpSoundconfig",
        "VerifySuccAudio",
        "0",
        STATE_OFF,
    ),
    (
        SWITCH_DOMAIN,
        "fail_voice",
        SERVICE_TURN_OFF,
        {},
        "UpSoundconfig",
        "VerifyFailAudio",
        "0",
        STATE_OFF,
    ),
]


def field_group(operator: str) -> str:
    """Return the group stem of a settings command (`UpDoorconfig` -> `Doorconfig`)."""
    return operator.removeprefix("Up").removeprefix("Get")


@pytest.mark.parametrize(
    ("platform", "key", "service", "data", "operator", "field", "wire", "shown"), WRITES
)
async def test_each_setting_is_written_and_read_back(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device: ConfigurableTerminal,
    platform: str,
    key: str,
    service: str,
    data: dict[str, Any],
    operator: str,
    field: str,
    wire: str,
    shown: str,
) -> None:
    """A write sends only its field (as text, like the terminal), then reads the group back."""
    mqtt_mock.async_publish.reset_mock()

    await hass.services.async_call(
        platform, service, {ATTR_ENTITY_ID: entity_id(hass, platform, key), **data}, blocking=True
    )

    (sent,) = published(mqtt_mock, operator)
    fields = {k: v for k, v in sent["info"].items() if k != "facesluiceId"}
    assert fields == {field: wire}
    assert sent["_retain"] is False
    # Read back after the write: the last command of the group is its Get.
    group = [
        m["operator"] for m in published(mqtt_mock) if m["operator"].endswith(field_group(operator))
    ]
    assert group[-1] == "Get" + operator.removeprefix("Up")
    assert group.index(operator) < len(group) - 1
    current = state(hass, platform, key).state
    if platform == NUMBER_DOMAIN:
        assert float(current) == pytest.approx(float(shown))
    else:
        assert current == shown


async def test_a_refused_write_raises_the_devices_error(
    hass: HomeAssistant, device: ConfigurableTerminal
) -> None:
    """§9.3 L3877: 462 "Parameter error" is shown translated; the state stays as read."""
    device.terminal.refuse("UpDoorconfig", "Parameter error", "462")

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: entity_id(hass, "number", "face_threshold"), ATTR_VALUE: 70},
            blocking=True,
        )

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "device_refused"
    assert "Parameter error" in str(err.value)
    assert "462" in str(err.value)
    assert float(state(hass, "number", "face_threshold").state) == 90.0


async def test_a_write_the_device_does_not_keep_is_an_error(
    hass: HomeAssistant, device: ConfigurableTerminal
) -> None:
    """An `ok` ack whose read-back still shows the old value is not a success."""
    device.terminal.reply("UpSoundconfig", {})  # acknowledges, changes nothing

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: entity_id(hass, "switch", "success_voice")},
            blocking=True,
        )

    assert err.value.translation_key == "device_refused"
    assert state(hass, "switch", "success_voice").state == STATE_ON


async def test_a_silent_write_is_a_timeout(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """No `UpTPTconfig-Ack` in time: `device_timeout`, nothing changes."""
    terminal = FakeTerminal(hass, mqtt_mock)
    ConfigurableTerminal(terminal, terminal_groups())
    with patch(
        "custom_components.face_access.protocols.hfsecurity_mqtt.HFSecurityMqttClient",
        partial(HFSecurityMqttClient, command_timeout=0.2),
    ):
        await setup_entry(hass)
    await settle(hass)
    terminal.silence("UpTPTconfig")

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            {
                ATTR_ENTITY_ID: entity_id(hass, "number", "temperature_alarm_threshold"),
                ATTR_VALUE: 38,
            },
            blocking=True,
        )

    assert err.value.translation_key == "device_timeout"
    assert "UpTPTconfig" in str(err.value)
    assert float(state(hass, "number", "temperature_alarm_threshold").state) == pytest.approx(37.3)


async def test_settings_are_read_again_after_a_reconnect(
    hass: HomeAssistant, device: ConfigurableTerminal
) -> None:
    """Changed on the terminal's own web page while away: `Online` brings the new value."""
    device.groups["Doorconfig"]["OpendoorWay"] = "1"
    device.groups["Soundconfig"]["Volume"] = "30"

    fire(hass, f"{PREFIX}/basic", online())
    await settle(hass)

    assert state(hass, "select", "door_mode").state == "remote_only"
    assert float(state(hass, "number", "volume").state) == 30.0


async def test_settings_entities_follow_the_devices_availability(
    hass: HomeAssistant, device: ConfigurableTerminal
) -> None:
    """Offline (`Offline` will): the settings cannot be known, the entities say so."""
    fire(hass, f"{PREFIX}/basic", {"operator": "Offline", "info": {"facesluiceId": DEVICE_ID}})
    await settle(hass)

    assert state(hass, "select", "door_mode").state == STATE_UNAVAILABLE
    assert state(hass, "number", "volume").state == STATE_UNAVAILABLE


async def test_settings_entities_appear_when_a_device_first_comes_online(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_registry: er.EntityRegistry
) -> None:
    """Off at set-up: no settings yet; its first `Online` reads and adds them."""
    terminal = FakeTerminal(hass, mqtt_mock)
    terminal.silence("Versions")
    ConfigurableTerminal(terminal, terminal_groups())
    await setup_entry(hass)
    await settle(hass)
    assert entity_registry.async_get_entity_id("select", DOMAIN, f"{DEVICE_ID}_door_mode") is None

    terminal.reply("Versions", {})
    fire(hass, f"{PREFIX}/basic", online())
    await settle(hass)

    assert state(hass, "select", "door_mode").state == "face_or_remote"


async def test_a_fahrenheit_terminal_reads_in_fahrenheit(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """§9.5 `TemperatureMode` 1: readings and threshold are °F, and Home Assistant converts.

    The test instance is metric: 98.6 °F shows as 37.0 °C. Labelled °C, it would show 98.6.
    The event keeps the contract's °C, and the alarm follows the device's own threshold
    (99.5 °F) when the record carries no `temperatureAlarm`.
    """
    groups = terminal_groups()
    groups["TPTconfig"].update({"TemperatureMode": "1", "TemperatureHigh": "99.50"})
    ConfigurableTerminal(FakeTerminal(hass, mqtt_mock), groups)
    await setup_entry(hass)
    await settle(hass)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    alarm = entity_id(hass, "event", "alarm")

    fire(hass, REC_TOPIC, rec_push("381", temperature="98.60"))
    await settle(hass)

    temperature = state(hass, "sensor", "body_temperature")
    assert temperature.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfTemperature.CELSIUS
    assert float(temperature.state) == pytest.approx(37.0, abs=0.05)
    assert not [e for e in events if e.data["entity_id"] == alarm]
    threshold = state(hass, "number", "temperature_alarm_threshold")
    assert float(threshold.state) == pytest.approx(37.5, abs=0.05)  # 99.5 °F
    assert state(hass, "select", "temperature_unit").state == "fahrenheit"

    fire(hass, REC_TOPIC, rec_push("382", temperature="100.40"))
    await settle(hass)

    (fired,) = [e.data["new_state"] for e in events if e.data["entity_id"] == alarm]
    assert fired.attributes["event_type"] == "high_temperature"
    assert fired.attributes["temperature"] == pytest.approx(38.0)
    assert float(state(hass, "sensor", "body_temperature").state) == pytest.approx(38.0, abs=0.05)


async def test_the_device_threshold_decides_the_alarm(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A record without `temperatureAlarm` is judged by the device's `TemperatureHigh`."""
    groups = terminal_groups()
    groups["TPTconfig"]["TemperatureHigh"] = "37.00"
    ConfigurableTerminal(FakeTerminal(hass, mqtt_mock), groups)
    await setup_entry(hass)
    await settle(hass)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    alarm = entity_id(hass, "event", "alarm")

    fire(hass, REC_TOPIC, rec_push("381", temperature="36.90"))
    await settle(hass)
    assert not [e for e in events if e.data["entity_id"] == alarm]

    fire(hass, REC_TOPIC, rec_push("382", temperature="37.10"))
    await settle(hass)
    (fired,) = [e.data["new_state"] for e in events if e.data["entity_id"] == alarm]
    assert fired.attributes["event_type"] == "high_temperature"
    assert fired.attributes["temperature"] == pytest.approx(37.1)


async def test_the_restart_button(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device: ConfigurableTerminal,
    entity_registry: er.EntityRegistry,
) -> None:
    """A config button of class restart sends `RebootDevice` (§9.7); a refusal is shown."""
    button = entity_id(hass, "button", "reboot")
    entry = entity_registry.async_get(button)
    assert entry is not None
    assert entry.entity_category is EntityCategory.CONFIG
    assert state(hass, "button", "reboot").attributes["device_class"] == "restart"
    mqtt_mock.async_publish.reset_mock()

    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
    )

    (reboot,) = published(mqtt_mock, "RebootDevice")
    assert reboot["info"] == {}
    assert reboot["_retain"] is False

    device.terminal.refuse("RebootDevice", "busy", "461")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
        )
    assert err.value.translation_key == "device_refused"


async def test_firmware_sensor_and_sw_version_follow_an_upgrade(
    hass: HomeAssistant, device: ConfigurableTerminal, entity_registry: er.EntityRegistry
) -> None:
    """`Versions` names the firmware; after an upgrade the next `Online` brings the new one."""
    firmware = entity_id(hass, "sensor", "firmware")
    entry = entity_registry.async_get(firmware)
    assert entry is not None
    assert entry.entity_category is EntityCategory.DIAGNOSTIC
    assert state(hass, "sensor", "firmware").state == FIRMWARE

    device.terminal.reply("Versions", {"name": "v12.6.0L3M1-1.1.0"})
    fire(hass, f"{PREFIX}/basic", {"operator": "Offline", "info": {"facesluiceId": DEVICE_ID}})
    fire(hass, f"{PREFIX}/basic", online())
    await settle(hass)

    assert state(hass, "sensor", "firmware").state == "v12.6.0L3M1-1.1.0"
    registered = find_device(hass)
    assert registered is not None
    assert registered.sw_version == "v12.6.0L3M1-1.1.0"


async def test_diagnostics_show_the_settings(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, device: ConfigurableTerminal
) -> None:
    """The settings as last read are in the entry's diagnostics, for support."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    settings = diagnostics["state"]["settings"]
    assert settings["door_mode"] == "face_or_remote"
    assert settings["temperature_alarm_threshold"] == pytest.approx(37.3)
    assert settings["success_voice"] is True
