"""Shared fixtures of the Face Access tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

# Imported before Home Assistant starts, or the harness's own `custom_components` package
# shadows ours ("Integration not found").
import custom_components.face_access  # noqa: F401

# The end-to-end fixtures (real broker, Home Assistant's MQTT integration).
pytest_plugins = ["tests.e2e"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let the loader see custom_components/ in every test."""


@pytest.fixture
async def mqtt_mock(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> AsyncGenerator[MqttMockHAClient]:
    """The harness's mocked MQTT, its one-second "misc" timer run out after the test.

    Home Assistant's MQTT client polls every second while its socket is open, and the mocked
    socket never closes: a test that does not move time on leaves that timer behind, which
    the harness fails from pytest-homeassistant-custom-component 0.13.375 on.
    """
    yield mqtt_mock
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
