"""The body-temperature tablet's HTTP protocol V1.16 (`temperature_http`).

The document is temperature-terminal-http-v1.16 (`shared/seeds`), digested with its errata in
`shared/protocols/temperature_http.md`. The tablet is only an HTTP client: it POSTs
heartbeats, records and command results to one URL, and commands ride in heartbeat replies.

- `codec`: pure functions from a POST body to model objects, and from model commands to
  reply bodies; the tablet's `PROFILE`;
- `client`: `TemperatureHttpClient` (a `DeviceClient` and `InboundHttp`), whose commands wait
  in a saved `command_queue.CommandQueue`.

Every module logs on this package's logger.
"""

from ..command_queue import QueueStore
from ..http import HttpReply, HttpRequest
from .client import (
    DOOR_COMMAND_TTL,
    RESULT_HEARTBEATS,
    STORE_VERSION,
    TemperatureHttpClient,
)
from .codec import (
    BATCH_SIZE,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_HIGH_THRESHOLD,
    HISTORICAL_AFTER_SECONDS,
    PROFILE,
    REUPLOAD_IDLE,
    SEQ_LIMIT,
    Heartbeat,
    Reupload,
    TabletConfig,
    Upload,
    batch_delete,
    batch_results_from,
    check_person_id,
    config_from,
    config_query,
    control_open,
    decode_upload,
    door_alarm_from,
    facelib_add,
    facelib_delete,
    facelib_simple,
    heartbeat_from,
    people_from,
    record_from,
    sub_result,
    time_set,
)

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_HEARTBEAT_INTERVAL",
    "DEFAULT_HIGH_THRESHOLD",
    "DOOR_COMMAND_TTL",
    "HISTORICAL_AFTER_SECONDS",
    "PROFILE",
    "RESULT_HEARTBEATS",
    "REUPLOAD_IDLE",
    "SEQ_LIMIT",
    "STORE_VERSION",
    "Heartbeat",
    "HttpReply",
    "HttpRequest",
    "QueueStore",
    "Reupload",
    "TabletConfig",
    "TemperatureHttpClient",
    "Upload",
    "batch_delete",
    "batch_results_from",
    "check_person_id",
    "config_from",
    "config_query",
    "control_open",
    "decode_upload",
    "door_alarm_from",
    "facelib_add",
    "facelib_delete",
    "facelib_simple",
    "heartbeat_from",
    "people_from",
    "record_from",
    "sub_result",
    "time_set",
]
