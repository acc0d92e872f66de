"""Tests of setting up and unloading a device, the MQTT repair issue and the device registry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
import logging
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient, MqttMockPahoClient

from custom_components.face_access.const import CONF_HEARTBEAT_INTERVAL, CONF_SYNC_TIME, DOMAIN
from custom_components.face_access.protocols.hfsecurity_mqtt import HFSecurityMqttClient
from tests.common import (
    DEVICE_ID,
    DEVICE_IP,
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
    wait_for_mqtt,
)

LAST_PERSON = f"sensor.face_terminal_{DEVICE_ID}_last_person"
CONNECTIVITY = f"binary_sensor.face_terminal_{DEVICE_ID}_connectivity"


async def test_setup_and_unload(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """A device sets up, subscribes to its topics, and stops listening once unloaded."""
    FakeTerminal(hass, mqtt_mock)
    entry = await setup_entry(hass)

    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CONNECTIVITY).state == "on"
    fire(hass, f"{PREFIX}/{DEVICE_ID}/Rec", rec_push())
    await hass.async_block_till_done()
    assert hass.states.get(LAST_PERSON).state == "Ada"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(LAST_PERSON).state == STATE_UNAVAILABLE
    mqtt_mock.async_publish.reset_mock()
    fire(hass, f"{PREFIX}/{DEVICE_ID}/Rec", rec_push("382", persionName="Grace"))
    await settle(hass)
    assert published(mqtt_mock, "PushAck") == []
    assert hass.states.get(LAST_PERSON).state == STATE_UNAVAILABLE


async def test_setup_waits_for_mqtt_with_a_repair_issue(
    hass: HomeAssistant,
    mqtt_client_mock: MqttMockPahoClient,
    issue_registry: ir.IssueRegistry,
    mock_hass_config: None,
) -> None:
    """Without MQTT the entry retries and a repair issue says why; both clear once MQTT works."""
    entry = terminal_entry()
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)

    assert entry.state is ConfigEntryState.SETUP_RETRY
    issue_id = f"mqtt_not_available_{entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "mqtt_not_available"
    assert issue.translation_placeholders == {"name": f"Face terminal {DEVICE_ID}"}

    mqtt_entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        data={mqtt.CONF_BROKER: "mock-broker", "protocol": "5"},
        options={mqtt.CONF_BIRTH_MESSAGE: {}},
        version=1,
        minor_version=2,
    )
    mqtt_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
    await wait_for_mqtt(hass, hass.async_block_till_done())
    # The retry that Home Assistant scheduled (in the background) finds MQTT now.
    settled = asyncio.Event()
    entry.async_on_state_change(
        lambda: entry.state is not ConfigEntryState.SETUP_IN_PROGRESS and settled.set()
    )
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    await wait_for_mqtt(hass, settled.wait())

    assert entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_removing_a_waiting_entry_removes_its_issue(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    """The repair issue does not outlive the device it is about."""
    entry = terminal_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    issue_id = f"mqtt_not_available_{entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_online_is_answered_then_the_clock_set(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """`Online` gets `Online-Ack` on the device's topic (never retained), then `SetSysTime`."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    mqtt_mock.async_publish.reset_mock()

    fire(hass, f"{PREFIX}/basic", online())
    await settle(hass)

    operators = [message["operator"] for message in published(mqtt_mock)]
    assert "Online-Ack" in operators
    assert "SetSysTime" in operators
    assert operators.index("Online-Ack") < operators.index("SetSysTime")
    (ack,) = published(mqtt_mock, "Online-Ack")
    assert ack["_topic"] == f"{PREFIX}/{DEVICE_ID}"
    assert ack["_retain"] is False
    assert ack["info"]["facesluiceId"] == DEVICE_ID
    assert ack["info"]["result"] == "ok"
    (set_time,) = published(mqtt_mock, "SetSysTime")
    assert set_time["_retain"] is False
    sent = dt_util.parse_datetime(set_time["info"]["SysTime"])
    assert sent is not None
    now = dt_util.now().replace(tzinfo=None)
    assert abs((now - sent).total_seconds()) < 5


async def test_online_of_another_device_is_not_answered(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Devices share `mqtt/face/basic`: another device's `Online` is not ours to answer."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    mqtt_mock.async_publish.reset_mock()

    fire(hass, f"{PREFIX}/basic", online("9999999"))
    await settle(hass)

    # Neither answered nor taken for our terminal's return (our own terminal's background
    # reads, started at set-up, may still go out to it).
    assert published(mqtt_mock, "Online-Ack") == []
    assert published(mqtt_mock, "SetSysTime") == []
    assert [m for m in published(mqtt_mock) if m["_topic"] != f"{PREFIX}/{DEVICE_ID}"] == []


async def test_time_sync_can_be_turned_off(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """With the option off, the device's clock is left alone."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass, terminal_entry(**{CONF_SYNC_TIME: False}))

    fire(hass, f"{PREFIX}/basic", online())
    await settle(hass)

    assert len(published(mqtt_mock, "Online-Ack")) == 1
    assert published(mqtt_mock, "SetSysTime") == []


async def test_device_registry_shows_firmware_and_address(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The firmware comes from the `Versions` answer, the web address from `Online`."""
    FakeTerminal(hass, mqtt_mock)
    entry = await setup_entry(hass)

    device = find_device(hass)
    assert device is not None
    assert device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert device.manufacturer == "HFSecurity"
    assert device.name == f"Face terminal {DEVICE_ID}"
    assert device.serial_number == DEVICE_ID
    assert device.sw_version == FIRMWARE
    assert device.configuration_url is None

    fire(hass, f"{PREFIX}/basic", online())
    await hass.async_block_till_done()

    device = find_device(hass)
    assert device is not None
    assert device.configuration_url == f"http://{DEVICE_IP}"
    assert device.sw_version == FIRMWARE


async def test_setup_with_a_silent_device(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """A device that is off when Home Assistant starts: set up, shown offline until `Online`."""
    FakeTerminal(hass, mqtt_mock).silence("Versions")
    entry = await setup_entry(hass)

    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CONNECTIVITY).state == "off"
    assert hass.states.get(LAST_PERSON).state == STATE_UNAVAILABLE

    fire(hass, f"{PREFIX}/basic", online())
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == "on"
    assert hass.states.get(LAST_PERSON).state == "unknown"


async def test_a_device_that_never_answers_stays_offline(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, caplog: pytest.LogCaptureFixture
) -> None:
    """When the device does not describe itself, it stays offline, quietly, until it speaks."""
    FakeTerminal(hass, mqtt_mock).silence("Versions")
    with patch(
        "custom_components.face_access.protocols.hfsecurity_mqtt.HFSecurityMqttClient",
        partial(HFSecurityMqttClient, command_timeout=0.05),
    ):
        entry = await setup_entry(hass)
    await asyncio.sleep(0.3)  # the Versions query times out
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CONNECTIVITY).state == "off"
    assert len(published(mqtt_mock, "Versions")) == 1
    assert not [
        r for r in caplog.records if r.levelno >= logging.WARNING and "face_access" in r.name
    ]

    fire(
        hass, f"{PREFIX}/heartbeat", {"operator": "HeartBeat", "info": {"facesluiceId": DEVICE_ID}}
    )
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == "on"


async def test_changed_options_apply_after_the_reload(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Turning time sync off in the options reloads the device, which then leaves the clock."""
    FakeTerminal(hass, mqtt_mock)
    entry = await setup_entry(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    await wait_for_mqtt(
        hass,
        hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_HEARTBEAT_INTERVAL: 30, CONF_SYNC_TIME: False}
        ),
    )
    await wait_for_mqtt(hass, hass.async_block_till_done())
    assert entry.state is ConfigEntryState.LOADED
    mqtt_mock.async_publish.reset_mock()

    fire(hass, f"{PREFIX}/basic", online())
    await settle(hass)

    assert len(published(mqtt_mock, "Online-Ack")) == 1
    assert published(mqtt_mock, "SetSysTime") == []
