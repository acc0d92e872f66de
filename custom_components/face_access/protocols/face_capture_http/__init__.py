"""Huaan's "Face Capture Http API" v0.37 (`face_capture_http`).

The document is face-capture-http-v0.37 (`shared/seeds`), digested with its errata in
`shared/protocols/face_capture_http.md`; real devices' ways (HTTP Basic on port 8000, root
path, `version` "0.42") are in `shared/protocols/field-notes.md` §2.

- `codec`: pure functions between JSON messages and the model; `PROFILE`, `Mode`;
- `records`: what the device pushes (records, heartbeats) and the answers it expects, and
  the entries of `request records` decoded as those pushes;
- `settings`: which application parameters are Home Assistant's settings, and how;
- `connection`: `FaceCaptureConnection`, Home Assistant's requests to the device's port;
- `client`: `FaceCaptureHttpClient` (a `DeviceClient` and `InboundHttp`, and the optional
  `SettingsClient`, `UploadCheckClient` and `CatchUpClient`): records pushed by the device,
  commands sent at once (Mode.PUSH) or fetched by the device's long polls from a saved
  `command_queue.CommandQueue` (Mode.LONG_POLL).

Every module logs on this package's logger.
"""

from ..command_queue import QueueStore
from ..http import HttpReply, HttpRequest
from ..wire import DecodeError
from .client import (
    LONG_POLL_OFFLINE_AFTER,
    MAX_DELIVERIES,
    MAX_POLL_HOLD,
    MAX_RECORD_PAGES,
    POLL_CYCLE,
    SEQ_LIMIT,
    STORE_VERSION,
    ZONE_MARGIN,
    FaceCaptureHttpClient,
)
from .codec import (
    CODES,
    DEFAULT_PORT,
    MAX_ID_BYTES,
    MAX_JPG_NAME_BYTES,
    MAX_NAME_BYTES,
    PAGE_SIZE,
    PROFILE,
    PROTOCOL_VERSION,
    Identity,
    Mode,
    add_person_jpg,
    decode_message,
    delete_everyone,
    delete_person,
    extranet,
    gpio_control,
    identity_from,
    parse_time,
    people_page,
    request_persons,
    snapshot_picture,
    upload_info,
    upload_person,
)
from .connection import DEFAULT_TIMEOUT, ENROLL_TIMEOUT, FaceCaptureConnection
from .records import FAILURE_REASONS, credentials_from, face_ack, history_record, record_from

__all__ = [
    "CODES",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "ENROLL_TIMEOUT",
    "FAILURE_REASONS",
    "LONG_POLL_OFFLINE_AFTER",
    "MAX_DELIVERIES",
    "MAX_ID_BYTES",
    "MAX_JPG_NAME_BYTES",
    "MAX_NAME_BYTES",
    "MAX_POLL_HOLD",
    "MAX_RECORD_PAGES",
    "PAGE_SIZE",
    "POLL_CYCLE",
    "PROFILE",
    "PROTOCOL_VERSION",
    "SEQ_LIMIT",
    "STORE_VERSION",
    "ZONE_MARGIN",
    "DecodeError",
    "FaceCaptureConnection",
    "FaceCaptureHttpClient",
    "HttpReply",
    "HttpRequest",
    "Identity",
    "Mode",
    "QueueStore",
    "add_person_jpg",
    "credentials_from",
    "decode_message",
    "delete_everyone",
    "delete_person",
    "extranet",
    "face_ack",
    "gpio_control",
    "history_record",
    "identity_from",
    "parse_time",
    "people_page",
    "record_from",
    "request_persons",
    "snapshot_picture",
    "upload_info",
    "upload_person",
]
