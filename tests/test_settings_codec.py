"""The settings codecs, without Home Assistant: the documents' examples in, settings out."""

from __future__ import annotations

import pytest

from custom_components.face_access.protocols.hfsecurity_mqtt import codec
from custom_components.face_access.protocols.hfsecurity_mqtt.settings import (
    FIELDS_BY_KEY as MQTT_FIELDS,
    ConfigGroup,
    decode_group,
    temperature_unit_of,
)
from custom_components.face_access.protocols.model import (
    InvalidRequestError,
    SettingKey,
    SettingKind,
    TemperatureUnit,
)
from custom_components.face_access.protocols.temperature_http.settings import (
    FIELDS_BY_KEY as TABLET_FIELDS,
    config_set,
    settings_from,
)


def fields(info: dict[str, object]) -> dict[str, object]:
    """Return an ack's `info` with the codec's normalised keys."""
    return dict(codec.normalise_keys(info))


def test_door_config_of_the_document() -> None:
    """§9.3.2 `GetDoorconfig-Ack`: door mode 0, threshold 90, relay 200 ms."""
    found = decode_group(
        ConfigGroup.DOOR,
        fields({"OpendoorWay": "0", "FaceThreshold": "90", "IOStayTime": "200", "Wiegand": "0"}),
        TemperatureUnit.CELSIUS,
    )
    assert set(found) == {
        SettingKey.DOOR_MODE,
        SettingKey.FACE_THRESHOLD,
        SettingKey.RELAY_HOLD_TIME,
    }
    assert found[SettingKey.DOOR_MODE].value == "face"
    assert found[SettingKey.FACE_THRESHOLD].value == 90.0
    assert (found[SettingKey.FACE_THRESHOLD].minimum, found[SettingKey.FACE_THRESHOLD].maximum) == (
        50,
        100,
    )
    relay = found[SettingKey.RELAY_HOLD_TIME]
    assert (relay.value, relay.unit, relay.kind) == (200.0, "ms", SettingKind.NUMBER)


def test_values_the_document_does_not_define_are_left_out() -> None:
    """A door mode 7 or a volume "loud" is no setting we could show or write back."""
    found = decode_group(
        ConfigGroup.DOOR, fields({"OpendoorWay": "7"}), TemperatureUnit.CELSIUS
    ) | decode_group(
        ConfigGroup.SOUND, fields({"Volume": "loud", "IsShowName": "2"}), TemperatureUnit.CELSIUS
    )
    assert set(found) == {SettingKey.SHOW_NAME}
    assert found[SettingKey.SHOW_NAME].value == "partial"


def test_temperature_config_follows_the_unit() -> None:
    """§9.5: `TemperatureMode` 1 makes the threshold, offset and their ranges °F."""
    raw = fields({"TemperatureMode": "1", "TemperatureHigh": "99.50", "TemperatureCheck": "0.90"})
    unit = temperature_unit_of(raw)
    assert unit is TemperatureUnit.FAHRENHEIT
    assert unit is not None
    found = decode_group(ConfigGroup.TEMPERATURE, raw, unit)
    threshold = found[SettingKey.TEMPERATURE_ALARM_THRESHOLD]
    assert (threshold.value, threshold.unit) == (99.5, "°F")
    assert (threshold.minimum, threshold.maximum) == (86.0, 113.0)
    offset = found[SettingKey.TEMPERATURE_OFFSET]
    assert (offset.unit, offset.minimum, offset.maximum) == ("°F", -9.0, 9.0)
    assert found[SettingKey.TEMPERATURE_UNIT].value == "fahrenheit"
    # The document's own example carries no TemperatureMode: the unit is then unsaid.
    assert temperature_unit_of(fields({"TemperatureHigh": "37.20"})) is None


def test_encodings_are_the_devices_numbers() -> None:
    """Options go out as their enumeration value, temperatures with two decimals."""
    assert MQTT_FIELDS[SettingKey.DOOR_MODE].encode("face_or_remote") == 2
    assert MQTT_FIELDS[SettingKey.SHOW_NAME].encode("hidden") == 0
    assert MQTT_FIELDS[SettingKey.SUCCESS_VOICE].encode(True) == 1
    assert MQTT_FIELDS[SettingKey.TEMPERATURE_ALARM_THRESHOLD].encode(37.8) == 37.8
    assert MQTT_FIELDS[SettingKey.TEMPERATURE_UNIT].encode("fahrenheit") == 1


def test_a_setting_checks_what_it_is_given() -> None:
    """Out of range, not an option, not a bool: InvalidRequestError before anything is sent."""
    found = decode_group(
        ConfigGroup.DOOR,
        fields({"OpendoorWay": "2", "FaceThreshold": "90"}),
        TemperatureUnit.CELSIUS,
    )
    threshold = found[SettingKey.FACE_THRESHOLD]
    assert threshold.check(75) == 75.0
    with pytest.raises(InvalidRequestError):
        threshold.check(49)
    with pytest.raises(InvalidRequestError):
        threshold.check(True)
    with pytest.raises(InvalidRequestError):
        found[SettingKey.DOOR_MODE].check("open_sesame")


def test_tablet_config_of_the_document() -> None:
    """§9 L2167 query result: threshold 37.30 °C, relay 2 x 100 ms, plus the face section."""
    config = {
        "temperature": {
            "enable": 1,
            "high_threshold": 37.30,
            "voice": 1,
            "relay": 1,
            "offset": 0.00,
            "unit": 0,
            "environment": 0,
        },
        "relay": {"duration": 2, "state": 0},
        "face_rec": {"score": 70.00, "distance": 1},
        "misc": {"version": 1},
    }
    found = settings_from(config)
    assert found[SettingKey.TEMPERATURE_MEASUREMENT].value is True
    assert found[SettingKey.TEMPERATURE_ALARM_THRESHOLD].value == 37.3
    assert found[SettingKey.TEMPERATURE_UNIT].value == "celsius"
    relay = found[SettingKey.RELAY_HOLD_TIME]
    assert (relay.value, relay.unit, relay.minimum, relay.maximum) == (200.0, "ms", 100.0, 10000.0)
    distance = found[SettingKey.RECOGNITION_DISTANCE]
    assert (distance.value, distance.unit) == (100.0, "cm")
    assert found[SettingKey.FACE_THRESHOLD].value == 70.0
    assert TABLET_FIELDS[SettingKey.RELAY_HOLD_TIME].encode(500.0) == 5
    assert TABLET_FIELDS[SettingKey.RECOGNITION_DISTANCE].encode(250.0) == 4
    assert config_set(7, "relay", {"duration": 5, "state": 0}) == {
        "config": {"opType": 0, "seq": 7, "relay": {"duration": 5, "state": 0}}
    }
