"""Sensor platform: body temperature, the last recognized person, the firmware."""

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
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import MAX_LENGTH_STATE_STATE, EntityCategory, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from . import people_sensor
from .coordinator import DeviceState
from .entity import FaceAccessEntity, FaceAccessValueDescription, platform_setup
from .protocols.model import Capability, SettingKey, TemperatureUnit
from .roster import CONF_KIND, KIND_PEOPLE

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FaceAccessSensorDescription(FaceAccessValueDescription[StateType], SensorEntityDescription):
    """A sensor, and the attributes it shows besides its value."""

    attributes_fn: Callable[[DeviceState], Mapping[str, Any] | None] = lambda _: None
    # The unit when the device decides it (None: the description's fixed unit).
    unit_fn: Callable[[DeviceState], str] | None = None


def _temperature_unit(state: DeviceState) -> str:
    """Return the unit of the body temperature: the device's own, °C or °F.

    The last reading's unit where there is one (the protocol labels it), else the unit the
    device's settings say it shows, else °C. Home Assistant converts to the user's unit.
    """
    record = state.last_record
    if record is not None and record.temperature is not None:
        unit = record.temperature_unit
    elif (setting := state.settings.get(SettingKey.TEMPERATURE_UNIT)) is not None:
        unit = TemperatureUnit(str(setting.value))
    else:
        unit = TemperatureUnit.CELSIUS
    if unit is TemperatureUnit.FAHRENHEIT:
        return UnitOfTemperature.FAHRENHEIT
    return UnitOfTemperature.CELSIUS


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
        # The roster's link to a Home Assistant person, for automations (None: no link).
        "ha_person": state.last_ha_person,
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
        unit_fn=_temperature_unit,
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
    FaceAccessSensorDescription(
        key="firmware",
        translation_key="firmware",
        entity_category=EntityCategory.DIAGNOSTIC,
        # What the device last said it runs (`query_info`, asked again on every reconnect).
        value_fn=lambda s: s.info.firmware,
    ),
)


class FaceAccessSensor(FaceAccessEntity, SensorEntity):
    """A sensor fed by the device's records."""

    entity_description: FaceAccessSensorDescription
    # The person's ID changes with every passage; it belongs to the state, not history.
    _unrecorded_attributes = frozenset(
        {"person_id", "similarity", "time", "record_id", "ha_person"}
    )

    @property
    def native_value(self) -> StateType:
        """Return the value from the last record.

        Text comes from the device (a name, a firmware version) and may be of any length;
        Home Assistant refuses a state over 255 characters with an error that quotes it.
        """
        value = self.entity_description.value_fn(self.coordinator.data)
        if isinstance(value, str) and len(value) > MAX_LENGTH_STATE_STATE:
            return value[: MAX_LENGTH_STATE_STATE - 1] + "…"
        return value

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit: the device's own where it decides, else the description's."""
        if (unit_fn := self.entity_description.unit_fn) is not None:
            return unit_fn(self.coordinator.data)
        return super().native_unit_of_measurement

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the record's details where the sensor has any."""
        return self.entity_description.attributes_fn(self.coordinator.data)


_async_setup_device = platform_setup(FaceAccessSensor, SENSORS)


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add a device's sensors, or the People entry's (people_sensor.py)."""
    if entry.data.get(CONF_KIND) == KIND_PEOPLE:
        await people_sensor.async_setup_entry(hass, entry, async_add_entities)
        return
    await _async_setup_device(hass, entry, async_add_entities)
