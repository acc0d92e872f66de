"""HTTP pieces shared by the HTTP protocols: request and reply types, body limits, auth.

Inbound: the owner's HTTP server (Home Assistant's, in practice) turns each request of a
device into an `HttpRequest` and sends the client's `HttpReply` back unchanged.

Outbound, for devices we call: `device_session` builds an aiohttp session that authenticates
with HTTP Basic (RFC 7617) or Digest (RFC 7616, via `aiohttp.DigestAuthMiddleware`);
`request_auth` gives the same authentication per request, for a shared session; and
`raise_for_auth` turns a refusal of the credentials into `AuthenticationError`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

import aiohttp

from .model import AuthenticationError

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
