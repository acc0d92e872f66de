"""Codec of the HFSecurity MQTT family: pure functions between payloads and the model.

The documents are face-terminal-mqtt v1.24 and network-camera-mqtt v1.25 (`shared/seeds`);
"digest" is `shared/protocols/face_terminal_mqtt.md` unless it says camera_mqtt, "E<n>" its
errata, "L123" a line of the document. The camera's analytics pushes are in `analytics`.

Wire format (face_terminal_mqtt digest §2.3): every message is
`{"messageId", "operator", "info": {...}}`. Keys are compared normalised (lower case, letters
and digits only), because firmware and documents spell the same field several ways.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
import json
import re
from typing import Any

from ..model import (
    AccessKind,
    AccessRecord,
    Capability,
    CredentialEvent,
    CredentialKind,
    DeviceInfo,
    DeviceRefusedError,
    Enrollment,
    InvalidRequestError,
    Person,
    PersonList,
    Picture,
)
from ..wire import (
    DecodeError,
    integer as _int,
    ip_address,
    loads_tolerant,
    number as _float,
    text as _text,
    utf8_len as _utf8_len,
)
from .variants import FACE_TERMINAL, MqttVariant

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


def normalise_keys(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Return `obj` with normalised keys; on a repeated key the last one wins (E8)."""
    return {_norm_key(str(k)): v for k, v in obj.items()}


def decode_envelope(payload: str | bytes | bytearray) -> Envelope:
    """Decode one MQTT payload into an Envelope.

    Raises DecodeError when the payload is not a JSON object with a string `operator`.
    """
    obj = loads_tolerant(payload)
    if not isinstance(obj, dict):
        raise DecodeError("not a JSON object")
    top = normalise_keys(obj)
    operator = top.get("operator")
    if not isinstance(operator, str) or not operator.strip():
        raise DecodeError("no operator")
    info = top.get("info")
    fields = normalise_keys(info) if isinstance(info, dict) else {}
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


def picture_of(env: Envelope, keys: Sequence[str] = ("pic",)) -> Picture | None:
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
        picture=picture_of(env),
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
        picture=picture_of(env),
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
        number = _text(normalise_keys(info).get("cardnum")) if isinstance(info, dict) else None
        return CredentialEvent(kind=CredentialKind.CARD, time=when, card_number=number)
    if operator == "idcardpush":
        return CredentialEvent(kind=CredentialKind.ID_CARD, time=when)
    return None


def info_from_online(env: Envelope) -> DeviceInfo:
    """Read the device's name and IP from `Online` (§10.1)."""
    return DeviceInfo(name=_text(env.fields.get("facesname")), ip=ip_address(env.fields.get("ip")))


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
    f = normalise_keys(entry)
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
        and Capability.ENROLL_CARD_NUMBER not in variant.profile.capabilities
    ):
        raise InvalidRequestError(f"card_number: the {variant.profile.model} has no card field")
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
