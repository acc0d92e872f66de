"""What a UNV terminal posts to Home Assistant: records (E7) and heartbeats (E1), and replies.

"digest" is `shared/protocols/unv_lapi.md`, "L123" a line of the vendor document, "E12" the
digest's §8 erratum 12, "notes" the field notes §1. Nothing here does I/O or logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any, Final

from .. import model
from ..http import HttpRequest
from ..wire import DecodeError, integer, number, text
from . import codec

_RECOGNIZED: Final = frozenset({1, 7})
_STRANGER: Final = 2
_HIGH_TEMPERATURE: Final = 11
_ABNORMAL: Final = 10
DENIAL_REASONS: Final = {
    3: "outside_schedule",
    4: "expired",
    5: "forcible_stop",
    6: "not_live",
    8: "face_scan_failed",
    9: "no_helmet",
    10: "abnormal_attributes",
    11: "high_temperature",
}
"""`MatchStatus` 3-11 (§6.11, L1989-L2065) and the `reason` of the denied event."""
_ENROLMENT: Final = frozenset(range(21, 27))  # on-device enrolment results, not a passage
_MAX_TEMPERATURE: Final = 50.0  # above this a reading is junk (digest §7.6)
_MAX_TIMESTAMP: Final = 4_102_444_800  # 2100-01-01: later is junk


def serial_of(request: HttpRequest) -> str | None:
    """Return the `DeviceCode` of a push or heartbeat body; None when it has none. Never raises.

    The Home Assistant layer routes the fixed-path requests with it (digest E23, §7.6).
    """
    try:
        obj = codec.loads(request.body)
    except (DecodeError, ValueError, TypeError):
        return None
    return text(obj.get("DeviceCode")) if isinstance(obj, dict) else None


def is_heartbeat(obj: Mapping[str, Any]) -> bool:
    """Tell a heartbeat (E1, §4.1.2, L500-L542): `RefId`/`NextTime`, and no record lists."""
    return ("RefId" in obj or "NextTime" in obj) and not is_push(obj)


def is_push(obj: Mapping[str, Any]) -> bool:
    """Tell a record push (E7, §4.3.4): a `Seq` or one of the record lists."""
    return "Seq" in obj or any(
        key in obj for key in ("FaceInfoList", "CardInfoList", "LibMatInfoList", "GateInfoList")
    )


def heartbeat_reply(now: datetime) -> dict[str, Any]:
    """Return the flat heartbeat reply (L626-L634, E17): `Code` 0 and HA's local time."""
    return {
        "ResponseURL": codec.HEART_REPORT,
        "Code": 0,
        "Data": {"Time": codec.format_time(now)},
    }


def ack(obj: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Return the acknowledgement real devices expect for a record (notes §1.3 item 1).

    `ResponseURL` is the Notifications path, not PersonVerification; `RecordID` echoes `Seq`
    as received (unacknowledged records come back as history). Without a `Seq`, `RecordID`
    is 0.
    """
    seq = obj.get("Seq")
    record = seq if isinstance(seq, (int, str)) and not isinstance(seq, bool) else 0
    return {
        "Response": {
            "ResponseURL": codec.NOTIFICATIONS,
            "CreatedID": -1,
            "ResponseCode": 0,
            "ResponseString": "Succeed",
            "StatusCode": 0,
            "StatusString": "Succeed",
            "Data": {"RecordID": record, "Time": codec.format_time(now)},
        }
    }


def _items(obj: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """Return the objects of a list; every `*Num` is a hint only (E21)."""
    value = obj.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _section(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def record_key(obj: Mapping[str, Any]) -> str:
    """Return a push's de-duplication key: `DeviceCode`, `Seq`, record ID and time.

    The record ID and time are in it because nothing says `Seq` survives a reboot (digest
    §7.3, §9.3 item 10).
    """
    faces = _items(obj, "FaceInfoList")
    cards = _items(obj, "CardInfoList")
    first = (faces or cards or _items(obj, "LibMatInfoList") or [{}])[0]
    when = first.get("Timestamp", obj.get("Timestamp"))
    return f"{text(obj.get('DeviceCode')) or ''}|{obj.get('Seq')}|{first.get('ID')}|{when}"


def _time(value: Any, zone: tzinfo | None) -> datetime | None:
    """Return a naive device-local time from UTC seconds in `zone`; None for junk."""
    seconds = integer(value)
    if seconds is None or not 0 < seconds < _MAX_TIMESTAMP:
        return None
    return datetime.fromtimestamp(seconds, zone).replace(tzinfo=None)


def _picture(face: Mapping[str, Any]) -> model.Picture | None:
    """Return `PanoImage`, else `FaceImage`, as the record's picture (base64, L1712-L1730)."""
    for key in ("PanoImage", "FaceImage"):
        data = _section(face, key).get("Data")
        if isinstance(data, str) and len(data.strip()) > 16:  # "…" placeholders are not pictures
            return model.Picture(data.strip())
    return None


def _temperature(face: Mapping[str, Any]) -> float | None:
    """Return °C; 0 (unknown or off, L1694-L1700) and absurd readings give None."""
    value = number(face.get("Temperature"))
    return value if value is not None and 0 < value <= _MAX_TEMPERATURE else None


def _mask(face: Mapping[str, Any]) -> bool | None:
    """Return `MaskFlag` 2 → True, 1 → False, else None (L1701-L1708)."""
    return {2: True, 1: False}.get(integer(face.get("MaskFlag")) or 0)


def record_from(obj: Mapping[str, Any], zone: tzinfo | None = None) -> model.AccessRecord | None:
    """Decode a push into an access record (§4.3.4, digest §4.7.6), or None when it has none.

    - `MatchStatus` 1 or 7: recognized; 2, or `LibType` 2, or a face without a match:
      stranger; 3-10: denied with DENIAL_REASONS; 11: denied "high_temperature" with
      `temperature_alarm`; 21-26 (on-device enrolment) and a push with no face and no match
      (a card or gate record only): None.
    - `MaskFlag` 2 mask on, 1 off; `Temperature` 0 unknown.
    - `LibType` 1 is the block list, 3 (employee) and 4 (visitor) the allow list.
    - `PanoImage` (else `FaceImage`) is the picture; `NotificationType` 1 is historical.
    - `time` is the face's `Timestamp`, else the push's, in `zone` (the device's clock is
      UTC seconds; the model's is local and naive, E39).

    Never raises on odd field values.
    """
    faces = _items(obj, "FaceInfoList")
    matches = _items(obj, "LibMatInfoList")
    if not faces and not matches:
        return None
    face = faces[0] if faces else {}
    # LibMatInfo joins to FaceInfo on the record ID (L1351/L1432); else the first one.
    match = next((m for m in matches if face and m.get("ID") == face.get("ID")), None)
    if match is None and matches:
        match = matches[0]
    match = match or {}
    status = integer(match.get("MatchStatus")) if match else None
    lib_type = integer(match.get("LibType"))
    if status in _ENROLMENT:
        return None
    temperature = _temperature(face)
    mask = _mask(face)
    alarm: bool | None = None
    reason: str | None = None
    if status in _RECOGNIZED and lib_type != 2:
        kind = model.AccessKind.RECOGNIZED
    elif status is not None and status in DENIAL_REASONS:
        kind = model.AccessKind.DENIED
        reason = DENIAL_REASONS[status]
        if status == _HIGH_TEMPERATURE:
            alarm = True
        elif status == _ABNORMAL and mask is False:
            reason = "no_mask"
    elif status is None or status == _STRANGER or lib_type == 2:
        kind = model.AccessKind.STRANGER
    else:  # 0 "invalid authentication", 27 and undefined values
        kind = model.AccessKind.DENIED
        reason = "unknown"
    info = _section(match, "MatchPersonInfo")
    person_id = integer(match.get("MatchPersonID"))
    known = kind is not model.AccessKind.STRANGER and person_id is not None and person_id > 0
    person_list = {1: model.PersonList.BLOCK, 3: model.PersonList.ALLOW, 4: model.PersonList.ALLOW}
    seq = obj.get("Seq")
    return model.AccessRecord(
        kind=kind,
        key=record_key(obj),
        record_id=None if seq is None or isinstance(seq, (dict, list)) else str(seq),
        time=_time(face.get("Timestamp", obj.get("Timestamp")), zone),
        person_id=str(person_id) if known else None,
        person_name=text(info.get("PersonName")) if known else None,
        temperature=temperature,
        temperature_alarm=alarm,
        mask=mask,
        person_list=person_list.get(lib_type or 0) if known else None,
        reason=reason,
        historical=integer(obj.get("NotificationType")) == 1,
        picture=_picture(face),
    )


def credentials_from(
    obj: Mapping[str, Any], zone: tzinfo | None = None
) -> list[model.CredentialEvent]:
    """Return the card and ID-card reads of a push (`CardInfoList`, L1805-L1927).

    The kind comes from `CardType` (1 access card, 0 ID card, L1842), else from `CapSrc`
    (2 card, 3 ID card; numbered the other way round, E26). An access card carries its
    `CardID`; an ID-card read carries nothing of the card (no number, name or photo).
    """
    events: list[model.CredentialEvent] = []
    for card in _items(obj, "CardInfoList"):
        card_type = integer(card.get("CardType"))
        if card_type is None:
            card_type = {2: 1, 3: 0}.get(integer(card.get("CapSrc")) or -1)
        when = _time(card.get("Timestamp", obj.get("Timestamp")), zone)
        if card_type == 1:
            events.append(
                model.CredentialEvent(
                    kind=model.CredentialKind.CARD,
                    time=when,
                    card_number=text(card.get("CardID")),
                )
            )
        elif card_type == 0:
            events.append(model.CredentialEvent(kind=model.CredentialKind.ID_CARD, time=when))
    return events
