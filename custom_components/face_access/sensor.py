"""Sensor platform: body temperature and the last recognized person."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfTemperature
from homeassistant.helpers.typing import StateType

from .coordinator import DeviceState
from .entity import FaceAccessEntity, FaceAccessValueDescription, platform_setup
from .protocols.model import Capability

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FaceAccessSensorDescription(FaceAccessValueDescription[StateType], SensorEntityDescription):
    """A sensor, and the attributes it shows besides its value."""

    attributes_fn: Callable[[DeviceState], Mapping[str, Any] | None] = lambda _: None


def _last_person_attributes(state: DeviceState) -> Mapping[str, Any] | None:
    """Return the attributes of the last recognition (DESIGN.md: the last_person sensor)."""
    record = state.last_recognized
    if record is None:
        return None
    return {
        "person_id": record.person_id,
        "similarity": record.similarity,
        "time": record.time.isoformat() if record.time else None,
        "record_id": record.record_id,
    }


SENSORS: tuple[FaceAccessSensorDescription, ...] = (
    FaceAccessSensorDescription(
        key="body_temperature",
        translation_key="body_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        requires=frozenset({Capability.BODY_TEMPERATURE}),
        value_fn=lambda s: s.last_record.temperature if s.last_record else None,
    ),
    FaceAccessSensorDescription(
        key="last_person",
        translation_key="last_person",
        value_fn=lambda s: (
            (s.last_recognized.person_name or s.last_recognized.person_id)
            if s.last_recognized
            else None
        ),
        attributes_fn=_last_person_attributes,
    ),
)


class FaceAccessSensor(FaceAccessEntity, SensorEntity):
    """A sensor fed by the device's records."""

    entity_description: FaceAccessSensorDescription
    # The person's ID changes with every passage; it belongs to the state, not history.
    _unrecorded_attributes = frozenset({"person_id", "similarity", "time", "record_id"})

    @property
    def native_value(self) -> StateType:
        """Return the value from the last record."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the record's details where the sensor has any."""
        return self.entity_description.attributes_fn(self.coordinator.data)


async_setup_entry = platform_setup(FaceAccessSensor, SENSORS)
