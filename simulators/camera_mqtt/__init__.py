"""Simulator of the HFSecurity intelligent network camera, protocol ``camera_mqtt``.

An implementation of "MQTT protocol of intelligent network camera" V1.25
(``shared/seeds/network-camera-mqtt-v1.25.txt``) on the HFSecurity family's common
machinery (``simulators.hfsecurity_mqtt``), used by tests to play the camera while a raw
MQTT client or the integration plays the platform. Its random activity is
``simulators.camera_mqtt.activity``.
"""

from .device import (
    ANALYTICS,
    DEFAULT_FACE_JPEG,
    DEFAULT_SCENE_JPEG,
    DEFAULT_TARGET_JPEG,
    DEFAULT_THERMAL_JPEG,
    GENERIC_ACK_OPERATORS,
    AnalyticsSpec,
    CameraSimulator,
)

__all__ = [
    "ANALYTICS",
    "DEFAULT_FACE_JPEG",
    "DEFAULT_SCENE_JPEG",
    "DEFAULT_TARGET_JPEG",
    "DEFAULT_THERMAL_JPEG",
    "GENERIC_ACK_OPERATORS",
    "AnalyticsSpec",
    "CameraSimulator",
]
