"""HTTP pieces shared by the HTTP protocols: request and reply types, body limits, auth.

Inbound: the owner's HTTP server (Home Assistant's, in practice) turns each request of a
device into an `HttpRequest` and sends the client's `HttpReply` back unchanged.

Outbound, for devices we call: `device_session` builds an aiohttp session that authenticates
with HTTP Basic (RFC 7617) or Digest (RFC 7616, via `aiohttp.DigestAuthMiddleware`);
`request_auth` gives the same authentication per request, for a shared session; and
`raise_for_auth` turns a refusal of the credentials into `AuthenticationError`;
`DeviceHttp` sends one request at a time to one device and maps its failures to the
errors of `model`, reading the body with `read_capped`.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

import aiohttp
from yarl import URL

from .model import (
    AuthenticationError,
    DeviceRefusedError,
    DeviceTimeoutError,
    DeviceUnreachableError,
)
from .wire import DecodeError

type AuthScheme = Literal["basic", "digest"]
"""How a device checks our credentials: HTTP Basic or HTTP Digest."""

DEFAULT_TIMEOUT = 10.0
"""Seconds a whole request to a device may take (connection, auth exchange, body)."""

MAX_BODY_BYTES = 4 * 1024 * 1024
"""Default body limit: a record carries one face and one scene picture in base64."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpRequest:
    """One request of a device, read whole.

    `path` is the URL path as received (a webhook's or a fixed vendor path), `remote` the
    peer's address, `content_type` the header's media type, lower case, without parameters
    ("" when absent: devices often send none or a wrong one, so codecs never rely on it).
    """

    body: bytes
    remote: str | None = None
    method: str = "POST"
    path: str = ""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HttpReply:
    """The answer to one request: status, body (JSON or empty) and why, for errors."""

    status: int
    body: bytes = b""
    reason: str = ""
    content_type: str = "application/json"

    @property
    def ok(self) -> bool:
        """Return whether the status is a success."""
        return HTTPStatus.OK <= self.status < HTTPStatus.MULTIPLE_CHOICES


def request_auth(username: str, password: str, *, auth: AuthScheme) -> dict[str, Any]:
    """Return the keyword arguments that authenticate requests on any aiohttp session.

    Splat them into `session.request(...)` (or `get`, `post`): an `Authorization: Basic`
    header (RFC 7617, UTF-8; built here because aiohttp deprecates `BasicAuth`) for
    "basic", `{"middlewares": (DigestAuthMiddleware,)}` for "digest". This is how a client
    authenticates on Home Assistant's shared session, which must not carry a device's
    middleware itself. Build it once per device and keep it: the digest middleware keeps
    the device's nonce and answers later challenges without an extra round trip. A caller
    that sends headers of its own merges them with these. Raises ValueError for another
    scheme.
    """
    if auth == "basic":
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        return {"headers": {"Authorization": f"Basic {token}"}}
    if auth == "digest":
        return {"middlewares": (aiohttp.DigestAuthMiddleware(username, password),)}
    raise ValueError(f"unknown auth scheme {auth!r}")


def device_session(
    username: str,
    password: str,
    *,
    auth: AuthScheme,
    timeout: float = DEFAULT_TIMEOUT,
) -> aiohttp.ClientSession:
    """Return a new aiohttp session that authenticates every request to one device.

    "basic" sends the credentials with each request (RFC 7617); "digest" answers the
    device's `WWW-Authenticate: Digest` challenge (RFC 7616, MD5 or SHA-256, qop `auth`)
    and retries once. `timeout` bounds each whole request, in seconds. The caller owns
    the session: create it in a coroutine and close it when the device goes away.
    Raises ValueError for another scheme.
    """
    settings = request_auth(username, password, auth=auth)
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout), **settings)


def raise_for_auth(response: aiohttp.ClientResponse) -> None:
    """Raise AuthenticationError when the device refused our credentials.

    A 401 that reaches the caller comes after the whole auth exchange (the digest
    middleware has already answered the challenge once), so the credentials are wrong;
    the device's body is left out of the message, it may echo what we sent.
    """
    if response.status == HTTPStatus.UNAUTHORIZED:
        raise AuthenticationError("the device refused the credentials")


@dataclass(frozen=True, slots=True)
class DeviceResponse:
    """What a device answered: HTTP status, body (read whole, capped), `WWW-Authenticate`."""

    status: int
    body: bytes = b""
    challenge: str = ""

    @property
    def ok(self) -> bool:
        """Return whether the status is a success."""
        return HTTPStatus.OK <= self.status < HTTPStatus.MULTIPLE_CHOICES

    def refusal(self, what: str) -> DeviceRefusedError:
        """Return the DeviceRefusedError for an HTTP error status (code "HTTP <status>")."""
        return DeviceRefusedError(f"{what}: HTTP status {self.status}", f"HTTP {self.status}")


class DeviceHttp:
    """The transport of the requests Home Assistant sends to one HTTP device.

    Both "device as server" protocols need the same plumbing: a URL built from the
    configured host (IPv6 brackets tolerated), one request at a time (`lock`: embedded
    servers handle a single request, and a protocol's retry must not interleave with
    another caller), a timeout, no redirects, a capped body read, and one mapping of
    transport failures to the errors of `model`. What a protocol adds (envelopes, result
    codes, switching the auth scheme) stays in its package.

    `auth` holds the keyword arguments of `request_auth` ({} for none); a connection may
    replace it, for instance when a device asks for another scheme.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        port: int,
        *,
        auth: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        """Keep the session, address and settings; nothing is sent until `send`."""
        self._session = session
        self.base = URL.build(scheme="http", host=host.strip().strip("[]"), port=port)
        self.auth: dict[str, Any] = auth or {}
        self._headers = headers or {}
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.lock = asyncio.Lock()
        """Held around each exchange (with its retries) by the connection."""

    @property
    def host(self) -> str:
        """Return the device's host, as in the URL."""
        return self.base.host or ""

    async def send(
        self,
        method: str,
        url: URL,
        *,
        what: str,
        data: bytes | None = None,
        seconds: float | None = None,
        pass_challenge: str = "",
    ) -> DeviceResponse:
        """Send one request and return the device's status, capped body and challenge.

        The caller holds `lock`. `what` names the request in error messages; `seconds`
        (default `self.timeout`) bound the whole exchange. Raises
        AuthenticationError on 401, except that a 401 whose challenge starts with
        `pass_challenge` (e.g. "basic") comes back with an empty body, so that the caller
        may switch scheme; DeviceUnreachableError when the connection is refused or the
        address is invalid; DeviceTimeoutError on a timeout or a dropped connection;
        DecodeError for a body over `max_bytes`. Other statuses come back unjudged.
        """
        if seconds is None:
            seconds = self.timeout
        headers = {**self._headers, **self.auth.get("headers", {})}
        extra = {key: value for key, value in self.auth.items() if key != "headers"}
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=seconds),
                allow_redirects=False,
                **extra,
            ) as response:
                challenge = response.headers.get("WWW-Authenticate", "")
                if (
                    pass_challenge
                    and response.status == HTTPStatus.UNAUTHORIZED
                    and challenge.lower().startswith(pass_challenge.lower())
                ):
                    return DeviceResponse(response.status, b"", challenge)
                raise_for_auth(response)
                body = await read_capped(response, self.max_bytes)
                return DeviceResponse(response.status, body, challenge)
        except aiohttp.ClientConnectorError as err:
            raise DeviceUnreachableError(f"cannot connect to {self.host}: {err.os_error}") from err
        except aiohttp.InvalidURL as err:
            raise DeviceUnreachableError(f"not a valid device address: {self.host}") from err
        except TimeoutError as err:
            raise DeviceTimeoutError(f"{what}: no answer within {seconds:.0f} s") from err
        except aiohttp.ClientError as err:
            # A connection the device dropped mid-answer: it may come back, like a timeout.
            raise DeviceTimeoutError(
                f"{what}: the connection failed ({type(err).__name__})"
            ) from err


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """Read a body of at most `max_bytes`; raise DecodeError beyond.

    The declared length is checked first, and the chunks as they come, so that a device
    (or something posing as one) cannot make us buffer without bound.
    """
    if (response.content_length or 0) > max_bytes:
        raise DecodeError("the reply is larger than any device sends")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise DecodeError("the reply is larger than any device sends")
        chunks.append(chunk)
    return b"".join(chunks)
