"""The MQTT transport the HFSecurity clients get: Home Assistant's own MQTT integration."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback


class HassMqttTransport:
    """Subscribe and publish through Home Assistant's MQTT integration (never our own client).

    Commands are published with QoS 1 and never retained: a retained `Unlock` would open the
    door again each time the device reconnects (face_terminal_mqtt digest §2.5).
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Keep Home Assistant."""
        self._hass = hass

    async def subscribe(
        self, topic: str, callback_: Callable[[str, str | bytes | bytearray], None]
    ) -> Callable[[], None]:
        """Subscribe `callback_(topic, payload)` to a topic filter; return the unsubscriber."""

        @callback
        def _on_message(msg: mqtt.ReceiveMessage) -> None:
            callback_(msg.topic, msg.payload)

        return await mqtt.async_subscribe(self._hass, topic, _on_message, qos=1)

    async def publish(self, topic: str, payload: str) -> None:
        """Publish one command (QoS 1, not retained)."""
        await mqtt.async_publish(self._hass, topic, payload, qos=1, retain=False)
