"""The MQTT transport the HFSecurity clients get: Home Assistant's own MQTT integration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .coordinator import FaceAccessConfigEntry

QOS = 1
# How long a subscription may take to reach the broker before we carry on regardless.
SUBSCRIBE_TIMEOUT = 5.0


class HassMqttTransport:
    """Subscribe and publish through Home Assistant's MQTT integration (never our own client).

    Commands are published with QoS 1 and never retained: a retained `Unlock` would open the
    door again each time the device reconnects (face_terminal_mqtt digest §2.5).
    """

    def __init__(self, hass: HomeAssistant, *, confirm_subscriptions: bool = False) -> None:
        """Keep Home Assistant; see `subscribe` for `confirm_subscriptions`."""
        self._hass = hass
        self._confirm = confirm_subscriptions

    async def subscribe(
        self, topic: str, callback_: Callable[[str, str | bytes | bytearray], None]
    ) -> Callable[[], None]:
        """Subscribe `callback_(topic, payload)` to a topic filter; return the unsubscriber.

        With `confirm_subscriptions` (for a client that sends a command right away) it returns once
        the broker has the subscription, because Home Assistant batches subscriptions and the
        answer could otherwise arrive before anyone listens for it.
        """

        @callback
        def _on_message(msg: mqtt.ReceiveMessage) -> None:
            callback_(msg.topic, msg.payload)

        # Raw bytes (encoding None): Home Assistant drops a payload that is not UTF-8 with a
        # warning that quotes it, so a record whose name is in a legacy code page would be
        # lost and its content logged; the protocol's codec decodes tolerantly instead.
        subscribe = partial(
            mqtt.async_subscribe, self._hass, topic, _on_message, qos=QOS, encoding=None
        )
        if not self._confirm:
            return await subscribe()
        subscribed = asyncio.Event()
        stop_watching = mqtt.async_on_subscribe_done(self._hass, topic, QOS, subscribed.set)
        try:
            unsubscribe = await subscribe()
            if mqtt.is_connected(self._hass):
                try:
                    async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
                        await subscribed.wait()
                except TimeoutError:
                    pass  # a slow broker: commands still time out on their own if it matters
        finally:
            stop_watching()
        return unsubscribe

    async def publish(self, topic: str, payload: str) -> None:
        """Publish one command (QoS 1, not retained)."""
        await mqtt.async_publish(self._hass, topic, payload, qos=QOS, retain=False)


def mqtt_issue_id(entry: FaceAccessConfigEntry) -> str:
    """Return the ID of the entry's "MQTT is needed" repair issue."""
    return f"mqtt_not_available_{entry.entry_id}"


async def async_require_mqtt(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Wait for Home Assistant's MQTT client, or raise ConfigEntryNotReady.

    Without MQTT a repair issue says what to set up; it goes once MQTT is there.
    """
    if not await mqtt.async_wait_for_mqtt_client(hass):
        ir.async_create_issue(
            hass,
            DOMAIN,
            mqtt_issue_id(entry),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="mqtt_not_available",
            translation_placeholders={"name": entry.title},
        )
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_not_available")
    ir.async_delete_issue(hass, DOMAIN, mqtt_issue_id(entry))
