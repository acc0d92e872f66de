"""Device settings of the HFSecurity MQTT family: which fields, in which command, as what.

The documents are face-terminal-mqtt v1.24 §9.2 (sound and display), §9.3 (door, with the
verify mode whose flag 0x200 is body-temperature measurement), §9.5 (temperature), §9.10
(face recognition) and network-camera-mqtt v1.25 §10.2 (sound); digest
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

from .. import setting_decoders as decoders
from ..model import (
    InvalidRequestError,
    Setting,
    SettingKey,
    SettingKind,
    Settings,
    SettingValue,
    TemperatureUnit,
)
from ..setting_decoders import SettingDecoder, SettingEncoder
from ..wire import integer as _int


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
UNIT_OPTIONS: Final = decoders.UNIT_OPTIONS
"""§9.5 `TemperatureMode` 0-1 by position: centigrade, Fahrenheit."""

# Ranges the documents give, and ours where they give none (said so at each field).
_THRESHOLD_CELSIUS: Final = (30.0, 45.0)  # §9.5 gives only the default 37.30
_OFFSET_CELSIUS: Final = 5.0  # §9.5 `TemperatureCheck` gives only the default 0.00

VERIFY_TEMPERATURE: Final = 0x200
"""§9.3 `VerifyMode` flag: body temperature is measured (ORed on the base mode, L1828)."""
_VERIFY_MASK: Final = 0x100
_VERIFY_ALONE: Final = 5
"""§9.3 `VerifyMode` base 5: mask or temperature alone, meaningless without a flag."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingField:
    """One setting on the wire: its group, its field and how its value is spelled.

    `decode(raw, unit)` returns the Setting for the raw field value (None when the value is
    unreadable); `encode(value)` returns the number the device takes (sent in the variant's
    number spelling). A setting that is one flag of a field has `encode_over(value, raw)`
    instead, `raw` being the field's current value. `unit` is the device's temperature
    unit, which temperature settings follow.
    """

    key: SettingKey
    group: ConfigGroup
    field: str
    decode: SettingDecoder
    encode: SettingEncoder
    encode_over: Callable[[SettingValue, Any], int] | None = None

    def encoded(self, value: SettingValue, raw: Any) -> int | float:
        """Return what the device takes for `value`, given the field's current `raw` value."""
        return self.encode(value) if self.encode_over is None else self.encode_over(value, raw)


def _bit(key: SettingKey, bit: int) -> SettingDecoder:
    """Decode one flag bit of a number (§9.3 `VerifyMode`) as a switch."""

    def decode(raw: Any, _unit: TemperatureUnit) -> Setting | None:
        value = _int(raw)
        if value is None or value < 0:
            return None
        return Setting(key=key, kind=SettingKind.SWITCH, value=bool(value & bit))

    return decode


def _with_temperature(value: SettingValue, raw: Any) -> int:
    """Set or clear the temperature flag of the current `VerifyMode`, keeping the rest.

    Raises InvalidRequestError when clearing it would leave base 5 ("mask or temperature
    alone") with no check at all: the device would refuse it (463 "VerifyMode error").
    """
    current = _int(raw) or 0
    wanted = current | VERIFY_TEMPERATURE if value else current & ~VERIFY_TEMPERATURE
    if wanted & 0xFF == _VERIFY_ALONE and not wanted & (VERIFY_TEMPERATURE | _VERIFY_MASK):
        raise InvalidRequestError(
            "the door verifies body temperature alone (VerifyMode 517); choose another "
            "verify mode on the device before turning temperature measurement off"
        )
    return wanted


FIELDS: Final[tuple[SettingField, ...]] = (
    SettingField(
        key=SettingKey.DOOR_MODE,
        group=ConfigGroup.DOOR,
        field="OpendoorWay",
        decode=decoders.choice(SettingKey.DOOR_MODE, DOOR_MODES),
        encode=decoders.as_position(DOOR_MODES),
    ),
    SettingField(
        key=SettingKey.RELAY_HOLD_TIME,
        group=ConfigGroup.DOOR,
        field="IOStayTime",
        # §9.3: milliseconds, default 200, no range given; 100 ms to 1 min is ours.
        decode=decoders.whole(SettingKey.RELAY_HOLD_TIME, 100, 60000, 10, "ms"),
        encode=decoders.as_whole,
    ),
    SettingField(
        key=SettingKey.FACE_THRESHOLD,
        group=ConfigGroup.DOOR,
        field="FaceThreshold",
        decode=decoders.whole(SettingKey.FACE_THRESHOLD, 50, 100),  # §9.3: 50~100
        encode=decoders.as_whole,
    ),
    SettingField(
        key=SettingKey.TEMPERATURE_MEASUREMENT,
        group=ConfigGroup.DOOR,
        field="VerifyMode",
        # §9.3: the door's verification includes temperature detection (flag 0x200); only
        # then do records carry a temperature (§5 L1354).
        decode=_bit(SettingKey.TEMPERATURE_MEASUREMENT, VERIFY_TEMPERATURE),
        encode=decoders.as_whole,
        encode_over=_with_temperature,
    ),
    SettingField(
        key=SettingKey.RECOGNITION_DISTANCE,
        group=ConfigGroup.FACE,
        field="recDistance",
        # §9.10: 30~200 cm
        decode=decoders.whole(SettingKey.RECOGNITION_DISTANCE, 30, 200, 1, "cm"),
        encode=decoders.as_whole,
    ),
    SettingField(
        key=SettingKey.TEMPERATURE_UNIT,
        group=ConfigGroup.TEMPERATURE,
        field="TemperatureMode",
        decode=decoders.choice(SettingKey.TEMPERATURE_UNIT, UNIT_OPTIONS),
        encode=decoders.as_position(UNIT_OPTIONS),
    ),
    SettingField(
        key=SettingKey.TEMPERATURE_ALARM_THRESHOLD,
        group=ConfigGroup.TEMPERATURE,
        field="TemperatureHigh",
        decode=decoders.temperature(SettingKey.TEMPERATURE_ALARM_THRESHOLD, *_THRESHOLD_CELSIUS),
        encode=decoders.as_hundredths,
    ),
    SettingField(
        key=SettingKey.TEMPERATURE_OFFSET,
        group=ConfigGroup.TEMPERATURE,
        field="TemperatureCheck",
        decode=decoders.temperature(
            SettingKey.TEMPERATURE_OFFSET, -_OFFSET_CELSIUS, _OFFSET_CELSIUS, delta=True
        ),
        encode=decoders.as_hundredths,
    ),
    SettingField(
        key=SettingKey.VOLUME,
        group=ConfigGroup.SOUND,
        field="Volume",
        decode=decoders.whole(SettingKey.VOLUME, 0, 100),  # §9.2, camera §10.2: 0~100
        encode=decoders.as_whole,
    ),
    SettingField(
        key=SettingKey.SHOW_NAME,
        group=ConfigGroup.SOUND,
        field="IsShowName",
        decode=decoders.choice(SettingKey.SHOW_NAME, SHOW_NAME_OPTIONS),
        encode=decoders.as_position(SHOW_NAME_OPTIONS),
    ),
    SettingField(
        key=SettingKey.SUCCESS_VOICE,
        group=ConfigGroup.SOUND,
        field="VerifySuccAudio",
        decode=decoders.switch(SettingKey.SUCCESS_VOICE),
        encode=decoders.as_whole,
    ),
    SettingField(
        key=SettingKey.FAIL_VOICE,
        group=ConfigGroup.SOUND,
        field="VerifyFailAudio",
        decode=decoders.switch(SettingKey.FAIL_VOICE),
        encode=decoders.as_whole,
    ),
)
"""Every setting of the family; a device offers those its groups' answers carry."""

FIELDS_BY_KEY: Final[Mapping[SettingKey, SettingField]] = {f.key: f for f in FIELDS}


def normalised(name: str) -> str:
    """Normalise a field name as the codec does (lower case, letters and digits only)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def temperature_unit_of(fields: Mapping[str, Any]) -> TemperatureUnit | None:
    """Return the unit a `GetTPTconfig-Ack`'s normalised `fields` say, None when unsaid."""
    return decoders.unit_at(_int(fields.get("temperaturemode")))


def decode_group(group: ConfigGroup, fields: Mapping[str, Any], unit: TemperatureUnit) -> Settings:
    """Return the settings of `group` that an ack's normalised `fields` carry.

    A field that is absent (the camera's sound group has only `VerifySuccAudio` and
    `Volume`) or unreadable is left out: the device does not have that setting.
    """
    return decoders.collect(
        (spec for spec in FIELDS if spec.group is group),
        lambda spec: fields.get(normalised(spec.field)),
        unit,
    )
