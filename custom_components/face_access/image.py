"""Image platform: the picture of the last record."""

from __future__ import annotations

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import FaceAccessCoordinator
from .data import FaceAccessConfigEntry
from .entity import FaceAccessEntity
from .protocols.model import Capability

PARALLEL_UPDATES = 0

LAST_CAPTURE = EntityDescription(key="last_capture", translation_key="last_capture")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FaceAccessConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the last-capture image where records carry pictures."""
    if Capability.RECORD_PICTURE in entry.runtime_data.client.capabilities:
        async_add_entities([FaceAccessLastCapture(entry.runtime_data.coordinator)])


class FaceAccessLastCapture(FaceAccessEntity, ImageEntity):
    """The picture the device sent with its last record, as JPEG."""

    _attr_content_type = "image/jpeg"

    def __init__(self, coordinator: FaceAccessCoordinator) -> None:
        """Initialize both bases."""
        FaceAccessEntity.__init__(self, coordinator, LAST_CAPTURE)
        ImageEntity.__init__(self, coordinator.hass)
        self._attr_image_last_updated = coordinator.data.capture_time

    async def async_image(self) -> bytes | None:
        """Return the JPEG already decoded by the coordinator (no I/O here)."""
        return self.coordinator.data.capture

    @callback
    def _handle_coordinator_update(self) -> None:
        """Move the timestamp only when a new picture arrived, so browsers refetch then."""
        self._attr_image_last_updated = self.coordinator.data.capture_time
        super()._handle_coordinator_update()
