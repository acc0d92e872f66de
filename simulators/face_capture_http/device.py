"""A simulated Huaan face-capture terminal speaking the vendor's "Face Capture Http API".

Source: "Face Capture Http API" v0.37 (``shared/seeds/face-capture-http-v0.37.txt``;
"L123" is a line of that file, "digest §n" a section of its engineering digest
``shared/protocols/face_capture_http.md``) and, for what real devices add, section 2 of
``shared/protocols/field-notes.md``: HTTP Basic authentication on port 8000, the root path
``/``, ``"version": "0.42"`` in the device's own messages.

The terminal plays the document's three roles (L62-L101) at once:

1. **Device as server** (L65-L76): an aiohttp server on ``host``:``port`` that demands HTTP
   Basic and answers one JSON command per POST at ``path``.
2. **Device as data client** (L78-L85): once ``upload_info`` names an HTTP URL it POSTs
   every ``face`` record there, oldest first, and re-sends the oldest until it gets the
   ACK of L1625-L1701 (``code`` 0, the same ``sequence_no``, a byte-identical
   ``cap_time``); the records behind it wait. Between records it POSTs ``heart beat``.
3. **Device as configuration client** (L87-L101): once ``extranet`` is enabled in http
   mode it long-polls that URL with ``heart beat``; the command in a response is executed
   like a server-mode command and its result, with the caller's ``command_id``, is the
   body of the next request. It waits 15 s for a response (L93, L97).

Everything runs on one asyncio loop in a thread of its own (``simulators.loop_thread``);
every public method is synchronous and thread-safe, and never blocks on the network
except ``start`` (see there) and ``wait_acked``. What the platform does that the
document forbids is recorded in ``protocol_violations``; how well it holds long polls is
counted in ``quick_acks`` and ``dropped_polls``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import deque
from collections.abc import Callable, Mapping
import contextlib
import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
import itertools
import json
import logging
import threading
import time
from typing import Any, Final
from urllib.parse import urlsplit
import zlib

import aiohttp
from aiohttp import web

from simulators.base import LockedCopy, itself, rows, utf8_len
from simulators.http_device import HttpDeviceSimulator
from simulators.images import make_jpeg, make_scene, sniff_format
from simulators.temperature_http import decode_picture

from .activity import FaceCaptureActivity

_LOGGER = logging.getLogger(__name__)

VERSION: Final = "0.42"
"""``version`` of the device's own messages: what real devices send (field notes §2.2)."""
DEFAULT_SERIAL: Final = "000001-000002-0000BC"
"""The ``device_sn`` of the document's examples (L1339)."""
DEFAULT_SCENE_JPEG: Final[bytes] = make_scene()
"""What ``snapshot`` answers with."""

# Error / reply codes (L280-L310, digest §6.2).
CODE_OK: Final = 0
CODE_NO_SERVICE: Final = 2
CODE_ILLEGAL: Final = 3
CODE_FULL: Final = 20
CODE_EXISTS: Final = 21
CODE_MISSING: Final = 22
CODE_BAD_IMAGE: Final = 35
CODE_IMAGE_TOO_LARGE: Final = 36
APP_PARAMS_REFUSED_CODE: Final = CODE_NO_SERVICE
"""What ``request``/``update app params`` answer with ``refuse_app_params`` (firmware that
is configured otherwise, e.g. with ``set params``, field notes §2.2)."""

# ``match_failed_reson`` (L1359-L1361, digest §6.6).
REASON_RESTRICTED: Final = -2
REASON_EXPIRED: Final = -3
REASON_SCHEDULE: Final = -4
REASON_HOLIDAY: Final = -5
REASON_TEMPERATURE: Final = -6
REASON_MASK: Final = -7
REASON_HELMET: Final = -8
REASON_CARD_UNKNOWN: Final = -9
REASON_ID_MISMATCH: Final = -10
REASON_UNAUTHORIZED: Final = -11
DENIAL_REASONS: Final = frozenset(range(-11, -1))

MAX_ID_BYTES: Final = 19
"""L541-L543: person ``id``."""
MAX_NAME_BYTES: Final = 63
"""L553-L557: ``name`` of ``upload person``, in bytes."""
MAX_JPG_NAME_BYTES: Final = 15
"""L1057, L1146: ``name`` of ``add person jpg`` / ``update person jpg``."""
MAX_CUSTOMER_TEXT_BYTES: Final = 68
"""L601: ``customer_text``."""
MAX_PAGE_SIZE: Final = 20
"""L361-L363: ``page_size`` of ``request persons``."""
MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
"""L305, L668: a registration picture over 10 MB is code 36."""
MAX_SERVICE_URL: Final = 102
"""L1898: ``service_url`` is shorter than 102 characters."""
POLL_TIMEOUT: Final = 15.0
"""L93, L97: how long the configuration client waits for a response."""
QUICK_ACK: Final = 1.0
"""A long poll ACKed sooner than this (s) was not held (L99): ``quick_acks``."""

_DATE_TIME: Final = "%Y/%m/%d %H:%M:%S"
_MAX_WG_CARD: Final = 2**32 - 1
_MAX_LONG_CARD: Final = 2**64 - 1
_UPLOAD_METHODS: Final = ("http", "tcp", "ftp", "webservice", "none")
_CTRL_MODES: Final = ("test", "force", "scene")
_FLAG_FIELDS: Final = (
    (0x1, ("name",)),
    (0x2, ("role",)),
    (0x4, ("wg_card_id", "long_card_id")),
    (0x8, ("term",)),
    (0x10, ("term_start",)),
    (0x20, ("kind",)),
    (0x40, ("customer_text",)),
    (0x80 | 0x100, ("image",)),
)
"""``update_flags`` (L181-L263, digest §6.3): which fields each bit lets through."""

_REPLY_CMD: Final = {"gpio control": " gpio control", "update person jpg": "update person"}
"""The replies whose ``cmd`` the document prints differently from the request (L2858,
L1242): the simulator answers so, to keep platforms comparing ``cmd.strip()`` and
accepting both names (digest §8 items 15 and 40)."""

_HARDWARE: Final[dict[str, dict[str, Any]]] = {
    "Board": {"manu": "FSAN", "model": "FSAN_01"},
    "Chip": {"manu": "HISI", "model": "HI3516DV300"},
    "Flash": {"manu": "MXIC", "model": "MX25L25645G", "size": 32},
    "FourG": {"moduler_4g": "NO"},
    "Lcd": {"manu": "BOE", "model": "BOE-8", "support": ["BOE-8"]},
    "Motor": {"manu": "", "model": "", "type": ""},
    "Sensor": {"manu": "SONY", "model": "IMX327"},
    "WIFI": {"manu": "", "model": ""},
}
"""``get hardware info`` (L3896-L3975): capitalised keys as the document prints them."""


def _default_params(device_no: str, addr_no: str, addr_name: str) -> dict[str, Any]:
    """Return the application parameters of a device fresh from the factory (L1839-L2126)."""
    return {
        "device_info": {"device_no": device_no, "addr_no": addr_no, "addr_name": addr_name},
        "extranet": {"enable": False},
        "upload_info": {"method": "none"},
        "face": {
            "enable_match": True,
            "match_score": 80,
            "pic_form": "closeup",
            "body_temperature": {
                "enable": True,
                "limit": 37.3,
                "correction_value": 0.0,
                "fahrenheit_unit": False,
            },
            "mask": {"enable": True, "must_wear_mask": False, "no_mask_alarm": False},
        },
        "gate_control": {
            "output_mode": "gpio",
            "gate_mode": 1,
            "match_mode": 1,
            "gpio_state": 0,
            "gpio_retention_time": 1000,
        },
        "qr_code_control": {"enable": True, "repeat_interval": 5},
        "name_list": {"auto_clean": False},
    }


class CommandError(Exception):
    """A command failed with ``code``; ``desc`` and ``fields`` go into the reply."""

    def __init__(self, code: int, desc: str | None = None, **fields: Any) -> None:
        """Fail with ``code`` (digest §6.2), a ``desc`` text and extra reply fields."""
        super().__init__(desc or f"code {code}")
        self.code = code
        self.fields = dict(fields, desc=desc) if desc else fields


@dataclass
class _Exchange:
    """How one POST of the device went."""

    status: int
    """HTTP status; 0 without an HTTP answer."""
    body: bytes
    elapsed: float
    error: str | None = None
    """``"timeout"``, ``"refused"`` (no connection), ``"dropped"`` (closed unanswered)."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _dict_list(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy a list of records, each record too (the ``copy`` of a ``LockedCopy``)."""
    return [dict(item) for item in items]


def _variant(person_id: str) -> int:
    """Return a stable drawing variant per person id (``hash`` changes between runs)."""
    return zlib.crc32(person_id.encode("utf-8")) % 25


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _url_of(section: Mapping[str, Any], path_key: str) -> str:
    """Return the URL that ``upload_info`` / ``extranet`` name (digest §2.1, L48).

    ``server_ip`` wins over ``server_domain``; an ``https://`` prefix on either means
    HTTPS. The document's path example has no leading ``/`` (``face.php``, L1898): the
    device adds one.
    """
    host = str(section.get("server_ip") or section.get("server_domain") or "")
    scheme = "http"
    for prefix in ("https://", "http://"):
        if host.lower().startswith(prefix):
            scheme, host = prefix[:-3], host[len(prefix) :]
    path = str(section.get(path_key) or "")
    if not path.startswith("/"):
        path = "/" + path
    return f"{scheme}://{host}:{section.get('server_port')}{path}"


def _section_of_url(url: str, path_key: str) -> dict[str, Any]:
    """Split a URL into ``server_ip``, ``server_port`` and ``path_key`` (the path)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname if parts.scheme == "http" else f"https://{parts.hostname}"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return {"server_ip": host, "server_port": port, path_key: path}


def _text(body: Mapping[str, Any], key: str, limit: int, person_id: object) -> str:
    """Return the string ``body[key]`` of at most ``limit`` UTF-8 bytes; else code 3."""
    value = body[key]
    if not isinstance(value, str):
        raise CommandError(CODE_ILLEGAL, f"{key} is not a string", id=person_id)
    if utf8_len(value) > limit:
        raise CommandError(
            CODE_ILLEGAL, f"{key} is {utf8_len(value)} bytes, over {limit}", id=person_id
        )
    return value


def _date_or(value: object, sentinels: tuple[str, ...]) -> bool:
    """Tell whether ``value`` is one of ``sentinels`` or a ``YYYY/MM/DD HH:MM:SS`` date."""
    if not isinstance(value, str):
        return False
    if value in sentinels:
        return True
    try:
        datetime.strptime(value, _DATE_TIME)
    except ValueError:
        return False
    return True


def _picture(text: object, person_id: object, formats: tuple[str, ...]) -> bytes:
    """Decode a registration picture: raw base64 of a JPEG (or PNG) file (L571-L577).

    The document never shows a ``data:`` prefix, so one is a decoding failure (code 35),
    like anything that is not a picture of ``formats``; over 10 MB is code 36.
    """
    if not isinstance(text, str) or text.lstrip()[:5].lower() == "data:":
        raise CommandError(CODE_BAD_IMAGE, "image is not raw base64", id=person_id)
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as err:
        raise CommandError(CODE_BAD_IMAGE, f"image is not base64: {err}", id=person_id) from err
    if len(data) > MAX_IMAGE_BYTES:
        raise CommandError(CODE_IMAGE_TOO_LARGE, "image over 10 MB", id=person_id)
    if sniff_format(data) not in formats:
        raise CommandError(CODE_BAD_IMAGE, f"image is not {'/'.join(formats)}", id=person_id)
    try:
        decode_picture(_b64(data))
    except ValueError as err:
        raise CommandError(CODE_BAD_IMAGE, str(err), id=person_id) from err
    return data


class FaceCaptureSimulator(HttpDeviceSimulator):
    """One Huaan face-capture terminal: HTTP server, data client and configuration client.

    Observable state for tests (each a thread-safe snapshot): ``persons``,
    ``unlock_count``, ``door_openings``, ``wipe_flags``, ``commands``, ``app_params``,
    ``upload_url``, ``poll_url``, ``queued``, ``acked``, ``resend_count``,
    ``ack_problems``, ``sent``, ``heartbeat_count``, ``poll_count``, ``poll_results``,
    ``quick_acks``, ``dropped_polls``, ``poll_timeouts``, ``protocol_violations``,
    ``auth_failures``, ``reboot_count``, ``rebooting``, ``history``, ``volume``,
    ``param_updates``.

    Every record is also kept in ``history`` with its ``upload_state`` (0 until ACKed),
    which ``request records`` (2.2.2) answers from. ``reboot`` makes the device quiet for
    ``reboot_seconds`` (no server, no posts, no polls); its records and settings survive.
    """

    kind = "face_capture"
    label = "face capture"
    client_max_size = MAX_IMAGE_BYTES * 2
    posts_to_webhook = True
    has_door = True
    activity = FaceCaptureActivity
    content_type: str = "application/json; charset=utf-8"
    """The ``Content-Type`` of the device's own POSTs (L72)."""

    def __init__(
        self,
        serial: str = DEFAULT_SERIAL,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        path: str = "/",
        user: str | None = "admin",
        password: str = "admin",
        upload_url: str | None = None,
        poll_url: str | None = None,
        old_firmware: bool = False,
        refuse_app_params: bool = False,
        heartbeat_interval: float | None = 30.0,
        resend_interval: float = 1.0,
        poll_timeout: float = POLL_TIMEOUT,
        poll_pause: float = 0.2,
        timeout: float = 10.0,
        capacity: int = 10000,
        device_no: str = "0001",
        addr_no: str = "0001",
        addr_name: str = "Main entrance",
        reboot_seconds: float = 2.0,
    ) -> None:
        """Configure the terminal; nothing listens or sends until ``start()``.

        ``port`` None picks a free port now (``port`` says which). ``user`` None turns
        HTTP Basic off. ``upload_url`` / ``poll_url`` set ``upload_info`` / ``extranet``
        as ``configure_url`` / ``configure_poll_url`` do. ``old_firmware``: a device from
        before 2020-08-21, which answers ``upload person`` (L657) and ``request records``
        with code 2.
        ``refuse_app_params``: ``request``/``update app params`` answer
        ``APP_PARAMS_REFUSED_CODE``. ``heartbeat_interval``: seconds between ``heart
        beat`` POSTs to the upload URL (None: off; the document gives no period).
        ``resend_interval``: pause before a record is re-sent. ``poll_timeout``: how long
        a long poll waits (L97). ``poll_pause``: pause after a poll answered at once or
        dropped, so that a platform that does either cannot spin the test host (the real
        device reconnects at once, L99). ``timeout`` bounds every other POST.
        ``reboot_seconds``: how long a ``reboot`` keeps the device quiet.
        """
        self._init_http(
            serial,
            engine=f"face-capture-sim-{serial}",
            host=host,
            port=port,
            user=user,
            password=password,
            timeout=timeout,
        )
        self.path = path
        self.old_firmware = old_firmware
        self.refuse_app_params = refuse_app_params
        self.heartbeat_interval = heartbeat_interval
        self.resend_interval = resend_interval
        self.poll_timeout = poll_timeout
        self.poll_pause = poll_pause
        self.capacity = capacity
        self.reboot_seconds = reboot_seconds

        self._params = _default_params(device_no, addr_no, addr_name)
        self._persons: dict[str, dict[str, Any]] = {}
        self._clock_offset = 0.0
        self._sequence = itertools.count(1)
        self._queue: deque[dict[str, Any]] = deque()
        self._history: list[dict[str, Any]] = []
        self._param_updates: list[list[str]] = []
        self._volume = 50
        self._rebooting = False
        self._acked: list[int] = []
        self._attempts: dict[int, int] = {}
        self._resend_count = 0
        self._ack_problems: deque[str] = deque(maxlen=100)
        self._sent: deque[dict[str, Any]] = deque(maxlen=200)
        self._door_openings: list[dict[str, Any]] = []
        self._wipe_flags: list[Any] = []
        self._commands: list[str] = []
        self._poll_results: list[dict[str, Any]] = []
        self._heartbeat_count = 0
        self._poll_count = 0
        self._quick_acks = 0
        self._dropped_polls = 0
        self._poll_timeouts = 0
        self._reboot_count = 0
        self._last_status: int | None = None
        self._answered = False
        self._contact = threading.Event()
        # Created on the simulator's own loop, in ``_setup``.
        self._upload_wake: asyncio.Event | None = None
        self._poll_wake: asyncio.Event | None = None
        self._awake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        if upload_url is not None:
            self.configure_url(upload_url)
        if poll_url is not None:
            self.configure_poll_url(poll_url)

    # --------------------------------------------------------------- lifecycle

    @property
    def link(self) -> str:
        """Where the device listens and posts, for log lines."""
        parts = [f"serving {self.url}"]
        if (upload := self.upload_url) is not None:
            parts.append(f"posting to {upload}")
        if (poll := self.poll_url) is not None:
            parts.append(f"polling {poll}")
        return ", ".join(parts)

    def start(self, timeout: float | None = None) -> None:
        """Start listening (and, when configured, posting and polling).

        With an upload URL and heartbeats on, wait until the first heartbeat was
        answered (or failed), at most ``timeout`` s (default: ``timeout`` + 5 s; 0: not
        at all). Raise ``OSError`` when the port cannot be bound.
        """
        self._contact.clear()
        super().start(timeout)
        if self.upload_url is not None and self.heartbeat_interval is not None:
            self._contact.wait(self.timeout + 5.0 if timeout is None else timeout)

    def _client_timeout(self) -> aiohttp.ClientTimeout | None:
        """Return None: each POST sets its own bound, a held poll a longer one."""
        return None

    def _add_routes(self, app: web.Application) -> None:
        """Serve commands POSTed to ``path`` (L65-L76)."""
        app.router.add_post(self.path, self._handle)

    async def _setup(self) -> None:
        """Start serving, then the upload and poll loops (on the device's loop)."""
        self._upload_wake = asyncio.Event()
        self._poll_wake = asyncio.Event()
        self._awake = asyncio.Event()
        self._awake.set()
        with self._lock:
            self._rebooting = False
        await super()._setup()
        # Kept, so that they are not garbage-collected; ``LoopThread.stop`` cancels them.
        self._tasks = [
            asyncio.create_task(self._upload_loop(), name="face-capture-upload"),
            asyncio.create_task(self._poll_loop(), name="face-capture-poll"),
        ]

    async def _teardown(self) -> None:
        """Stop serving; release a ``start`` still waiting for the first heartbeat."""
        await super()._teardown()
        self._contact.set()

    def _wake(self) -> None:
        """Make the upload and poll loops look at the configuration and queue again."""
        for event in (self._upload_wake, self._poll_wake):
            if event is not None:
                self._engine.call_soon(event.set)

    # ----------------------------------------------------------- configuration

    def configure_url(self, url: str) -> None:
        """Post records and heartbeats to ``url``: ``upload_info`` (as the demo does)."""
        section = {"method": "http", **_section_of_url(url, "service_url")}
        with self._lock:
            self._params["upload_info"] = section
        self._wake()

    def configure_poll_url(self, url: str | None) -> None:
        """Long-poll ``url`` for commands: ``extranet`` in http mode (None: off)."""
        section: dict[str, Any] = {"enable": False}
        if url is not None:
            section = {"enable": True, "mode": "http", **_section_of_url(url, "url")}
        with self._lock:
            self._params["extranet"] = section
        self._wake()

    @property
    def upload_url(self) -> str | None:
        """Where records go: ``upload_info`` with method ``http``; None otherwise."""
        with self._lock:
            section = self._params["upload_info"]
            return _url_of(section, "service_url") if section.get("method") == "http" else None

    @property
    def poll_url(self) -> str | None:
        """What the configuration client polls: ``extranet`` enabled in http mode."""
        with self._lock:
            section = self._params["extranet"]
            if section.get("enable") is True and section.get("mode") == "http":
                return _url_of(section, "url")
            return None

    # ------------------------------------------------------- observable state

    persons = LockedCopy(
        "_persons",
        rows,
        "People by id: name, role, kind, wg_card_id, long_card_id, term_start, term,"
        " customer_text, image (bytes or None).",
    )
    app_params = LockedCopy(
        "_params", copy.deepcopy, "The application parameters (``request app params``)."
    )
    unlock_count = LockedCopy(
        "_door_openings", len, "How many times the platform opened the door, by any means."
    )
    door_openings = LockedCopy(
        "_door_openings",
        _dict_list,
        "Each door opening: ``via``, ``port``, ``ctrl_mode``, ``person_id``.",
    )
    wipe_flags = LockedCopy(
        "_wipe_flags", list, "Every ``delete person(s)`` ``flag`` other than -1, in order."
    )
    commands = LockedCopy(
        "_commands", list, "The ``cmd`` (stripped) of every command received, both paths."
    )
    queued = LockedCopy(
        "_queue",
        lambda queue: [record["sequence_no"] for record in queue],
        "``sequence_no`` of the records not yet acknowledged, oldest (being sent) first.",
    )
    acked = LockedCopy("_acked", list, "``sequence_no`` of every acknowledged record, in order.")
    resend_count = LockedCopy(
        "_resend_count", itself, "How many times a record was sent again (no or a wrong ACK)."
    )
    ack_problems = LockedCopy(
        "_ack_problems", list, "Why recent record POSTs did not count as ACKed (last 100)."
    )
    sent = LockedCopy(
        "_sent",
        lambda sent: copy.deepcopy(list(sent)),
        "The last 200 bodies POSTed to the upload URL (records, heartbeats), oldest first.",
    )
    heartbeat_count = LockedCopy(
        "_heartbeat_count", itself, "``heart beat`` POSTs to the upload URL."
    )
    poll_count = LockedCopy(
        "_poll_count", itself, "``heart beat`` POSTs to the poll URL (results not counted)."
    )
    poll_results = LockedCopy(
        "_poll_results", _dict_list, "Every command result POSTed to the poll URL, in order."
    )
    quick_acks = LockedCopy(
        "_quick_acks", itself, "Polls answered with a plain ACK in under 1 s (not held, L99)."
    )
    dropped_polls = LockedCopy(
        "_dropped_polls", itself, "Polls whose connection closed without an answer (L99)."
    )
    poll_timeouts = LockedCopy(
        "_poll_timeouts", itself, "Polls left unanswered for ``poll_timeout`` s (L97)."
    )
    auth_failures = LockedCopy(
        "_auth_failures", itself, "Requests refused with 401 (no or wrong HTTP Basic)."
    )
    reboot_count = LockedCopy("_reboot_count", itself, "``reboot`` commands obeyed.")
    rebooting = LockedCopy("_rebooting", itself, "True while a ``reboot`` keeps it quiet.")
    history = LockedCopy(
        "_history",
        _dict_list,
        "Every record as ``request records`` answers it (with ``upload_state`` and the"
        " private ``epoch``), oldest first.",
    )
    volume = LockedCopy("_volume", itself, "The ``camera volume`` (2.18).")
    param_updates = LockedCopy(
        "_param_updates",
        lambda updates: [list(keys) for keys in updates],
        "The objects each accepted ``update app params`` carried, sorted, in order.",
    )
    last_status = LockedCopy(
        "_last_status", itself, "HTTP status of the last POST (0: no answer; None: none yet)."
    )

    @property
    def connected(self) -> bool:
        """True while running and, when it posts or polls, its last POST was answered."""
        if not self.running:
            return False
        if self.upload_url is None and self.poll_url is None:
            return True
        return self.last_status not in (None, 0)

    @property
    def announcements(self) -> int:
        """Heartbeats sent, to the upload URL and as long polls."""
        with self._lock:
            return self._heartbeat_count + self._poll_count

    @property
    def answered(self) -> bool:
        """True once the platform answered a heartbeat, a record or a poll, or sent a command."""
        with self._lock:
            return self._answered

    def last_unlock_via(self) -> str | None:
        """Return how the last door opening came; None before any.

        ``gpio control (server)``, ``gpio control (long poll)`` or ``gateway_ctrl in a
        face ACK``.
        """
        with self._lock:
            return self._door_openings[-1]["via"] if self._door_openings else None

    def now(self) -> datetime:
        """Return the device's clock (local time, moved by ``update date time``)."""
        with self._lock:
            offset = self._clock_offset
        return datetime.now() + timedelta(seconds=offset)

    def wait_acked(self, sequence_no: int, timeout: float = 10.0) -> bool:
        """Wait until record ``sequence_no`` was acknowledged; return whether it was."""
        return self.wait_for(lambda: sequence_no in self.acked, timeout)

    def set_app_params(self, name: str, obj: Mapping[str, Any]) -> None:
        """Replace the parameter object ``name`` as facedemo would, unchecked (L81)."""
        with self._lock:
            self._params[name] = copy.deepcopy(dict(obj))
        self._wake()

    def drop_backlog(self) -> list[int]:
        """Give up sending the records not yet acknowledged; return their ``sequence_no``.

        They stay in ``history`` with ``upload_state`` 0, so that only ``request records``
        finds them: a device whose upload queue was lost.
        """
        with self._lock:
            dropped = [record["sequence_no"] for record in self._queue]
            self._queue.clear()
        return dropped

    # ------------------------------------------------------------- enrolment

    def add_person(
        self,
        person_id: str,
        name: str = "",
        *,
        picture: bytes | None = None,
        role: int = 1,
        wg_card_id: int = 0,
        customer_text: str = "",
    ) -> dict[str, Any]:
        """Enrol a person directly (as with facedemo), without the platform."""
        person = {
            "name": name,
            "role": role,
            "kind": 0,
            "wg_card_id": wg_card_id,
            "long_card_id": 0,
            "term_start": "useless",
            "term": "forever",
            "customer_text": customer_text,
            "image": picture if picture is not None else make_jpeg(variant=_variant(person_id)),
        }
        with self._lock:
            self._persons[person_id] = person
            return dict(person)

    # -------------------------------------------------------- device as server

    async def _handle(self, request: web.Request) -> web.Response:
        """Answer one command POSTed to the device's own server (L65-L76)."""
        with self._lock:
            rebooting = self._rebooting
        if rebooting and request.transport is not None:
            # Between the answer to ``reboot`` and the server going down: no answer.
            request.transport.close()
            return web.Response(status=503)
        if self.user is not None and not self._basic_ok(request):
            self._refused()
            return web.Response(
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="face capture"'},
                text="401 Unauthorized",
            )
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if chunked or request.content_length is None:
            reason = "chunked request body" if chunked else "request without Content-Length"
            self._violation(f"{reason}: the document demands Content-Length (L114)")
            await request.read()
            return web.json_response(
                {"reply": "ACK", "cmd": "", "code": CODE_ILLEGAL, "desc": f"{reason} refused"},
                status=411,
            )
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        return web.json_response(self._execute(body, "server"), dumps=_dumps)

    def _execute(self, body: object, via: str) -> dict[str, Any]:
        """Run one command (server mode or long poll) and return its reply."""
        cmd = body.get("cmd") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(cmd, str):
            # L148-L149: ``cmd`` is empty when the device could not parse it.
            return {"reply": "ACK", "cmd": "", "code": CODE_ILLEGAL, "device_sn": self.serial}
        cmd = cmd.strip()
        with self._lock:
            self._commands.append(cmd)
            self._answered = True
        reply: dict[str, Any] = {"reply": "ACK", "cmd": cmd, "code": CODE_OK}
        handler = self._handlers().get(cmd, _no_service)
        try:
            reply.update(handler(body, via))
        except CommandError as err:
            reply.update(err.fields, code=err.code)
        reply["cmd"] = _REPLY_CMD.get(cmd, cmd)
        reply["device_sn"] = self.serial
        _LOGGER.debug("face capture %s: %s via %s -> %s", self.serial, cmd, via, reply["code"])
        return reply

    def _handlers(self) -> dict[str, Callable[[dict[str, Any], str], dict[str, Any]]]:
        return {
            "get hardware info": self._hardware_info,
            "request date time": self._request_date_time,
            "update date time": self._update_date_time,
            "gpio control": self._gpio_control,
            "snapshot": self._snapshot,
            "upload person": self._upload_person,
            "add person jpg": self._add_person_jpg,
            "update person jpg": self._update_person_jpg,
            "delete person(s)": self._delete_persons,
            "request persons": self._request_persons,
            "request app params": self._request_app_params,
            "update app params": self._update_app_params,
            "reboot": self._reboot,
            "request records": self._request_records,
            "camera volume": self._camera_volume,
        }

    def _hardware_info(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.13.1 (L3896-L3975)."""
        return copy.deepcopy(_HARDWARE)

    def _request_date_time(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.9.1 (L3065-L3101): the device's local time, no zone."""
        return {"date_time": f"{self.now():{_DATE_TIME}}"}

    def _update_date_time(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.9.2 (L3103-L3140): set the clock from ``YYYY/MM/DD HH:MM:SS``."""
        try:
            wanted = datetime.strptime(body.get("date_time"), _DATE_TIME)  # type: ignore[arg-type]
        except (TypeError, ValueError) as err:
            raise CommandError(CODE_ILLEGAL, f"date_time: {err}") from err
        with self._lock:
            self._clock_offset = (wanted - datetime.now()).total_seconds()
        return {}

    def _gpio_control(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.5 (L2822-L2869): open the door; only ``ctrl_type`` "on".

        The reply's ``cmd`` has the leading space of L2858.
        """
        port, ctrl_type, ctrl_mode = body.get("port"), body.get("ctrl_type"), body.get("ctrl_mode")
        if not _is_int(port) or ctrl_type != "on" or ctrl_mode not in _CTRL_MODES:
            raise CommandError(
                CODE_ILLEGAL, f"port {port!r}, ctrl_type {ctrl_type!r}, ctrl_mode {ctrl_mode!r}"
            )
        self._open_door(
            f"gpio control ({via})", port=port, ctrl_mode=ctrl_mode, person_id=body.get("person_id")
        )
        return {}

    def _open_door(self, via: str, **details: Any) -> None:
        _LOGGER.info("face capture %s: door opened by %s", self.serial, via)
        with self._lock:
            self._door_openings.append({"via": via, **details})

    def _snapshot(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.4 (L2773-L2818): the key ``"image "`` has the trailing space of L2800."""
        return {
            "image ": {
                "format": "jpg",
                "image_data": _b64(DEFAULT_SCENE_JPEG),
                "time_stamp": f"{self.now():{_DATE_TIME}}",
            }
        }

    def _reboot(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.9.3 (L3142-L3177): answer, then go quiet for ``reboot_seconds``."""
        with self._lock:
            self._reboot_count += 1
            self._rebooting = True
        self._tasks.append(asyncio.create_task(self._reboot_cycle(), name="face-capture-reboot"))
        return {}

    async def _reboot_cycle(self) -> None:
        """Stop serving, posting and polling for ``reboot_seconds``; then start again.

        The answer to ``reboot`` leaves first. Records not yet acknowledged, the people and
        the parameters are kept (they are on flash), as is the clock.
        """
        assert self._awake is not None
        self._awake.clear()
        await asyncio.sleep(0.05)
        runner = self._runner
        if runner is not None:
            for site in list(runner.sites):
                await site.stop()
        _LOGGER.info("face capture %s: rebooting", self.serial)
        await asyncio.sleep(self.reboot_seconds)
        if runner is not None and runner is self._runner:
            await web.TCPSite(runner, self.host, self.port).start()
        with self._lock:
            self._rebooting = False
        self._awake.set()
        self._wake()
        _LOGGER.info("face capture %s: back from the reboot", self.serial)

    def _camera_volume(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.18 (L4470-L4532): ``method`` GET reads, SET writes ``volume`` (0-100, ours)."""
        method = body.get("method")
        if method == "GET":
            with self._lock:
                return {"desc": "OK", "volume": self._volume}
        volume = body.get("volume")
        if method != "SET" or not _is_int(volume) or not 0 <= volume <= 100:
            raise CommandError(CODE_ILLEGAL, f"method {method!r}, volume {volume!r}")
        with self._lock:
            self._volume = volume
        return {"desc": "OK"}

    def _request_records(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.2.2 (L1707-L1808): one page (<= 20) of the records matching the conditions.

        ``time_start``/``time_end`` (Unix seconds), ``score_start``/``score_end`` come in
        pairs (L1726-L1733); ``upload_state`` 0/1; ``id`` (exact, or part of it with
        ``fuzzy_flag`` 1). Strangers have no ``id``, ``name`` or ``role`` ("fields that
        failed to compare are absent", L1767). Oldest first. Code 2 on old firmware: the
        query came with 0.38-0.41 (L54-L58), like ``upload person``.
        """
        if self.old_firmware:
            raise CommandError(CODE_NO_SERVICE, "not implemented")
        page_no, page_size = body.get("page_no", 1), body.get("page_size", MAX_PAGE_SIZE)
        if not _is_int(page_no) or page_no < 1:
            raise CommandError(CODE_ILLEGAL, f"page_no {page_no!r}")
        if not _is_int(page_size) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise CommandError(CODE_ILLEGAL, f"page_size {page_size!r} (1-20)")
        conditions: list[Callable[[dict[str, Any]], bool]] = []
        for low_key, high_key, field in (
            ("time_start", "time_end", "epoch"),
            ("score_start", "score_end", "score"),
        ):
            if (low_key in body) != (high_key in body):
                raise CommandError(CODE_ILLEGAL, f"{low_key} and {high_key} go together")
            if low_key in body:
                low, high = body[low_key], body[high_key]
                if not _is_int(low) or not _is_int(high):
                    raise CommandError(CODE_ILLEGAL, f"{low_key}/{high_key} not integers")
                conditions.append(
                    lambda entry, f=field, lo=low, hi=high: lo <= entry.get(f, -1) <= hi
                )
        if "upload_state" in body:
            state = body["upload_state"]
            conditions.append(lambda entry: entry["upload_state"] == state)
        if "id" in body:
            wanted, fuzzy = str(body["id"]), bool(body.get("fuzzy_flag", 0))
            conditions.append(
                lambda entry: wanted in entry.get("id", "") if fuzzy else entry.get("id") == wanted
            )
        with self._lock:
            matching = [dict(entry) for entry in self._history if all(c(entry) for c in conditions)]
        page = matching[(page_no - 1) * page_size :][:page_size]
        for entry in page:
            entry.pop("epoch", None)
        return {"page_no": page_no, "total": len(matching), "count": len(page), "records": page}

    # ------------------------------------------------------------------ people

    def _person_changes(
        self, body: dict[str, Any], *, name_limit: int, roles: Callable[[int], bool]
    ) -> tuple[str, dict[str, Any]]:
        """Check the person fields common to every enrolment; return id and changes."""
        person_id = body.get("id")
        if not isinstance(person_id, str) or not person_id:
            raise CommandError(CODE_ILLEGAL, "id missing", id=person_id)
        if utf8_len(person_id) > MAX_ID_BYTES:
            raise CommandError(
                CODE_ILLEGAL, f"id is {utf8_len(person_id)} bytes, over 19", id=person_id
            )
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = _text(body, "name", name_limit, person_id)
        if "customer_text" in body:
            changes["customer_text"] = _text(
                body, "customer_text", MAX_CUSTOMER_TEXT_BYTES, person_id
            )
        checks: tuple[tuple[str, Callable[[Any], bool]], ...] = (
            ("role", lambda v: _is_int(v) and roles(v)),
            ("kind", lambda v: _is_int(v) and 0 <= v <= 15),
            ("wg_card_id", lambda v: _is_int(v) and 0 <= v <= _MAX_WG_CARD),
            ("long_card_id", lambda v: _is_int(v) and 0 <= v <= _MAX_LONG_CARD),
            ("term_start", lambda v: _date_or(v, ("useless",))),
            ("term", lambda v: _date_or(v, ("forever", "never"))),
        )
        for key, valid in checks:
            if key in body:
                if not valid(body[key]):
                    raise CommandError(CODE_ILLEGAL, f"{key} {body[key]!r}", id=person_id)
                changes[key] = body[key]
        return person_id, changes

    def _store_person(self, person_id: str, changes: dict[str, Any], *, new: bool) -> None:
        with self._lock:
            if new and person_id not in self._persons and len(self._persons) >= self.capacity:
                raise CommandError(CODE_FULL, id=person_id)
            person = self._persons.get(person_id)
            if person is None or new:
                person = {
                    "name": "",
                    "role": 1,
                    "kind": 0,
                    "wg_card_id": 0,
                    "long_card_id": 0,
                    "term_start": "useless",
                    "term": "forever",
                    "customer_text": "",
                    "image": None,
                }
            self._persons[person_id] = {**person, **changes}

    def _upload_person(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.1.2 (L527-L679): add or modify one person; code 2 on old firmware (L657)."""
        if self.old_firmware:
            raise CommandError(CODE_NO_SERVICE, "not implemented", id=body.get("id"))
        person_id, changes = self._person_changes(
            body, name_limit=MAX_NAME_BYTES, roles=lambda role: role in (1, 2)
        )
        if "reg_image" in body:
            changes["image"] = _picture(body["reg_image"], person_id, ("jpeg", "png"))
        mode = body.get("upload_mode", 0)
        with self._lock:
            exists = person_id in self._persons
        if mode not in (0, 1, 2) or not _is_int(mode):
            raise CommandError(CODE_ILLEGAL, f"upload_mode {mode!r}", id=person_id)
        if mode == 1 and exists:
            raise CommandError(CODE_EXISTS, id=person_id)
        if mode == 2 and not exists:
            raise CommandError(CODE_MISSING, id=person_id)
        # On modify, what is passed replaces, the rest is kept (L551).
        self._store_person(person_id, changes, new=False)
        return {"id": person_id}

    def _jpg_image(self, body: dict[str, Any], person_id: str) -> bytes | None:
        """``reg_images`` of the jpg commands: one ``{"format": "jpg", "image_data"}``."""
        images = body.get("reg_images")
        if images is None:
            return None
        if not isinstance(images, list) or len(images) != 1 or not isinstance(images[0], dict):
            raise CommandError(CODE_ILLEGAL, "reg_images must hold one image", id=person_id)
        if images[0].get("format") != "jpg":
            raise CommandError(CODE_ILLEGAL, "reg_images format must be jpg", id=person_id)
        return _picture(images[0].get("image_data"), person_id, ("jpeg",))

    def _add_person_jpg(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.1.6 (L1042-L1127): name ≤ 15 bytes; an existing id needs ``cover``."""
        person_id, changes = self._person_changes(
            body, name_limit=MAX_JPG_NAME_BYTES, roles=lambda role: role >= 0
        )
        image = self._jpg_image(body, person_id)
        if image is not None:
            changes["image"] = image
        with self._lock:
            exists = person_id in self._persons
        if exists and body.get("cover") is not True:
            raise CommandError(CODE_EXISTS, id=person_id)
        self._store_person(person_id, changes, new=True)
        return {"id": person_id}

    def _update_person_jpg(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.1.7 (L1131-L1314): only the fields ``update_flags`` allows (all when absent).

        The reply's ``cmd`` is ``update person``, as in L1242.
        """
        person_id, changes = self._person_changes(
            body, name_limit=MAX_JPG_NAME_BYTES, roles=lambda role: role >= 0
        )
        flags = body.get("update_flags")
        allowed = {key for _, keys in _FLAG_FIELDS for key in keys}
        if flags is not None:
            if not _is_int(flags):
                raise CommandError(CODE_ILLEGAL, f"update_flags {flags!r}", id=person_id)
            allowed = {key for bit, keys in _FLAG_FIELDS if flags & bit for key in keys}
        changes = {key: value for key, value in changes.items() if key in allowed}
        if "image" in allowed and (image := self._jpg_image(body, person_id)) is not None:
            changes["image"] = image
        with self._lock:
            exists = person_id in self._persons
        if not exists:
            raise CommandError(CODE_MISSING, id=person_id)
        self._store_person(person_id, changes, new=False)
        return {"id": person_id}

    def _delete_persons(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.1.5 (L988-L1038): ``flag`` -1 by id, 0/1/2 everyone of that role, 3 everyone."""
        flag, person_id = body.get("flag"), body.get("id", "")
        if flag != -1:
            with self._lock:
                self._wipe_flags.append(flag)
        if not _is_int(flag) or flag not in (-1, 0, 1, 2, 3):
            raise CommandError(CODE_ILLEGAL, f"flag {flag!r}", id=person_id)
        with self._lock:
            if flag == -1:
                if not isinstance(person_id, str) or not person_id:
                    raise CommandError(CODE_ILLEGAL, "id must not be empty with flag -1", id="")
                if self._persons.pop(person_id, None) is None:
                    raise CommandError(CODE_MISSING, id=person_id)
                return {"id": person_id}
            self._persons = {
                key: person
                for key, person in self._persons.items()
                if flag != 3 and person["role"] != flag
            }
        return {"id": ""}

    def _request_persons(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.1.1 (L342-L525): one page (≤ 20) of the people matching role and condition."""
        role, page_no = body.get("role", -1), body.get("page_no", 1)
        page_size = body.get("page_size", MAX_PAGE_SIZE)
        condition = body.get("condition", {})
        if not _is_int(role) or role not in (-1, 0, 1, 2):
            raise CommandError(CODE_ILLEGAL, f"role {role!r}")
        if not _is_int(page_size) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise CommandError(CODE_ILLEGAL, f"page_size {page_size!r} (1-20)")
        if not _is_int(page_no) or (page_no < 1 and page_no != -1):
            raise CommandError(CODE_ILLEGAL, f"page_no {page_no!r}")
        if not isinstance(condition, dict):
            raise CommandError(CODE_ILLEGAL, "condition is not an object")
        fuzzy = bool(body.get("query_mode", 0))
        with self._lock:
            matching = [
                (person_id, dict(person))
                for person_id, person in self._persons.items()
                if role in (-1, person["role"]) and _matches(person_id, person, condition, fuzzy)
            ]
        page = matching if page_no == -1 else matching[(page_no - 1) * page_size :][:page_size]
        with_image = bool(body.get("image_flag", 0))
        return {
            "total": len(matching),
            "page_no": page_no,
            "count": len(page),
            "persons": [_person_entry(pid, person, with_image) for pid, person in page],
        }

    # -------------------------------------------------------------- parameters

    def _request_app_params(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.3.1 (L1810-L2136)."""
        if self.refuse_app_params:
            raise CommandError(APP_PARAMS_REFUSED_CODE)
        return self.app_params

    def _update_app_params(self, body: dict[str, Any], via: str) -> dict[str, Any]:
        """2.3.2 (L2138-L2450): merge the objects sent; check ``upload_info``/``extranet``.

        Nothing changes unless every object is valid.
        """
        if self.refuse_app_params:
            raise CommandError(APP_PARAMS_REFUSED_CODE)
        sections = {
            key: value
            for key, value in body.items()
            if key not in ("version", "cmd", "command_id", "cammand_id")
        }
        with self._lock:
            merged = copy.deepcopy(self._params)
        for key, value in sections.items():
            if not isinstance(value, dict):
                raise CommandError(CODE_ILLEGAL, f"{key} is not an object")
            merged[key] = {**merged.get(key, {}), **copy.deepcopy(value)}
        if "upload_info" in sections:
            _check_upload_info(merged["upload_info"])
        if "extranet" in sections:
            _check_extranet(merged["extranet"])
        if "face" in sections:
            _check_face(merged["face"])
        if "gate_control" in sections:
            _check_gate_control(merged["gate_control"])
        with self._lock:
            self._params = merged
            self._param_updates.append(sorted(sections))
        self._wake()
        return {}

    # ---------------------------------------------------------- device as client

    def _client_body(self, cmd: str) -> dict[str, Any]:
        with self._lock:
            info = dict(self._params["device_info"])
        return {
            "version": VERSION,
            "cmd": cmd,
            "device_no": info.get("device_no", ""),
            "device_sn": self.serial,
            "addr_no": info.get("addr_no", ""),
            "addr_name": info.get("addr_name", ""),
        }

    def _heartbeat_body(self) -> dict[str, Any]:
        """2.7 (L2921-L2982), as real devices send it (with ``command_id`` "", field notes)."""
        return {**self._client_body("heart beat"), "ip": self.host, "command_id": ""}

    async def _exchange(self, url: str, body: dict[str, Any], limit: float) -> _Exchange:
        """POST ``body`` to ``url`` with Content-Length; say how it went."""
        assert self._session is not None
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        started = time.monotonic()
        exchange = _Exchange(0, b"", 0.0)
        try:
            async with self._session.post(
                url,
                data=data,
                headers={"Content-Type": self.content_type},
                timeout=aiohttp.ClientTimeout(total=limit),
            ) as response:
                exchange.status = response.status
                exchange.body = await response.read()
                if "chunked" in response.headers.get("Transfer-Encoding", "").lower():
                    self._violation(
                        f"chunked response to {body['cmd']!r}: the document demands"
                        " Content-Length (L114)"
                    )
        except TimeoutError:
            exchange.error = "timeout"
        except aiohttp.ClientConnectorError:
            exchange.error = "refused"
        except aiohttp.ClientError as err:
            exchange.error = "dropped"
            _LOGGER.debug("face capture %s: %s to %s: %r", self.serial, body["cmd"], url, err)
        exchange.elapsed = time.monotonic() - started
        if exchange.error != "timeout":
            with self._lock:
                self._last_status = exchange.status
        return exchange

    # ----------------------------------------------------------- records

    def _push(self, fields: dict[str, Any]) -> int:
        """Queue one ``face`` record (2.2.1, L1316-L1623); return its ``sequence_no``.

        It is real-time (``is_realtime`` 1) only when it can go out at once: an upload URL
        is set and nothing waits before it.
        """
        now = self.now()
        with self._lock:
            sequence_no = next(self._sequence)
            realtime = not self._queue and self._params["upload_info"].get("method") == "http"
            record = {
                **self._client_body("face"),
                "sequence_no": sequence_no,
                "cap_time": f"{now:{_DATE_TIME}}.{now.microsecond // 1000:03d}",
                "is_realtime": int(realtime),
                "match_failed_reson": 0,
                "match_result": 0,
                **fields,
            }
            self._queue.append(record)
            self._history.append(_history_entry(record, now))
        self._wake()
        return sequence_no

    def _capture(
        self,
        *,
        picture: bytes | None,
        temperature: float | None,
        mask: bool | None,
        variant: int = 7,
        card: int | None = None,
    ) -> dict[str, Any]:
        """Return the close-up and ``person`` attributes of a capture (L1437-L1520)."""
        image = picture if picture is not None else make_jpeg(variant=variant)
        person: dict[str, Any] = {
            "sex": "",
            "age": 0,
            "hat": "none",
            "face_quality": 80,
            "turn_angle": 0,
            "rotate_angle": 0,
        }
        if temperature is not None:
            with self._lock:
                fahrenheit = self._params["face"]["body_temperature"].get("fahrenheit_unit")
            # °F when the device is set to show °F (L2006).
            person["temperatur"] = (  # sic, L1498
                round(temperature * 9 / 5 + 32, 1) if fahrenheit is True else temperature
            )
        if mask is not None:
            person["has_mask"] = mask
        if card is not None:
            person["wg_card_id" if card <= _MAX_WG_CARD else "long_card_id"] = card
        return {
            "overall_pic_flag": False,
            "closeup_pic_flag": True,
            "closeup_pic": {
                "format": "jpg",
                "data": _b64(image),
                "face_x": 0,
                "face_y": 0,
                "face_width": 120,
                "face_height": 150,
            },
            "video_flag": False,
            "person": person,
        }

    def _match(self, person_id: str) -> dict[str, Any]:
        """Return the ``match`` of an enrolled person (L1369-L1406); KeyError if none."""
        with self._lock:
            person = dict(self._persons[person_id])
        return {
            "is_encryption": False,
            "person_id": person_id,
            "person_name": person["name"],
            "person_role": person["role"],
            "format": "jpg",
            "image": "",
            "origin ": "software",  # sic, L1396
            "person_attr": "permanent_list",
            "customer_text": person["customer_text"],
        }

    def recognition(
        self,
        person_id: str,
        temperature: float | None = None,
        mask: bool | None = None,
        *,
        score: int = 90,
        picture: bytes | None = None,
    ) -> int:
        """Recognize the enrolled ``person_id`` (``match_result`` = ``score``).

        ``temperature`` (°C) and ``mask`` are left out when None, as on a device without
        that module. Return the record's ``sequence_no``; KeyError if not enrolled.
        """
        match = self._match(person_id)
        return self._push(
            {
                "match_result": score,
                "match": match,
                **self._capture(
                    picture=picture,
                    temperature=temperature,
                    mask=mask,
                    variant=_variant(person_id),
                ),
            }
        )

    def stranger(
        self,
        temperature: float | None = None,
        mask: bool | None = None,
        *,
        picture: bytes | None = None,
    ) -> int:
        """Capture someone unknown: ``match_result`` -1 and no ``match`` (digest §4.1)."""
        return self._push(
            {
                "match_result": -1,
                **self._capture(picture=picture, temperature=temperature, mask=mask),
            }
        )

    def denied(
        self,
        reason_code: int,
        person_id: str | None = None,
        *,
        temperature: float | None = None,
        mask: bool | None = None,
        score: int = 90,
        picture: bytes | None = None,
    ) -> int:
        """Refuse a passage with ``match_failed_reson`` ``reason_code`` (-2 to -11, §6.6).

        With ``person_id`` (enrolled) the face matched but the person may not pass;
        without, it is a stranger refused.
        """
        if reason_code not in DENIAL_REASONS:
            raise ValueError(f"not a match_failed_reson: {reason_code}")
        fields: dict[str, Any] = {"match_failed_reson": reason_code, "match_result": -1}
        variant = 7
        if person_id is not None:
            fields.update(match_result=score, match=self._match(person_id))
            variant = _variant(person_id)
        capture = self._capture(
            picture=picture, temperature=temperature, mask=mask, variant=variant
        )
        return self._push({**fields, **capture})

    def card(self, number: int) -> int:
        """Swipe a Wiegand card: the person holding it, or refused as unregistered (-9)."""
        with self._lock:
            holder = next(
                (
                    pid
                    for pid, person in self._persons.items()
                    if number in (person["wg_card_id"], person["long_card_id"])
                ),
                None,
            )
        fields: dict[str, Any] = {}
        if holder is None:
            fields["match_failed_reson"] = REASON_CARD_UNKNOWN
        else:
            fields["match"] = self._match(holder)
        capture = self._capture(picture=None, temperature=None, mask=None, card=number)
        return self._push({**fields, **capture})

    def qr(self, data: str, qr_type: str = "QR-Code") -> int:
        """Read a QR code (``qr_code``, L1592-L1609)."""
        capture = self._capture(picture=None, temperature=None, mask=None)
        return self._push({**capture, "qr_code": {"qr_type": qr_type, "qr_data": data}})

    def id_card(
        self,
        number: str = "511xxx",
        name: str = "Zhang San",
        *,
        sex: str = "male",
        birthday: str = "19801001",
    ) -> int:
        """Read an ID card (``id_card``, L1532-L1590)."""
        id_card = {
            "number": number,
            "name": name,
            "birthday": birthday,
            "sex": sex,
            "national": "Chinese",
            "residence_address": "Sichuan Province xxx",
            "organ_issue": "xxx public security bureau",
            "valid_date_start": "20200101",
            "valid_date_end": "20400101",
        }
        capture = self._capture(picture=None, temperature=None, mask=None)
        return self._push({**capture, "id_card": id_card})

    # ------------------------------------------------------------ upload loop

    async def _upload_loop(self) -> None:
        """Send the oldest record until ACKed; heartbeat when nothing waits."""
        assert self._upload_wake is not None
        loop = asyncio.get_running_loop()
        assert self._awake is not None
        next_beat, last_url = 0.0, None
        while True:
            await self._awake.wait()
            self._upload_wake.clear()
            url = self.upload_url
            if url != last_url:
                next_beat, last_url = loop.time(), url
            with self._lock:
                head = self._queue[0] if self._queue else None
            if url is not None and head is not None:
                if not await self._send_record(url, head):
                    await asyncio.sleep(self.resend_interval)
                continue
            beats = url is not None and self.heartbeat_interval is not None
            # L101: no upload heartbeat when both roles use the same URL.
            beats = beats and url != self.poll_url
            if beats and loop.time() >= next_beat:
                await self._upload_heartbeat(url)  # type: ignore[arg-type]
                next_beat = loop.time() + self.heartbeat_interval  # type: ignore[operator]
                continue
            wait = max(next_beat - loop.time(), 0.0) if beats else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._upload_wake.wait(), wait)

    async def _upload_heartbeat(self, url: str) -> None:
        body = self._heartbeat_body()
        with self._lock:
            self._heartbeat_count += 1
            self._sent.append(copy.deepcopy(body))
        exchange = await self._exchange(url, body, self.timeout)
        if exchange.status == 200:
            with self._lock:
                self._answered = True
        self._contact.set()

    async def _send_record(self, url: str, record: dict[str, Any]) -> bool:
        """POST ``record``; return whether it was ACKed as L1625-L1701 demands."""
        sequence_no = record["sequence_no"]
        with self._lock:
            attempt = self._attempts.get(sequence_no, 0)
            self._attempts[sequence_no] = attempt + 1
            if attempt:
                self._resend_count += 1
            self._sent.append(copy.deepcopy(record))
        exchange = await self._exchange(url, record, self.timeout)
        self._contact.set()
        problem, ack = _ack_problem(record, exchange)
        if problem is not None:
            _LOGGER.info(
                "face capture %s: record %s not ACKed: %s", self.serial, sequence_no, problem
            )
            with self._lock:
                self._ack_problems.append(f"#{sequence_no}: {problem}")
                # What is sent again is backlog, no longer real-time.
                record["is_realtime"] = 0
            return False
        with self._lock:
            if self._queue and self._queue[0] is record:
                self._queue.popleft()
            self._acked.append(sequence_no)
            self._attempts.pop(sequence_no, None)
            for entry in self._history:
                if entry["sequence"] == sequence_no:
                    entry["upload_state"] = 1
            self._answered = True
        gateway = ack.get("gateway_ctrl")
        if isinstance(gateway, dict):
            self._open_door(
                "gateway_ctrl in a face ACK",
                port=gateway.get("device_no"),
                ctrl_mode=gateway.get("ctrl_mode"),
                person_id=gateway.get("person_id"),
            )
        return True

    # -------------------------------------------------------------- poll loop

    async def _poll_loop(self) -> None:
        """Long-poll the extranet URL; run what comes back; post its result next (L87-L99)."""
        assert self._poll_wake is not None
        assert self._awake is not None
        result: dict[str, Any] | None = None
        while True:
            await self._awake.wait()
            self._poll_wake.clear()
            url = self.poll_url
            if url is None:
                await self._poll_wake.wait()
                continue
            body = result if result is not None else self._heartbeat_body()
            with self._lock:
                if result is None:
                    self._poll_count += 1
                else:
                    self._poll_results.append(copy.deepcopy(result))
            exchange = await self._exchange(url, body, self.poll_timeout)
            if exchange.error == "refused":
                await asyncio.sleep(max(self.poll_pause, 1.0))
                continue  # the result, if any, goes again
            result = None
            command = self._poll_response(exchange)
            if command is None:
                continue
            with self._lock:
                self._answered = True
            cmd = command.get("cmd")
            if "reply" in command or not isinstance(cmd, str) or cmd.strip() == "heart beat":
                if exchange.elapsed < QUICK_ACK:
                    with self._lock:
                        self._quick_acks += 1
                    await asyncio.sleep(self.poll_pause)
                continue
            result = self._execute(command, "long poll")
            command_id = command.get("command_id", command.get("cammand_id"))
            if command_id is not None:
                result["command_id"] = command_id

    def _poll_response(self, exchange: _Exchange) -> dict[str, Any] | None:
        """Count an unanswered poll; return the response as an object, or None.

        An empty or unparsable body is ``{}`` (an ACK); None is nothing to act on.
        """
        if exchange.error == "timeout":
            with self._lock:
                self._poll_timeouts += 1
            return None
        if exchange.error == "dropped":
            with self._lock:
                self._dropped_polls += 1
            return None
        if exchange.status != 200:
            self._violation(f"long poll answered HTTP {exchange.status}")
            return None
        if not exchange.body.strip():
            return {}
        try:
            parsed = json.loads(exchange.body)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            self._violation(f"long-poll response is not a JSON object: {exchange.body[:60]!r}")
            return {}
        return parsed


def _no_service(body: dict[str, Any], via: str) -> dict[str, Any]:
    """Answer a command the device does not have: code 2 (L284)."""
    raise CommandError(CODE_NO_SERVICE)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _ack_problem(record: dict[str, Any], exchange: _Exchange) -> tuple[str | None, dict[str, Any]]:
    """Say why ``exchange`` is not the ACK of ``record`` (None: it is); and the ACK."""
    if exchange.error is not None or exchange.status == 0:
        return f"no answer ({exchange.error})", {}
    if exchange.status != 200:
        return f"HTTP {exchange.status}", {}
    try:
        ack = json.loads(exchange.body)
    except ValueError:
        return "not JSON", {}
    if not isinstance(ack, dict):
        return "not a JSON object", {}
    if ack.get("code") != 0:
        return f"code {ack.get('code')!r}", ack
    if not _is_int(ack.get("sequence_no")) or ack["sequence_no"] != record["sequence_no"]:
        return f"sequence_no {ack.get('sequence_no')!r}, not {record['sequence_no']}", ack
    if ack.get("cap_time") != record["cap_time"]:
        return f"cap_time {ack.get('cap_time')!r}, not {record['cap_time']!r}", ack
    return None, ack


def _check_upload_info(section: dict[str, Any]) -> None:
    """``upload_info`` (L1878-L1934): an http target needs a host, port and short path."""
    method = section.get("method")
    if method not in _UPLOAD_METHODS:
        raise CommandError(CODE_ILLEGAL, f"upload_info.method {method!r}")
    if method == "http":
        _check_target(section, "upload_info", "service_url")
        if len(str(section.get("service_url", ""))) >= MAX_SERVICE_URL:
            raise CommandError(CODE_ILLEGAL, "upload_info.service_url too long")


def _check_extranet(section: dict[str, Any]) -> None:
    """``extranet`` (L1853-L1876): enabled in http mode it needs a host, port and url."""
    if not isinstance(section.get("enable"), bool):
        raise CommandError(CODE_ILLEGAL, "extranet.enable is not a bool")
    if section.get("mode", "tcp") not in ("http", "tcp"):
        raise CommandError(CODE_ILLEGAL, f"extranet.mode {section.get('mode')!r}")
    if section["enable"] and section.get("mode") == "http":
        _check_target(section, "extranet", "url")


def _check_target(section: dict[str, Any], name: str, path_key: str) -> None:
    host = section.get("server_ip") or section.get("server_domain")
    port = section.get("server_port")
    if not isinstance(host, str) or not host:
        raise CommandError(CODE_ILLEGAL, f"{name} has no server_ip or server_domain")
    if not _is_int(port) or not 0 < port < 65536:
        raise CommandError(CODE_ILLEGAL, f"{name}.server_port {port!r}")
    if not isinstance(section.get(path_key, ""), str):
        raise CommandError(CODE_ILLEGAL, f"{name}.{path_key} is not a string")


def _matches(
    person_id: str, person: Mapping[str, Any], condition: Mapping[str, Any], fuzzy: bool
) -> bool:
    """Tell whether a person meets ``request persons``' ``condition`` (L380-L414)."""
    for key, value in (("person_id", person_id), ("person_name", person["name"])):
        if key in condition:
            wanted = str(condition[key])
            if (wanted not in value) if fuzzy else (wanted != value):
                return False
    if "wg_card_no" in condition and condition["wg_card_no"] != person["wg_card_id"]:
        return False
    return "long_card_no" not in condition or condition["long_card_no"] == person["long_card_id"]


def _person_entry(person_id: str, person: Mapping[str, Any], with_image: bool) -> dict[str, Any]:
    """One ``persons`` entry of ``request persons`` (L420-L520)."""
    image = person["image"] if with_image else None
    images = []
    if image is not None:
        images = [
            {"format": "png" if sniff_format(image) == "png" else "jpg", "image_data": _b64(image)}
        ]
    return {
        "id": person_id,
        "name": person["name"],
        "role": person["role"],
        "kind": person["kind"],
        "feature_unit_size": 0,
        "feature_num": 0,
        "feature_data": [],
        "image_num": len(images),
        "reg_images": images,
        "wg_card_id": person["wg_card_id"],
        "long_card_id": person["long_card_id"],
        "term_start": person["term_start"],
        "term": person["term"],
        "customer_text": person["customer_text"],
    }


def _history_entry(record: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Return a record as ``request records`` lists it (L1771-L1794, digest E30).

    ``epoch`` (Unix seconds of the local ``now``) is the simulator's own, for the query's
    ``time_start``/``time_end``, and never sent.
    """
    match = record.get("match") if isinstance(record.get("match"), dict) else None
    person = record.get("person") if isinstance(record.get("person"), dict) else {}
    score = record.get("match_result", 0)
    entry: dict[str, Any] = {
        "match_failed_reson": record.get("match_failed_reson", 0),
        "match_type": 0,
        "score": score,
        "sequence": record["sequence_no"],
        "time": record["cap_time"],
        "upload_state": 0,
        "epoch": int(now.timestamp()),
    }
    if "temperatur" in person:  # type: ignore[operator]
        entry["body_temp"] = person["temperatur"]  # type: ignore[index]
    if match is not None:
        entry.update(
            id=match["person_id"],
            name=match["person_name"],
            role=match["person_role"],
            customer_id=match.get("customer_text", ""),
            person_name_ext="",
            match_type=1,
        )
    return entry


def _check_face(section: dict[str, Any]) -> None:
    """``face`` (L1940-L2027): ``match_score`` 70-100, a well-formed ``body_temperature``."""
    score = section.get("match_score")
    if score is not None and (not _is_int(score) or not 70 <= score <= 100):
        raise CommandError(CODE_ILLEGAL, f"face.match_score {score!r} (70-100)")
    body = section.get("body_temperature", {})
    if not isinstance(body, dict):
        raise CommandError(CODE_ILLEGAL, "face.body_temperature is not an object")
    for key in ("enable", "fahrenheit_unit"):
        if key in body and not isinstance(body[key], bool):
            raise CommandError(CODE_ILLEGAL, f"face.body_temperature.{key} is not a bool")
    for key in ("limit", "correction_value"):
        value = body.get(key)
        if key in body and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise CommandError(CODE_ILLEGAL, f"face.body_temperature.{key} is not a number")


def _check_gate_control(section: dict[str, Any]) -> None:
    """``gate_control`` (L2029-L2085): ``gpio_retention_time`` 500-5000 ms."""
    retention = section.get("gpio_retention_time")
    if retention is not None and (not _is_int(retention) or not 500 <= retention <= 5000):
        raise CommandError(CODE_ILLEGAL, f"gate_control.gpio_retention_time {retention!r}")
