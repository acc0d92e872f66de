"""Settings of the body-temperature tablet: which `config` fields, as what (§9 L1715-L2251).

"digest" is `shared/protocols/temperature_http.md` (§4.15 and the §6 config table). The
`config` query result (`type` 10, no `seq`) carries the sections `face_rec`, `face_cap`,
`facemask`, `temperature`, `relay` and `misc`; a set (`opType` 0) sends whole sections. Pure
functions: the client queues and waits, this module decodes and encodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .. import setting_decoders as decoders
from ..model import Setting, SettingKey, Settings, TemperatureUnit
from ..setting_decoders import SettingDecoder, SettingEncoder
from ..wire import integer

UNIT_OPTIONS: Final = decoders.UNIT_OPTIONS
"""`temperature.unit` 0 Celsius (default), 1 Fahrenheit (L1909-L1951), by position."""
CONFIG_ERRORS: Final = {1: "incoming error", 2: "configuration failed"}
"""What a config-set result's `errcode` other than 0 means (§9 L2095-L2103)."""

# The document gives no threshold or offset range; these are ours, in °C.
_THRESHOLD_CELSIUS: Final = (30.0, 45.0)
_OFFSET_CELSIUS: Final = 5.0
# `relay.duration` counts 100 ms (1-100, default 2 = 200 ms, L1957-L1963).
_RELAY_UNIT_MS: Final = 100
# `face_rec.distance` 0-4 stands for 0.5, 1, 1.5, 2 and 2.5 m (L1757-L1829).
_DISTANCE_STEP_CM: Final = 50
_DISTANCES: Final = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigField:
    """One setting in the tablet's `config`: `section`.`field`, and how its value reads.

    `decode(raw, unit)` returns the Setting, None when unreadable (`unit` is the tablet's
    temperature unit); `encode(value)` returns the JSON value the tablet takes.
    """

    key: SettingKey
    section: str
    field: str
    decode: SettingDecoder
    encode: SettingEncoder


def _distance(raw: Any, _unit: TemperatureUnit) -> Setting | None:
    """Decode `face_rec.distance` 0-4 as 50-250 cm."""
    index = integer(raw)
    if index is None or not 0 <= index < _DISTANCES:
        return None
    return decoders.number_setting(
        SettingKey.RECOGNITION_DISTANCE,
        float((index + 1) * _DISTANCE_STEP_CM),
        float(_DISTANCE_STEP_CM),
        float(_DISTANCES * _DISTANCE_STEP_CM),
        step=float(_DISTANCE_STEP_CM),
        unit="cm",
    )


FIELDS: Final[tuple[ConfigField, ...]] = (
    ConfigField(
        key=SettingKey.TEMPERATURE_MEASUREMENT,
        section="temperature",
        field="enable",
        decode=decoders.switch(SettingKey.TEMPERATURE_MEASUREMENT),
        encode=decoders.as_flag,
    ),
    ConfigField(
        key=SettingKey.TEMPERATURE_ALARM_THRESHOLD,
        section="temperature",
        field="high_threshold",
        decode=decoders.temperature(SettingKey.TEMPERATURE_ALARM_THRESHOLD, *_THRESHOLD_CELSIUS),
        encode=decoders.as_hundredths,
    ),
    ConfigField(
        key=SettingKey.TEMPERATURE_OFFSET,
        section="temperature",
        field="offset",
        decode=decoders.temperature(
            SettingKey.TEMPERATURE_OFFSET, -_OFFSET_CELSIUS, _OFFSET_CELSIUS, delta=True
        ),
        encode=decoders.as_hundredths,
    ),
    ConfigField(
        key=SettingKey.TEMPERATURE_UNIT,
        section="temperature",
        field="unit",
        decode=decoders.choice(SettingKey.TEMPERATURE_UNIT, UNIT_OPTIONS),
        encode=decoders.as_position(UNIT_OPTIONS),
    ),
    ConfigField(
        key=SettingKey.RELAY_HOLD_TIME,
        section="relay",
        field="duration",
        decode=decoders.whole(
            SettingKey.RELAY_HOLD_TIME,
            float(_RELAY_UNIT_MS),
            float(100 * _RELAY_UNIT_MS),
            float(_RELAY_UNIT_MS),
            "ms",
            scale=_RELAY_UNIT_MS,
        ),
        encode=lambda value: round(float(value) / _RELAY_UNIT_MS),
    ),
    ConfigField(
        key=SettingKey.FACE_THRESHOLD,
        section="face_rec",
        field="score",
        # `face_rec.score`, the match score 0-100 (default 70).
        decode=decoders.decimal(SettingKey.FACE_THRESHOLD, 0.0, 100.0),
        encode=decoders.as_hundredths,
    ),
    ConfigField(
        key=SettingKey.RECOGNITION_DISTANCE,
        section="face_rec",
        field="distance",
        decode=_distance,
        encode=lambda value: round(float(value) / _DISTANCE_STEP_CM) - 1,
    ),
)
"""Every setting of the tablet the Home Assistant layer shows."""

FIELDS_BY_KEY: Final[Mapping[SettingKey, ConfigField]] = {f.key: f for f in FIELDS}


def settings_from(config: Mapping[str, Any]) -> Settings:
    """Return the settings a `config` query result carries.

    A section or field it lacks is a setting the tablet does not have.
    """
    return decoders.collect(
        FIELDS,
        lambda spec: _field(config, spec.section, spec.field),
        decoders.unit_at(integer(_field(config, "temperature", "unit"))) or TemperatureUnit.CELSIUS,
    )


def _field(config: Mapping[str, Any], section: str, field: str) -> Any:
    """Return `section`.`field` of a `config` result, None where either is missing."""
    values = config.get(section)
    return values.get(field) if isinstance(values, dict) else None


def config_set(seq: int, section: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Build a `config` set (`opType` 0) of one whole section (§9 L1729-L2071).

    The whole section as last read, with the change: whether a partial section is taken is
    not stated (digest §4.15), so none is sent.
    """
    return {"config": {"opType": 0, "seq": seq, section: dict(values)}}
