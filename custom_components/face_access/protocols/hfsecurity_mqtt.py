"""HFSecurity (Huifan) MQTT family: the face terminal of face-terminal-mqtt v1.24.

One codec and one client serve the whole family; what differs between family members
(capabilities, heartbeat interval, photo limits) is data in `MqttVariant`.

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

# Platform -> device operators; the device's per-device wildcard subscription echoes them.
_COMMANDS = frozenset(
    op.lower()
    for op in (
        "EditPerson",
        "DelPerson",
        "DeletePersons",
        "DeleteAllPerson",
        "SearchPerson",
        "SearchPersonList",
        "QueryPerson",
        "AddPersons",
        "EditPersons",
        "EditPersonsNew",
        "QueryProgress",
        "Versions",
        "Unlock",
        "GetSceneSnap",
        "SetSysTime",
        "GetSysTime",
        "GetDoorconfig",
        "UpDoorconfig",
        "Getconfig",
        "Upconfig",
        "GetMQTTconfig",
        "UpMQTTconfig",
        "GetTPTconfig",
        "UpTPTconfig",
        "RebootDevice",
        "PushAck",
        "Online-Ack",
        "ManualPushRecords",
        "ManualPushSaps",
    )
)

_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2})[:\-](\d{1,2})[:\-](\d{1,2})")
_KEY_JUNK = re.compile(r"[^a-z0-9]")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
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
    """What one member of the family is and can do."""

    protocol: ProtocolKey
    manufacturer: str
    model: str
    capabilities: frozenset[Capability]
    heartbeat_interval: float
    photo_limits: PhotoLimits


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
)

# Every family member by its protocol key.
VARIANTS: dict[str, MqttVariant] = {variant.protocol.value: variant for variant in (FACE_TERMINAL,)}


# --------------------------------------------------------------------------------------------
# Codec: pure functions, wire <-> model
# --------------------------------------------------------------------------------------------


class DecodeError(FaceAccessError):
    """A payload is not a message of this protocol; the text never contains payload data."""


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


def loads_tolerant(payload: str | bytes | bytearray) -> Any:
    """Parse JSON, also accepting the trailing commas seen in the field (field notes §5).

    Raises DecodeError for anything else.
    """
    text = payload if isinstance(payload, str) else bytes(payload).decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError as err:  # absurdly deep nesting: hostile, never from a device
        raise DecodeError("JSON nested too deeply") from err
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", text))
    except ValueError as err:
        raise DecodeError("not JSON") from err
    except RecursionError as err:
        raise DecodeError("JSON nested too deeply") from err


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


def _text(value: Any) -> str | None:
    """Return a stripped string, or None for absent, blank or non-scalar values."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    """Return an int from an int or numeric string ("513", " 2 ", "2.0"), else None (E9)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number = _float(value)
    return None if number is None else int(number)


def _float(value: Any) -> float | None:
    """Return a float from a number or numeric string ("36.53", "96.800003"), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


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


def _picture(fields: Mapping[str, Any]) -> Picture | None:
    """Return the record's picture (`pic`), kept undecoded."""
    pic = fields.get("pic")
    return Picture(pic) if isinstance(pic, str) and pic.strip() else None


def _mask(fields: Mapping[str, Any], verify_status: int | None) -> bool | None:
    """Decide whether the person wore a mask.

    `isNoMask` (later firmware, field notes §3.2: "0" mask on, "1" no mask) is authoritative.
    Otherwise the only signal is the `otype` flag 0x100, "passing with mask detection" on a
    pass (§5 L1346, digest §6.2); anything else says nothing.
    """
    no_mask = _int(fields.get("isnomask"))
    if no_mask in (0, 1):
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
        picture=_picture(f),
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
        picture=_picture(f),
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


def _utf8_len(text: str) -> int:
    """Return the length the device's C buffers see."""
    return len(text.encode("utf-8"))


def edit_person_info(enrollment: Enrollment) -> dict[str, Any]:
    """Build the `info` of `EditPerson` (§4.1), checking the document's length limits.

    Raises InvalidRequestError when an ID, name or card number breaks a limit.
    """
    if not 0 < _utf8_len(enrollment.person_id) <= 47:
        raise InvalidRequestError("person_id must be 1 to 47 bytes")
    if not 0 < _utf8_len(enrollment.name) <= 31:
        raise InvalidRequestError("name must be 1 to 31 bytes")
    info: dict[str, Any] = {
        "customId": enrollment.person_id,
        "name": enrollment.name,
        "personType": 1 if enrollment.person_list is PersonList.BLOCK else 0,
        "tempCardType": 0,
        "pic": "data:image/jpeg;base64," + base64.b64encode(enrollment.photo_jpeg).decode(),
    }
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
        for topic in topics:
            self._unsubscribe.append(await self._transport.subscribe(topic, self.handle_message))

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
        shared = not topic.startswith(f"{self.command_topic}/") and topic != self.command_topic
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
        """Route by operator, compared without case (digest §2.2)."""
        operator = env.operator.lower()
        if operator.endswith("-ack"):
            future = self._pending.get(env.message_id) if env.message_id is not None else None
            if future is not None and not future.done():
                future.set_result(env)
            return
        if operator in _COMMANDS:
            return  # our own command, echoed by the `<id>/#` subscription
        message: DeviceMessage | None
        if operator == "recpush":
            message = self._record(env, record_from_rec_push(env), ack_type=2)
        elif operator == "strsnappush":
            message = self._record(env, record_from_str_snap_push(env), ack_type=1)
        elif operator in ("qrcodepush", "cardpush", "idcardpush"):
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

    def _record(self, env: Envelope, record: AccessRecord, *, ack_type: int) -> AccessRecord:
        """Acknowledge a record (§11) before anyone processes it, and mark backlog as such.

        Records re-pushed on request (`PushType` 2) need no ack (§20 L3486). Re-sent copies
        are acked again, or the device never stops sending them (digest §7.3).
        """
        if record.record_id is None and not record.historical:
            _LOGGER.warning(
                "A %s from device %s has no record ID; it cannot be acknowledged",
                env.operator,
                self.device_id,
            )
        elif not record.historical:
            self._background(
                self._publish(
                    "PushAck",
                    {"PushAckType": str(ack_type), "SnapOrRecordID": record.record_id},
                )
            )
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
            await self._command("SetSysTime", {"SysTime": format_time(self._now(), "T")})
        except FaceAccessError as err:
            _LOGGER.debug("Device %s did not take the time: %s", self.device_id, err)

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
        Raises DoorModeError, DeviceRefusedError or DeviceTimeoutError.
        """
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
                {"facesluiceId": self.device_id, "ImgType": "2", "ImgQuality": "80"},
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
        await self._paced("EditPerson", edit_person_info(enrollment))
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
                        "PersonNum": str(len(chunk)),
                        "DataEnd": "EndFlag",
                    },
                    ack_timeout=max(self._timeout, 30.0),  # §4.9: about 7 s for 200
                )
                deleted += _int(env.fields.get("delsucnum")) or 0
        if deleted == 0:
            raise DeviceRefusedError("none of these people is on the device")
        return CommandResult(message=f"deleted {deleted} of {len(person_ids)}")

    async def delete_all(self) -> CommandResult:
        """Delete every person and record with `DeleteAllPerson` (§4.5); the device restarts."""
        async with self._people_lock:
            await self._command("DeleteAllPerson", {"deleteall": "1"})
        return CommandResult(message="all people deleted; the device restarts now")

    async def list_people(self) -> list[Person]:
        """Page through `SearchPersonList` (§4.2.3) and return everyone on the device."""
        people: list[Person] = []
        begin = 0
        async with self._people_lock:
            while True:
                try:
                    env = await self._command(
                        "SearchPersonList",
                        {
                            "facesluiceId": self.device_id,
                            "personType": 2,
                            "BeginTime": "2000-01-01T00:00:00",
                            "EndTime": "2099-12-31T23:59:59",
                            "gender": 2,
                            "BeginNO": begin,
                            "RequestCount": LIST_PAGE_SIZE,
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
    "DEFAULT_TOPIC_PREFIX",
    "FACE_TERMINAL",
    "HFSecurityMqttClient",
    "MqttTransport",
    "MqttVariant",
    "probe",
]
