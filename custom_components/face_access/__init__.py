"""The Face Access integration: face-recognition access terminals and AI cameras."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from . import ingress
from .const import CONF_PROTOCOL, DOMAIN
from .coordinator import FaceAccessConfigEntry, FaceAccessCoordinator, FaceAccessData
from .protocols.model import AuthenticationError, FaceAccessError
from .registry import PROTOCOLS
from .services import async_setup_services

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CAMERA,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services and the fixed-path views once per Home Assistant instance."""
    async_setup_services(hass)
    for record in PROTOCOLS.values():
        if record.fixed_path is not None:
            ingress.async_register_views(hass, record.key, record.fixed_path)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> bool:
    """Set up one device: its client, its coordinator, its ingress, then its entities."""
    record = PROTOCOLS[entry.data[CONF_PROTOCOL]]
    client = await record.async_create_client(hass, entry)
    coordinator = FaceAccessCoordinator(hass, entry, client)
    entry.runtime_data = FaceAccessData(record.key, client, coordinator)
    try:
        await client.start()
    except AuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="authentication_failed",
            translation_placeholders={"name": entry.title},
        ) from err
    except FaceAccessError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="device_error",
            translation_placeholders={"name": entry.title, "reason": str(err)},
        ) from err
    entry.async_on_unload(client.stop)
    # Unload callbacks run last-in first-out: the ingress goes before the client stops.
    ingress.async_connect(
        hass, entry, record.inbound, client, coordinator, webhooks=record.webhooks
    )
    await coordinator.async_config_entry_first_refresh()
    if client.poll_interval is None:
        # A polled device described itself in the first refresh; a pushing one is asked.
        coordinator.refresh_info()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> bool:
    """Unload a device."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Remove what the entry left behind, as its protocol says (repair issues, saved state)."""
    if (record := PROTOCOLS.get(entry.data.get(CONF_PROTOCOL, ""))) is not None:
        await record.async_remove(hass, entry)
