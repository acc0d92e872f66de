"""Camera platform: a still of the scene, on demand where the device can take one."""

from __future__ import annotations

import asyncio

from homeassistant.components.camera import Camera

from .const import LOGGER
from .coordinator import FaceAccessCoordinator
from .entity import FaceAccessEntity, FaceAccessEntityDescription, platform_setup
from .protocols import images
from .protocols.model import Capability, FaceAccessError

PARALLEL_UPDATES = 1

# A still on demand, or else the last record's picture.
SNAPSHOT = FaceAccessEntityDescription(
    key="snapshot",
    translation_key="snapshot",
    requires_any=frozenset({Capability.SCENE_SNAPSHOT, Capability.RECORD_PICTURE}),
)
# Home Assistant gives a camera 10 s for a still (CAMERA_IMAGE_TIMEOUT), less than a device
# command may take: ask for a scene no longer than this, so that a device gone quiet still
# shows the last record's picture instead of an error.
SNAPSHOT_TIMEOUT = 5.0


class FaceAccessSnapshotCamera(FaceAccessEntity, Camera):
    """Asks the device for a fresh still; shows the last record's picture when it cannot."""

    def __init__(
        self, coordinator: FaceAccessCoordinator, description: FaceAccessEntityDescription
    ) -> None:
        """Initialize both bases."""
        FaceAccessEntity.__init__(self, coordinator, description)
        Camera.__init__(self)
        self._on_demand = Capability.SCENE_SNAPSHOT in coordinator.client.profile.capabilities

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        """Return a JPEG of the scene now, else of the last record, else None."""
        if self._on_demand and self.coordinator.data.online:
            try:
                async with asyncio.timeout(SNAPSHOT_TIMEOUT):
                    picture = await self.coordinator.client.snapshot()
                return await self.hass.async_add_executor_job(images.picture_to_jpeg, picture)
            except (FaceAccessError, TimeoutError) as err:
                LOGGER.debug(
                    "No scene snapshot from %s (%s); showing the last record",
                    self.coordinator.config_entry.title,
                    str(err) or "no answer",
                )
        return self.coordinator.data.capture


async_setup_entry = platform_setup(FaceAccessSnapshotCamera, [SNAPSHOT])
