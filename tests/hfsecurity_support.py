"""A simulated device of the MQTT family and its clients, for tests over real sockets.

The clients (`HFSecurityMqttClient`) talk through Home Assistant's MQTT integration to an amqtt
broker, where the simulated face terminal or camera (simulators/) answers as its document says.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Protocol

from homeassistant.core import HomeAssistant

from custom_components.face_access.mqtt_transport import HassMqttTransport
from custom_components.face_access.protocols.hfsecurity_mqtt import (
    FACE_TERMINAL,
    HFSecurityMqttClient,
    MqttVariant,
)
from custom_components.face_access.protocols.model import DeviceMessage
from simulators.broker import Broker
from simulators.camera_mqtt import CameraSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator

from .e2e import variant_simulator

type Simulator = FaceTerminalSimulator | CameraSimulator


class DeviceRig:
    """One simulated device, the clients of it still running, and every message they passed on."""

    def __init__(self, hass: HomeAssistant, sim: Simulator, variant: MqttVariant) -> None:
        """Hold `sim` (not started yet) of `variant`."""
        self.hass = hass
        self.sim = sim
        self.variant = variant
        self.messages: list[DeviceMessage] = []
        self.clients: list[HFSecurityMqttClient] = []  # built and not stopped, oldest first

    def new_client(self) -> HFSecurityMqttClient:
        """Build a client of the device that passes its messages to `messages` (not started).

        It waits for the broker to confirm its subscriptions, as the integration's clients do.
        """
        client = HFSecurityMqttClient(
            HassMqttTransport(self.hass, confirm_subscriptions=True),
            self.sim.device_id,
            variant=self.variant,
        )
        client.subscribe(self.messages.append)
        self.clients.append(client)
        return client

    async def start(self) -> None:
        """Start the simulated device (it connects to the broker and says `Online`)."""
        await self.hass.async_add_executor_job(self.sim.start)

    async def stop_clients(self) -> None:
        """Stop every client: Home Assistant is away, nobody listens or acknowledges."""
        while self.clients:
            await self.clients.pop().stop()

    async def close(self) -> None:
        """Stop the clients, then the simulated device."""
        await self.stop_clients()
        await self.hass.async_add_executor_job(self.sim.stop)

    def commands(self, operator: str) -> list[dict[str, Any]]:
        """Return every `operator` command the device received, in order."""
        return [c for c in self.sim.received if c.get("operator") == operator]


class MakeRig[R: DeviceRig](Protocol):
    """Builds and starts a rig of the simulated device of `variant`.

    `options` are further constructor arguments of the simulator (see `variant_simulator`).
    """

    def __call__(self, variant: MqttVariant = ..., **options: Any) -> Awaitable[R]:
        """Return the started rig."""
        ...


def rig_fixture[R: DeviceRig](
    build: Callable[[HomeAssistant, Simulator, MqttVariant], R],
) -> Callable[[HomeAssistant, None, Broker], AsyncGenerator[MakeRig[R]]]:
    """Return a `make_rig` fixture function (for `pytest.fixture`) that builds rigs with `build`.

    The fixture is an async factory of started rigs on a real broker, with Home Assistant's
    MQTT connected to it; after the test every rig is closed, its clients before its device.
    """

    async def make_rig(
        hass: HomeAssistant, mqtt_connected: None, broker: Broker
    ) -> AsyncGenerator[MakeRig[R]]:
        """Return an async factory of started rigs; stops every client, then every simulator."""
        rigs: list[R] = []

        async def make(variant: MqttVariant = FACE_TERMINAL, **options: Any) -> R:
            rig = build(hass, variant_simulator(broker, variant, **options), variant)
            rigs.append(rig)
            await rig.start()
            return rig

        yield make
        for rig in rigs:
            await rig.close()

    return make_rig
