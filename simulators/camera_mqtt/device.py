"""A simulated HFSecurity intelligent network camera speaking the vendor's MQTT protocol.

Source: "MQTT protocol of intelligent network camera V1.25"
(``shared/seeds/network-camera-mqtt-v1.25.txt``); section numbers (§) below are that
document's own, and "digest" means ``shared/protocols/camera_mqtt.md``. Where the
document is silent or contradicts itself, the simulator follows the captured camera
messages of the field notes (§3.2: ``Online``, ``HeartBeat``, ``RecPush`` from camera
1026700) and says so in the docstring concerned.

The camera shares the envelope, the topics and most operators with the face terminal
(``simulators.hfsecurity_mqtt``); this module is what its own document says differently:
QoS 0, the person schema (``tempValid``/``validBegin``/``effectNumber``, no cards), the
record shapes, the analytics pushes with ``PushAckType`` 3, batch enrolment, manual
re-pushes, and no door at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
import datetime as dt
from functools import partial
import itertools
import logging
import time
from typing import Any, Final

from simulators.base import LockedCopy, itself
from simulators.hfsecurity_mqtt import (
    DEVICE_OPERATORS,
    FACE_PUSHES,
    CommandError,
    HFSecurityMqttDevice,
    Model,
    as_int,
    handles,
    parse_time,
)
from simulators.images import make_jpeg, make_scene, make_thermal_jpeg, to_data_uri

from .activity import CameraActivity

_LOGGER = logging.getLogger(__name__)

DEFAULT_FACE_JPEG: Final[bytes] = make_jpeg(variant=1)
"""Default ``pic`` of recognition and stranger records: a drawn face, JPEG."""
DEFAULT_TARGET_JPEG: Final[bytes] = make_jpeg(160, 200, variant=6)
"""Default target picture (``pic``) of the analytics pushes."""
DEFAULT_SCENE_JPEG: Final[bytes] = make_scene(480, 270)
"""Default scene picture (``scene``/``scenePic``) of the analytics pushes."""

PERMANENT_EFFECT_NUMBER: Final = 0xFFFF
"""§4.1 ``effectNumber`` 0xffff: "infinite times"."""
MAX_EFFECT_NUMBER: Final = 10000
"""§4.1 ``effectNumber``: a limited count is 1~10000."""
MAX_BATCH_PERSONS: Final = 1000
"""§4.2/§4.3: ``AddPersons``/``EditPersonsNew`` take at most 1000 persons (code 416)."""
UNSET_BIRTHDAY: Final = "0000-00-00"
"""§4.4.2: the ``birthday`` of a person who has none, as ``SearchPerson-Ack`` shows it."""
BEHAVIOR_UPLOAD_ALL: Final = 255
"""§10.1 ``BehaviorUploadType`` 255: every behaviour-analysis push is uploaded."""
CAPTURED_TARGET_POS: Final = (346, 0, 1572, 1080)
"""``targetPosInScene`` of the captured camera ``RecPush`` (field notes §3.2), pixels."""
REPLAY_TARGET_POS: Final = (0, 0, 0, 0)
"""``targetPosInScene`` of manually pushed records (§5 e.g.2, §6 e.g.2)."""

# §10.1 value ranges of UpMQTTconfig (error 462 outside them).
_MQTT_CONFIG_RANGES: Final[dict[str, frozenset[int]]] = {
    "StrangerUploadType": frozenset({0, 1}),
    "RecordUploadType": frozenset({0, 1, 2}),
    "BehaviorUploadType": frozenset({0, 1, 2, 3, 4, BEHAVIOR_UPLOAD_ALL}),
    "KeepAliveInterval": frozenset(range(20, 301)),
    "ResumefromBreakpoint": frozenset({0, 1}),
    "ReConnect": frozenset({0, 1}),
    "Reboot": frozenset({0, 1}),
}
# Acks whose document example carries a top-level "code" on success, in the example's type.
_SUCCESS_CODES: Final[dict[str, str | int]] = {
    "GetMQTTconfig": "200",  # §10.1.2
    "Versions": "200",  # §12.3.2
    "GetSoundconfig": "200",  # §10.2.2
    "UpSoundconfig": "200",  # §10.2.4
    "SearchPerson": "200",  # §4.4.2
    "SearchPersonList": 200,  # §4.4.3, a number there
    # Field notes §3.2: a captured AddPersons-Ack has "code": "200".
    "AddPersons": "200",
    "EditPersonsNew": "200",
}
# Acks whose examples have no "result" at all (§4.4.3, both examples).
_RESULTLESS: Final = frozenset({"SearchPersonList"})
# Person fields of the face-terminal protocol that the camera protocol does not have
# (digest §4.7 "Not available: card number / RFID"); sending one means the platform used
# the wrong schema.
_TERMINAL_PERSON_FIELDS: Final = frozenset(
    {
        "RFIDCard",
        "cardNum",
        "cardNum2",
        "cardType",
        "cardType2",
        "CardMode",
        "RFCardMode",
        "WiegandType",
        "WGFacilityCode",
        "tempCardType",
        "cardValidBegin",
        "cardValidEnd",
        "EffectNumber",
    }
)
# Operators of the camera document that the simulator does not implement: a real camera
# answers them, so they are logged in ``unhandled_commands`` rather than as violations.
_DOCUMENTED_UNSIMULATED: Final = frozenset(
    {
        "SetFactoryDefault",
        "GetRTSPCfg",
        "SetRTSPCfg",
        "GetDeploymentRulesconfig",
        "SetDeploymentRulesconfig",
        "QuerySIMCardInfo",
        "GetLineDetectionConfig",
        "SetLineDetectionConfig",
        "GetFieldDetectionConfig",
        "SetFieldDetectionConfig",
        "SetAlarmReset",
        "Upgrade",
        "GetCount",
        "TargetCountStatsCfg",
        "TargetResetCount",
    }
)


@dataclass(frozen=True)
class AnalyticsSpec:
    """How one §13-§28 analytics push is shaped.

    ``time_key`` is ``time`` or ``snapTime``; ``time_format`` the strftime of its
    example; ``device_name`` whether the table lists ``deviceName``; ``record_id`` the
    JSON type of ``SnapOrRecordID`` in the example (``str``/``int``), or ``None`` when
    the push has none and needs no ``PushAck``; ``behavior`` the §10.1
    ``BehaviorUploadType`` values that enable it (``None``: the "Event capture"
    upload switch of the web UI, §3.2 digest).
    """

    section: str
    time_key: str = "time"
    time_format: str = "%Y-%m-%d %H:%M:%S"
    device_name: bool = False
    record_id: type[str] | type[int] | None = None
    behavior: frozenset[int] | None = None


ANALYTICS: Final[dict[str, AnalyticsSpec]] = {
    # §13: SnapOrRecordID "3" and targetType "0" are strings in the example that has them.
    "VisibleKitchenSnapPush": AnalyticsSpec("§13", device_name=True, record_id=str),
    "ParabolicSnapPush": AnalyticsSpec("§14", time_key="snapTime", device_name=True),
    "TemHighSnapPush": AnalyticsSpec("§15/§28", time_key="snapTime", device_name=True),
    "FullStrSnapPush": AnalyticsSpec("§16", device_name=True),
    "BehaviorSnapPush": AnalyticsSpec(
        "§17.2", device_name=True, behavior=frozenset({1, 2, BEHAVIOR_UPLOAD_ALL})
    ),
    "LeaveSnapPush": AnalyticsSpec("§17.3", behavior=frozenset({3, BEHAVIOR_UPLOAD_ALL})),
    "ClothHelmetSnapPush": AnalyticsSpec("§18", record_id=str),
    "FireSmokeSnapPush": AnalyticsSpec("§19", device_name=True, record_id=int),
    "CountInRegionPush": AnalyticsSpec("§24"),
    "CatAttrSnapPush": AnalyticsSpec("§25"),
    "SafetyRidePush": AnalyticsSpec("§26", behavior=frozenset({4, BEHAVIOR_UPLOAD_ALL})),
    # §27: the example's time has a "T" and its SnapOrRecordID "250" is a string.
    "ElectricalBicycleSnapPush": AnalyticsSpec(
        "§27", time_format="%Y-%m-%dT%H:%M:%S", record_id=str
    ),
}
"""Every analytics push of §13-§28 (digest §4.23) by operator."""

GENERIC_ACK_OPERATORS: Final = frozenset(
    name for name, spec in ANALYTICS.items() if spec.record_id is not None
)
"""Analytics pushes with ``SnapOrRecordID``, acknowledged with ``PushAckType`` 3 (§8.5)."""

# §13 targetType → the alarmType key that goes with it.
_KITCHEN_ALARM_KEYS: Final = {0: "CookAlarmType", 1: "AnimalAlarmType", 2: "ObjectAlarmType"}
# PushAckType → what it acknowledges (§8 table).
_ACK_KINDS: Final = {1: "StrSnapPush SnapID", 2: "RecPush RecordID", 3: "generic SnapOrRecordID"}
# §4.1 person fields of the camera: numbers, and texts.
_PERSON_NUMBERS: Final = ("personType", "gender", "tempValid", "effectNumber")
_PERSON_TEXTS: Final = ("idCard", "birthday", "telnum1", "address", "validBegin", "validEnd")


DEFAULT_THERMAL_JPEG: Final[bytes] = make_thermal_jpeg()
"""Default ``tempic`` of ``TemHighSnapPush``."""


def _replay_info(info: Mapping[str, Any], *, name_key: str) -> dict[str, Any]:
    """Turn a logged record into its §20/§21 manual re-push.

    ``PushType`` 2, ``Sendintime`` 0, ``targetPosInScene`` [0,0,0,0] and no ``scene``,
    as both manual-push examples show (§5 e.g.2, §6 e.g.2).
    """
    replay = dict(info)
    replay.pop("scene", None)
    if "personName" in replay:
        replay[name_key] = replay.pop("personName")
    if "Sendintime" in replay:
        replay["Sendintime"] = 0
    replay["PushType"] = 2
    replay["targetPosInScene"] = list(REPLAY_TARGET_POS)
    return replay


class CameraSimulator(HFSecurityMqttDevice):
    """One HFSecurity network camera ("IPC") on an MQTT broker.

    Observable state (thread-safe snapshots), on top of the family's (see
    ``HFSecurityMqttDevice``): ``acked_generic``, ``unhandled_commands``,
    ``scene_snap_count``, ``begin_time``, ``behavior_upload_type``. The camera has no
    door (digest §4.24), and ``DeleteAllPerson`` keeps the records, those waiting for
    their ``PushAck`` too (§4.7).
    """

    kind = "camera"
    query_progress = False  # camera_mqtt digest §4.8/§4.9: the document has no QueryProgress
    model = Model(
        # The captured camera (field notes §3.2).
        device_id="1026700",
        name="IPC{device_id}",
        heartbeat_interval=60.0,  # KeepAliveInterval
        online_repeat_interval=None,  # §7.1: Online repeats at the heartbeat interval
        firmware="2.1.0.3.4.26-0.101.8 Beta9",
        buildtime="2022-09-02 14:53:13",
        client_prefix="IPC",
    )
    device_operators = DEVICE_OPERATORS | frozenset(ANALYTICS)
    mqtt_qos = 0  # §1: "v3.1.1, QOS: 0"
    restart_after_delete_all = False  # §4.7 says nothing of a restart, unlike the terminal
    person_length_limits = (("idCard", 31), ("telnum1", 31), ("address", 71))
    push_ack_types = frozenset(_ACK_KINDS)
    push_ack_id_keys = ("SnapOrRecordID", "snapOrRecordID")  # both spellings occur (L1314)
    # PushAck-Ack: "ok" whatever the match (nothing in the document says the device checks
    # it), the type and ID echoed as strings, under "facesluicId" (sic, L1264, L1299).
    push_ack_echo = True
    push_ack_device_key = "facesluicId"
    search_pic_in_info = False  # §4.4.2: ``pic`` at the top level only (L674)
    # The camera mixes strings and numbers per message; each shape below is explicit.
    string_numbers = False
    activity = CameraActivity

    def __init__(
        self,
        host: str,
        port: int,
        device_id: str | None = None,
        *,
        behavior_upload_type: int = BEHAVIOR_UPLOAD_ALL,
        doc_quirks: bool = True,
        **settings: Any,
    ) -> None:
        """Configure the camera; nothing connects until ``start()``.

        ``settings`` are those of ``HFSecurityMqttDevice``; the defaults follow the
        captured camera (field notes §3.2): ID 1026700, name ``IPC<id>``, heartbeat
        60 s (``KeepAliveInterval``). ``Online`` repeats at the heartbeat interval until
        ``Online-Ack`` (§7.1) unless ``online_repeat_interval`` says otherwise.
        Unacknowledged records are sent again every ``resend_interval`` s (§8, "in the
        next 10 seconds or so").

        ``ResumefromBreakpoint`` is on by default so that tests exercise ``PushAck``
        (the document's default is off, §8). ``behavior_upload_type`` is the §10.1
        ``BehaviorUploadType``; its default 255 (the document's is 0) lets every
        behaviour push through. ``doc_quirks`` reproduces the document's wrong ack
        operators (``GetDeviceInformation`` without ``-Ack``, L1843;
        ``ManualPushSnaps-Ack`` for ``ManualPushRecords``, L3650).
        """
        super().__init__(host, port, device_id, **settings)
        if behavior_upload_type not in _MQTT_CONFIG_RANGES["BehaviorUploadType"]:
            raise ValueError("behavior_upload_type must be 0-4 or 255 (§10.1)")
        self._mqtt_config["BehaviorUploadType"] = behavior_upload_type
        self.doc_quirks = doc_quirks
        # The web UI's "Event capture" upload switch (digest §2.2); no MQTT field sets it.
        self.event_capture_upload = True
        self._begin_time = self._now_text()
        # Separate ID ranges, so that a PushAck of the wrong type is recognisable (§8).
        self._snap_ids = itertools.count(501)
        self._generic_ids = itertools.count(1689962595)  # the §8.5/§19 example's ID
        self._issued: dict[tuple[int, int], str] = {}
        self._unhandled: list[str] = []
        self._scene_snaps = 0
        # §10.2.2 example values: the camera's only sound settings.
        self._sound: dict[str, int] = {"VerifySuccAudio": 1, "Volume": 80}

    def _initial_mqtt_config(self) -> dict[str, int]:
        """§10.1 reporting fields; ``KeepAliveInterval`` is the heartbeat interval."""
        return {
            "StrangerUploadType": 0,
            "RecordUploadType": 1,
            "BehaviorUploadType": BEHAVIOR_UPLOAD_ALL,
            "KeepAliveInterval": max(1, round(self.heartbeat_interval)),
            "ResumefromBreakpoint": 1,
            "ReConnect": 0,
            "Reboot": 0,
        }

    # ------------------------------------------------------- observable state

    @property
    def acked_generic(self) -> set[int]:
        """``SnapOrRecordID``s of analytics records acknowledged with ``PushAck`` type 3."""
        return self._acked_ids(3)

    unhandled_commands = LockedCopy(
        "_unhandled", list, "Operators of the camera document that this simulator does not answer."
    )
    scene_snap_count = LockedCopy(
        "_scene_snaps",
        itself,
        'How many ``GetSceneSnap`` pictures were taken (§11: "frequent calls" hurt).',
    )
    begin_time = LockedCopy(
        "_begin_time", itself, "§10.1 ``BeginTime``: where resumed uploads start."
    )

    @property
    def behavior_upload_type(self) -> int:
        """§10.1 ``BehaviorUploadType`` (which behaviour pushes are uploaded).

        0 none, 1 tripwire, 2 area, 3 leave post, 4 safe riding, 255 all. The
        document's default is 0; the simulator's is 255 unless the constructor says.
        """
        with self._lock:
            return self._mqtt_config["BehaviorUploadType"]

    @behavior_upload_type.setter
    def behavior_upload_type(self, value: int) -> None:
        if value not in _MQTT_CONFIG_RANGES["BehaviorUploadType"]:
            raise ValueError("behavior_upload_type must be 0-4 or 255 (§10.1)")
        with self._lock:
            self._mqtt_config["BehaviorUploadType"] = value

    # ------------------------------------------------------------------ pushes

    def push_record(
        self,
        custom_id: str | None = None,
        *,
        verify_status: int = 1,
        no_mask: int | None = None,
        similarity: float = 94.0,
        picture: bytes | None = DEFAULT_FACE_JPEG,
        scene: bytes | None = None,
        push_type: int = 0,
        target_pos_in_scene: Sequence[int] = CAPTURED_TARGET_POS,
        at: dt.datetime | None = None,
    ) -> int:
        """Publish a ``RecPush`` on ``<ID>/Rec`` (§5); return its ``RecordID``.

        The shape is the captured camera record (field notes §3.2): ``RecordID``,
        ``VerifyStatus``, ``PersonType`` (the enrolled person's ``personType``) and
        ``similarity1`` ("94.000000", percent) are strings; ``Sendintime`` (1, live)
        and ``PushType`` are ints; ``targetPosInScene`` is an int array
        ``[x1, y1, x2, y2]`` in scene pixels; the name is ``personName``. There is no
        temperature, card, ``otype`` or door field. ``isNoMask`` (0 mask or check
        off, 1 no mask, 2 no mask but allowed) appears only when ``no_mask`` is
        given, and ``scene`` only when a scene picture is given: the captured record
        has none. ``picture=None`` or ``RecordUploadType`` 2 sends no picture.

        ``push_type`` 2 shapes a §20 manual re-push instead (``Sendintime`` 0,
        ``targetPosInScene`` zeros, no scene, no ``PushAck`` needed). With
        ``RecordUploadType`` 0 nothing is sent; the record is still kept for
        ``ManualPushRecords``. ``at`` is the record's device-local time (default now).
        """
        with self._lock:
            when = self._record_time(at)
            record_id = next(self._record_ids)
            person = self._persons.get(custom_id) if custom_id is not None else None
            upload = self._mqtt_config["RecordUploadType"]
            info: dict[str, Any] = {
                "customId": custom_id or "",
                "personId": person["personId"] if person else "0",
                "RecordID": str(record_id),
                "VerifyStatus": str(verify_status),
                "PersonType": str(person["personType"] if person else 0),
                "similarity1": f"{similarity:.6f}",
                "Sendintime": 1,
                "personName": person["name"] if person else "",
                "facesluiceId": self.device_id,
                "idCard": (person["idCard"] if person else "") or " ",
                "telnum": (person["telnum1"] if person else "") or " ",
                "time": when.strftime("%Y-%m-%d %H:%M:%S"),
            }
        self._push_face(
            (2, record_id),
            info,
            when=when,
            no_mask=no_mask,
            target_pos_in_scene=target_pos_in_scene,
            pictures={"pic": picture, "scene": scene} if upload != 2 else {},
            push_type=push_type,
            upload=upload != 0,
        )
        return record_id

    def push_stranger(
        self,
        *,
        no_mask: int | None = 0,
        picture: bytes | None = DEFAULT_FACE_JPEG,
        scene: bytes | None = None,
        push_type: int = 0,
        target_pos_in_scene: Sequence[int] = (0, 0, 1161, 1080),
        at: dt.datetime | None = None,
    ) -> int:
        """Publish a ``StrSnapPush`` on ``<ID>/Snap`` (§6); return its ``SnapID``.

        As in the §6 example: ``SnapID`` and ``isNoMask`` strings, ``PushType`` an
        int, ``targetPosInScene`` an int array. Needs ``PushAck`` type 1 when
        ``ResumefromBreakpoint`` is on. Not sent when ``StrangerUploadType`` is 1
        ("0: Upload 1: No upload", §10.1). ``push_type`` 2 shapes a §21 re-push. ``at``
        is the snapshot's device-local time (default now).
        """
        with self._lock:
            when = self._record_time(at)
            snap_id = next(self._snap_ids)
            info: dict[str, Any] = {
                "facesluiceId": self.device_id,
                "SnapID": str(snap_id),
                "time": when.strftime("%Y-%m-%d %H:%M:%S"),
            }
            upload = self._mqtt_config["StrangerUploadType"] == 0
        self._push_face(
            (1, snap_id),
            info,
            when=when,
            no_mask=no_mask,
            target_pos_in_scene=target_pos_in_scene,
            pictures={"pic": picture, "scene": scene},
            push_type=push_type,
            upload=upload,
        )
        return snap_id

    def _push_face(
        self,
        ack: tuple[int, int],
        info: dict[str, Any],
        *,
        when: dt.datetime,
        no_mask: int | None,
        target_pos_in_scene: Sequence[int],
        pictures: Mapping[str, bytes | None],
        push_type: int,
        upload: bool,
    ) -> None:
        """Complete a ``RecPush`` (``ack`` type 2) or ``StrSnapPush`` (type 1) and send it.

        ``info`` gets ``isNoMask`` when given, ``PushType``, ``targetPosInScene`` and the
        ``pictures`` given (``pic``, ``scene``). The push is logged for the §20/§21
        manual re-pushes, or, with ``push_type`` 2, shaped as one (no ``PushAck``).
        Nothing is sent unless ``upload``.
        """
        with self._lock:
            if no_mask is not None:
                info["isNoMask"] = str(int(no_mask))
            info["PushType"] = 0
            info["targetPosInScene"] = [int(v) for v in target_pos_in_scene]
            for key, picture in pictures.items():
                if picture is not None:
                    info[key] = to_data_uri(picture)
            self._issued[ack] = FACE_PUSHES[ack[0]][0]
            if push_type == 2:
                info = _replay_info(info, name_key=self._replay_name_key)
            else:
                info["PushType"] = push_type
                self._log_face(ack[0], when, info)
        self._send_face(
            ack, info, push_type=push_type, held=None if upload else "its upload is off"
        )

    def push_analytics(
        self, operator: str, *, top_level: Iterable[str] = (), **fields: Any
    ) -> int | None:
        """Publish one §13-§28 analytics push on ``<ID>/Snap``; return its ``SnapOrRecordID``.

        ``info`` starts with ``deviceId``, ``deviceName`` (where the section's table
        lists it) and the time field (``time`` or ``snapTime``, now, unless given),
        then ``SnapOrRecordID`` for the four generic records of ``GENERIC_ACK_OPERATORS``
        (typed like the section's example), then ``fields`` in order: ``bytes`` values
        become ``data:image/jpeg;base64,`` pictures and ``None`` values are left out.
        Keys named in ``top_level`` are moved out of ``info``, as two of the three §13
        examples do with ``targetPosInScene``. There is no ``messageId``.

        Generic records wait for ``PushAck`` type 3 (§8.5) when ``ResumefromBreakpoint``
        is on. Returns ``None`` when the push has no ``SnapOrRecordID``, or when the
        upload is off (``BehaviorUploadType`` for behaviour, leave-post and riding
        pushes, ``event_capture_upload`` for the others) and nothing is sent.
        """
        return self._send_analytics(operator, top_level, fields)[1]

    def _send_analytics(
        self, operator: str, top_level: Iterable[str], fields: dict[str, Any]
    ) -> tuple[bool, int | None]:
        """Do ``push_analytics``; return whether it was sent and its ``SnapOrRecordID``."""
        spec = ANALYTICS.get(operator)
        if spec is None:
            raise ValueError(f"{operator!r} is not an analytics push of §13-§28")
        with self._lock:
            if not self._analytics_enabled(operator, spec, fields):
                _LOGGER.info("%s not pushed: its upload is off", operator)
                return False, None
            info: dict[str, Any] = {"deviceId": self.device_id}
            if spec.device_name:
                info["deviceName"] = self.name
            info[spec.time_key] = fields.pop(spec.time_key, None) or self._now().strftime(
                spec.time_format
            )
            record_id: int | None = None
            if spec.record_id is not None:
                record_id = next(self._generic_ids)
                info["SnapOrRecordID"] = spec.record_id(record_id)
            for key, value in fields.items():
                if value is None:
                    continue
                info[key] = to_data_uri(value) if isinstance(value, bytes) else value
            message: dict[str, Any] = {"operator": operator, "info": info}
            for key in top_level:
                if key in info:
                    message[key] = info.pop(key)
            if record_id is not None:
                self._issued[(3, record_id)] = operator
        self._push("Snap", message, None if record_id is None else (3, record_id))
        return True, record_id

    def _push_event(self, operator: str, **fields: Any) -> bool:
        """Push an analytics message without ``SnapOrRecordID``; return whether it was sent."""
        return self._send_analytics(operator, (), fields)[0]

    def _analytics_enabled(
        self, operator: str, spec: AnalyticsSpec, fields: Mapping[str, Any]
    ) -> bool:
        """Tell whether ``BehaviorUploadType`` (§10.1) or the UI switch lets it out. Lock held."""
        if spec.behavior is None:
            return self.event_capture_upload
        upload = self._mqtt_config["BehaviorUploadType"]
        if operator == "BehaviorSnapPush":
            # behaviourType 0 tripwire needs upload type 1, 1 area needs 2 (or 255 for both).
            kind = as_int(fields.get("behaviourType"))
            return upload == BEHAVIOR_UPLOAD_ALL or (kind is not None and upload == kind + 1)
        return upload in spec.behavior

    def push_kitchen(
        self,
        target_type: int = 0,
        alarms: Sequence[int] = (0,),
        *,
        picture: bytes | None = DEFAULT_TARGET_JPEG,
        target_pos: Sequence[int] = (19, 8, 156, 408),
        scene: bytes | None = DEFAULT_SCENE_JPEG,
        target_pos_in_scene: Sequence[int] = (956, 42, 1266, 914),
        top_level: Iterable[str] = (),
    ) -> int | None:
        """§13 ``VisibleKitchenSnapPush``; returns its ``SnapOrRecordID`` (``PushAckType`` 3).

        ``targetType`` 0 cook, 1 animal, 2 object (a string, as in the example with
        ``SnapOrRecordID``). ``alarmType`` is an object with exactly one array, chosen
        by ``target_type``: ``CookAlarmType`` (0 no chef hat, 1 no mask, 2 no chef
        uniform, 3 smoking, 4 phone call, 5 bare shoulders), ``AnimalAlarmType`` (0
        cat, 1 dog, 2 mouse) or ``ObjectAlarmType`` (0 uncovered dumpster).
        ``targetPos`` is in target-picture pixels, ``targetPosInScene`` in ``scenePic``
        pixels.
        """
        if target_type not in _KITCHEN_ALARM_KEYS:
            raise ValueError("target_type must be 0 cook, 1 animal or 2 object (§13)")
        return self.push_analytics(
            "VisibleKitchenSnapPush",
            top_level=top_level,
            targetType=str(target_type),
            alarmType={_KITCHEN_ALARM_KEYS[target_type]: [int(a) for a in alarms]},
            pic=picture,
            targetPos=list(target_pos),
            scenePic=scene,
            targetPosInScene=list(target_pos_in_scene),
        )

    def push_parabolic(
        self,
        *,
        duration: float = 4.0,
        picture: bytes | None = DEFAULT_SCENE_JPEG,
    ) -> bool:
        """§14 ``ParabolicSnapPush``: an object thrown from height.

        ``snapTime`` is now, ``startTime``/``endTime`` are ``duration`` s apart around
        it; ``pic`` is the only picture.
        """
        now = self._now()
        half = dt.timedelta(seconds=duration / 2)
        return self._push_event(
            "ParabolicSnapPush",
            snapTime=now.strftime("%Y-%m-%d %H:%M:%S"),
            startTime=(now - half).strftime("%Y-%m-%d %H:%M:%S"),
            endTime=(now + half).strftime("%Y-%m-%d %H:%M:%S"),
            pic=picture,
        )

    def push_thermal(
        self,
        temperature: float = 65.5,
        *,
        spark_alarm: int = 0,
        unit: int | None = 0,
        alarm_type: int = 1,
        area_id: int = 0,
        message_type: int = 0,
        temperature_rise: int = 0,
        duration: int = 30,
        rise_duration: int = 5,
        message: Sequence[Mapping[str, Any]] | None = None,
        picture: bytes | None = DEFAULT_SCENE_JPEG,
        thermal_picture: bytes | None = DEFAULT_THERMAL_JPEG,
    ) -> bool:
        """§15/§28 ``TemHighSnapPush``: a hazardous high temperature or electric spark.

        ``sparkAlarm`` 0 no, 1 yes, 2 spark only (then no ``message`` array).
        ``tempeunit`` (§28 only; ``unit=None`` leaves it out) 0 °C, 1 °F.
        ``message`` is one area built from the arguments unless given: ``areaId``,
        ``messageType`` (0 temperature monitoring, 1 person left the open-flame
        area), ``alarmType`` (0 early warning, 1 alarm), ``temRise`` (0/1),
        ``durationTime`` and ``temRiseDuration`` (s), ``temperature`` (float, in
        ``tempeunit``). An area temperature, never a body temperature. ``pic`` is the
        visible picture, ``tempic`` the thermal one.
        """
        areas: list[dict[str, Any]] | None = None
        if spark_alarm != 2:
            areas = (
                [dict(area) for area in message]
                if message is not None
                else [
                    {
                        "areaId": area_id,
                        "messageType": message_type,
                        "alarmType": alarm_type,
                        "temRise": temperature_rise,
                        "durationTime": duration,
                        "temRiseDuration": rise_duration,
                        "temperature": float(temperature),
                    }
                ]
            )
        return self._push_event(
            "TemHighSnapPush",
            sparkAlarm=spark_alarm,
            tempeunit=unit,
            message=areas,
            pic=picture,
            tempic=thermal_picture,
        )

    def push_structured(
        self,
        object_type: int = 2,
        *,
        carplate: str | None = "YB888H9",
        target_pos_in_scene: Sequence[int] = (628, 353, 1400, 906),
        picture: bytes | None = DEFAULT_TARGET_JPEG,
        scene: bytes | None = DEFAULT_SCENE_JPEG,
    ) -> bool:
        """§16 ``FullStrSnapPush`` (person/vehicle structuring).

        ``objectType`` 0 face, 1 human body, 2 motor vehicle, 3 non-motor vehicle;
        ``objectAttr.carplate`` only for a motor vehicle. ``scene`` is optional.
        """
        attributes = {"carplate": carplate} if object_type == 2 and carplate is not None else None
        return self._push_event(
            "FullStrSnapPush",
            objectType=object_type,
            objectAttr=attributes,
            targetPosInScene=list(target_pos_in_scene),
            pic=picture,
            scene=scene,
        )

    def push_behavior(
        self,
        behaviour_type: int = 0,
        direction: int = 0,
        *,
        object_type: int = 0,
        picture: bytes | None = DEFAULT_TARGET_JPEG,
        scene: bytes | None = DEFAULT_SCENE_JPEG,
    ) -> bool:
        """§17.2 ``BehaviorSnapPush``; return whether it was sent.

        ``behaviourType`` 0 tripwire, 1 area intrusion; ``behaviourDirection`` 0 left
        to right, 1 right to left, 2 enter area, 3 leave area; ``objectType`` 0
        human, 1 vehicle. Sent only when ``BehaviorUploadType`` is 255 or matches
        (1 tripwire, 2 area).
        """
        return self._push_event(
            "BehaviorSnapPush",
            objectType=object_type,
            behaviourType=behaviour_type,
            behaviourDirection=direction,
            pic=picture,
            scene=scene,
        )

    def push_leave(self, *, picture: bytes | None = DEFAULT_SCENE_JPEG) -> bool:
        """§17.3 ``LeaveSnapPush``: ``time`` is when the person left the post; ``pic``.

        Sent only with ``BehaviorUploadType`` 3 or 255.
        """
        return self._push_event("LeaveSnapPush", pic=picture)

    def push_helmet(
        self,
        helmet: int = 1,
        reflective_vest: int = 1,
        *,
        picture: bytes | None = DEFAULT_TARGET_JPEG,
        scene: bytes | None = DEFAULT_SCENE_JPEG,
    ) -> int | None:
        """§18 ``ClothHelmetSnapPush``; returns its ``SnapOrRecordID`` (``PushAckType`` 3).

        ``helmet`` and ``reflectiveVest``: 0 wearing, 1 not wearing, 2 not sure.
        Which of ``pic``/``scene`` is sent is a camera setting (L3564); both by default.
        """
        return self.push_analytics(
            "ClothHelmetSnapPush",
            helmet=helmet,
            reflectiveVest=reflective_vest,
            pic=picture,
            scene=scene,
        )

    def push_fire_smoke(
        self,
        fire: int = 1,
        smoke: int = 0,
        *,
        picture: bytes | None = DEFAULT_SCENE_JPEG,
        scene: bytes | None = None,
    ) -> int | None:
        """§19 ``FireSmokeSnapPush``; returns its ``SnapOrRecordID`` (an int in the example).

        ``fire`` and ``smoke``: 0 none, 1 present, 2 not sure.
        """
        return self.push_analytics(
            "FireSmokeSnapPush", fire=fire, smoke=smoke, pic=picture, scene=scene
        )

    def push_head_count(
        self,
        realtime: int = 3,
        *,
        average: int = 2,
        maximum: int = 5,
        minimum: int | None = 0,
    ) -> bool:
        """§24 ``CountInRegionPush``: the head count of a region (no picture).

        ``realtimeCount`` (people now), ``averageCount`` and ``maxCount`` over the
        cycle, all ints. ``minCount`` is in the example but not the table (``None``
        leaves it out).
        """
        return self._push_event(
            "CountInRegionPush",
            realtimeCount=realtime,
            averageCount=average,
            maxCount=maximum,
            minCount=minimum,
        )

    def push_vehicle(
        self,
        carplate: str = "浙 B00QS9",
        *,
        direction: int = 1,
        color: int = 6,
        car_class: int = 2,
        special: int = 0,
        spare_tire: int = 0,
        viewpoint: int = 0,
        plate_color: int = 2,
        plate_type: int = 2,
        plate_flag: int = 1,
        picture: bytes | None = DEFAULT_TARGET_JPEG,
    ) -> bool:
        """§25 ``CatAttrSnapPush`` (vehicle attributes; "Cat" sic).

        ``objectType`` 1 vehicle, ``behaviorType`` 0 wire intrusion, ``behaviorDirection`` 0 left to
        right / 1 right to left, and the §6.1 enums ``carColor``, ``carClass``,
        ``carSpecial``, ``carBackup``, ``carViewpoint``, ``carplateColor``,
        ``carplateType``, ``carplateFlag``; ``carplate`` text. Defaults are the example's.
        """
        return self._push_event(
            "CatAttrSnapPush",
            objectType=1,
            behaviorType=0,
            behaviorDirection=direction,
            carColor=color,
            carClass=car_class,
            carSpecial=special,
            carBackup=spare_tire,
            carViewpoint=viewpoint,
            carplateColor=plate_color,
            carplateType=plate_type,
            carplateFlag=plate_flag,
            carplate=carplate,
            pic=picture,
        )

    def push_safety_ride(
        self, helmet: int = 0, plate: str = "5000J", *, picture: bytes | None = DEFAULT_TARGET_JPEG
    ) -> bool:
        """§26 ``SafetyRidePush``: an e-bike rider with or without a helmet.

        ``helmet`` 0 no, 1 yes (the opposite sense to §18), ``plate`` the e-bike
        plate. Sent only with ``BehaviorUploadType`` 4 or 255.
        """
        return self._push_event("SafetyRidePush", helmet=helmet, plate=plate, pic=picture)

    def push_ebike(
        self,
        *,
        picture: bytes | None = DEFAULT_TARGET_JPEG,
        scene: bytes | None = DEFAULT_SCENE_JPEG,
    ) -> int | None:
        """§27 ``ElectricalBicycleSnapPush``; returns its ``SnapOrRecordID`` (``PushAckType`` 3).

        ``time`` has a ``T`` and ``SnapOrRecordID`` is a string, as in the example.
        """
        return self.push_analytics("ElectricalBicycleSnapPush", pic=picture, scene=scene)

    # ------------------------------------------------------------- acks

    @property
    def _replay_name_key(self) -> str:
        """§5 e.g.2 spells the name of a manually pushed record ``persionName``."""
        return "persionName" if self.doc_quirks else "personName"

    def _success_fields(self, operator: str, info: dict[str, Any]) -> str | int | None:
        """Complete a successful camera ack as its document example does.

        ``result`` "ok", except ``SearchPersonList-Ack`` whose examples have none; a
        top-level ``code`` only where the example has one (``_SUCCESS_CODES``), in the
        example's type. Failures keep the terminal's form, the §29 code as a string
        in ``code`` and its text in ``detail``: no camera example shows a failure, so
        this is a guess (digest §8.6).
        """
        if operator not in _RESULTLESS:
            info["result"] = "ok"
        if operator == "EditPerson":
            info.setdefault("detail", "")  # as the §4.8 example
        return _SUCCESS_CODES.get(operator)

    # ------------------------------------------------------------- commands

    def _unknown_operator(self, operator: str, command: dict[str, Any]) -> None:
        """Say nothing, as a device ignores what it does not parse; note it for tests.

        The document defines no answer to an unknown operator. Operators the camera
        document defines but this simulator does not implement go to
        ``unhandled_commands``; anything else, notably the terminal's ``Unlock`` and
        ``GetDoorconfig``/``UpDoorconfig`` (the camera has no door, digest §4.24), is a
        protocol violation of the platform.
        """
        with self._lock:
            if operator in _DOCUMENTED_UNSIMULATED:
                self._unhandled.append(operator)
                return
            if operator in ("Unlock", "GetDoorconfig", "UpDoorconfig"):
                text = f"{operator}: the camera protocol has no door (digest §4.24); no answer"
            else:
                text = f"{operator}: not an operator of the camera protocol; no answer"
            self._protocol_violations.append(text)
        _LOGGER.info("camera %s: ignoring operator %r", self.device_id, operator)

    def _accept_push_ack(self, ack_type: int, item_id: int, info: Mapping[str, Any]) -> None:
        """§8 ``PushAck``: stop re-sending the record it names, if it names it right. Lock held.

        ``PushAckType`` 1 acknowledges a ``StrSnapPush`` ``SnapID``, 2 a ``RecPush``
        ``RecordID`` and 3 the ``SnapOrRecordID`` of a generic analytics record; both
        may be ints or strings, and ``snapOrRecordID`` (L1314) is read too. The §8
        prose says type 1 for recognition records, which is wrong (the table says 2):
        an ack whose type does not match the record is no ack, the record keeps
        coming, and a protocol violation is recorded.
        """
        if (ack_type, item_id) in self._issued:
            super()._accept_push_ack(ack_type, item_id, info)
        else:
            self._protocol_violations.append(self._wrong_ack_text(ack_type, item_id))

    def _wrong_ack_text(self, ack_type: int, item_id: int) -> str:
        """Describe a ``PushAck`` that names no record of its type. Lock held."""
        for other in _ACK_KINDS:
            issued = self._issued.get((other, item_id))
            if issued is not None:
                return (
                    f"PushAck: PushAckType {ack_type} with SnapOrRecordID {item_id}, which is "
                    f"a {issued} needing PushAckType {other} (§8): not acknowledged"
                )
        return (
            f"PushAck: PushAckType {ack_type} with SnapOrRecordID {item_id}: no such "
            f"{_ACK_KINDS[ack_type]}"
        )

    def _cmd_get_sys_time(self, command: dict[str, Any]) -> None:
        """§10.3.2: ``SysTime`` as "YYYY-MM-DD hh:mm:ss" (colons, as the example)."""
        self._ack(command, {"SysTime": self._now_text()})

    sound_config = LockedCopy("_sound", dict, "The §10.2 sound fields.")

    @handles("GetSoundconfig")
    def _cmd_get_sound_config(self, command: dict[str, Any]) -> None:
        """§10.2.2: ``VerifySuccAudio`` and ``Volume``, as strings like the example."""
        self._ack(command, {key: str(value) for key, value in self.sound_config.items()})

    @handles("UpSoundconfig")
    def _cmd_up_sound_config(self, command: dict[str, Any]) -> None:
        """§10.2.3: set ``VerifySuccAudio`` (0~1) or ``Volume`` (0~100), numbers or strings.

        A value out of range, or not a number, is refused with 462 "Parameter error" (§29.10,
        whose only code is for a missing ``info``: the simulator's choice).
        """

        def body(info: dict[str, Any]) -> None:
            updates: dict[str, int] = {}
            for key, high in (("VerifySuccAudio", 1), ("Volume", 100)):
                if key in info:
                    value = as_int(info[key])
                    if value is None or not 0 <= value <= high:
                        raise CommandError(462, "Parameter error")
                    updates[key] = value
            with self._lock:
                self._sound.update(updates)

        self._run(command, body)

    @handles("GetDeviceInformation")
    def _cmd_get_device_information(self, command: dict[str, Any]) -> None:
        """§10.7: ``DeviceType`` "0" (IPC) and ``DeviceSubType`` "0", as strings.

        With ``doc_quirks`` the answer copies the example (L1843): operator
        ``GetDeviceInformation`` without ``-Ack`` and no ``facesluiceId``.
        """
        extra = {"DeviceType": "0", "DeviceSubType": "0"}
        if self.doc_quirks:
            self._ack(command, extra, operator="GetDeviceInformation", device_key=None)
        else:
            self._ack(command, extra)

    def _cmd_get_mqtt_config(self, command: dict[str, Any]) -> None:
        """§10.1.2: every reporting field as a string except ``BehaviorUploadType`` (int)."""
        with self._lock:
            config = dict(self._mqtt_config)
            fields: dict[str, Any] = {
                "StrangerUploadType": str(config["StrangerUploadType"]),
                "RecordUploadType": str(config["RecordUploadType"]),
                "BehaviorUploadType": config["BehaviorUploadType"],
                "KeepAliveInterval": str(config["KeepAliveInterval"]),
                "OnlineTopic": self._online_topic,
                "HeartbeatTopic": self._heartbeat_topic,
                "ResumefromBreakpoint": str(config["ResumefromBreakpoint"]),
                "BeginTime": self._begin_time,
            }
        self._ack(command, fields)

    def _cmd_up_mqtt_config(self, command: dict[str, Any]) -> None:
        """§10.1.3: set any reporting field; 462 "Parameter error" for a value out of range.

        ``KeepAliveInterval`` (20~300 s) becomes both the heartbeat and the
        ``Online`` repeat interval. New topics apply to the next ``Online``/``HeartBeat``
        (the Will keeps the topic it was registered with until a reconnection).
        Turning ``ResumefromBreakpoint`` off forgets the records awaiting ``PushAck``.
        """

        def body(info: dict[str, Any]) -> None:
            updated: dict[str, int] = {}
            for key, allowed in _MQTT_CONFIG_RANGES.items():
                if key in info:
                    value = as_int(info[key])
                    if value is None or value not in allowed:
                        raise CommandError(462, "Parameter error")
                    updated[key] = value
            topics: dict[str, str] = {}
            for key in ("OnlineTopic", "HeartbeatTopic"):
                if key in info:
                    value = info[key]
                    if not isinstance(value, str) or not value.strip() or " " in value:
                        raise CommandError(462, "Parameter error")
                    topics[key] = value
            begin = info.get("BeginTime")
            if begin not in (None, "") and parse_time(begin) is None:
                raise CommandError(462, "Parameter error")
            with self._lock:
                self._mqtt_config.update(updated)
                self._online_topic = topics.get("OnlineTopic", self._online_topic)
                self._heartbeat_topic = topics.get("HeartbeatTopic", self._heartbeat_topic)
                if isinstance(begin, str) and begin:
                    self._begin_time = begin
                if "KeepAliveInterval" in updated:
                    self._set_keep_alive(float(updated["KeepAliveInterval"]))
                if not self._mqtt_config["ResumefromBreakpoint"]:
                    self._pending.clear()

        self._run(command, body)

    def configure_uploads(self, **fields: int) -> None:
        """Set §10.1 reporting fields directly, as on the camera's web page.

        A ``KeepAliveInterval`` (20~300 s) changes the heartbeat and ``Online`` repeat
        interval as ``UpMQTTconfig`` does.
        """
        super().configure_uploads(**fields)
        if "KeepAliveInterval" in fields:
            with self._lock:
                self._set_keep_alive(float(fields["KeepAliveInterval"]))

    def _set_keep_alive(self, interval: float) -> None:
        """Apply a new heartbeat interval to heartbeats and ``Online`` repeats. Lock held."""
        self.heartbeat_interval = interval
        self.online_repeat_interval = interval
        now = time.monotonic()
        if self._next_heartbeat is not None:
            self._next_heartbeat = now + interval
        if self._next_online is not None:
            self._next_online = min(self._next_online, now + interval)
        self._wake.notify_all()

    def _cmd_get_scene_snap(self, command: dict[str, Any]) -> None:
        """§11: a JPEG scene at ``ImgQuality`` (55~100, default 55) in ``info.ImgData``.

        ``ImgData`` carries the example's lying label ``data:image/bmp;base64,`` over
        JPEG data (L3098), and ``ImgType`` comes back as the string "2". Only
        ``ImgType`` 2 (JPEG) is defined; 0 and 1 are "obligate" and get 462. Another
        device's ``facesluiceId`` (top level or in ``info``) gets 463; a camera built
        with ``scene_snap_supported=False`` answers 11000 "Shoot one picture fail".
        """

        def body(info: dict[str, Any]) -> dict[str, Any]:
            if self._target_mismatch(command):
                raise CommandError(463, "Unknow facesluiceId")
            img_type = as_int(info.get("ImgType", 2))
            if img_type != 2:
                raise CommandError(462, "Parameter error")
            if not self.scene_snap_supported:
                raise CommandError(11000, "Shoot one picture fail")
            quality = as_int(info.get("ImgQuality", 55)) or 55
            picture = make_scene(fmt="jpeg", quality=min(max(quality, 55), 100))
            with self._lock:
                self._scene_snaps += 1
            return {"ImgType": "2", "ImgData": to_data_uri(picture, "bmp")}

        self._run(command, body)

    # -------------------------------------------------------------- persons

    def _person_defaults(self) -> dict[str, Any]:
        """Return the camera's own §4.1 person fields at their defaults."""
        return {
            "telnum1": "",
            "address": "",
            "tempValid": 0,
            "validBegin": "",
            "validEnd": "",
            "effectNumber": PERMANENT_EFFECT_NUMBER,
            "createTime": self._now_text(),
        }

    def _check_person_fields(self, operator: str, info: Mapping[str, Any]) -> None:
        """Record terminal-only (card) fields and §4.1 range breaches, then ignore them.

        Lock held.
        """
        for key in sorted(_TERMINAL_PERSON_FIELDS.intersection(info)):
            self._protocol_violations.append(
                f"{operator}: {key} is a face-terminal field, not in the camera protocol (§4.1)"
            )
        effect = info.get("effectNumber")
        if effect is not None:
            number = as_int(effect)
            if number is None or not (
                1 <= number <= MAX_EFFECT_NUMBER or number == PERMANENT_EFFECT_NUMBER
            ):
                self._protocol_violations.append(
                    f"{operator}: effectNumber {effect!r} outside 1~10000 or 0xffff (§4.1)"
                )
        temp_valid = info.get("tempValid")
        if temp_valid is not None and as_int(temp_valid) not in (0, 1):
            self._protocol_violations.append(f"{operator}: tempValid {temp_valid!r} not 0/1 (§4.1)")

    def _apply_person_fields(
        self,
        person: dict[str, Any],
        info: Mapping[str, Any],
        checked: Mapping[str, Any] | None = None,
    ) -> None:
        """Copy the camera's §4.1 person fields from ``info`` into ``person``."""
        self._copy_person_fields(
            person, info, _PERSON_NUMBERS, _PERSON_TEXTS, example_spellings=False
        )

    def _check_person(self, info: Mapping[str, Any], custom_id: str, name: str) -> dict[str, Any]:
        """Check an ``EditPerson`` (§4.1) before anything changes. Lock held.

        The camera's fields: ``customId`` (≤47 bytes), ``name`` (≤31), ``personType``
        0 allow / 1 block (462 otherwise), optional ``gender``, ``idCard``,
        ``birthday``, ``telnum1``, ``address``, ``pic`` (Base64 ≤1 MB) or ``picURI``
        (stored, never downloaded), ``tempValid``, ``validBegin``, ``validEnd``,
        ``effectNumber``. The terminal's checks run before this one: 461 no
        ``customId``, 462 no ``name``, 463/460/464 bad picture, 472 no picture for a
        new person, and pacing (1 s after the previous ``EditPerson`` with ``pic``, 2 s
        with ``picURI``, into ``pacing_violations``). Over-long text, card fields and
        both ``pic`` and ``picURI`` are accepted but recorded in
        ``protocol_violations``.
        """
        if "personType" in info and as_int(info["personType"]) not in (0, 1):
            raise CommandError(462, "Parameter error")
        if info.get("pic") and info.get("picURI"):
            self._protocol_violations.append(
                "EditPerson: both pic and picURI sent (§4.1: only choose one)"
            )
        self._check_limits("EditPerson", info, custom_id, name)
        self._check_person_fields("EditPerson", info)
        return {}

    def _batch_persons(self, command: Mapping[str, Any], *, no_info: str) -> list[Any]:
        """Validate an §4.2/§4.3 batch envelope; return its ``info`` array.

        Codes: 412 ``DataBegin``, 413 ``DataEnd``, 414 ``info`` not an array, 415 no
        ``PersonNum``, 416 ``PersonNum`` outside 1~1000, 417 count mismatch, 418
        ``no_info`` when ``info`` is missing.
        """
        self._check_batch_flags(command)
        if "info" not in command:
            raise CommandError(418, no_info)
        persons = command["info"]
        if not isinstance(persons, list):
            raise CommandError(414, "Parameter error")
        if self._batch_person_num(command, MAX_BATCH_PERSONS) != len(persons):
            raise CommandError(417, "json of person's data is not equal PersonNum")
        return persons

    @handles("AddPersons")
    def _cmd_add_persons(self, command: dict[str, Any]) -> None:
        """§4.2 ``AddPersons``: up to 1000 new persons with URL pictures (``picURI``).

        Per-person ``errcode`` (§29.6, strings): 461 ``customId`` exists or is
        missing, 463 no ``picURI``. The URLs are stored, not downloaded. The batch is
        processed at once, so the device is never "busy" (410).
        """
        self._add_persons(command, adding=True)

    @handles("EditPersonsNew")
    def _cmd_edit_persons_new(self, command: dict[str, Any]) -> None:
        """§4.3 ``EditPersonsNew``: upsert up to 1000 persons; ``picURI`` only when it changes.

        Per-person ``errcode`` (§29.8): 461 no ``customId``, 481 a new person without
        ``picURI``.
        """
        self._add_persons(command, adding=False)

    def _add_persons(self, command: dict[str, Any], *, adding: bool) -> None:
        """Apply an ``AddPersons``/``EditPersonsNew`` batch and answer with its counts.

        Base64 ``pic`` is not accepted in a batch ("URI pictures only", L364): it is
        recorded as a protocol violation and treated as absent. The batch runs as the
        family's do (``_run_person_batch``: 410 while it runs, pictures downloaded with
        ``download_pictures``, their §29.8 errcodes 464-468).
        """
        operator = str(command["operator"])
        no_info = "can not find info" if adding else "can not find data"

        def add(entry: Any, fetched: bytes | str | None) -> tuple[bool, dict[str, str]]:
            custom_id = entry.get("customId") if isinstance(entry, dict) else None
            if not isinstance(custom_id, str) or not custom_id.strip():
                return False, {"customId": str(custom_id or ""), "errcode": "461"}
            if entry.get("pic"):
                self._protocol_violations.append(
                    f"{operator}: base64 pic for {custom_id}; batches take picURI only (§4.2)"
                )
            existing = self._persons.get(custom_id)
            pic_uri = entry.get("picURI")
            if adding and existing is not None:
                return False, {"customId": custom_id, "errcode": "461"}
            if existing is None and not pic_uri:
                return False, {"customId": custom_id, "errcode": "463" if adding else "481"}
            if isinstance(fetched, str):
                return False, {"customId": custom_id, "errcode": fetched}
            name = entry.get("name")
            name = name if isinstance(name, str) else (existing or {}).get("name", "")
            self._check_limits(operator, entry, custom_id, name)
            self._check_person_fields(operator, entry)
            person = dict(existing) if existing is not None else self._new_person(custom_id)
            person["name"] = name
            self._apply_person_fields(person, entry)
            if pic_uri:
                person["picURI"], person["picture"] = str(pic_uri), fetched
            self._persons[custom_id] = person
            return True, {"customId": custom_id}

        self._run_person_batch(command, partial(self._batch_persons, no_info=no_info), add)

    def _query_person_fields(self, total: int, ids: list[str]) -> dict[str, Any]:
        """Build the §4.4.1 answer, its counts as strings.

        ``totalPersonNum`` counts every person, ``queryPersonNum`` those with a
        ``customId``; ``customId`` joins those IDs with commas.
        """
        return {
            "totalPersonNum": str(total),
            "queryPersonNum": str(len(ids)),
            "customId": ",".join(ids),
        }

    def _search_person_fields(self, person: Mapping[str, Any]) -> dict[str, Any]:
        """§4.4.2 one person, numbers as strings, ``creatTime`` (sic).

        ``Picture`` 1 adds ``pic``, at the top level of the answer as in the example
        (L674), not inside ``info`` (``search_pic_in_info``).
        """
        return {
            "personId": person["personId"],
            "customId": person["customId"],
            "name": person["name"],
            "gender": str(person["gender"]),
            "idCard": person["idCard"],
            "birthday": person["birthday"] or UNSET_BIRTHDAY,
            "address": person["address"],
            "creatTime": person["createTime"],
            "telnum1": person["telnum1"],
            "personType": str(person["personType"]),
        }

    def _list_entry(self, person: Mapping[str, Any]) -> dict[str, Any]:
        """Build a §4.4.3 ``List`` item.

        ``LibID``, ``personType`` and ``gender`` are ints and an empty ``idCard`` or
        ``address`` is " ", as in the example. The §4.4.3 answer itself has the
        family's filters and paging, ``code`` the number 200 (``_success_fields``),
        ``TotalPersonNum``/``PersonNum`` as ints and no ``result``, like both examples.
        """
        return {
            "LibID": int(person["personId"]),
            "personType": person["personType"],
            "name": person["name"],
            "gender": person["gender"],
            "idCard": person["idCard"] or " ",
            "birthday": person["birthday"],
            "telnum1": person["telnum1"],
            "address": person["address"] or " ",
            "customId": person["customId"],
        }

    # ---------------------------------------------------------- manual push

    @handles("ManualPushRecords")
    def _cmd_manual_push_records(self, command: dict[str, Any]) -> None:
        """§20 re-push the recognition records of ``TimeS``..``TimeE`` with ``PushType`` 2.

        Answers ``RecordNum`` (int) first, then publishes the records (``persionName``,
        ``Sendintime`` 0, no scene, zero ``targetPosInScene``), which need no
        ``PushAck``. With ``doc_quirks`` the answer is named ``ManualPushSnaps-Ack``
        as in the example (L3650). Errors (§29.13): 462, 463 another device, 464/465
        bad ``TimeS``/``TimeE``, 467 ``RecordUploadType`` 0, 466 no record.
        """
        quirk = "ManualPushSnaps-Ack" if self.doc_quirks else None
        self._manual_push(command, records=True, ack_operator=quirk)

    @handles("ManualPushSnaps")
    def _cmd_manual_push_snaps(self, command: dict[str, Any]) -> None:
        """§21 re-push the stranger snapshots of ``TimeS``..``TimeE`` (§29.14 errors)."""
        self._manual_push(command, records=False)

    def _replay(self, info: Mapping[str, Any]) -> dict[str, Any]:
        """Shape a kept record as the §20/§21 examples re-push it (``_replay_info``)."""
        return _replay_info(info, name_key=self._replay_name_key)
