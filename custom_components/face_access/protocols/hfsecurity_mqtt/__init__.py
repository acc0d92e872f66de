"""HFSecurity (Huifan) MQTT family: face terminal (v1.24) and network camera (v1.25).

The documents are face-terminal-mqtt v1.24 and network-camera-mqtt v1.25 (`shared/seeds`).
One codec and one client serve the whole family; what differs between members (profile,
number and time formats, person fields, heartbeat interval) is data in `MqttVariant`.

- `variants`: the family members (`FACE_TERMINAL`, `CAMERA`) and how to tell them apart;
- `codec`: pure functions between payloads and the model (envelope, records, people);
- `analytics`: the camera's video-analytics pushes (camera_mqtt digest §4.23);
- `client`: `HFSecurityMqttClient` (a `DeviceClient`).
- `probe`: `probe`, the config flow's check that a device answers.

Every module logs on this package's logger.
"""

from ..wire import DecodeError
from .analytics import ANALYTICS_OPERATORS, analytics_from
from .client import (
    DEFAULT_COMMAND_TIMEOUT,
    MAX_PAYLOAD_BYTES,
    HFSecurityMqttClient,
)
from .codec import (
    Envelope,
    ack_result,
    credential_from,
    decode_envelope,
    edit_person_info,
    format_time,
    id_matches,
    info_from_online,
    parse_time,
    person_from_list_entry,
    record_from_rec_push,
    record_from_str_snap_push,
)
from .probe import probe
from .variants import (
    CAMERA,
    DEFAULT_TOPIC_PREFIX,
    FACE_TERMINAL,
    MISSED_HEARTBEATS,
    VARIANTS,
    MqttVariant,
    variant_from_name,
)

__all__ = [
    "ANALYTICS_OPERATORS",
    "CAMERA",
    "DEFAULT_COMMAND_TIMEOUT",
    "DEFAULT_TOPIC_PREFIX",
    "FACE_TERMINAL",
    "MAX_PAYLOAD_BYTES",
    "MISSED_HEARTBEATS",
    "VARIANTS",
    "DecodeError",
    "Envelope",
    "HFSecurityMqttClient",
    "MqttVariant",
    "ack_result",
    "analytics_from",
    "credential_from",
    "decode_envelope",
    "edit_person_info",
    "format_time",
    "id_matches",
    "info_from_online",
    "parse_time",
    "person_from_list_entry",
    "probe",
    "record_from_rec_push",
    "record_from_str_snap_push",
    "variant_from_name",
]
