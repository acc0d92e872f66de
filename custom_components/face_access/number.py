"""Number platform: the device's numeric settings (relay time, thresholds, volume...)."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import UnitOfLength, UnitOfTemperature, UnitOfTime

from .protocols.model import SettingKey, SettingKind
from .setting_entity import (
    FaceAccessSettingDescription,
    FaceAccessSettingEntity,
    setting_platform_setup,
)

# Devices take one command at a time; a second write waits for the first.
PARALLEL_UPDATES = 1

# The protocol's unit spellings (`Setting.unit`) as Home Assistant's units.
_UNITS: dict[str, str] = {
    "ms": UnitOfTime.MILLISECONDS,
    "s": UnitOfTime.SECONDS,
    "cm": UnitOfLength.CENTIMETERS,
    "°C": UnitOfTemperature.CELSIUS,
    "°F": UnitOfTemperature.FAHRENHEIT,
}


@dataclass(frozen=True, kw_only=True)
class FaceAccessNumberDescription(FaceAccessSettingDescription, NumberEntityDescription):
    """A numeric setting; its range, step and unit come from the device."""

    kind: SettingKind = SettingKind.NUMBER


NUMBERS: tuple[FaceAccessNumberDescription, ...] = (
    FaceAccessNumberDescription.of(
        SettingKey.RELAY_HOLD_TIME,
        device_class=NumberDeviceClass.DURATION,
        # Typed in, not slid: the range spans milliseconds to a minute.
        mode=NumberMode.BOX,
    ),
    FaceAccessNumberDescription.of(SettingKey.FACE_THRESHOLD),
    FaceAccessNumberDescription.of(
        SettingKey.RECOGNITION_DISTANCE,
        device_class=NumberDeviceClass.DISTANCE,
    ),
    FaceAccessNumberDescription.of(
        SettingKey.TEMPERATURE_ALARM_THRESHOLD,
        # A temperature in the device's unit (°C or °F): Home Assistant converts it.
        device_class=NumberDeviceClass.TEMPERATURE,
        mode=NumberMode.BOX,
    ),
    FaceAccessNumberDescription.of(
        SettingKey.TEMPERATURE_OFFSET,
        # A difference of temperatures: a device class would convert it as a temperature.
        mode=NumberMode.BOX,
    ),
    FaceAccessNumberDescription.of(SettingKey.VOLUME, mode=NumberMode.SLIDER),
)


class FaceAccessNumber(FaceAccessSettingEntity, NumberEntity):
    """A numeric setting of the device."""

    entity_description: FaceAccessNumberDescription

    @property
    def native_value(self) -> float | None:
        """Return the value as last read."""
        setting = self.setting
        if setting is None or isinstance(setting.value, (bool, str)):
            return None
        return float(setting.value)

    @property
    def native_min_value(self) -> float:
        """Return the lowest value the device takes."""
        setting = self.setting
        if setting is None or setting.minimum is None:
            return super().native_min_value
        return setting.minimum

    @property
    def native_max_value(self) -> float:
        """Return the highest value the device takes."""
        setting = self.setting
        if setting is None or setting.maximum is None:
            return super().native_max_value
        return setting.maximum

    @property
    def native_step(self) -> float | None:
        """Return the device's step."""
        setting = self.setting
        return None if setting is None else setting.step

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the device's unit (a temperature follows the device's °C or °F)."""
        setting = self.setting
        if setting is None or setting.unit is None:
            return None
        return _UNITS.get(setting.unit, setting.unit)

    async def async_set_native_value(self, value: float) -> None:
        """Write the value; the device's answer and read-back decide what is shown."""
        await self._async_write(value)


async_setup_entry = setting_platform_setup(FaceAccessNumber, NUMBERS)
