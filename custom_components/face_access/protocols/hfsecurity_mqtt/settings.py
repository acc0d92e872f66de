"""Device settings of the HFSecurity MQTT family: which fields, in which command, as what.

The documents are face-terminal-mqtt v1.24 §9.2 (sound and display), §9.3 (door), §9.5
(temperature), §9.10 (face recognition) and network-camera-mqtt v1.25 §10.2 (sound); digest
`shared/protocols/face_terminal_mqtt.md` §4.20, §4.21 and §5. Each group is read with its
`Get<group>` command and written with `Up<group>` carrying only the changed field; both are
answered by `<operator>-Ack` whose `info` holds the fields (as strings on the terminal,
E9). Pure functions: the client sends, this module decodes and encodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
import re
from typing import Any, Final

from ..model import Setting, SettingKey, SettingKind, Settings, SettingValue, TemperatureUnit
from ..wire import integer as _int, number as _float


class ConfigGroup(StrEnum):
    """A group of settings read and written together; the value is the operators' stem."""

    DOOR = "Doorconfig"  # terminal §9.3
    TEMPERATURE = "TPTconfig"  # terminal §9.5
    SOUND = "Soundconfig"  # terminal §9.2, camera §10.2
    FACE = "Faceconfig"  # terminal §9.10

    @property
    def get_operator(self) -> str:
        """Return the command that reads the group (`GetDoorconfig`...)."""
        return f"Get{self.value}"

    @property
    def set_operator(self) -> str:
        """Return the command that writes the group (`UpDoorconfig`...; not `Set...`)."""
        return f"Up{self.value}"


DOOR_MODES: Final = ("face", "remote_only", "face_or_remote", "face_then_remote")
"""§9.3 `OpendoorWay` 0-3 by position: face opens; remote only (the device then pushes no
`RecPush`); face or remote; face verification then the platform's decision (§9.3.5)."""
SHOW_NAME_OPTIONS: Final = ("hidden", "shown", "partial")
"""§9.2 `IsShowName` 0-2 by position: do not show, show, show the first part only."""
UNIT_OPTIONS: Final = (TemperatureUnit.CELSIUS.value, TemperatureUnit.FAHRENHEIT.value)
"""§9.5 `TemperatureMode` 0-1 by position: centigrade, Fahrenheit."""

# Ranges the documents give, and ours where they give none (said so at each field).
_THRESHOLD_CELSIUS: Final = (30.0, 45.0)  # §9.5 gives only the default 37.30
_OFFSET_CELSIUS: Final = 5.0  # §9.5 `TemperatureCheck` gives only the default 0.00


def _celsius_to(unit: TemperatureUnit, value: float, *, delta: bool = False) -> float:
    """Convert a °C value (or a difference of °C, `delta`) to `unit`, rounded to 0.1."""
    if unit is TemperatureUnit.CELSIUS:
        return value
    return round(value * 9.0 / 5.0 + (0.0 if delta else 32.0), 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingField:
    """One setting on the wire: its group, its field and how its value is spelled.

    `decode(raw, unit)` returns the Setting for the raw field value (None when the value is
    unreadable); `encode(value)` returns the number the device takes (sent in the variant's
    number spelling). `unit` is the device's temperature unit, which temperature settings
    follow.
    """

    key: SettingKey
    group: ConfigGroup
    field: str
    decode: Callable[[Any, TemperatureUnit], Setting | None]
    encode: Callable[[SettingValue], int | float]


def _choice(
    key: SettingKey, options: tuple[str, ...]
) -> Callable[[Any, TemperatureUnit], Setting | None]:
    """Decode an enumeration 0..n-1 into the option at that position."""

    def decode(raw: Any, _unit: TemperatureUnit) -> Setting | None:
        index = _int(raw)
        if index is None or not 0 <= index < len(options):
            return None
        return Setting(key=key, kind=SettingKind.CHOICE, value=options[index], options=options)

    return decode


def _choice_index(options: tuple[str, ...]) -> Callable[[SettingValue], int]:
    """Encode an option as its position (the device's enumeration value)."""
    return lambda value: options.index(str(value))


def _switch(key: SettingKey) -> Callable[[Any, TemperatureUnit], Setting | None]:
    """Decode a 0/1 flag."""

    def decode(raw: Any, _unit: TemperatureUnit) -> Setting | None:
        flag = _int(raw)
        if flag not in (0, 1):
            return None
        return Setting(key=key, kind=SettingKind.SWITCH, value=flag == 1)

    return decode


def _integer(
    key: SettingKey, low: float, high: float, step: float = 1.0, unit: str | None = None
) -> Callable[[Any, TemperatureUnit], Setting | None]:
    """Decode a whole number the device keeps within `low`..`high`."""

    def decode(raw: Any, _unit: TemperatureUnit) -> Setting | None:
        value = _int(raw)
        if value is None:
            return None
        return Setting(
            key=key,
            kind=SettingKind.NUMBER,
            value=float(value),
            minimum=low,
            maximum=high,
            step=step,
            unit=unit,
        )

    return decode


def _temperature(
    key: SettingKey, celsius_range: tuple[float, float], *, delta: bool = False
) -> Callable[[Any, TemperatureUnit], Setting | None]:
    """Decode a temperature (or difference) in the device's unit; the range follows it."""

    def decode(raw: Any, unit: TemperatureUnit) -> Setting | None:
        value = _float(raw)
        if value is None:
            return None
        return Setting(
            key=key,
            kind=SettingKind.NUMBER,
            value=round(value, 2),
            minimum=_celsius_to(unit, celsius_range[0], delta=delta),
            maximum=_celsius_to(unit, celsius_range[1], delta=delta),
            step=0.1,
            unit="°F" if unit is TemperatureUnit.FAHRENHEIT else "°C",
        )

    return decode


def _as_int(value: SettingValue) -> int:
    """Encode a number or switch as the whole number the device takes."""
    return round(float(value))


def _as_hundredths(value: SettingValue) -> float:
    """Encode a temperature with two decimals, as the §9.5 examples write "37.20"."""
    return round(float(value), 2)


FIELDS: Final[tuple[SettingField, ...]] = (
    SettingField(
        key=SettingKey.DOOR_MODE,
        group=ConfigGroup.DOOR,
        field="OpendoorWay",
        decode=_choice(SettingKey.DOOR_MODE, DOOR_MODES),
        encode=_choice_index(DOOR_MODES),
    ),
    SettingField(
        key=SettingKey.RELAY_HOLD_TIME,
        group=ConfigGroup.DOOR,
        field="IOStayTime",
        # §9.3: milliseconds, default 200, no range given; 100 ms to 1 min is ours.
        decode=_integer(SettingKey.RELAY_HOLD_TIME, 100, 60000, 10, "ms"),
        encode=_as_int,
    ),
    SettingField(
        key=SettingKey.FACE_THRESHOLD,
        group=ConfigGroup.DOOR,
        field="FaceThreshold",
        decode=_integer(SettingKey.FACE_THRESHOLD, 50, 100),  # §9.3: 50~100
        encode=_as_int,
    ),
    SettingField(
        key=SettingKey.RECOGNITION_DISTANCE,
        group=ConfigGroup.FACE,
        field="recDistance",
        decode=_integer(SettingKey.RECOGNITION_DISTANCE, 30, 200, 1, "cm"),  # §9.10: 30~200 cm
        encode=_as_int,
    ),
    SettingField(
        key=SettingKey.TEMPERATURE_UNIT,
        group=ConfigGroup.TEMPERATURE,
        field="TemperatureMode",
        decode=_choice(SettingKey.TEMPERATURE_UNIT, UNIT_OPTIONS),
        encode=_choice_index(UNIT_OPTIONS),
    ),
    SettingField(
        key=SettingKey.TEMPERATURE_ALARM_THRESHOLD,
        group=ConfigGroup.TEMPERATURE,
        field="TemperatureHigh",
        decode=_temperature(SettingKey.TEMPERATURE_ALARM_THRESHOLD, _THRESHOLD_CELSIUS),
        encode=_as_hundredths,
    ),
    SettingField(
        key=SettingKey.TEMPERATURE_OFFSET,
        group=ConfigGroup.TEMPERATURE,
        field="TemperatureCheck",
        decode=_temperature(
            SettingKey.TEMPERATURE_OFFSET, (-_OFFSET_CELSIUS, _OFFSET_CELSIUS), delta=True
        ),
        encode=_as_hundredths,
    ),
    SettingField(
        key=SettingKey.VOLUME,
        group=ConfigGroup.SOUND,
        field="Volume",
        decode=_integer(SettingKey.VOLUME, 0, 100),  # §9.2, camera §10.2: 0~100
        encode=_as_int,
    ),
    SettingField(
        key=SettingKey.SHOW_NAME,
        group=ConfigGroup.SOUND,
        field="IsShowName",
        decode=_choice(SettingKey.SHOW_NAME, SHOW_NAME_OPTIONS),
        encode=_choice_index(SHOW_NAME_OPTIONS),
    ),
    SettingField(
        key=SettingKey.SUCCESS_VOICE,
        group=ConfigGroup.SOUND,
        field="VerifySuccAudio",
        decode=_switch(SettingKey.SUCCESS_VOICE),
        encode=_as_int,
    ),
    SettingField(
        key=SettingKey.FAIL_VOICE,
        group=ConfigGroup.SOUND,
        field="VerifyFailAudio",
        decode=_switch(SettingKey.FAIL_VOICE),
        encode=_as_int,
    ),
)
"""Every setting of the family; a device offers those its groups' answers carry."""

FIELDS_BY_KEY: Final[Mapping[SettingKey, SettingField]] = {f.key: f for f in FIELDS}


def _norm(name: str) -> str:
    """Normalise a field name as the codec does (lower case, letters and digits only)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def temperature_unit_of(fields: Mapping[str, Any]) -> TemperatureUnit | None:
    """Return the unit a `GetTPTconfig-Ack`'s normalised `fields` say, None when unsaid."""
    mode = _int(fields.get("temperaturemode"))
    if mode == 1:
        return TemperatureUnit.FAHRENHEIT
    if mode == 0:
        return TemperatureUnit.CELSIUS
    return None


def decode_group(group: ConfigGroup, fields: Mapping[str, Any], unit: TemperatureUnit) -> Settings:
    """Return the settings of `group` that an ack's normalised `fields` carry.

    A field that is absent (the camera's sound group has only `VerifySuccAudio` and
    `Volume`) or unreadable is left out: the device does not have that setting.
    """
    settings: Settings = {}
    for spec in FIELDS:
        if spec.group is not group or (raw := fields.get(_norm(spec.field))) is None:
            continue
        if (setting := spec.decode(raw, unit)) is not None:
            settings[spec.key] = setting
    return settings
