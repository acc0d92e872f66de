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
    PersonLimits,
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
    `manual_push_snaps`: the operator that re-pushes stranger snapshots (terminal §22
    `ManualPushSaps`, camera §21 `ManualPushSnaps`).
    `upload_fields`: the `UpMQTTconfig` fields its document has (terminal §9.6, camera
    §10.1) that we may send back, apart from the reserved ones and `BeginTime`.
    `upload_needs`: each upload field Home Assistant needs and the value it needs there.
    `query_progress`: the device answers `QueryProgress` while a batch runs (terminal
    §4.8; the camera's document has no such command).
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
    manual_push_snaps: str = "ManualPushSaps"
    upload_fields: tuple[str, ...] = ()
    upload_needs: tuple[tuple[str, int], ...] = ()
    query_progress: bool = False


# `pic` within 1 MB of base64 (terminal §4.1 L353, camera L304) -> 700 kB of JPEG; picURI
# caps at 1080p and refuses images under 1000 bytes (terminal errors 468/469, camera L4030),
# which we keep for base64 too.
PHOTO_LIMITS: Final = PhotoLimits(max_bytes=700_000, max_side=1080, min_bytes=1000)
# `customId` "48 characters including terminator" (terminal §4.1 L327, camera L361: <= 47),
# `name` <= 31 bytes (terminal L329, camera <= 31), `RFIDCard` 10 characters, decimal or
# hexadecimal by `RFCardMode` (terminal L350; the camera has no card field).
PERSON_LIMITS: Final = PersonLimits(
    id_max_bytes=47, name_max_bytes=31, card_max_bytes=10, card_hex=True
)


def _profile(model: str, capabilities: frozenset[Capability]) -> DeviceProfile:
    """Return a family member's profile.

    Every member keeps people and pushes records with pictures (PEOPLE_CAPABILITIES,
    RECORD_CAPABILITIES) and can do `capabilities` besides.
    """
    return DeviceProfile(
        manufacturer="HFSecurity",
        model=model,
        # Both documents have RebootDevice (terminal §9.7, camera §10.4), settings, the
        # upload configuration (terminal §9.6, camera §10.1) and manual re-pushes of a
        # window's records (terminal §20/§22, camera §20/§21).
        capabilities=PEOPLE_CAPABILITIES
        | RECORD_CAPABILITIES
        | {
            Capability.SETTINGS,
            Capability.REBOOT,
            Capability.UPLOAD_CHECK,
            Capability.CATCH_UP,
            Capability.BATCH_ENROLL,  # EditPersonsNew (terminal §4.10, camera §4.3)
        }
        | capabilities,
        photo_limits=PHOTO_LIMITS,
        person_limits=PERSON_LIMITS,
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
    manual_push_snaps="ManualPushSaps",  # §22 table and request (its ack says "Snaps", E46)
    upload_fields=(
        "StrangerUploadType",
        "RecordUploadType",
        "Direction",
        "QRCode",
        "IDCard",
        "Card",
        "ResumefromBreakpoint",
    ),
    upload_needs=(
        ("RecordUploadType", 1),  # §9.6: records with the captured picture (E20)
        ("StrangerUploadType", 0),  # §9.6: 0 is "upload" here (L2349)
        ("QRCode", 1),  # §9.6 and §14.3: QR-code scans
        ("Card", 1),  # §9.6 and §23: card swipes
        ("IDCard", 1),  # §9.6 and §21: ID-card reads
        ("ResumefromBreakpoint", 1),  # §11: records kept and re-sent until PushAck
    ),
    query_progress=True,  # §4.8
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
    manual_push_snaps="ManualPushSnaps",  # §21
    upload_fields=(
        "StrangerUploadType",
        "RecordUploadType",
        "BehaviorUploadType",
        "KeepAliveInterval",
        "OnlineTopic",
        "HeartbeatTopic",
        "ResumefromBreakpoint",
    ),
    upload_needs=(
        ("RecordUploadType", 1),  # §10.1: records with the captured image
        ("StrangerUploadType", 0),  # §10.1: 0 is "upload"
        ("ResumefromBreakpoint", 1),  # §8: records kept and re-sent until PushAck
    ),
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
