"""Simulator of the Huaan face-capture terminal, protocol ``face_capture_http``.

An independent implementation of "Face Capture Http API" v0.37
(``shared/seeds/face-capture-http-v0.37.txt``), with what real devices add (field notes
§2: HTTP Basic on port 8000, root path ``/``), used by tests and the demo to play the
device in its three roles: HTTP server of commands, data client pushing ``face`` records,
and configuration client long-polling for commands. Its random activity is
``simulators.face_capture_http.activity``; its pictures come from ``simulators.images``.
"""

from .device import (
    APP_PARAMS_REFUSED_CODE,
    DEFAULT_SERIAL,
    POLL_TIMEOUT,
    VERSION,
    CommandError,
    FaceCaptureSimulator,
)

__all__ = [
    "APP_PARAMS_REFUSED_CODE",
    "DEFAULT_SERIAL",
    "POLL_TIMEOUT",
    "VERSION",
    "CommandError",
    "FaceCaptureSimulator",
]
