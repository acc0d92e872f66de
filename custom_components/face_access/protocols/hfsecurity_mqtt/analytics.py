"""The network camera's video-analytics pushes (network-camera-mqtt v1.25 §13-§28).

Decoded by the operator table `ANALYTICS_OPERATORS` into `AnalyticsEvent`s
(camera_mqtt digest §4.23); enumerations are decoded to words per digest §6.1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import json
from typing import Any

from ..model import AnalyticsEvent, AnalyticsKind
from ..wire import (
    DecodeError,
    integer as _int,
    number as _float,
    text as _text,
)
from .codec import Envelope, normalise_keys, parse_time, picture_of

# Enumerations of digest §6.1, decoded to words; values the document leaves undefined stay
# numbers. Several fields reuse a name with another meaning per operator (digest §8.6), so
# each operator's decoder picks its own table.
_PRESENCE = {0: "none", 1: "present", 2: "unsure"}
_WEARING = {0: "wearing", 1: "not_wearing", 2: "unsure"}
_BEHAVIOR_OBJECT = {0: "human", 1: "vehicle"}
_BEHAVIOR_DIRECTION = {0: "left_to_right", 1: "right_to_left", 2: "enter", 3: "leave"}
_CAPTURE_OBJECT = {0: "face", 1: "human_body", 2: "motor_vehicle", 3: "non_motor_vehicle"}
_KITCHEN_TARGET = {0: "cook", 1: "animal", 2: "object"}
_KITCHEN_ALARMS = {
    "cookalarmtype": {
        0: "no_chef_hat",
        1: "no_mask",
        2: "no_chef_uniform",
        3: "smoking",
        4: "phone_call",
        5: "bare_shoulders",
    },
    "animalalarmtype": {0: "cat", 1: "dog", 2: "mouse"},
    "objectalarmtype": {0: "uncovered_dumpster"},
}
_THERMAL_TYPE = {0: "temperature_monitoring", 1: "left_open_flame_area"}
_THERMAL_LEVEL = {0: "early_warning", 1: "alarm"}
_CAR_COLOR = {
    0: "other",
    1: "black",
    2: "blue",
    3: "brown",
    4: "green",
    5: "silver",
    6: "white",
    7: "red",
    8: "yellow",
    9: "pink",
    10: "purple",
    11: "cyan",
    12: "grey",
    13: "gold",
}
_CAR_CLASS = {
    0: "other",
    1: "sedan",
    2: "suv",
    3: "business_vehicle",
    4: "small_truck",
    5: "large_truck",
    6: "light_passenger_vehicle",
    7: "small_bus",
    8: "large_bus",
    9: "tricycle",
    10: "minivan",  # 10 is listed twice, as minivan and microvan (digest §8.6)
    11: "pickup_truck",
    12: "trailer",
    13: "concrete_vehicle",
    14: "tanker",
    15: "crane_truck",
    16: "fire_engine",
    17: "soil_truck",
    18: "escort_vehicle",
    19: "repair_vehicle",
    20: "rescue_vehicle",
    21: "fence_truck",
    24: "tractor",
}
_CAR_SPECIAL = {
    0: "none",
    101: "military",
    102: "training",
    103: "police",
    105: "fire",
    106: "school_bus",
    107: "taxi",
    110: "ambulance",
    111: "escort",
    113: "express",
    114: "dangerous_goods",
    115: "sanitation",
    116: "engineering_repair",
    117: "rescue",
}
_CAR_VIEWPOINT = {0: "none", 1: "front", 2: "rear", 4: "side"}
_PLATE_COLOR = {
    0: "other",
    1: "yellow",
    2: "blue",
    3: "black",
    4: "white",
    5: "green",
    6: "yellow_green",
    7: "gradient_green",
}


class _Push:
    """Reads one analytics push: each field from `info`, else the top level (digest §8.6)."""

    def __init__(self, env: Envelope) -> None:
        self.env = env

    def get(self, *keys: str) -> Any:
        """Return the first present value among normalised `keys`."""
        for key in keys:
            for fields in (self.env.fields, self.env.top):
                if fields.get(key) is not None:
                    return fields[key]
        return None

    def enum(self, table: Mapping[int, str], *keys: str) -> str | int | None:
        """Return a decoded enumeration, the raw number when undefined, None when absent."""
        number = _int(self.get(*keys))
        return None if number is None else table.get(number, number)


def _behavior(push: _Push) -> tuple[AnalyticsKind, dict[str, Any]]:
    """`BehaviorSnapPush` (§17.2): a tripwire or area intrusion by a human or a vehicle."""
    behavior = _int(push.get("behaviourtype", "behaviortype"))
    kind = {0: AnalyticsKind.TRIPWIRE, 1: AnalyticsKind.AREA_INTRUSION}.get(
        -1 if behavior is None else behavior, AnalyticsKind.BEHAVIOR
    )
    attributes = {
        "object": push.enum(_BEHAVIOR_OBJECT, "objecttype"),
        "direction": push.enum(_BEHAVIOR_DIRECTION, "behaviourdirection", "behaviordirection"),
    }
    if kind is AnalyticsKind.BEHAVIOR:
        attributes["behavior_type"] = behavior
    return kind, attributes


def _kitchen(push: _Push) -> tuple[AnalyticsKind, dict[str, Any]]:
    """`VisibleKitchenSnapPush` (§13): a cook's violation, an animal or an open dumpster."""
    alarm = push.get("alarmtype")
    alarm = normalise_keys(alarm) if isinstance(alarm, dict) else {}
    alarms: list[str | int] = []
    for key, table in _KITCHEN_ALARMS.items():
        values = alarm.get(key)
        for value in values if isinstance(values, list) else [values]:
            if (number := _int(value)) is not None:
                alarms.append(table.get(number, number))
    return AnalyticsKind.KITCHEN, {
        "target": push.enum(_KITCHEN_TARGET, "targettype"),
        "alarms": alarms,
    }


def _thermal(push: _Push) -> tuple[AnalyticsKind, dict[str, Any]]:
    """`TemHighSnapPush` (§15, §28): scene hot spots or sparks, never a body temperature.

    Temperatures are converted to °C when `tempeunit` is 1 (°F, §28 L3974).
    """
    fahrenheit = _int(push.get("tempeunit")) == 1
    spark = _int(push.get("sparkalarm"))
    areas: list[dict[str, Any]] = []
    messages = push.get("message")
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        area = _Push(Envelope("message", None, normalise_keys(message), {}))
        temperature = _float(area.get("temperature"))
        if temperature is not None and fahrenheit:
            temperature = (temperature - 32) * 5 / 9
        areas.append(
            {
                "area_id": _int(area.get("areaid")),
                "type": area.enum(_THERMAL_TYPE, "messagetype"),
                "level": area.enum(_THERMAL_LEVEL, "alarmtype"),
                "temperature_rising": _int(area.get("temrise")) == 1,
                "duration": _int(area.get("durationtime")),
                "rise_duration": _int(area.get("temriseduration")),
                "temperature": None if temperature is None else round(temperature, 1),
            }
        )
    temperatures = [area["temperature"] for area in areas if area["temperature"] is not None]
    return AnalyticsKind.THERMAL_ALARM, {
        "spark": None if spark is None else spark in (1, 2),
        "max_temperature": max(temperatures, default=None),
        "areas": areas,
    }


def _thrown_object(push: _Push) -> tuple[AnalyticsKind, dict[str, Any]]:
    """`ParabolicSnapPush` (§14): an object thrown from height, with when it flew."""
    start, end = parse_time(push.get("starttime")), parse_time(push.get("endtime"))
    return AnalyticsKind.THROWN_OBJECT, {
        "start_time": None if start is None else start.isoformat(),
        "end_time": None if end is None else end.isoformat(),
    }


def _capture(push: _Push) -> tuple[AnalyticsKind, dict[str, Any]]:
    """`FullStrSnapPush` (§16): a face, body or vehicle captured, with a motor vehicle's plate."""
    attr = push.get("objectattr")
    plate = _text(normalise_keys(attr).get("carplate")) if isinstance(attr, dict) else None
    return AnalyticsKind.PERSON_VEHICLE_CAPTURE, {
        "object": push.enum(_CAPTURE_OBJECT, "objecttype"),
        "plate": plate,
    }


def _vehicle(push: _Push) -> tuple[AnalyticsKind, dict[str, Any]]:
    """`CatAttrSnapPush` (§25): a vehicle crossing a line, with its attributes."""
    return AnalyticsKind.VEHICLE_ATTRIBUTES, {
        "direction": push.enum(_BEHAVIOR_DIRECTION, "behaviordirection", "behaviourdirection"),
        "color": push.enum(_CAR_COLOR, "carcolor"),
        "vehicle_type": push.enum(_CAR_CLASS, "carclass"),
        "special": push.enum(_CAR_SPECIAL, "carspecial"),
        "viewpoint": push.enum(_CAR_VIEWPOINT, "carviewpoint"),
        "plate": _text(push.get("carplate")),
        "plate_color": push.enum(_PLATE_COLOR, "carplatecolor"),
        "plate_type": _int(push.get("carplatetype")),
    }


def _counts(push: _Push) -> tuple[AnalyticsKind, dict[str, Any]]:
    """`CountInRegionPush` (§24): people in a region now and over the counting cycle."""
    return AnalyticsKind.REGION_COUNT, {
        name: _int(push.get(key))
        for name, key in (
            ("count", "realtimecount"),
            ("average_count", "averagecount"),
            ("max_count", "maxcount"),
            ("min_count", "mincount"),  # only in the example (digest §8.6)
        )
        if push.get(key) is not None
    }


# operator (lower case) -> decoder, and whether its `SnapOrRecordID` is acked with PushAck
# type 3 (digest §4.4: kitchen, helmet, fire/smoke and e-bike records).
_ANALYTICS: dict[str, tuple[Callable[[_Push], tuple[AnalyticsKind, dict[str, Any]]], bool]] = {
    "behaviorsnappush": (_behavior, False),
    "leavesnappush": (lambda push: (AnalyticsKind.LEAVE_POST, {}), False),
    "visiblekitchensnappush": (_kitchen, True),
    "parabolicsnappush": (_thrown_object, False),
    "temhighsnappush": (_thermal, False),
    "fullstrsnappush": (_capture, False),
    "clothhelmetsnappush": (
        lambda push: (
            AnalyticsKind.HELMET,
            {
                "helmet": push.enum(_WEARING, "helmet"),
                "reflective_vest": push.enum(_WEARING, "reflectivevest"),
            },
        ),
        True,
    ),
    "firesmokesnappush": (
        lambda push: (
            AnalyticsKind.FIRE_SMOKE,
            {"fire": push.enum(_PRESENCE, "fire"), "smoke": push.enum(_PRESENCE, "smoke")},
        ),
        True,
    ),
    "countinregionpush": (_counts, False),
    "catattrsnappush": (_vehicle, False),
    "safetyridepush": (
        lambda push: (
            AnalyticsKind.SAFE_RIDING,
            # 1 = wearing here, the opposite of §18's helmet field (digest §8.6).
            {
                "helmet": None if (h := _int(push.get("helmet"))) is None else h == 1,
                "plate": _text(push.get("plate")),
            },
        ),
        False,
    ),
    "electricalbicyclesnappush": (lambda push: (AnalyticsKind.ELECTRIC_BICYCLE, {}), True),
}
ANALYTICS_OPERATORS = frozenset(_ANALYTICS)


def analytics_from(env: Envelope) -> tuple[AnalyticsEvent, bool]:
    """Turn an analytics push (§13-§28) into an AnalyticsEvent.

    Returns the event and whether its ID must be acknowledged with `PushAck` type 3.
    The key is the operator plus `SnapOrRecordID` (or `SnapID`) when the push has one; other
    pushes have no ID (digest §7.3) and are keyed by operator, time and content.
    Raises DecodeError for an unknown operator or a push with neither an ID nor a time.
    """
    operator = env.operator.lower()
    if operator not in _ANALYTICS:
        raise DecodeError("not an analytics push")
    decode, generic = _ANALYTICS[operator]
    push = _Push(env)
    kind, attributes = decode(push)
    record_id = _text(push.get("snaporrecordid", "snapid"))
    raw_time = push.get("time", "snaptime")
    when = parse_time(raw_time)
    if record_id is None and when is None:
        raise DecodeError("an analytics push with neither an ID nor a time")
    if record_id is not None:
        key = f"{operator}:{record_id}"
    else:
        key = f"{operator}:{raw_time}:{json.dumps(attributes, sort_keys=True, default=str)}"
    event = AnalyticsEvent(
        kind=kind,
        key=key,
        record_id=record_id,
        time=when,
        attributes=attributes,
        historical=_int(push.get("pushtype")) == 2,
        picture=picture_of(env, ("pic", "scene", "scenepic", "tempic")),
    )
    return event, generic and record_id is not None
