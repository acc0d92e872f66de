"""What the Huaan face capture terminal sends: records, heartbeats, upgrade questions.

Pure functions from the device's requests to model objects, and the answers it expects
("device as data client", digest §2.1; `face` push 2.2.1, L1316-L1701). "digest" is
`shared/protocols/face_capture_http.md`, "L123" a line of the document, "E12" the digest's
§8 erratum 12. Nothing here does I/O or logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from ..model import (
    AccessKind,
    AccessRecord,
    CredentialEvent,
    CredentialKind,
    DeviceInfo,
    PersonList,
    Picture,
    TemperatureUnit,
)
from ..wire import DecodeError, integer, ip_address, number, text
from .codec import ASK_UPGRADE, FACE, card_number_of, parse_time

FAILURE_REASONS: Final = {
    -2: "restricted",
    -3: "expired",
    -4: "outside_schedule",
    -5: "holiday",
    -6: "high_temperature",
    -7: "no_mask",
    -8: "no_helmet",
    -9: "card_not_registered",
    -10: "id_mismatch",
    -11: "unauthorized",
}
"""`match_failed_reson` (sic) values and the `reason` of the denied event (L1359-L1361)."""
_HIGH_TEMPERATURE = -6
_NO_MASK = -7


def device_sn_of(obj: Mapping[str, Any]) -> str | None:
    """Return the `device_sn` a request names; None when absent or empty (L2933-L2948)."""
    return text(obj.get("device_sn"))


def heartbeat_info(obj: Mapping[str, Any]) -> DeviceInfo:
    """Read the device's IP from a heartbeat (L2933)."""
    return DeviceInfo(ip=ip_address(obj.get("ip")))


def firmware_of(obj: Mapping[str, Any]) -> str | None:
    """Return `firmware.appversion` of `ask_upgrade` (L3631-L3660): the only firmware version."""
    firmware = obj.get("firmware")
    return text(firmware.get("appversion")) if isinstance(firmware, dict) else None


def record_key(obj: Mapping[str, Any]) -> str:
    """Return a record's de-duplication key: (`device_sn`, `sequence_no`, `cap_time`).

    `cap_time` is part of it because nothing says `sequence_no` survives a reboot (digest §7).
    """
    return f"{text(obj.get('device_sn')) or ''}|{obj.get('sequence_no')}|{obj.get('cap_time')}"


def is_historical(obj: Mapping[str, Any]) -> bool:
    """Tell whether a push is a backlog record sent again: `is_realtime` 0 (L1351)."""
    return integer(obj.get("is_realtime")) == 0


def face_ack(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Return the acknowledgement of a `face` push (2.2.1.2, L1625-L1646).

    `sequence_no` and `cap_time` are echoed exactly as received ("no punctuation can be
    wrong", L1645). `cmd` is "face", without the example's trailing space (E25).
    Raises DecodeError when either is missing: such a push cannot be acknowledged.
    """
    sequence_no = obj.get("sequence_no")
    cap_time = obj.get("cap_time")
    if sequence_no is None or isinstance(sequence_no, (dict, list)):
        raise DecodeError("a face record without sequence_no")
    if not isinstance(cap_time, str) or not cap_time:
        raise DecodeError("a face record without cap_time")
    return {
        "reply": "ACK",
        "cmd": FACE,
        "code": 0,
        "sequence_no": sequence_no,
        "cap_time": cap_time,
    }


def ack(cmd: str) -> dict[str, Any]:
    """Return `{"reply": "ACK", "cmd": cmd, "code": 0}`.

    The heartbeat's answer (L2965-L2975), and the answer to anything else the device sends
    (digest E51).
    """
    return {"reply": "ACK", "cmd": cmd, "code": 0}


def upgrade_reply() -> dict[str, Any]:
    """Return the answer to `ask_upgrade`: no upgrade (2.11.1.1, L3664-L3690)."""
    return {"reply": "ACK", "cmd": ASK_UPGRADE, "code": 0, "upgrade_type": "none"}


def _section(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Return a nested object, or {} when absent or not an object."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _flag(value: Any) -> bool | None:
    """Return a boolean flag sent as true/false, 0/1 or "true"/"1" (E48); None if unknown."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    number_ = integer(value)
    return None if number_ is None else number_ != 0


def _picture(obj: Mapping[str, Any]) -> Picture | None:
    """Return the close-up's picture, else the panorama's (L1412-L1459)."""
    for key in ("closeup_pic", "overall_pic"):
        data = _section(obj, key).get("data")
        if isinstance(data, str) and data.strip():
            return Picture(data.strip())
    return None


def _temperature(
    person: Mapping[str, Any], obj: Mapping[str, Any], unit: TemperatureUnit | None
) -> float | None:
    """Return the body temperature: `person.temperatur` (sic, L1498), then spellings.

    In °F when `unit` says the device shows °F (`fahrenheit_unit`, L2006); otherwise in
    °C, where a value above 50 can only be °F and is converted. 0 or less is no
    measurement.
    """
    value = None
    for source, key in ((person, "temperatur"), (person, "temperature"), (obj, "body_temp")):
        value = number(source.get(key))
        if value is not None:
            break
    if value is None or value <= 0:
        return None
    if value > 50 and unit is not TemperatureUnit.FAHRENHEIT:
        value = (value - 32) * 5 / 9
    return round(value, 1)


def record_from(obj: Mapping[str, Any], unit: TemperatureUnit | None = None) -> AccessRecord | None:
    """Decode a `face` push (2.2.1.1, L1316-L1623) into an access record.

    `unit` is the unit the device shows (from its `fahrenheit_unit`, None when not known):
    a °F device's temperature stays in °F and is labelled so.

    - `match_result` > 0 is a recognition with that similarity (100-point scale), -1 a
      stranger (L1364-L1366). 0 is "no comparison": with a `match` the person was known
      another way (a card: a recognition without similarity); with a credential read
      (card, QR code, ID card) there is no access record, only the credential event
      (`credentials_from`); otherwise (matching off) it is an unidentified person, a
      stranger, when the push says anything about a face (picture, temperature, mask).
    - `match_failed_reson` < 0 (sic, L1353-L1362) is a refusal with that reason; on a
      stranger it only adds the alarms. -6 (too hot) sets `temperature_alarm`, -7 (mask)
      sets `mask` False, so that their alarm events fire.
    - `person_role` 2 is the block list: a refusal, reason "block_list".
    - `is_encryption` true means the ID and name are AES ciphertext (L1371-L1373) with no
      documented cipher: both are None rather than garbage.
    - `is_realtime` 0 is a record sent again from the backlog: `historical`.

    Returns None when there is no access record to make. Never raises: a push that can be
    acknowledged is acknowledged whatever its other fields say.
    """
    match = _section(obj, "match")
    person = _section(obj, "person")
    result = integer(obj.get("match_result")) or 0
    failure = integer(obj.get("match_failed_reson", obj.get("match_failed_reason"))) or 0
    role = integer(match.get("person_role"))
    temperature = _temperature(person, obj, unit)
    mask = _flag(person.get("has_mask"))
    picture = _picture(obj)
    alarm: bool | None = True if failure == _HIGH_TEMPERATURE else None
    if failure == _NO_MASK:
        mask = False
    encrypted = _flag(match.get("is_encryption")) is True
    identified = text(match.get("person_id")) is not None
    reason: str | None = None
    if result < 0:
        kind = AccessKind.STRANGER
    elif failure < 0:
        kind = AccessKind.DENIED
        reason = FAILURE_REASONS.get(failure, "refused")
    elif role == 2:
        kind = AccessKind.DENIED
        reason = "block_list"
    elif result > 0 or (result == 0 and (identified or encrypted)):
        kind = AccessKind.RECOGNIZED
    elif credentials_from(obj) or (picture is None and temperature is None and mask is None):
        return None
    else:
        kind = AccessKind.STRANGER
    known = kind is not AccessKind.STRANGER
    similarity = float(result) if 0 < result <= 100 else None
    person_list = {1: PersonList.ALLOW, 2: PersonList.BLOCK}.get(role if role is not None else 0)
    sequence_no = obj.get("sequence_no")
    return AccessRecord(
        kind=kind,
        key=record_key(obj),
        record_id=None if sequence_no is None else str(sequence_no),
        time=parse_time(obj.get("cap_time")),
        person_id=text(match.get("person_id")) if known and not encrypted else None,
        person_name=text(match.get("person_name")) if known and not encrypted else None,
        similarity=similarity if known else None,
        temperature=temperature,
        temperature_alarm=alarm,
        mask=mask,
        person_list=person_list if known else None,
        reason=reason,
        historical=is_historical(obj),
        picture=picture,
        temperature_unit=TemperatureUnit.FAHRENHEIT
        if unit is TemperatureUnit.FAHRENHEIT and temperature is not None
        else TemperatureUnit.CELSIUS,
    )


def history_record(
    entry: Mapping[str, Any], device_sn: str, unit: TemperatureUnit | None = None
) -> AccessRecord | None:
    """Decode one entry of `request records` (2.2.2, L1750-L1795) as its `face` push would.

    The entry names its fields differently (digest E30): `sequence` is the push's
    `sequence_no` and `time` its `cap_time` (the same counter and the same clock, digest
    §7), so `key` is the one the live push had, `(device_sn, sequence, time)`; `id`,
    `name`, `role` are the `match`'s `person_id`, `person_name`, `person_role`; `score` is
    `match_result` (-1 a stranger); `body_temp` the temperature. Fields "that failed to
    compare are absent" (L1767), so every one may be missing. The record is `historical`.
    Returns None for an entry that makes no access record (nothing identifies it, or it
    says nothing about a face).
    """
    sequence = entry.get("sequence")
    when = entry.get("time")
    if sequence is None or isinstance(sequence, (dict, list)) or not isinstance(when, str):
        return None
    push: dict[str, Any] = {
        "device_sn": device_sn,
        "sequence_no": sequence,
        "cap_time": when,
        "is_realtime": 0,
        "match_result": entry.get("score"),
        "match_failed_reson": entry.get("match_failed_reson", entry.get("match_failed_reason")),
        "body_temp": entry.get("body_temp"),
    }
    person_id = text(entry.get("id"))
    if person_id is not None:
        push["match"] = {
            "person_id": person_id,
            "person_name": entry.get("name"),
            "person_role": entry.get("role"),
        }
    record = record_from(push, unit)
    return None if record is None else replace(record, historical=True)


def credentials_from(obj: Mapping[str, Any]) -> list[CredentialEvent]:
    """Return the credential events a `face` push carries (L1484-L1609).

    - `qr_code.qr_data` (present only when a code was read, L1592-L1609): a QR code;
    - `wg_card_id`, else `long_card_id` (64-bit), of `person`, other than 0: a card;
    - an `id_card` object: an ID card, without its number, name or anything else on it.

    The digest (E23) cannot tell whether `qr_code` and `id_card` sit at the top level or in
    `person`: both are read. `match.wg_card_id` is the matched person's enrolled card, not
    a read, and is ignored.
    """
    person = _section(obj, "person")
    when = parse_time(obj.get("cap_time"))
    events: list[CredentialEvent] = []
    qr_code = _section(obj, "qr_code") or _section(person, "qr_code")
    qr_data = qr_code.get("qr_data")
    if isinstance(qr_data, (str, int)) and str(qr_data).strip():
        events.append(
            CredentialEvent(kind=CredentialKind.QR_CODE, time=when, qr_data=str(qr_data).strip())
        )
    card = card_number_of(person) or card_number_of(obj)
    if card is not None:
        events.append(CredentialEvent(kind=CredentialKind.CARD, time=when, card_number=card))
    if _section(obj, "id_card") or _section(person, "id_card"):
        events.append(CredentialEvent(kind=CredentialKind.ID_CARD, time=when))
    return events
