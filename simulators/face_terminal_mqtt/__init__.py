"""Simulator of the HFSecurity-style face terminal, protocol ``face_terminal_mqtt``.

An independent implementation of "MQTT protocol of face recognition all in one
machine" V1.24 (``shared/seeds/face-terminal-mqtt-v1.24.txt``), used by tests to play
the device while a raw MQTT client or the integration plays the platform.
"""

from .device import (
    DEFAULT_FACE_JPEG,
    DEFAULT_STRANGER_BMP,
    OTYPE_MASK,
    OTYPE_TEMPERATURE,
    CommandError,
    FaceTerminalSimulator,
)
from .images import (
    decode_base64_picture,
    make_bmp,
    make_jpeg,
    make_png,
    make_scene,
    sniff_format,
    to_data_uri,
)

__all__ = [
    "DEFAULT_FACE_JPEG",
    "DEFAULT_STRANGER_BMP",
    "OTYPE_MASK",
    "OTYPE_TEMPERATURE",
    "CommandError",
    "FaceTerminalSimulator",
    "decode_base64_picture",
    "make_bmp",
    "make_jpeg",
    "make_png",
    "make_scene",
    "sniff_format",
    "to_data_uri",
]
