"""Settings of the body-temperature tablet: which `config` fields, as what (§9 L1715-L2251).

"digest" is `shared/protocols/temperature_http.md` (§4.15 and the §6 config table). The
`config` query result (`type` 10, no `seq`) carries the sections `face_rec`, `face_cap`,
`facemask`, `temperature`, `relay` and `misc`; a set (`opType` 0) sends whole sections. Pure
functions: the client queues and waits, this module decodes and encodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..model import Setting, SettingKey, SettingKind, Settings, SettingValue, TemperatureUnit
from ..wire import integer, number

UNIT_OPTIONS: Final = (TemperatureUnit.CELSIUS.value, TemperatureUnit.FAHRENHEIT.value)
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


def _in_unit(value: float, fahrenheit: bool, *, delta: bool = False) -> float:
    """Convert a °C value (or a difference, `delta`) to the tablet's unit, rounded to 0.1."""
    if not fahrenheit:
        return value
    return round(value * 9.0 / 5.0 + (0.0 if delta else 32.0), 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigField:
    """One setting in the tablet's `config`: `section`.`field`, and how its value reads.

    `decode(raw, fahrenheit)` returns the Setting, None when unreadable; `encode(value)`
    returns the JSON value the tablet takes.
    """

    key: SettingKey
    section: str
    field: str
    decode: Callable[[Any, bool], Setting | None]
    encode: Callable[[SettingValue], int | float]


def _temperature(
    key: SettingKey, low: float, high: float, *, delta: bool = False
) -> Callable[[Any, bool], Setting | None]:
    """Decode a temperature (or difference) in the tablet's unit; the range follows it."""

    def decode(raw: Any, fahrenheit: bool) -> Setting | None:
        value = number(raw)
        if value is None:
            return None
        return Setting(
            key=key,
            kind=SettingKind.NUMBER,
            value=round(value, 2),
            minimum=_in_unit(low, fahrenheit, delta=delta),
            maximum=_in_unit(high, fahrenheit, delta=delta),
            step=0.1,
            unit="°F" if fahrenheit else "°C",
        )

    return decode


def _flag(key: SettingKey) -> Callable[[Any, bool], Setting | None]:
    """Decode a 0/1 `enable`."""

    def decode(raw: Any, _fahrenheit: bool) -> Setting | None:
        flag = integer(raw)
        if flag not in (0, 1):
            return None
        return Setting(key=key, kind=SettingKind.SWITCH, value=flag == 1)

    return decode


def _unit(raw: Any, _fahrenheit: bool) -> Setting | None:
    """Decode `temperature.unit`."""
    index = integer(raw)
    if index not in (0, 1):
        return None
    return Setting(
        key=SettingKey.TEMPERATURE_UNIT,
        kind=SettingKind.CHOICE,
        value=UNIT_OPTIONS[index],
        options=UNIT_OPTIONS,
    )


def _relay(raw: Any, _fahrenheit: bool) -> Setting | None:
    """Decode `relay.duration` (in 100 ms) as milliseconds."""
    steps = integer(raw)
    if steps is None:
        return None
    return Setting(
        key=SettingKey.RELAY_HOLD_TIME,
        kind=SettingKind.NUMBER,
        value=float(steps * _RELAY_UNIT_MS),
        minimum=float(_RELAY_UNIT_MS),
        maximum=float(100 * _RELAY_UNIT_MS),
        step=float(_RELAY_UNIT_MS),
        unit="ms",
    )


def _score(raw: Any, _fahrenheit: bool) -> Setting | None:
    """Decode `face_rec.score`, the match score 0-100 (default 70)."""
    value = number(raw)
    if value is None:
        return None
    return Setting(
        key=SettingKey.FACE_THRESHOLD,
        kind=SettingKind.NUMBER,
        value=float(value),
        minimum=0.0,
        maximum=100.0,
        step=1.0,
    )


def _distance(raw: Any, _fahrenheit: bool) -> Setting | None:
    """Decode `face_rec.distance` 0-4 as 50-250 cm."""
    index = integer(raw)
    if index is None or not 0 <= index < _DISTANCES:
        return None
    return Setting(
        key=SettingKey.RECOGNITION_DISTANCE,
        kind=SettingKind.NUMBER,
        value=float((index + 1) * _DISTANCE_STEP_CM),
        minimum=float(_DISTANCE_STEP_CM),
        maximum=float(_DISTANCES * _DISTANCE_STEP_CM),
        step=float(_DISTANCE_STEP_CM),
        unit="cm",
    )


FIELDS: Final[tuple[ConfigField, ...]] = (
    ConfigField(
        key=SettingKey.TEMPERATURE_MEASUREMENT,
        section="temperature",
        field="enable",
        decode=_flag(SettingKey.TEMPERATURE_MEASUREMENT),
        encode=lambda value: int(bool(value)),
    ),
    ConfigField(
        key=SettingKey.TEMPERATURE_ALARM_THRESHOLD,
        section="temperature",
        field="high_threshold",
        decode=_temperature(SettingKey.TEMPERATURE_ALARM_THRESHOLD, *_THRESHOLD_CELSIUS),
        encode=lambda value: round(float(value), 2),
    ),
    ConfigField(
        key=SettingKey.TEMPERATURE_OFFSET,
        section="temperature",
        field="offset",
        decode=_temperature(
            SettingKey.TEMPERATURE_OFFSET, -_OFFSET_CELSIUS, _OFFSET_CELSIUS, delta=True
        ),
        encode=lambda value: round(float(value), 2),
    ),
    ConfigField(
        key=SettingKey.TEMPERATURE_UNIT,
        section="temperature",
        field="unit",
        decode=_unit,
        encode=lambda value: UNIT_OPTIONS.index(str(value)),
    ),
    ConfigField(
        key=SettingKey.RELAY_HOLD_TIME,
        section="relay",
        field="duration",
        decode=_relay,
        encode=lambda value: round(float(value) / _RELAY_UNIT_MS),
    ),
    ConfigField(
        key=SettingKey.FACE_THRESHOLD,
        section="face_rec",
        field="score",
        decode=_score,
        encode=lambda value: round(float(value), 2),
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
    temperature = config.get("temperature")
    fahrenheit = isinstance(temperature, dict) and integer(temperature.get("unit")) == 1
    found: Settings = {}
    for spec in FIELDS:
        section = config.get(spec.section)
        if not isinstance(section, dict) or (raw := section.get(spec.field)) is None:
            continue
        if (setting := spec.decode(raw, fahrenheit)) is not None:
            found[spec.key] = setting
    return found


def config_set(seq: int, section: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Build a `config` set (`opType` 0) of one whole section (§9 L1729-L2071).

    The whole section as last read, with the change: whether a partial section is taken is
    not stated (digest §4.15), so none is sent.
    """
    return {"config": {"opType": 0, "seq": seq, section: dict(values)}}
