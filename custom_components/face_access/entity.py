"""Base entity of a Face Access device."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import FaceAccessCoordinator


class FaceAccessEntity(CoordinatorEntity[FaceAccessCoordinator]):
    """An entity of one device: unique id `<device id>_<key>`, name from its translation key."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: FaceAccessCoordinator, description: EntityDescription) -> None:
        """Initialize the entity and describe its device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        assert entry.unique_id is not None
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        info = coordinator.data.info
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.unique_id)},
            manufacturer=coordinator.device_client.manufacturer,
            model=coordinator.device_client.model,
            name=entry.title,
            serial_number=entry.unique_id,
            sw_version=info.firmware,
            configuration_url=f"http://{info.ip}" if info.ip else None,
        )

    @property
    def available(self) -> bool:
        """Return whether the device is reachable."""
        return self.coordinator.data.online
