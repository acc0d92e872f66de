"""Uniview (UNV) face terminals over LAPI HTTP (`unv_lapi`).

The document is unv-lapi-http.txt (`shared/seeds`), digested with its errata in
`shared/protocols/unv_lapi.md`; what real devices do beyond it (the record acknowledgement,
the door and people paths, digest auth) is in `shared/protocols/field-notes.md` §1.

- `codec`: the envelope, identity, subscription and people bodies; `FIXED_PATHS`;
- `records`: pushes (records, heartbeats) → model, their replies, `serial_of`;
- `connection`: `LapiConnection`, Home Assistant's requests to the device (digest auth);
- `client`: `UnvLapiClient` (a `DeviceClient` and `InboundHttp`).

Every module logs on this package's logger.
"""

from ..http import HttpReply, HttpRequest
from ..wire import DecodeError
from .client import (
    DEDUP_MEMORY,
    POLL_INTERVAL,
    RETRY_DELAY,
    STORE_VERSION,
    SUBSCRIPTIONS_FULL,
    UnvLapiClient,
    profile_for,
)
from .codec import (
    ALL_FEATURES,
    DEFAULT_LIBRARY,
    DEFAULT_PORT,
    FEATURE_CAPTURE,
    FEATURE_DOOR,
    FEATURE_PEOPLE,
    FIXED_PATHS,
    HEART_REPORT,
    MAX_DURATION,
    NOTIFICATIONS,
    PACS_SUBSCRIPTIONS,
    PERSON_VERIFICATION,
    PHOTO_LIMITS,
    SUBSCRIPTION,
    AlreadySubscribedError,
    Identity,
    Subscription,
    SubscriptionsFullError,
    identity_from,
    loads,
    parse_time,
)
from .connection import DEFAULT_TIMEOUT, Features, LapiConnection
from .records import (
    DENIAL_REASONS,
    ack,
    credentials_from,
    heartbeat_reply,
    record_from,
    record_key,
    serial_of,
)

__all__ = [
    "ALL_FEATURES",
    "DEDUP_MEMORY",
    "DEFAULT_LIBRARY",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "DENIAL_REASONS",
    "FEATURE_CAPTURE",
    "FEATURE_DOOR",
    "FEATURE_PEOPLE",
    "FIXED_PATHS",
    "HEART_REPORT",
    "MAX_DURATION",
    "NOTIFICATIONS",
    "PACS_SUBSCRIPTIONS",
    "PERSON_VERIFICATION",
    "PHOTO_LIMITS",
    "POLL_INTERVAL",
    "RETRY_DELAY",
    "STORE_VERSION",
    "SUBSCRIPTION",
    "SUBSCRIPTIONS_FULL",
    "AlreadySubscribedError",
    "DecodeError",
    "Features",
    "HttpReply",
    "HttpRequest",
    "Identity",
    "LapiConnection",
    "Subscription",
    "SubscriptionsFullError",
    "UnvLapiClient",
    "ack",
    "credentials_from",
    "heartbeat_reply",
    "identity_from",
    "loads",
    "parse_time",
    "profile_for",
    "record_from",
    "record_key",
    "serial_of",
]
