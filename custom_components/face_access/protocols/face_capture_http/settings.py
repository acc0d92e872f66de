"""Settings of the Huaan face capture terminal: which `app params` fields, as what.

The document is face-capture-http-v0.37 §2.3.1/§2.3.2 (`request app params` /
`update app params`, L1810-L2450) and §2.18 (`camera volume`, L4470-L4532); digest
`shared/protocols/face_capture_http.md` §4.15 and §6.9-§6.13. The application parameters
come as top-level objects (`face`, `gate_control`, ...); a write sends only the object it
changes, whole as last read with the one field changed ("the parameters not specified are
optional", L2140: whether a partial object is merged is not stated, so none is sent).
Pure functions: the client sends, this module decodes and encodes.

Left out on purpose:
- `gate_control.gate_mode` (§6.9) says which credentials open the gate (face, ID card,
  Wiegand card and their combinations), and `match_mode` (1 automatic, 2 online, 3
  offline) does not say what each does; neither is `SettingKey.DOOR_MODE`'s "who opens the
  door" (face, remote only, face or remote, face then the platform). "Online" would need
  Home Assistant to open the door in every record's ACK, which it does not.
- `face.name_privacy` ("name masking", a bool) does not say whether the name is hidden or
  shortened, so it is not `SettingKey.SHOW_NAME`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .. import setting_decoders as decoders
from ..model import Setting, SettingKey, Settings, SettingValue, TemperatureUnit
from ..setting_decoders import SettingDecoder
from ..wire import integer

UNIT_OPTIONS: Final = decoders.UNIT_OPTIONS
"""`face.body_temperature.fahrenheit_unit` false, true (L2006)."""
VOLUME_RANGE: Final = (0.0, 100.0)
"""`camera volume`: the document gives only the example 50 (L4485); 0-100 is ours."""

# Ranges the document gives, and ours where it gives none (said so at each field).
_SCORE_RANGE: Final = (70.0, 100.0)  # `match_score` "Value range: 70~100" (L1948)
_RETENTION_RANGE: Final = (500.0, 5000.0)  # `gpio_retention_time` 500~5000 ms (L2062)
_LIMIT_CELSIUS: Final = (30.0, 45.0)  # `limit`: only the example 38.0 (L1985)
_OFFSET_CELSIUS: Final = 5.0  # `correction_value`: only the example 0.25 (L2003)

_BODY_TEMPERATURE: Final = ("face", "body_temperature")


def _flag_position(raw: Any) -> int | None:
    """Return a bool (also 0/1 or "true"/"false", digest E48) as 0/1; None when unreadable."""
    flag = decoders.read_flag(raw, words=True)
    return None if flag is None else int(flag)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppField:
    """One setting among the application parameters: where it sits and how it reads.

    `path` is the object path from the top (`("face", "match_score")`); `decode(raw, unit)`
    returns the Setting (None when unreadable; `unit` the device's temperature unit) and
    `encode(value)` the JSON value the device takes.
    """

    key: SettingKey
    path: tuple[str, ...]
    decode: SettingDecoder
    encode: Callable[[SettingValue], Any]


FIELDS: Final[tuple[AppField, ...]] = (
    AppField(
        key=SettingKey.FACE_THRESHOLD,
        path=("face", "match_score"),
        decode=decoders.whole(SettingKey.FACE_THRESHOLD, *_SCORE_RANGE),
        encode=decoders.as_whole,
    ),
    AppField(
        key=SettingKey.RELAY_HOLD_TIME,
        path=("gate_control", "gpio_retention_time"),
        decode=decoders.whole(SettingKey.RELAY_HOLD_TIME, *_RETENTION_RANGE, 100.0, "ms"),
        encode=decoders.as_whole,
    ),
    AppField(
        key=SettingKey.TEMPERATURE_MEASUREMENT,
        path=(*_BODY_TEMPERATURE, "enable"),
        decode=decoders.switch(SettingKey.TEMPERATURE_MEASUREMENT, words=True),
        encode=bool,
    ),
    # The document does not say in which unit `limit` and `correction_value` are kept once
    # `fahrenheit_unit` is on; the device's own unit is inferred, as for its readings.
    AppField(
        key=SettingKey.TEMPERATURE_ALARM_THRESHOLD,
        path=(*_BODY_TEMPERATURE, "limit"),
        decode=decoders.temperature(SettingKey.TEMPERATURE_ALARM_THRESHOLD, *_LIMIT_CELSIUS),
        encode=decoders.as_hundredths,
    ),
    AppField(
        key=SettingKey.TEMPERATURE_OFFSET,
        path=(*_BODY_TEMPERATURE, "correction_value"),
        decode=decoders.temperature(
            SettingKey.TEMPERATURE_OFFSET, -_OFFSET_CELSIUS, _OFFSET_CELSIUS, delta=True
        ),
        encode=decoders.as_hundredths,
    ),
    AppField(
        key=SettingKey.TEMPERATURE_UNIT,
        path=(*_BODY_TEMPERATURE, "fahrenheit_unit"),
        decode=decoders.choice(SettingKey.TEMPERATURE_UNIT, UNIT_OPTIONS, index=_flag_position),
        encode=lambda value: str(value) == TemperatureUnit.FAHRENHEIT.value,
    ),
)
"""Every setting among the application parameters that Home Assistant shows."""

FIELDS_BY_KEY: Final[Mapping[SettingKey, AppField]] = {f.key: f for f in FIELDS}


def _at(params: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """Return the value at `path`, or None where an object on the way is missing."""
    value: Any = params
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def unit_of(params: Mapping[str, Any]) -> TemperatureUnit | None:
    """Return the unit `face.body_temperature.fahrenheit_unit` says; None when unsaid."""
    return decoders.unit_at(_flag_position(_at(params, (*_BODY_TEMPERATURE, "fahrenheit_unit"))))


def settings_from(params: Mapping[str, Any]) -> Settings:
    """Return the settings a `request app params` answer carries.

    A field it lacks (no temperature module, `match_score` absent while matching is off,
    L1948) is a setting the device does not offer now.
    """
    unit = unit_of(params) or TemperatureUnit.CELSIUS
    return decoders.collect(FIELDS, lambda spec: _at(params, spec.path), unit)


def changed_object(
    params: Mapping[str, Any], spec: AppField, value: SettingValue
) -> tuple[str, dict[str, Any]]:
    """Return the top-level object `spec` sits in, as read, with its field set to `value`.

    The result is `(name, object)`, what `update app params` carries (digest §4.15).
    """
    top, *inner = spec.path
    current = params.get(top)
    obj: dict[str, Any] = _deep_copy(current) if isinstance(current, Mapping) else {}
    target = obj
    for part in inner[:-1]:
        child = target.get(part)
        target[part] = _deep_copy(child) if isinstance(child, Mapping) else {}
        target = target[part]
    target[inner[-1]] = spec.encode(value)
    return top, obj


def _deep_copy(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Copy nested objects (JSON values only), so that the answer read stays untouched."""
    return {
        key: _deep_copy(value) if isinstance(value, Mapping) else value
        for key, value in obj.items()
    }


def volume_setting(reply: Mapping[str, Any]) -> Setting | None:
    """Return the volume of a `camera volume` GET answer (2.18.2, L4504-L4532), or None."""
    value = integer(reply.get("volume"))
    return (
        None
        if value is None
        else decoders.number_setting(SettingKey.VOLUME, float(value), *VOLUME_RANGE)
    )
