"""The members of the HFSecurity MQTT family and what tells them apart.

Face terminal: face-terminal-mqtt v1.24; network camera: network-camera-mqtt v1.25
(`shared/seeds`, digested in `shared/protocols/face_terminal_mqtt.md` and `camera_mqtt.md`).
Everything that differs between them is data here, so one codec and one client serve both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..model import (
    PEOPLE_CAPABILITIES,
    RECORD_CAPABILITIES,
    TERMINAL_CAPABILITIES,
    Capability,
    DeviceProfile,
    PhotoLimits,
    ProtocolKey,
)
from .settings import ConfigGroup

DEFAULT_TOPIC_PREFIX: Final = "mqtt/face"
"""The topic prefix of a factory-configured device (face_terminal_mqtt digest §2.2)."""

MISSED_HEARTBEATS: Final = 2.5
"""Heartbeat periods without any message after which a device counts as offline.

face-terminal-mqtt v1.24 §15 calls a device offline after "not receiving the heartbeat for
several times" without a number; two and a half periods tolerate one lost heartbeat and
a late one without leaving a dead device online for long.
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttVariant:
    """What one member of the family is and can do, and how it spells things.

    `profile`: manufacturer, model, capabilities and photo limits of the member.
    `heartbeat_interval`: seconds between the device's `HeartBeat`s by default.
    `numbers_as_text`: numeric command fields are sent as strings, as the terminal's examples
    do; the camera's examples send numbers. `time_separator` goes between date and time in
    the times we send. `person_schema` names the validity fields of `EditPerson` ("terminal":
    `tempCardType`/`cardValidBegin`; "camera": `tempValid`/`validBegin`/`effectNumber`).
    `realtime_flag`: `Sendintime` 0 marks a record as not real-time (camera §5 L992).
    `delete_all_restarts`: `DeleteAllPerson` restarts the device.
    `search_extra`: further `SearchPersonList` fields the document requires.
    `name_prefixes`: default `facesname` prefixes, which tell family members apart in
    discovery.
    `setting_groups`: the settings commands its document has (`settings.ConfigGroup`); a
    device is never sent another group's command (the camera does not answer unknown ones).
    """

    protocol: ProtocolKey
    profile: DeviceProfile
    heartbeat_interval: float
    numbers_as_text: bool
    time_separator: str
    person_schema: str
    realtime_flag: bool
    delete_all_restarts: bool
    search_extra: Mapping[str, Any]
    name_prefixes: tuple[str, ...]
    setting_groups: frozenset[ConfigGroup] = frozenset()


# `pic` within 1 MB of base64 (terminal §4.1 L353, camera L304) -> 700 kB of JPEG; picURI
# caps at 1080p and refuses images under 1000 bytes (terminal errors 468/469, camera L4030),
# which we keep for base64 too.
PHOTO_LIMITS: Final = PhotoLimits(max_bytes=700_000, max_side=1080, min_bytes=1000)


def _profile(model: str, capabilities: frozenset[Capability]) -> DeviceProfile:
    """Return a family member's profile.

    Every member keeps people and pushes records with pictures (PEOPLE_CAPABILITIES,
    RECORD_CAPABILITIES) and can do `capabilities` besides.
    """
    return DeviceProfile(
        manufacturer="HFSecurity",
        model=model,
        # Both documents have RebootDevice (terminal §9.7, camera §10.4) and settings.
        capabilities=PEOPLE_CAPABILITIES
        | RECORD_CAPABILITIES
        | {Capability.SETTINGS, Capability.REBOOT}
        | capabilities,
        photo_limits=PHOTO_LIMITS,
    )


FACE_TERMINAL: Final = MqttVariant(
    protocol=ProtocolKey.FACE_TERMINAL_MQTT,
    profile=_profile(
        "Face recognition terminal (MQTT)",
        TERMINAL_CAPABILITIES,
    ),
    heartbeat_interval=30.0,  # §15 L3252
    numbers_as_text=True,
    time_separator="T",  # §9.8 and §4.2.3 examples
    person_schema="terminal",
    realtime_flag=False,  # v1.24 has no Sendintime; a captured terminal sends 0 live
    delete_all_restarts=True,  # §4.5 L756
    search_extra={},
    name_prefixes=("Face",),  # field notes §3.3.16: default facesname "Face1"
    setting_groups=frozenset(ConfigGroup),  # §9.2, §9.3, §9.5, §9.10
)

CAMERA: Final = MqttVariant(
    protocol=ProtocolKey.CAMERA_MQTT,
    # camera_mqtt digest §9.2: no door, no body temperature, no card or QR code.
    profile=_profile(
        "Intelligent network camera (MQTT)",
        frozenset({Capability.MASK, Capability.SCENE_SNAPSHOT, Capability.ANALYTICS_EVENTS}),
    ),
    heartbeat_interval=60.0,  # KeepAliveInterval default (L233, L1441), not §9's "30 s"
    numbers_as_text=False,
    time_separator=" ",  # digest §4.19: send colons and a space
    person_schema="camera",
    realtime_flag=True,
    delete_all_restarts=False,  # §4.7 L908 says nothing of a restart
    search_extra={"Picture": 0},  # required by the §4.4.3 table
    name_prefixes=("IPC",),  # field notes §3.2: facesname "IPC1026700"
    setting_groups=frozenset({ConfigGroup.SOUND}),  # §10.2 only; no door (digest §4.24)
)

VARIANTS: Final[dict[str, MqttVariant]] = {
    variant.protocol.value: variant for variant in (FACE_TERMINAL, CAMERA)
}
"""Every family member by its protocol key (`face_terminal_mqtt`, `camera_mqtt`)."""


def variant_from_name(name: str | None) -> MqttVariant | None:
    """Guess the family member from the `facesname` of its `Online`, or None when unsure.

    Only factory-default names tell (`IPC<id>` cameras, `Face1` terminals); a renamed device
    says nothing, and the user picks.
    """
    if not name:
        return None
    matches = [
        variant
        for variant in VARIANTS.values()
        if any(name.upper().startswith(prefix.upper()) for prefix in variant.name_prefixes)
    ]
    return matches[0] if len(matches) == 1 else None
