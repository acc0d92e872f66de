"""Codec of Huaan's "Face Capture Http API": pure functions, wire <-> model.

The document is face-capture-http-v0.37 (`shared/seeds`), digested with its errata in
`shared/protocols/face_capture_http.md` ("digest" below; "L123" is a line of the document,
"E12" the digest's §8 erratum 12); what real devices do beyond it is in
`shared/protocols/field-notes.md` §2 ("field notes").

Every message is one JSON object with a `cmd` (L127-L137). Builders return such objects
without `version` (`request_body` adds it, and `command_id` in the long-poll mode); decoders
take the objects the device sends or answers and return model objects. Nothing here does I/O
or logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import ipaddress
import json
import re
from typing import Any, Final

from .. import model
from ..wire import DecodeError, integer, loads_tolerant, text, utf8_len

DEFAULT_PORT: Final = 8000
"""The port the device serves its commands on (L67)."""
PROTOCOL_VERSION: Final = "0.2"
"""The `version` our requests carry: the document's (L130); devices report newer ones
("0.42", field notes §2.2) and still take it."""
MAX_ID_BYTES: Final = 19
"""Bytes of a person ID (L541-L543)."""
MAX_NAME_BYTES: Final = 63
"""Bytes of a name in `upload person` (L553-L557)."""
MAX_JPG_NAME_BYTES: Final = 15
"""Bytes of a name in `add person jpg`, the older firmware's enrolment (L1057)."""
PAGE_SIZE: Final = 20
"""Most people per `request persons` page (L361-L363)."""
MAX_SERVICE_URL: Final = 101
"""Characters of `upload_info.service_url`: "less than 102" (L1893, L2206)."""
MAX_CARD: Final = 2**64 - 1
"""Largest card number: `long_card_id` is 64-bit (L585-L589)."""
MAX_WIEGAND_CARD: Final = 2**32 - 1
"""Largest `wg_card_id`: 32-bit (L579-L583); larger numbers go in `long_card_id`."""
LATEST_DATE: Final = datetime(2038, 1, 19)
"""Validity dates must stay before this: the firmware keeps 32-bit times (field notes §2.2)."""

HEARTBEAT: Final = "heart beat"
FACE: Final = "face"
ASK_UPGRADE: Final = "ask_upgrade"
UPLOAD_PERSON: Final = "upload person"
ADD_PERSON_JPG: Final = "add person jpg"
DELETE_PERSONS: Final = "delete person(s)"
REQUEST_PERSONS: Final = "request persons"
GPIO_CONTROL: Final = "gpio control"
SNAPSHOT: Final = "snapshot"
REQUEST_DATE_TIME: Final = "request date time"
UPDATE_DATE_TIME: Final = "update date time"
GET_HARDWARE_INFO: Final = "get hardware info"
UPDATE_APP_PARAMS: Final = "update app params"
REQUEST_APP_PARAMS: Final = "request app params"
REQUEST_RECORDS: Final = "request records"
REBOOT: Final = "reboot"
CAMERA_VOLUME: Final = "camera volume"

CODE_UNSUPPORTED: Final = 2
"""The device does not know the command (`upload person` before 2020-08-21, L657)."""
CODE_NOT_FOUND: Final = 22
"""Record does not exist: deleting someone already gone (L296)."""
CODE_VERSION: Final = 1
"""Protocol version mismatch; the answer then carries the device's `version` (L176)."""

CODES: Final = {
    1: "protocol version mismatch",
    2: "not supported by this firmware",
    3: "illegal field in the request",
    4: "authentication failed",
    5: "device busy",
    6: "insufficient resources",
    7: "function not authorised",
    20: "person database full",
    21: "person already exists",
    22: "person does not exist",
    23: "failed to write data",
    24: "failed to read data",
    25: "no face found in the photo",
    26: "photo quality too low for registration",
    35: "photo cannot be decoded",
    36: "photo too large",
    37: "normalised photo failed",
    38: "face too small",
    39: "face quality too poor",
    40: "not exactly one face in the photo",
    41: "face incomplete in the photo",
}
"""What a reply `code` means (L280-L310, L655-L673)."""

PROFILE: Final = model.DeviceProfile(
    manufacturer="Huaan",
    model="Face capture terminal (HTTP)",
    capabilities=model.PEOPLE_CAPABILITIES
    | model.RECORD_CAPABILITIES
    | model.TERMINAL_CAPABILITIES
    | {
        model.Capability.SETTINGS,  # 2.3.1/2.3.2 app params, 2.18 camera volume
        model.Capability.REBOOT,  # 2.9.3 reboot
        model.Capability.UPLOAD_CHECK,  # `upload_info` of the app params
        model.Capability.CATCH_UP,  # 2.2.2 request records
    },
    # The document allows 10 MB and recommends < 4 MB, 2 MP (L571-L577); production code
    # keeps "< 500 KB and <= 1080p" (field notes §2.2), which also keeps a long-poll reply small.
    photo_limits=model.PhotoLimits(max_bytes=500_000, max_side=1080),
    # `id` and `name` in bytes (L553), card numbers decimal up to 64 bits (L585-L589).
    person_limits=model.PersonLimits(
        id_max_bytes=MAX_ID_BYTES,
        name_max_bytes=MAX_NAME_BYTES,
        card_digits=True,
        card_max_number=MAX_CARD,
    ),
)


class Mode(StrEnum):
    """How Home Assistant sends commands to the device (digest §2.1).

    PUSH: Home Assistant POSTs them to the device's port 8000 ("device as server") and the
    device pushes its records ("device as data client"). LONG_POLL: the device fetches them
    in the replies to its own requests ("device as configuration client", L87-L99).
    """

    PUSH = "push"
    LONG_POLL = "long_poll"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the device is, from `get hardware info` (L3896-L3975): `device_sn` and models."""

    serial: str
    info: model.DeviceInfo


# ---- envelope --------------------------------------------------------------------------------

# The document's push example types a comma for the colon after "cmd" (E18, L1328).
_CMD_COMMA = re.compile(r'("cmd"\s*),(\s*")')
_TIME = re.compile(
    r"^\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})[ T]+(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?"
)


def decode_message(body: bytes | str) -> dict[str, Any]:
    """Decode one HTTP body of the device into its JSON object.

    Tolerates what `wire.loads_tolerant` repairs and the `"cmd", "face"` typo of the
    document's own push example (E18). Raises DecodeError for anything but a JSON object.
    """
    try:
        obj = loads_tolerant(body)
    except DecodeError:
        raw = body if isinstance(body, str) else body.decode("utf-8", "replace")
        repaired = _CMD_COMMA.sub(r"\1:\2", raw)
        if repaired == raw:
            raise
        obj = loads_tolerant(repaired)
    if not isinstance(obj, dict):
        raise DecodeError("not a JSON object")
    return obj


def encode(obj: Mapping[str, Any]) -> bytes:
    """Serialise a message as UTF-8 JSON: names stay UTF-8, big card numbers stay integers."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def request_body(
    message: Mapping[str, Any], *, version: str = PROTOCOL_VERSION, command_id: str | None = None
) -> dict[str, Any]:
    """Return a builder's message as a request: `version` first (L127-L137).

    `command_id` (a string, L95) is added in the long-poll mode so that the result that
    comes back in the device's next request can be matched to it.
    """
    body: dict[str, Any] = {"version": version, **message}
    if command_id is not None:
        body["command_id"] = command_id
    return body


def cmd_of(obj: Mapping[str, Any]) -> str:
    """Return a message's `cmd` for comparison: stripped and lower case ("" when absent).

    Replies carry stray spaces (`" gpio control"`, `"face "`: E40).
    """
    value = obj.get("cmd")
    return " ".join(value.split()).lower() if isinstance(value, str) else ""


def is_heartbeat(obj: Mapping[str, Any]) -> bool:
    """Tell whether a device's request is a heartbeat (L2921-L2982), not a result."""
    return cmd_of(obj).replace(" ", "") == "heartbeat" and "reply" not in obj


def is_result(obj: Mapping[str, Any]) -> bool:
    """Tell whether a device's request is the result of a command we sent (L93-L95).

    A result is shaped like a reply: it has `reply` or `code` (E47: some replies have no
    `reply`), or at least a `command_id`. A heartbeat is none, even with the empty
    `command_id` real devices send (field notes §2.2).
    """
    shaped = "reply" in obj or "code" in obj or command_id_of(obj) is not None
    return shaped and not is_heartbeat(obj)


def command_id_of(obj: Mapping[str, Any]) -> str | None:
    """Return a result's `command_id` (also as the document's `cammand_id`, E9), or None."""
    for key in ("command_id", "cammand_id"):
        value = text(obj.get(key))
        if value is not None:
            return value
    return None


def reply_code(obj: Mapping[str, Any]) -> int:
    """Return a reply's `code` (0 is success, L280-L310).

    A reply without `code` but with `"reply": "ACK"` counts as success. Raises DecodeError
    for one with neither (not an answer of this protocol).
    """
    code = integer(obj.get("code"))
    if code is not None:
        return code
    if text(obj.get("reply")) is not None:
        return 0
    raise DecodeError("a reply without code")


def refusal(code: int, cmd: str) -> model.DeviceRefusedError:
    """Return the error for a reply `code` other than 0, with the document's meaning.

    The device's own `desc` is left out: it may echo what was sent.
    """
    return model.DeviceRefusedError(
        f"{cmd or 'the device'}: {CODES.get(code, 'failed')}",
        str(code),
    )


def check_reply(obj: Mapping[str, Any], cmd: str) -> None:
    """Raise DeviceRefusedError unless a reply reports success (code 0)."""
    code = reply_code(obj)
    if code != 0:
        raise refusal(code, cmd)


# ---- times -----------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """Parse the device's local time "YYYY/MM/DD HH:MM:SS[.mmm]" (L1348); None if not one."""
    if not isinstance(value, str) or not (match := _TIME.match(value)):
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = match.group(7) or "0"
    try:
        return datetime(year, month, day, hour, minute, second, int(fraction.ljust(6, "0")[:6]))
    except ValueError:
        return None


def format_time(value: datetime) -> str:
    """Format a time as the device's "YYYY/MM/DD HH:MM:SS" (L3118), in the time's own zone."""
    return value.strftime("%Y/%m/%d %H:%M:%S")


# ---- commands (Home Assistant -> device) ----------------------------------------------------


def gpio_control(port: int) -> dict[str, Any]:
    """Build `gpio control`: close relay `port` now; the device opens it again (L2822-L2848).

    `ctrl_mode` "force" outputs whatever the device's gate settings say; "on" is the only
    `ctrl_type` the device takes.
    """
    return {"cmd": GPIO_CONTROL, "port": port, "ctrl_type": "on", "ctrl_mode": "force"}


def snapshot() -> dict[str, Any]:
    """Build `snapshot`: a JPEG of the scene now (L2773-L2786)."""
    return {"cmd": SNAPSHOT}


def request_date_time() -> dict[str, Any]:
    """Build `request date time` (L3065-L3079): the lightest request, to see the device."""
    return {"cmd": REQUEST_DATE_TIME}


def update_date_time(now: datetime) -> dict[str, Any]:
    """Build `update date time` with `now` as the device's local time (L3103-L3119).

    The protocol has no time zone: the device shows whatever local time it is given.
    """
    return {"cmd": UPDATE_DATE_TIME, "date_time": format_time(now)}


def request_app_params() -> dict[str, Any]:
    """Build `request app params` (2.3.1, L1810-L2136): every application parameter."""
    return {"cmd": REQUEST_APP_PARAMS}


def update_app_params(name: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """Build `update app params` carrying the one top-level object `name` (2.3.2, L2138).

    "The parameters not specified are optional" (L2140): the other objects are left out.
    """
    return {"cmd": UPDATE_APP_PARAMS, name: dict(obj)}


def reboot() -> dict[str, Any]:
    """Build `reboot` (2.9.3, L3142-L3177): the device restarts after answering."""
    return {"cmd": REBOOT}


def camera_volume(volume: int | None = None) -> dict[str, Any]:
    """Build `camera volume`: GET without `volume`, SET with it (2.18, L4470-L4532)."""
    if volume is None:
        return {"cmd": CAMERA_VOLUME, "method": "GET"}
    return {"cmd": CAMERA_VOLUME, "method": "SET", "volume": volume}


def request_records(page_no: int, time_start: int, time_end: int) -> dict[str, Any]:
    """Build `request records` for one page of a window, without pictures (2.2.2, L1707).

    `time_start` and `time_end` are Unix seconds, sent together (L1726-L1731); pages count
    from 1 and hold at most 20 records (L1715-L1717). No close-up or registration image:
    the close-up's field is not shown (digest §4.3) and 20 of them make a large answer.
    """
    return {
        "cmd": REQUEST_RECORDS,
        "page_no": page_no,
        "page_size": PAGE_SIZE,
        "face_image_flag": 0,
        "reg_image_flag": 0,
        "time_start": time_start,
        "time_end": time_end,
    }


def get_hardware_info() -> dict[str, Any]:
    """Build `get hardware info` (L3896-L3906)."""
    return {"cmd": GET_HARDWARE_INFO}


def check_person_id(person_id: str) -> None:
    """Raise InvalidRequestError for an ID the device cannot store: empty or over 19 bytes.

    An empty ID in `delete person(s)` is refused by the device (L1011-L1012).
    """
    if not person_id or not person_id.strip():
        raise model.InvalidRequestError("person_id must not be empty")
    if utf8_len(person_id) > MAX_ID_BYTES:
        raise model.InvalidRequestError(f"person_id must be at most {MAX_ID_BYTES} bytes")


def _card_fields(card_number: str | None) -> dict[str, int]:
    """Return `wg_card_id` (32-bit) or `long_card_id` (64-bit) for a decimal card number.

    No card is `wg_card_id` 0, as production code sends (field notes §2.2), so that
    re-enrolling someone without a card also clears the old one. Raises InvalidRequestError
    for anything but a decimal number up to 2^64 - 1.
    """
    if card_number is None or not card_number.strip():
        return {"wg_card_id": 0}
    digits = card_number.strip()
    if not digits.isascii() or not digits.isdigit():
        raise model.InvalidRequestError("card_number must be a decimal number")
    value = int(digits)
    if value > MAX_CARD:
        raise model.InvalidRequestError("card_number must fit in 64 bits")
    if value > MAX_WIEGAND_CARD:
        # Used "when the wg_card_id field does not exist" (L585-L589): no wg_card_id then.
        return {"long_card_id": value}
    return {"wg_card_id": value}


def _term(value: datetime | None, unset: str, what: str) -> str:
    """Format a validity bound, or the document's word for none ("useless"/"forever")."""
    if value is None:
        return unset
    if value.replace(tzinfo=None) >= LATEST_DATE:
        raise model.InvalidRequestError(f"{what} must be before 2038-01-19 for this device")
    return format_time(value)


def upload_person(enrollment: model.Enrollment, photo_b64: str) -> dict[str, Any]:
    """Build `upload person` (2.1.2, L527-L679): add or replace one person with a photo.

    `photo_b64` is the raw base64 of a JPEG, without a `data:` prefix (L577). The list is
    `role` 1 (allow) or 2 (block) (L559-L563); no validity is `term_start` "useless" and
    `term` "forever" (L591-L599); `upload_mode` 0 adds or replaces (L624-L634).
    Raises InvalidRequestError for an ID over 19 bytes, a name over 63 bytes (L553: bytes,
    not characters), a card number that is not a 64-bit decimal number, or a date the
    device cannot keep; nothing is sent then.
    """
    check_person_id(enrollment.person_id)
    if utf8_len(enrollment.name) > MAX_NAME_BYTES:
        raise model.InvalidRequestError(f"name must be at most {MAX_NAME_BYTES} bytes (UTF-8)")
    return {
        "cmd": UPLOAD_PERSON,
        "id": enrollment.person_id,
        "name": enrollment.name,
        "role": 2 if enrollment.person_list is model.PersonList.BLOCK else 1,
        "kind": 0,
        "reg_image": photo_b64,
        **_card_fields(enrollment.card_number),
        "term_start": _term(enrollment.valid_from, "useless", "valid_from"),
        "term": _term(enrollment.valid_until, "forever", "valid_until"),
        "upload_mode": 0,
    }


def truncate_utf8(value: str, limit: int) -> str:
    """Return the longest prefix of `value` that fits `limit` UTF-8 bytes (whole characters)."""
    encoded = value.encode("utf-8")
    if len(encoded) <= limit:
        return value
    return encoded[:limit].decode("utf-8", "ignore")


def add_person_jpg(upload: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """Turn an `upload person` message into `add person jpg` (2.1.6, L1042-L1103).

    For firmware older than 2020-08-21, which answers `upload person` with code 2 (L657).
    `cover` true replaces someone with the same ID. The name is cut to 15 bytes on a
    character boundary (L1057; the person stays the same, only the device's display is
    shorter); the second value tells whether it was. The photo must be a real JPEG
    (L1076-L1078), which an `Enrollment` always is.
    """
    name = str(upload.get("name") or "")
    short = truncate_utf8(name, MAX_JPG_NAME_BYTES)
    message: dict[str, Any] = {
        "cmd": ADD_PERSON_JPG,
        "id": upload.get("id"),
        "name": short,
        "role": upload.get("role", 1),
        "kind": upload.get("kind", 0),
        "cover": True,
        "image_num": 1,
        "reg_images": [{"format": "jpg", "image_data": upload.get("reg_image", "")}],
    }
    for key in ("wg_card_id", "long_card_id", "term_start", "term"):
        if key in upload:
            message[key] = upload[key]
    return message, short != name


def delete_person(person_id: str) -> dict[str, Any]:
    """Build `delete person(s)` for one person: `flag` -1, delete by ID (L1004-L1012).

    Never another flag: 0, 1 and 2 delete whole lists, and the document's own example
    sends 1 with an ID (E16), which would wipe the allow list.
    """
    check_person_id(person_id)
    return {"cmd": DELETE_PERSONS, "flag": -1, "id": person_id}


def delete_everyone() -> dict[str, Any]:
    """Build `delete person(s)` with `flag` 3: every person record (L1009)."""
    return {"cmd": DELETE_PERSONS, "flag": 3, "id": ""}


def request_persons(page_no: int) -> dict[str, Any]:
    """Build `request persons` for one page of everyone (`role` -1), without pictures.

    Pages count from 1 and hold at most 20 people (L342-L415).
    """
    return {
        "cmd": REQUEST_PERSONS,
        "role": -1,
        "page_no": page_no,
        "page_size": PAGE_SIZE,
        "feature_flag": 0,
        "image_flag": 0,
    }


def _server_fields(server: str, ip_key: str) -> dict[str, str]:
    """Return `server_ip` for an IP address, else `server_domain` (L1865-L1868)."""
    host = server.strip()
    if not host:
        raise model.InvalidRequestError("the server address must not be empty")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return {"server_domain": host}
    return {ip_key: host}


def _check_port(port: int) -> None:
    """Raise InvalidRequestError for a port outside 1-65535."""
    if not 0 < port < 65536:
        raise model.InvalidRequestError("the server port must be 1-65535")


def upload_info(server: str, port: int, path: str) -> dict[str, Any]:
    """Build `update app params` that points the device's record pushes at `server`.

    `upload_info` (2.3.2, L2191-L2240): `method` "http", `server_ip` or `server_domain`,
    `server_port`, `service_url` (the path, "less than 102" characters, L1893). Only this
    object is sent; the others keep their values (L2140). Raises InvalidRequestError for an
    empty server, a bad port or a path too long.
    """
    _check_port(port)
    if len(path) > MAX_SERVICE_URL:
        raise model.InvalidRequestError(f"the path must be at most {MAX_SERVICE_URL} characters")
    return {
        "cmd": UPDATE_APP_PARAMS,
        "upload_info": {
            "method": "http",
            **_server_fields(server, "server_ip"),
            "server_port": port,
            "service_url": path,
        },
    }


def extranet_off() -> dict[str, Any]:
    """Build `update app params` that stops the device's long poll (2.3.2, L2165-L2189)."""
    return {"cmd": UPDATE_APP_PARAMS, "extranet": {"enable": False}}


def extranet(server: str, port: int, path: str) -> dict[str, Any]:
    """Build `update app params` that makes the device long-poll `server` for commands.

    `extranet` (2.3.2, L2165-L2189): `enable` true, `mode` "http" (the default is tcp),
    `server_ip` or `server_domain`, `server_port`, `url`. The path must differ from the
    record push path, or the device cannot send heartbeats there (L101).
    Raises InvalidRequestError for an empty server or a bad port.
    """
    _check_port(port)
    return {
        "cmd": UPDATE_APP_PARAMS,
        "extranet": {
            "enable": True,
            "mode": "http",
            **_server_fields(server, "server_ip"),
            "server_port": port,
            "url": path,
        },
    }


# ---- answers to commands ---------------------------------------------------------------------


def snapshot_picture(reply: Mapping[str, Any]) -> model.Picture:
    """Return the picture of a `snapshot` answer, undecoded (L2788-L2812).

    The object's key is `"image "` with a trailing space in the document (E39); `"image"`
    is read too. Raises DecodeError when the answer carries no picture.
    """
    for key in ("image ", "image"):
        image = reply.get(key)
        if isinstance(image, dict):
            data = image.get("image_data")
            if isinstance(data, str) and data.strip():
                return model.Picture(data.strip())
    raise DecodeError("the snapshot answer carried no picture")


def card_number_of(obj: Mapping[str, Any]) -> str | None:
    """Return the card number of `wg_card_id`, else `long_card_id`; 0 means none."""
    for key in ("wg_card_id", "long_card_id"):
        value = integer(obj.get(key))
        if value is not None and value > 0:
            return str(value)
    return None


_NEVER_VALID = datetime(1970, 1, 1)


def person_from(entry: Mapping[str, Any]) -> model.Person | None:
    """Read one entry of `request persons` (L449-L514); None without an `id`.

    `term_start` "useless" and `term` "forever" are no limit (None); `term` "never"
    (permanently invalid) becomes a `valid_until` long past.
    """
    person_id = text(entry.get("id"))
    if person_id is None:
        return None
    term = text(entry.get("term"))
    valid_until = _NEVER_VALID if term == "never" else parse_time(term)
    return model.Person(
        person_id=person_id,
        name=text(entry.get("name")),
        card_number=card_number_of(entry),
        person_list=model.PersonList.BLOCK
        if integer(entry.get("role")) == 2
        else model.PersonList.ALLOW,
        valid_from=parse_time(entry.get("term_start")),
        valid_until=valid_until,
    )


def people_page(reply: Mapping[str, Any]) -> tuple[list[model.Person], int | None]:
    """Return the people of one `request persons` answer and the device's `total`."""
    entries = reply.get("persons")
    people = [
        person
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and (person := person_from(entry)) is not None
    ]
    return people, integer(reply.get("total"))


def _lookup(obj: Mapping[str, Any], key: str) -> Any:
    """Return `obj[key]` compared without case: hardware info capitalises its keys (E43)."""
    if key in obj:
        return obj[key]
    lowered = key.lower()
    return next((value for name, value in obj.items() if str(name).lower() == lowered), None)


def identity_from(reply: Mapping[str, Any]) -> Identity:
    """Read `device_sn` and the board and chip models of `get hardware info` (L3908-L3975).

    The model is "<board> (<chip>)", e.g. "FSAN_01 (HI3516AV200)". Raises DecodeError
    without a `device_sn`.
    """
    serial = text(reply.get("device_sn"))
    if serial is None:
        raise DecodeError("the hardware info carried no device_sn")
    models = []
    for part in ("Board", "Chip"):
        section = _lookup(reply, part)
        name = text(section.get("model")) if isinstance(section, dict) else None
        if name is not None:
            models.append(name)
    model_text = f"{models[0]} ({models[1]})" if len(models) == 2 else next(iter(models), None)
    return Identity(serial=serial, info=model.DeviceInfo(model=model_text))


# ---- outcomes of commands, for the client ------------------------------------------------


def raw_cmd(obj: Mapping[str, Any]) -> str:
    """Return a message's `cmd` stripped, as the device spelt it ("" when absent)."""
    value = obj.get("cmd")
    return value.strip() if isinstance(value, str) else ""


def outcome_code(outcome: Any) -> int:
    """Return a result's code; a result that says nothing counts as failed (-1)."""
    if not isinstance(outcome, dict):
        return -1
    try:
        return reply_code(outcome)
    except DecodeError:
        return -1


def refusal_code(err: model.DeviceRefusedError) -> int:
    """Return the device's reply code of a refusal; re-raise one without (an HTTP error)."""
    if err.code is not None and err.code.lstrip("-").isdigit():
        return int(err.code)
    raise err


def enrolled_message(*, shortened: bool) -> str:
    """Say that someone was enrolled, and whether the older firmware shortened the name."""
    if shortened:
        return (
            f"enrolled; this firmware keeps names of {MAX_JPG_NAME_BYTES} bytes, "
            "so the name on the device is shortened"
        )
    return "enrolled"


def deleted_result(codes: list[int]) -> model.CommandResult:
    """Sum up deletions: code 0 or 22 (already gone) is deleted; all failed raises."""
    failed = [code for code in codes if code not in (0, CODE_NOT_FOUND)]
    if failed and len(failed) == len(codes):
        raise refusal(failed[0], DELETE_PERSONS)
    if failed:
        reasons = ", ".join(sorted({CODES.get(code, f"code {code}") for code in failed}))
        return model.CommandResult(
            message=f"{len(codes) - len(failed)} of {len(codes)} deleted; not deleted: {reasons}"
        )
    return model.CommandResult(message=f"{len(codes)} deleted" if len(codes) > 1 else "deleted")
