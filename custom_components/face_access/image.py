"""Image platform: the picture of the last record."""

from __future__ import annotations

from homeassistant.components.image import ImageEntity
from homeassistant.core import callback

from .coordinator import FaceAccessCoordinator
from .entity import FaceAccessEntity, FaceAccessEntityDescription, platform_setup
from .protocols.model import Capability

PARALLEL_UPDATES = 0

LAST_CAPTURE = FaceAccessEntityDescription(
    key="last_capture",
    translation_key="last_capture",
    requires=frozenset({Capability.RECORD_PICTURE}),
)


class FaceAccessLastCapture(FaceAccessEntity, ImageEntity):
    """The picture the device sent with its last record, as JPEG."""

    _attr_content_type = "image/jpeg"

    def __init__(
        self, coordinator: FaceAccessCoordinator, description: FaceAccessEntityDescription
    ) -> None:
        """Initialize both bases."""
        FaceAccessEntity.__init__(self, coordinator, description)
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


async_setup_entry = platform_setup(FaceAccessLastCapture, [LAST_CAPTURE])
