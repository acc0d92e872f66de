"""Simulator of the body-temperature tablet, protocol ``temperature_http``.

An independent implementation of "Body temperature detection and face recognition
intelligent terminal HTTP docking protocol V1.16"
(``shared/seeds/temperature-terminal-http-v1.16.txt``), used by tests and the demo to
play the tablet, an HTTP client, against the integration's webhook (or a test server).
Its random activity (the command line's and the demo's) is
``simulators.temperature_http.activity``.
"""

from .device import (
    BATCH_BAD_PARAMETER,
    BATCH_BAD_PICTURE,
    BATCH_FAILED,
    BATCH_OK,
    BATCH_POOL_FULL,
    DEFAULT_FACE_JPEG,
    DEFAULT_STRANGER_JPEG,
    PERSON_TYPE_CAPTURE,
    PERSON_TYPE_RECOGNIZED,
    PERSON_TYPE_STRANGER,
    TemperatureTabletSimulator,
    decode_picture,
)

__all__ = [
    "BATCH_BAD_PARAMETER",
    "BATCH_BAD_PICTURE",
    "BATCH_FAILED",
    "BATCH_OK",
    "BATCH_POOL_FULL",
    "DEFAULT_FACE_JPEG",
    "DEFAULT_STRANGER_JPEG",
    "PERSON_TYPE_CAPTURE",
    "PERSON_TYPE_RECOGNIZED",
    "PERSON_TYPE_STRANGER",
    "TemperatureTabletSimulator",
    "decode_picture",
]
