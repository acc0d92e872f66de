"""The face terminal's body-temperature measurement as a setting, over real sockets.

Face-terminal-mqtt v1.24 §9.3: the door's `VerifyMode` is a base mode ORed with 0x100 (mask
detection) and 0x200 (temperature detection); records carry a temperature only when the
flag is on (§5 L1354). The client offers it as `SettingKey.TEMPERATURE_MEASUREMENT` on a
terminal that answers `GetTPTconfig` (§9.5), a temperature model.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.face_access.mqtt_transport import HassMqttTransport
from custom_components.face_access.protocols.hfsecurity_mqtt import (
    CAMERA,
    FACE_TERMINAL,
    HFSecurityMqttClient,
)
from custom_components.face_access.protocols.model import (
    InvalidRequestError,
    SettingKey,
    SettingKind,
)
from simulators.broker import Broker
from simulators.camera_mqtt import CameraSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator

from .e2e import wait_until

KEY = SettingKey.TEMPERATURE_MEASUREMENT


@pytest.fixture
async def terminal(
    hass: HomeAssistant, mqtt_connected: None, broker: Broker
) -> AsyncGenerator[tuple[FaceTerminalSimulator, HFSecurityMqttClient]]:
    """A simulated temperature terminal and a started client of it."""
    sim = FaceTerminalSimulator(broker.host, broker.port, "1305433", online_repeat_interval=1.0)
    client = HFSecurityMqttClient(
        HassMqttTransport(hass, confirm_subscriptions=True), sim.device_id, variant=FACE_TERMINAL
    )
    await client.start()
    await hass.async_add_executor_job(sim.start)
    await wait_until(lambda: sim.online_acked)
    yield sim, client
    await client.stop()
    await hass.async_add_executor_job(sim.stop)


async def test_measurement_is_the_verify_modes_temperature_flag(terminal: Any) -> None:
    sim, client = terminal
    sim.verify_mode = 0x301  # mask + temperature + face list (769, L1988)

    setting = (await client.read_settings())[KEY]
    assert (setting.kind, setting.value) == (SettingKind.SWITCH, True)

    found = await client.write_setting(KEY, False)

    assert found[KEY].value is False
    assert sim.verify_mode == 0x101  # the mask check and the base stay
    await client.write_setting(KEY, True)
    assert sim.verify_mode == 0x301


async def test_temperature_alone_cannot_be_switched_off(terminal: Any) -> None:
    """VerifyMode 517 (temperature alone, base 5) without its flag would check nothing."""
    sim, client = terminal
    sim.verify_mode = 0x205
    await client.read_settings()

    with pytest.raises(InvalidRequestError, match="517"):
        await client.write_setting(KEY, False)

    assert sim.verify_mode == 0x205


async def test_terminal_without_temperature_settings_offers_no_switch(terminal: Any) -> None:
    """A terminal that does not answer `GetTPTconfig` is no temperature model."""
    sim, client = terminal
    sim.refuse_next("GetTPTconfig", 464, "unknown operator")

    settings = await client.read_settings()

    assert SettingKey.DOOR_MODE in settings
    assert KEY not in settings
    with pytest.raises(InvalidRequestError):
        await client.write_setting(KEY, True)


async def test_camera_has_no_temperature_measurement(
    hass: HomeAssistant, mqtt_connected: None, broker: Broker
) -> None:
    sim = CameraSimulator(broker.host, broker.port, "1026700", online_repeat_interval=1.0)
    client = HFSecurityMqttClient(
        HassMqttTransport(hass, confirm_subscriptions=True), sim.device_id, variant=CAMERA
    )
    await client.start()
    await hass.async_add_executor_job(sim.start)
    try:
        await wait_until(lambda: sim.online_acked)
        assert KEY not in await client.read_settings()
    finally:
        await client.stop()
        await hass.async_add_executor_job(sim.stop)
