"""What every HFSecurity device on MQTT does alike: the face terminal and the network camera.

Sources: "MQTT protocol of face recognition all in one machine" V1.24
(``shared/seeds/face-terminal-mqtt-v1.24.txt``) and "MQTT protocol of intelligent network
camera" V1.25 (``shared/seeds/network-camera-mqtt-v1.25.txt``). Both devices speak one
protocol family: the same envelope (``operator``, ``messageId``, ``info``), topics
(``<prefix>/<ID>`` for commands, ``<ID>/Ack`` for answers, ``basic`` for
``Online``/``Offline``, ``heartbeat``), ``Online``/``Online-Ack``, heartbeats, records
re-sent until their ``PushAck``, and most person commands. Section numbers (§) here are
the face-terminal document's; a subclass documents where its own document differs.

The device is a client of a real MQTT broker. paho-mqtt runs the network in its own
thread, and a second thread (the "scheduler") sends the timed messages: Online repeats,
heartbeats and record re-sends. Neither depends on the caller's asyncio loop, and every
public method is synchronous and thread-safe.
"""

from __future__ import annotations

from abc import abstractmethod
import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import datetime as dt
import io
import itertools
import json
import logging
import re
import threading
import time
from typing import Any, ClassVar, Final

import aiohttp
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode
from PIL import Image
import yarl

from simulators.base import LockedCopy, Simulator, itself, rows, utf8_len
from simulators.images import decode_base64_picture, make_jpeg, sniff_format, to_data_uri

_LOGGER = logging.getLogger(__name__)

MAX_PICTURE_BYTES: Final = 1024 * 1024
"""§4.1: the ``pic`` of ``EditPerson`` is "no more than 1m" (error 460)."""
MIN_URI_PICTURE_BYTES: Final = 1000
"""§4.1 error 468: a downloaded ``picURI`` image under 1000 bytes is "too short"."""
MAX_URI_PICTURE_PIXELS: Final = 1920 * 1080
"""§4.1 error 469: a ``picURI`` image is limited to 1080p."""
BATCH_DOWNLOAD_TIMEOUT: Final = 10.0
"""Seconds the device gives one ``picURI`` download before errcode 465."""
PERSON_WRITES: Final = frozenset(
    {"EditPerson", "DelPerson", "DeletePersons", "DeleteAllPerson"}
    | {"AddPersons", "EditPersons", "EditPersonsNew"}
)
"""§4.6-§4.10: while a batch runs, these are refused with 410 "<batch> is busy"."""
BATCH_STATUS: Final = {"AddPersons": 1, "EditPersons": 2, "EditPersonsNew": 3}
"""§4.8 ``QueryProgress`` ``Status`` of each running batch (0: idle)."""

# Operators the devices themselves publish (terminal §5, §6, §10, §14.3, §15, §21, §23):
# never commands, whichever of the family's devices sees one.
DEVICE_OPERATORS: Final = frozenset(
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
FACE_PUSHES: Final = {2: ("RecPush", "Rec"), 1: ("StrSnapPush", "Snap")}
"""``PushAckType`` of a recognition record (2) or stranger snapshot (1) → its operator and
topic suffix (terminal §5, §6, §11)."""
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


@dataclass(frozen=True)
class Model:
    """A device model out of the box: what its constructor arguments default to.

    ``name`` may contain ``{device_id}``. ``online_repeat_interval`` ``None`` repeats
    ``Online`` at the heartbeat interval. ``client_prefix`` starts the MQTT client ID.
    """

    device_id: str
    name: str
    heartbeat_interval: float
    online_repeat_interval: float | None
    firmware: str
    buildtime: str
    client_prefix: str


@dataclass
class _Pending:
    """A record or snapshot waiting for its ``PushAck`` (§11)."""

    topic: str
    payload: bytes
    due: float


def as_int(value: object) -> int | None:
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


def parse_time(value: object) -> dt.datetime | None:
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


def handles[F: Callable[..., None]](operator: str) -> Callable[[F], F]:
    """Mark a method of an ``HFSecurityMqttDevice`` as its handler of the command ``operator``.

    An override of a marked method handles the command too, unmarked.
    """

    def mark(method: F) -> F:
        method.handles = operator  # type: ignore[attr-defined]
        return method

    return mark


class HFSecurityMqttDevice(Simulator):
    """One HFSecurity device on an MQTT broker; a subclass is one device model.

    Observable state for tests (each a thread-safe snapshot): ``received``, ``persons``,
    ``acked_records``, ``acked_snaps``, ``pending_pushes``, ``resend_count``,
    ``pacing_violations``, ``protocol_violations``, ``sys_time``, ``published``,
    ``invalid_payloads``, ``online_count``, ``heartbeat_count``, ``mqtt_config``,
    ``history``, ``replayed``.

    Driving it from a test: ``push_record``/``push_stranger`` (``at=`` backdates one),
    ``configure_uploads`` (the §9.6 switches), ``refuse_next`` (an error code for the next
    command of an operator), ``drop_push_acks``, ``replay_copies`` (how often a manual
    re-push sends each record: the documents warn of duplicates, §20/§22).

    A subclass sets ``model``, ``kind`` and the class attributes below where its device
    differs, builds its records (``push_record``, ``push_stranger``), its person schema
    (``_person_defaults``, ``_check_person``, ``_apply_person_fields``, ``_list_entry``,
    ``_search_person_fields``, ``_query_person_fields``), and the commands whose answers
    differ (their handlers, marked with ``handles``).
    """

    model: ClassVar[Model]
    """The constructor's defaults."""
    device_operators: ClassVar[frozenset[str]] = DEVICE_OPERATORS
    """Operators the device publishes; seen on the command topic they are never answered."""
    mqtt_qos: ClassVar[int] = 1
    """QoS of every publish and of the subscription; lower commands are flagged."""
    person_length_limits: ClassVar[tuple[tuple[str, int], ...]] = (
        ("idCard", 31),
        ("telnum1", 31),
        ("native", 31),
        ("address", 71),
    )
    """§4.1 byte limits (terminator excluded) of the optional person text fields."""
    restart_after_delete_all: ClassVar[bool] = True
    """§4.5: the terminal restarts after ``DeleteAllPerson``."""
    push_ack_types: ClassVar[frozenset[int]] = frozenset({1, 2})
    """§11 ``PushAckType``s: 1 acknowledges a ``SnapID``, 2 a ``RecordID``."""
    push_ack_id_keys: ClassVar[tuple[str, ...]] = ("SnapOrRecordID",)
    """The keys a ``PushAck`` may name its record under, the first present wins."""
    push_ack_echo: ClassVar[bool] = False
    """``PushAck-Ack`` repeats ``PushAckType`` and ``SnapOrRecordID`` (§11.2: it is empty)."""
    push_ack_device_key: ClassVar[str] = "facesluiceId"
    """The key of the device ID in ``PushAck-Ack``."""
    query_progress: ClassVar[bool] = True
    """§4.8: the device answers ``QueryProgress`` (the camera's document has no such command)."""
    search_pic_in_info: ClassVar[bool] = True
    """§4.2.2: ``SearchPerson-Ack`` carries ``pic`` in ``info`` as well as at the top."""
    string_numbers: bool = True
    """Numbers go out as strings, like the real firmware (``_num``)."""
    _handlers: ClassVar[dict[str, str]] = {}
    """The name of the handler method of each command operator (see ``handles``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Collect the command handlers that the class and its bases mark with ``handles``."""
        super().__init_subclass__(**kwargs)
        cls._handlers = {
            operator: name
            for klass in reversed(cls.__mro__)
            for name, member in vars(klass).items()
            if (operator := getattr(member, "handles", None)) is not None
        }

    def __init__(
        self,
        host: str,
        port: int,
        device_id: str | None = None,
        *,
        name: str | None = None,
        ip: str = "127.0.0.1",
        topic_prefix: str = "mqtt/face",
        heartbeat_interval: float | None = None,
        online_repeat_interval: float | None = None,
        resend_interval: float = 10.0,
        resume_from_breakpoint: bool = True,
        scene_snap_supported: bool = True,
        firmware: str | None = None,
        buildtime: str | None = None,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        keepalive: int = 60,
        restart_delay: float = 0.5,
    ) -> None:
        """Configure the device; nothing connects until ``start()``.

        ``None`` stands for the ``model``'s default. ``Online`` is repeated every
        ``online_repeat_interval`` until ``Online-Ack``, a heartbeat goes out every
        ``heartbeat_interval``, and a record without its ``PushAck`` is sent again
        every ``resend_interval`` (with ``ResumefromBreakpoint`` on, the default here
        so that tests exercise ``PushAck``). ``restart_delay`` is the pause between
        ``Offline`` and ``Online`` when the device "restarts" (§4.5, §9.7).
        """
        model = self.model
        self.host = host
        self.port = port
        self.device_id = str(device_id if device_id is not None else model.device_id)
        self.name = name if name is not None else model.name.format(device_id=self.device_id)
        self.ip = ip
        self.topic_prefix = topic_prefix.rstrip("/")
        self.heartbeat_interval = (
            heartbeat_interval if heartbeat_interval is not None else model.heartbeat_interval
        )
        self.online_repeat_interval = (
            online_repeat_interval
            if online_repeat_interval is not None
            else model.online_repeat_interval or self.heartbeat_interval
        )
        self.resend_interval = resend_interval
        self.scene_snap_supported = scene_snap_supported
        self.firmware = firmware if firmware is not None else model.firmware
        self.buildtime = buildtime if buildtime is not None else model.buildtime
        self.username = username
        self.restart_delay = restart_delay
        self.client_id = client_id or f"{model.client_prefix}-{self.device_id}"
        self.keepalive = keepalive

        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._ready = threading.Event()
        self._online_acked = threading.Event()
        self._stopping = False
        self._started = False
        self._scheduler: threading.Thread | None = None

        # The topics ``UpMQTTconfig`` may move (camera §10.1); the Will keeps its own.
        self._online_topic = f"{self.topic_prefix}/basic"
        self._heartbeat_topic = f"{self.topic_prefix}/heartbeat"
        self._mqtt_config = self._initial_mqtt_config()
        self._mqtt_config["ResumefromBreakpoint"] = int(resume_from_breakpoint)
        self._persons: dict[str, dict[str, Any]] = {}
        self._received: list[dict[str, Any]] = []
        self._published: list[tuple[str, dict[str, Any]]] = []
        self._invalid_payloads: list[bytes] = []
        self._pending: dict[tuple[int, int], _Pending] = {}
        self._acked: dict[int, set[int]] = {ack_type: set() for ack_type in self.push_ack_types}
        self._resend_count = 0
        self._drop_acks = 0
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
        # Every recognition record (PushAckType 2) and stranger snapshot (1) the device made,
        # uploaded or not, with its device-local time: what §20/§22 re-push from.
        self._history: dict[int, list[tuple[dt.datetime, dict[str, Any]]]] = {2: [], 1: []}
        self._replayed = 0
        self.replay_copies = 1
        """How many times a manual re-push (§20/§22) sends each record; 2 or more sends the
        duplicates the documents warn of ("may be saved multiple times", L3486)."""
        self._refusals: dict[str, list[CommandError]] = {}
        self.download_pictures = False
        """Whether a batch's ``picURI`` pictures are downloaded (over HTTP, 127.0.0.1 only) and
        checked, as the real device does; off, the URLs are stored unread."""
        self.batch_person_seconds = 0.005
        """Seconds a batch spends on each person besides its download (feature extraction)."""
        self._batch_operator: str | None = None
        self._batch_thread: threading.Thread | None = None
        self._batch_progress_queries = 0
        self._lost_acks: list[str] = []

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

    @abstractmethod
    def _initial_mqtt_config(self) -> dict[str, int]:
        """Return the reporting fields (``GetMQTTconfig``) at start-up.

        ``ResumefromBreakpoint`` is then set from the constructor's argument.
        """

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
        """§10: ``mqtt/face/basic`` (shared by all devices) for ``Online`` and ``Offline``."""
        return self._online_topic

    @property
    def heartbeat_topic(self) -> str:
        """§15: ``mqtt/face/heartbeat``, shared by all devices."""
        return self._heartbeat_topic

    def push_topic(self, suffix: str) -> str:
        """§3.2.3, §21, §23: ``Rec``, ``Snap``, ``QRcode``, ``IDcard`` or ``card``."""
        return f"{self.command_topic}/{suffix}"

    # --------------------------------------------------------------- lifecycle

    def start(self, timeout: float | None = None) -> None:
        """Connect, subscribe to the command topic and begin the §10.1 Online cycle.

        Blocks until subscribed (10 s unless ``timeout`` says otherwise); raises
        ``TimeoutError`` (after cleaning up) otherwise.
        """
        with self._lock:
            if self._started:
                raise RuntimeError("simulator already started")
            self._started = True
            self._stopping = False
        self._client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self._client.loop_start()
        self._scheduler = threading.Thread(
            target=self._run_scheduler, name=f"{self.kind}-sim-{self.device_id}", daemon=True
        )
        self._scheduler.start()
        if not self._ready.wait(10.0 if timeout is None else timeout):
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
            worker, self._batch_thread = self._batch_thread, None
        if worker is not None and worker is not threading.current_thread():
            worker.join()  # it stops downloading once it sees ``_stopping``
        with self._lock:
            self._ready.clear()
            self._started = False

    @property
    def link(self) -> str:
        """The broker and the command topic, for log lines."""
        return f"online on {self.host}:{self.port}; commands on {self.command_topic}"

    # ------------------------------------------------------------ test helpers

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

    def lose_next_ack(self, operator: str) -> None:
        """Do the next ``operator`` command but lose its ``-Ack`` on the way to the platform."""
        with self._lock:
            self._lost_acks.append(operator)

    def refuse_next(
        self, operator: str, code: int = 462, detail: str = "Parameter error", *, count: int = 1
    ) -> None:
        """Answer the next ``count`` ``operator`` commands with error ``code`` and ``detail``.

        The answer is the family's failure ack (``result`` "fail", ``detail``, top-level
        ``code``); the command changes nothing.
        """
        with self._lock:
            self._refusals.setdefault(operator, []).extend(
                CommandError(code, detail) for _ in range(count)
            )

    def configure_uploads(self, **fields: int) -> None:
        """Set §9.6 reporting fields directly, as on the device's own page.

        ``configure_uploads(RecordUploadType=0, StrangerUploadType=1)`` turns records and
        strangers off; the keys are those of ``mqtt_config``. Turning
        ``ResumefromBreakpoint`` off forgets the records awaiting ``PushAck``.
        """
        with self._lock:
            unknown = set(fields) - set(self._mqtt_config)
            if unknown:
                raise ValueError(f"no such reporting field: {', '.join(sorted(unknown))}")
            self._mqtt_config.update({key: int(value) for key, value in fields.items()})
            if not self._mqtt_config["ResumefromBreakpoint"]:
                self._pending.clear()

    def add_person(
        self, person_id: str, name: str, *, picture: bytes | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Enrol a person (``customId`` ``person_id``) directly, without MQTT.

        As if "added on the web page" (§4.2.1); ``fields`` set the person's other fields.
        """
        with self._lock:
            person = self._new_person(person_id)
            person["name"] = name
            person["picture"] = (
                picture if picture is not None else make_jpeg(variant=len(self._persons))
            )
            person.update(fields)
            self._persons[person_id] = person
            return dict(person)

    # ------------------------------------------------------- observable state

    @property
    def online_acked(self) -> bool:
        """True once the current ``Online`` has been acknowledged."""
        return self._online_acked.is_set()

    @property
    def answered(self) -> bool:
        """True once the platform answered the current ``Online`` (``Online-Ack``)."""
        return self.online_acked

    @property
    def connected(self) -> bool:
        """True while connected and subscribed."""
        return self._ready.is_set()

    @property
    def announcements(self) -> int:
        """Number of ``Online`` notices published (``online_count``)."""
        return self.online_count

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

    mqtt_config = LockedCopy(
        "_mqtt_config",
        dict,
        "All reporting fields (``RecordUploadType``, ``ResumefromBreakpoint``...).",
    )
    received = LockedCopy(
        "_received", list, "Every command received on the command topic, parsed, in order."
    )
    invalid_payloads = LockedCopy(
        "_invalid_payloads", list, "Command-topic payloads that were not a JSON object."
    )
    published = LockedCopy(
        "_published", list, "Every message this device published: (topic, decoded JSON)."
    )
    persons = LockedCopy(
        "_persons", rows, "The person list by ``customId``; ``picture`` holds the image bytes."
    )
    pending_pushes = LockedCopy(
        "_pending", set, "(PushAckType, ID) of the records still waiting for their ``PushAck``."
    )
    resend_count = LockedCopy(
        "_resend_count", itself, "How many times a record without ``PushAck`` was sent again."
    )
    pacing_violations = LockedCopy(
        "_pacing_violations",
        list,
        "``EditPerson`` calls closer than §4.1 allows (1 s with ``pic``, 2 s with ``picURI``).",
    )
    protocol_violations = LockedCopy(
        "_protocol_violations",
        list,
        "Things the document forbids that a device silently tolerates (limits, retain, QoS).",
    )
    sys_time = LockedCopy(
        "_sys_time", itself, "The last ``SysTime`` set with ``SetSysTime``, verbatim."
    )
    online_count = LockedCopy("_online_count", itself, "Number of ``Online`` notices published.")
    history = LockedCopy(
        "_history",
        lambda logs: {kind: [dict(info) for _when, info in log] for kind, log in logs.items()},
        "Every record made, by ``PushAckType`` (2 recognitions, 1 strangers): their ``info``.",
    )
    replayed = LockedCopy(
        "_replayed", itself, "How many records manual re-pushes (§20/§22) have sent."
    )
    heartbeat_count = LockedCopy(
        "_heartbeat_count", itself, "Number of ``HeartBeat`` messages published."
    )
    batch_running = LockedCopy(
        "_batch_operator", itself, "The batch operator running now (§4.6-§4.10), or ``None``."
    )
    progress_queries = LockedCopy(
        "_batch_progress_queries", itself, "Number of ``QueryProgress`` commands answered."
    )

    def _acked_ids(self, ack_type: int) -> set[int]:
        """Return the IDs acknowledged with ``PushAckType`` ``ack_type`` so far (a copy)."""
        with self._lock:
            return set(self._acked[ack_type])

    @property
    def acked_records(self) -> set[int]:
        """``RecordID``s acknowledged with ``PushAck`` type 2 (§11.3)."""
        return self._acked_ids(2)

    @property
    def acked_snaps(self) -> set[int]:
        """``SnapID``s acknowledged with ``PushAck`` type 1 (§11.1)."""
        return self._acked_ids(1)

    # ------------------------------------------------------------------ pushes

    def _push(
        self,
        suffix: str,
        message: Mapping[str, Any],
        ack: tuple[int, int] | None = None,
        *,
        held: str | None = None,
    ) -> None:
        """Publish a device message on ``<ID>/<suffix>``, unless ``held`` says why not.

        With ``ack`` (``PushAckType``, ID) and ``ResumefromBreakpoint`` on, the message
        is sent again every ``resend_interval`` until that ``PushAck`` arrives (§11).
        """
        if held is not None:
            _LOGGER.info("%s not pushed: %s", message["operator"], held)
            return
        topic, payload = self.push_topic(suffix), self._encode(message)
        if ack is not None:
            with self._lock:
                if self._mqtt_config["ResumefromBreakpoint"]:
                    self._pending[ack] = _Pending(
                        topic, payload, time.monotonic() + self.resend_interval
                    )
                    self._wake.notify_all()
        self._publish(topic, payload)

    def _record_time(self, at: dt.datetime | None) -> dt.datetime:
        """Return a record's device-local time: ``at`` (a backdated record), else now."""
        return (at if at is not None else self._now()).replace(microsecond=0)

    def _log_face(self, ack_type: int, when: dt.datetime, info: Mapping[str, Any]) -> None:
        """Keep a record (``ack_type`` 2) or snapshot (1) for manual re-pushes. Lock held."""
        self._history[ack_type].append((when, dict(info)))

    def _replay(self, info: Mapping[str, Any]) -> dict[str, Any]:
        """Return a kept record as a manual re-push sends it: ``PushType`` 2 (§5, §6)."""
        replay = dict(info)
        replay["PushType"] = self._num(2)
        return replay

    def _manual_push(
        self, command: dict[str, Any], *, records: bool, ack_operator: str | None = None
    ) -> None:
        """Re-push the kept records (or snapshots) of ``TimeS``..``TimeE`` (§20, §22).

        Answers ``RecordNum`` (the matches, an int) under ``ack_operator`` (default
        ``<operator>-Ack``), then publishes each match ``replay_copies`` times on the Rec
        or Snap topic with ``PushType`` 2; they need no ``PushAck``. Errors, in the
        documents' order: 462 no ``info``, 463 another device's ``facesluiceId``, 464/465
        unreadable ``TimeS``/``TimeE``, 467 the upload is off (``RecordUploadType`` 0 or
        ``StrangerUploadType`` 1), 466 nothing in the window.
        """
        kind = "record" if records else "snap"
        replays: list[dict[str, Any]] = []

        def body(info: dict[str, Any]) -> dict[str, Any]:
            if self._target_mismatch(command):
                raise CommandError(463, "Unknow facesluiceId")
            begin = parse_time(info.get("TimeS"))
            if begin is None:
                raise CommandError(464, "Unknow TimeS")
            end = parse_time(info.get("TimeE"))
            if end is None:
                raise CommandError(465, "Unknow TimeE")
            with self._lock:
                if records and self._mqtt_config["RecordUploadType"] == 0:
                    raise CommandError(467, "Unknow RecordUploadType")
                if not records and self._mqtt_config["StrangerUploadType"] != 0:
                    raise CommandError(467, "Unknow StrangerUploadType")
                replays.extend(
                    self._replay(entry)
                    for when, entry in self._history[2 if records else 1]
                    if begin <= when <= end
                )
            if not replays:
                raise CommandError(
                    466, f"Can't Find any {kind} issue, please check TimeS and TimeE"
                )
            return {"RecordNum": len(replays)}

        try:
            extra = body(self._info(command))
        except CommandError as err:
            self._ack(command, error=err, operator=ack_operator)
            return
        self._ack(command, extra, operator=ack_operator)
        push_operator, suffix = FACE_PUSHES[2 if records else 1]
        copies = max(self.replay_copies, 1)
        for replay in replays:
            for _copy in range(copies):
                with self._lock:
                    self._replayed += 1
                self._push(suffix, {"operator": push_operator, "info": replay})

    def _send_face(
        self, ack: tuple[int, int], info: dict[str, Any], *, push_type: int, held: str | None
    ) -> None:
        """Send a recognition record (``ack`` type 2) or stranger snapshot (type 1).

        It waits for its ``PushAck`` unless ``push_type`` 2 makes it a manual re-push
        (§20), which needs none; ``held`` says why the device does not upload it at all.
        """
        operator, suffix = FACE_PUSHES[ack[0]]
        ack_needed = None if push_type == 2 else ack
        self._push(suffix, {"operator": operator, "info": info}, ack_needed, held=held)

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
        with self._lock:
            queued = self._refusals.get(operator)
            refusal = queued.pop(0) if queued else None
        if refusal is not None:
            self._ack(command, error=refusal)
            return
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
        # Never retained: a retained record would be replayed to every new subscriber.
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
        ``info.result`` "fail" and ``info.detail`` (the appendix error string) with a
        top-level string ``code`` on failure; ``_success_fields`` decides what a
        successful ack carries. ``operator`` replaces the ack's operator name and
        ``device_key`` the name of the device-ID key (``None``: no device ID).
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
        with self._lock:
            lost = command["operator"] in self._lost_acks
            if lost:
                self._lost_acks.remove(command["operator"])
        if not lost:
            self._publish(self.ack_topic, self._encode(message))

    @abstractmethod
    def _success_fields(self, operator: str, info: dict[str, Any]) -> str | int | None:
        """Complete the ``info`` of a successful ack; return its top-level ``code``."""

    # ------------------------------------------------------------- commands

    @abstractmethod
    def _unknown_operator(self, operator: str, command: dict[str, Any]) -> None:
        """Answer (or not) an operator the device does not know."""

    def _dispatch(self, operator: str, command: dict[str, Any]) -> None:
        with self._lock:
            running = self._batch_operator
        if running is not None and operator in PERSON_WRITES:
            self._ack(command, error=CommandError(410, f"{running} is busy"))
            return
        handler = self._handlers.get(operator)
        if handler is None:
            self._unknown_operator(operator, command)
            return
        _LOGGER.debug("simulator %s: %s %s", self.device_id, operator, command.get("messageId"))
        getattr(self, handler)(command)

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

    @handles("Online-Ack")
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

    @handles("PushAck")
    def _cmd_push_ack(self, command: dict[str, Any]) -> None:
        """§11 ``PushAck``: stop re-sending the record it names, then answer ``PushAck-Ack``.

        ``PushAckType`` must be one of ``push_ack_types`` and the ID (int or string)
        present, else 462; ``_accept_push_ack`` decides what a valid one does. The
        answer has ``push_ack_device_key`` and, with ``push_ack_echo``, the type and ID
        as strings. ``drop_push_acks`` loses it.
        """
        info = command.get("info")
        if not isinstance(info, dict):
            self._ack(command, error=CommandError(462, "Parameter error"))
            return
        ack_type = as_int(info.get("PushAckType"))
        keys = [key for key in self.push_ack_id_keys if key in info]
        item_id = as_int(info[keys[0]]) if keys else None
        with self._lock:
            if self._drop_acks > 0:
                self._drop_acks -= 1
                _LOGGER.info(
                    "simulator %s: dropping PushAck %s/%s", self.device_id, ack_type, item_id
                )
                return
            if ack_type not in self.push_ack_types or item_id is None:
                error: CommandError | None = CommandError(462, "Parameter error")
            else:
                error = None
                self._accept_push_ack(ack_type, item_id, info)
        echo = {"PushAckType": str(ack_type), "SnapOrRecordID": str(item_id)}
        self._ack(
            command,
            echo if self.push_ack_echo and error is None else None,
            error=error,
            device_key=self.push_ack_device_key,
        )

    def _accept_push_ack(self, ack_type: int, item_id: int, info: Mapping[str, Any]) -> None:
        """Stop re-sending the record of a valid ``PushAck`` and note it acked. Lock held."""
        self._pending.pop((ack_type, item_id), None)
        self._acked[ack_type].add(item_id)

    @handles("SetSysTime")
    def _cmd_set_sys_time(self, command: dict[str, Any]) -> None:
        """§9.8.3: set the clock; ``SysTime`` parsed leniently ("2020-4-1T17:59:54", E33)."""

        def body(info: dict[str, Any]) -> None:
            value = info.get("SysTime")
            wanted = parse_time(value)
            if wanted is None:
                raise CommandError(463, "Can't find SysTime")
            with self._lock:
                self._sys_time = value
                self._clock_offset = wanted - dt.datetime.now()

        self._run(command, body)

    @handles("GetSysTime")
    @abstractmethod
    def _cmd_get_sys_time(self, command: dict[str, Any]) -> None:
        """Report the clock (each document writes it its own way)."""

    @handles("Versions")
    def _cmd_versions(self, command: dict[str, Any]) -> None:
        """§7.3: software version ``name`` and ``buildtime``."""
        self._ack(command, {"name": self.firmware, "buildtime": self.buildtime})

    @handles("GetMQTTconfig")
    @abstractmethod
    def _cmd_get_mqtt_config(self, command: dict[str, Any]) -> None:
        """Report the reporting parameters."""

    @handles("UpMQTTconfig")
    @abstractmethod
    def _cmd_up_mqtt_config(self, command: dict[str, Any]) -> None:
        """Set reporting parameters."""

    @handles("GetSceneSnap")
    @abstractmethod
    def _cmd_get_scene_snap(self, command: dict[str, Any]) -> None:
        """Answer a scene picture."""

    def _target_mismatch(self, command: Mapping[str, Any]) -> bool:
        """§16/§4.2.3: a ``facesluiceId`` (top level or in ``info``) naming another device."""
        info = command.get("info")
        targets = [command.get("facesluiceId")]
        if isinstance(info, dict):
            targets.append(info.get("facesluiceId"))
        return any(target not in (None, "") and str(target) != self.device_id for target in targets)

    @handles("RebootDevice")
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

    # -------------------------------------------------------------- persons

    def _new_person(self, custom_id: str) -> dict[str, Any]:
        """Create a person with the family's and the model's fields at their defaults.

        Lock held. ``picture`` holds the enrolled image, ``picURI`` its URL.
        """
        return {
            "customId": custom_id,
            "personId": str(next(self._person_ids)),
            "name": "",
            "personType": 0,
            "gender": 0,
            "idCard": "",
            "birthday": "",
            **self._person_defaults(),
            "picture": None,
            "picURI": None,
        }

    @abstractmethod
    def _person_defaults(self) -> dict[str, Any]:
        """Return the model's own person fields at their defaults (``createTime`` too)."""

    @abstractmethod
    def _check_person(self, info: Mapping[str, Any], custom_id: str, name: str) -> dict[str, Any]:
        """Check an ``EditPerson`` before anything changes; return fields it decided. Lock held."""

    @abstractmethod
    def _apply_person_fields(
        self, person: dict[str, Any], info: Mapping[str, Any], checked: Mapping[str, Any]
    ) -> None:
        """Copy the model's person fields of ``info`` (and the ``checked`` ones) into ``person``."""

    @classmethod
    def _copy_person_fields(
        cls,
        person: dict[str, Any],
        info: Mapping[str, Any],
        numbers: tuple[str, ...],
        texts: tuple[str, ...],
        *,
        example_spellings: bool,
    ) -> None:
        """Copy the ``numbers`` (ints or numeric strings) and ``texts`` of ``info``.

        With ``example_spellings``, a text is also read as its example spells it
        (``_field``).
        """
        for key in numbers:
            value = as_int(info.get(key))
            if value is not None:
                person[key] = value
        for key in texts:
            text = cls._field(info, key) if example_spellings else info.get(key)
            if isinstance(text, str):
                person[key] = text

    @staticmethod
    def _field(info: Mapping[str, Any], name: str) -> Any:
        """Read a field by its table or its example spelling (E10: Name, Native, Pic)."""
        if name in info:
            return info[name]
        alternative = name[0].upper() + name[1:]
        return info.get(alternative)

    @handles("EditPerson")
    def _cmd_edit_person(self, command: dict[str, Any]) -> None:
        """§4.1 add or modify one person (upsert by ``customId``), with the §4.1 error codes.

        461 no ``customId``; 462 no ``info`` or no ``name``; 472 neither ``pic`` nor
        ``picURI`` when adding; 463 bad Base64; 460 picture over 1 MB; 464 not a
        JPEG/PNG/BMP picture ("Get pic Person Feature err"); then ``_check_person``.
        ``picURI`` is stored, never downloaded. Calls closer than 1 s (``pic``) or 2 s
        (``picURI``) are processed but recorded in ``pacing_violations``.
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

    def _check_limits(
        self, operator: str, info: Mapping[str, Any], custom_id: str, name: str
    ) -> None:
        """Record breaches of the §4.1 length limits (not enforced). Lock held."""
        if utf8_len(custom_id) > 47:
            self._protocol_violations.append(f"{operator}: customId longer than 47 bytes")
        if utf8_len(name) > 31:
            self._protocol_violations.append(f"{operator}: name longer than 31 bytes")
        for key, limit in self.person_length_limits:
            value = self._field(info, key)
            if isinstance(value, str) and utf8_len(value) > limit:
                self._protocol_violations.append(f"{operator}: {key} longer than {limit} bytes")

    def _find_person(self, custom_id: object) -> dict[str, Any]:
        """Return a copy of the person; 463 without a ``customId``, 464 unknown."""
        if not isinstance(custom_id, str) or not custom_id:
            raise CommandError(463, "Parameter customId error")
        with self._lock:
            person = self._persons.get(custom_id)
            if person is None:
                raise CommandError(464, "can't find customId's person")
            return dict(person)

    @handles("DelPerson")
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
        person_num = as_int(command.get("PersonNum"))
        if person_num is None or not 1 <= person_num <= limit:
            raise CommandError(416, "PersonNum out of range")
        return person_num

    @classmethod
    def _delete_persons_ids(cls, command: Mapping[str, Any]) -> list[Any]:
        """Validate a §4.9 ``DeletePersons`` envelope; return its ``customId`` list.

        Codes 412 ``DataBegin``, 413 ``DataEnd``, 414 ``info``, 415/416 ``PersonNum``,
        417 count mismatch, 418 ``customId``.
        """
        cls._check_batch_flags(command)
        info = command.get("info")
        if not isinstance(info, dict):
            raise CommandError(414, "Parameter error")
        person_num = cls._batch_person_num(command, 200)
        ids = info.get("customId")
        if not isinstance(ids, list):
            raise CommandError(418, "can not find customId")
        if len(ids) != person_num:
            raise CommandError(417, "json of person's data is not equal PersonNum")
        return ids

    @handles("DeletePersons")
    def _cmd_delete_persons(self, command: dict[str, Any]) -> None:
        """§4.9 batch delete (1-200): ``DelErrNum``/``DelSucNum`` and their ``customId`` lists.

        Unknown IDs are listed as failures; the command itself still succeeds.
        """

        def delete(custom_id: object) -> tuple[bool, dict[str, str]]:
            key = str(custom_id)
            return self._persons.pop(key, None) is not None, {"customId": key}

        self._run_batch(command, "Del", self._delete_persons_ids, delete)

    def _run_batch(
        self,
        command: dict[str, Any],
        kind: str,
        entries: Callable[[dict[str, Any]], list[Any]],
        apply: Callable[[Any], tuple[bool, dict[str, str]]],
    ) -> None:
        """Run a batch command and answer it with its counts and lists.

        ``entries(command)`` checks the envelope (a ``CommandError`` fails the whole
        command) and returns the items; ``apply`` does one, lock held, and returns
        whether it succeeded and its entry in ``<kind>SucInfo`` or ``<kind>ErrInfo``.
        ``<kind>ErrNum``/``<kind>SucNum`` count them, as strings.
        """
        try:
            items = entries(command)
        except CommandError as err:
            self._ack(command, error=err)
            return
        succeeded: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        with self._lock:
            for item in items:
                ok, entry = apply(item)
                (succeeded if ok else failed).append(entry)
        self._ack(
            command,
            {
                f"{kind}ErrNum": str(len(failed)),
                f"{kind}SucNum": str(len(succeeded)),
                f"{kind}ErrInfo": failed,
                f"{kind}SucInfo": succeeded,
            },
        )

    @handles("EditPersonsNew")
    def _cmd_edit_persons_new(self, command: dict[str, Any]) -> None:
        """§4.10 upsert up to 1000 persons by ``customId``, pictures by ``picURI`` only.

        Envelope codes (§4.10 "code"): 412/413 markers, 418 "can not find data" without
        ``info``, 414 ``info`` not an array, 415/416 ``PersonNum``, 417 count mismatch; 410
        while a batch runs. Per-person ``errcode`` (L3839-3862): 461 no ``customId``, 481 a
        new person without ``picURI``, the download's 464-468 (``_fetch_pictures``), and
        the model's card checks mapped to 475-477/480 (479 for anything else). The batch
        runs in a worker thread (``_run_person_batch``); its ack counts like ``AddPersons``.
        """

        def add(entry: Any, fetched: bytes | str | None) -> tuple[bool, dict[str, str]]:
            custom_id = entry.get("customId") if isinstance(entry, dict) else None
            if not isinstance(custom_id, str) or not custom_id.strip():
                return False, {"customId": str(custom_id or ""), "errcode": "461"}
            existing = self._persons.get(custom_id)
            if existing is None and not entry.get("picURI"):
                return False, {"customId": custom_id, "errcode": "481"}
            if isinstance(fetched, str):
                return False, {"customId": custom_id, "errcode": fetched}
            name = self._field(entry, "name")
            name = name if isinstance(name, str) else (existing or {}).get("name", "")
            try:
                checked = self._check_person(entry, custom_id, name)
            except CommandError as err:
                # §4.1 card codes 473/476/474/475 are 480/475/476/477 in a batch.
                code = {473: "480", 476: "475", 474: "476", 475: "477"}.get(err.code, "479")
                return False, {"customId": custom_id, "errcode": code}
            person = dict(existing) if existing is not None else self._new_person(custom_id)
            person["name"] = name
            self._apply_person_fields(person, entry, checked)
            if entry.get("picURI"):
                person["picURI"], person["picture"] = str(entry["picURI"]), fetched
            self._persons[custom_id] = person
            return True, {"customId": custom_id}

        self._run_person_batch(command, self._batch_info_array, add)

    def _batch_info_array(self, command: Mapping[str, Any]) -> list[Any]:
        """Validate an §4.6/§4.7/§4.10 batch envelope; return its ``info`` array."""
        self._check_batch_flags(command)
        if "info" not in command:
            raise CommandError(418, "can not find data")
        persons = command["info"]
        if not isinstance(persons, list):
            raise CommandError(414, "Parameter error")
        if self._batch_person_num(command, 1000) != len(persons):
            raise CommandError(417, "json of person's data is not equal PersonNum")
        return persons

    def _run_person_batch(
        self,
        command: dict[str, Any],
        entries: Callable[[dict[str, Any]], list[Any]],
        apply: Callable[[Any, bytes | str | None], tuple[bool, dict[str, str]]],
    ) -> None:
        """Run an add/modify batch as the device does: in the background, one at a time.

        ``entries(command)`` checks the envelope (a ``CommandError`` is acked at once).
        The batch then counts as running (``QueryProgress`` says so, person commands get
        410) while a worker thread downloads every ``picURI`` (``download_pictures``),
        spends ``batch_person_seconds`` on each person, then calls ``apply(entry,
        fetched)`` for each, lock held (``fetched``: the picture, an errcode, or ``None``
        when nothing was downloaded) and acks ``AddErrNum``/``AddSucNum`` and their lists
        (§4.6-§4.10 use the ``Add`` names for every batch).
        """
        try:
            items = entries(command)
        except CommandError as err:
            self._ack(command, error=err)
            return
        operator = str(command["operator"])
        with self._lock:
            if self._batch_operator is not None:
                busy = self._batch_operator
            else:
                busy, self._batch_operator = None, operator
        if busy is not None:
            self._ack(command, error=CommandError(410, f"{busy} is busy"))
            return
        worker = threading.Thread(
            target=self._batch_worker,
            args=(command, items, apply),
            name=f"batch-{self.device_id}",
            daemon=True,
        )
        with self._lock:
            self._batch_thread = worker
        worker.start()

    def _batch_worker(
        self,
        command: dict[str, Any],
        items: list[Any],
        apply: Callable[[Any, bytes | str | None], tuple[bool, dict[str, str]]],
    ) -> None:
        """Download, process and store a batch, then ack it (``_run_person_batch``)."""
        try:
            urls = [
                item.get("picURI") if isinstance(item, dict) and self.download_pictures else None
                for item in items
            ]
            fetched = asyncio.run(
                _fetch_pictures(urls, self.batch_person_seconds, lambda: self._stopping)
            )
            succeeded: list[dict[str, str]] = []
            failed: list[dict[str, str]] = []
            with self._lock:
                for item, picture in zip(items, fetched, strict=True):
                    ok, entry = apply(item, picture)
                    (succeeded if ok else failed).append(entry)
            with self._lock:
                self._batch_operator = None
            self._ack(
                command,
                {
                    "AddErrNum": str(len(failed)),
                    "AddSucNum": str(len(succeeded)),
                    "AddErrInfo": failed,
                    "AddSucInfo": succeeded,
                },
            )
        except Exception:
            _LOGGER.exception("simulator %s: a batch failed", self.device_id)
        finally:
            with self._lock:
                self._batch_operator = None

    @handles("QueryProgress")
    def _cmd_query_progress(self, command: dict[str, Any]) -> None:
        """§4.8 the progress of batches: ``QueryType`` and ``Status`` (0 idle, 1-3 busy).

        ``info`` may be empty (E56). A device without the command (``query_progress``
        off) treats it as unknown.
        """
        if not self.query_progress:
            self._unknown_operator("QueryProgress", command)
            return
        with self._lock:
            running = self._batch_operator
            self._batch_progress_queries += 1
        self._ack(
            command,
            {
                "QueryType": running or "None",
                "Status": self._num(BATCH_STATUS.get(running or "", 0)),
            },
        )

    def wait_batch_done(self, timeout: float = 30.0) -> bool:
        """Wait until no batch runs; return whether that happened within ``timeout`` s."""
        with self._lock:
            worker = self._batch_thread
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)
        return self.batch_running is None

    @handles("DeleteAllPerson")
    def _cmd_delete_all_person(self, command: dict[str, Any]) -> None:
        """§4.5 delete everyone; the terminal then restarts (``restart_after_delete_all``).

        ``deleteall`` 1 deletes, then a restarting device publishes ``Offline``, waits
        ``restart_delay`` and starts the §10.1 Online cycle again. 0 is acked and does
        nothing; anything else is 463 "Parameter deleteall error".
        """
        delete = False

        def body(info: dict[str, Any]) -> None:
            nonlocal delete
            flag = as_int(info.get("deleteall"))
            if flag not in (0, 1):
                raise CommandError(463, "Parameter deleteall error")
            if flag == 1:
                delete = True
                self._delete_all_persons()

        self._run(command, body)
        if delete and self.restart_after_delete_all:
            self._restart()

    def _delete_all_persons(self) -> None:
        """Empty the person list."""
        with self._lock:
            self._persons.clear()

    @abstractmethod
    def _list_entry(self, person: Mapping[str, Any]) -> dict[str, Any]:
        """Build a ``SearchPersonList`` ``List`` item."""

    @handles("SearchPersonList")
    def _cmd_search_person_list(self, command: dict[str, Any]) -> None:
        """§4.2.3 paged person list (no pictures).

        Filters: ``personType`` and ``gender`` (2 = all), ``name`` (case-insensitive
        substring, the "fuzzy" search), or a ``BeginTime``/``EndTime`` range on the
        creation time when no name is given. ``BeginNO`` (default 0) and
        ``RequestCount`` (1-2000, default 100) page the result. 465 for another
        device's ``facesluiceId``; 466 "can not find person" when nothing matches.
        ``TotalPersonNum``/``PersonNum`` go through ``_num``, the items through
        ``_list_entry``.
        """
        everyone = 2  # §4.2.3: personType and gender 2 mean "all" in a search.

        def body(info: dict[str, Any]) -> dict[str, Any]:
            if self._target_mismatch(command):
                raise CommandError(465, "Unknow facesluiceId")
            person_type = as_int(info.get("personType"))
            gender = as_int(info.get("gender"))
            name = info.get("name")
            begin_time = parse_time(info.get("BeginTime"))
            end_time = parse_time(info.get("EndTime"))
            begin_no = max(as_int(info.get("BeginNO")) or 0, 0)
            count = as_int(info.get("RequestCount"))
            count = 100 if count is None else min(max(count, 1), 2000)
            with self._lock:
                matches = []
                for person in sorted(self._persons.values(), key=lambda p: int(p["personId"])):
                    if person_type not in (None, everyone) and person["personType"] != person_type:
                        continue
                    if gender not in (None, everyone) and person["gender"] != gender:
                        continue
                    if isinstance(name, str) and name.strip():
                        if name.strip().lower() not in person["name"].lower():
                            continue
                    elif begin_time is not None and end_time is not None:
                        created = parse_time(person["createTime"])
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

    @abstractmethod
    def _search_person_fields(self, person: Mapping[str, Any]) -> dict[str, Any]:
        """Build the ``info`` of a ``SearchPerson-Ack`` (without the picture)."""

    @handles("SearchPerson")
    def _cmd_search_person(self, command: dict[str, Any]) -> None:
        """§4.2.2 one person; ``Picture`` 1 adds ``pic``. 463 without ``customId``, 464 unknown.

        ``pic`` goes at the top level of the answer, and also in ``info`` where
        ``search_pic_in_info`` says so (the terminal's example puts it outside ``info``
        while its table puts it inside, E17).
        """
        try:
            info = self._info(command)
            person = self._find_person(info.get("customId"))
        except CommandError as err:
            self._ack(command, error=err)
            return
        extra = self._search_person_fields(person)
        top_level = None
        if as_int(info.get("Picture")) == 1 and person["picture"] is not None:
            # Registration pictures come back under a "jpeg" label whatever they are
            # (the §4.2.2 example is BMP: "Qk225Q...").
            top_level = {"pic": to_data_uri(person["picture"])}
            if self.search_pic_in_info:
                extra["pic"] = top_level["pic"]
        self._ack(command, extra, top_level=top_level)

    @handles("QueryPerson")
    def _cmd_query_person(self, command: dict[str, Any]) -> None:
        """§4.2.1 all ``customId``s. The separator was lost in translation; a comma is used."""
        with self._lock:
            ids = [key for key in self._persons if key.strip()]
            total = len(self._persons)
        self._ack(command, self._query_person_fields(total, ids))

    @abstractmethod
    def _query_person_fields(self, total: int, ids: list[str]) -> dict[str, Any]:
        """Build the ``QueryPerson`` answer from the person count and the non-empty IDs."""


async def _fetch_pictures(
    urls: list[Any], pause: float, stopping: Callable[[], bool]
) -> list[bytes | str | None]:
    """Download each ``picURI`` in turn, as the device does; return pictures or errcodes.

    ``None`` where there is no URL, and for everyone left once ``stopping()`` is true.
    Per-person ``errcode``s of §4.10 (L3839-3862): 464 a host other than 127.0.0.1 (the
    simulator resolves nothing else), 465 no connection or no answer within
    ``BATCH_DOWNLOAD_TIMEOUT``, 466 an HTTP error or an image under
    ``MIN_URI_PICTURE_BYTES``, 467 over 1 MB or over 1080p, 468 not a picture (no face).
    ``pause`` seconds go by before each person (the device's own processing).
    """
    results: list[bytes | str | None] = []
    timeout = aiohttp.ClientTimeout(total=BATCH_DOWNLOAD_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for url in urls:
            if stopping():
                results.append(None)
                continue
            if pause > 0:
                await asyncio.sleep(pause)
            if not isinstance(url, str) or not url:
                results.append(None)
                continue
            results.append(await _fetch_picture(session, url))
    return results


async def _fetch_picture(session: aiohttp.ClientSession, url: str) -> bytes | str:
    """Download one ``picURI``; return the picture or its errcode (``_fetch_pictures``)."""
    try:
        host = yarl.URL(url).host
    except ValueError:
        return "464"
    if host not in ("127.0.0.1", "localhost"):
        return "464"
    try:
        async with session.get(url) as response:
            if response.status != 200:
                return "466"
            data = await response.content.read(MAX_PICTURE_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError):
        return "465"
    if len(data) > MAX_PICTURE_BYTES:
        return "467"
    if len(data) < MIN_URI_PICTURE_BYTES:
        return "466"
    if sniff_format(data) is None:
        return "468"
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (OSError, ValueError):
        return "468"
    if width * height > MAX_URI_PICTURE_PIXELS:
        return "467"
    return data
