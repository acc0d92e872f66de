"""Codec of the body-temperature tablet's HTTP protocol V1.16: pure functions, wire <-> model.

The document is temperature-terminal-http-v1.16 (`shared/seeds`), digested with its errata in
`shared/protocols/temperature_http.md` ("digest" below; "L123" is a line of the document).
Decoders turn a POST body of the tablet into model objects; builders make the command bodies
that ride in heartbeat replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
import hashlib
from typing import Any, Final

from ..model import (
    PEOPLE_CAPABILITIES,
    RECORD_CAPABILITIES,
    AccessKind,
    AccessRecord,
    AlarmKind,
    Capability,
    CapturedPicture,
    DeviceAlarm,
    DeviceProfile,
    Enrollment,
    InvalidRequestError,
    Person,
    PersonLimits,
    PersonList,
    PhotoLimits,
    Picture,
)
from ..wire import DecodeError, integer, loads_tolerant, number, text, utf8_len

PROFILE: Final = DeviceProfile(
    # The document names no vendor: tablets of many brands speak it.
    manufacturer="Generic",
    model="Body-temperature tablet (HTTP V1.16)",
    # Digest §9: no snapshot, no cards or QR codes read, no validity periods.
    capabilities=PEOPLE_CAPABILITIES
    | RECORD_CAPABILITIES
    | {
        Capability.SETTINGS,  # §9 config
        Capability.REBOOT,  # §11 reboot
        Capability.UPLOAD_CHECK,  # §6 reupload, §9 face_cap.upload_mode
        Capability.OPEN_DOOR,
        Capability.BODY_TEMPERATURE,
        Capability.MASK,
        Capability.DOOR_ALARM,
        Capability.ENROLL_CARD_NUMBER,
        Capability.BATCH_ENROLL,  # §7 facelib_batch
    },
    # The document sets no limit; the whole photo rides in one heartbeat reply (digest §7).
    photo_limits=PhotoLimits(max_bytes=200_000, max_side=800, min_bytes=1000),
    # Digest erratum 8, the smaller of the conflicting limits: `id`, `name` and `cardNo` 35
    # bytes (§3.4 L331, L341, L413); no comma in an ID (`person_ids` is comma-separated, L505).
    person_limits=PersonLimits(
        id_max_bytes=35, id_forbidden=",", name_max_bytes=35, card_max_bytes=35
    ),
    # `person_type` 1 is a recognition, 0 a stranger (§4 L549-L653): the tablet reports no
    # refusal, so its access event never fires `denied`.
    access_kinds=frozenset({AccessKind.RECOGNIZED, AccessKind.STRANGER}),
)

DEFAULT_HEARTBEAT_INTERVAL: Final = 5
"""Seconds between heartbeats that the replies ask for (`time_interval`, §3.2). Every command
waits for a heartbeat, so this is the latency of a door command."""
DEFAULT_HIGH_THRESHOLD: Final = 37.3
"""`config.temperature.high_threshold` until the tablet told its own (§9, L1919)."""
MAX_ID_BYTES: Final = 35
MAX_NAME_BYTES: Final = 35
MAX_CARD_BYTES: Final = 35
BATCH_SIZE: Final = 20
"""Persons per `facelib_batch` (§7 L1385) and IDs per `person_ids` (§3.4 L505)."""
SEQ_LIMIT: Final = 1_000_000_000
"""Command `seq` values stay below this: an idle heartbeat's `seq` is its send time
(L113-L115), and Unix times have been above it since 2001."""
HISTORICAL_AFTER_SECONDS: Final = 60.0
"""A record older than this is a retransmission (§6: re-sent records keep their `time`)."""
# Unix times before this are a clock that was never set (the §13 example has 9 digits).
_PLAUSIBLE_TIME: Final = 1_000_000_000

UPLOAD_TYPES: Final = frozenset({1, 3, 4, 6, 7, 8, 9, 10, 11, 12})
"""Top-level `type` values the tablet sends (digest §4.0)."""

BATCH_RESULTS: Final = {
    1: "failed",
    2: "invalid person information",
    3: "invalid picture",
    4: "face library full",
    5: "timed out",
    6: "busy",
}
"""What a `facelib_batch` result code other than 0 means (§7 L1503-L1599)."""
CONTROL_ERRORS: Final = {1: "input error", 2: "failed"}
REUPLOAD_ERRORS: Final = {1: "parameter error"}
"""What a retransmission-set result's `errcode` other than 0 means (§6 L1239-L1241,
"Person parameter erro", digest erratum 36)."""
UPLOAD_EVERYONE: Final = 2
"""`face_cap.upload_mode` 2: enrolled people and strangers are uploaded (§9 L1859-L1865)."""
REUPLOAD_IDLE: Final = 2
"""`reupload.mode` 2: re-send kept records after 3 minutes without a pass (§6 L1195-L1199)."""
REUPLOAD_MODES: Final = {1: "scheduled", 2: "idle", 3: "scheduled", 4: "idle"}
"""`reupload.mode` 1 scheduled, 2 idle (L1195-L1199); the misplaced table says 3 and 4
(L1335-L1339, digest §6), read as the same."""
"""What a `control` result's `errcode` other than 0 means (§12 L2389-L2393)."""


@dataclass(frozen=True, slots=True)
class Upload:
    """One POST body: its `type` (None for the door alarm, §13), `cid` and the whole object."""

    type: int | None
    cid: str | None
    body: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    """A `type` 3 heartbeat (§2): `seq` echoes a face-library command's on success."""

    seq: int | None
    uptime: int | None
    app_version: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TabletConfig:
    """What a `config` query (§9) tells: the high-temperature threshold in the tablet's unit."""

    high_threshold: float = DEFAULT_HIGH_THRESHOLD
    fahrenheit: bool = False


def decode_upload(body: bytes | str) -> Upload:
    """Decode one POST body (any Content-Type, digest §2) into an Upload.

    Raises DecodeError unless it is a JSON object with a known integer `type` or an `alarm`
    object. The document's own examples are invalid JSON; see `wire.loads_tolerant`.
    """
    obj = loads_tolerant(body)
    if not isinstance(obj, dict):
        raise DecodeError("not a JSON object")
    cid = text(obj.get("cid"))
    if "type" not in obj:
        if isinstance(obj.get("alarm"), dict):
            return Upload(None, cid, obj)
        raise DecodeError("no type")
    kind = integer(obj.get("type"))
    if kind not in UPLOAD_TYPES:
        raise DecodeError("unknown type")
    return Upload(kind, cid, obj)


def heartbeat_from(upload: Upload) -> Heartbeat:
    """Read a heartbeat's fields (§2 L101-L139); every one may be missing."""
    body = upload.body
    return Heartbeat(
        seq=integer(body.get("seq")),
        uptime=integer(body.get("uptime")),
        app_version=text(body.get("app_version")),
    )


def _local_time(epoch: int | None, now: datetime) -> datetime | None:
    """Return UTC seconds as naive local time in `now`'s zone; None for an unset clock."""
    if epoch is None or epoch < _PLAUSIBLE_TIME:
        return None
    try:
        return datetime.fromtimestamp(epoch, now.tzinfo).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def _first_picture(value: Any) -> Picture | None:
    """Return the first base64 picture of `faces` (an array, or a bare string, digest §2)."""
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str) and item.strip()), None)
    if isinstance(value, str) and value.strip():
        return Picture(value.strip())
    return None


def record_from(
    upload: Upload, *, now: datetime, config: TabletConfig = TabletConfig()
) -> AccessRecord | CapturedPicture:
    """Decode a `type` 1 snapshot upload (§4 L549-L653) into a record.

    The person fields sit in `result` in the example but flat in the table (erratum 3): both
    are read. `person_type` 1 is a recognition, 0 a stranger, 2 an interval capture (returned
    as a CapturedPicture). `confidence` is 0-1 (0-100 tolerated, erratum 25) and becomes a
    0-100 similarity. The temperature is in the tablet's unit (°F when `config` says so) and
    becomes °C; it is high when it reaches the tablet's threshold (digest §4.3). `key` is
    (`time`, person, type, picture digest), the same for a retransmitted copy (§6).
    Raises DecodeError for a record that says nothing at all.
    """
    body = upload.body
    result = body.get("result")
    fields: dict[str, Any] = {**body, **result} if isinstance(result, dict) else dict(body)
    person_type = integer(fields.get("person_type"))
    picture = _first_picture(body.get("faces", body.get("image")))
    if person_type == 2:
        if picture is None:
            raise DecodeError("interval capture without a picture")
        return CapturedPicture(picture=picture)
    epoch = integer(body.get("time"))
    person_id = text(fields.get("person_id"))
    if person_type is None:
        person_type = 1 if person_id else 0
    if person_type not in (0, 1):
        raise DecodeError("unknown person_type")
    temperature = number(fields.get("temperature"))
    alarm: bool | None = None
    if temperature is not None and temperature > 0:
        alarm = temperature >= config.high_threshold
        if config.fahrenheit:
            temperature = (temperature - 32) * 5 / 9
        temperature = round(temperature, 1)
    else:
        temperature = None
    mask_flag = integer(fields.get("facemask"))
    if epoch is None and picture is None and temperature is None and person_id is None:
        raise DecodeError("an empty record")
    similarity = number(fields.get("confidence"))
    if similarity is not None:
        similarity = round(similarity * 100 if similarity <= 1 else similarity, 1)
        if similarity <= 0 or similarity > 100:
            similarity = None
    recognized = person_type == 1
    digest = (
        hashlib.sha1(picture.raw.encode(), usedforsecurity=False).hexdigest()[:16]
        if picture
        else ""
    )
    return AccessRecord(
        kind=AccessKind.RECOGNIZED if recognized else AccessKind.STRANGER,
        key=f"{epoch}|{person_id}|{person_type}|{digest}",
        time=_local_time(epoch, now),
        person_id=person_id if recognized else None,
        person_name=text(fields.get("person_name")) if recognized else None,
        similarity=similarity if recognized else None,
        temperature=temperature,
        temperature_alarm=alarm,
        mask=None if mask_flag not in (0, 1) else mask_flag == 1,
        historical=epoch is not None
        and epoch >= _PLAUSIBLE_TIME
        and now.timestamp() - epoch > HISTORICAL_AFTER_SECONDS,
        picture=picture,
    )


def door_alarm_from(upload: Upload, *, now: datetime) -> DeviceAlarm | None:
    """Decode the §13 alarm report; None for an alarm type the document does not define.

    Its `time` is untrustworthy (the example has 9 digits, erratum 29) and kept only when
    plausible; `seq` and `time` together identify a re-sent copy.
    """
    alarm = upload.body.get("alarm")
    if not isinstance(alarm, dict) or integer(alarm.get("alarmtype")) != 1:
        return None
    epoch = integer(alarm.get("time"))
    return DeviceAlarm(
        kind=AlarmKind.DOOR_ALARM,
        key=f"alarm|{integer(alarm.get('seq'))}|{epoch}",
        time=_local_time(epoch, now),
    )


def people_from(upload: Upload) -> list[Person]:
    """Read the people of a `type` 4 query result (§3.4 L315-L393; the array is `face`)."""
    people: list[Person] = []
    faces = upload.body.get("face")
    for entry in faces if isinstance(faces, list) else []:
        if not isinstance(entry, dict) or not (person_id := text(entry.get("person_id"))):
            continue
        people.append(
            Person(
                person_id=person_id,
                name=text(entry.get("person_name")),
                card_number=text(entry.get("cardNo")),
            )
        )
    return people


def batch_results_from(upload: Upload) -> dict[str, int]:
    """Return person ID -> `result` code of a `type` 9 batch result (§7 L1503-L1599)."""
    batch = upload.body.get("facelib_batch")
    entries = batch.get("resultList") if isinstance(batch, dict) else None
    results: dict[str, int] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and (person_id := text(entry.get("id"))):
            code = integer(entry.get("result"))
            results[person_id] = 1 if code is None else code
    return results


def sub_result(upload: Upload, key: str) -> tuple[int | None, int | None]:
    """Return (`seq`, `errcode`) of a result object: `control` (§12), `config` (§9)..."""
    obj = upload.body.get(key)
    if not isinstance(obj, dict):
        return None, None
    return integer(obj.get("seq")), integer(obj.get("errcode"))


def config_from(upload: Upload) -> TabletConfig | None:
    """Read the temperature settings of a `type` 10 config query result (§9 L2129-L2251).

    Returns None for a config-set confirmation (it carries `errcode`, not settings).
    """
    config = upload.body.get("config")
    if not isinstance(config, dict) or "errcode" in config:
        return None
    temperature = config.get("temperature")
    if not isinstance(temperature, dict):
        return TabletConfig()
    threshold = number(temperature.get("high_threshold"))
    return TabletConfig(
        high_threshold=DEFAULT_HIGH_THRESHOLD if threshold is None else threshold,
        fahrenheit=integer(temperature.get("unit")) == 1,
    )


def _check_bytes(value: str, limit: int, what: str) -> None:
    """Raise InvalidRequestError unless `value` fits the tablet's buffer of `limit` bytes."""
    if utf8_len(value) > limit:
        raise InvalidRequestError(f"{what} must be at most {limit} bytes")


def check_person_id(person_id: str) -> None:
    """Raise InvalidRequestError for an ID the tablet cannot store (1-35 bytes, no comma).

    `person_ids` of a delete is a comma-separated string (§3.4 L505), so a comma in an ID
    would delete someone else.
    """
    if not person_id or "," in person_id:
        raise InvalidRequestError("person_id must be set and contain no comma")
    _check_bytes(person_id, MAX_ID_BYTES, "person_id")


def facelib_add(seq: int, enrollment: Enrollment, photo_b64: str) -> dict[str, Any]:
    """Build `facelib_manage` type 1 (§3.4 L399-L477), nested in `face` as the example.

    `image` is an array here (erratum 9). Strategy 0 = no time restriction (§5 L687).
    Raises InvalidRequestError for IDs, names or card numbers beyond the limits (erratum 8:
    the smaller of the conflicting limits), and for validity periods and block lists, which
    the tablet does not have (digest §9).
    """
    check_person_id(enrollment.person_id)
    _check_bytes(enrollment.name, MAX_NAME_BYTES, "name")
    if enrollment.valid_from is not None or enrollment.valid_until is not None:
        raise InvalidRequestError("the tablet has no validity period")
    if enrollment.person_list is not PersonList.ALLOW:
        raise InvalidRequestError("the tablet has no block list")
    face: dict[str, Any] = {
        "id": enrollment.person_id,
        "name": enrollment.name,
        "strategyId": 0,
        "image": [photo_b64],
    }
    if enrollment.card_number:
        _check_bytes(enrollment.card_number, MAX_CARD_BYTES, "card_number")
        face["cardNo"] = enrollment.card_number
    return {"facelib_manage": {"type": 1, "seq": seq, "face": face}}


def facelib_delete(seq: int, person_ids: Sequence[str]) -> dict[str, Any]:
    """Build `facelib_manage` type 3 (§3.4 L481-L547): IDs comma-separated, no spaces."""
    return {"facelib_manage": {"type": 3, "seq": seq, "person_ids": ",".join(person_ids)}}


def facelib_simple(seq: int, kind: int) -> dict[str, Any]:
    """Build `facelib_manage` type 4 (delete all) or 5 (query) (§3.4)."""
    return {"facelib_manage": {"type": kind, "seq": seq}}


def batch_person(enrollment: Enrollment, photo_b64: str) -> dict[str, Any]:
    """Build one `personList` item of a `facelib_batch` import (§7 L1385-L1429, `operType` 1).

    `image` is a string here, not the array of `facelib_manage` (L1425-L1429); `id`,
    `strategyId` and `image` are required (L1385). Raises InvalidRequestError as
    `facelib_add` does.
    """
    face = facelib_add(0, enrollment, photo_b64)["facelib_manage"]["face"]
    return {"operType": 1, **face, "image": photo_b64}


def batch_add(people: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Build one `facelib_batch` chunk of up to 20 `batch_person` items (§7)."""
    return {"facelib_batch": {"personList": list(people)}}


def batch_delete(person_ids: Sequence[str]) -> dict[str, Any]:
    """Build one `facelib_batch` chunk that deletes up to 20 people (§7, `operType` 3)."""
    return {"facelib_batch": {"personList": [{"operType": 3, "id": pid} for pid in person_ids]}}


def control_open(seq: int) -> dict[str, Any]:
    """Build `control` `opType` 1: pulse the relay once (§12 L2347-L2371)."""
    return {"control": {"opType": 1, "seq": seq}}


@dataclass(frozen=True, slots=True, kw_only=True)
class Reupload:
    """What a retransmission query result says (§6 L1281-L1301).

    `mode` is the raw `reupload.mode`, `reupload_time` the "h:m:s" of the scheduled mode,
    `waiting` the records kept for re-sending (`recordes_num`, sic, digest erratum 11).
    """

    mode: int | None
    reupload_time: str | None
    waiting: int | None


def reupload_from(upload: Upload) -> Reupload | None:
    """Read a `type` 8 retransmission query result; None for a set result (it has `errcode`)."""
    body = upload.body.get("reupload")
    if not isinstance(body, dict) or "errcode" in body:
        return None
    return Reupload(
        mode=integer(body.get("mode")),
        reupload_time=text(body.get("reupload_time")),
        waiting=integer(body.get("recordes_num", body.get("records_num"))),
    )


def reupload_query() -> dict[str, Any]:
    """Build the retransmission query, `reupload` `type` 2, with no `seq` (§6 L1265-L1277)."""
    return {"reupload": {"type": 2}}


def reupload_set(seq: int, mode: int, reupload_time: str) -> dict[str, Any]:
    """Build the retransmission setting, `reupload` `type` 1 (§6 L1179-L1219).

    `reupload_time` ("h:m:s") is sent whatever the mode, as the example does.
    """
    return {"reupload": {"type": 1, "seq": seq, "reupload_time": reupload_time, "mode": mode}}


def config_query() -> dict[str, Any]:
    """Build a `config` query (§9 L2129-L2141); the answer is a `type` 10 without `seq`."""
    return {"config": {"opType": 1}}


def time_set(now: datetime) -> dict[str, Any]:
    """Build `time_set` (§3.3, nested as the example, erratum 6).

    `time_stamp` is UTC seconds, `time_zone` the zone's offset in seconds east of UTC.
    """
    offset = now.utcoffset()
    return {
        "time_set": {
            "time_stamp": int(now.timestamp()),
            "time_zone": int(offset.total_seconds()) if offset else 0,
        }
    }
