"""The Face Access integration: face-recognition access terminals and AI cameras."""

from __future__ import annotations

from homeassistant.components import mqtt
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from . import tablet
from .const import (
    CONF_DEVICE_ID,
    CONF_HEARTBEAT_INTERVAL,
    CONF_PROTOCOL,
    CONF_SOURCE_IP,
    CONF_SYNC_TIME,
    CONF_TOPIC_PREFIX,
    DOMAIN,
)
from .coordinator import FaceAccessCoordinator
from .data import FaceAccessConfigEntry, FaceAccessData
from .mqtt_transport import HassMqttTransport
from .protocols.hfsecurity_mqtt import DEFAULT_TOPIC_PREFIX, VARIANTS, HFSecurityMqttClient
from .protocols.model import ProtocolKey
from .protocols.temperature_http import DEFAULT_HEARTBEAT_INTERVAL, TemperatureHttpClient
from .services import async_setup_services

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CAMERA,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
# A tablet is offline after this long without a POST, however short its heartbeat.
TABLET_MIN_OFFLINE_AFTER = 30.0


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services once per Home Assistant instance."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> bool:
    """Set up one device."""
    protocol = ProtocolKey(entry.data[CONF_PROTOCOL])
    if protocol is ProtocolKey.TEMPERATURE_HTTP:
        await _async_start_tablet(hass, entry)
    else:
        await _async_start_mqtt_device(hass, entry, protocol)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_start_mqtt_device(
    hass: HomeAssistant, entry: FaceAccessConfigEntry, protocol: ProtocolKey
) -> None:
    """Start the client of a device of the HFSecurity MQTT family."""
    variant = VARIANTS[protocol]
    issue_id = f"mqtt_not_available_{entry.entry_id}"
    if not await mqtt.async_wait_for_mqtt_client(hass):
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="mqtt_not_available",
            translation_placeholders={"name": entry.title},
        )
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_not_available")
    ir.async_delete_issue(hass, DOMAIN, issue_id)

    coordinator = FaceAccessCoordinator(hass, entry, variant.heartbeat_interval)
    client = HFSecurityMqttClient(
        # Confirmed: the first info request goes out at once, and Home Assistant batches
        # subscriptions, so without it the answer could arrive before anyone listens.
        HassMqttTransport(hass, confirm_subscriptions=True),
        entry.data[CONF_DEVICE_ID],
        coordinator.handle_message,
        variant=variant,
        topic_prefix=entry.data.get(CONF_TOPIC_PREFIX, DEFAULT_TOPIC_PREFIX),
        now=dt_util.now,
        sync_time=entry.options.get(CONF_SYNC_TIME, True),
    )
    entry.runtime_data = FaceAccessData(protocol, client, coordinator)
    # Attached before the subscriptions exist: a message may arrive while they are confirmed.
    coordinator.attach(client)
    await client.start()
    entry.async_on_unload(client.stop)
    coordinator.refresh_info()


async def _async_start_tablet(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Start a temperature tablet: its saved command queue, then its webhook."""
    interval = int(entry.options.get(CONF_HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL))
    coordinator = FaceAccessCoordinator(
        hass, entry, interval, min_offline_after=TABLET_MIN_OFFLINE_AFTER
    )
    client = TemperatureHttpClient(
        entry.data[CONF_DEVICE_ID],
        coordinator.handle_message,
        tablet.HassQueueStore(hass, entry.entry_id),
        now=dt_util.now,
        heartbeat_interval=interval,
        offline_after=coordinator.offline_after,
        allowed_source=entry.options.get(CONF_SOURCE_IP) or None,
        sync_time=entry.options.get(CONF_SYNC_TIME, True),
    )
    entry.runtime_data = FaceAccessData(ProtocolKey.TEMPERATURE_HTTP, client, coordinator)
    coordinator.attach(client)
    await client.start()
    entry.async_on_unload(client.stop)
    # Unload callbacks run last-in first-out: the webhook goes before the client stops.
    entry.async_on_unload(tablet.async_register_webhook(hass, entry, client))
    tablet.async_watch_first_heartbeat(hass, entry, client, coordinator)


async def async_unload_entry(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> bool:
    """Unload a device."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Remove what the entry left behind: repair issues and a tablet's saved queue."""
    ir.async_delete_issue(hass, DOMAIN, f"mqtt_not_available_{entry.entry_id}")
    if entry.data.get(CONF_PROTOCOL) == ProtocolKey.TEMPERATURE_HTTP:
        ir.async_delete_issue(hass, DOMAIN, tablet.issue_id(entry))
        await tablet.HassQueueStore(hass, entry.entry_id).remove()
