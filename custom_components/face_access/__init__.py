"""The Face Access integration: face-recognition access terminals and AI cameras."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.typing import ConfigType

from . import ingress, people_entry, photo_view
from .catchup import async_remove_history
from .const import CONF_PROTOCOL, DOMAIN, SIGNAL_DEVICE_LOADED
from .coordinator import FaceAccessConfigEntry, FaceAccessCoordinator, FaceAccessData
from .protocols.model import AuthenticationError, FaceAccessError
from .registry import PROTOCOLS
from .repairs import async_remove_upload_issue
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
    photo_view.async_register(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> bool:
    """Set up one device: its client, its coordinator, its ingress, then its entities."""
    if people_entry.is_people_entry(entry):
        return await people_entry.async_setup_entry(hass, entry)
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
    # The roster sync (sync.py) reconciles a device that can enroll once it is set up.
    async_dispatcher_send(hass, SIGNAL_DEVICE_LOADED, entry.entry_id)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> bool:
    """Unload a device."""
    if people_entry.is_people_entry(entry):
        return await people_entry.async_unload_entry(hass, entry)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Remove what the entry left behind, as its protocol says (repair issues, saved state)."""
    if people_entry.is_people_entry(entry):
        await people_entry.async_remove_entry(hass, entry)
        return
    async_remove_upload_issue(hass, entry.entry_id)
    await async_remove_history(hass, entry.entry_id)
    if (record := PROTOCOLS.get(entry.data.get(CONF_PROTOCOL, ""))) is not None:
        await record.async_remove(hass, entry)
