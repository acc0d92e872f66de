"""A simulated Uniview (UNV) face terminal speaking LAPI over HTTP.

Source: the vendor document ``shared/seeds/unv-lapi-http.txt`` ("L123" is one of its lines,
"digest §n" a section of its engineering digest ``shared/protocols/unv_lapi.md``) and, for
what real devices add, section 1 of ``shared/protocols/field-notes.md`` ("notes §1.n"): the
record acknowledgement (``RecordID`` = the push's ``Seq``), the people-library, remote-open
and snapshot paths, HTTP Digest authentication.

The terminal plays both roles of the LAN ("short connection") mode (digest §2.2, mode A):

1. **Server** of the platform's requests: an aiohttp server on ``host``:``port`` that demands
   HTTP Digest (RFC 7616, MD5, ``qop=auth``; or Basic only with ``auth="basic"``) and
   answers in the ``Response`` envelope (digest §2.5) as ``text/plain`` JSON: device
   information, keep-alive, event subscriptions (two slots, expiry after ``Duration``) and,
   unless ``extended`` is off, the paths of notes §1.2 (people, remote open, snapshot).
2. **Client** of its subscribers: every record is POSTed as ``text/plain`` JSON to
   ``http://<IPAddress>:<Port>`` + ``push_path`` of every live subscription. A record that
   no subscriber acknowledged (``Response.Data.RecordID`` = its ``Seq``, notes §1.3 item 1)
   is sent again every ``resend_interval`` s as history (``NotificationType`` 1).

Everything runs on one asyncio loop in a thread of its own (``simulators.loop_thread``);
every public method is synchronous and thread-safe.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Iterable
import copy
import hashlib
import itertools
import json
import logging
import re
import secrets
import time
from typing import Any, Final, Literal

import aiohttp
from aiohttp import web

from simulators.base import LockedCopy, itself, rows
from simulators.http_device import HttpDeviceSimulator
from simulators.images import make_jpeg, make_scene

from .activity import UnvLapiActivity

_LOGGER = logging.getLogger(__name__)

DEFAULT_SERIAL: Final = "210235C31L3186000023"
"""``SerialNumber`` of the document's examples (L700), also the heartbeat's ``DeviceCode``."""
DEFAULT_MODEL: Final = "EG131-HF"
DEFAULT_FIRMWARE: Final = "PTS_Q2101-B0008P01L29.190218"
REALM: Final = "LAPI"

BASE: Final = "/LAPI/V1.0"
DEVICE_INFO_PATH: Final = f"{BASE}/System/DeviceBasicInfo"
KEEPALIVE_PATH: Final = f"{BASE}/System/KeepAlive"
SUBSCRIPTION_PATH: Final = f"{BASE}/System/Event/Subscription"
PACS_SUBSCRIPTION_PATH: Final = f"{BASE}/PACS/Controller/Event/Subscriptions"
"""The §1.2.2 example's variant (L90, L1286; digest §8 item 1): a flat body."""
PERSON_VERIFICATION_PATH: Final = f"{BASE}/System/Event/Notification/PersonVerification"
NOTIFICATIONS_PATH: Final = f"{BASE}/PACS/Controller/Event/Notifications"
"""The second record path (notes §1.3 item 2), and the ``ResponseURL`` of the ACK."""
HEARTBEAT_PATH: Final = f"{BASE}/PACS/Controller/HeartReportInfo"
REMOTE_OPEN_PATH: Final = f"{BASE}/PACS/Controller/RemoteOpened"
GUI_SHOW_INFO_EX_PATH: Final = f"{BASE}/PACS/Controller/GUIShowInfoEx"
OPEN_DOOR_MODE_PATH: Final = f"{BASE}/PACS/Controller/OpenDoorMode"
"""The door configuration the web UI reads (notes §1.2); its answer says a door exists."""
LIBRARIES_PATH: Final = f"{BASE}/PeopleLibraries/BasicInfo"
SNAPSHOT_URL_PATH: Final = f"{BASE}/Channels/0/Media/SnapshotURL"
SNAPSHOT_PATH: Final = f"{BASE}/Snapshot"
"""Where the simulator serves the pictures that ``SnapshotURL`` names (its own choice)."""

PERMANENT: Final = 4294967295
"""``Duration`` of a permanent subscription (L896-910)."""
MIN_DURATION: Final = 30
MAX_DURATION: Final = 3600
MAX_SUBSCRIBERS: Final = 2
"""L822: only two subscribers."""
MAX_PENDING: Final = 1000
"""Unsent records the simulator keeps (its own choice; the document gives no figure)."""
PERSON_VERIFICATION_TYPE: Final = 1024
ALL_LIBRARIES: Final = 65535
STAFF_LIBRARY: Final = 3
"""The library integrators use for staff (notes §1.2), ``LibType`` 3 = employee."""

# ResponseCode (L2112-2126, digest §6.14) and StatusCode (L2128-2149, §6.15).
RESPONSE_TEXT: Final = {
    0: "Succeed",
    1: "Common Error",
    2: "Invalid Arguments",
    3: "Not Authorized",
    4: "Not Supported",
}
STATUS_TEXT: Final = {
    0: "Succeed",
    1: "Common Fail",
    2: "Invalid Param",
    8: "UnSupport",
    11: "Unauthorized",
    12: "Unauthorized",
    13: "NO Space",
    14: "Already Exit",
}
STATUS_BASIC_FAILED: Final = 11
STATUS_DIGEST_FAILED: Final = 12
STATUS_NO_SPACE: Final = 13
STATUS_ALREADY_EXISTS: Final = 14

# MatchStatus (L1989-2065, digest §6.11).
MATCH_OK: Final = 1
MATCH_FAILED: Final = 2
MATCH_ATTRIBUTE_ABNORMAL: Final = 10
MATCH_TEMPERATURE_ABNORMAL: Final = 11

type Auth = Literal["digest", "basic"] | None
type Missing = Literal["404", "error"]
MALFORMED_VARIANTS: Final = frozenset({"curly_quotes", "empty_data", "null_strings", "bad_times"})
"""The document's malformed variants (digest §8 items 13, 14, 20, 32; notes §1.3 item 7)."""

_TIME: Final = "%Y-%m-%d %H:%M:%S"
_DIGEST_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))')


class LapiError(Exception):
    """A request failed: the envelope's ``ResponseCode`` and ``StatusCode``, an HTTP status."""

    def __init__(self, response_code: int, status_code: int, http_status: int = 200) -> None:
        """Fail with ``response_code``/``status_code`` (digest §6.14/6.15) as ``http_status``."""
        super().__init__(f"ResponseCode {response_code}, StatusCode {status_code}")
        self.response_code = response_code
        self.status_code = status_code
        self.http_status = http_status


def _invalid(reason: str) -> LapiError:
    _LOGGER.debug("unv lapi: invalid request: %s", reason)
    return LapiError(2, 2)


class UnvLapiSimulator(HttpDeviceSimulator):
    """One simulated Uniview face terminal (see the module)."""

    kind = "unv_lapi"
    label = "unv lapi"
    posts_to_webhook = False
    has_door = True
    activity = UnvLapiActivity

    def __init__(
        self,
        serial: str = DEFAULT_SERIAL,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        user: str = "admin",
        password: str = "admin",
        auth: Auth = "digest",
        doc_quirks: bool = False,
        string_ids: bool = False,
        id_base: int = 1000,
        subscription_api: Literal["system", "pacs", "both"] = "both",
        extended: bool = True,
        missing: Missing = "404",
        push_path: str = PERSON_VERIFICATION_PATH,
        malformed: bool | Iterable[str] = False,
        resend_interval: float | None = 5.0,
        heartbeat_interval: float | None = None,
        timeout: float = 5.0,
    ) -> None:
        """Build a terminal with serial number ``serial`` listening on ``host``:``port``.

        ``port`` None takes a free port. ``auth`` is HTTP Digest, Basic only, or None (no
        authentication). ``doc_quirks`` answers with the document's spellings
        (``SerialNuber``, ``CurrrntTime``); ``string_ids`` sends subscription IDs as strings
        (L1028); IDs count from ``id_base``. ``subscription_api`` says which subscription
        paths exist. Without ``extended`` the paths of notes §1.2 are missing: HTTP 404, or
        (``missing="error"``) HTTP 200 with ResponseCode 4 / StatusCode 8. ``malformed``
        (True: all; or names from ``MALFORMED_VARIANTS``) makes its JSON malformed as the
        document's examples are. Unacknowledged records are re-sent every
        ``resend_interval`` s (None: never); heartbeats go to every subscriber every
        ``heartbeat_interval`` s (None: only ``heartbeat()``). ``timeout`` bounds a push.
        """
        if auth not in ("digest", "basic", None):
            raise ValueError(f"auth {auth!r}")
        if subscription_api not in ("system", "pacs", "both"):
            raise ValueError(f"subscription_api {subscription_api!r}")
        variants = set(MALFORMED_VARIANTS if malformed is True else malformed or ())
        if unknown := variants - MALFORMED_VARIANTS:
            raise ValueError(f"unknown malformed variants {sorted(unknown)}")
        self._init_http(
            serial,
            engine=f"unv-lapi-sim-{serial}",
            host=host,
            port=port,
            user=user,
            password=password,
            timeout=timeout,
        )
        self.auth: Auth = auth
        self.doc_quirks = doc_quirks
        self.string_ids = string_ids
        self.subscription_api = subscription_api
        self.extended = extended
        self.missing: Missing = missing
        self.push_path = push_path
        self.malformed = frozenset(variants)
        self.resend_interval = resend_interval
        self.heartbeat_interval = heartbeat_interval
        self._ids = itertools.count(id_base)
        self._seq = itertools.count(1)
        self._record_ids = itertools.count(1)
        self._subscriptions: dict[int, dict[str, Any]] = {}
        self._subscription_count = 0
        self._persons: dict[str, dict[str, Any]] = {}
        self._pending: dict[int, dict[str, Any]] = {}
        self._last_sent: dict[int, float] = {}
        self._acked: list[int] = []
        self._resent = 0
        self._sent: list[dict[str, Any]] = []
        self._door_openings: list[str] = []
        self._requests: list[str] = []
        self._heartbeats = 0
        self._heartbeat_replies: list[Any] = []
        self._reboots = 0
        self._last_push_ok: bool | None = None
        self._answered = False
        self._nonces: dict[str, int] = {}
        self._snapshots: dict[str, bytes] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._clock_offset = 0.0

    # --------------------------------------------------------------- lifecycle

    @property
    def link(self) -> str:
        """Where the device listens and pushes, for log lines."""
        targets = [sub["url"] for sub in self._live().values()]
        pushing = f", pushing to {', '.join(targets)}" if targets else ""
        return f"serving {self.url} ({self.auth or 'no'} auth){pushing}"

    def _add_routes(self, app: web.Application) -> None:
        """Answer every method on every path: ``_route`` knows the LAPI paths."""
        app.router.add_route("*", "/{tail:.*}", self._handle)

    async def _setup(self) -> None:
        """Start serving (short connections, L1277-1280), then the resend and heartbeats."""
        await super()._setup()
        self._spawn(self._resend_loop())
        if self.heartbeat_interval is not None:
            self._spawn(self._heartbeat_loop(self.heartbeat_interval))

    def _spawn(self, coro: Any) -> None:
        """Run ``coro`` as a task of the loop (from the loop's own thread)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _soon(self, factory: Any) -> None:
        """Run the coroutine ``factory()`` makes on the loop, from any thread."""
        self._engine.call_soon(lambda: self._spawn(factory()))

    def advance_clock(self, seconds: float) -> None:
        """Move the device's clock for subscription expiry ``seconds`` on (tests)."""
        with self._lock:
            self._clock_offset += seconds

    def _monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._clock_offset

    def _expiry(self, duration: int) -> float:
        return float("inf") if duration == PERMANENT else self._monotonic() + duration

    def reboot(self) -> None:
        """Reboot: subscriptions and Digest nonces are gone; unsent records are kept."""
        with self._lock:
            self._subscriptions.clear()
            self._nonces.clear()
            self._reboots += 1

    # ------------------------------------------------------- observable state

    persons = LockedCopy(
        "_persons",
        rows,
        "People by PersonID (a string): name, person_code, lib_id, last_change, card_id,"
        " identity_no, gender, image (bytes or None).",
    )
    acked = LockedCopy("_acked", list, "``Seq`` of every acknowledged record, in order.")
    pending = LockedCopy(
        "_pending", sorted, "``Seq`` of the records no subscriber has acknowledged yet."
    )
    resent = LockedCopy("_resent", itself, "How many times a record was sent again as history.")
    sent = LockedCopy(
        "_sent", copy.deepcopy, "Every push as sent: ``path``, ``url``, ``body`` (the text)."
    )
    door_openings = LockedCopy("_door_openings", len, "Remote door openings (RemoteOpened...).")
    unlock_count = door_openings
    requests = LockedCopy(
        "_requests", list, "``METHOD path`` of every authenticated request, in order."
    )
    auth_failures = LockedCopy("_auth_failures", itself, "Requests refused with 401.")
    heartbeats = LockedCopy("_heartbeats", itself, "HeartReportInfo POSTs sent.")
    heartbeat_replies = LockedCopy(
        "_heartbeat_replies", copy.deepcopy, "The parsed body of every heartbeat reply."
    )
    reboots = LockedCopy("_reboots", itself, "``reboot()`` calls.")
    subscriptions_created = LockedCopy(
        "_subscription_count", itself, "Subscriptions ever created (POST)."
    )

    @property
    def subscriptions(self) -> dict[int, dict[str, Any]]:
        """The live (unexpired) subscriptions by ID: address, port, duration, url, path..."""
        return {key: dict(value) for key, value in self._live().items()}

    def _live(self) -> dict[int, dict[str, Any]]:
        """Drop expired subscriptions; return the live ones (the dict itself, under lock)."""
        now = self._monotonic()
        with self._lock:
            for key in [k for k, v in self._subscriptions.items() if v["expires"] <= now]:
                _LOGGER.debug("unv lapi %s: subscription %s expired", self.serial, key)
                del self._subscriptions[key]
            return dict(self._subscriptions)

    @property
    def connected(self) -> bool:
        """True while running and the last push (if any) reached its subscriber."""
        with self._lock:
            ok = self._last_push_ok
        return self.running and ok is not False

    @property
    def announcements(self) -> int:
        """Heartbeats sent."""
        return self.heartbeats

    @property
    def answered(self) -> bool:
        """True once the platform subscribed or answered a heartbeat."""
        with self._lock:
            return self._answered

    def last_unlock_via(self) -> str | None:
        """Return the path of the last remote door opening; None before any."""
        with self._lock:
            return self._door_openings[-1] if self._door_openings else None

    def wait_acked(self, seq: int, timeout: float = 10.0) -> bool:
        """Wait until record ``seq`` was acknowledged; return whether it was."""
        return self.wait_for(lambda: seq in self.acked, timeout)

    # ------------------------------------------------------------- enrolment

    def add_person(
        self,
        person_id: str,
        name: str = "",
        *,
        picture: bytes | None = None,
        lib_id: int = STAFF_LIBRARY,
        card_id: str = "",
        person_code: str = "",
    ) -> dict[str, Any]:
        """Enrol a person directly (on the device's own screen), without the platform."""
        person = {
            "name": name,
            "person_code": person_code or str(person_id),
            "lib_id": lib_id,
            "last_change": int(time.time()),
            "card_id": card_id,
            "identity_no": "",
            "gender": 0,
            "image": picture if picture is not None else make_jpeg(variant=_variant(person_id)),
        }
        with self._lock:
            self._persons[str(person_id)] = person
            return dict(person)

    # ------------------------------------------------------------------ auth

    def _challenge(self, stale: bool = False) -> str:
        if self.auth == "basic":
            return f'Basic realm="{REALM}"'
        nonce = secrets.token_hex(16)
        with self._lock:
            if len(self._nonces) > 256:
                self._nonces.pop(next(iter(self._nonces)))
            self._nonces[nonce] = 0
        extra = ", stale=true" if stale else ""
        return (
            f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", '
            f'opaque="{hashlib.md5(REALM.encode()).hexdigest()}", algorithm=MD5{extra}'
        )

    def _check_auth(self, request: web.Request) -> tuple[bool, bool]:
        """Return (authorized, stale nonce)."""
        if self.auth is None:
            return True, False
        if self.auth == "basic":
            return self._basic_ok(request), False
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "digest":
            return False, False
        params = {
            m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _DIGEST_PARAM.finditer(token)
        }
        nonce = params.get("nonce", "")
        if params.get("username") != self.user or params.get("realm") != REALM:
            return False, False
        if params.get("uri") != request.raw_path:
            self._violation(f"digest uri {params.get('uri')!r} is not {request.raw_path!r}")
            return False, False
        if params.get("algorithm", "MD5").upper() != "MD5":
            return False, False
        ha1 = _md5(f"{self.user}:{REALM}:{self.password}")
        ha2 = _md5(f"{request.method}:{params['uri']}")
        qop = params.get("qop")
        if qop is None:  # RFC 2069, no qop
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        elif qop == "auth":
            nc, cnonce = params.get("nc", ""), params.get("cnonce", "")
            expected = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
        else:
            return False, False
        if not secrets.compare_digest(expected, params.get("response", "")):
            return False, False
        with self._lock:
            if nonce not in self._nonces:
                return False, True
            count = int(params.get("nc", "0") or "0", 16) if qop else 0
            if qop and count <= self._nonces[nonce]:
                return False, True  # a replayed nonce count
            self._nonces[nonce] = count
        return True, False

    # ---------------------------------------------------------------- server

    def _reply(
        self,
        path: str,
        data: Any = "null",
        *,
        created_id: int = -1,
        response_code: int = 0,
        status_code: int = 0,
        http_status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        body = {
            "Response": {
                "ResponseURL": path,
                "CreatedID": created_id,
                "ResponseCode": response_code,
                "ResponseString": RESPONSE_TEXT.get(response_code, "Common Error"),
                "StatusCode": status_code,
                "StatusString": STATUS_TEXT.get(status_code, "Common Fail"),
                "Data": data,
            }
        }
        text = json.dumps(body, indent=4)
        if "empty_data" in self.malformed and data == "null":
            # The "Data": <nothing> that Uniview's own demo repairs (notes §1.3 item 7).
            text = re.sub(r'"Data": "null"\n\s*}', '"Data": \n\t}', text)
        return web.Response(
            status=http_status,
            text=text,
            content_type="text/plain",
            headers={"Connection": "close", **(headers or {})},
        )

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.path.rstrip("/") or "/"
        authorized, stale = self._check_auth(request)
        if not authorized:
            self._refused()
            status = STATUS_BASIC_FAILED if self.auth == "basic" else STATUS_DIGEST_FAILED
            return self._reply(
                path,
                response_code=3,
                status_code=status,
                http_status=401,
                headers={"WWW-Authenticate": self._challenge(stale)},
            )
        with self._lock:
            self._requests.append(f"{request.method} {path}")
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return self._reply(path, response_code=2, status_code=10, http_status=400)
        try:
            return await self._route(request.method, path, request, body)
        except LapiError as err:
            return self._reply(
                path,
                response_code=err.response_code,
                status_code=err.status_code,
                http_status=err.http_status,
            )

    async def _route(self, method: str, path: str, request: web.Request, body: Any) -> web.Response:
        if path == DEVICE_INFO_PATH and method == "GET":
            return self._reply(path, self._device_info())
        if path == KEEPALIVE_PATH and method == "GET":
            return self._reply(path)
        for base, api in ((SUBSCRIPTION_PATH, "system"), (PACS_SUBSCRIPTION_PATH, "pacs")):
            if self.subscription_api in (api, "both") and (
                path == base or path.startswith(f"{base}/")
            ):
                return self._subscription(method, path, base, body)
        if path.startswith(f"{SNAPSHOT_PATH}/") and method == "GET" and self.extended:
            with self._lock:
                picture = self._snapshots.get(path.rsplit("/", 1)[1])
            if picture is None:
                raise LapiError(1, 1, 404)
            return web.Response(body=picture, content_type="image/jpeg")
        if not self.extended and _is_extended(path):
            raise LapiError(4, 8, 404 if self.missing == "404" else 200)
        extended = self._extended_route(method, path, request, body)
        if extended is None:
            raise LapiError(4, 8, 404)
        return extended

    def _extended_route(
        self, method: str, path: str, request: web.Request, body: Any
    ) -> web.Response | None:
        """Answer one of the paths of notes §1.2; None for an unknown path."""
        if path == REMOTE_OPEN_PATH and method == "PUT":
            self._open_door("RemoteOpened")
            return self._reply(path)
        if path == GUI_SHOW_INFO_EX_PATH and method == "PUT":
            if isinstance(body, dict) and body.get("ResultCode") == 1:
                self._open_door("GUIShowInfoEx")
            return self._reply(path)
        if path == OPEN_DOOR_MODE_PATH and method == "GET":
            # The web UI's fields are not in the notes; a mode of 0 (face) is enough to tell.
            return self._reply(path, {"Mode": 0})
        if path == LIBRARIES_PATH and method == "GET":
            return self._reply(path, self._libraries())
        if path == SNAPSHOT_URL_PATH and method == "GET":
            name = f"{secrets.token_hex(6)}.jpg"
            with self._lock:
                self._snapshots = {name: make_scene()}
            return self._reply(path, {"URL": f"{self.url}{SNAPSHOT_PATH}/{name}"})
        match = re.fullmatch(rf"{BASE}/PeopleLibraries/(\d+)/People(?:/(Info|\d+))?", path)
        if match is None:
            return None
        lib_id, tail = int(match.group(1)), match.group(2)
        if tail is None and method in ("POST", "PUT"):
            return self._reply(path, self._write_people(lib_id, body, add=method == "POST"))
        if tail == "Info" and method == "POST":
            return self._reply(path, self._query_people(lib_id, body))
        if tail not in (None, "Info") and method == "DELETE":
            self._delete_person(lib_id, tail, request.query.get("LastChange"))
            return self._reply(path)
        raise LapiError(4, 8, 405)

    def _open_door(self, via: str) -> None:
        with self._lock:
            self._door_openings.append(via)
        _LOGGER.info("unv lapi %s: door opened (%s)", self.serial, via)

    def _device_info(self) -> dict[str, Any]:
        """4.2.1 (L645-755); ``doc_quirks``: the table's ``SerialNuber`` (L737)."""
        mac = hashlib.md5(self.serial.encode()).hexdigest()[:12]
        return {
            "Manufacturer": "UNIVIEW",
            "DeviceModel": DEFAULT_MODEL,
            "DeviceConfig": "",
            "SerialNuber" if self.doc_quirks else "SerialNumber": self.serial,
            "MAC": mac,
            "FirmwareVersion": DEFAULT_FIRMWARE,
            "HardewareID": "A",
            "PCBVersion": "A",
            "UbootVersion": "V1.2",
            "CameraVersion": "",
            "Address": self.host,
            "Netmask": "255.255.255.0",
            "Gateway": "127.0.0.1",
        }

    # --------------------------------------------------------- subscriptions

    def _subscription(self, method: str, path: str, base: str, body: Any) -> web.Response:
        tail = path[len(base) :].lstrip("/")
        if not tail and method == "POST":
            return self._subscribe(path, base, body)
        if not tail.isdigit():
            raise LapiError(4, 8, 405 if not tail else 404)
        sub_id = int(tail)
        with self._lock:
            self._live()
            subscription = self._subscriptions.get(sub_id)
        if subscription is None:
            raise LapiError(1, 1)
        if method == "PUT":
            duration = _duration(body.get("Duration") if isinstance(body, dict) else None, False)
            with self._lock:
                subscription.update(duration=duration, expires=self._expiry(duration))
            return self._reply(path, self._subscription_data(sub_id, subscription))
        if method == "DELETE":
            with self._lock:
                self._subscriptions.pop(sub_id, None)
            return self._reply(path)
        raise LapiError(4, 8, 405)

    def _subscribe(self, path: str, base: str, body: Any) -> web.Response:
        """4.3.1 (L814-1058); the PACS variant takes the flat body of L90-121."""
        if not isinstance(body, dict):
            raise _invalid("no JSON object")
        if body.get("AddressType", 0) != 0:
            self._violation(f"AddressType {body.get('AddressType')!r}: only IPv4 (0, L877)")
            raise _invalid("AddressType")
        address, port = body.get("IPAddress"), body.get("Port")
        if not isinstance(address, str) or not address or len(address) > 64:
            raise _invalid(f"IPAddress {address!r}")
        if not _is_int(port) or not 1 <= port <= 65535:
            raise _invalid(f"Port {port!r}")
        duration = _duration(body.get("Duration"), True)
        condition = body if base == PACS_SUBSCRIPTION_PATH else body.get("SubscribePersonCondition")
        lib_num = condition.get("LibIDNum", ALL_LIBRARIES) if isinstance(condition, dict) else None
        libs = condition.get("LibIDList", []) if isinstance(condition, dict) else []
        if body.get("Type", PERSON_VERIFICATION_TYPE) not in (PERSON_VERIFICATION_TYPE, 0, 1):
            raise _invalid(f"Type {body.get('Type')!r}")
        with self._lock:
            live = self._live()
            if any(s["address"] == address and s["port"] == port for s in live.values()):
                raise LapiError(1, STATUS_ALREADY_EXISTS)
            if len(live) >= MAX_SUBSCRIBERS:
                raise LapiError(1, STATUS_NO_SPACE)
            sub_id = next(self._ids)
            subscription = {
                "address": address,
                "port": port,
                "duration": duration,
                "type": body.get("Type"),
                "lib_id_num": lib_num,
                "lib_ids": [i.get("LibID") for i in libs if isinstance(i, dict)],
                "api": "pacs" if base == PACS_SUBSCRIPTION_PATH else "system",
                "url": f"http://{address}:{port}",
                "expires": self._expiry(duration),
            }
            self._subscriptions[sub_id] = subscription
            self._subscription_count += 1
            self._answered = True
            kept = sorted(self._pending)
        # Records kept while nobody listened go out as history.
        self._soon(lambda: self._flush(kept))
        return self._reply(
            path, self._subscription_data(sub_id, subscription, with_id=True), created_id=sub_id
        )

    def _subscription_data(
        self, sub_id: int, subscription: dict[str, Any], *, with_id: bool = False
    ) -> dict[str, Any]:
        now = int(time.time())
        duration = subscription["duration"]
        data: dict[str, Any] = {}
        if with_id:
            data["ID"] = str(sub_id) if self.string_ids else sub_id
        data["Reference"] = (
            f"{subscription['address']}:{subscription['port']}/Subscription/Subscribers/{sub_id}"
        )
        data["CurrrntTime" if self.doc_quirks else "CurrentTime"] = now
        data["TerminationTime"] = now if duration == PERMANENT else now + duration
        return data

    # ---------------------------------------------------------------- people

    def _libraries(self) -> dict[str, Any]:
        with self._lock:
            count = sum(1 for p in self._persons.values() if p["lib_id"] == STAFF_LIBRARY)
        lib = {
            "ID": STAFF_LIBRARY,
            "Type": 3,
            "Name": "Employee",
            "PersonNum": count,
            "FaceNum": count,
        }
        return {"Num": 1, "LibList": [lib]}

    def _write_people(self, lib_id: int, body: Any, *, add: bool) -> dict[str, Any]:
        """Add (POST) or modify (PUT) people: ``{Num, PersonInfoList: [...]}`` (notes §1.3.9)."""
        people = body.get("PersonInfoList") if isinstance(body, dict) else None
        if not isinstance(people, list) or not people:
            raise _invalid("no PersonInfoList")
        results = []
        for info in people:
            if not isinstance(info, dict) or not _is_int(info.get("PersonID")):
                raise _invalid(f"person {info!r}")
            person_id = str(info["PersonID"])
            with self._lock:
                exists = person_id in self._persons
            if exists == add:
                results.append({"PersonID": info["PersonID"], "ResultCode": 1})
                continue
            self._store_person(lib_id, person_id, info)
            results.append({"PersonID": info["PersonID"], "ResultCode": 0})
        if all(r["ResultCode"] for r in results):
            raise LapiError(1, 1)
        return {"Num": len(results), "PersonList": results}

    def _store_person(self, lib_id: int, person_id: str, info: dict[str, Any]) -> None:
        with self._lock:
            person = dict(self._persons.get(person_id) or {"image": None})
        images = info.get("ImageList") or []
        image = person["image"]
        for entry in images if isinstance(images, list) else []:
            data = str(entry.get("Data", "")) if isinstance(entry, dict) else ""
            if "," in data and data.startswith("data:"):
                data = data.split(",", 1)[1]
            try:
                image = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError) as err:
                raise _invalid("image not Base64") from err
        identifications = info.get("IdentificationList") or []
        card_id = person.get("card_id", "")
        for ident in identifications if isinstance(identifications, list) else []:
            if isinstance(ident, dict) and ident.get("Type") == 1:
                card_id = str(ident.get("Number", ""))
        person.update(
            name=str(info.get("PersonName", person.get("name", ""))),
            person_code=str(info.get("PersonCode", person.get("person_code", person_id))),
            lib_id=lib_id,
            last_change=info.get("LastChange", int(time.time())),
            card_id=card_id,
            identity_no=person.get("identity_no", ""),
            gender=info.get("Gender", person.get("gender", 0)),
            image=image,
        )
        with self._lock:
            self._persons[person_id] = person

    def _query_people(self, lib_id: int, body: Any) -> dict[str, Any]:
        """Paged query ``{Num, Limit, Offset, QueryInfos}``; QryType 27 code, 55 name."""
        body = body if isinstance(body, dict) else {}
        limit, offset = body.get("Limit", 20), body.get("Offset", 0)
        if not _is_int(limit) or not _is_int(offset) or limit < 1 or offset < 0:
            raise _invalid(f"Limit {limit!r}, Offset {offset!r}")
        with self._lock:
            people = [(key, dict(p)) for key, p in sorted(self._persons.items(), key=_person_order)]
        people = [(k, p) for k, p in people if p["lib_id"] == lib_id]
        for query in body.get("QueryInfos") or []:
            wanted = str(query.get("QryData", ""))
            if query.get("QryType") == 27:
                people = [(k, p) for k, p in people if p["person_code"] == wanted]
            elif query.get("QryType") == 55:
                people = [(k, p) for k, p in people if wanted in p["name"]]
        page = people[offset : offset + limit]
        return {
            "Total": len(people),
            "Num": len(page),
            "Offset": offset,
            "PersonInfoList": [_person_info(k, p) for k, p in page],
        }

    def _delete_person(self, lib_id: int, person_id: str, last_change: str | None) -> None:
        if last_change is None or not last_change.isdigit():
            self._violation(f"DELETE of person {person_id} without ?LastChange=")
            raise _invalid("LastChange")
        with self._lock:
            person = self._persons.get(person_id)
            if person is None or person["lib_id"] != lib_id:
                raise LapiError(1, 1)
            del self._persons[person_id]

    # ----------------------------------------------------------------- pushes

    def recognition(
        self,
        person_id: str,
        temperature: float | None = None,
        mask: bool | None = None,
        *,
        picture: bytes | None = None,
        match_status: int = MATCH_OK,
    ) -> int:
        """Recognize ``person_id`` (enrolled or not); return the record's ``Seq``."""
        with self._lock:
            person = dict(self._persons.get(str(person_id)) or {})
        face = picture or person.get("image") or make_jpeg(variant=_variant(person_id))
        numeric = int(person_id) if str(person_id).isdigit() else 0
        match = {
            "LibID": person.get("lib_id", STAFF_LIBRARY),
            "LibType": 3,
            "MatchStatus": match_status,
            "MatchPersonID": numeric,
            "MatchFaceID": numeric * 10 + 1 if numeric else 0,
            "MatchPersonInfo": {
                "PersonCode": person.get("person_code", str(person_id)),
                "PersonName": person.get("name", ""),
                "Gender": person.get("gender", 0),
                "CardID": person.get("card_id", ""),
                "IdentityNo": person.get("identity_no", ""),
            },
        }
        return self._record(face=self._face(face, temperature, mask), match=match)

    def stranger(self, temperature: float | None = None, mask: bool | None = None) -> int:
        """Capture a face that matched nobody (MatchStatus 2, MatchPersonID 0, L1333-1458)."""
        match = {
            "LibID": STAFF_LIBRARY,
            "LibType": 4,
            "MatchStatus": MATCH_FAILED,
            "MatchPersonID": 0,
            "MatchFaceID": 0,
            "MatchPersonInfo": (
                "null"
                if "null_strings" in self.malformed
                else {"PersonName": "", "Gender": 0, "CardID": "", "IdentityNo": ""}
            ),
        }
        face = make_jpeg(variant=7)
        return self._record(face=self._face(face, temperature, mask), match=match)

    def denied(
        self,
        match_status: int,
        person_id: str | None = None,
        *,
        temperature: float | None = None,
        mask: bool | None = None,
    ) -> int:
        """Refuse a passage with ``match_status`` 3-10 (digest §6.11), of ``person_id``."""
        if person_id is None:
            with self._lock:
                person_id = next(iter(sorted(self._persons)), "0")
        return self.recognition(person_id, temperature, mask, match_status=match_status)

    def high_temperature(
        self, temperature: float = 38.2, person_id: str | None = None, mask: bool | None = None
    ) -> int:
        """Measure a fever: MatchStatus 11 (of ``person_id``, else a stranger)."""
        if person_id is None:
            face = self._face(make_jpeg(variant=8), temperature, mask)
            match = {
                "LibID": STAFF_LIBRARY,
                "LibType": 2,
                "MatchStatus": MATCH_TEMPERATURE_ABNORMAL,
                "MatchPersonID": 0,
                "MatchFaceID": 0,
            }
            return self._record(face=face, match=match)
        return self.recognition(
            person_id, temperature, mask, match_status=MATCH_TEMPERATURE_ABNORMAL
        )

    def card(self, number: str | int, *, valid: bool = True) -> int:
        """Swipe an access card (CapSrc 2, CardType 1, L1805-1927)."""
        card = {"CapSrc": 2, "CardType": 1, "CardID": str(number), "CardStatus": int(valid)}
        return self._record(card=card)

    def id_card(
        self,
        name: str = "Zhang San",
        identity_no: str = "110101199003070000",
        *,
        valid: bool = True,
    ) -> int:
        """Read a Chinese ID card (CapSrc 3, CardType 0) with its photo."""
        photo = make_jpeg(60, 75, variant=9, quality=60)
        card = {
            "CapSrc": 3,
            "CardType": 0,
            "CardStatus": int(valid),
            "Name": name,
            "Gender": 1,
            "Ethnicity": 1,
            "Birthday": "19900307",
            "ResidentialAddress": "1 Example Road",
            "IdentityNo": identity_no,
            "IssuingAuthority": "Example PSB",
            "IssuingDate": "20200101",
            "ValidDateStart": "20200101",
            "ValidDateEnd": "20400101",
            "IDImage": _file_info("id.jpg", photo),
        }
        return self._record(card=card)

    def gate(self, in_count: int, out_count: int) -> int:
        """Count people through the gate (CapSrc 4, L1931-1966)."""
        return self._record(gate={"CapSrc": 4, "InPersonCnt": in_count, "OutPersonCnt": out_count})

    def _face(self, face: bytes, temperature: float | None, mask: bool | None) -> dict[str, Any]:
        now = int(time.time())
        return {
            "CapSrc": 1,
            "FeatureNum": 0,
            "FeatureList": [],
            "Temperature": 0 if temperature is None else temperature,
            "MaskFlag": 0 if mask is None else 2 if mask else 1,
            "PanoImage": _file_info(f"{now}_1.jpg", make_scene()),
            "FaceImage": _file_info(f"{now}_2.jpg", face),
            "FaceArea": {
                "LeftTopX": 3333,
                "LeftTopY": 2000,
                "RightBottomX": 5000,
                "RightBottomY": 8000,
            },
        }

    def _record(
        self,
        *,
        face: dict[str, Any] | None = None,
        match: dict[str, Any] | None = None,
        card: dict[str, Any] | None = None,
        gate: dict[str, Any] | None = None,
    ) -> int:
        """Store one record and push it to every live subscriber; return its ``Seq``."""
        now = int(time.time())
        with self._lock:
            seq, record_id = next(self._seq), next(self._record_ids)
        empty: Any = "null" if "null_strings" in self.malformed else []
        record: dict[str, Any] = {
            "Reference": "",
            "Seq": seq,
            "DeviceCode": self.serial,
            "Timestamp": now,
            "NotificationType": 0,
        }
        for key, item in (("FaceInfo", face), ("CardInfo", card), ("GateInfo", gate)):
            entries = [{"ID": record_id, "Timestamp": now, **item}] if item is not None else []
            record[f"{key}Num"] = len(entries)
            record[f"{key}List"] = entries or empty
        if match is not None:
            record["LibMatInfoNum"] = 1
            record["LibMatInfoList"] = [{"ID": record_id, **match}]
        with self._lock:
            self._pending[seq] = record
            while len(self._pending) > MAX_PENDING:  # the oldest record is overwritten
                self._pending.pop(min(self._pending))
        self._soon(lambda: self._send_record(seq))
        return seq

    def _encode_record(self, record: dict[str, Any], reference: str) -> str:
        text = json.dumps({**record, "Reference": reference}, indent=4)
        if "curly_quotes" in self.malformed:
            # L1379, L1381: typographic quotes around two keys.
            for key in ("Temperature", "MaskFlag"):
                text = text.replace(f'"{key}"', f"\u201c{key}\u201d")
        return text

    async def _send_record(self, seq: int, *, history: bool = False) -> None:
        """POST record ``seq`` to every live subscriber; it is acked by a matching ACK."""
        with self._lock:
            record = self._pending.get(seq)
            if record is None:
                return
            if history:
                record["NotificationType"] = 1
                self._resent += 1
            self._last_sent[seq] = time.monotonic()
            record = copy.deepcopy(record)
        for sub_id, sub in self._live().items():
            reference = f"{sub['address']}:{sub['port']}/Subscription/Subscribers/{sub_id}"
            reply = await self._post(
                sub["url"], self.push_path, self._encode_record(record, reference)
            )
            if reply is not None and self._is_ack(reply, seq):
                with self._lock:
                    if self._pending.pop(seq, None) is not None:
                        self._acked.append(seq)
                        self._last_sent.pop(seq, None)
                return

    def _is_ack(self, reply: tuple[int, Any], seq: int) -> bool:
        status, body = reply
        if status != 200:
            self._violation(f"record {seq} answered with HTTP {status} (digest §4.7.7)")
            return False
        response = body.get("Response") if isinstance(body, dict) else None
        data = response.get("Data") if isinstance(response, dict) else None
        record_id = data.get("RecordID") if isinstance(data, dict) else None
        if record_id is None:
            return False
        if str(record_id) != str(seq):
            self._violation(f"RecordID {record_id!r} acknowledges record {seq} (notes §1.3.1)")
            return False
        return True

    async def _post(self, url: str, path: str, text: str) -> tuple[int, Any] | None:
        """POST ``text`` as ``text/plain``; return (status, parsed body), None on failure."""
        if self._session is None:
            return None
        with self._lock:
            self._sent.append({"path": path, "url": url, "body": text})
        try:
            async with self._session.post(
                f"{url}{path}", data=text.encode(), headers={"Content-Type": "text/plain"}
            ) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            _LOGGER.debug("unv lapi %s: POST %s%s failed: %r", self.serial, url, path, err)
            with self._lock:
                self._last_push_ok = False
            return None
        with self._lock:
            self._last_push_ok = True
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return status, body

    async def _flush(self, seqs: list[int]) -> None:
        """Send the records ``seqs`` again, as history (after a new subscription)."""
        for seq in seqs:
            await self._send_record(seq, history=True)

    async def _resend_loop(self) -> None:
        while True:
            interval = self.resend_interval
            await asyncio.sleep(min(interval or 1.0, 1.0) / 4)
            if interval is None:
                continue
            now = time.monotonic()
            with self._lock:
                due = [
                    s for s in sorted(self._pending) if now - self._last_sent.get(s, 0) >= interval
                ]
            if not self._live():
                continue
            for seq in due:
                await self._send_record(seq, history=True)

    # ------------------------------------------------------------- heartbeats

    def heartbeat(self) -> None:
        """Send one HeartReportInfo (4.1.2) to every live subscriber now."""
        self._soon(self._send_heartbeats)

    async def _heartbeat_loop(self, interval: float) -> None:
        while True:
            await self._send_heartbeats()
            await asyncio.sleep(interval)

    async def _send_heartbeats(self) -> None:
        now = time.time()
        if "bad_times" in self.malformed:
            times = ("1900-01-00 00:00:00", "1970-01-01 08:00:01 ")  # L564, L566
        else:
            interval = self.heartbeat_interval or 600.0
            times = (
                time.strftime(_TIME, time.localtime(now)),
                time.strftime(_TIME, time.localtime(now + interval)),
            )
        body = {
            "RefId": secrets.token_hex(16),
            "Time": times[0],
            "NextTime": times[1],
            "DeviceCode": self.serial,
            "DeviceType": 1,
        }
        for sub in self._live().values():
            with self._lock:
                self._heartbeats += 1
            reply = await self._post(sub["url"], HEARTBEAT_PATH, json.dumps(body))
            if reply is None:
                continue
            with self._lock:
                self._heartbeat_replies.append(reply[1])
            data = reply[1] if isinstance(reply[1], dict) else {}
            if str(data.get("Code")) == "0" and isinstance(data.get("Data"), dict):
                with self._lock:
                    self._answered = True
            else:
                self._violation(f"heartbeat reply {reply[1]!r} is not the flat form (L626-634)")


# ------------------------------------------------------------------ helpers


def _is_extended(path: str) -> bool:
    """Return whether ``path`` is one of the paths of notes §1.2 (not in the document)."""
    return path.startswith((f"{BASE}/PeopleLibraries", f"{BASE}/PACS/Controller/")) or path in (
        SNAPSHOT_URL_PATH,
        f"{BASE}/Media/Capture",
    )


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _duration(value: object, create: bool) -> int:
    """Validate a subscription ``Duration`` (L896-910, L1116-1124)."""
    if create and value == PERMANENT:
        return PERMANENT
    if not _is_int(value) or not MIN_DURATION <= value <= MAX_DURATION:  # type: ignore[operator]
        raise _invalid(f"Duration {value!r}")
    return value  # type: ignore[return-value]


def _file_info(name: str, data: bytes) -> dict[str, Any]:
    """Return a FileInfo (L1774-1801): raw Base64, no ``data:`` header."""
    return {"Name": name, "Size": len(data), "Data": base64.b64encode(data).decode("ascii")}


def _variant(person_id: object) -> int:
    return sum(str(person_id).encode()) % 7


def _person_order(item: tuple[str, dict[str, Any]]) -> tuple[int, str]:
    key = item[0]
    return (int(key) if key.isdigit() else 2**63, key)


def _person_info(person_id: str, person: dict[str, Any]) -> dict[str, Any]:
    """Return a person as the firmware builds it (notes §1.3 item 9)."""
    images = []
    if person.get("image") is not None:
        images.append(
            {
                "FaceID": 1,
                "Name": f"{person_id}.jpg",
                "Size": len(person["image"]),
                "Type": 1,
                "LastChange": person["last_change"],
                "Data": base64.b64encode(person["image"]).decode("ascii"),
            }
        )
    card = person.get("card_id") or ""
    return {
        "PersonID": int(person_id) if person_id.isdigit() else person_id,
        "LastChange": person["last_change"],
        "PersonCode": person["person_code"],
        "PersonName": person["name"],
        "Gender": person.get("gender", 0),
        "IdentificationNum": 1 if card else 0,
        "IdentificationList": [{"Type": 1, "Number": card}] if card else [],
        "ImageNum": len(images),
        "ImageList": images,
    }
