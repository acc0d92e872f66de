"""A simulated face-recognition terminal speaking the vendor's MQTT protocol.

Source: "MQTT protocol of face recognition all in one machine", V1.24
(``shared/seeds/face-terminal-mqtt-v1.24.txt``); section numbers (§) below are that
document's own. Where the document is silent, the simulator follows what captures of
real terminals show (field notes §3.2: numbers sent as strings, ``persionName``,
``Sendintime`` as an int) and says so in the docstring concerned.

The simulator is a client of a real MQTT broker. paho-mqtt runs the network in its
own thread, and a second thread (the "scheduler") sends the timed messages: Online
repeats, heartbeats and record re-sends. Neither depends on the caller's asyncio loop,
and every public method is synchronous and thread-safe.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import datetime as dt
import itertools
import json
import logging
import re
import threading
import time
from typing import Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from simulators.lifecycle import StartStop, wait_for

from .images import (
    decode_base64_picture,
    make_bmp,
    make_jpeg,
    make_scene,
    sniff_format,
    to_data_uri,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_FACE_JPEG: Final[bytes] = make_jpeg()
"""The default picture of ``push_record``: a small drawn face, JPEG."""
DEFAULT_STRANGER_BMP: Final[bytes] = make_bmp(variant=7)
"""The default picture of ``push_stranger``: BMP, as in both §6 examples (``Qk3m...``)."""

MAX_PICTURE_BYTES: Final = 1024 * 1024
"""§4.1: the ``pic`` of ``EditPerson`` is "no more than 1m" (error 460)."""
UNSET_TIME: Final = "0000-00-00 00:00:00"
"""§4.2.3: validity times of a person who has none."""
TEMPERATURE_HIGH: Final = 37.30
"""§9.5: default alarm threshold ``TemperatureHigh``."""

# §4.2.3: personType 0 white, 1 black; gender 0 male, 1 female; 2 means "all" in a search.
_ALL: Final = 2
# §5 otype flags: 0x100 passed with mask detection, 0x200 with temperature detection.
OTYPE_MASK: Final = 0x100
OTYPE_TEMPERATURE: Final = 0x200

# Operators the device itself publishes (§5, §6, §10, §14.3, §15, §21, §23): never commands.
_DEVICE_OPERATORS: Final = frozenset(
    {
        "RecPush",
        "StrSnapPush",
        "QRCodePush",
        "IDCardPush",
        "CardPush",
        "HeartBeat",
        "Online",
        "Offline",
    }
)
# §9.3 VerifyMode base values; flags 0x100/0x200 may be ORed on.
_VERIFY_MODE_BASES: Final = frozenset({1, 2, 3, 4, 5, 21, 22, 23, 24, 25, 26})
# §9.6 defaults, with QRCode on so that ``push_qr`` works out of the box.
_DEFAULT_MQTT_CONFIG: Final[dict[str, int]] = {
    "StrangerUploadType": 0,
    "RecordUploadType": 1,
    "Direction": 0,
    "QRCode": 1,
    "IDCard": 1,
    "Card": 1,
}
# §9.3.2 example values.
_DEFAULT_DOOR_CONFIG: Final[dict[str, int]] = {
    "OpendoorWay": 0,
    "FaceThreshold": 90,
    "IDCardThreshold": 50,
    "VerifyMode": 1,
    "VerifyResetTime": 2,
    "Wiegand": 0,
    "PublicMjCardNo": 2,
    "AutoMjCardBgnNo": 3,
    "AutoMjCardEndNo": 4,
    "ControlType": 1,
    "IOType": 1,
    "IOStayTime": 200,
    "Endian": 0,
    "CardMode": 0,
    "IsOutFF": 0,
    "SnapResetTime": 0,
}
_DOOR_RANGES: Final[dict[str, tuple[int, int]]] = {
    "OpendoorWay": (0, 3),
    "FaceThreshold": (50, 100),
    "IDCardThreshold": (50, 100),
    "VerifyResetTime": (1, 10),
    "Wiegand": (0, 7),
    "ControlType": (0, 2),
    "IOType": (0, 1),
    "Endian": (0, 1),
    "CardMode": (0, 1),
    "IsOutFF": (0, 1),
    "SnapResetTime": (0, 15),
}
_SYSTIME_RE: Final = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[T ]+(\d{1,2})[:\-](\d{1,2})[:\-](\d{1,2})\s*$"
)


class CommandError(Exception):
    """A command failed with one of the document's error codes (§ appendix, "code")."""

    def __init__(self, code: int, detail: str) -> None:
        """Store the numeric ``code`` and the ``detail`` text of the ack."""
        super().__init__(f"{code} {detail}")
        self.code = code
        self.detail = detail


@dataclass
class _Pending:
    """A record or snapshot waiting for its ``PushAck`` (§11)."""

    topic: str
    payload: bytes
    due: float


def _as_int(value: object) -> int | None:
    """Read an int sent as a number or a numeric string (§8 E9: both occur)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
    return None


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


class FaceTerminalSimulator(StartStop):
    """One face terminal ("all-in-one machine") on an MQTT broker.

    Observable state for tests (each a thread-safe snapshot): ``received``, ``persons``,
    ``acked_records``, ``acked_snaps``, ``resend_count``, ``unlock_count``, ``unlocks``,
    ``pacing_violations``, ``protocol_violations``, ``sys_time``, ``published``,
    ``online_count``, ``heartbeat_count``.

    Subclasses for sibling protocols (the network camera) change the class attributes
    below and override ``_handlers``, ``_unknown_operator``, ``_ack`` and the person
    hooks rather than copying the machinery.
    """

    device_operators: frozenset[str] = _DEVICE_OPERATORS
    """Operators the device publishes; seen on the command topic they are never answered."""
    mqtt_qos: int = 1
    """QoS of every publish and of the subscription (§1: QoS 1); lower commands are flagged."""
    person_length_limits: tuple[tuple[str, int], ...] = (
        ("idCard", 31),
        ("telnum1", 31),
        ("native", 31),
        ("address", 71),
    )
    """§4.1 byte limits (terminator excluded) of the optional person text fields."""
    restart_after_delete_all: bool = True
    """§4.5: the terminal restarts after ``DeleteAllPerson``."""

    def __init__(
        self,
        host: str,
        port: int,
        device_id: str = "1305433",
        *,
        name: str = "Face1",
        ip: str = "127.0.0.1",
        topic_prefix: str = "mqtt/face",
        heartbeat_interval: float = 30.0,
        online_repeat_interval: float = 60.0,
        resend_interval: float = 10.0,
        resume_from_breakpoint: bool = True,
        door_mode: int = 2,
        scene_snap_supported: bool = True,
        firmware: str = "v12.5.6L3M1-1.0.6.9 Beta",
        name_key: str = "persionName",
        string_numbers: bool = True,
        buildtime: str = "2019-12-02/10:46:05",
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        keepalive: int = 60,
        restart_delay: float = 0.5,
    ) -> None:
        """Configure the device; nothing connects until ``start()``.

        Timers default to the document's values: heartbeat 30 s (§15), ``Online``
        repeated about every 60 s (§10.1), re-send after about 10 s (§11). ``door_mode``
        is the initial §9.3 ``OpendoorWay``. ``name_key`` is the record's person-name
        key (``persionName`` on terminal firmware, ``personName`` on cameras).
        ``string_numbers`` sends numbers as strings like the real firmware.
        ``restart_delay`` is the pause between ``Offline`` and ``Online`` when the
        device "restarts" (§4.5, §9.7).
        """
        if not 0 <= door_mode <= 3:
            raise ValueError("door_mode must be 0..3 (§9.3 OpendoorWay)")
        self.host = host
        self.port = port
        self.device_id = str(device_id)
        self.name = name
        self.ip = ip
        self.topic_prefix = topic_prefix.rstrip("/")
        self.heartbeat_interval = heartbeat_interval
        self.online_repeat_interval = online_repeat_interval
        self.resend_interval = resend_interval
        self.scene_snap_supported = scene_snap_supported
        self.firmware = firmware
        self.buildtime = buildtime
        self.name_key = name_key
        self.string_numbers = string_numbers
        self.username = username
        self.restart_delay = restart_delay
        self.client_id = client_id or f"FaceTerminal-{self.device_id}"
        self.keepalive = keepalive
        # When True, ``GetSceneSnap-Ack`` carries ``data:image/jpeg;base64,`` before the
        # Base64: the document does not show the ack (§16, E40), so both are plausible.
        self.scene_snap_data_uri = False

        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._ready = threading.Event()
        self._online_acked = threading.Event()
        self._stopping = False
        self._started = False
        self._scheduler: threading.Thread | None = None

        self._door: dict[str, int] = dict(_DEFAULT_DOOR_CONFIG)
        self._door["OpendoorWay"] = door_mode
        self._mqtt_config: dict[str, int] = dict(_DEFAULT_MQTT_CONFIG)
        self._mqtt_config["ResumefromBreakpoint"] = int(resume_from_breakpoint)
        self._persons: dict[str, dict[str, Any]] = {}
        self._received: list[dict[str, Any]] = []
        self._published: list[tuple[str, dict[str, Any]]] = []
        self._invalid_payloads: list[bytes] = []
        self._pending: dict[tuple[int, int], _Pending] = {}
        self._acked_records: set[int] = set()
        self._acked_snaps: set[int] = set()
        self._resend_count = 0
        self._drop_acks = 0
        self._unlocks: list[dict[str, Any]] = []
        self._pacing_violations: list[dict[str, Any]] = []
        self._protocol_violations: list[str] = []
        self._last_edit_person: float | None = None
        self._sys_time: str | None = None
        self._clock_offset = dt.timedelta()
        self._online_count = 0
        self._offline_count = 0
        self._heartbeat_count = 0
        self._next_online: float | None = None
        self._next_heartbeat: float | None = None
        self._online_at: float | None = None
        self._record_ids = itertools.count(1)
        self._snap_ids = itertools.count(1)
        self._person_ids = itertools.count(1)

        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv311,
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        # §10.3: "The device offline notice has been changed to a will".
        self._client.will_set(
            self.basic_topic,
            self._encode(self._offline_message()),
            qos=self.mqtt_qos,
            retain=False,
        )
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    # ------------------------------------------------------------------ topics

    @property
    def command_topic(self) -> str:
        """§4: the device's "cloud topic" ``mqtt/face/<ID>``; every command arrives here."""
        return f"{self.topic_prefix}/{self.device_id}"

    @property
    def ack_topic(self) -> str:
        """§4: command results ``mqtt/face/<ID>/Ack`` (capitalised as real devices do)."""
        return f"{self.command_topic}/Ack"

    @property
    def basic_topic(self) -> str:
        """§10: shared ``mqtt/face/basic`` for ``Online`` and ``Offline``."""
        return f"{self.topic_prefix}/basic"

    @property
    def heartbeat_topic(self) -> str:
        """§15: shared ``mqtt/face/heartbeat``."""
        return f"{self.topic_prefix}/heartbeat"

    def push_topic(self, suffix: str) -> str:
        """§3.2.3, §21, §23: ``Rec``, ``Snap``, ``QRcode``, ``IDcard`` or ``card``."""
        return f"{self.command_topic}/{suffix}"

    # --------------------------------------------------------------- lifecycle

    def start(self, timeout: float = 10.0) -> None:
        """Connect, subscribe to the command topic and begin the §10.1 Online cycle.

        Blocks until subscribed; raises ``TimeoutError`` (after cleaning up) otherwise.
        """
        with self._lock:
            if self._started:
                raise RuntimeError("simulator already started")
            self._started = True
            self._stopping = False
        self._client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self._client.loop_start()
        self._scheduler = threading.Thread(
            target=self._run_scheduler, name=f"face-terminal-sim-{self.device_id}", daemon=True
        )
        self._scheduler.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(
                f"simulator {self.device_id} did not connect to {self.host}:{self.port}"
            )

    def stop(self, *, abrupt: bool = False) -> None:
        """Stop every thread; nothing is published once this returns.

        By default the device disconnects cleanly, so the broker does not publish the
        Will. ``abrupt=True`` drops the TCP connection instead, like a power cut, and
        the broker then publishes the ``Offline`` Will (§10.3).
        """
        with self._lock:
            if not self._started:
                return
            self._stopping = True
            self._wake.notify_all()
        scheduler = self._scheduler
        if scheduler is not None and scheduler is not threading.current_thread():
            scheduler.join()
        self._scheduler = None
        if abrupt:
            self._client.loop_stop()
            sock = self._client.socket()
            if sock is not None:
                sock.close()
        else:
            self._client.disconnect()
            self._client.loop_stop()
        # paho forgets its thread object just before the thread ends; join by name so no
        # thread outlives stop().
        thread_name = f"paho-mqtt-client-{self.client_id}"
        for thread in threading.enumerate():
            if thread.name == thread_name and thread is not threading.current_thread():
                thread.join()
        with self._lock:
            self._ready.clear()
            self._started = False

    # ------------------------------------------------------------ test helpers

    wait_for = staticmethod(wait_for)

    def wait_online_acked(self, timeout: float = 10.0) -> bool:
        """Wait until the current ``Online`` has been answered with ``Online-Ack`` (§10.2)."""
        return self._online_acked.wait(timeout)

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """Wait until the device is connected and subscribed to its command topic."""
        return self._ready.wait(timeout)

    def drop_push_acks(self, count: int = 1) -> None:
        """Ignore the next ``count`` ``PushAck`` commands, as if they were lost (§11)."""
        with self._lock:
            self._drop_acks += count

    def add_person(
        self, custom_id: str, name: str, *, picture: bytes | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Enrol a person directly, without MQTT (e.g. "added on the web page", §4.2.1)."""
        with self._lock:
            person = self._new_person(custom_id)
            person["name"] = name
            person["picture"] = (
                picture if picture is not None else make_jpeg(variant=len(self._persons))
            )
            person.update(fields)
            self._persons[custom_id] = person
            return dict(person)

    # ------------------------------------------------------- observable state

    @property
    def online_acked(self) -> bool:
        """True once the current ``Online`` has been acknowledged."""
        return self._online_acked.is_set()

    @property
    def connected(self) -> bool:
        """True while connected and subscribed."""
        return self._ready.is_set()

    @property
    def door_mode(self) -> int:
        """§9.3 ``OpendoorWay``: 0 face, 1 remote only, 2 face or remote, 3 remote decision."""
        with self._lock:
            return self._door["OpendoorWay"]

    @door_mode.setter
    def door_mode(self, value: int) -> None:
        if not 0 <= value <= 3:
            raise ValueError("door_mode must be 0..3")
        with self._lock:
            self._door["OpendoorWay"] = value

    @property
    def door_config(self) -> dict[str, int]:
        """All §9.3 door fields."""
        with self._lock:
            return dict(self._door)

    @property
    def mqtt_config(self) -> dict[str, int]:
        """All §9.6 reporting fields (``RecordUploadType``, ``ResumefromBreakpoint``, ...)."""
        with self._lock:
            return dict(self._mqtt_config)

    @property
    def resume_from_breakpoint(self) -> bool:
        """§9.6/§11 ``ResumefromBreakpoint``: records need a ``PushAck`` or are re-sent."""
        with self._lock:
            return bool(self._mqtt_config["ResumefromBreakpoint"])

    @resume_from_breakpoint.setter
    def resume_from_breakpoint(self, value: bool) -> None:
        with self._lock:
            self._mqtt_config["ResumefromBreakpoint"] = int(value)
            if not value:
                self._pending.clear()

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every command received on the command topic, parsed, in order."""
        with self._lock:
            return list(self._received)

    @property
    def invalid_payloads(self) -> list[bytes]:
        """Command-topic payloads that were not a JSON object."""
        with self._lock:
            return list(self._invalid_payloads)

    @property
    def published(self) -> list[tuple[str, dict[str, Any]]]:
        """Every message this device published: (topic, decoded JSON)."""
        with self._lock:
            return list(self._published)

    @property
    def persons(self) -> dict[str, dict[str, Any]]:
        """The person list by ``customId``; ``picture`` holds the enrolled image bytes."""
        with self._lock:
            return {key: dict(value) for key, value in self._persons.items()}

    @property
    def acked_records(self) -> set[int]:
        """``RecordID``s acknowledged with ``PushAck`` type 2 (§11.3)."""
        with self._lock:
            return set(self._acked_records)

    @property
    def acked_snaps(self) -> set[int]:
        """``SnapID``s acknowledged with ``PushAck`` type 1 (§11.1)."""
        with self._lock:
            return set(self._acked_snaps)

    @property
    def pending_pushes(self) -> set[tuple[int, int]]:
        """(PushAckType, ID) of records and snapshots still waiting for their ``PushAck``."""
        with self._lock:
            return set(self._pending)

    @property
    def resend_count(self) -> int:
        """How many times an unacknowledged record or snapshot was sent again (§11)."""
        with self._lock:
            return self._resend_count

    @property
    def unlocks(self) -> list[dict[str, Any]]:
        """Door openings caused remotely (``Unlock`` §8, or ``PushAck`` openDoor §9.3.5)."""
        with self._lock:
            return list(self._unlocks)

    @property
    def unlock_count(self) -> int:
        """Number of remote door openings."""
        with self._lock:
            return len(self._unlocks)

    @property
    def pacing_violations(self) -> list[dict[str, Any]]:
        """``EditPerson`` calls closer than §4.1 allows (1 s with ``pic``, 2 s with ``picURI``)."""
        with self._lock:
            return list(self._pacing_violations)

    @property
    def protocol_violations(self) -> list[str]:
        """Things the document forbids that a device silently tolerates (limits, retain, QoS)."""
        with self._lock:
            return list(self._protocol_violations)

    @property
    def sys_time(self) -> str | None:
        """The last ``SysTime`` set with ``SetSysTime`` (§9.8), verbatim."""
        with self._lock:
            return self._sys_time

    @property
    def online_count(self) -> int:
        """Number of ``Online`` notices published."""
        with self._lock:
            return self._online_count

    @property
    def heartbeat_count(self) -> int:
        """Number of ``HeartBeat`` messages published."""
        with self._lock:
            return self._heartbeat_count

    # ------------------------------------------------------------------ pushes

    def push_record(
        self,
        custom_id: str | None = None,
        *,
        verify_status: int = 1,
        temperature: float | None = None,
        temperature_alarm: int | None = None,
        no_mask: bool | None = None,
        mask_checked: bool = False,
        similarity: float = 93.5,
        picture: bytes | None = DEFAULT_FACE_JPEG,
        picture_label: str = "jpeg",
        push_type: int = 0,
        direction: str | None = None,
        otype_base: int = 1,
    ) -> int:
        """Publish a ``RecPush`` recognition record on ``<ID>/Rec`` (§5); return its ``RecordID``.

        Field set and types follow a captured terminal record (field notes §3.2):
        numbers as strings, ``Sendintime`` an int, the name under ``name_key``.
        ``otype`` is ``otype_base`` ORed with 0x100 when ``mask_checked`` and 0x200
        when a temperature is given (§5). ``temperatureAlarm`` defaults to "above
        37.30" (§9.5) when only ``temperature`` is given. ``picture=None`` sends no
        ``pic`` (``RecordUploadType`` 2).

        With ``ResumefromBreakpoint`` on, the record is sent again every
        ``resend_interval`` until a ``PushAck`` (type 2) arrives, unless
        ``push_type`` is 2 (a §20 replay, which needs no ack). Per §9.3.5 a device in
        door mode 1 does not push records, and with ``RecordUploadType`` 0 (§9.6)
        nothing is sent either; the ``RecordID`` is still allocated and returned.
        """
        with self._lock:
            record_id = next(self._record_ids)
            person = self._persons.get(custom_id) if custom_id is not None else None
            otype = otype_base
            if mask_checked:
                otype |= OTYPE_MASK
            if temperature is not None:
                otype |= OTYPE_TEMPERATURE
            info: dict[str, Any] = {
                "customId": custom_id if custom_id is not None else "",
                "personId": str(person["personId"]) if person else "0",
                "RecordID": self._num(record_id),
                "VerifyStatus": self._num(verify_status),
                "PersonType": self._num(person["personType"] if person else 0),
                "similarity1": f"{similarity:.6f}" if self.string_numbers else similarity,
                "similarity2": "0.000000" if self.string_numbers else 0.0,
                # Captured terminals send Sendintime as a real int even though every
                # other number is a string (field notes §3.3.1).
                "Sendintime": 0,
                "direction": direction if direction is not None else self._direction(),
                "otype": self._num(otype),
                self.name_key: person["name"] if person else "",
                "facesluiceId": self.device_id,
                "facesluiceName": self.name,
                "idCard": person["idCard"] if person else "",
                "telnum": person["telnum1"] if person else " ",
                "time": self._now_text(),
            }
            if temperature is not None:
                info["temperature"] = f"{temperature:.2f}" if self.string_numbers else temperature
                alarm = (
                    temperature_alarm
                    if temperature_alarm is not None
                    else int(temperature > TEMPERATURE_HIGH)
                )
                info["temperatureAlarm"] = self._num(alarm)
            elif temperature_alarm is not None:
                info["temperatureAlarm"] = self._num(temperature_alarm)
            if no_mask is not None:
                info["isNoMask"] = self._num(int(no_mask))
            info["PushType"] = self._num(push_type)
            info["cardNum2"] = self._num(person["cardNum2"] if person else 0)
            info["RFIDCard"] = person["RFIDCard"] if person and person["RFIDCard"] else "0"
            upload = self._mqtt_config["RecordUploadType"]
            if picture is not None and upload != 2:
                info["pic"] = to_data_uri(picture, picture_label)
            message = {"operator": "RecPush", "info": info}
            if self._door["OpendoorWay"] == 1 or upload == 0:
                _LOGGER.info("record %s not pushed (door mode 1 or RecordUploadType 0)", record_id)
                return record_id
            payload = self._encode(message)
            topic = self.push_topic("Rec")
            if push_type != 2:
                self._await_push_ack(2, record_id, topic, payload)
        self._publish(topic, payload)
        return record_id

    def push_stranger(
        self,
        *,
        temperature: float | None = None,
        temperature_alarm: int | None = None,
        picture: bytes | None = DEFAULT_STRANGER_BMP,
        picture_label: str = "jpeg",
        push_type: int = 0,
        direction: str | None = None,
    ) -> int:
        """Publish a ``StrSnapPush`` stranger snapshot on ``<ID>/Snap`` (§6); return its ``SnapID``.

        The default picture is BMP under a "jpeg" label, exactly like both of the
        document's stranger examples. Re-sent like records until ``PushAck`` type 1
        (§11.1). Not sent when ``StrangerUploadType`` is 1 (§9.6, "1 do not upload").
        """
        with self._lock:
            snap_id = next(self._snap_ids)
            info: dict[str, Any] = {
                "SnapID": self._num(snap_id),
                "facesluiceId": self.device_id,
                "facesluiceName": self.name,
                "direction": direction if direction is not None else self._direction(),
                "time": self._now_text(),
            }
            if temperature is not None:
                info["temperature"] = f"{temperature:.2f}" if self.string_numbers else temperature
                alarm = (
                    temperature_alarm
                    if temperature_alarm is not None
                    else int(temperature > TEMPERATURE_HIGH)
                )
                info["temperatureAlarm"] = self._num(alarm)
            info["PushType"] = self._num(push_type)
            if picture is not None:
                info["pic"] = to_data_uri(picture, picture_label)
            if self._mqtt_config["StrangerUploadType"] != 0:
                _LOGGER.info("snapshot %s not pushed (StrangerUploadType 1)", snap_id)
                return snap_id
            payload = self._encode({"operator": "StrSnapPush", "info": info})
            topic = self.push_topic("Snap")
            if push_type != 2:
                self._await_push_ack(1, snap_id, topic, payload)
        self._publish(topic, payload)
        return snap_id

    def _await_push_ack(self, ack_type: int, item_id: int, topic: str, payload: bytes) -> None:
        """§11: with ``ResumefromBreakpoint`` on, re-send ``payload`` until its ``PushAck``.

        The key is (``PushAckType``, ``SnapOrRecordID``). Lock held.
        """
        if self._mqtt_config["ResumefromBreakpoint"]:
            self._pending[(ack_type, item_id)] = _Pending(
                topic, payload, time.monotonic() + self.resend_interval
            )
            self._wake.notify_all()

    def push_qr(self, text: str) -> None:
        """Publish a ``QRCodePush`` scan on ``<ID>/QRcode`` (§14.3), if ``QRCode`` upload is on."""
        with self._lock:
            if not self._mqtt_config["QRCode"]:
                return
            message = {
                "operator": "QRCodePush",
                "info": {
                    "facesluiceId": self.device_id,
                    "facesluiceName": self.name,
                    "QRCodeInfo": text,
                    "time": self._now_text(),
                },
            }
        self._publish(self.push_topic("QRcode"), self._encode(message))

    def push_card(self, number: str, *, card_mode: int = 1, endian: int = 1) -> None:
        """Publish a ``CardPush`` swipe on ``<ID>/card`` (§23); ``CardInfo`` is an object (E47)."""
        with self._lock:
            if not self._mqtt_config["Card"]:
                return
            message = {
                "operator": "CardPush",
                "info": {
                    "facesluiceId": self.device_id,
                    "facesluiceName": self.name,
                    "time": self._now_text(),
                    "CardInfo": {
                        "CardMode": str(card_mode),
                        "Endian": str(endian),
                        "CardNum": number,
                    },
                },
            }
        self._publish(self.push_topic("card"), self._encode(message))

    def push_id_card(self) -> None:
        """Publish an ``IDCardPush`` on ``<ID>/IDcard`` (§21), nested ``IDCardInfo`` as in §21.1."""
        with self._lock:
            if not self._mqtt_config["IDCard"]:
                return
            message = {
                "operator": "IDCardPush",
                "info": {
                    "facesluiceId": self.device_id,
                    "facesluiceName": self.name,
                    "time": self._now_text(),
                    "IDCardInfo": {
                        "IDCard_Idno": "110101199001011234",
                        "IDCard_Name": "Test Person",
                        "IDCard_Gender": 0,
                        "IDCard_Nation": 1,
                        "IDCard_Birthday": "1990-01-01",
                        "IDCard_Address": "1 Example Road, Example City",
                        "IDCard_Idissue": "Example Public Security Bureau",
                        "IDCard_Idperiod": "20100101-20300101",
                        "IDCard_Photo": to_data_uri(make_jpeg(102, 126, variant=4)),
                    },
                },
            }
        self._publish(self.push_topic("IDcard"), self._encode(message))

    # ------------------------------------------------------- paho callbacks

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if reason_code.is_failure:
            _LOGGER.warning("simulator %s: connection refused: %s", self.device_id, reason_code)
            return
        # §3.2.2: the device subscribes to its "cloud topic".
        client.subscribe(self.command_topic, qos=self.mqtt_qos)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Any,
    ) -> None:
        with self._lock:
            if self._stopping:
                return
            self._ready.set()
            self._begin_online()
        _LOGGER.info("simulator %s connected to %s:%s", self.device_id, self.host, self.port)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        self._ready.clear()
        with self._lock:
            self._online_acked.clear()
            self._next_online = None
            self._next_heartbeat = None
        if not self._stopping:
            _LOGGER.warning(
                "simulator %s lost its connection (%s); paho reconnects",
                self.device_id,
                reason_code,
            )

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            command = json.loads(message.payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            command = None
        if not isinstance(command, dict):
            with self._lock:
                self._invalid_payloads.append(bytes(message.payload))
            _LOGGER.warning(
                "simulator %s: ignoring a payload that is not a JSON object", self.device_id
            )
            return
        operator = command.get("operator")
        if not isinstance(operator, str):
            with self._lock:
                self._invalid_payloads.append(bytes(message.payload))
            return
        # Our own messages never arrive here (we publish elsewhere), but a platform that
        # echoes acks or device pushes onto the command topic must not get answers.
        if operator in self.device_operators or (
            operator.endswith("-Ack") and operator != "Online-Ack"
        ):
            return
        with self._lock:
            self._received.append(command)
            if message.retain:
                self._protocol_violations.append(
                    f"{operator}: command received as a retained message"
                )
            if message.qos < self.mqtt_qos:
                self._protocol_violations.append(
                    f"{operator}: command published with QoS {message.qos}"
                    f" (§1: QoS {self.mqtt_qos})"
                )
            if "messageId" not in command:
                self._protocol_violations.append(f"{operator}: command without messageId")
        try:
            self._dispatch(operator, command)
        except Exception:
            _LOGGER.exception("simulator %s: failed to handle %s", self.device_id, operator)

    # ------------------------------------------------------------ scheduler

    def _begin_online(self) -> None:
        """§10.1: announce ``Online`` now and repeat it until ``Online-Ack``. Lock held."""
        now = time.monotonic()
        self._online_acked.clear()
        self._next_online = now
        self._next_heartbeat = now + self.heartbeat_interval
        self._wake.notify_all()

    def _run_scheduler(self) -> None:
        while True:
            outgoing: list[tuple[str, bytes]] = []
            with self._lock:
                if self._stopping:
                    return
                now = time.monotonic()
                connected = self._ready.is_set()
                if self._online_at is not None and now >= self._online_at:
                    self._online_at = None
                    self._begin_online()
                if connected and self._next_online is not None and now >= self._next_online:
                    outgoing.append((self.basic_topic, self._encode(self._online_message())))
                    self._online_count += 1
                    self._next_online = now + self.online_repeat_interval
                if connected and self._next_heartbeat is not None and now >= self._next_heartbeat:
                    heartbeat = {
                        "operator": "HeartBeat",
                        "info": {"facesluiceId": self.device_id, "time": self._now_text()},
                    }
                    outgoing.append((self.heartbeat_topic, self._encode(heartbeat)))
                    self._heartbeat_count += 1
                    self._next_heartbeat = now + self.heartbeat_interval
                for pending in self._pending.values():
                    if connected and now >= pending.due:
                        # §11: "push the same message in the next 10 seconds or so".
                        outgoing.append((pending.topic, pending.payload))
                        self._resend_count += 1
                        pending.due = now + self.resend_interval
                if not outgoing:
                    deadlines = [
                        t
                        for t in (self._next_online, self._next_heartbeat, self._online_at)
                        if t is not None
                    ]
                    deadlines.extend(p.due for p in self._pending.values())
                    timeout = min(deadlines) - now if deadlines else 1.0
                    if not connected:
                        # Overdue items wait for the reconnection; do not spin meanwhile.
                        timeout = max(timeout, 0.1)
                    self._wake.wait(min(max(timeout, 0.005), 1.0))
                    continue
            for topic, payload in outgoing:
                self._publish(topic, payload)

    # ----------------------------------------------------------- publishing

    def _publish(self, topic: str, payload: bytes) -> None:
        with self._lock:
            if self._stopping or not self._started:
                return
            try:
                self._published.append((topic, json.loads(payload)))
            except json.JSONDecodeError:
                self._published.append((topic, {}))
        # §1: "mqtt protocol v3.1.1, QoS: 1"; never retained (a retained record would be
        # replayed to every new subscriber).
        self._client.publish(topic, payload, qos=self.mqtt_qos, retain=False)

    @staticmethod
    def _encode(message: Mapping[str, Any]) -> bytes:
        return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _num(self, value: float) -> str | int | float:
        """Numbers as the firmware sends them: strings, unless ``string_numbers`` is off."""
        if self.string_numbers:
            return str(value)
        return value

    def _now(self) -> dt.datetime:
        return dt.datetime.now() + self._clock_offset

    def _now_text(self) -> str:
        """Device local time, ``YYYY-MM-DD HH:MM:SS`` (§5, §15), shifted by ``SetSysTime``."""
        return self._now().strftime("%Y-%m-%d %H:%M:%S")

    def _direction(self) -> str:
        """§5 ``direction`` as terminals spell it ("entr", "exit", "unknow"), per §9.6 Direction."""
        return {0: "entr", 1: "exit"}.get(self._mqtt_config["Direction"], "unknow")

    def _online_message(self) -> dict[str, Any]:
        """§10.1 device launch notification."""
        return {
            "operator": "Online",
            "info": {
                "facesluiceId": self.device_id,
                "username": self.username or "",
                "time": self._now_text(),
                "ip": self.ip,
                "facesname": self.name,
            },
        }

    def _offline_message(self) -> dict[str, Any]:
        """§10.3 offline notice (also the MQTT Will)."""
        return {"operator": "Offline", "info": {"facesluiceId": self.device_id}}

    def _ack(
        self,
        command: Mapping[str, Any],
        extra: Mapping[str, Any] | None = None,
        *,
        error: CommandError | None = None,
        top_level: Mapping[str, Any] | None = None,
        operator: str | None = None,
        device_key: str | None = "facesluiceId",
    ) -> None:
        """Answer ``<operator>-Ack`` on ``<ID>/Ack`` (§4 "confirmation message").

        The ack echoes ``messageId`` (any JSON type, E37), carries ``info.facesluiceId``,
        ``info.result`` "ok"/"fail", ``info.detail`` (the appendix error string on
        failure) and a top-level string ``code`` ("200" on success), as in the captured
        ``AddPersons-Ack`` of field notes §3.2. ``operator`` replaces the ack's operator
        name and ``device_key`` the name of the device-ID key (``None``: no device ID);
        ``_success_fields`` decides what a successful ack carries.
        """
        info: dict[str, Any] = {} if device_key is None else {device_key: self.device_id}
        if extra:
            info.update(extra)
        code: str | int | None
        if error is None:
            code = self._success_fields(str(command["operator"]), info)
        else:
            info["result"] = "fail"
            info["detail"] = error.detail
            code = str(error.code)
        message: dict[str, Any] = {
            "messageId": command.get("messageId", ""),
            "operator": operator if operator is not None else f"{command['operator']}-Ack",
        }
        if code is not None:
            message["code"] = code
        message["info"] = info
        if top_level:
            message.update(top_level)
        self._publish(self.ack_topic, self._encode(message))

    def _success_fields(self, operator: str, info: dict[str, Any]) -> str | int | None:
        """Complete the ``info`` of a successful ack; return its top-level ``code``.

        Every terminal ack carries ``result`` "ok", ``detail`` and ``code`` "200".
        """
        info["result"] = "ok"
        info.setdefault("detail", "")
        return "200"

    # ------------------------------------------------------------- commands

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        """Map each command operator the device understands to its handler."""
        return {
            "Online-Ack": self._cmd_online_ack,
            "PushAck": self._cmd_push_ack,
            "SetSysTime": self._cmd_set_sys_time,
            "GetSysTime": self._cmd_get_sys_time,
            "Versions": self._cmd_versions,
            "Unlock": self._cmd_unlock,
            "GetDoorconfig": self._cmd_get_door_config,
            "UpDoorconfig": self._cmd_up_door_config,
            "GetMQTTconfig": self._cmd_get_mqtt_config,
            "UpMQTTconfig": self._cmd_up_mqtt_config,
            "GetSceneSnap": self._cmd_get_scene_snap,
            "EditPerson": self._cmd_edit_person,
            "DelPerson": self._cmd_del_person,
            "DeletePersons": self._cmd_delete_persons,
            "DeleteAllPerson": self._cmd_delete_all_person,
            "SearchPersonList": self._cmd_search_person_list,
            "SearchPerson": self._cmd_search_person,
            "QueryPerson": self._cmd_query_person,
            "RebootDevice": self._cmd_reboot,
        }

    def _unknown_operator(self, operator: str, command: dict[str, Any]) -> None:
        """Answer an operator the device does not know."""
        _LOGGER.info("simulator %s: unsupported operator %r", self.device_id, operator)
        # The document has no code for an unknown operator; 400 is this simulator's.
        self._ack(command, error=CommandError(400, f"Unsupported operator {operator}"))

    def _dispatch(self, operator: str, command: dict[str, Any]) -> None:
        handler = self._handlers().get(operator)
        if handler is None:
            self._unknown_operator(operator, command)
            return
        _LOGGER.debug("simulator %s: %s %s", self.device_id, operator, command.get("messageId"))
        handler(command)

    @staticmethod
    def _info(command: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``info``, or fail with 462 "Parameter error" ("Failed to get keyword 'info'")."""
        info = command.get("info")
        if not isinstance(info, dict):
            raise CommandError(462, "Parameter error")
        return info

    def _run(
        self, command: dict[str, Any], body: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> None:
        """Run ``body(info)`` and ack its extra fields, or ack its ``CommandError``."""
        try:
            extra = body(self._info(command))
        except CommandError as err:
            self._ack(command, error=err)
            return
        self._ack(command, extra)

    def _cmd_online_ack(self, command: dict[str, Any]) -> None:
        """§10.2: stop repeating ``Online``. An ack whose ``result`` is not "ok" is ignored."""
        info = command.get("info")
        if isinstance(info, dict):
            result = info.get("result")
            if isinstance(result, str) and result.strip().lower() != "ok":
                return
            target = info.get("facesluiceId")
            if target is not None and str(target) != self.device_id:
                return
        with self._lock:
            self._next_online = None
            self._online_acked.set()

    def _cmd_push_ack(self, command: dict[str, Any]) -> None:
        """§11 ``PushAck``: type 1 acks ``SnapID``, type 2 acks ``RecordID`` (int or string).

        In door mode 3, ``openDoor`` 1 opens the door (§9.3.5). The device answers
        ``PushAck-Ack``, whose content the document leaves empty (§11.2, §11.4).
        """
        info = command.get("info")
        if not isinstance(info, dict):
            self._ack(command, error=CommandError(462, "Parameter error"))
            return
        ack_type = _as_int(info.get("PushAckType"))
        item_id = _as_int(info.get("SnapOrRecordID"))
        with self._lock:
            if self._drop_acks > 0:
                self._drop_acks -= 1
                _LOGGER.info(
                    "simulator %s: dropping PushAck %s/%s", self.device_id, ack_type, item_id
                )
                return
            if ack_type not in (1, 2) or item_id is None:
                error: CommandError | None = CommandError(462, "Parameter error")
            else:
                error = None
                self._pending.pop((ack_type, item_id), None)
                (self._acked_snaps if ack_type == 1 else self._acked_records).add(item_id)
                if (
                    ack_type == 2
                    and self._door["OpendoorWay"] == 3
                    and _as_int(info.get("openDoor")) == 1
                ):
                    self._unlocks.append(
                        {
                            "via": "PushAck",
                            "RecordID": item_id,
                            "showInfo": info.get("showInfo", info.get("Showinfo")),
                            "time": self._now_text(),
                        }
                    )
        self._ack(command, error=error)

    def _cmd_set_sys_time(self, command: dict[str, Any]) -> None:
        """§9.8.3: set the clock; ``SysTime`` parsed leniently ("2020-4-1T17:59:54", E33)."""

        def body(info: dict[str, Any]) -> None:
            value = info.get("SysTime")
            wanted = _parse_time(value)
            if wanted is None:
                raise CommandError(463, "Can't find SysTime")
            with self._lock:
                self._sys_time = value
                self._clock_offset = wanted - dt.datetime.now()

        self._run(command, body)

    def _cmd_get_sys_time(self, command: dict[str, Any]) -> None:
        """§9.8.2: report the clock, unpadded like the document's "2020-4-2T18:59:54"."""
        now = self._now()
        text = f"{now.year}-{now.month}-{now.day}T{now.hour:02d}:{now.minute:02d}:{now.second:02d}"
        self._ack(command, {"SysTime": text})

    def _cmd_versions(self, command: dict[str, Any]) -> None:
        """§7.3: software version ``name`` and ``buildtime``."""
        self._ack(command, {"name": self.firmware, "buildtime": self.buildtime})

    def _cmd_unlock(self, command: dict[str, Any]) -> None:
        """§8.1 remote door opening.

        In door mode 0 "calling the remote door opening command will be invalid"
        (§9.3.5): the device still acks "ok" but does not open. ``openDoor`` 0 means
        "don't open the door".
        """
        info = command.get("info")
        info = info if isinstance(info, dict) else {}
        extra: dict[str, Any] = {}
        if "uid" in info:
            extra["uid"] = info["uid"]
        open_door = _as_int(info.get("openDoor"))
        with self._lock:
            mode = self._door["OpendoorWay"]
            if mode != 0 and open_door != 0:
                self._unlocks.append(
                    {
                        "via": "Unlock",
                        "messageId": command.get("messageId"),
                        "uid": info.get("uid"),
                        "showInfo": info.get("showInfo", info.get("Showinfo")),
                        "time": self._now_text(),
                    }
                )
            elif mode == 0:
                _LOGGER.info("simulator %s: Unlock ignored in door mode 0", self.device_id)
            if _utf8_len(str(info.get("showInfo", info.get("Showinfo", "")))) > 63:
                self._protocol_violations.append("Unlock: showInfo longer than 63 bytes (§8.1)")
        self._ack(command, extra)

    def _cmd_get_door_config(self, command: dict[str, Any]) -> None:
        """§9.3.2: every door field, as strings like the example."""
        with self._lock:
            fields = {key: str(value) for key, value in self._door.items()}
        self._ack(command, fields)

    def _cmd_up_door_config(self, command: dict[str, Any]) -> None:
        """§9.3.3: change any door field; 463 "VerifyMode error" for a bad ``VerifyMode``."""

        def body(info: dict[str, Any]) -> None:
            updates: dict[str, int] = {}
            for key in _DEFAULT_DOOR_CONFIG:
                if key not in info:
                    continue
                value = _as_int(info[key])
                if key == "VerifyMode":
                    if value is None or value & 0xFF not in _VERIFY_MODE_BASES or value & ~0x3FF:
                        raise CommandError(463, "VerifyMode error")
                elif value is None:
                    raise CommandError(462, "Parameter error")
                elif key in _DOOR_RANGES:
                    low, high = _DOOR_RANGES[key]
                    if not low <= value <= high:
                        raise CommandError(462, "Parameter error")
                updates[key] = value
            with self._lock:
                self._door.update(updates)

        self._run(command, body)

    def _cmd_get_mqtt_config(self, command: dict[str, Any]) -> None:
        """§9.6: reporting parameters."""
        with self._lock:
            fields: dict[str, Any] = {key: str(value) for key, value in self._mqtt_config.items()}
        fields["BeginTime"] = ""
        self._ack(command, fields)

    def _cmd_up_mqtt_config(self, command: dict[str, Any]) -> None:
        """§9.6: set reporting parameters; 463 when resuming without any upload enabled."""

        def body(info: dict[str, Any]) -> None:
            with self._lock:
                updated = dict(self._mqtt_config)
                for key in updated:
                    if key in info:
                        value = _as_int(info[key])
                        if value is None:
                            raise CommandError(462, "Parameter error")
                        updated[key] = value
                if (
                    updated["ResumefromBreakpoint"]
                    and updated["StrangerUploadType"] != 0
                    and updated["RecordUploadType"] == 0
                ):
                    raise CommandError(463, "ResumefromBreakpoint need Topic Snap or Verify")
                self._mqtt_config = updated
                if not updated["ResumefromBreakpoint"]:
                    self._pending.clear()

        self._run(command, body)

    def _target_mismatch(self, command: Mapping[str, Any]) -> bool:
        """§16/§4.2.3: a ``facesluiceId`` (top level or in ``info``) naming another device."""
        info = command.get("info")
        targets = [command.get("facesluiceId")]
        if isinstance(info, dict):
            targets.append(info.get("facesluiceId"))
        return any(target not in (None, "") and str(target) != self.device_id for target in targets)

    def _cmd_get_scene_snap(self, command: dict[str, Any]) -> None:
        """§16 capture scene map: ``info.ImgData`` with the Base64 picture.

        The ack example is missing from the document (E40); this simulator puts
        ``ImgData`` in ``info`` without a ``data:`` prefix (see ``scene_snap_data_uri``).
        ``ImgType`` 2 gives JPEG at ``ImgQuality`` (55-100, default 55), 1 gives BMP;
        0 (YUV) is answered with 463 "GetSceneSnap error".
        """

        def body(info: dict[str, Any]) -> dict[str, Any]:
            if not self.scene_snap_supported:
                raise CommandError(464, "Version not support GetSceneSnap")
            if self._target_mismatch(command):
                raise CommandError(465, "Unknow facesluiceId")
            img_type = _as_int(info.get("ImgType", 2))
            quality = _as_int(info.get("ImgQuality", 55)) or 55
            quality = min(max(quality, 55), 100)
            if img_type == 2:
                data = make_scene(fmt="jpeg", quality=quality)
            elif img_type == 1:
                data = make_scene(fmt="bmp")
            else:
                raise CommandError(463, "GetSceneSnap error")
            encoded = (
                to_data_uri(data)
                if self.scene_snap_data_uri
                else base64.b64encode(data).decode("ascii")
            )
            return {"ImgData": encoded}

        self._run(command, body)

    # -------------------------------------------------------------- persons

    def _new_person(self, custom_id: str) -> dict[str, Any]:
        """Create a person with the §4.1 fields at their defaults. Lock held."""
        return {
            "customId": custom_id,
            "personId": str(next(self._person_ids)),
            "name": "",
            "personType": 0,
            "tempCardType": 0,
            "cardValidBegin": UNSET_TIME,
            "cardValidEnd": UNSET_TIME,
            "EffectNumber": 0,
            "nation": 1,
            "gender": 0,
            "idCard": "",
            "birthday": "",
            "telnum1": " ",
            "native": " ",
            "address": " ",
            "notes": " ",
            "cardType2": 0,
            "WiegandType": 1,
            "WGFacilityCode": 0,
            "cardNum2": 0,
            "CardMode": 0,
            "RFCardMode": 1,
            "RFIDCard": "",
            "cardType": 0,
            "createTime": self._now().strftime("%Y-%m-%dT%H:%M:%S"),
            "picture": None,
            "picURI": None,
        }

    @staticmethod
    def _field(info: Mapping[str, Any], name: str) -> Any:
        """Read a field by its table or its example spelling (E10: Name, Native, Pic)."""
        if name in info:
            return info[name]
        alternative = name[0].upper() + name[1:]
        return info.get(alternative)

    def _cmd_edit_person(self, command: dict[str, Any]) -> None:
        """§4.1 add or modify one person (upsert by ``customId``), with the §4.1 error codes.

        461 no ``customId``; 462 no ``info`` or no ``name``; 472 neither ``pic`` nor
        ``picURI`` when adding; 463 bad Base64; 460 picture over 1 MB; 464 not a
        JPEG/PNG/BMP picture ("Get pic Person Feature err"); 473/474/475/476 card
        checks. ``picURI`` is stored, never downloaded. Calls closer than 1 s (``pic``)
        or 2 s (``picURI``) are processed but recorded in ``pacing_violations``.
        """
        self._check_edit_pacing(command)

        def body(info: dict[str, Any]) -> dict[str, Any]:
            custom_id = info.get("customId")
            if not isinstance(custom_id, str) or not custom_id.strip():
                raise CommandError(461, "can't find customId")
            name = self._field(info, "name")
            if not isinstance(name, str) or not name:
                # The appendix has no code for a missing name; the table marks it required.
                raise CommandError(462, "Parameter error")
            picture = self._person_picture(info)
            pic_uri = info.get("picURI")
            with self._lock:
                existing = self._persons.get(custom_id)
                if existing is None and picture is None and not pic_uri:
                    raise CommandError(472, "get pic and get URI error")
                checked = self._check_person(info, custom_id, name)
                person = dict(existing) if existing is not None else self._new_person(custom_id)
                person["name"] = name
                self._apply_person_fields(person, info, checked)
                if picture is not None:
                    person["picture"] = picture
                    person["picURI"] = None
                elif pic_uri:
                    person["picURI"] = str(pic_uri)
                self._persons[custom_id] = person
                return {"personId": person["personId"], "customId": custom_id}

        self._run(command, body)

    def _check_person(self, info: Mapping[str, Any], custom_id: str, name: str) -> dict[str, Any]:
        """Check an ``EditPerson`` before anything changes; return its card fields.

        Records over-long text (§4.1) and raises the card errors 473-476. Lock held.
        """
        self._check_limits("EditPerson", info, custom_id, name)
        return self._card_fields(info, custom_id)

    def _apply_person_fields(
        self, person: dict[str, Any], info: Mapping[str, Any], checked: Mapping[str, Any]
    ) -> None:
        """Copy the §4.1 fields of ``info`` and the ``checked`` card fields into ``person``."""
        for key in (
            "personType",
            "tempCardType",
            "EffectNumber",
            "nation",
            "gender",
            "cardType",
            "CardMode",
            "RFCardMode",
        ):
            value = _as_int(info.get(key))
            if value is not None:
                person[key] = value
        for key in ("idCard", "birthday", "telnum1", "native", "address", "notes"):
            value = self._field(info, key)
            if isinstance(value, str):
                person[key] = value
        if person["tempCardType"] in (1, 2):
            for key in ("cardValidBegin", "cardValidEnd"):
                value = info.get(key)
                if isinstance(value, str) and value:
                    person[key] = value
        person.update(checked)

    def _check_edit_pacing(self, command: Mapping[str, Any]) -> None:
        """Record an ``EditPerson`` sent sooner than §4.1 allows after the previous one.

        The rule is 1 s after any ``EditPerson`` when this one carries ``pic`` and 2 s
        when it carries ``picURI``; the call is still processed.
        """
        info = command.get("info")
        now = time.monotonic()
        with self._lock:
            previous, self._last_edit_person = self._last_edit_person, now
        if isinstance(info, dict) and previous is not None:
            has_pic = self._field(info, "pic") not in (None, "")
            has_uri = info.get("picURI") not in (None, "")
            required = 2.0 if has_uri else 1.0 if has_pic else 0.0
            if required and now - previous < required:
                with self._lock:
                    self._pacing_violations.append(
                        {
                            "customId": info.get("customId"),
                            "messageId": command.get("messageId"),
                            "interval": now - previous,
                            "required": required,
                        }
                    )

    def _person_picture(self, info: Mapping[str, Any]) -> bytes | None:
        """Decode the §4.1 ``pic`` of a person, or ``None`` when there is none.

        Errors: 463 bad Base64, 460 over 1 MB, 464 not a JPEG/PNG/BMP picture.
        """
        pic_text = self._field(info, "pic")
        if not isinstance(pic_text, str) or not pic_text:
            return None
        try:
            picture = decode_base64_picture(pic_text)
        except ValueError as err:
            raise CommandError(463, "pic base64 data decode err") from err
        if len(picture) > MAX_PICTURE_BYTES:
            raise CommandError(460, "Data out of range")
        if sniff_format(picture) is None:
            raise CommandError(464, "Get pic Person Feature err, please change a pic")
        return picture

    def _card_fields(self, info: Mapping[str, Any], custom_id: str) -> dict[str, Any]:
        """§4.1 Wiegand and RF card fields, with errors 473-476. Lock held."""
        fields: dict[str, Any] = {}
        card_type2 = _as_int(info.get("cardType2"))
        if card_type2 is not None:
            fields["cardType2"] = card_type2
        wiegand_type = _as_int(info.get("WiegandType"))
        if wiegand_type is not None:
            fields["WiegandType"] = wiegand_type
        if card_type2 == 2:
            card_num = _as_int(info.get("cardNum2"))
            if card_num is None:
                raise CommandError(475, "Get cardNum2 error")
            if wiegand_type in (6, 7):
                facility = _as_int(info.get("WGFacilityCode", info.get("WGfacilityCode")))
                if facility is None:
                    raise CommandError(474, "Get WGFacilityCode error")
                fields["WGFacilityCode"] = facility
            for other in self._persons.values():
                if (
                    other["customId"] != custom_id
                    and other["cardType2"] == 2
                    and other["cardNum2"] == card_num
                ):
                    raise CommandError(476, "cardNum2 already exist")
            fields["cardNum2"] = card_num
        rfid = info.get("RFIDCard")
        if isinstance(rfid, (str, int)) and str(rfid).strip() not in ("", "0"):
            rfid_text = str(rfid).strip()
            for other in self._persons.values():
                if other["customId"] != custom_id and other["RFIDCard"] == rfid_text:
                    raise CommandError(473, "RFIDCard already exist")
            if len(rfid_text) > 10:
                self._protocol_violations.append(
                    "EditPerson: RFIDCard longer than 10 characters (§4.1)"
                )
            fields["RFIDCard"] = rfid_text
        return fields

    def _check_limits(
        self, operator: str, info: Mapping[str, Any], custom_id: str, name: str
    ) -> None:
        """Record breaches of the §4.1 length limits (not enforced). Lock held."""
        if _utf8_len(custom_id) > 47:
            self._protocol_violations.append(f"{operator}: customId longer than 47 bytes")
        if _utf8_len(name) > 31:
            self._protocol_violations.append(f"{operator}: name longer than 31 bytes")
        for key, limit in self.person_length_limits:
            value = self._field(info, key)
            if isinstance(value, str) and _utf8_len(value) > limit:
                self._protocol_violations.append(f"{operator}: {key} longer than {limit} bytes")

    def _cmd_del_person(self, command: dict[str, Any]) -> None:
        """§4.3 delete one person: 461 "can't find customId", 464 "can't find customId's person"."""

        def body(info: dict[str, Any]) -> dict[str, Any]:
            custom_id = info.get("customId")
            if not isinstance(custom_id, str) or not custom_id:
                raise CommandError(461, "can't find customId")
            with self._lock:
                person = self._persons.pop(custom_id, None)
            if person is None:
                raise CommandError(464, "can't find customId's person")
            return {"personId": person["personId"], "customId": custom_id}

        self._run(command, body)

    @staticmethod
    def _check_batch_flags(command: Mapping[str, Any]) -> None:
        """Check a batch's ``DataBegin``/``DataEnd`` markers: codes 412 and 413."""
        if command.get("DataBegin") != "BeginFlag":
            raise CommandError(412, "can not find DataBegin")
        if command.get("DataEnd") != "EndFlag":
            raise CommandError(413, "can not find DataEnd")

    @staticmethod
    def _batch_person_num(command: Mapping[str, Any], limit: int) -> int:
        """Return a batch's ``PersonNum``: 415 when missing, 416 outside 1..``limit``."""
        if "PersonNum" not in command:
            raise CommandError(415, "can not find PersonNum")
        person_num = _as_int(command.get("PersonNum"))
        if person_num is None or not 1 <= person_num <= limit:
            raise CommandError(416, "PersonNum out of range")
        return person_num

    @staticmethod
    def _delete_persons_ids(command: Mapping[str, Any]) -> list[Any]:
        """Validate a §4.9 ``DeletePersons`` envelope; return its ``customId`` list.

        Codes 412 ``DataBegin``, 413 ``DataEnd``, 414 ``info``, 415/416 ``PersonNum``,
        417 count mismatch, 418 ``customId``.
        """
        FaceTerminalSimulator._check_batch_flags(command)
        info = command.get("info")
        if not isinstance(info, dict):
            raise CommandError(414, "Parameter error")
        person_num = FaceTerminalSimulator._batch_person_num(command, 200)
        ids = info.get("customId")
        if not isinstance(ids, list):
            raise CommandError(418, "can not find customId")
        if len(ids) != person_num:
            raise CommandError(417, "json of person's data is not equal PersonNum")
        return ids

    def _cmd_delete_persons(self, command: dict[str, Any]) -> None:
        """§4.9 batch delete (1-200): ``DelErrNum``/``DelSucNum`` and their ``customId`` lists.

        Unknown IDs are listed as failures; the command itself still succeeds.
        """
        try:
            ids = self._delete_persons_ids(command)
        except CommandError as err:
            self._ack(command, error=err)
            return
        succeeded: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        with self._lock:
            for custom_id in ids:
                key = str(custom_id)
                if self._persons.pop(key, None) is not None:
                    succeeded.append({"customId": key})
                else:
                    failed.append({"customId": key})
        self._ack(
            command,
            {
                "DelErrNum": str(len(failed)),
                "DelSucNum": str(len(succeeded)),
                "DelErrInfo": failed,
                "DelSucInfo": succeeded,
            },
        )

    def _cmd_delete_all_person(self, command: dict[str, Any]) -> None:
        """§4.5 delete everyone, records included; on success the device restarts.

        ``deleteall`` 1 deletes, then the device publishes ``Offline``, waits
        ``restart_delay`` and starts the §10.1 Online cycle again. 0 is acked and does
        nothing; anything else is 463 "Parameter deleteall error".
        """
        delete = False

        def body(info: dict[str, Any]) -> None:
            nonlocal delete
            flag = _as_int(info.get("deleteall"))
            if flag not in (0, 1):
                raise CommandError(463, "Parameter deleteall error")
            if flag == 1:
                delete = True
                self._delete_all_persons()

        self._run(command, body)
        if delete and self.restart_after_delete_all:
            self._restart()

    def _delete_all_persons(self) -> None:
        """Empty the person list; "the control records will also be deleted" (§4.5)."""
        with self._lock:
            self._persons.clear()
            # No record is left to re-send.
            self._pending.clear()

    def _cmd_reboot(self, command: dict[str, Any]) -> None:
        """§9.7 ``RebootDevice``: ack, then ``Offline`` and a new Online cycle."""
        self._ack(command)
        self._restart()

    def _restart(self) -> None:
        """Simulate a restart without dropping the MQTT session: Offline, pause, Online."""
        with self._lock:
            self._offline_count += 1
            self._online_acked.clear()
            self._next_online = None
            self._next_heartbeat = None
            self._online_at = time.monotonic() + self.restart_delay
            self._wake.notify_all()
        self._publish(self.basic_topic, self._encode(self._offline_message()))

    def _list_entry(self, person: Mapping[str, Any]) -> dict[str, Any]:
        """Build a §4.2.3 ``List`` item."""
        return {
            "LibID": self._num(1),
            "personType": self._num(person["personType"]),
            "name": person["name"],
            "gender": self._num(person["gender"]),
            "nation": self._num(person["nation"]),
            "cardType": self._num(person["cardType"]),
            "idCard": person["idCard"],
            "birthday": person["birthday"],
            "telnum1": person["telnum1"],
            "native": person["native"],
            "address": person["address"],
            "notes": person["notes"],
            "cardType2": self._num(person["cardType2"]),
            "cardNum2": self._num(person["cardNum2"]),
            "RFIDCard": person["RFIDCard"] or "0",
            "tempCardType": self._num(person["tempCardType"]),
            "customId": person["customId"],
            "cardValidBegin": person["cardValidBegin"] or UNSET_TIME,
            "cardValidEnd": person["cardValidEnd"] or UNSET_TIME,
        }

    def _cmd_search_person_list(self, command: dict[str, Any]) -> None:
        """§4.2.3 paged person list (no pictures).

        Filters: ``personType`` and ``gender`` (2 = all), ``name`` (case-insensitive
        substring, the "fuzzy" search), or a ``BeginTime``/``EndTime`` range on the
        creation time when no name is given. ``BeginNO`` (default 0) and
        ``RequestCount`` (1-2000, default 100) page the result. 465 for another
        device's ``facesluiceId``; 466 "can not find person" when nothing matches.
        """

        def body(info: dict[str, Any]) -> dict[str, Any]:
            if self._target_mismatch(command):
                raise CommandError(465, "Unknow facesluiceId")
            person_type = _as_int(info.get("personType"))
            gender = _as_int(info.get("gender"))
            name = info.get("name")
            begin_time = _parse_time(info.get("BeginTime"))
            end_time = _parse_time(info.get("EndTime"))
            begin_no = max(_as_int(info.get("BeginNO")) or 0, 0)
            count = _as_int(info.get("RequestCount"))
            count = 100 if count is None else min(max(count, 1), 2000)
            with self._lock:
                matches = []
                for person in sorted(self._persons.values(), key=lambda p: int(p["personId"])):
                    if person_type not in (None, _ALL) and person["personType"] != person_type:
                        continue
                    if gender not in (None, _ALL) and person["gender"] != gender:
                        continue
                    if isinstance(name, str) and name.strip():
                        if name.strip().lower() not in person["name"].lower():
                            continue
                    elif begin_time is not None and end_time is not None:
                        created = _parse_time(person["createTime"])
                        if created is None or not begin_time <= created <= end_time:
                            continue
                    matches.append(person)
                if not matches:
                    raise CommandError(466, "can not find person")
                page = [self._list_entry(person) for person in matches[begin_no : begin_no + count]]
            return {
                "TotalPersonNum": self._num(len(matches)),
                "PersonNum": self._num(len(page)),
                "List": page,
            }

        self._run(command, body)

    def _cmd_search_person(self, command: dict[str, Any]) -> None:
        """§4.2.2 one person; ``Picture`` 1 adds ``pic``.

        The example puts ``pic`` outside ``info`` while the table puts it inside (E17),
        so the simulator sends it in both places. 463 without ``customId``, 464 unknown.
        """
        picture_text: list[str] = []

        def body(info: dict[str, Any]) -> dict[str, Any]:
            custom_id = info.get("customId")
            if not isinstance(custom_id, str) or not custom_id:
                raise CommandError(463, "Parameter customId error")
            with self._lock:
                person = self._persons.get(custom_id)
                if person is None:
                    raise CommandError(464, "can't find customId's person")
                person = dict(person)
            extra: dict[str, Any] = {
                "personId": person["personId"],
                "customId": custom_id,
                "Name": person["name"],
                "gender": self._num(person["gender"]),
                "idCard": person["idCard"],
                "address": person["address"],
                "createTime": person["createTime"],
                "telnum1": person["telnum1"],
                "personType": self._num(person["personType"]),
                "cardNum2": self._num(person["cardNum2"]),
            }
            if _as_int(info.get("Picture")) == 1 and person["picture"] is not None:
                # Registration pictures come back under a "jpeg" label whatever they are
                # (the §4.2.2 example is BMP: "Qk225Q...").
                picture_text.append(to_data_uri(person["picture"]))
                extra["pic"] = picture_text[0]
            return extra

        try:
            extra = body(self._info(command))
        except CommandError as err:
            self._ack(command, error=err)
            return
        self._ack(command, extra, top_level={"pic": picture_text[0]} if picture_text else None)

    def _cmd_query_person(self, command: dict[str, Any]) -> None:
        """§4.2.1 all ``customId``s. The separator was lost in translation; a comma is used."""
        with self._lock:
            ids = [key for key in self._persons if key.strip()]
            total = len(self._persons)
        self._ack(command, self._query_person_fields(total, ids))

    def _query_person_fields(self, total: int, ids: list[str]) -> dict[str, Any]:
        """Build the §4.2.1 answer from the person count and the non-empty ``customId``s."""
        return {
            "TotalPersonNum": self._num(total),
            "QueryPersonNum": self._num(len(ids)),
            "Customid": ",".join(ids),
        }


def _parse_time(value: object) -> dt.datetime | None:
    """Parse "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD HH:MM:SS" (zero padding optional)."""
    if not isinstance(value, str):
        return None
    match = _SYSTIME_RE.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
