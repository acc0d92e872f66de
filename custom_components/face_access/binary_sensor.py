"""Binary sensor platform: mask of the last person, and connectivity."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .entity import FaceAccessEntity, FaceAccessValueDescription, platform_setup
from .protocols.model import Capability

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FaceAccessBinarySensorDescription(
    FaceAccessValueDescription[bool | None], BinarySensorEntityDescription
):
    """A binary sensor, and whether it has a value while the device is offline."""

    always_available: bool = False


BINARY_SENSORS: tuple[FaceAccessBinarySensorDescription, ...] = (
    FaceAccessBinarySensorDescription(
        key="mask",
        translation_key="mask",
        requires=frozenset({Capability.MASK}),
        value_fn=lambda s: s.last_record.mask if s.last_record else None,
    ),
    FaceAccessBinarySensorDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        always_available=True,
        value_fn=lambda s: s.online,
    ),
)


class FaceAccessBinarySensor(FaceAccessEntity, BinarySensorEntity):
    """A binary sensor fed by the device's state."""

    entity_description: FaceAccessBinarySensorDescription

    @property
    def available(self) -> bool:
        """Return whether to show a value (connectivity always has one)."""
        return self.entity_description.always_available or super().available

    @property
    def is_on(self) -> bool | None:
        """Return the state; None when the last record said nothing."""
        return self.entity_description.value_fn(self.coordinator.data)


async_setup_entry = platform_setup(FaceAccessBinarySensor, BINARY_SENSORS)
