"""Tests of the device triggers: which a device offers, and automations that use them.

Automations are real ones (Home Assistant's automation integration), fed by records that
go through the integration the way the device sends them (MQTT, a face terminal).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_get_device_automations,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient, WebSocketGenerator

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.model import AnalyticsKind
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
    terminal_entry,
)
from tests.test_logbook import card_push

REC_TOPIC = f"{PREFIX}/{DEVICE_ID}/Rec"
SNAP_TOPIC = f"{PREFIX}/{DEVICE_ID}/Snap"
TERMINAL_TRIGGERS = [
    "recognized",
    "stranger",
    "denied",
    "high_temperature",
    "no_mask",
    "card",
    "qr_code",
    "id_card",
]
"""What a face terminal reports: no door sensor (door_alarm), no camera analytics."""


@pytest.fixture
async def terminal(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> str:
    """A face terminal, set up and answering; its Home Assistant device id."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    return ha_device_id(hass)


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    """The calls of the `test.automation` action the automations run."""
    return async_mock_service(hass, "test", "automation")


async def add_automation(
    hass: HomeAssistant, device_id: str, trigger_type: str, **extra: Any
) -> None:
    """Add an automation whose device trigger is `trigger_type` (plus `extra` fields).

    Its action records who and what fired it, as an automation author would template it.
    """
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "triggers": [
                        {
                            "trigger": "device",
                            "domain": DOMAIN,
                            "device_id": device_id,
                            "type": trigger_type,
                            **extra,
                        }
                    ],
                    "actions": [
                        {
                            "action": "test.automation",
                            "data": {
                                "type": "{{ trigger.type }}",
                                "person": "{{ trigger.event.data.person_name }}",
                                "temperature": "{{ trigger.event.data.temperature }}",
                                "card": "{{ trigger.event.data.card_number }}",
                            },
                        }
                    ],
                }
            ]
        },
    )


async def test_a_terminal_offers_its_event_types(hass: HomeAssistant, terminal: str) -> None:
    """The automation editor lists one trigger per event type of the terminal's entities."""
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, terminal)

    ours = [trigger for trigger in triggers if trigger["domain"] == DOMAIN]
    assert [trigger["type"] for trigger in ours] == TERMINAL_TRIGGERS
    assert all(
        trigger
        == {
            "platform": "device",
            "domain": DOMAIN,
            "device_id": terminal,
            "type": trigger["type"],
            "metadata": {},
        }
        for trigger in ours
    )


async def test_a_camera_offers_analytics_but_no_cards(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A network camera has camera analytics, no card reader and no thermometer."""
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass, terminal_entry(protocol="camera_mqtt"))
    device_id = ha_device_id(hass)

    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device_id)

    assert [trigger["type"] for trigger in triggers if trigger["domain"] == DOMAIN] == [
        "recognized",
        "stranger",
        "denied",
        "no_mask",
        *(kind.value for kind in AnalyticsKind),
    ]


async def test_only_triggers_about_a_person_take_one(
    hass: HomeAssistant, terminal: str, hass_ws_client: WebSocketGenerator
) -> None:
    """The editor shows the optional person field on triggers about a person, and only there."""
    assert await async_setup_component(hass, "device_automation", {})
    client = await hass_ws_client()

    async def extra_fields(trigger_type: str) -> list[dict[str, Any]]:
        """Return the extra fields the editor shows for a trigger type."""
        await client.send_json_auto_id(
            {
                "type": "device_automation/trigger/capabilities",
                "trigger": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": terminal,
                    "type": trigger_type,
                },
            }
        )
        response = await client.receive_json()
        assert response["success"], response
        fields: list[dict[str, Any]] = response["result"].get("extra_fields", [])
        return fields

    assert await extra_fields("recognized") == [
        {"name": "person", "optional": True, "required": False, "type": "string"}
    ]
    assert await extra_fields("card") == []


async def test_recognized_fires_the_automation(
    hass: HomeAssistant, terminal: str, calls: list[ServiceCall]
) -> None:
    """A recognition runs the automation once, with who and their temperature; others do not."""
    await add_automation(hass, terminal, "recognized")

    fire(hass, SNAP_TOPIC, str_snap_push("311"))
    fire(hass, REC_TOPIC, rec_push("382", PersonType="1"))
    await settle(hass)
    assert calls == []

    fire(hass, REC_TOPIC, rec_push("381", persionName="Ada Lovelace", temperature="36.4"))
    await settle(hass)

    assert [call.data for call in calls] == [
        {"type": "recognized", "person": "Ada Lovelace", "temperature": 36.4, "card": ""}
    ]
    # A re-sent record runs nothing more.
    fire(hass, REC_TOPIC, rec_push("381", persionName="Ada Lovelace", temperature="36.4"))
    await settle(hass)
    assert len(calls) == 1


@pytest.mark.parametrize("person", ["E012", "ada lovelace"], ids=["person-id", "name"])
async def test_person_filter(
    hass: HomeAssistant, terminal: str, calls: list[ServiceCall], person: str
) -> None:
    """A trigger for one person (their ID on the device, or their name) ignores everyone else."""
    await add_automation(hass, terminal, "recognized", person=person)

    fire(hass, REC_TOPIC, rec_push("380", persionName="Grace", customId="E013"))
    await settle(hass)
    assert calls == []

    fire(hass, REC_TOPIC, rec_push("381", persionName="Ada Lovelace", customId="E012"))
    await settle(hass)
    assert [call.data["person"] for call in calls] == ["Ada Lovelace"]


async def test_high_temperature_trigger(
    hass: HomeAssistant, terminal: str, calls: list[ServiceCall]
) -> None:
    """A fever runs the high-temperature automation; a normal temperature does not."""
    await add_automation(hass, terminal, "high_temperature")

    fire(hass, REC_TOPIC, rec_push("380", temperature="36.5", temperatureAlarm="0"))
    await settle(hass)
    assert calls == []
    fire(hass, REC_TOPIC, rec_push("381", temperature="38.2", temperatureAlarm="1"))
    await settle(hass)

    assert [call.data for call in calls] == [
        {"type": "high_temperature", "person": "Ada", "temperature": 38.2, "card": ""}
    ]


async def test_card_trigger(hass: HomeAssistant, terminal: str, calls: list[ServiceCall]) -> None:
    """A card swipe runs the card automation, which gets the card number; a QR code does not."""
    await add_automation(hass, terminal, "card")

    fire(
        hass,
        f"{PREFIX}/{DEVICE_ID}/QRcode",
        {
            "operator": "QRCodePush",
            "info": {"facesluiceId": DEVICE_ID, "QRCodeInfo": "x", "time": "2026-11-20 20:52:51"},
        },
    )
    await settle(hass)
    assert calls == []
    fire(hass, f"{PREFIX}/{DEVICE_ID}/card", card_push("86664719"))
    await settle(hass)

    assert [call.data for call in calls] == [
        {"type": "card", "person": "", "temperature": "", "card": 86664719}
    ]


async def test_the_trigger_works_with_the_event_entity_disabled(
    hass: HomeAssistant, terminal: str, calls: list[ServiceCall]
) -> None:
    """Disabling the access event entity keeps the device's triggers and their automations."""
    registry = er.async_get(hass)
    access = registry.async_get_entity_id("event", DOMAIN, f"{DEVICE_ID}_access")
    assert access is not None
    registry.async_update_entity(access, disabled_by=er.RegistryEntryDisabler.USER)
    await settle(hass)
    await add_automation(hass, terminal, "stranger")

    fire(hass, SNAP_TOPIC, str_snap_push("311"))
    await settle(hass)

    assert [call.data["type"] for call in calls] == ["stranger"]


@pytest.mark.parametrize(
    ("trigger_type", "extra"),
    [("door_alarm", {}), ("tripwire", {}), ("card", {"person": "Ada"}), ("no_such_type", {})],
    ids=["no-door-sensor", "no-analytics", "card-has-no-person", "unknown-type"],
)
async def test_invalid_triggers_are_refused(
    hass: HomeAssistant, terminal: str, trigger_type: str, extra: dict[str, str]
) -> None:
    """A trigger the device cannot fire is refused when the automation loads, not left dead."""
    await add_automation(hass, terminal, trigger_type, **extra)

    (state,) = hass.states.async_all(automation.DOMAIN)
    assert state.state == "unavailable"
