"""The domain model shared by every protocol: records, people, device info, errors.

Nothing here knows a wire format or Home Assistant. Codecs turn vendor payloads into these
objects; the Home Assistant layer only ever sees these objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ProtocolKey(StrEnum):
    """The five vendor protocols (DESIGN.md, the protocol table)."""

    FACE_TERMINAL_MQTT = "face_terminal_mqtt"
    CAMERA_MQTT = "camera_mqtt"
    FACE_CAPTURE_HTTP = "face_capture_http"
    TEMPERATURE_HTTP = "temperature_http"
    UNV_LAPI = "unv_lapi"


class Capability(StrEnum):
    """What a protocol can serve; decides which entities and services exist."""

    OPEN_DOOR = "open_door"
    BODY_TEMPERATURE = "body_temperature"
    MASK = "mask"
    DOOR_ALARM = "door_alarm"
    SCENE_SNAPSHOT = "scene_snapshot"
    RECORD_PICTURE = "record_picture"
    ACCESS_EVENTS = "access_events"
    ALARM_EVENTS = "alarm_events"
    CREDENTIAL_EVENTS = "credential_events"
    ANALYTICS_EVENTS = "analytics_events"
    ENROLL = "enroll"
    ENROLL_CARD_NUMBER = "enroll_card_number"
    DELETE_PERSON = "delete_person"
    LIST_PEOPLE = "list_people"
    DELETE_ALL_PEOPLE = "delete_all_people"
    SETTINGS = "settings"
    """The client is a `SettingsClient` whose settings can be read and written."""
    REBOOT = "reboot"
    """The client is a `SettingsClient` whose `reboot` restarts the device."""
    UPLOAD_CHECK = "upload_check"
    """The client is an `UploadCheckClient`: it reads, and can turn on, what the device sends."""
    CATCH_UP = "catch_up"
    """The client is a `CatchUpClient`: the device can send the records of a past window again."""
    BATCH_ENROLL = "batch_enroll"
    """The client is a `BatchEnrollClient`: the device takes many people in one exchange."""


PEOPLE_CAPABILITIES = frozenset(
    {
        Capability.ENROLL,
        Capability.DELETE_PERSON,
        Capability.LIST_PEOPLE,
        Capability.DELETE_ALL_PEOPLE,
    }
)
"""Keeping the people stored on a device: what every protocol here can do."""
RECORD_CAPABILITIES = frozenset(
    {Capability.RECORD_PICTURE, Capability.ACCESS_EVENTS, Capability.ALARM_EVENTS}
)
"""Pushing access records with pictures, and their alarms: what every protocol here does."""
TERMINAL_CAPABILITIES = frozenset(
    {
        Capability.OPEN_DOOR,
        Capability.BODY_TEMPERATURE,
        Capability.MASK,
        Capability.SCENE_SNAPSHOT,
        Capability.CREDENTIAL_EVENTS,
        Capability.ENROLL_CARD_NUMBER,
    }
)
"""What a door terminal adds: a relay, a thermometer, mask detection, stills on demand, and
card and QR-code readers whose cards can be enrolled."""


class AccessKind(StrEnum):
    """Event types of the `access` event entity."""

    RECOGNIZED = "recognized"
    STRANGER = "stranger"
    DENIED = "denied"


class AlarmKind(StrEnum):
    """Event types of the `alarm` event entity."""

    HIGH_TEMPERATURE = "high_temperature"
    NO_MASK = "no_mask"
    DOOR_ALARM = "door_alarm"


class CredentialKind(StrEnum):
    """Event types of the `credential` event entity."""

    CARD = "card"
    QR_CODE = "qr_code"
    ID_CARD = "id_card"


class AnalyticsKind(StrEnum):
    """What a camera's video analytics saw (camera_mqtt digest §4.23): one event type each."""

    TRIPWIRE = "tripwire"
    AREA_INTRUSION = "area_intrusion"
    BEHAVIOR = "behavior"
    LEAVE_POST = "leave_post"
    KITCHEN = "kitchen"
    THROWN_OBJECT = "thrown_object"
    THERMAL_ALARM = "thermal_alarm"
    HELMET = "helmet"
    FIRE_SMOKE = "fire_smoke"
    PERSON_VEHICLE_CAPTURE = "person_vehicle_capture"
    VEHICLE_ATTRIBUTES = "vehicle_attributes"
    REGION_COUNT = "region_count"
    SAFE_RIDING = "safe_riding"
    ELECTRIC_BICYCLE = "electric_bicycle"


class TemperatureUnit(StrEnum):
    """The unit a device measures and shows temperatures in."""

    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class PersonList(StrEnum):
    """Whether a person is on the device's allow list or block list."""

    ALLOW = "allow"
    BLOCK = "block"


class FaceAccessError(Exception):
    """Base of every error raised by the protocol package."""


class DeviceTimeoutError(FaceAccessError):
    """The device did not answer a command in time."""


class DeviceRefusedError(FaceAccessError):
    """The device answered a command with a failure.

    `code` is the vendor's error code when it sent one, `reason` its error text (or ours when
    the device sent none). Neither ever contains a person's name or photo.
    """

    def __init__(self, reason: str, code: str | None = None) -> None:
        """Keep the device's reason and code."""
        super().__init__(reason if code is None else f"{reason} (code {code})")
        self.reason = reason
        self.code = code


class DoorModeError(DeviceRefusedError):
    """The device's door mode makes it ignore remote door opening."""


class PersonNotFoundError(DeviceRefusedError):
    """The device does not have the person it was asked to delete.

    Raised only where the vendor document tells this apart from other refusals (face terminal
    and camera `DelPerson` error 464, `DeletePersons` deleting none of them); a deletion then
    leaves the device as the caller wanted, so the services report it as `not_found`.
    """


class PhotoDownloadError(DeviceRefusedError):
    """The device could not download a photo from the URL it was given (a batch's `picURI`).

    Raised only where the vendor document tells this apart (face terminal and camera
    `EditPersonsNew` errcodes 464 and 465: no such server, no connection); the same photo
    may still reach the device inside a command (`enroll`).
    """


class DeviceUnreachableError(DeviceTimeoutError):
    """Home Assistant could not connect to the device at all (refused, no route, bad host).

    A kind of DeviceTimeoutError, so that everything that handles silence handles it too;
    a config flow tells the two apart.
    """


class AuthenticationError(FaceAccessError):
    """The device refused our credentials (HTTP 401 after the auth exchange).

    The Home Assistant layer turns it into a re-authentication flow.
    """


class InvalidRequestError(FaceAccessError):
    """A request breaks the protocol's limits (an ID or name too long, a bad card number)."""


class UnsupportedError(FaceAccessError):
    """The protocol or this device cannot do what was asked."""


class InvalidPhotoError(FaceAccessError):
    """A photo could not be decoded or brought within the protocol's limits."""


@dataclass(frozen=True, slots=True)
class Picture:
    """An image a device sent, kept undecoded until someone needs it.

    `raw` is whatever the payload carried (base64, possibly with a `data:` prefix that may lie
    about the format). Decoding and converting to JPEG is CPU work and belongs in an executor:
    call `images.picture_to_jpeg(picture)` there, never on the event loop.
    """

    raw: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRecord:
    """One passage: a recognition, a refusal or a stranger.

    `time` is the device's local time as it reported it (naive; the protocols carry no zone).
    `similarity` is 0-100, `temperature` in `temperature_unit` (°C unless the device is set
    to show °F and says its readings in it). Fields the record does not carry are None.
    `key` identifies the record for de-duplication of re-sends (stable across re-sends).
    """

    kind: AccessKind
    key: str
    record_id: str | None = None
    time: datetime | None = None
    person_id: str | None = None
    person_name: str | None = None
    similarity: float | None = None
    temperature: float | None = None
    temperature_alarm: bool | None = None
    mask: bool | None = None
    person_list: PersonList | None = None
    reason: str | None = None
    historical: bool = False
    picture: Picture | None = None
    temperature_unit: TemperatureUnit = TemperatureUnit.CELSIUS

    @property
    def temperature_celsius(self) -> float | None:
        """Return `temperature` in °C, rounded to 0.01 (None when the record has none)."""
        if self.temperature is None or self.temperature_unit is TemperatureUnit.CELSIUS:
            return self.temperature
        return round((self.temperature - 32.0) * 5.0 / 9.0, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialEvent:
    """A card swipe, QR-code scan or ID-card read.

    `card_number` and `qr_data` carry what was scanned; an ID card's number, name and photo are
    deliberately never carried (personal data).
    """

    kind: CredentialKind
    time: datetime | None = None
    card_number: str | None = None
    qr_data: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalyticsEvent:
    """One video-analytics detection: an intrusion, a thermal hot spot, a head count...

    `attributes` holds the decoded key fields of the push, JSON-safe (str, int, float, bool,
    None and lists or dicts of them); enumerations are decoded to lower-case English words and
    values the document does not define are kept as the raw number. Temperatures are °C, scene
    hot spots and never body temperatures. `key` identifies the detection across re-sends.
    """

    kind: AnalyticsKind
    key: str
    record_id: str | None = None
    time: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    historical: bool = False
    picture: Picture | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceAlarm:
    """An alarm about the device rather than a person (a door sensor).

    `key` identifies the alarm across re-sends; `time` is device-local and naive.
    """

    kind: AlarmKind
    key: str
    time: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CapturedPicture:
    """A picture the device took on its own, of no one in particular (an interval capture)."""

    picture: Picture


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceInfo:
    """What the device told about itself; None where it did not say."""

    name: str | None = None
    ip: str | None = None
    firmware: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Connectivity:
    """The device announced itself online (with what it said about itself) or went offline."""

    online: bool
    info: DeviceInfo = field(default_factory=DeviceInfo)


@dataclass(frozen=True, slots=True, kw_only=True)
class Alive:
    """Any sign of life (a heartbeat) that carries nothing else."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NeedsAttention:
    """The device needs the user's hand for something the protocol cannot fix, or no more.

    `problem` names it (the owner shows it as a repair issue of that name); `active` is
    false once it is solved.
    """

    problem: str
    active: bool


type DeviceMessage = (
    AccessRecord
    | AnalyticsEvent
    | CredentialEvent
    | DeviceAlarm
    | CapturedPicture
    | Connectivity
    | Alive
    | NeedsAttention
)
type MessageCallback = Callable[[DeviceMessage], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadProblem:
    """One upload setting of a device that keeps something from Home Assistant.

    `setting` is the vendor document's name of the setting (`RecordUploadType`, say, or
    `upload_info.server_port`), shown to the user as it is written on the device's own pages;
    `current` is the value the device reported (None when it reported none), `needed` the
    value Home Assistant needs. Neither ever holds a credential.
    """

    setting: str
    current: str | None
    needed: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """A person as stored on a device.

    `valid_from`/`valid_until` are device-local naive datetimes or None when unlimited.
    """

    person_id: str
    name: str | None = None
    card_number: str | None = None
    person_list: PersonList = PersonList.ALLOW
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrollment:
    """A person to add or replace on a device.

    `photo_jpeg` is a JPEG already normalised to the protocol's limits (`images.normalize_photo`).
    """

    person_id: str
    name: str
    photo_jpeg: bytes
    card_number: str | None = None
    person_list: PersonList = PersonList.ALLOW
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoLimits:
    """What a protocol accepts as an enrolment photo: bytes of the JPEG and pixels per side."""

    max_bytes: int
    max_side: int
    min_bytes: int = 0


_DECIMAL_DIGITS = frozenset("0123456789")
_HEX_DIGITS = _DECIMAL_DIGITS | frozenset("abcdefABCDEF")


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonLimits:
    """What a protocol can store of a person's ID, name and card number; None is no limit.

    Lengths in `*_bytes` count UTF-8 bytes, `*_chars` characters. `id_max_number` makes the
    ID a decimal number from 1 to it; `*_forbidden` are characters the device cannot take.
    `card_digits` allows only decimal digits in a card number, `card_hex` hexadecimal ones
    too. Each protocol's profile cites its vendor document for the values.
    """

    id_max_bytes: int | None = None
    id_max_number: int | None = None
    id_forbidden: str = ""
    name_max_bytes: int | None = None
    name_max_chars: int | None = None
    name_forbidden: str = ""
    card_max_bytes: int | None = None
    card_max_number: int | None = None
    card_digits: bool = False
    card_hex: bool = False

    def check_id(self, person_id: str) -> None:
        """Raise InvalidRequestError unless the device can store `person_id`."""
        if not person_id.strip():
            raise InvalidRequestError("person_id must not be empty")
        if self.id_max_number is not None and (
            not set(number := person_id.strip()) <= _DECIMAL_DIGITS
            or not 0 < int(number) <= self.id_max_number
        ):
            raise InvalidRequestError(f"person_id must be a number from 1 to {self.id_max_number}")
        if self.id_max_bytes is not None and len(person_id.encode()) > self.id_max_bytes:
            raise InvalidRequestError(f"person_id must be 1 to {self.id_max_bytes} bytes")
        if forbidden := _forbidden(person_id, self.id_forbidden):
            raise InvalidRequestError(f"person_id must not contain {forbidden}")

    def check(self, person_id: str, name: str, card_number: str | None = None) -> None:
        """Raise InvalidRequestError unless the device can store this person.

        The message names the field and the limit (never the value: it may be personal).
        """
        self.check_id(person_id)
        if not name.strip():
            raise InvalidRequestError("name must not be empty")
        if self.name_max_bytes is not None and len(name.encode()) > self.name_max_bytes:
            raise InvalidRequestError(f"name must be 1 to {self.name_max_bytes} bytes")
        if self.name_max_chars is not None and len(name.strip()) > self.name_max_chars:
            raise InvalidRequestError(f"name must be 1 to {self.name_max_chars} characters")
        if forbidden := _forbidden(name, self.name_forbidden):
            raise InvalidRequestError(f"name must not contain {forbidden}")
        if card_number is not None:
            self._check_card(card_number.strip())

    def _check_card(self, card: str) -> None:
        """Raise InvalidRequestError unless the device can store the card number `card`."""
        if self.card_hex or self.card_digits:
            kind = "decimal or hexadecimal digits" if self.card_hex else "decimal digits"
            if not card or not set(card) <= (_HEX_DIGITS if self.card_hex else _DECIMAL_DIGITS):
                raise InvalidRequestError(f"card_number must be {kind}")
        if self.card_max_bytes is not None and len(card.encode()) > self.card_max_bytes:
            unit = "digits" if self.card_hex or self.card_digits else "bytes"
            raise InvalidRequestError(f"card_number must be at most {self.card_max_bytes} {unit}")
        if (
            self.card_max_number is not None
            and card.isdecimal()
            and card.isascii()
            and int(card) > self.card_max_number
        ):
            raise InvalidRequestError(f"card_number must be at most {self.card_max_number}")


def _forbidden(value: str, characters: str) -> str:
    """Return the forbidden `characters` found in `value`, quoted for a message ("" if none)."""
    return " or ".join(f"'{char}'" for char in characters if char in value)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceProfile:
    """What a device is and can do, as its protocol knows before asking it anything.

    `manufacturer` and `model` go to the device registry; `capabilities` decide which
    entities and services exist; `photo_limits` is what an enrolment photo must meet;
    `person_limits` what a person's ID, name and card number must meet (None: the document
    sets none). `access_kinds` are the access event types the protocol can report.
    """

    manufacturer: str
    model: str
    capabilities: frozenset[Capability]
    photo_limits: PhotoLimits
    person_limits: PersonLimits | None = None
    access_kinds: frozenset[AccessKind] = frozenset(AccessKind)


class SettingKey(StrEnum):
    """A device setting the Home Assistant layer knows how to show, whatever the protocol.

    Each protocol maps the keys its document has to its own fields; a device offers only
    the keys it reports when asked (`SettingsClient.read_settings`).
    """

    DOOR_MODE = "door_mode"
    """Who opens the door: options `face`, `remote_only`, `face_or_remote`, `face_then_remote`."""
    RELAY_HOLD_TIME = "relay_hold_time"
    """How long the relay stays switched after an opening (ms or s, as the device counts)."""
    FACE_THRESHOLD = "face_threshold"
    """The similarity (0-100 scale) a face must reach to be recognized."""
    RECOGNITION_DISTANCE = "recognition_distance"
    """How far from the device a face is recognized (cm)."""
    TEMPERATURE_ALARM_THRESHOLD = "temperature_alarm_threshold"
    """Body temperature from which the device raises its alarm, in the device's unit."""
    TEMPERATURE_OFFSET = "temperature_offset"
    """Calibration added to every body temperature reading, in the device's unit."""
    TEMPERATURE_MEASUREMENT = "temperature_measurement"
    """Whether the device measures body temperature at all."""
    TEMPERATURE_UNIT = "temperature_unit"
    """The unit the device measures and shows in: options `celsius`, `fahrenheit`."""
    VOLUME = "volume"
    """Loudness of the voice prompts, 0-100."""
    SHOW_NAME = "show_name"
    """The recognized person's name on the screen: options `hidden`, `shown`, `partial`."""
    SUCCESS_VOICE = "success_voice"
    """Whether a voice prompt greets a recognized person."""
    FAIL_VOICE = "fail_voice"
    """Whether a voice prompt tells a refused person."""


class SettingKind(StrEnum):
    """What a setting holds: one of some options, a number in a range, or on/off."""

    CHOICE = "choice"
    NUMBER = "number"
    SWITCH = "switch"


type SettingValue = str | float | bool
"""A setting's value: an option (CHOICE), a number (NUMBER) or on/off (SWITCH)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """One setting as the device reported it, with what it may be set to.

    `value` is an option of `options` (CHOICE), a float within `minimum`..`maximum` in steps of
    `step` (NUMBER) or a bool (SWITCH). `unit` is the device's unit of a NUMBER: "ms", "s",
    "cm", "°C" or "°F" (temperatures follow the device's own unit), None for plain numbers.
    """

    key: SettingKey
    kind: SettingKind
    value: SettingValue
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    unit: str | None = None

    def check(self, value: SettingValue) -> SettingValue:
        """Return `value` in this setting's type; raise InvalidRequestError when it cannot be."""
        if self.kind is SettingKind.SWITCH:
            if not isinstance(value, bool):
                raise InvalidRequestError(f"{self.key} is on or off")
            return value
        if self.kind is SettingKind.CHOICE:
            if not isinstance(value, str) or value not in self.options:
                raise InvalidRequestError(f"{self.key} is one of {', '.join(self.options)}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidRequestError(f"{self.key} is a number")
        number = float(value)
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise InvalidRequestError(
                f"{self.key} is between {self.minimum:g} and {self.maximum:g}"
                if self.minimum is not None and self.maximum is not None
                else f"{self.key} is out of range"
            )
        return number


type Settings = dict[SettingKey, Setting]
"""The settings a device reported, by key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandResult:
    """The outcome of a people command; `message` is safe to show and log.

    `pending` is true when the command is queued for a device that confirms later (a device
    that only takes commands in its heartbeat replies) and had not confirmed in time.
    """

    message: str = ""
    pending: bool = False
