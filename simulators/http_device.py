"""What every simulated "device as server" HTTP terminal shares: its server and its client.

A Huaan face-capture terminal and a Uniview LAPI terminal both serve HTTP on ``host``:
``port`` from an asyncio loop of their own (``simulators.loop_thread``), answer the
platform's requests there after checking its credentials, and POST their records with a
client session of short connections. ``HttpDeviceSimulator`` is that plumbing:

- the address (``host``, ``port``, ``url``, ``address``) and the serial number;
- ``start`` / ``stop`` on a ``LoopThread``: ``_setup`` opens the client session and the
  aiohttp server with the routes of ``_add_routes``, ``_teardown`` closes both;
- ``_basic_ok``, the HTTP Basic check (RFC 7617), and ``_refused``, which counts a request
  refused for its credentials;
- ``_violation``, which logs and records what the platform did that the document forbids.

A subclass adds its protocol: routes, handlers, pushes, and whatever tasks it starts after
``await super()._setup()``. ``add_server_arguments`` gives the command lines of such
devices their common options.
"""

from __future__ import annotations

from abc import abstractmethod
import argparse
import base64
import binascii
import logging
import threading
from typing import ClassVar

import aiohttp
from aiohttp import web

from simulators.base import LockedCopy, Simulator
from simulators.lifecycle import free_port
from simulators.loop_thread import LoopThread, OnLoopThread

_LOGGER = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 8 * 1024 * 1024
"""Default largest request body the server accepts: a person with a picture or two."""


class HttpDeviceSimulator(OnLoopThread, Simulator):
    """A simulated terminal that serves HTTP and POSTs records, from its own loop thread.

    Subclasses call ``_init_http`` first in ``__init__``, implement ``_add_routes``, and
    extend ``_setup`` / ``_teardown`` (calling ``super()``) with their own tasks and state.
    They keep their counters under ``_lock`` and count refused requests in
    ``_auth_failures``.
    """

    path: str = ""
    """Path of the device's own server in ``url`` ("" for its root without a slash)."""
    label: ClassVar[str]
    """How log lines name the kind of device ("face capture", "unv lapi")."""
    client_max_size: ClassVar[int] = MAX_REQUEST_BYTES
    """Largest request body the device's server accepts, in bytes."""

    host: str
    port: int
    user: str | None
    password: str
    timeout: float
    _lock: threading.RLock
    _violations: list[str]
    _auth_failures: int

    protocol_violations = LockedCopy(
        "_violations", list, "What the platform did that the document forbids, one reason each."
    )

    def _init_http(
        self,
        serial: str,
        *,
        engine: str,
        host: str,
        port: int | None,
        user: str | None,
        password: str,
        timeout: float,
    ) -> None:
        """Set the address, credentials and loop thread; nothing listens until ``start``.

        ``port`` None (or 0) picks a free port now, so that ``port`` says which. ``engine``
        names the loop thread. ``user`` None turns authentication off.
        """
        self.device_id = serial
        self.host = host
        self.port = port or free_port(host)
        self.user = user
        self.password = password
        self.timeout = timeout
        self._engine = LoopThread(engine)
        self._lock = threading.RLock()
        self._violations = []
        self._auth_failures = 0
        # Created on the simulator's own loop, in ``_setup``.
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    # --------------------------------------------------------------- lifecycle

    @property
    def serial(self) -> str:
        """The device's serial number, its ``device_id``."""
        return self.device_id

    @property
    def url(self) -> str:
        """The base URL of the device's own server (where the platform sends requests)."""
        return f"http://{self.host}:{self.port}{self.path}"

    @property
    def address(self) -> tuple[str, int]:
        """Where the device's own server listens: ``host``, ``port``."""
        return (self.host, self.port)

    def start(self, timeout: float | None = None) -> None:
        """Start listening; raise ``OSError`` when the port cannot be bound.

        The device waits for nobody here; a subclass that should settle first (a first
        heartbeat answered) waits after calling this.
        """
        self._engine.start(self._setup, self._teardown)

    def _client_timeout(self) -> aiohttp.ClientTimeout | None:
        """Return the bound of every POST of the client session; None: each sets its own."""
        return aiohttp.ClientTimeout(total=self.timeout)

    @abstractmethod
    def _add_routes(self, app: web.Application) -> None:
        """Add the device's request handlers to ``app``."""

    async def _setup(self) -> None:
        """Open the client session and start the server (on the device's loop)."""
        # The devices make short connections: a pooled one they would not reuse.
        connector = aiohttp.TCPConnector(force_close=True)
        client_timeout = self._client_timeout()
        if client_timeout is None:
            self._session = aiohttp.ClientSession(connector=connector)
        else:
            self._session = aiohttp.ClientSession(connector=connector, timeout=client_timeout)
        app = web.Application(client_max_size=self.client_max_size)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def _teardown(self) -> None:
        """Stop the server and close the client session (on the device's loop)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------ auth

    def _basic_ok(self, request: web.Request) -> bool:
        """Return whether ``request`` carries this device's HTTP Basic credentials."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return False
        return decoded == f"{self.user}:{self.password}"

    def _refused(self) -> None:
        """Count a request refused for its credentials (``auth_failures``)."""
        with self._lock:
            self._auth_failures += 1

    def _violation(self, reason: str) -> None:
        """Log and record something the platform did that the document forbids."""
        _LOGGER.warning("%s %s: protocol violation: %s", self.label, self.serial, reason)
        with self._lock:
            self._violations.append(reason)


def add_server_arguments(
    parser: argparse.ArgumentParser,
    *,
    port: int,
    auth: str,
    serial: str,
    serial_name: str,
) -> None:
    """Add the options of a device's own server: port, credentials and serial number.

    ``port`` is the default port (0: any free one); ``auth`` names the scheme in the help
    ("HTTP Basic"); ``serial`` is the default serial number, ``serial_name`` what the
    protocol calls it.
    """
    default = f"default {port}; 0: any" if port else "default 0: any"
    parser.add_argument(
        "--port", type=int, default=port, help=f"port of the device's server ({default})"
    )
    parser.add_argument("--user", default="admin", help=f"{auth} user (default admin)")
    parser.add_argument("--password", default="admin", help=f"{auth} password (default admin)")
    parser.add_argument("--serial", default=serial, help=f"{serial_name} (default {serial})")
