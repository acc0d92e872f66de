"""The body-temperature tablet's HTTP protocol V1.16 (`temperature_http`).

The document is temperature-terminal-http-v1.16 (`shared/seeds`), digested with its errata in
`shared/protocols/temperature_http.md` ("digest" below; "L123" is a line of the document).

The tablet is only an HTTP client (digest §2): it POSTs heartbeats (`type` 3), records
(`type` 1), command results (`type` 4, 6-12) and a door-sensor alarm (no `type`) to one URL,
and a command can only ride in the body of the 200 reply to a heartbeat. So this module has:

- a codec: pure functions from a POST body to model objects, and from model commands to
  reply bodies;
- `TemperatureHttpClient`: a persistent command queue per tablet. Commands wait for the next
  heartbeat, one at a time; face-library results come back as the `seq` of the following
  heartbeat (§3.4 L89-L95), the others as their own result POST. The queue is saved through
  an injected `QueueStore`, so that a restart of the server loses nothing queued.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
import hashlib
import json
import logging
import time
from typing import Any, Final, Protocol

from .model import (
    AccessKind,
    AccessRecord,
    AlarmKind,
    Alive,
    Capability,
    CapturedPicture,
    CommandResult,
    Connectivity,
    DeviceAlarm,
    DeviceInfo,
    DeviceRefusedError,
    DeviceTimeoutError,
    Enrollment,
    InvalidRequestError,
    MessageCallback,
    Person,
    PersonList,
    PhotoLimits,
    Picture,
    UnsupportedError,
)
from .wire import DecodeError, integer, loads_tolerant, number, text, utf8_len

_LOGGER = logging.getLogger(__name__)

MANUFACTURER: Final = "Generic"
MODEL: Final = "Body-temperature tablet (HTTP V1.16)"
CAPABILITIES: Final = frozenset(
    {
        Capability.OPEN_DOOR,
        Capability.BODY_TEMPERATURE,
        Capability.MASK,
        Capability.DOOR_ALARM,
        Capability.RECORD_PICTURE,
        Capability.ACCESS_EVENTS,
        Capability.ALARM_EVENTS,
        Capability.ENROLL,
        Capability.ENROLL_CARD_NUMBER,
        Capability.DELETE_PERSON,
        Capability.LIST_PEOPLE,
        Capability.DELETE_ALL_PEOPLE,
    }
)
# The document sets no limit; the whole photo rides in one heartbeat reply (digest §7).
PHOTO_LIMITS: Final = PhotoLimits(max_bytes=200_000, max_side=800, min_bytes=1000)

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
RESULT_HEARTBEATS: Final = 3
"""Heartbeats a delivered command may wait for its result POST before it counts as failed."""
DOOR_COMMAND_TTL: Final = 120.0
"""Seconds an undelivered door command stays queued; a door must not open much later."""
STORE_VERSION: Final = 1
# Unix times before this are a clock that was never set (the §13 example has 9 digits).
_PLAUSIBLE_TIME: Final = 1_000_000_000

UPLOAD_TYPES: Final = frozenset({1, 3, 4, 6, 7, 8, 9, 10, 11, 12})
"""Top-level `type` values the tablet sends (digest §4.0)."""

_BATCH_RESULTS: Final = {
    1: "failed",
    2: "invalid person information",
    3: "invalid picture",
    4: "face library full",
    5: "timed out",
    6: "busy",
}
_CONTROL_ERRORS: Final = {1: "input error", 2: "failed"}


# --------------------------------------------------------------------------------------------
# Codec: pure functions, wire <-> model
# --------------------------------------------------------------------------------------------


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


def batch_delete(person_ids: Sequence[str]) -> dict[str, Any]:
    """Build one `facelib_batch` chunk that deletes up to 20 people (§7, `operType` 3)."""
    return {"facelib_batch": {"personList": [{"operType": 3, "id": pid} for pid in person_ids]}}


def control_open(seq: int) -> dict[str, Any]:
    """Build `control` `opType` 1: pulse the relay once (§12 L2347-L2371)."""
    return {"control": {"opType": 1, "seq": seq}}


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


# --------------------------------------------------------------------------------------------
# Client: the command queue
# --------------------------------------------------------------------------------------------


class QueueStore(Protocol):
    """Where a client keeps its queue across restarts (JSON-safe dicts)."""

    async def load(self) -> dict[str, Any] | None:
        """Return what was saved last, or None."""
        ...

    async def save(self, data: dict[str, Any]) -> None:
        """Keep `data` durably before returning."""


@dataclass(frozen=True, slots=True)
class HttpReply:
    """The answer to one POST: status, body (JSON or empty) and why, for errors."""

    status: int
    body: bytes = b""
    reason: str = ""


# Queue entry kinds and how each is confirmed.
_FACELIB = "facelib"  # the next heartbeat's `seq` (§3.4 L89-L95)
_QUERY = "query"  # a `type` 4 (§3.4 L315)
_CONTROL = "control"  # a `type` 12 with the same `seq` (§12)
_CONFIG = "config"  # a `type` 10 with settings (§9)
_BATCH = "batch"  # a `type` 9 per chunk (§7)
_TIME_SET = "time_set"  # nothing (§3.3)
_KINDS = frozenset({_FACELIB, _QUERY, _CONTROL, _CONFIG, _BATCH, _TIME_SET})
_INTERNAL = frozenset({_CONFIG, _TIME_SET})  # queued by the client itself, ahead of users'


@dataclass(slots=True, kw_only=True)
class _Entry:
    """One queued command, as saved: JSON-safe fields only."""

    seq: int
    kind: str
    command: dict[str, Any] = field(default_factory=dict)
    expires: float | None = None
    delivered: float | None = None
    heartbeats: int = 0
    person_ids: list[str] = field(default_factory=list)
    chunks_sent: int = 0
    results: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> _Entry | None:
        """Return a saved entry, or None for anything this version cannot use."""
        try:
            entry = cls(**{key: data[key] for key in cls.__slots__ if key in data})
        except TypeError:
            return None
        if entry.kind not in _KINDS or not isinstance(entry.seq, int):
            return None
        return entry


class _Pending:
    """Waiter outcome when the client stops: the command stays queued."""


_STOPPED = _Pending()


class TemperatureHttpClient:
    """One tablet, known by its `cid`, behind the server's HTTP endpoint.

    The owner passes every POST to `handle_request` and sends back the HttpReply; inbound
    records reach `on_message`. Commands (`enroll`, `delete`, `delete_all`, `list_people`,
    `open_door`) are queued and saved, delivered one per heartbeat reply (door commands
    first), and each waits up to `confirm_timeout` seconds for its confirmation. People
    commands not confirmed by then return `CommandResult(pending=True)` and stay queued;
    `list_people` and `open_door` raise DeviceTimeoutError. When the tablet has been silent
    longer than `offline_after`, commands do not wait at all.
    """

    def __init__(
        self,
        cid: str,
        on_message: MessageCallback,
        store: QueueStore,
        *,
        now: Callable[[], datetime],
        heartbeat_interval: int = DEFAULT_HEARTBEAT_INTERVAL,
        confirm_timeout: float | None = None,
        offline_after: float | None = None,
        allowed_source: str | None = None,
        sync_time: bool = True,
    ) -> None:
        """Keep the settings; `start` loads the saved queue."""
        self.cid = cid
        self._on_message = on_message
        self._store = store
        self._now = now
        self._interval = max(1, int(heartbeat_interval))
        self._confirm_timeout = (
            confirm_timeout if confirm_timeout is not None else 3 * self._interval + 5
        )
        self._offline_after = (
            offline_after if offline_after is not None else max(3 * self._interval, 30)
        )
        self._allowed_source = allowed_source or None
        self._sync_time = sync_time
        self._queue: list[_Entry] = []
        self._next_seq = 1
        self._config = TabletConfig()
        self._connected_once = False
        self._waiters: dict[int, asyncio.Future[Any]] = {}
        self._last_post: float | None = None
        self._uptime: int | None = None
        self._hello_due = True
        self._info = DeviceInfo()
        self._save_lock = asyncio.Lock()

    # ---- the DeviceClient interface ---------------------------------------------------------

    @property
    def manufacturer(self) -> str:
        """Return who makes the device (the document names no vendor)."""
        return MANUFACTURER

    @property
    def model(self) -> str:
        """Return what kind of device it is."""
        return MODEL

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Return what the tablet can do (digest §9: no snapshot, cards or QR codes)."""
        return CAPABILITIES

    @property
    def photo_limits(self) -> PhotoLimits:
        """Return what an enrolment photo must meet."""
        return PHOTO_LIMITS

    @property
    def connected_once(self) -> bool:
        """Return whether the tablet has ever sent a heartbeat here (saved across restarts)."""
        return self._connected_once

    @property
    def online(self) -> bool:
        """Return whether the tablet posted anything within `offline_after` seconds."""
        return (
            self._last_post is not None and time.monotonic() - self._last_post < self._offline_after
        )

    @property
    def queued(self) -> int:
        """Return how many commands wait for delivery or confirmation."""
        return len(self._queue)

    async def start(self) -> None:
        """Load the saved queue and settings; entries this version cannot read are dropped."""
        data = await self._store.load() or {}
        entries = data.get("queue")
        self._queue = [
            entry
            for item in (entries if isinstance(entries, list) else [])
            if isinstance(item, dict) and (entry := _Entry.load(item)) is not None
        ]
        next_seq = data.get("next_seq")
        self._next_seq = next_seq if isinstance(next_seq, int) and 0 < next_seq < SEQ_LIMIT else 1
        self._connected_once = bool(data.get("connected_once"))
        threshold = number(data.get("high_threshold"))
        if threshold is not None:
            self._config = TabletConfig(
                high_threshold=threshold, fahrenheit=bool(data.get("fahrenheit"))
            )

    async def stop(self) -> None:
        """Release every waiter (its command stays queued) and save the queue."""
        for future in self._waiters.values():
            if not future.done():
                future.set_result(_STOPPED)
        self._waiters.clear()
        await self._save()

    async def query_info(self) -> DeviceInfo:
        """Return what the last heartbeat said; the tablet has no info command (§4.10)."""
        if self._uptime is None:
            raise DeviceTimeoutError("no heartbeat yet")
        return self._info

    async def open_door(self) -> None:
        """Queue a relay pulse (§12) and wait for its `type` 12 result.

        Raises DeviceRefusedError when the tablet reports an error, DeviceTimeoutError when
        it has not confirmed in time (the command stays queued for DOOR_COMMAND_TTL s).
        """
        seq = await self._submit(
            _Entry(seq=0, kind=_CONTROL, expires=self._now().timestamp() + DOOR_COMMAND_TTL)
        )
        done, errcode = await self._wait(seq)
        if not done:
            raise DeviceTimeoutError(
                f"not confirmed yet; the command waits up to {DOOR_COMMAND_TTL:.0f} s "
                "for the next heartbeat"
            )
        if errcode is None:
            raise DeviceTimeoutError("the tablet took the command but reported no result")
        if errcode != 0:
            raise DeviceRefusedError(_CONTROL_ERRORS.get(errcode, "failed"), str(errcode))

    async def snapshot(self) -> Picture:
        """Refuse: the protocol has no on-demand picture (digest §4.9)."""
        raise UnsupportedError("the tablet has no on-demand snapshot")

    async def enroll(self, enrollment: Enrollment) -> CommandResult:
        """Queue `facelib_manage` type 1 (add or modify) and wait for the next heartbeat.

        Raises InvalidRequestError before queueing anything the tablet cannot take, and
        DeviceRefusedError when the heartbeat reports failure (the protocol gives no reason).
        """
        photo = base64.b64encode(enrollment.photo_jpeg).decode()
        facelib_add(1, enrollment, photo)  # validates before anything is queued
        seq = await self._submit(
            _Entry(seq=0, kind=_FACELIB),
            lambda seq: facelib_add(seq, enrollment, photo),
        )
        return await self._facelib_outcome(seq)

    async def delete(self, person_ids: Sequence[str]) -> CommandResult:
        """Delete people: one by `facelib_manage` type 3, several by `facelib_batch`.

        The batch goes out in chunks of 20, each confirmed by a `type` 9 with a result per
        person (§7); the message lists the people the tablet could not delete. Raises
        DeviceRefusedError when every deletion failed.
        """
        ids = list(dict.fromkeys(person_ids))
        for person_id in ids:
            check_person_id(person_id)
        if len(ids) == 1:
            seq = await self._submit(
                _Entry(seq=0, kind=_FACELIB), lambda seq: facelib_delete(seq, ids)
            )
            return await self._facelib_outcome(seq)
        seq = await self._submit(_Entry(seq=0, kind=_BATCH, person_ids=ids))
        done, results = await self._wait(seq)
        if not done:
            return CommandResult(message=self._pending_message(), pending=True)
        failed = {pid: code for pid, code in results.items() if code != 0}
        if failed and len(failed) == len(ids):
            raise DeviceRefusedError(f"none of the {len(ids)} people was deleted")
        if failed:
            detail = ", ".join(
                f"{pid} ({_BATCH_RESULTS.get(code, 'no result')})"
                for pid, code in sorted(failed.items())
            )
            return CommandResult(message=f"{len(ids) - len(failed)} of {len(ids)}; not: {detail}")
        return CommandResult(message=f"{len(ids)} deleted")

    async def delete_all(self) -> CommandResult:
        """Queue `facelib_manage` type 4 and wait for the next heartbeat."""
        seq = await self._submit(_Entry(seq=0, kind=_FACELIB), lambda seq: facelib_simple(seq, 4))
        return await self._facelib_outcome(seq)

    async def list_people(self) -> list[Person]:
        """Queue `facelib_manage` type 5 and wait for its `type` 4 answer (§3.4).

        A query already queued is joined rather than repeated (the answer has no `seq`).
        Raises DeviceTimeoutError when no answer came in time; the query stays queued.
        """
        existing = next((entry for entry in self._queue if entry.kind == _QUERY), None)
        if existing is not None:
            seq = existing.seq
        else:
            seq = await self._submit(_Entry(seq=0, kind=_QUERY), lambda seq: facelib_simple(seq, 5))
        done, people = await self._wait(seq)
        if not done:
            raise DeviceTimeoutError(
                "the list has not arrived yet; the query waits for the next heartbeat"
            )
        return list(people)

    # ---- inbound ----------------------------------------------------------------------------

    async def handle_request(self, body: bytes, remote: str | None = None) -> HttpReply:
        """Answer one POST of the tablet: 200 with a command or nothing, or an error status.

        400: not a message of this protocol; 403: another `cid`, or a source address other
        than the pinned one. Neither changes any state. A 200 always comes after the body
        was read and the queue saved, so a record is acknowledged only once it is taken
        (digest §7) and a delivered command is never delivered twice.
        """
        if self._allowed_source is not None and remote != self._allowed_source:
            return self._refuse(403, f"from {remote}, not the pinned address")
        try:
            upload = decode_upload(body)
        except DecodeError as err:
            return self._refuse(400, str(err))
        if upload.cid is not None and upload.cid != self.cid:
            return self._refuse(403, "another cid")
        if upload.cid is None and upload.type is not None:
            return self._refuse(400, "no cid")
        try:
            reply = self._dispatch(upload, remote)
        except DecodeError as err:
            return self._refuse(400, str(err))
        self._last_post = time.monotonic()
        await self._save()
        if reply is None:
            return HttpReply(200)
        return HttpReply(200, json.dumps(reply, separators=(",", ":")).encode())

    def _refuse(self, status: int, reason: str) -> HttpReply:
        """Log one line about a refused POST and answer it."""
        _LOGGER.warning("Refused a POST for tablet %s: %s", self.cid, reason)
        return HttpReply(status, reason.encode(), reason)

    def _dispatch(self, upload: Upload, remote: str | None) -> dict[str, Any] | None:
        """Apply one upload; return the reply body, if any."""
        now = self._now()
        match upload.type:
            case 3:
                return self._on_heartbeat(heartbeat_from(upload), remote)
            case 1:
                self._on_message(record_from(upload, now=now, config=self._config))
            case None:
                if (alarm := door_alarm_from(upload, now=now)) is not None:
                    self._on_message(alarm)
                else:
                    _LOGGER.debug("Ignored an alarm of unknown type from tablet %s", self.cid)
                    self._on_message(Alive())
            case 4:
                self._on_message(Alive())
                self._resolve_kind(_QUERY, people_from(upload))
            case 9:
                self._on_message(Alive())
                return self._on_batch_result(batch_results_from(upload))
            case 10:
                self._on_message(Alive())
                if (config := config_from(upload)) is not None:
                    self._config = config
                    self._resolve_kind(_CONFIG, config)
            case 12:
                self._on_message(Alive())
                self._on_control_result(*sub_result(upload, "control"))
            case _:
                # Upgrade, strategy, retransmission and log results (types 6, 7, 8, 11):
                # nothing here asks for them.
                self._on_message(Alive())
        return None

    def _on_heartbeat(self, heartbeat: Heartbeat, remote: str | None) -> dict[str, Any] | None:
        """Judge the command in flight, then deliver the next one (§2, digest §7)."""
        if heartbeat.uptime != self._uptime or self._uptime is None:
            # First heartbeat since start, or the tablet rebooted (a new boot time).
            self._uptime = heartbeat.uptime
            self._hello_due = True
            self._connected_once = True
            self._info = DeviceInfo(firmware=heartbeat.app_version, ip=remote)
            self._on_message(Connectivity(online=True, info=self._info))
            self._enqueue_now(_Entry(seq=0, kind=_CONFIG, command=config_query()))
            if self._sync_time:
                self._enqueue_now(_Entry(seq=0, kind=_TIME_SET, command=time_set(self._now())))
        else:
            self._on_message(Alive())
        flight = next((entry for entry in self._queue if entry.delivered is not None), None)
        if flight is not None:
            if flight.kind == _FACELIB:
                self._finish(flight, heartbeat.seq == flight.seq)
            else:
                flight.heartbeats += 1
                if flight.heartbeats <= RESULT_HEARTBEATS:
                    return self._hello()
                _LOGGER.warning(
                    "Tablet %s sent no result for a %s command (seq %s)",
                    self.cid,
                    flight.kind,
                    flight.seq,
                )
                self._finish(flight, None)
        entry = self._next_entry()
        if entry is None:
            return self._hello()
        entry.delivered = self._now().timestamp()
        entry.heartbeats = 0
        command = self._command_of(entry)
        if entry.kind == _TIME_SET:
            self._queue.remove(entry)
        self._hello_due = False
        return {**command, "time_interval": self._interval}

    def _hello(self) -> dict[str, Any] | None:
        """Return the heartbeat period once per boot of the tablet, else nothing (§3.2)."""
        if not self._hello_due:
            return None
        self._hello_due = False
        return {"time_interval": self._interval}

    def _next_entry(self) -> _Entry | None:
        """Return the next command to deliver: door commands first, then in order.

        Door commands past their time are dropped (a door must not open much later).
        """
        now = self._now().timestamp()
        for entry in [e for e in self._queue if e.expires is not None and e.expires < now]:
            _LOGGER.warning("A door command for tablet %s expired undelivered", self.cid)
            self._finish(entry, None)
        for entry in self._queue:
            if entry.kind == _CONTROL:
                return entry
        return self._queue[0] if self._queue else None

    def _command_of(self, entry: _Entry) -> dict[str, Any]:
        """Return the body that delivers an entry (a batch: its next chunk)."""
        if entry.kind == _CONTROL:
            return control_open(entry.seq)
        if entry.kind == _BATCH:
            start = entry.chunks_sent * BATCH_SIZE
            entry.chunks_sent += 1
            return batch_delete(entry.person_ids[start : start + BATCH_SIZE])
        return entry.command

    def _on_batch_result(self, results: dict[str, int]) -> dict[str, Any] | None:
        """Take a chunk's results; reply with the next chunk, or finish the batch (§7)."""
        flight = next(
            (e for e in self._queue if e.kind == _BATCH and e.delivered is not None), None
        )
        if flight is None:
            _LOGGER.debug("Tablet %s sent a batch result nobody asked for", self.cid)
            return None
        flight.results.update(results)
        if flight.chunks_sent * BATCH_SIZE < len(flight.person_ids):
            flight.heartbeats = 0
            return self._command_of(flight)
        self._finish(flight, {pid: flight.results.get(pid, -1) for pid in flight.person_ids})
        return None

    def _on_control_result(self, seq: int | None, errcode: int | None) -> None:
        """Match a `type` 12 to its door command by `seq` (or the one in flight, §12)."""
        for entry in self._queue:
            if (
                entry.kind == _CONTROL
                and entry.delivered is not None
                and (seq is None or entry.seq == seq)
            ):
                self._finish(entry, errcode)
                return
        _LOGGER.debug("Tablet %s confirmed a door command nobody waits for", self.cid)

    def _resolve_kind(self, kind: str, value: Any) -> None:
        """Finish the delivered command of a kind whose result carries no `seq`."""
        flight = next((e for e in self._queue if e.kind == kind and e.delivered is not None), None)
        if flight is not None:
            self._finish(flight, value)

    def _finish(self, entry: _Entry, outcome: Any) -> None:
        """Remove a command and hand its outcome (None: no result) to whoever waits."""
        if entry in self._queue:
            self._queue.remove(entry)
        future = self._waiters.pop(entry.seq, None)
        if future is not None and not future.done():
            future.set_result(outcome)
        elif entry.kind == _FACELIB and outcome is not True:
            _LOGGER.warning(
                "A queued face-library command (seq %s) failed on tablet %s", entry.seq, self.cid
            )

    # ---- queue plumbing ---------------------------------------------------------------------

    def _take_seq(self) -> int:
        """Return the next command `seq`: small, so never a heartbeat's timestamp."""
        seq = self._next_seq
        self._next_seq = seq + 1 if seq + 1 < SEQ_LIMIT else 1
        return seq

    def _enqueue_now(self, entry: _Entry) -> None:
        """Queue an internal command ahead of the user's, once per kind."""
        if any(e.kind == entry.kind for e in self._queue):
            return
        entry.seq = self._take_seq()
        position = next(
            (
                i
                for i, e in enumerate(self._queue)
                if e.delivered is None and e.kind not in _INTERNAL
            ),
            len(self._queue),
        )
        self._queue.insert(position, entry)

    async def _submit(
        self, entry: _Entry, build: Callable[[int], dict[str, Any]] | None = None
    ) -> int:
        """Queue a user command, save the queue, and return its `seq`."""
        entry.seq = self._take_seq()
        if build is not None:
            entry.command = build(entry.seq)
        self._queue.append(entry)
        self._waiters[entry.seq] = asyncio.get_running_loop().create_future()
        await self._save()
        return entry.seq

    async def _wait(self, seq: int) -> tuple[bool, Any]:
        """Wait for a command's outcome: (True, outcome), or (False, None) when not yet.

        A tablet that is offline gets no wait at all.
        """
        future = self._waiters.get(seq)
        if future is None:
            return False, None
        if not self.online:
            self._waiters.pop(seq, None)
            return False, None
        try:
            async with asyncio.timeout(self._confirm_timeout):
                outcome = await asyncio.shield(future)
        except TimeoutError:
            self._waiters.pop(seq, None)
            return False, None
        if outcome is _STOPPED:
            return False, None
        return True, outcome

    async def _facelib_outcome(self, seq: int) -> CommandResult:
        """Turn a face-library command's heartbeat verdict into a result or an error."""
        done, success = await self._wait(seq)
        if not done:
            return CommandResult(message=self._pending_message(), pending=True)
        if success is not True:
            raise DeviceRefusedError("the tablet reported a failure (it gives no reason)")
        return CommandResult()

    def _pending_message(self) -> str:
        """Say why a command is still pending."""
        if not self.online:
            return "queued; the tablet is offline and gets it at its next heartbeat"
        return "queued; the tablet has not confirmed it yet"

    async def _save(self) -> None:
        """Save the queue and what was learnt about the tablet."""
        data = {
            "version": STORE_VERSION,
            "next_seq": self._next_seq,
            "connected_once": self._connected_once,
            "high_threshold": self._config.high_threshold,
            "fahrenheit": self._config.fahrenheit,
            "queue": [asdict(entry) for entry in self._queue if entry.kind != _TIME_SET],
        }
        async with self._save_lock:
            await self._store.save(data)
