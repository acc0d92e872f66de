"""Button platform: open the door."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import FaceAccessConfigEntry
from .entity import FaceAccessEntity
from .errors import translated_errors
from .protocols.model import Capability

# Devices take one command at a time; a second press waits for the first.
PARALLEL_UPDATES = 1

OPEN_DOOR = ButtonEntityDescription(key="open_door", translation_key="open_door")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FaceAccessConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the open-door button where the protocol can open the door."""
    if Capability.OPEN_DOOR in entry.runtime_data.client.capabilities:
        async_add_entities([FaceAccessOpenDoorButton(entry.runtime_data.coordinator, OPEN_DOOR)])


class FaceAccessOpenDoorButton(FaceAccessEntity, ButtonEntity):
    """Opens the door (a momentary relay pulse, not a lock)."""

    async def async_press(self) -> None:
        """Open the door; a refusal or silence raises a translated error."""
        with translated_errors(self.coordinator.config_entry.title):
            await self.coordinator.device_client.open_door()
