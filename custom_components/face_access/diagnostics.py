"""Diagnostics, with credentials and personal data redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .coordinator import FaceAccessConfigEntry, record_attributes
from .people_entry import async_diagnostics as people_diagnostics, is_people_entry

# Credentials, and everything that names or identifies a person.
TO_REDACT = {
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
    "poll_webhook_id",
    "person_id",
    "person_name",
    "card_number",
    "qr_data",
    "ip",
    "ha_person",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: FaceAccessConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging a device, never a name, an ID number or a picture."""
    if is_people_entry(entry):
        return people_diagnostics(entry)
    data = entry.runtime_data
    state = data.coordinator.data
    last = state.last_record
    diagnostics: dict[str, Any] = {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "protocol": data.protocol.value,
        "capabilities": sorted(capability.value for capability in data.client.profile.capabilities),
        "state": {
            "online": state.online,
            "info": async_redact_data(
                {
                    "name": state.info.name,
                    "ip": state.info.ip,
                    "firmware": state.info.firmware,
                    "model": state.info.model,
                },
                TO_REDACT,
            ),
            "last_record": None
            if last is None
            else async_redact_data(
                {
                    "kind": last.kind.value,
                    "time": last.time.isoformat() if last.time else None,
                    **record_attributes(last),
                },
                TO_REDACT,
            ),
            "has_capture": state.capture is not None,
            # Device settings as last read (door mode, thresholds...): no personal data.
            "settings": {key.value: setting.value for key, setting in state.settings.items()},
            # New records the device sent again after an outage (catchup.py): a count only.
            "records_caught_up": data.coordinator.catch_up.caught_up,
        },
    }
    # The protocol's own state (queue lengths, flags), redacted once more in case.
    diagnostics.update(async_redact_data(data.client.diagnostics(), TO_REDACT))
    return diagnostics


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: FaceAccessConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return the device's diagnostics: its entry's, since an entry is one device."""
    return {
        "device": async_redact_data(
            {
                "manufacturer": device.manufacturer,
                "model": device.model,
                "model_id": device.model_id,
                "sw_version": device.sw_version,
                "hw_version": device.hw_version,
            },
            TO_REDACT,
        ),
        **await async_get_config_entry_diagnostics(hass, entry),
    }
