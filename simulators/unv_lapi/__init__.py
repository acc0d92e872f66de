"""Simulator of a Uniview (UNV) face terminal, protocol ``unv_lapi`` (LAPI over HTTP).

An independent implementation of the vendor's LAPI HTTP document
(``shared/seeds/unv-lapi-http.txt``) with what real devices add (field notes §1: Digest
authentication, the record ACK, the people / remote-open / snapshot paths), used by tests
and the demo to play the device: the HTTP server of the platform's requests and the client
pushing records to its subscribers. Its random activity is ``simulators.unv_lapi.activity``.
"""

from .device import (
    DEFAULT_SERIAL,
    HEARTBEAT_PATH,
    MALFORMED_VARIANTS,
    NOTIFICATIONS_PATH,
    PACS_SUBSCRIPTION_PATH,
    PERMANENT,
    PERSON_VERIFICATION_PATH,
    REALM,
    REMOTE_OPEN_PATH,
    SUBSCRIPTION_PATH,
    UnvLapiSimulator,
)

__all__ = [
    "DEFAULT_SERIAL",
    "HEARTBEAT_PATH",
    "MALFORMED_VARIANTS",
    "NOTIFICATIONS_PATH",
    "PACS_SUBSCRIPTION_PATH",
    "PERMANENT",
    "PERSON_VERIFICATION_PATH",
    "REALM",
    "REMOTE_OPEN_PATH",
    "SUBSCRIPTION_PATH",
    "UnvLapiSimulator",
]
