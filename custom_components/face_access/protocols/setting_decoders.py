"""Builders of setting decoders and encoders that the protocols' settings modules share.

A protocol's settings module lists its fields (where each sits on the wire) and builds the
decoder of each from these: a decoder turns the raw field value into a `Setting` (None when
the value is unreadable) and an encoder turns the value Home Assistant sets into what the
device takes. What differs between the devices stays in their modules: where a field sits,
how a flag is spelled, the ranges their documents give. Pure functions, no Home Assistant.

Temperatures follow the device's unit: the ranges are written in °C and shown in the unit
the device reports in (face-terminal-mqtt v1.24 §9.5 `TemperatureMode`, temperature tablet
§9 `temperature.unit`, face-capture-http-v0.37 §2.3.1 `fahrenheit_unit`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol

from .model import Setting, SettingKey, SettingKind, Settings, SettingValue, TemperatureUnit
from .wire import integer, number

type SettingDecoder = Callable[[Any, TemperatureUnit], Setting | None]
"""`decode(raw, unit)`: the Setting a raw field value stands for, None when unreadable;
`unit` is the device's temperature unit, which temperature settings follow."""
type SettingEncoder = Callable[[SettingValue], int | float]
"""`encode(value)`: the number the device takes for a checked setting value."""

UNITS: Final = (TemperatureUnit.CELSIUS, TemperatureUnit.FAHRENHEIT)
"""The temperature units by the position all three documents give them: 0 °C, 1 °F."""
UNIT_OPTIONS: Final = tuple(unit.value for unit in UNITS)
"""The temperature unit setting's options, by the same positions."""


class DecodableField(Protocol):
    """A protocol's field description, as far as `collect` needs it."""

    @property
    def key(self) -> SettingKey:
        """The setting this field is."""

    @property
    def decode(self) -> SettingDecoder:
        """Its decoder."""


def unit_at(index: int | None) -> TemperatureUnit | None:
    """Return the unit at `index` (0 °C, 1 °F), None for any other value or None."""
    return UNITS[index] if index in (0, 1) else None


def celsius_to(unit: TemperatureUnit, celsius: float, *, delta: bool = False) -> float:
    """Convert a °C value (or a difference of °C, `delta`) to `unit`, rounded to 0.1."""
    if unit is TemperatureUnit.CELSIUS:
        return celsius
    return round(celsius * 9.0 / 5.0 + (0.0 if delta else 32.0), 1)


def read_flag(raw: Any, *, words: bool = False) -> bool | None:
    """Return a flag given as 0/1 (number, numeric string or JSON bool), None otherwise.

    With `words`, "true" and "false" (any case, padded) are read too: the face capture
    terminal's firmware spells its bools so (face_capture_http digest E48).
    """
    if isinstance(raw, bool):
        return raw
    if words and isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    flag = integer(raw)
    return None if flag not in (0, 1) else flag == 1


def number_setting(
    key: SettingKey,
    value: float,
    low: float,
    high: float,
    *,
    step: float = 1.0,
    unit: str | None = None,
) -> Setting:
    """Return a NUMBER setting of `value` within `low`..`high` in steps of `step`, in `unit`."""
    return Setting(
        key=key,
        kind=SettingKind.NUMBER,
        value=value,
        minimum=low,
        maximum=high,
        step=step,
        unit=unit,
    )


def whole(
    key: SettingKey,
    low: float,
    high: float,
    step: float = 1.0,
    unit: str | None = None,
    *,
    scale: int = 1,
) -> SettingDecoder:
    """Decode a whole number (or numeric string) times `scale` within `low`..`high`.

    `scale` is what one count of the device stands for in `unit` (the tablet's
    `relay.duration` counts 100 ms); the range is in `unit`, not in counts.
    """

    def decode(raw: Any, _unit: TemperatureUnit) -> Setting | None:
        value = integer(raw)
        if value is None:
            return None
        return number_setting(key, float(value * scale), low, high, step=step, unit=unit)

    return decode


def decimal(
    key: SettingKey, low: float, high: float, step: float = 1.0, unit: str | None = None
) -> SettingDecoder:
    """Decode a number (or numeric string), fraction and all, within `low`..`high`."""

    def decode(raw: Any, _unit: TemperatureUnit) -> Setting | None:
        value = number(raw)
        return (
            None if value is None else number_setting(key, value, low, high, step=step, unit=unit)
        )

    return decode


def temperature(key: SettingKey, low: float, high: float, *, delta: bool = False) -> SettingDecoder:
    """Decode a temperature (or a difference, `delta`) kept in the device's unit.

    `low`..`high` is the range in °C; the setting shows it in the device's unit, in steps of
    0.1, and keeps the value to two decimals (the documents write "37.30").
    """

    def decode(raw: Any, unit: TemperatureUnit) -> Setting | None:
        value = number(raw)
        if value is None:
            return None
        return number_setting(
            key,
            round(value, 2),
            celsius_to(unit, low, delta=delta),
            celsius_to(unit, high, delta=delta),
            step=0.1,
            unit="°F" if unit is TemperatureUnit.FAHRENHEIT else "°C",
        )

    return decode


def switch(key: SettingKey, *, words: bool = False) -> SettingDecoder:
    """Decode a 0/1 flag (and "true"/"false" with `words`, see `read_flag`) as a switch."""

    def decode(raw: Any, _unit: TemperatureUnit) -> Setting | None:
        flag = read_flag(raw, words=words)
        return None if flag is None else Setting(key=key, kind=SettingKind.SWITCH, value=flag)

    return decode


def choice(
    key: SettingKey,
    options: tuple[str, ...],
    *,
    index: Callable[[Any], int | None] = integer,
) -> SettingDecoder:
    """Decode an enumeration 0..n-1 into the option at that position.

    `index(raw)` reads the position (a whole number by default; a protocol whose field is
    a flag passes its flag reader); a position outside the options is unreadable.
    """

    def decode(raw: Any, _unit: TemperatureUnit) -> Setting | None:
        position = index(raw)
        if position is None or not 0 <= position < len(options):
            return None
        return Setting(key=key, kind=SettingKind.CHOICE, value=options[position], options=options)

    return decode


def as_whole(value: SettingValue) -> int:
    """Encode a number or switch as the whole number the device takes."""
    return round(float(value))


def as_flag(value: SettingValue) -> int:
    """Encode a switch as 0/1."""
    return int(bool(value))


def as_hundredths(value: SettingValue) -> float:
    """Encode a number with at most two decimals (temperatures as "37.20")."""
    return round(float(value), 2)


def as_position(options: tuple[str, ...]) -> Callable[[SettingValue], int]:
    """Encode an option as its position (the device's enumeration value)."""
    return lambda value: options.index(str(value))


def collect[F: DecodableField](
    fields: Iterable[F], raw_of: Callable[[F], Any], unit: TemperatureUnit
) -> Settings:
    """Return the settings of `fields` whose raw value (`raw_of(field)`) is there and reads.

    A field whose value is None (absent from the answer) or unreadable is left out: the
    device does not offer that setting now.
    """
    found: Settings = {}
    for spec in fields:
        raw = raw_of(spec)
        if raw is not None and (setting := spec.decode(raw, unit)) is not None:
            found[spec.key] = setting
    return found


def read_back_matches(read: SettingValue, written: SettingValue) -> bool:
    """Tell whether a value read back after a write is the one written (numbers to 0.01).

    Devices store numbers as they count them (37.5 may come back 37.50 or as text of it);
    flags and words must match exactly.
    """
    if isinstance(read, (bool, str)) or isinstance(written, (bool, str)):
        return read == written
    return abs(float(read) - float(written)) < 0.005
