"""Simulator of the HFSecurity-style face terminal, protocol ``face_terminal_mqtt``.

An independent implementation of "MQTT protocol of face recognition all in one
machine" V1.24 (``shared/seeds/face-terminal-mqtt-v1.24.txt``) on the HFSecurity
family's common machinery (``simulators.hfsecurity_mqtt``), used by tests to play the
device while a raw MQTT client or the integration plays the platform. Its random
activity is ``simulators.face_terminal_mqtt.activity``; its pictures come from
``simulators.images``.
"""

from simulators.hfsecurity_mqtt import CommandError

from .device import (
    DEFAULT_FACE_JPEG,
    DEFAULT_STRANGER_BMP,
    OTYPE_MASK,
    OTYPE_TEMPERATURE,
    FaceTerminalSimulator,
)

__all__ = [
    "DEFAULT_FACE_JPEG",
    "DEFAULT_STRANGER_BMP",
    "OTYPE_MASK",
    "OTYPE_TEMPERATURE",
    "CommandError",
    "FaceTerminalSimulator",
]
