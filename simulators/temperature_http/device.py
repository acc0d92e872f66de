"""A simulated body-temperature tablet speaking the vendor's HTTP docking protocol.

Source: "Body temperature detection and face recognition intelligent terminal HTTP
docking protocol V1.16" (``shared/seeds/temperature-terminal-http-v1.16.txt``). "L123"
is a line of that file; section numbers (§) are the document's own, and like the digest
(``shared/protocols/temperature_http.md``) this module calls the face-library section
§3.4 (L269) and the record section §4 (L549), since the document numbers both "4".

The tablet is only an HTTP client (L97-L99): it POSTs JSON to one URL, and the server
can reach it only through the body of the ``200 OK`` reply to a heartbeat (L75-L87).
The simulator runs its own asyncio event loop, with one ``aiohttp.ClientSession``, in a
daemon thread; every public method is synchronous and thread-safe, so tests can drive
it from any thread or event loop. One request is on the wire at a time (an
``asyncio.Lock``): a heartbeat, the result POSTs it triggers and a batch chain form one
uninterrupted exchange, and a record push waits for it (and the other way round).

Where the document is silent or contradicts itself, the docstring concerned says what
the simulator does and why.
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
import contextlib
import copy
import io
import itertools
import json
import logging
import threading
import time
from typing import Any, Final
import zlib

import aiohttp
from PIL import Image

from simulators.base import LockedCopy, Simulator, itself, rows, utf8_len
from simulators.images import decode_base64_picture, make_jpeg, sniff_format
from simulators.loop_thread import LoopThread, OnLoopThread

from .activity import TabletActivity

_LOGGER = logging.getLogger(__name__)

DEFAULT_FACE_JPEG: Final[bytes] = make_jpeg()
"""The snapshot of a record when no picture is given and none is enrolled."""
DEFAULT_STRANGER_JPEG: Final[bytes] = make_jpeg(variant=7)
"""The snapshot of a stranger or capture record when no picture is given."""

HEARTBEAT: Final = 3
"""§2 (L101-L139): uplink ``type`` of a heartbeat."""
RECORD: Final = 1
"""§4 (L549-L653): uplink ``type`` of a snapshot record."""
QUERY_RESULT: Final = 4
"""§3.4 (L315-L393): uplink ``type`` of the face-library query result."""
BATCH_RESULT: Final = 9
"""§7 (L1503-L1599): uplink ``type`` of a batch result."""
REUPLOAD_RESULT: Final = 8
"""§6 (L1221-L1301): uplink ``type`` of a retransmission set or query result."""
REUPLOAD_SCHEDULED: Final = 1
REUPLOAD_IDLE: Final = 2
"""``reupload.mode`` 1 scheduled, 2 after 3 idle minutes [default] (L1195-L1199)."""
CONFIG_RESULT: Final = 10
"""§9 (L2073-L2251): uplink ``type`` of a config set confirmation or query result."""
CONTROL_RESULT: Final = 12
"""§12 (L2375-L2419): uplink ``type`` of a relay result."""

PERSON_TYPE_STRANGER: Final = 0
PERSON_TYPE_RECOGNIZED: Final = 1
PERSON_TYPE_CAPTURE: Final = 2
"""§4 (L599-L603): ``result.person_type`` 0 comparison failed, 1 passed, 2 interval capture."""

MAX_ID_BYTES: Final = 35
"""L331, L1411: person id, at most 35 bytes (the add table L409 gives none)."""
MAX_NAME_BYTES: Final = 35
"""L413: name of a single add/modify, at most 35 bytes."""
MAX_BATCH_NAME_BYTES: Final = 63
"""L1417: name in a batch, at most 63 bytes."""
MAX_CARD_BYTES: Final = 63
"""L431: ``cardNo`` of a single add/modify, at most 63 bytes."""
MAX_BATCH_CARD_BYTES: Final = 35
"""L1415: ``cardNo`` in a batch, at most 35 bytes."""
MAX_IDS_PER_DELETE: Final = 20
"""L497-L501: "delete up to 20 at a time"."""
MAX_BATCH_PERSONS: Final = 20
"""L1393-L1397: "limit to send a maximum of 20 at a time"."""
MAX_FAILED_RECORDS: Final = 2000
"""§6 (L1153-L1157): up to 2,000 failed records, the oldest dropped beyond that."""
SEQ_TIMESTAMP_FLOOR: Final = 1_000_000_000
"""A command ``seq`` at or above this looks like the Unix time an idle heartbeat sends as
its ``seq`` (L113-L115), so a failure could pass for a success (digest §7)."""

# Batch results (L1539-L1555).
BATCH_OK: Final = 0
BATCH_FAILED: Final = 1
BATCH_BAD_PARAMETER: Final = 2
BATCH_BAD_PICTURE: Final = 3
BATCH_POOL_FULL: Final = 4

# The downlink keys of §3-§12 (digest §4.0). ``http_server_port`` goes with
# ``http_server_url``; ``time_interval`` may accompany a command (L273-L279).
_COMMAND_KEYS: Final = (
    "http_server_url",
    "time_set",
    "facelib_manage",
    "strategy_manage",
    "reupload",
    "facelib_batch",
    "fw_upgrade",
    "config",
    "facelog",
    "reboot",
    "control",
)
_KNOWN_KEYS: Final = frozenset((*_COMMAND_KEYS, "http_server_port", "time_interval"))

# §9 (L1757-L1981), defaults in brackets there.
_DEFAULT_CONFIG: Final[dict[str, dict[str, int | float]]] = {
    "face_rec": {
        "enable": 1,
        "voice": 2,
        "relay": 1,
        "liveness": 0.2,
        "score": 70.0,
        "times": 3,
        "distance": 1,
        "face_expos": 50,
    },
    "face_cap": {"interval": 3, "goodness": 0.7, "blur": 0.3, "time_overlay": 0, "upload_mode": 2},
    "facemask": {"enable": 1, "mode": 0, "voice": 1, "relay": 0},
    "temperature": {
        "enable": 1,
        "high_threshold": 37.3,
        "voice": 1,
        "relay": 1,
        "offset": 0.0,
        "unit": 0,
        "environment": 0,
    },
    "relay": {"duration": 2, "state": 0},
    "misc": {"version": 1},
}
_SETTABLE_SECTIONS: Final = ("face_rec", "face_cap", "facemask", "temperature", "relay")
# The ranges the document gives (§9 L1757-L1971); outside them a set fails with errcode 2.
_CONFIG_RANGES: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("face_rec", "enable"): (0, 1),
    ("face_rec", "score"): (0, 100),
    ("face_rec", "distance"): (0, 4),
    ("temperature", "enable"): (0, 1),
    ("temperature", "unit"): (0, 1),
    ("relay", "duration"): (1, 100),
}


class _FacelibError(Exception):
    """A face-library operation failed; the message says why (the device sends no reason)."""


def _is_int(value: object) -> bool:
    """Tell whether ``value`` is a JSON integer (``bool`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def decode_picture(text: object) -> bytes:
    """Decode one base64 picture as the tablet would; raise ``ValueError`` if it is none.

    A ``data:...;base64,`` prefix is tolerated (the document never shows one, L419-L427),
    and the bytes must be a picture Pillow can open.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("picture is not a non-empty string")
    data = decode_base64_picture(text)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise ValueError(f"not a picture: {err}") from err
    return data


class TemperatureTabletSimulator(OnLoopThread, Simulator):
    """One body-temperature tablet POSTing to one URL (the integration's webhook).

    Observable state for tests (each a thread-safe snapshot): ``persons``,
    ``unlock_count``, ``heartbeat_count``, ``commands``, ``failed_records``,
    ``time_interval``, ``config``, ``protocol_violations``, ``last_status``, ``sent``,
    ``facelib_results``, ``uptime``, ``time_zone``.
    """

    kind = "tablet"
    posts_to_webhook = True
    has_door = True  # the relay of §12
    content_type: str = "application/json"
    """The ``Content-Type`` of every POST; the document specifies none (L97-L99)."""
    activity = TabletActivity

    def __init__(
        self,
        url: str,
        cid: str,
        *,
        heartbeat_interval: float = 5.0,
        app_version: str = "1.0.1.1",
        honour_time_interval: bool = True,
        capacity: int = 10000,
        reupload_idle: float | None = None,
        timeout: float = 10.0,
    ) -> None:
        """Configure the tablet; nothing is sent until ``start()``.

        ``heartbeat_interval`` is the web page's "Heartbeat time" (L23-L25), in seconds;
        a ``time_interval`` reply changes it when ``honour_time_interval``.
        ``capacity`` is the size of the face library. ``reupload_idle`` turns on §6 mode 2:
        failed records are re-sent after that many seconds without a new record (the
        device: 180). ``timeout`` bounds each HTTP exchange.
        """
        self.url = url
        self.device_id = str(cid)
        self.app_version = app_version
        self.honour_time_interval = honour_time_interval
        self.capacity = capacity
        self.reupload_idle = reupload_idle
        self.timeout = timeout

        self._lock = threading.RLock()
        self._interval = float(heartbeat_interval)
        self._clock_offset = 0.0
        self._time_zone: int | None = None
        self._uptime = 0
        self._door_fails = False
        self._config_fails = False
        self._fail_facelib = 0
        self._confirm_seq: int | None = None
        self._pending_results: deque[dict[str, Any]] = deque()
        self._persons: dict[str, dict[str, Any]] = {}
        self._config: dict[str, dict[str, int | float]] = copy.deepcopy(_DEFAULT_CONFIG)
        self._failed: deque[dict[str, Any]] = deque(maxlen=MAX_FAILED_RECORDS)
        self._reupload: dict[str, Any] = {"mode": REUPLOAD_IDLE, "reupload_time": "00:00:00"}
        self._commands: list[dict[str, Any]] = []
        self._sent: deque[dict[str, Any]] = deque(maxlen=1000)
        self._facelib_results: list[dict[str, Any]] = []
        self._violations: list[str] = []
        self._unlock_count = 0
        self._heartbeat_count = 0
        self._reboot_count = 0
        self._resent_count = 0
        self._last_status: int | None = None
        self._last_record = time.monotonic()
        self._alarm_seqs = itertools.count(1)

        self._engine = LoopThread(f"temperature-tablet-sim-{self.cid}")
        self._first_heartbeat = threading.Event()
        # Created on the simulator's own loop, in ``_setup``.
        self._session: aiohttp.ClientSession | None = None
        self._send_lock: asyncio.Lock | None = None
        self._wake: asyncio.Event | None = None
        self._reupload_wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._next_heartbeat = 0.0

    # --------------------------------------------------------------- lifecycle

    @property
    def cid(self) -> str:
        """The tablet's identification number (its ``device_id``), in every message."""
        return self.device_id

    def configure_url(self, url: str) -> None:
        """Post to ``url`` from now on (the webhook that the platform made)."""
        self.url = url

    @property
    def link(self) -> str:
        """The URL, for log lines."""
        return f"posting to {self.url}"

    def start(self, timeout: float | None = None) -> None:
        """Start the tablet's thread; the first heartbeat goes out at once ("boot").

        Return once that heartbeat has been answered (or has failed), so that tests see
        a settled device, or after ``timeout`` s (default: the HTTP ``timeout`` + 5 s;
        0 does not wait).
        """
        with self._lock:
            self._uptime = self._now()
            self._first_heartbeat.clear()
        self._engine.start(self._setup, self._teardown)
        self._first_heartbeat.wait(self.timeout + 5.0 if timeout is None else timeout)

    async def _setup(self) -> None:
        self._send_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._reupload_wake = asyncio.Event()
        # Every exchange is "a short connection" (L1373-L1375): no keep-alive.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        self._next_heartbeat = asyncio.get_running_loop().time()
        # ``LoopThread.stop`` cancels these, and the work of blocked callers
        # (``heartbeat_now`` ...), which then get ``CancelledError``.
        self._tasks = [asyncio.create_task(self._heartbeat_loop())]
        if self.reupload_idle is not None:
            self._tasks.append(asyncio.create_task(self._reupload_loop()))

    async def _teardown(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._first_heartbeat.set()

    # ------------------------------------------------------------ test helpers

    def fail_next_facelib(self, count: int = 1) -> None:
        """Make the next ``count`` ``facelib_manage`` add/modify/delete commands fail."""
        with self._lock:
            self._fail_facelib += count

    def add_person(
        self,
        person_id: str,
        name: str = "",
        *,
        picture: bytes | None = None,
        card_no: str = "",
        age: int = 0,
        sex: str = "",
        strategy_id: int = 0,
    ) -> dict[str, Any]:
        """Enrol a person directly (as on the tablet's own screen), without the server."""
        person = {
            "name": name,
            "card_no": card_no,
            "age": age,
            "sex": sex,
            "strategy_id": strategy_id,
            "image": picture if picture is not None else make_jpeg(variant=_variant(person_id)),
        }
        with self._lock:
            self._persons[person_id] = person
            return dict(person)

    def now(self) -> int:
        """Return the tablet's clock: Unix seconds, moved by ``time_set`` (§3.3)."""
        return self._now()

    def _now(self) -> int:
        with self._lock:
            return int(time.time() + self._clock_offset)

    # ------------------------------------------------------- observable state

    persons = LockedCopy(
        "_persons",
        rows,
        "The face library by person id: name, card_no, age, sex, strategy_id, image.",
    )
    unlock_count = LockedCopy(
        "_unlock_count", itself, "How many times ``control`` switched the relay (§12)."
    )
    heartbeat_count = LockedCopy(
        "_heartbeat_count",
        itself,
        "Number of ``type`` 3 heartbeats sent (query results in their slot not counted).",
    )
    commands = LockedCopy(
        "_commands",
        copy.deepcopy,
        "Every command body the tablet read (heartbeat and batch replies), parsed, in order.",
    )
    failed_records = LockedCopy(
        "_failed", len, "Records kept for retransmission (§6), at most 2,000."
    )
    resent_count = LockedCopy(
        "_resent_count", itself, "Failed records re-sent and accepted since the start."
    )
    time_interval = LockedCopy("_interval", itself, "The current heartbeat interval, s (§3.2).")
    reupload = LockedCopy(
        "_reupload", dict, "The §6 retransmission settings: ``mode`` and ``reupload_time``."
    )
    config = LockedCopy(
        "_config",
        copy.deepcopy,
        "The §9 parameters: face_rec, face_cap, facemask, temperature, relay, misc.",
    )
    protocol_violations = LockedCopy(
        "_violations",
        list,
        "What the server did that the document does not allow, one short reason each.",
    )
    last_status = LockedCopy(
        "_last_status",
        itself,
        "HTTP status of the last POST (0: no HTTP answer; ``None``: nothing sent yet).",
    )
    sent = LockedCopy(
        "_sent",
        lambda sent: copy.deepcopy(list(sent)),
        "The last 1,000 bodies POSTed (except ``post_raw``), oldest first.",
    )
    facelib_results = LockedCopy(
        "_facelib_results",
        lambda results: [dict(item) for item in results],
        "Each ``facelib_manage`` add/modify/delete: ``seq``, ``type``, ``ok``, ``reason``.",
    )
    uptime = LockedCopy(
        "_uptime", itself, "The heartbeat's ``uptime``: the Unix time of the last boot (L117)."
    )
    reboot_count = LockedCopy(
        "_reboot_count", itself, "Number of ``reboot`` commands obeyed (§11)."
    )
    time_zone = LockedCopy(
        "_time_zone", itself, "The last ``time_set.time_zone`` (s), ``None`` before any."
    )

    @property
    def connected(self) -> bool:
        """True while running with its last POST answered over HTTP (whatever the status)."""
        return self.running and self.last_status not in (None, 0)

    @property
    def announcements(self) -> int:
        """Number of heartbeats sent (``heartbeat_count``)."""
        return self.heartbeat_count

    @property
    def answered(self) -> bool:
        """True once a heartbeat reply set the clock (``time_set``, §3.3).

        A platform that took the tablet in and keeps its clock (Home Assistant with the
        ``sync_time`` option) shows it so; a heartbeat answered 200 without a command
        says nothing either way.
        """
        return self.time_zone is not None

    def last_unlock_via(self) -> str | None:
        """Return how the door opened: the tablet's only way is ``control`` in a heartbeat reply."""
        return "control in a heartbeat reply" if self.unlock_count else None

    @property
    def door_fails(self) -> bool:
        """When True, ``control`` answers errcode 2 ("failed") and does not open."""
        with self._lock:
            return self._door_fails

    @door_fails.setter
    def door_fails(self, value: bool) -> None:
        with self._lock:
            self._door_fails = value

    @property
    def config_fails(self) -> bool:
        """When True, a ``config`` set answers errcode 2 ("configuration failed"), unchanged."""
        with self._lock:
            return self._config_fails

    @config_fails.setter
    def config_fails(self, value: bool) -> None:
        with self._lock:
            self._config_fails = value

    def _violation(self, reason: str) -> None:
        _LOGGER.warning("tablet %s: protocol violation: %s", self.cid, reason)
        with self._lock:
            self._violations.append(reason)

    # --------------------------------------------------------------- sending

    async def _post(self, body: dict[str, Any], *, expect100: bool = False) -> tuple[int, bytes]:
        """POST ``body``; return the status and, for a 200 only, the reply body (L67-L73).

        Status 0 means no HTTP answer (connection refused, timeout).
        """
        assert self._session is not None
        with self._lock:
            self._sent.append(copy.deepcopy(body))
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        status, reply = 0, b""
        try:
            async with self._session.post(
                self.url,
                data=data,
                headers={"Content-Type": self.content_type},
                expect100=expect100,
            ) as response:
                status = response.status
                # "When abnormal, it will not continue to read the data body" (L71-L73).
                if status == 200:
                    reply = await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            _LOGGER.info("tablet %s: POST type %s failed: %r", self.cid, body.get("type"), err)
        with self._lock:
            self._last_status = status
        _LOGGER.debug("tablet %s: POST type %s -> %s", self.cid, body.get("type"), status)
        return status, reply

    def post_raw(self, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """POST arbitrary bytes to the URL (malformed-input tests); return status and body.

        The reply is returned as is, whatever the status, and not interpreted.
        """

        async def _send() -> tuple[int, bytes]:
            assert self._session is not None
            assert self._send_lock is not None
            async with self._send_lock:
                try:
                    async with self._session.post(self.url, data=body, headers=headers) as reply:
                        return reply.status, await reply.read()
                except (aiohttp.ClientError, TimeoutError):
                    return 0, b""

        return self._call(_send())

    # ------------------------------------------------------------- heartbeat

    def heartbeat_now(self) -> int:
        """Use the next heartbeat slot now and process the reply fully; return its status.

        The slot carries a due query result (``type`` 4 or 10) instead of a heartbeat when
        one is waiting (L315-L317, L2143). Result POSTs and a batch chain the reply starts
        are finished before this returns. The periodic timer restarts from now.
        """
        status = self._call(self._heartbeat_slot())
        assert status is not None
        return status

    def wait_heartbeats(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` heartbeats have been sent in total."""
        return self.wait_for(lambda: self.heartbeat_count >= count, timeout)

    async def _heartbeat_loop(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            delay = self._next_heartbeat - loop.time()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            try:
                await self._heartbeat_slot(periodic=True)
            except Exception:
                # A bug here must not silence the tablet for good.
                _LOGGER.exception("tablet %s: heartbeat failed", self.cid)
                self._schedule_next_heartbeat()

    def _heartbeat_body(self) -> dict[str, Any]:
        """§2 (L101-L139): ``seq`` is the send time, or the last successful face-op seq."""
        now = self._now()
        with self._lock:
            seq = self._confirm_seq if self._confirm_seq is not None else now
            self._confirm_seq = None
            return {
                "app_version": self.app_version,
                "cid": self.cid,
                "seq": seq,
                "uptime": self._uptime,
                "type": HEARTBEAT,
            }

    async def _heartbeat_slot(self, *, periodic: bool = False) -> int | None:
        """Send what the heartbeat slot carries and process the reply; return the status.

        A periodic slot that became not due while it waited for the line (a
        ``heartbeat_now`` went first) is skipped and returns ``None``.
        """
        assert self._send_lock is not None
        assert self._wake is not None
        async with self._send_lock:
            if periodic and asyncio.get_running_loop().time() < self._next_heartbeat:
                return None
            with self._lock:
                pending = self._pending_results.popleft() if self._pending_results else None
            if pending is not None:
                body = dict(pending, time=self._now())
            else:
                body = self._heartbeat_body()
                with self._lock:
                    self._heartbeat_count += 1
            status, reply = await self._post(body)
            if body["type"] == HEARTBEAT:
                if status == 200:
                    await self._process_heartbeat_reply(reply)
                elif status != 0:
                    self._violation(
                        f"heartbeat answered {status}: the tablet does not read the body (L67-L73)"
                    )
            else:
                self._check_quiet_reply(f"type {body['type']}", status, reply)
            self._schedule_next_heartbeat()
            self._first_heartbeat.set()
        return status

    def _schedule_next_heartbeat(self) -> None:
        assert self._wake is not None
        self._next_heartbeat = asyncio.get_running_loop().time() + self.time_interval
        self._wake.set()

    # -------------------------------------------------------------- replies

    def _parse_reply(self, answered: str, reply: bytes) -> dict[str, Any] | None:
        """Parse a 200 reply body; ``None`` when empty. Non-objects are violations."""
        if not reply.strip():
            return None
        try:
            parsed = json.loads(reply)
        except ValueError:
            self._violation(f"reply to {answered} is not JSON: {reply[:60]!r}")
            return None
        if not isinstance(parsed, dict):
            self._violation(f"reply to {answered} is not a JSON object: {reply[:60]!r}")
            return None
        return parsed

    def _check_quiet_reply(self, answered: str, status: int, reply: bytes) -> None:
        """Flag a command in the reply to anything but a heartbeat (L555-L557, digest E33)."""
        if status != 200:
            return
        parsed = self._parse_reply(answered, reply)
        if parsed:
            self._violation(
                f"command in the reply to {answered} (only heartbeats carry commands):"
                f" {sorted(parsed)}"
            )

    def _check_envelope(self, command: dict[str, Any]) -> list[str]:
        """Flag unknown keys and several commands in one reply; return the command keys."""
        unknown = sorted(key for key in command if key not in _KNOWN_KEYS)
        if unknown:
            self._violation(f"unknown top-level key(s) {unknown}")
        keys = [key for key in command if key in _COMMAND_KEYS]
        if "http_server_port" in command and "http_server_url" not in command:
            keys.append("http_server_port")
        if len(keys) > 1:
            self._violation(f"more than one command in one reply: {keys}")
        return keys

    async def _process_heartbeat_reply(self, reply: bytes) -> None:
        """Apply the command of a heartbeat reply (L75-L87), then send what it asks for."""
        command = self._parse_reply("type 3", reply)
        if not command:
            return
        with self._lock:
            self._commands.append(copy.deepcopy(command))
        _LOGGER.info("tablet %s: command %s", self.cid, sorted(command))
        keys = self._check_envelope(command)
        self._apply_time_interval(command)
        batch: Any = None
        for key in keys:
            value = command.get(key)
            if key == "facelib_manage":
                self._facelib_manage(value)
            elif key == "control":
                await self._control(value)
            elif key == "config":
                await self._config_command(value)
            elif key == "time_set":
                self._time_set(value)
            elif key == "reboot":
                self._reboot()
            elif key == "reupload":
                await self._reupload_command(value)
            elif key == "facelib_batch":
                batch = value
            else:
                _LOGGER.info("tablet %s: ignoring %s", self.cid, key)
        if batch is not None:
            await self._batch_chain(batch)

    def _apply_time_interval(self, command: dict[str, Any]) -> None:
        """§3.2 (L209-L233): the new heartbeat interval, counted from now (L273-L279)."""
        if "time_interval" not in command:
            return
        value = command["time_interval"]
        if not _is_int(value) or value <= 0:
            self._violation(f"time_interval must be a positive int, got {value!r}")
            return
        if self.honour_time_interval:
            with self._lock:
                self._interval = float(value)

    def _check_seq(self, command: str, body: dict[str, Any]) -> int | None:
        """Return the command's int ``seq``; flag a missing, non-int or timestamp-like one."""
        seq = body.get("seq")
        if not _is_int(seq):
            self._violation(f"{command}.seq missing or not an int: {seq!r}")
            return None
        if seq >= SEQ_TIMESTAMP_FLOOR:
            self._violation(
                f"{command}.seq {seq} >= 1e9 could be taken for a heartbeat timestamp (L113)"
            )
        return int(seq)

    # ------------------------------------------------------- face library

    def _facelib_manage(self, body: object) -> None:
        """§3.4 ``facelib_manage``: 1 add/modify, 3 delete listed, 4 delete all, 5 query.

        The result of 1/3/4 is only the next heartbeat's ``seq`` (L89-L95, L473-L477):
        the command's ``seq`` on success, the send time on failure. A command whose
        ``seq`` is not an int is still carried out, but cannot be confirmed.
        """
        if not isinstance(body, dict):
            self._violation(f"facelib_manage is not an object: {body!r}")
            return
        seq = self._check_seq("facelib_manage", body)
        op = body.get("type")
        if op == 5:
            self._queue_query_result()
            return
        try:
            self._facelib_apply(op, body)
        except _FacelibError as err:
            self._facelib_done(seq, op, ok=False, reason=str(err))
            return
        self._facelib_done(seq, op, ok=True, reason="")

    def _facelib_apply(self, op: object, body: dict[str, Any]) -> None:
        """Carry out add/modify (1), delete listed (3) or delete all (4); raise on failure."""
        with self._lock:
            if self._fail_facelib > 0:
                self._fail_facelib -= 1
                raise _FacelibError("failure requested by the test")
        if op == 1:
            self._facelib_add(body)
        elif op == 3:
            self._facelib_delete(body)
        elif op == 4:
            with self._lock:
                self._persons.clear()
        else:
            raise _FacelibError(f"unknown facelib_manage.type {op!r}")

    def _facelib_done(self, seq: int | None, op: object, *, ok: bool, reason: str) -> None:
        if not ok:
            _LOGGER.info(
                "tablet %s: facelib_manage %s seq %s failed: %s", self.cid, op, seq, reason
            )
        with self._lock:
            self._facelib_results.append({"seq": seq, "type": op, "ok": ok, "reason": reason})
            self._confirm_seq = seq if ok else None

    def _facelib_add(self, body: dict[str, Any]) -> None:
        """§3.4 add/modify (L399-L477): the person under ``face``, ``image`` an array."""
        face = body.get("face")
        if not isinstance(face, dict):
            raise _FacelibError("no face object")
        person_id = face.get("id")
        if not isinstance(person_id, str) or not person_id:
            raise _FacelibError("id missing or empty")
        if utf8_len(person_id) > MAX_ID_BYTES:
            raise _FacelibError(f"id longer than {MAX_ID_BYTES} bytes")
        fields = self._person_fields(face, MAX_NAME_BYTES, MAX_CARD_BYTES)
        image: bytes | None = None
        if "image" in face:
            images = face["image"]
            if isinstance(images, str):
                self._violation("facelib_manage face.image must be an array of strings (L419)")
                raise _FacelibError("image is a string, not an array")
            if not isinstance(images, list):
                raise _FacelibError("image is not an array")
            if images:
                try:
                    decoded = [decode_picture(item) for item in images]
                except ValueError as err:
                    raise _FacelibError(str(err)) from err
                image = decoded[0]
        with self._lock:
            existing = self._persons.get(person_id)
            if existing is None:
                if image is None:
                    raise _FacelibError("a new person needs an image (L419-L423)")
                if len(self._persons) >= self.capacity:
                    raise _FacelibError("face library full")
                existing = {"name": "", "card_no": "", "age": 0, "sex": "", "strategy_id": 0}
            person = dict(existing, **fields)
            if image is not None:
                person["image"] = image
            self._persons[person_id] = person

    @staticmethod
    def _person_fields(face: dict[str, Any], max_name: int, max_card: int) -> dict[str, Any]:
        """Validate and map the optional person fields (name, age, sex, strategyId, cardNo)."""
        fields: dict[str, Any] = {}
        for key, field, limit in (("name", "name", max_name), ("cardNo", "card_no", max_card)):
            if key in face:
                text = face[key]
                if not isinstance(text, str):
                    raise _FacelibError(f"{key} is not a string")
                if utf8_len(text) > limit:
                    raise _FacelibError(f"{key} longer than {limit} bytes")
                fields[field] = text
        if "age" in face:
            if not _is_int(face["age"]):
                raise _FacelibError("age is not an int")
            fields["age"] = face["age"]
        if "sex" in face:
            if not isinstance(face["sex"], str):
                raise _FacelibError("sex is not a string")
            fields["sex"] = face["sex"].strip()
        if "strategyId" in face:
            if not _is_int(face["strategyId"]):
                raise _FacelibError("strategyId is not an int")
            fields["strategy_id"] = face["strategyId"]
        return fields

    def _facelib_delete(self, body: dict[str, Any]) -> None:
        """§3.4 delete listed (L481-L547): ``person_ids`` a comma-separated string, ≤ 20 ids.

        Spaces around ids are tolerated (the document's example has one, L519). The
        document gives one result for the whole command; this simulator deletes every
        listed id it has and succeeds only if it had them all.
        """
        raw = body.get("person_ids")
        if not isinstance(raw, str):
            self._violation(f"person_ids must be a comma-separated string, got {raw!r}")
            raise _FacelibError("person_ids is not a string")
        ids = [part.strip() for part in raw.split(",") if part.strip()]
        if not ids:
            raise _FacelibError("no id in person_ids")
        if len(ids) > MAX_IDS_PER_DELETE:
            self._violation(f"{len(ids)} ids in person_ids (at most {MAX_IDS_PER_DELETE})")
            raise _FacelibError("more than 20 ids")
        with self._lock:
            missing = [person_id for person_id in ids if person_id not in self._persons]
            for person_id in ids:
                self._persons.pop(person_id, None)
        if missing:
            raise _FacelibError(f"unknown id(s) {missing}")

    def _queue_query_result(self) -> None:
        """§3.4 query (L281-L393): the list rides the next heartbeat slot as ``type`` 4."""
        with self._lock:
            faces = [
                {
                    "person_id": person_id,
                    "person_name": person["name"],
                    "age": person["age"],
                    "sex": person["sex"],
                    "strategyId": person["strategy_id"],
                    "cardNo": person["card_no"],
                }
                for person_id, person in self._persons.items()
            ]
            self._pending_results.append(
                {
                    "cid": self.cid,
                    "type": QUERY_RESULT,
                    "time": 0,
                    "total_face": len(faces),
                    "face": faces,
                }
            )

    # ----------------------------------------------------------------- batch

    async def _batch_chain(self, batch: object) -> None:
        """§7 (L1359-L1375): apply a chunk, POST ``type`` 9 at once, repeat on each reply.

        The chain ends at a reply without ``facelib_batch``; the tablet then goes back to
        its heartbeat interval.
        """
        while True:
            results = self._apply_batch(batch)
            body = {
                "cid": self.cid,
                "type": BATCH_RESULT,
                "time": self._now(),
                "facelib_batch": {"resultList": results},
            }
            status, reply = await self._post(body)
            if status != 200:
                return
            command = self._parse_reply("type 9", reply)
            if not command:
                return
            with self._lock:
                self._commands.append(copy.deepcopy(command))
            others = sorted(key for key in command if key not in ("facelib_batch", "time_interval"))
            if others:
                self._violation(
                    f"the reply to type 9 may only carry facelib_batch, got {sorted(command)}"
                )
            self._apply_time_interval(command)
            if "facelib_batch" not in command:
                return
            batch = command["facelib_batch"]

    def _apply_batch(self, batch: object) -> list[dict[str, Any]]:
        """Apply one ``facelib_batch`` chunk; return its ``resultList`` (L1503-L1555)."""
        persons = batch.get("personList") if isinstance(batch, dict) else None
        if not isinstance(persons, list):
            self._violation(f"facelib_batch without a personList array: {batch!r}"[:200])
            return []
        if len(persons) > MAX_BATCH_PERSONS:
            self._violation(
                f"{len(persons)} persons in one facelib_batch (at most {MAX_BATCH_PERSONS});"
                " the tablet handles only the first 20"
            )
            persons = persons[:MAX_BATCH_PERSONS]
        results: list[dict[str, Any]] = []
        for entry in persons:
            person_id = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(person_id, str) or not person_id:
                # "except for the failure to parse the personnel id field" (L1377-L1379).
                continue
            op = entry.get("operType")
            results.append(
                {"operType": op, "id": person_id, "result": self._batch_person(op, entry)}
            )
        return results

    def _batch_person(self, op: object, entry: dict[str, Any]) -> int:
        """One batch person: ``operType`` 1 add/modify (``image`` a string) or 3 delete."""
        person_id = str(entry["id"])
        if utf8_len(person_id) > MAX_ID_BYTES:
            return BATCH_BAD_PARAMETER
        if op == 3:
            with self._lock:
                return BATCH_OK if self._persons.pop(person_id, None) is not None else BATCH_FAILED
        if op != 1:
            return BATCH_BAD_PARAMETER
        try:
            fields = self._person_fields(entry, MAX_BATCH_NAME_BYTES, MAX_BATCH_CARD_BYTES)
        except _FacelibError:
            return BATCH_BAD_PARAMETER
        # "The id, strategyId and image ... are required fields when importing" (L1385).
        if "strategyId" not in entry:
            return BATCH_BAD_PARAMETER
        image: bytes | None = None
        if "image" in entry:
            raw = entry["image"]
            if isinstance(raw, list):
                self._violation("facelib_batch image must be a string, not an array (L1425-L1429)")
                return BATCH_BAD_PARAMETER
            try:
                image = decode_picture(raw)
            except ValueError:
                return BATCH_BAD_PICTURE
        with self._lock:
            existing = self._persons.get(person_id)
            if existing is None:
                if image is None:
                    return BATCH_BAD_PARAMETER
                if len(self._persons) >= self.capacity:
                    return BATCH_POOL_FULL
                existing = {"name": "", "card_no": "", "age": 0, "sex": "", "strategy_id": 0}
            person = dict(existing, **fields)
            if image is not None:
                person["image"] = image
            self._persons[person_id] = person
        return BATCH_OK

    # ------------------------------------------------------ control, config

    async def _control(self, body: object) -> None:
        """§12 (L2347-L2419): ``opType`` 1 switches the relay; ``type`` 12 is POSTed at once.

        The document does not say when the result is sent; like the other results of
        immediate actions (§7, §9) it goes at once. ``seq`` is left out when it could not
        be parsed (L2395-L2399), with errcode 1 ("Input error").
        """
        body = body if isinstance(body, dict) else {}
        seq = self._check_seq("control", body)
        result: dict[str, Any] = {}
        if seq is not None:
            result["seq"] = seq
        if seq is None or body.get("opType") != 1:
            result["errcode"] = 1
        elif self.door_fails:
            result["errcode"] = 2
        else:
            with self._lock:
                self._unlock_count += 1
            _LOGGER.info("tablet %s: relay switched (door opened)", self.cid)
            result["errcode"] = 0
        await self._post_result(CONTROL_RESULT, {"control": result})

    async def _config_command(self, body: object) -> None:
        """§9 (L1715-L2251): ``opType`` 1 queries, ``opType`` 0 sets.

        The query result rides the next heartbeat slot (L2143). The set result is POSTed
        at once, as its own section says (L2075-L2077), not "at the next heartbeat"
        (L1723-L1725). A set merges the sections given; ``misc`` is read-only and ignored,
        and keys a section does not have are ignored. A bad ``seq``, ``opType``, section or
        value answers errcode 1 and changes nothing.
        """
        body = body if isinstance(body, dict) else {}
        op = body.get("opType")
        if op == 1:
            with self._lock:
                self._pending_results.append(
                    {
                        "cid": self.cid,
                        "type": CONFIG_RESULT,
                        "time": 0,
                        "config": copy.deepcopy(self._config),
                    }
                )
            return
        seq = self._check_seq("config", body)
        result: dict[str, Any] = {}
        if seq is not None:
            result["seq"] = seq
        errcode = 0 if seq is not None and op == 0 else 1
        updates: dict[str, dict[str, int | float]] = {}
        for section in _SETTABLE_SECTIONS:
            if errcode or section not in body:
                continue
            values = body[section]
            if not isinstance(values, dict) or not all(_is_number(v) for v in values.values()):
                errcode = 1
                continue
            updates[section] = {
                key: value for key, value in values.items() if key in _DEFAULT_CONFIG[section]
            }
        if errcode == 0 and (self.config_fails or not self._config_in_range(updates)):
            errcode = 2  # "configuration failed" (L2095-L2103)
        if errcode == 0:
            with self._lock:
                for section, values in updates.items():
                    self._config[section].update(values)
        result["errcode"] = errcode
        await self._post_result(CONFIG_RESULT, {"config": result})

    def set_config(self, section: str, **values: int | float) -> None:
        """Change §9 parameters of ``section`` as the tablet's web page would, unchecked."""
        with self._lock:
            self._config[section].update(values)

    def set_reupload(self, mode: int, reupload_time: str | None = None) -> None:
        """Set the §6 retransmission mode (and time) as the tablet's web page would."""
        with self._lock:
            self._reupload["mode"] = mode
            if reupload_time is not None:
                self._reupload["reupload_time"] = reupload_time
        if self._reupload_wake is not None:
            self._engine.call_soon(self._reupload_wake.set)

    async def _reupload_command(self, body: object) -> None:
        """§6 (L1179-L1301): ``type`` 1 sets the mode and time, ``type`` 2 queries them.

        Both answer with a ``type`` 8 at once: the set "immediately" (L1221-L1225), the
        query when not stated, so the same. A set with a bad ``seq``, ``mode`` (1 or 2) or
        ``reupload_time`` ("h:m:s") answers errcode 1 and changes nothing.
        """
        body = body if isinstance(body, dict) else {}
        if body.get("type") == 2:
            with self._lock:
                result = {**self._reupload, "recordes_num": len(self._failed)}  # sic, L1297
            await self._post_result(REUPLOAD_RESULT, {"reupload": result})
            return
        seq = self._check_seq("reupload", body)
        mode, when = body.get("mode"), body.get("reupload_time")
        valid = seq is not None and body.get("type") == 1 and mode in (1, 2)
        valid = valid and isinstance(when, str) and _is_clock(when)
        if valid:
            self.set_reupload(int(mode), when)  # type: ignore[arg-type]
        reply: dict[str, Any] = {"errcode": 0 if valid else 1}
        if seq is not None:
            reply = {"seq": seq, **reply}
        await self._post_result(REUPLOAD_RESULT, {"reupload": reply})

    @staticmethod
    def _config_in_range(updates: dict[str, dict[str, int | float]]) -> bool:
        """Tell whether a set's values are within the document's ranges (``_CONFIG_RANGES``)."""
        for section, values in updates.items():
            for key, value in values.items():
                limits = _CONFIG_RANGES.get((section, key))
                if limits is not None and not limits[0] <= value <= limits[1]:
                    return False
        return True

    async def _post_result(self, kind: int, payload: dict[str, Any]) -> None:
        body = {"cid": self.cid, "type": kind, "time": self._now(), **payload}
        status, reply = await self._post(body)
        self._check_quiet_reply(f"type {kind}", status, reply)

    def _time_set(self, body: object) -> None:
        """§3.3 (L237-L265): set the clock (``time_stamp`` UTC s) and ``time_zone`` (s)."""
        stamp = body.get("time_stamp") if isinstance(body, dict) else None
        if not _is_int(stamp):
            self._violation(f"time_set.time_stamp must be an int: {body!r}")
            return
        assert isinstance(body, dict)
        assert isinstance(stamp, int)
        with self._lock:
            self._clock_offset = stamp - time.time()
            zone = body.get("time_zone")
            if _is_int(zone):
                self._time_zone = zone

    def _reboot(self) -> None:
        """§11 (L2335-L2341): restart. No ack; later heartbeats carry a new ``uptime``.

        Results waiting for the next heartbeat are lost with the RAM.
        """
        with self._lock:
            self._uptime = max(self._now(), self._uptime + 1)
            self._pending_results.clear()
            self._confirm_seq = None
            self._reboot_count += 1
        _LOGGER.info("tablet %s: rebooted", self.cid)

    # --------------------------------------------------------------- records

    def push_record(
        self,
        person_id: str | None = None,
        *,
        person_type: int | None = None,
        temperature: float | None = 36.5,
        facemask: int | None = 1,
        confidence: float | None = None,
        picture: bytes | None = None,
        time: int | None = None,
    ) -> int:
        """POST a ``type`` 1 snapshot record (§4, L549-L653); return the HTTP status.

        Sent with ``Expect: 100-continue`` (L559-L571), the person fields nested in
        ``result`` as in the document's example (L629-L647). ``person_type`` defaults to
        1 (recognized) with a ``person_id`` and 0 (stranger) without; the name, age and
        sex come from the enrolled person. ``temperature`` is in °C, rounded to 0.1, and
        sent in °F when ``config.temperature.unit`` is 1. ``temperature``/``facemask``
        ``None``, or detection disabled in the config, leave the field out. With
        ``face_cap.upload_mode`` 1 a stranger is not uploaded (L1859-L1865) and 0 is
        returned, as for a POST without HTTP answer. A record not answered 200 is kept
        for retransmission (§6).
        """
        if person_type is None:
            person_type = PERSON_TYPE_RECOGNIZED if person_id is not None else PERSON_TYPE_STRANGER
        with self._lock:
            person = self._persons.get(person_id) if person_id is not None else None
            config = copy.deepcopy(self._config)
        if person_type == PERSON_TYPE_STRANGER and config["face_cap"]["upload_mode"] == 1:
            _LOGGER.info("tablet %s: stranger not uploaded (upload_mode 1)", self.cid)
            return 0
        if confidence is None:
            confidence = 0.93 if person_type == PERSON_TYPE_RECOGNIZED else 0.0
        if picture is None:
            if person is not None and sniff_format(person["image"]) == "jpeg":
                picture = person["image"]
            elif person_id is not None:
                picture = make_jpeg(variant=_variant(person_id))
            else:
                picture = DEFAULT_STRANGER_JPEG
        result: dict[str, Any] = {
            "person_id": person_id or "",
            "person_name": person["name"] if person else "",
            "age": person["age"] if person else 0,
            "sex": person["sex"] if person else "",
            "confidence": confidence,
            "person_type": person_type,
        }
        if temperature is not None and config["temperature"]["enable"]:
            value = temperature * 9 / 5 + 32 if config["temperature"]["unit"] == 1 else temperature
            result["temperature"] = round(value, 1)
        if facemask is not None and config["facemask"]["enable"]:
            result["facemask"] = facemask
        body = {
            "cid": self.cid,
            "type": RECORD,
            "time": time if time is not None else self._now(),
            "faces": [_b64(picture)],
            "result": result,
        }
        if not self.running:
            # Not connected: like a tablet that cannot reach its server, keep it for later.
            self._keep_failed(body)
            return 0
        return self._call(self._push_record(body))

    def push_stranger(self, **kwargs: Any) -> int:
        """POST a stranger record (``person_type`` 0, no person); see ``push_record``."""
        kwargs.setdefault("person_type", PERSON_TYPE_STRANGER)
        return self.push_record(None, **kwargs)

    def push_capture(self, person_id: str | None = None, **kwargs: Any) -> int:
        """POST an interval capture (``person_type`` 2, L603); see ``push_record``."""
        kwargs["person_type"] = PERSON_TYPE_CAPTURE
        return self.push_record(person_id, **kwargs)

    async def _push_record(self, body: dict[str, Any]) -> int:
        assert self._send_lock is not None
        assert self._reupload_wake is not None
        with self._lock:
            self._last_record = time.monotonic()
        async with self._send_lock:
            status, reply = await self._post(body, expect100=True)
            self._check_quiet_reply("type 1", status, reply)
        if status != 200:
            self._keep_failed(body)
        return status

    def _keep_failed(self, body: dict[str, Any]) -> None:
        """§6 (L1153-L1157): keep up to 2,000 failed records, dropping the oldest."""
        with self._lock:
            self._failed.append(body)
        if self._reupload_wake is not None:  # None before start: nothing to wake
            self._reupload_wake.set()

    def resend_failed(self) -> int:
        """Re-send kept records, oldest first, with their original ``time`` (L1175-L1177).

        As in §6 mode 2, it stops at the first failure (that record stays first in line)
        or when a new record is pushed meanwhile. Returns how many were accepted.
        """
        return self._call(self._resend_failed())

    async def _resend_failed(self) -> int:
        assert self._send_lock is not None
        with self._lock:
            started = self._last_record
        accepted = 0
        while True:
            async with self._send_lock:
                with self._lock:
                    if not self._failed or self._last_record != started:
                        return accepted
                    body = self._failed[0]
                status, reply = await self._post(body, expect100=True)
                self._check_quiet_reply("type 1", status, reply)
                if status != 200:
                    return accepted
                with self._lock:
                    if self._failed and self._failed[0] is body:
                        self._failed.popleft()
                    self._resent_count += 1
                accepted += 1

    async def _reupload_loop(self) -> None:
        """§6 mode 2: after ``reupload_idle`` s without a new record, re-send the kept ones.

        After a failed attempt it waits another idle period ("wait for the next try").
        """
        assert self._reupload_wake is not None
        assert self.reupload_idle is not None
        idle = self.reupload_idle
        tried_at = 0.0
        while True:
            with self._lock:
                # Mode 1 re-sends only at ``reupload_time`` (L1161-L1165), not simulated.
                has_failed = bool(self._failed) and self._reupload["mode"] == REUPLOAD_IDLE
                since = max(self._last_record, tried_at)
            if not has_failed:
                self._reupload_wake.clear()
                await self._reupload_wake.wait()
                continue
            delay = since + idle - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            await self._resend_failed()
            tried_at = time.monotonic()

    def push_door_alarm(self) -> int:
        """POST a door-sensor alarm (§13, L2421-L2455): ``alarm`` only, no ``cid``/``type``."""
        body = {
            "alarm": {
                "seq": next(self._alarm_seqs),
                "time": self._now(),
                "alarmtype": 1,
                "alarmdata": "",
            }
        }

        async def _send() -> int:
            assert self._send_lock is not None
            async with self._send_lock:
                status, reply = await self._post(body)
                self._check_quiet_reply("the alarm", status, reply)
            return status

        if not self.running:
            return 0  # not connected: an alarm is not kept (§6 re-sends records only)
        return self._call(_send())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _variant(person_id: str) -> int:
    """Return a stable drawing variant per person id (``hash`` changes between runs)."""
    return zlib.crc32(person_id.encode("utf-8")) % 25


def _is_clock(value: str) -> bool:
    """Tell whether ``value`` is an "h:m:s" time of day (L1193)."""
    parts = value.split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return False
    hour, minute, second = (int(part) for part in parts)
    return hour < 24 and minute < 60 and second < 60
