"""HFSecurity (Huifan) MQTT family: face terminal (v1.24) and network camera (v1.25).

The documents are face-terminal-mqtt v1.24 and network-camera-mqtt v1.25 (`shared/seeds`).

One codec and one client serve the whole family; what differs between family members
(capabilities, number and time formats, person fields, heartbeat interval, photo limits) is
data in `MqttVariant`. The camera's video-analytics pushes (camera_mqtt digest §4.23) are
decoded by the operator table `ANALYTICS`.

Wire format (face_terminal_mqtt digest §2.3): every message is
`{"messageId", "operator", "info": {...}}`. Commands go to `<prefix>/<ID>`; the device answers
on `<prefix>/<ID>/<suffix>` with `<operator>-Ack` echoing `messageId`, pushes records on
per-device topics and `Online`/`Offline`/`HeartBeat` on the shared `<prefix>/basic` and
`<prefix>/heartbeat`. Suffix casing differs between firmware (digest §2.2), so messages are
routed by `operator`, never by topic suffix.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
import json
import logging
import re
import time
from typing import Any, Protocol
import uuid

from .model import (
    AccessKind,
    AccessRecord,
    Alive,
    AnalyticsEvent,
    AnalyticsKind,
    Capability,
    CommandResult,
    Connectivity,
    CredentialEvent,
    CredentialKind,
    DeviceInfo,
    DeviceMessage,
    DeviceRefusedError,
    DeviceTimeoutError,
    DoorModeError,
    Enrollment,
    FaceAccessError,
    InvalidRequestError,
    MessageCallback,
    Person,
    PersonList,
    PhotoLimits,
    Picture,
    ProtocolKey,
    UnsupportedError,
)
from .wire import (
    DecodeError,
    integer as _int,
    loads_tolerant,
    number as _float,
    text as _text,
    utf8_len as _utf8_len,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_TOPIC_PREFIX = "mqtt/face"
# A record's picture is at most 1 MB (§5); base64 and the other fields add about 40 %.
# Anything much larger is not from a working device and is dropped before JSON parsing.
MAX_PAYLOAD_BYTES = 3 * 1024 * 1024
# §4.1 L318: at least 1 s between EditPerson calls that carry a base64 picture.
PHOTO_COMMAND_INTERVAL = 1.0
# §16 L3281: frequent scene snapshots disturb recognition; reuse one for this long.
SCENE_SNAP_MIN_INTERVAL = 3.0
# Records older than this on arrival are backlog (digest §7.4: about 60 s).
HISTORICAL_AFTER_SECONDS = 60.0
DEFAULT_COMMAND_TIMEOUT = 15.0
LIST_PAGE_SIZE = 100
DELETE_BATCH_SIZE = 200

_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2})[:\-](\d{1,2})[:\-](\d{1,2})")
_KEY_JUNK = re.compile(r"[^a-z0-9]")
# Spellings of the device-ID key (erratum E6; field notes §3.3.3), normalised and with `i`
# folded into `l`, because OCR'd firmware docs and firmware alike mix up `I`, `l` and `i`.
_DEVICE_ID_KEYS = frozenset(
    key.replace("i", "l")
    for key in ("facesluiceid", "facesluicid", "faceluiceid", "facesiuicid", "deviceid")
)
# Name of the person in a record: every spelling seen (erratum E4, field notes §3.3.2).
_NAME_KEYS = ("personname", "persionname", "persistname", "name")


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttVariant:
    """What one member of the family is and can do, and how it spells things.

    `numbers_as_text`: numeric command fields are sent as strings, as the terminal's examples
    do; the camera's examples send numbers. `time_separator` goes between date and time in
    the times we send. `person_schema` names the validity fields of `EditPerson` ("terminal":
    `tempCardType`/`cardValidBegin`; "camera": `tempValid`/`validBegin`/`effectNumber`).
    `realtime_flag`: `Sendintime` 0 marks a record as not real-time (camera §5 L992).
    `search_extra`: further `SearchPersonList` fields the document requires.
    `name_prefixes`: default `facesname` prefixes, which tell family members apart in
    discovery.
    """

    protocol: ProtocolKey
    manufacturer: str
    model: str
    capabilities: frozenset[Capability]
    heartbeat_interval: float
    photo_limits: PhotoLimits
    numbers_as_text: bool
    time_separator: str
    person_schema: str
    realtime_flag: bool
    delete_all_restarts: bool
    search_extra: Mapping[str, Any]
    name_prefixes: tuple[str, ...]


FACE_TERMINAL = MqttVariant(
    protocol=ProtocolKey.FACE_TERMINAL_MQTT,
    manufacturer="HFSecurity",
    model="Face recognition terminal (MQTT)",
    capabilities=frozenset(
        {
            Capability.OPEN_DOOR,
            Capability.BODY_TEMPERATURE,
            Capability.MASK,
            Capability.SCENE_SNAPSHOT,
            Capability.RECORD_PICTURE,
            Capability.ACCESS_EVENTS,
            Capability.ALARM_EVENTS,
            Capability.CREDENTIAL_EVENTS,
            Capability.ENROLL,
            Capability.ENROLL_CARD_NUMBER,
            Capability.DELETE_PERSON,
            Capability.LIST_PEOPLE,
            Capability.DELETE_ALL_PEOPLE,
        }
    ),
    heartbeat_interval=30.0,  # §15 L3252
    # `pic` at most 1 MB of base64 (§4.1 L353) -> 700 kB of JPEG; picURI caps at 1080p and
    # refuses images under 1000 bytes (errors 468/469), which we keep for base64 too.
    photo_limits=PhotoLimits(max_bytes=700_000, max_side=1080, min_bytes=1000),
    numbers_as_text=True,
    time_separator="T",  # §9.8 and §4.2.3 examples
    person_schema="terminal",
    realtime_flag=False,  # v1.24 has no Sendintime; a captured terminal sends 0 live
    delete_all_restarts=True,  # §4.5 L756
    search_extra={},
    name_prefixes=("Face",),  # field notes §3.3.16: default facesname "Face1"
)

CAMERA = MqttVariant(
    protocol=ProtocolKey.CAMERA_MQTT,
    manufacturer="HFSecurity",
    model="Intelligent network camera (MQTT)",
    # camera_mqtt digest §9.2: no door, no body temperature, no card or QR code.
    capabilities=frozenset(
        {
            Capability.MASK,
            Capability.SCENE_SNAPSHOT,
            Capability.RECORD_PICTURE,
            Capability.ACCESS_EVENTS,
            Capability.ALARM_EVENTS,
            Capability.ANALYTICS_EVENTS,
            Capability.ENROLL,
            Capability.DELETE_PERSON,
            Capability.LIST_PEOPLE,
            Capability.DELETE_ALL_PEOPLE,
        }
    ),
    heartbeat_interval=60.0,  # KeepAliveInterval default (L233, L1441), not §9's "30 s"
    # `pic` within 1 MB of base64 (L304), picURI 1000 B to 1 MB at most 1080p (L4030).
    photo_limits=PhotoLimits(max_bytes=700_000, max_side=1080, min_bytes=1000),
    numbers_as_text=False,
    time_separator=" ",  # digest §4.19: send colons and a space
    person_schema="camera",
    realtime_flag=True,
    delete_all_restarts=False,  # §4.7 L908 says nothing of a restart
    search_extra={"Picture": 0},  # required by the §4.4.3 table
    name_prefixes=("IPC",),  # field notes §3.2: facesname "IPC1026700"
)

# Every family member by its protocol key.
VARIANTS: dict[str, MqttVariant] = {
    variant.protocol.value: variant for variant in (FACE_TERMINAL, CAMERA)
}


def variant_from_name(name: str | None) -> MqttVariant | None:
    """Guess the family member from the `facesname` of its `Online`, or None when unsure.

    Only factory-default names tell (`IPC<id>` cameras, `Face1` terminals); a renamed device
    says nothing, and the user picks.
    """
    if not name:
        return None
    matches = [
        variant
        for variant in VARIANTS.values()
        if any(name.upper().startswith(prefix.upper()) for prefix in variant.name_prefixes)
    ]
    return matches[0] if len(matches) == 1 else None


# --------------------------------------------------------------------------------------------
# Codec: pure functions, wire <-> model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    """A decoded message: canonical-case operator, messageId, and `info` with normalised keys.

    `fields` maps normalised keys (lower case, letters and digits only) to values; `top` does
    the same for the top level, where some acks put `ImgData`, `pic` or `code` (E17, E40).
    """

    operator: str
    message_id: str | None
    fields: Mapping[str, Any]
    top: Mapping[str, Any]

    @property
    def device_id(self) -> str | None:
        """Return the device ID the message names, whatever its key spelling (E6)."""
        for key, value in self.fields.items():
            if key.replace("i", "l") in _DEVICE_ID_KEYS:
                return None if value is None else str(value).strip()
        return None


def _norm_key(key: str) -> str:
    """Normalise a key so that `PersonName `, `personName` and `person_name` compare equal."""
    return _KEY_JUNK.sub("", key.lower())


def _normalise(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Return `obj` with normalised keys; on a repeated key the last one wins (E8)."""
    return {_norm_key(str(k)): v for k, v in obj.items()}


def decode_envelope(payload: str | bytes | bytearray) -> Envelope:
    """Decode one MQTT payload into an Envelope.

    Raises DecodeError when the payload is not a JSON object with a string `operator`.
    """
    obj = loads_tolerant(payload)
    if not isinstance(obj, dict):
        raise DecodeError("not a JSON object")
    top = _normalise(obj)
    operator = top.get("operator")
    if not isinstance(operator, str) or not operator.strip():
        raise DecodeError("no operator")
    info = top.get("info")
    fields = _normalise(info) if isinstance(info, dict) else {}
    message_id = top.get("messageid")
    return Envelope(
        operator=operator.strip(),
        message_id=None if message_id is None else str(message_id),
        fields=fields,
        top=top,
    )


def id_matches(reported: str | None, device_id: str) -> bool:
    """Tell whether a reported device ID is this device's.

    Accepts the decorated forms seen in the field: `<id>_<suffix>` and `<x>@@@<id>`
    (field notes §3.3.3).
    """
    if reported is None:
        return False
    if reported == device_id or reported.startswith(f"{device_id}_"):
        return True
    return "@@@" in reported and device_id in reported.split("@@@")


def parse_time(value: Any) -> datetime | None:
    """Parse the device's local times leniently (`2020-4-2T18:59:54`, `2018-03-07 14:01:01`).

    Returns a naive datetime, or None when absent or invalid (E33).
    """
    if not isinstance(value, str) or (match := _TIME.search(value)) is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def format_time(value: datetime, sep: str = " ") -> str:
    """Format a time as the device expects: zero-padded `YYYY-MM-DD<sep>HH:MM:SS`."""
    return value.strftime(f"%Y-%m-%d{sep}%H:%M:%S")


def _similarity(value: Any) -> float | None:
    """Return a 0-100 similarity rounded to one decimal ("96.800003" -> 96.8)."""
    number = _float(value)
    if number is None or not 0 <= number <= 100:
        return None
    return round(number, 1)


def _picture(env: Envelope, keys: Sequence[str] = ("pic",)) -> Picture | None:
    """Return the first picture under `keys`, kept undecoded.

    Looks in `info` and then at the top level, where some camera examples put `pic`
    (camera_mqtt digest §8.6, L1320).
    """
    for key in keys:
        for fields in (env.fields, env.top):
            pic = fields.get(key)
            if isinstance(pic, str) and pic.strip():
                return Picture(pic)
    return None


def _mask(fields: Mapping[str, Any], verify_status: int | None) -> bool | None:
    """Decide whether the person wore a mask.

    `isNoMask` (later firmware, field notes §3.2; camera §5 L1000: "0" mask on, "1" and "2"
    no mask) is authoritative.
    Otherwise the only signal is the `otype` flag 0x100, "passing with mask detection" on a
    pass (§5 L1346, digest §6.2); anything else says nothing.
    """
    no_mask = _int(fields.get("isnomask"))
    if no_mask in (0, 1, 2):  # 2: no mask, but the door lets people without one pass
        return no_mask == 0
    otype = _int(fields.get("otype"))
    if otype is not None and otype & 0x100 and verify_status == 1:
        return True
    return None


def record_from_rec_push(env: Envelope) -> AccessRecord:
    """Turn a `RecPush` (§5) into an AccessRecord; raise DecodeError for an empty one.

    `VerifyStatus` 1 is a recognition unless the person is on the block list; 2 and 24 are
    refusals; 3 ("not yet registered") is a stranger. `customId` falls back to `personId` for
    people enrolled on the device's web page (E64). The key is the `RecordID` when present,
    else the fallback of digest §7.4.
    """
    f = env.fields
    status = _int(f.get("verifystatus"))
    person_type = _int(f.get("persontype"))
    person_list = {0: PersonList.ALLOW, 1: PersonList.BLOCK}.get(
        -1 if person_type is None else person_type
    )
    reason: str | None = None
    if status == 3:
        kind = AccessKind.STRANGER
    elif status in (2, 24) or person_list is PersonList.BLOCK:
        kind = AccessKind.DENIED
        reason = {
            2: "refused",
            24: "no_permission",
        }.get(status or 0, "block_list")
    else:
        kind = AccessKind.RECOGNIZED
    person_id = _text(f.get("customid")) or _text(f.get("personid"))
    name = next((n for key in _NAME_KEYS if (n := _text(f.get(key)))), None)
    record_id = _text(f.get("recordid"))
    when = parse_time(f.get("time"))
    if record_id is None and when is None:
        raise DecodeError("a record with neither an ID nor a time")
    key = f"rec:{record_id}" if record_id else f"rec:{f.get('time')}:{person_id}:{f.get('otype')}"
    temperature = _float(f.get("temperature"))
    alarm = _int(f.get("temperaturealarm"))
    return AccessRecord(
        kind=kind,
        key=key,
        record_id=record_id,
        time=when,
        person_id=person_id if kind is not AccessKind.STRANGER else None,
        person_name=name if kind is not AccessKind.STRANGER else None,
        similarity=_similarity(f.get("similarity1")),
        temperature=temperature if temperature and temperature > 0 else None,
        temperature_alarm=None if alarm is None else alarm == 1,
        mask=_mask(f, status),
        person_list=person_list if kind is not AccessKind.STRANGER else None,
        reason=reason,
        historical=_int(f.get("pushtype")) == 2,
        picture=_picture(env),
    )


def record_from_str_snap_push(env: Envelope) -> AccessRecord:
    """Turn a `StrSnapPush` (§6) into a stranger AccessRecord keyed by `SnapID`.

    Raises DecodeError when it has neither `SnapID` nor `time`: it is about no passage.
    """
    f = env.fields
    snap_id = _text(f.get("snapid"))
    when = parse_time(f.get("time"))
    if snap_id is None and when is None:
        raise DecodeError("a record with neither an ID nor a time")
    temperature = _float(f.get("temperature"))
    alarm = _int(f.get("temperaturealarm"))
    return AccessRecord(
        kind=AccessKind.STRANGER,
        key=f"snap:{snap_id}" if snap_id else f"snap:{f.get('time')}",
        record_id=snap_id,
        time=when,
        temperature=temperature if temperature and temperature > 0 else None,
        temperature_alarm=None if alarm is None else alarm == 1,
        mask=_mask(f, None),
        historical=_int(f.get("pushtype")) == 2,
        picture=_picture(env),
    )


def credential_from(env: Envelope) -> CredentialEvent | None:
    """Turn `QRCodePush`, `CardPush` or `IDCardPush` (§14.3, §23, §21) into an event.

    `CardInfo` may be an object or a JSON string (E47). An ID card yields only that a card was
    read: its number, name and photo stay out of the model.
    """
    f = env.fields
    when = parse_time(f.get("time"))
    operator = env.operator.lower()
    if operator == "qrcodepush":
        return CredentialEvent(
            kind=CredentialKind.QR_CODE, time=when, qr_data=_text(f.get("qrcodeinfo"))
        )
    if operator == "cardpush":
        info = f.get("cardinfo")
        if isinstance(info, str):
            try:
                parsed = json.loads(info)
            except ValueError:
                parsed = None
            # A string that is not a JSON object is the card number itself ("86664719").
            info = parsed if isinstance(parsed, dict) else {"cardnum": info}
        number = _text(_normalise(info).get("cardnum")) if isinstance(info, dict) else None
        return CredentialEvent(kind=CredentialKind.CARD, time=when, card_number=number)
    if operator == "idcardpush":
        return CredentialEvent(kind=CredentialKind.ID_CARD, time=when)
    return None


# ---- camera analytics (network-camera-mqtt v1.25 §13-§28, camera_mqtt digest §4.23) -------

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
    alarm = _normalise(alarm) if isinstance(alarm, dict) else {}
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
        area = _Push(Envelope("message", None, _normalise(message), {}))
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
    plate = _text(_normalise(attr).get("carplate")) if isinstance(attr, dict) else None
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
        picture=_picture(env, ("pic", "scene", "scenepic", "tempic")),
    )
    return event, generic and record_id is not None


def info_from_online(env: Envelope) -> DeviceInfo:
    """Read the device's name and IP from `Online` (§10.1)."""
    return DeviceInfo(name=_text(env.fields.get("facesname")), ip=_text(env.fields.get("ip")))


def ack_result(env: Envelope) -> None:
    """Raise DeviceRefusedError unless an ack reports success.

    `result` is the authority ("ok", "OK"; "fail", "failure": E59); `code` may sit at the top
    level or in `info` (digest §2.3) and is reported with the failure.
    """
    result = _text(env.fields.get("result")) or _text(env.top.get("result"))
    code = _text(env.top.get("code")) or _text(env.fields.get("code"))
    if result is not None and result.lower() in ("ok", "success", "succ"):
        return
    if result is None and code in (None, "200", "0"):
        return
    detail = _text(env.fields.get("detail")) or _text(env.top.get("detail"))
    raise DeviceRefusedError(detail or "the device reported a failure", code)


def person_from_list_entry(entry: Mapping[str, Any]) -> Person | None:
    """Turn one `SearchPersonList-Ack` `List` item (§4.2.3) into a Person, or None if unusable."""
    f = _normalise(entry)
    person_id = _text(f.get("customid")) or _text(f.get("libid"))
    if person_id is None:
        return None
    card = _text(f.get("rfidcard"))
    if card in (None, "0"):
        # `cardNum2` is a card only when entered manually (`cardType2` 2, §4.1); otherwise it
        # is the public or auto-generated Wiegand number (the §4.2.3 example has 1).
        wiegand = _text(f.get("cardnum2")) if _int(f.get("cardtype2")) == 2 else None
        card = None if wiegand in (None, "0") else wiegand
    temporary = _int(f.get("tempcardtype")) in (1, 2)
    return Person(
        person_id=person_id,
        name=_text(f.get("name")),
        card_number=card,
        person_list=PersonList.BLOCK if _int(f.get("persontype")) == 1 else PersonList.ALLOW,
        valid_from=parse_time(f.get("cardvalidbegin")) if temporary else None,
        valid_until=parse_time(f.get("cardvalidend")) if temporary else None,
    )


def edit_person_info(enrollment: Enrollment, variant: MqttVariant | None = None) -> dict[str, Any]:
    """Build the `info` of `EditPerson` (terminal §4.1, camera §4.1), checking length limits.

    The camera has no card field and spells validity differently (camera_mqtt digest §4.7:
    always send `tempValid`, `validBegin`, `validEnd` and `effectNumber`).
    Raises InvalidRequestError when an ID, name or card number breaks a limit, or when a card
    number is given to a device without cards.
    """
    variant = variant or FACE_TERMINAL
    if not 0 < _utf8_len(enrollment.person_id) <= 47:
        raise InvalidRequestError("person_id must be 1 to 47 bytes")
    if not 0 < _utf8_len(enrollment.name) <= 31:
        raise InvalidRequestError("name must be 1 to 31 bytes")
    if (
        enrollment.card_number is not None
        and Capability.ENROLL_CARD_NUMBER not in variant.capabilities
    ):
        raise InvalidRequestError(f"card_number: the {variant.model} has no card field")
    info: dict[str, Any] = {
        "customId": enrollment.person_id,
        "name": enrollment.name,
        "personType": 1 if enrollment.person_list is PersonList.BLOCK else 0,
        "pic": "data:image/jpeg;base64," + base64.b64encode(enrollment.photo_jpeg).decode(),
    }
    if variant.person_schema == "camera":
        temporary = enrollment.valid_from is not None or enrollment.valid_until is not None
        info["tempValid"] = int(temporary)
        info["validBegin"] = format_time(enrollment.valid_from or datetime(2000, 1, 1))
        info["validEnd"] = format_time(enrollment.valid_until or datetime(2099, 12, 31, 23, 59, 59))
        info["effectNumber"] = 65535  # unlimited uses (§6.1)
        return info
    info["tempCardType"] = 0
    if enrollment.valid_from or enrollment.valid_until:
        info["tempCardType"] = 1
        info["cardValidBegin"] = format_time(enrollment.valid_from or datetime(2000, 1, 1))
        info["cardValidEnd"] = format_time(
            enrollment.valid_until or datetime(2099, 12, 31, 23, 59, 59)
        )
    if enrollment.card_number is not None:
        card = enrollment.card_number.strip()
        # RFIDCard: at most 10 characters, decimal with RFCardMode 0, hex with 1 (§4.1 L350).
        if not card or len(card) > 10 or not re.fullmatch(r"[0-9A-Fa-f]+", card):
            raise InvalidRequestError("card_number must be 1 to 10 decimal or hex digits")
        info["RFIDCard"] = card
        info["RFCardMode"] = 0 if card.isdigit() else 1
    return info


# --------------------------------------------------------------------------------------------
# Client: subscriptions, acks, commands
# --------------------------------------------------------------------------------------------


class MqttTransport(Protocol):
    """The MQTT connection a client is given (Home Assistant's MQTT integration in practice).

    `subscribe` returns a function that unsubscribes; `publish` sends with QoS 1, not retained.
    """

    async def subscribe(
        self, topic: str, callback: Callable[[str, str | bytes | bytearray], None]
    ) -> Callable[[], None]:
        """Subscribe `callback(topic, payload)` to a topic filter."""

    async def publish(self, topic: str, payload: str) -> None:
        """Publish one message."""


class HFSecurityMqttClient:
    """One device of the HFSecurity MQTT family.

    Inbound messages are decoded on the caller's event loop (cheap: JSON only; pictures stay
    base64) and handed to `on_message` as model objects, after the acknowledgements the
    protocol requires have been sent: `Online-Ack` for `Online` (§10.2) and `PushAck` for every
    record with an ID (§11), so that the device stops re-sending them. Commands are matched
    to their `-Ack` by `messageId` and time out after `command_timeout` seconds.
    """

    def __init__(
        self,
        transport: MqttTransport,
        device_id: str,
        on_message: MessageCallback,
        *,
        variant: MqttVariant = FACE_TERMINAL,
        topic_prefix: str = DEFAULT_TOPIC_PREFIX,
        now: Callable[[], datetime] = datetime.now,
        sync_time: bool = True,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
    ) -> None:
        """Set up the client; nothing is subscribed until `start`."""
        self._transport = transport
        self.device_id = device_id
        self._on_message = on_message
        self.variant = variant
        self._prefix = topic_prefix.rstrip("/")
        self._now = now
        self._sync_time = sync_time
        self._clock_set = False
        self._timeout = command_timeout
        self._unsubscribe: list[Callable[[], None]] = []
        self._pending: dict[str, asyncio.Future[Envelope]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._people_lock = asyncio.Lock()
        self._last_photo_command = 0.0
        self._snap_lock = asyncio.Lock()
        self._last_snap: tuple[float, Picture] | None = None

    @property
    def manufacturer(self) -> str:
        """Return who makes the device."""
        return self.variant.manufacturer

    @property
    def model(self) -> str:
        """Return what kind of device it is."""
        return self.variant.model

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Return what this device can do."""
        return self.variant.capabilities

    @property
    def photo_limits(self) -> PhotoLimits:
        """Return the limits an enrolment photo must meet."""
        return self.variant.photo_limits

    @property
    def command_topic(self) -> str:
        """Return the topic the device takes commands on (its "cloud topic", §2 L254)."""
        return f"{self._prefix}/{self.device_id}"

    async def start(self, *, shared_topics: bool = True) -> None:
        """Subscribe to the device's own topics and the two shared ones (digest §2.2).

        Without `shared_topics` (a short-lived probe) the client never sees `Online`, so it
        cannot answer it in the owner's place: the device stops repeating `Online` once any
        `Online-Ack` arrives (§10.1).
        """
        topics = [f"{self.command_topic}/#"]
        if shared_topics:
            topics += [f"{self._prefix}/basic", f"{self._prefix}/heartbeat"]
        self._unsubscribe.extend(
            await asyncio.gather(
                *(self._transport.subscribe(topic, self.handle_message) for topic in topics)
            )
        )

    async def stop(self) -> None:
        """Unsubscribe, fail pending commands and cancel background sends."""
        while self._unsubscribe:
            self._unsubscribe.pop()()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(DeviceTimeoutError("the connection to the device was closed"))
        self._pending.clear()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- inbound ----------------------------------------------------------------------------

    def handle_message(self, topic: str, payload: str | bytes | bytearray) -> None:
        """Handle one MQTT message: decode, acknowledge, pass on. Never raises.

        Bad input (oversize, not JSON, no operator, another device's ID on this device's topic)
        is dropped with one log line that carries no payload content.
        """
        if len(payload) > MAX_PAYLOAD_BYTES:
            _LOGGER.warning(
                "Dropped a %d-byte message on %s: larger than any device sends", len(payload), topic
            )
            return
        try:
            env = decode_envelope(payload)
        except DecodeError as err:
            _LOGGER.warning("Dropped a message on %s: %s", topic, err)
            return
        if topic == self.command_topic:
            return  # a command (ours, echoed by the `<id>/#` subscription); never a device's
        shared = not topic.startswith(f"{self.command_topic}/")
        reported = env.device_id
        if shared and not id_matches(reported, self.device_id):
            return  # another device on the shared topics: normal, not an error
        if not shared and reported is not None and not id_matches(reported, self.device_id):
            _LOGGER.warning("Dropped %s on %s: it names another device", env.operator, topic)
            return
        try:
            self._dispatch(env)
        except DecodeError as err:
            _LOGGER.warning("Dropped %s on %s: %s", env.operator, topic, err)
        except Exception:  # a device must never be able to raise into the host
            _LOGGER.exception("Failed to handle %s from device %s", env.operator, self.device_id)

    def _dispatch(self, env: Envelope) -> None:
        """Route by operator, compared without case (digest §2.2).

        An answer is matched by its `messageId` whatever its operator says: the camera names
        some answers wrongly (camera_mqtt digest §8.3).
        """
        operator = env.operator.lower()
        future = self._pending.get(env.message_id) if env.message_id is not None else None
        if future is not None or operator.endswith("-ack"):
            if future is not None and not future.done():
                future.set_result(env)
            return
        capabilities = self.variant.capabilities
        message: DeviceMessage | None
        if operator == "recpush":
            message = self._record(env, record_from_rec_push(env), ack_type=2)
        elif operator == "strsnappush":
            message = self._record(env, record_from_str_snap_push(env), ack_type=1)
        elif operator in ANALYTICS_OPERATORS and Capability.ANALYTICS_EVENTS in capabilities:
            event, acked = analytics_from(env)
            message = self._record(env, event, ack_type=3 if acked else None)
        elif (
            operator in ("qrcodepush", "cardpush", "idcardpush")
            and Capability.CREDENTIAL_EVENTS in capabilities
        ):
            message = credential_from(env)
        elif operator == "online":
            self._background(self._answer_online())
            message = Connectivity(online=True, info=info_from_online(env))
        elif operator == "offline":
            message = Connectivity(online=False)
        elif operator == "heartbeat":
            message = Alive()
        else:
            _LOGGER.debug("Ignored operator %s from device %s", env.operator, self.device_id)
            return
        if message is not None:
            self._on_message(message)

    def _record[R: (AccessRecord, AnalyticsEvent)](
        self, env: Envelope, record: R, *, ack_type: int | None
    ) -> R:
        """Acknowledge a record (§11) before anyone processes it, and mark backlog as such.

        `ack_type` is the `PushAckType` (1 stranger, 2 recognition, 3 generic: camera_mqtt
        digest §4.4, where the prose wrongly says 1 for recognitions), None for pushes the
        protocol does not let us acknowledge. Records re-pushed on request (`PushType` 2) need
        no ack (§20 L3486). Re-sent copies are acked again, or the device never stops sending
        them (digest §7.3). A camera record with `Sendintime` 0 is not real-time (L992).
        """
        if ack_type is None:
            pass
        elif record.record_id is None and not record.historical:
            _LOGGER.warning(
                "A %s from device %s has no record ID; it cannot be acknowledged",
                env.operator,
                self.device_id,
            )
        elif not record.historical:
            record_id = _int(record.record_id)
            self._background(
                self._publish(
                    "PushAck",
                    {
                        "PushAckType": self._number(ack_type),
                        "SnapOrRecordID": record.record_id
                        if record_id is None
                        else self._number(record_id),
                    },
                )
            )
        if self.variant.realtime_flag and _int(env.fields.get("sendintime")) == 0:
            return replace(record, historical=True)
        if not record.historical and record.time is not None:
            age = (self._now().replace(tzinfo=None) - record.time).total_seconds()
            if age > HISTORICAL_AFTER_SECONDS:
                return replace(record, historical=True)
        return record

    async def _answer_online(self) -> None:
        """Answer `Online` with `Online-Ack` (§10.2), then set the device's clock (§9.8)."""
        await self._publish(
            "Online-Ack",
            {"facesluiceId": self.device_id, "result": "ok", "detail": ""},
        )
        if self._sync_time:
            self._clock_set = True
            await self._set_clock()

    async def _set_clock(self) -> None:
        """Set the device's clock to local time with `SetSysTime` (§9.8); best effort."""
        try:
            await self._command(
                "SetSysTime", {"SysTime": format_time(self._now(), self.variant.time_separator)}
            )
        except FaceAccessError as err:
            _LOGGER.debug("Device %s did not take the time: %s", self.device_id, err)

    def _number(self, value: int) -> int | str:
        """Return a number in the variant's spelling: text on the terminal (digest §4)."""
        return str(value) if self.variant.numbers_as_text else value

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a send in the background, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        """Forget a finished background send, logging a failure once."""
        self._tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            _LOGGER.warning("Sending to device %s failed: %s", self.device_id, err)

    # ---- outbound ---------------------------------------------------------------------------

    async def _publish(
        self,
        operator: str,
        info: Mapping[str, Any] | Sequence[Any],
        *,
        message_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Publish one command to the device's command topic; return its messageId."""
        message_id = message_id or f"ha-{uuid.uuid4().hex[:16]}"
        body: dict[str, Any] = {"messageId": message_id, "operator": operator}
        if extra:
            body.update(extra)
        body["info"] = info
        await self._transport.publish(self.command_topic, json.dumps(body, ensure_ascii=False))
        return message_id

    async def _command(
        self,
        operator: str,
        info: Mapping[str, Any] | Sequence[Any],
        *,
        extra: Mapping[str, Any] | None = None,
        ack_timeout: float | None = None,
    ) -> Envelope:
        """Send a command and wait for its successful `-Ack`.

        Raises DeviceTimeoutError when no ack comes in time, DeviceRefusedError when the ack
        reports a failure.
        """
        message_id = f"ha-{uuid.uuid4().hex[:16]}"
        future: asyncio.Future[Envelope] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        try:
            await self._publish(operator, info, message_id=message_id, extra=extra)
            async with asyncio.timeout(ack_timeout or self._timeout):
                env = await future
        except TimeoutError as err:
            raise DeviceTimeoutError(f"no answer to {operator}") from err
        finally:
            self._pending.pop(message_id, None)
        ack_result(env)
        return env

    async def query_info(self) -> DeviceInfo:
        """Ask for the firmware version (`Versions`, §7.3).

        The first answer after `start` also sets the device's clock when time sync is on: a
        device that was already online when Home Assistant started sends no new `Online`.
        """
        env = await self._command("Versions", {})
        if self._sync_time and not self._clock_set:
            self._clock_set = True
            # In the background: firmware that ignores SetSysTime must not delay the answer.
            self._background(self._set_clock())
        return DeviceInfo(firmware=_text(env.fields.get("name")), model=self.variant.model)

    async def open_door(self) -> None:
        """Open the door with `Unlock` (§8.1).

        In door mode 0 (`OpendoorWay`, §9.3.5) the device ignores remote opening without
        saying so, so the mode is read first and a refusal raised instead of silence.
        Raises UnsupportedError for a device without a door (the camera, camera_mqtt digest
        §4.24), DoorModeError, DeviceRefusedError or DeviceTimeoutError.
        """
        if Capability.OPEN_DOOR not in self.capabilities:
            raise UnsupportedError(f"the {self.model} has no door to open")
        try:
            door = await self._command("GetDoorconfig", {})
        except DeviceRefusedError:
            door = None  # firmware without door config: let Unlock speak for itself
        if door is not None and _int(door.fields.get("opendoorway")) == 0:
            raise DoorModeError(
                "the device is in face-only door mode (OpendoorWay 0) and ignores remote "
                "opening; set its door mode to 2 (face or remote)"
            )
        await self._command("Unlock", {"uid": "homeassistant", "openDoor": "1"})

    async def snapshot(self) -> Picture:
        """Capture the scene now with `GetSceneSnap` (§16); returns the picture undecoded.

        Calls closer together than SCENE_SNAP_MIN_INTERVAL share one capture (L3281).
        Raises DeviceRefusedError (e.g. 464, firmware without the feature) or
        DeviceTimeoutError.
        """
        async with self._snap_lock:
            if self._last_snap and time.monotonic() - self._last_snap[0] < SCENE_SNAP_MIN_INTERVAL:
                return self._last_snap[1]
            env = await self._command(
                "GetSceneSnap",
                {
                    "facesluiceId": self.device_id,
                    "ImgType": self._number(2),  # JPEG
                    "ImgQuality": self._number(80),
                },
                extra={"facesluiceId": self.device_id},
            )
            data = env.fields.get("imgdata") or env.top.get("imgdata")
            if not isinstance(data, str) or not data.strip():
                raise DeviceRefusedError("the snapshot answer carried no image")
            picture = Picture(data)
            self._last_snap = (time.monotonic(), picture)
            return picture

    async def _paced(self, operator: str, info: Mapping[str, Any]) -> Envelope:
        """Send a picture-carrying people command no sooner than §4.1 allows."""
        async with self._people_lock:
            wait = PHOTO_COMMAND_INTERVAL - (time.monotonic() - self._last_photo_command)
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await self._command(operator, info)
            finally:
                self._last_photo_command = time.monotonic()

    async def enroll(self, enrollment: Enrollment) -> CommandResult:
        """Add or replace a person with `EditPerson` (§4.1, an upsert by `customId`).

        `enrollment.photo_jpeg` must already be within `photo_limits`.
        Raises InvalidRequestError, DeviceRefusedError or DeviceTimeoutError.
        """
        await self._paced("EditPerson", edit_person_info(enrollment, self.variant))
        return CommandResult(message="enrolled")

    async def delete(self, person_ids: Sequence[str]) -> CommandResult:
        """Delete people: `DelPerson` for one (§4.3), `DeletePersons` by 200 for more (§4.9).

        Raises DeviceRefusedError when nobody could be deleted (the device's reason for one
        person), DeviceTimeoutError when the device does not answer.
        """
        async with self._people_lock:
            if len(person_ids) == 1:
                await self._command("DelPerson", {"customId": person_ids[0]})
                return CommandResult(message="deleted")
            deleted = 0
            for start in range(0, len(person_ids), DELETE_BATCH_SIZE):
                chunk = list(person_ids[start : start + DELETE_BATCH_SIZE])
                env = await self._command(
                    "DeletePersons",
                    {"customId": chunk},
                    extra={
                        "DataBegin": "BeginFlag",
                        "PersonNum": self._number(len(chunk)),
                        "DataEnd": "EndFlag",
                    },
                    ack_timeout=max(self._timeout, 30.0),  # §4.9: about 7 s for 200
                )
                deleted += _int(env.fields.get("delsucnum")) or 0
        if deleted == 0:
            raise DeviceRefusedError("none of these people is on the device")
        return CommandResult(message=f"deleted {deleted} of {len(person_ids)}")

    async def delete_all(self) -> CommandResult:
        """Delete every person with `DeleteAllPerson` (terminal §4.5, camera §4.7).

        The terminal also deletes its records and restarts (L756); the camera keeps records.
        """
        async with self._people_lock:
            await self._command("DeleteAllPerson", {"deleteall": self._number(1)})
        if self.variant.delete_all_restarts:
            return CommandResult(message="all people deleted; the device restarts now")
        return CommandResult(message="all people deleted")

    async def list_people(self) -> list[Person]:
        """Page through `SearchPersonList` (§4.2.3) and return everyone on the device."""
        people: list[Person] = []
        begin = 0
        sep = self.variant.time_separator
        async with self._people_lock:
            while True:
                try:
                    env = await self._command(
                        "SearchPersonList",
                        {
                            "facesluiceId": self.device_id,
                            "personType": 2,
                            "BeginTime": format_time(datetime(2000, 1, 1), sep),
                            "EndTime": format_time(datetime(2099, 12, 31, 23, 59, 59), sep),
                            "gender": 2,
                            "BeginNO": begin,
                            "RequestCount": LIST_PAGE_SIZE,
                            **self.variant.search_extra,
                        },
                    )
                except DeviceRefusedError as err:
                    # 466 "can not find person": nothing (more) matches, an empty page (§4.2.3).
                    if err.code == "466" or err.reason.lower() == "can not find person":
                        return people
                    raise
                entries = env.fields.get("list")
                entries = entries if isinstance(entries, list) else []
                people.extend(
                    p for e in entries if isinstance(e, dict) and (p := person_from_list_entry(e))
                )
                total = _int(env.fields.get("totalpersonnum")) or 0
                begin += len(entries)
                if not entries or begin >= total:
                    return people


async def probe(
    transport: MqttTransport,
    device_id: str,
    *,
    topic_prefix: str = DEFAULT_TOPIC_PREFIX,
    variant: MqttVariant = FACE_TERMINAL,
    answer_within: float = 10.0,
) -> DeviceInfo:
    """Check that a device answers on its topic: send `Versions` and return what it says.

    Raises DeviceTimeoutError when nothing answers within `answer_within` seconds.
    """
    client = HFSecurityMqttClient(
        transport,
        device_id,
        lambda _message: None,
        variant=variant,
        topic_prefix=topic_prefix,
        sync_time=False,
        command_timeout=answer_within,
    )
    await client.start(shared_topics=False)
    try:
        return await client.query_info()
    finally:
        await client.stop()


__all__ = [
    "CAMERA",
    "DEFAULT_TOPIC_PREFIX",
    "FACE_TERMINAL",
    "HFSecurityMqttClient",
    "MqttTransport",
    "MqttVariant",
    "probe",
]
