"""Home Assistant -> device requests of the Huaan face capture terminal ("device as server").

The device serves commands on port 8000 (L65-L76): one JSON object POSTed, one JSON object
answered. The document names no path and no authentication; real devices answer on `/`
and demand HTTP Basic (field notes §2.2, digest E49). The body must have a Content-Length:
"You cannot use transfer-encoding: chunked" (L114), and the field's own test sends no
`Expect: 100-continue` (field notes §2.2).
"""

from __future__ import annotations

import logging
from typing import Any, Final

import aiohttp

from ..http import DeviceHttp, request_auth
from . import codec
from .codec import Identity

_LOGGER = logging.getLogger(__package__)

DEFAULT_TIMEOUT: Final = 10.0
"""Seconds a command may take, from connecting to the whole answer."""
ENROLL_TIMEOUT: Final = 30.0
"""Seconds an enrolment may take at least: the device extracts the face first (digest §7)."""
MAX_REPLY_BYTES: Final = 8 * 1024 * 1024
"""Largest answer read: a snapshot is one base64 JPEG; anything larger is not a device's."""
_SLOW_COMMANDS: Final = frozenset({codec.UPLOAD_PERSON, codec.ADD_PERSON_JPG})


class FaceCaptureConnection:
    """HA -> device requests: one at a time, JSON with a Content-Length, HTTP Basic auth.

    `session` is shared (Home Assistant's); the credentials ride in each request's
    `Authorization: Basic` header (none when both are empty). `timeout` is in seconds;
    enrolments get at least ENROLL_TIMEOUT. The device works one request at a time
    (digest §7), hence the lock.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Keep the address and credentials; nothing is sent until a command."""
        self._http = DeviceHttp(
            session,
            host,
            port,
            auth=request_auth(username, password, auth="basic") if username or password else {},
            headers={
                "Content-Type": "application/json; charset=utf-8",
                # Embedded servers drop idle connections without notice; a pooled one that
                # they closed would fail the next POST, which must not be sent twice.
                "Connection": "close",
            },
            timeout=timeout,
            max_bytes=MAX_REPLY_BYTES,
        )
        self._url = self._http.base.with_path("/")
        self._version = codec.PROTOCOL_VERSION

    @property
    def url(self) -> str:
        """Return the URL commands are POSTed to."""
        return str(self._url)

    async def command(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """Send one command and return the device's decoded answer (a JSON object).

        `fields` are the command's own fields (`version` is added). Raises
        AuthenticationError on 401, DeviceUnreachableError when the connection is refused
        or unroutable, DeviceTimeoutError on timeout or a dropped connection,
        DeviceRefusedError(reason, code) for an HTTP error status or a `code` other than 0
        (the device's `code` as text: callers that handle a code read `err.code`), and
        DecodeError for an answer that is not JSON. A `code` 1 (version mismatch, L176) is
        retried once with the version the device names.
        """
        timeout = self._http.timeout
        if cmd in _SLOW_COMMANDS:
            timeout = max(timeout, ENROLL_TIMEOUT)
        async with self._http.lock:
            for _attempt in range(2):
                body = codec.request_body({"cmd": cmd, **fields}, version=self._version)
                reply = await self._post(codec.encode(body), timeout, cmd)
                code = codec.reply_code(reply)
                version = reply.get("version")
                if (
                    code == codec.CODE_VERSION
                    and isinstance(version, str)
                    and version
                    and version != self._version
                ):
                    _LOGGER.debug("The device at %s speaks version %s", self._url.host, version)
                    self._version = version
                    continue
                break
        if code != 0:
            raise codec.refusal(code, cmd)
        return reply

    async def _post(self, body: bytes, seconds: float, cmd: str) -> dict[str, Any]:
        """POST one body and return the answer's JSON object; refuse an HTTP error status."""
        response = await self._http.send("POST", self._url, what=cmd, data=body, seconds=seconds)
        if response.status != 200:
            raise response.refusal(cmd)
        return codec.decode_message(response.body)

    async def identify(self) -> Identity:
        """Ask `get hardware info` (2.13.1, L3896-L3975): serial number and models.

        Raises what `command` raises, and DecodeError without a `device_sn`.
        """
        return codec.identity_from(await self.command(**codec.get_hardware_info()))

    async def set_upload(self, server: str, port: int, path: str) -> None:
        """Point the device's record pushes at http://`server`:`port``path` (`upload_info`).

        `server` is an IP address or a host name. Raises InvalidRequestError for a bad
        address, DeviceRefusedError when the device refuses, and what `command` raises.
        """
        await self.command(**codec.upload_info(server, port, path))

    async def set_extranet(self, server: str, port: int, path: str) -> None:
        """Make the device long-poll http://`server`:`port``path` for commands (`extranet`).

        Raises InvalidRequestError for a bad address, DeviceRefusedError when the device
        refuses, and what `command` raises.
        """
        await self.command(**codec.extranet(server, port, path))

    async def stop_extranet(self) -> None:
        """Make the device stop long-polling (`extranet` off).

        Raises DeviceRefusedError when the device refuses, and what `command` raises.
        """
        await self.command(**codec.extranet_off())
