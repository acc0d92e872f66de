"""Pure functions between UNV LAPI JSON and the model: envelope, identity, subscriptions, people.

"digest" is `shared/protocols/unv_lapi.md`, "L123" a line of the vendor document
`shared/seeds/unv-lapi-http.txt`, "E12" the digest's §8 erratum 12, "notes §1.3" the field
notes (`shared/protocols/field-notes.md`). The people and door paths are not in the document;
they come from the device's own web UI and integrators (notes §1.2). Nothing here does I/O or
logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
import json
import re
from typing import Any, Final

from .. import model
from ..wire import DecodeError, integer, ip_address, loads_tolerant, text

DEFAULT_PORT: Final = 80
"""The device's HTTP port: the document fixes none (digest §2.3); 80 on the DTM-600 (notes §1.3)."""
DEFAULT_LIBRARY: Final = 3
"""The face library integrators use for staff (notes §1.2); `LibType` 3 = employee (§6.12)."""

DEVICE_BASIC_INFO: Final = "/LAPI/V1.0/System/DeviceBasicInfo"
KEEP_ALIVE: Final = "/LAPI/V1.0/System/KeepAlive"
SUBSCRIPTION: Final = "/LAPI/V1.0/System/Event/Subscription"
PACS_SUBSCRIPTIONS: Final = "/LAPI/V1.0/PACS/Controller/Event/Subscriptions"
"""The other subscription path, with a flat body (§1.2.2, L88-L125; erratum 1): tried when the
§4.3.1 path is missing (404/405, `ResponseCode` 4)."""
SUBSCRIPTION_PATHS: Final = (SUBSCRIPTION, PACS_SUBSCRIPTIONS)
REMOTE_OPENED: Final = "/LAPI/V1.0/PACS/Controller/RemoteOpened"
OPEN_DOOR_MODE: Final = "/LAPI/V1.0/PACS/Controller/OpenDoorMode"
LIBRARIES: Final = "/LAPI/V1.0/PeopleLibraries/BasicInfo"
SNAPSHOT_URL: Final = "/LAPI/V1.0/Channels/0/Media/SnapshotURL"

PERSON_VERIFICATION: Final = "/LAPI/V1.0/System/Event/Notification/PersonVerification"
NOTIFICATIONS: Final = "/LAPI/V1.0/PACS/Controller/Event/Notifications"
HEART_REPORT: Final = "/LAPI/V1.0/PACS/Controller/HeartReportInfo"
FIXED_PATHS: Final = (PERSON_VERIFICATION, NOTIFICATIONS, HEART_REPORT)
"""Where the device posts, on Home Assistant's HTTP port: records (E7, and the path notes §1.3
item 2 saw records on) and the keep-alive heartbeat (E1)."""

MIN_DURATION: Final = 30
MAX_DURATION: Final = 3600
"""A subscription's `Duration` range in seconds (L896-L910); the permanent value 4294967295 is
never sent: a lost permanent subscription holds one of two slots for good (digest §3.1)."""
PERSON_VERIFICATION_TYPE: Final = 1024
FLAT_PERSON_VERIFICATION_TYPE: Final = 1
"""`Type` of the flat body of the §1.2.2 example (L95)."""
ALL_LIBRARIES: Final = 65535

STATUS_UNSUPPORTED: Final = 8
STATUS_FULL: Final = 13
STATUS_ALREADY: Final = 14
RESPONSE_NOT_AUTHORIZED: Final = 3
RESPONSE_NOT_SUPPORTED: Final = 4
_AUTH_STATUSES: Final = frozenset({11, 12})  # Basic / Digest authentication failed (L2143-L2145)

FEATURE_DOOR: Final = "door"
FEATURE_PEOPLE: Final = "people"
FEATURE_CAPTURE: Final = "capture"
ALL_FEATURES: Final = frozenset({FEATURE_DOOR, FEATURE_PEOPLE, FEATURE_CAPTURE})
"""The extended features `probe` asks about; none is in the vendor document (digest §4.8)."""

PERMANENT: Final = 4294967295
"""`EndTime` of a time template without end (notes §1.3 item 9)."""
MAX_NAME_CHARS: Final = 63
"""`PersonName` length (L2070-L2078)."""
MAX_PERSON_ID: Final = 4294967295
"""`PersonID` is an unsigned long (notes §1.3 item 9)."""
CARD_TYPE: Final = 1
"""`IdentificationList[].Type` of an access card (inferred: `CardType` 1 is an access card,
§6.7; the web UI's numbering is not in the notes)."""

PHOTO_LIMITS: Final = model.PhotoLimits(max_bytes=200_000, max_side=1080)
"""Face imports fail above 1920x1080 (notes §1.3 item 13, code 1009); the on-device face
picture is at most 256 KiB (L1726), kept well under here."""

BASE_CAPABILITIES: Final = model.RECORD_CAPABILITIES | frozenset(
    {model.Capability.BODY_TEMPERATURE, model.Capability.MASK, model.Capability.CREDENTIAL_EVENTS}
)
"""What every LAPI terminal pushes (E7, digest §9.1)."""

_CURLY = str.maketrans({"\u201c": '"', "\u201d": '"'})
_EMPTY_VALUE = re.compile(r'("\w+"\s*:)\s*(?=[,}\]])')
_TIME_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %I:%M:%S %p")


@dataclass(frozen=True, slots=True)
class Identity:
    """What `DeviceBasicInfo` says (§4.2.1).

    `serial` is the unique ID and the push `DeviceCode`; the rest goes to the device
    registry; `mac` is lower case without separators.
    """

    serial: str
    info: model.DeviceInfo
    manufacturer: str | None = None
    mac: str | None = None
    hardware: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A record subscription (E4).

    `id` is the device's `ID` as text, sent back in the E5/E6 paths (old firmware counts
    from 0, new from 1000, L822-L824); `duration` is in seconds; `termination` is the
    device's `TerminationTime` (UTC seconds), a hint only (E7); `base` the path family it
    was created on (`SUBSCRIPTION_PATHS`), under which it is refreshed and deleted.
    """

    id: str
    duration: int
    termination: int | None = field(default=None, compare=False)
    base: str = SUBSCRIPTION

    def saved(self) -> dict[str, Any]:
        """Return the JSON-safe form kept across restarts (`from_saved` reads it)."""
        return {"id": self.id, "duration": self.duration, "base": self.base}

    @classmethod
    def from_saved(cls, data: Mapping[str, Any] | None) -> Subscription | None:
        """Read what `saved` wrote; None for nothing or anything unusable."""
        if not isinstance(data, Mapping):
            return None
        sub_id, duration = integer(data.get("id")), integer(data.get("duration"))
        base = data.get("base", SUBSCRIPTION)
        if sub_id is None or sub_id < 0 or duration is None or base not in SUBSCRIPTION_PATHS:
            return None
        return cls(str(sub_id), clamp_duration(duration), base=base)


def loads(payload: str | bytes | bytearray) -> Any:
    """Parse a LAPI body (device replies and pushes, `text/plain` or not, E31).

    Strict JSON first; then the repairs of `wire.loads_tolerant`; then typographic quotes
    made straight (E20) and a key with no value (`"Data":` before `}`, notes §1.3 item 7)
    given null. Raises DecodeError for anything else.
    """
    try:
        return loads_tolerant(payload)
    except DecodeError:
        pass
    raw = payload if isinstance(payload, str) else bytes(payload).decode("utf-8", "replace")
    repaired = _EMPTY_VALUE.sub(r"\1 null", raw.translate(_CURLY))
    return loads_tolerant(repaired)


def encode(obj: Mapping[str, Any]) -> bytes:
    """Return a JSON body, UTF-8, compact."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def envelope(obj: Any) -> dict[str, Any]:
    """Return the `Response` object of a reply (§1.2.3, L127-L186).

    Raises DecodeError when the reply is not an object with a `Response` object.
    """
    response = obj.get("Response") if isinstance(obj, dict) else None
    if not isinstance(response, dict):
        raise DecodeError("not a LAPI reply")
    return response


def data_of(response: Mapping[str, Any]) -> Any:
    """Return `Data` of an envelope; None for null, "null", missing or empty (E32)."""
    data = response.get("Data")
    if data is None or (isinstance(data, str) and data.strip().lower() in ("", "null")):
        return None
    return data


def check(response: Mapping[str, Any], what: str) -> None:
    """Raise for an envelope that reports a failure (§6.14, §6.15).

    `ResponseCode` 3 or `StatusCode` 11/12 → AuthenticationError; other non-zero codes →
    DeviceRefusedError(reason, code) with code "StatusCode N" (the more precise, when there
    is one) or "ResponseCode N" and the device's text; `StatusCode` 13 →
    SubscriptionsFullError. Missing codes count as 0.
    """
    response_code = integer(response.get("ResponseCode")) or 0
    status_code = integer(response.get("StatusCode")) or 0
    if response_code == RESPONSE_NOT_AUTHORIZED or status_code in _AUTH_STATUSES:
        raise model.AuthenticationError("the device refused the credentials")
    # The StatusCode is the more precise: a full device answers ResponseCode 1 (common
    # error) with StatusCode 13.
    if status_code == STATUS_FULL:
        raise SubscriptionsFullError(
            f"{what}: the device already has two subscribers", f"StatusCode {status_code}"
        )
    if status_code:
        reason = text(response.get("StatusString")) or "failed"
        raise model.DeviceRefusedError(f"{what}: {reason}", f"StatusCode {status_code}")
    if response_code:
        reason = text(response.get("ResponseString")) or "failed"
        raise model.DeviceRefusedError(f"{what}: {reason}", f"ResponseCode {response_code}")


def is_unsupported(err: model.DeviceRefusedError) -> bool:
    """Tell whether a refusal means "this device has no such resource" (404/405, codes 4/8)."""
    return err.code in (
        "HTTP 404",
        "HTTP 405",
        "HTTP 501",
        f"ResponseCode {RESPONSE_NOT_SUPPORTED}",
        f"StatusCode {STATUS_UNSUPPORTED}",
    )


class SubscriptionsFullError(model.DeviceRefusedError):
    """The device has two subscribers already (`StatusCode` 13, L822, L2147)."""


class AlreadySubscribedError(model.DeviceRefusedError):
    """The device says we subscribed already (`StatusCode` 14, L2149).

    It names no ID: the old subscription keeps pushing here until it expires (L826-L830);
    with its ID kept from before, it is refreshed instead (digest §3.1).
    """


def identity_from(data: Any) -> Identity:
    """Read `DeviceBasicInfo`'s `Data` (§4.2.1, L645-L755).

    Both spellings of the serial (`SerialNumber`, `SerialNuber` E18) and of the hardware
    (`HardwareID`, `HardewareID` E19) are read. Raises DecodeError without a serial number.
    """
    if not isinstance(data, dict):
        raise DecodeError("DeviceBasicInfo without data")
    serial = text(data.get("SerialNumber")) or text(data.get("SerialNuber"))
    if serial is None:
        raise DecodeError("DeviceBasicInfo without a serial number")
    mac = text(data.get("MAC"))
    return Identity(
        serial=serial,
        info=model.DeviceInfo(
            name=text(data.get("DeviceName")),
            ip=ip_address(data.get("Address")),
            firmware=text(data.get("FirmwareVersion")),
            model=text(data.get("DeviceModel")),
        ),
        manufacturer=text(data.get("Manufacturer")),
        mac=None if mac is None else re.sub(r"[^0-9a-f]", "", mac.lower()) or None,
        hardware=text(data.get("HardwareID"))
        or text(data.get("HardewareID"))
        or text(data.get("PCBVersion")),
    )


def clamp_duration(seconds: float) -> int:
    """Return a `Duration` within [30, 3600] s (L900-L910, L1120-L1124)."""
    return max(MIN_DURATION, min(MAX_DURATION, int(seconds)))


def subscribe_body(
    address: str, port: int, duration: int, base: str = SUBSCRIPTION
) -> dict[str, Any]:
    """Return the E4 body for the path family `base`.

    §4.3.1 (L846-L951): `Type` 1024 for all libraries (E9) in `SubscribePersonCondition`;
    `PACS_SUBSCRIPTIONS` (§1.2.2, L88-L125): the flat body, `Type` 1, `LibIDNum` on top.
    IPv4 only (E8); `duration` clamped to [30, 3600] s. Raises InvalidRequestError for an
    empty address or a port outside [1, 65535].
    """
    if not address.strip() or not 1 <= port <= 65535:
        raise model.InvalidRequestError("the push address needs an IP address and a port")
    body: dict[str, Any] = {
        "AddressType": 0,
        "IPAddress": address.strip(),
        "Port": port,
        "Duration": clamp_duration(duration),
    }
    libraries = {"LibIDNum": ALL_LIBRARIES, "LibIDList": []}
    if base == PACS_SUBSCRIPTIONS:
        return {**body, "Type": FLAT_PERSON_VERIFICATION_TYPE, **libraries}
    return {**body, "Type": PERSON_VERIFICATION_TYPE, "SubscribePersonCondition": libraries}


def subscription_from(data: Any, duration: int, base: str = SUBSCRIPTION) -> Subscription:
    """Read E4's `Data` (L996-L1058) for a subscription made under `base`.

    `ID` as a number or string (E4), never `CreatedID` (E5); `TerminationTime` kept as a
    hint only (E7). Raises DecodeError without an ID.
    """
    if not isinstance(data, dict):
        raise DecodeError("a subscription reply without data")
    sub_id = integer(data.get("ID"))
    if sub_id is None or sub_id < 0:
        raise DecodeError("a subscription reply without an ID")
    return Subscription(str(sub_id), duration, integer(data.get("TerminationTime")), base)


def subscription_path(subscription: Subscription) -> str:
    """Return E5/E6's path `<base>/<ID>` (L1086, L1231; L1286 for the PACS family)."""
    return f"{subscription.base}/{subscription.id}"


def parse_time(value: Any) -> datetime | None:
    """Parse a heartbeat time, `YYYY-MM-DD HH:MM:SS` or with a 12-hour clock (E15).

    PDF spacing and trailing blanks are removed; junk such as `1900-01-00 00:00:00` (E14)
    gives None. Never raises.
    """
    if not isinstance(value, str):
        return None
    compact = re.sub(r"\s*-\s*", "-", value.strip())
    compact = re.sub(r"\s*:\s*", ":", re.sub(r"\s+", " ", compact))
    for fmt in _TIME_FORMATS:
        try:
            # Device-local, no zone stated (E15): naive on purpose.
            return datetime.strptime(compact, fmt)  # noqa: DTZ007
        except ValueError:
            continue
    return None


def format_time(moment: datetime) -> str:
    """Return `YYYY-MM-DD HH:MM:SS` (the heartbeat reply and the record acknowledgement)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


# ---- people (notes §1.2 and §1.3 items 9-11; not in the vendor document) -----------------


def person_id_number(person_id: str) -> int:
    """Return a `PersonID`: an unsigned long, so only digits (notes §1.3 item 9).

    Raises InvalidRequestError for anything else.
    """
    value = person_id.strip()
    if not value.isdecimal() or not value.isascii() or not 0 < int(value) <= MAX_PERSON_ID:
        raise model.InvalidRequestError("a UNV person ID is a number from 1 to 4294967295")
    return int(value)


def people_path(library: int, *parts: str) -> str:
    """Return `/LAPI/V1.0/PeopleLibraries/<LibID>/People[/...]`."""
    return "/".join((f"/LAPI/V1.0/PeopleLibraries/{library}/People", *parts))


def _seconds(moment: datetime | None, default: int) -> int:
    """Return Unix seconds of a device-local naive time (read in the host's zone)."""
    if moment is None:
        return default
    return max(0, int(moment.timestamp()))


def person_body(
    enrollment: model.Enrollment, photo_base64: str, photo_size: int, last_change: int
) -> dict[str, Any]:
    """Return `{Num, PersonInfoList}` for adding (POST) or modifying (PUT) one person.

    The person object as the firmware's web UI builds it (notes §1.3 item 9): `LastChange` in
    seconds (item 10), the photo base64 with no `data:` prefix, `Size` the raw byte count with
    `Type` 1 (item 11), validity as one time template, the card as an identification.
    Raises InvalidRequestError for a non-numeric person ID, an empty or too long name, a name
    with a quotation mark or backslash (L188-L192), or a validity that ends before it begins.
    """
    person_id = person_id_number(enrollment.person_id)
    name = enrollment.name.strip()
    if not name or len(name) > MAX_NAME_CHARS or any(c in name for c in '"\\'):
        raise model.InvalidRequestError(
            f"a UNV name has 1 to {MAX_NAME_CHARS} characters and no quotation mark"
        )
    begin = _seconds(enrollment.valid_from, 0)
    end = _seconds(enrollment.valid_until, PERMANENT)
    if end < begin:
        raise model.InvalidRequestError("the validity ends before it begins")
    card = (enrollment.card_number or "").strip()
    identifications = [{"Type": CARD_TYPE, "Number": card}] if card else []
    person: dict[str, Any] = {
        "PersonID": person_id,
        "LastChange": last_change,
        "PersonCode": str(person_id),
        "PersonName": name,
        "Remarks": "",
        "TimeTemplateNum": 1,
        "TimeTemplateList": [{"BeginTime": begin, "EndTime": end, "Index": 0}],
        "IdentificationNum": len(identifications),
        "IdentificationList": identifications,
        "ImageNum": 1,
        "ImageList": [
            {
                "FaceID": person_id,
                "Name": f"{person_id}_1.jpg",
                "Size": photo_size,
                "Type": 1,
                "LastChange": last_change,
                "Data": photo_base64,
            }
        ],
    }
    return {"Num": 1, "PersonInfoList": [person]}


def query_body(offset: int, limit: int) -> dict[str, Any]:
    """Return the paged query of everyone (`POST .../People/Info`, notes §1.2)."""
    return {"Num": 0, "QueryInfos": [], "Limit": limit, "Offset": offset}


def people_page(data: Any) -> tuple[list[model.Person], int | None]:
    """Read a query page: the people and `Total` (None when absent). Never raises.

    A person without a `PersonID` is skipped; an access card is the first identification of
    `Type` 1; validity is the first time template (`EndTime` 4294967295 = unlimited).
    """
    if not isinstance(data, dict):
        return [], None
    people: list[model.Person] = []
    entries = data.get("PersonInfoList")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        person_id = integer(entry.get("PersonID"))
        if person_id is None:
            continue
        card = None
        idents = entry.get("IdentificationList")
        for ident in idents if isinstance(idents, list) else []:
            if isinstance(ident, dict) and integer(ident.get("Type")) == CARD_TYPE:
                card = text(ident.get("Number"))
                break
        valid_from = valid_until = None
        templates = entry.get("TimeTemplateList")
        if isinstance(templates, list) and templates and isinstance(templates[0], dict):
            valid_from = _moment(integer(templates[0].get("BeginTime")))
            valid_until = _moment(integer(templates[0].get("EndTime")))
        people.append(
            model.Person(
                person_id=str(person_id),
                name=text(entry.get("PersonName")),
                card_number=card,
                valid_from=valid_from,
                valid_until=valid_until,
            )
        )
    return people, integer(data.get("Total"))


def _moment(seconds: int | None) -> datetime | None:
    """Return a naive local time from Unix seconds; None for 0, unlimited or junk."""
    if seconds is None or seconds <= 0 or seconds >= PERMANENT:
        return None
    try:
        return datetime.fromtimestamp(seconds)  # noqa: DTZ006 - device-local naive, as Person says
    except (OverflowError, OSError, ValueError):
        return None


def snapshot_url_of(data: Any) -> str | None:
    """Return the URL `SnapshotURL` answers (notes §1.2; its shape is inferred: `URL`)."""
    if isinstance(data, dict):
        return text(data.get("URL")) or text(data.get("Url"))
    return text(data)
