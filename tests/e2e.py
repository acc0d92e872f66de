"""Shared set-up of the end-to-end tests: a real broker, Home Assistant's MQTT, the flow.

Nothing is mocked between a simulated device and Home Assistant: the simulator is an MQTT
client of a real broker (amqtt, its own process on 127.0.0.1), and so is Home Assistant's MQTT
integration, which the integration uses as its transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.face_access.const import DOMAIN
from simulators.broker import Broker


@pytest.fixture
def broker(socket_enabled: None) -> Generator[Broker]:
    """Run a real MQTT broker (amqtt, its own process) on a free 127.0.0.1 port."""
    with Broker() as running:
        yield running


async def wait_until(condition: Callable[[], bool], within: float = 15.0) -> None:
    """Wait on the event loop until `condition` holds.

    Polling, because the conditions are about other processes and threads (the broker, the
    simulator's network thread) that cannot set an asyncio event.
    """
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


@pytest.fixture
async def mqtt_connected(hass: HomeAssistant, broker: Broker) -> AsyncGenerator[None]:
    """Set up Home Assistant's MQTT integration against the real broker."""
    entry = MockConfigEntry(domain=mqtt.DOMAIN, data={"broker": broker.host, "port": broker.port})
    entry.add_to_hass(hass)
    with patch("homeassistant.config.load_yaml_config_file", return_value={}):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    await wait_until(lambda: mqtt.is_connected(hass))
    yield
    await hass.config_entries.async_unload(entry.entry_id)


async def add_through_the_flow(hass: HomeAssistant, protocol: str, device_id: str) -> str:
    """Add a device as a user would: menu, then device ID (the flow asks the device)."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": protocol}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"device_id": device_id, "topic_prefix": "mqtt/face"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry_id: str = result["result"].entry_id
    await hass.async_block_till_done()
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED
    return entry_id


def record_events(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    """Collect the attributes of every event an event entity fires from now on."""
    fired: list[dict[str, Any]] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] == entity_id and new and new.attributes.get("event_type"):
            fired.append(dict(new.attributes))

    hass.bus.async_listen("state_changed", _changed)
    return fired
