"""Base entity and entity description of a Face Access device."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import DeviceState, FaceAccessConfigEntry, FaceAccessCoordinator
from .protocols.model import Capability


@dataclass(frozen=True, kw_only=True)
class FaceAccessEntityDescription(EntityDescription):
    """An entity and what its device must be able to do for it to exist.

    `requires`: every capability it needs; `requires_any`: at least one of these (empty:
    none needed). A device gets only the entities its protocol can feed (DESIGN.md).
    """

    requires: frozenset[Capability] = frozenset()
    requires_any: frozenset[Capability] = frozenset()

    def supported_by(self, capabilities: frozenset[Capability]) -> bool:
        """Return whether a device with `capabilities` can feed this entity."""
        return self.requires <= capabilities and (
            not self.requires_any or bool(self.requires_any & capabilities)
        )


@dataclass(frozen=True, kw_only=True)
class FaceAccessValueDescription[T](FaceAccessEntityDescription):
    """An entity whose state `value_fn` reads from the device's state."""

    value_fn: Callable[[DeviceState], T]


def supported[D: FaceAccessEntityDescription](
    descriptions: Iterable[D], coordinator: FaceAccessCoordinator
) -> list[D]:
    """Return the descriptions the coordinator's device can feed, in their order."""
    capabilities = coordinator.client.profile.capabilities
    return [description for description in descriptions if description.supported_by(capabilities)]


type PlatformSetup = Callable[
    [HomeAssistant, FaceAccessConfigEntry, AddConfigEntryEntitiesCallback],
    Coroutine[Any, Any, None],
]


def platform_setup[D: FaceAccessEntityDescription](
    entity_class: Callable[[FaceAccessCoordinator, D], FaceAccessEntity],
    descriptions: Iterable[D],
) -> PlatformSetup:
    """Return a platform's `async_setup_entry`.

    It adds one `entity_class` entity per description the device can feed (core Reolink's
    `supported`, UniFi Protect's `has_required`).
    """
    descriptions = tuple(descriptions)

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: FaceAccessConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        """Add the entities of this platform that the device's protocol can feed."""
        coordinator = entry.runtime_data.coordinator
        async_add_entities(
            entity_class(coordinator, description)
            for description in supported(descriptions, coordinator)
        )

    return async_setup_entry


class FaceAccessEntity(CoordinatorEntity[FaceAccessCoordinator]):
    """An entity of one device: unique id `<device id>_<key>`, name from its translation key."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: FaceAccessCoordinator, description: FaceAccessEntityDescription
    ) -> None:
        """Initialize the entity and describe its device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        assert entry.unique_id is not None
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        info = coordinator.data.info
        profile = coordinator.client.profile
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.unique_id)},
            manufacturer=profile.manufacturer,
            model=profile.model,
            name=entry.title,
            serial_number=entry.unique_id,
            sw_version=info.firmware,
            configuration_url=f"http://{info.ip}" if info.ip else None,
        )

    @property
    def available(self) -> bool:
        """Return whether the device is reachable."""
        return self.coordinator.data.online
