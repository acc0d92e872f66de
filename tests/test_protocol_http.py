"""Authentication of the requests we send to HTTP devices (protocols/http.py), over real sockets.

A local aiohttp server plays a device that demands HTTP Basic (RFC 7617) or HTTP Digest
(RFC 7616, MD5, qop "auth"); the digest answer is checked here with hashlib, independently of
aiohttp's middleware.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import hashlib
import re
import secrets

from aiohttp import ClientSession, web
import pytest

from custom_components.face_access.protocols.http import (
    device_session,
    raise_for_auth,
    request_auth,
)
from custom_components.face_access.protocols.model import AuthenticationError

USER = "admin"
PASSWORD = "correct horse"
REALM = "face-device"
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Device:
    """The device's side: its address and every Authorization header it received."""

    url: str
    authorizations: list[str | None] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)

    def digest_params(self, index: int) -> dict[str, str]:
        header = self.authorizations[index]
        assert header is not None
        assert header.startswith("Digest ")
        return {key: quoted or bare for key, quoted, bare in _PARAM.findall(header[7:])}


def _digest_ok(device: Device, method: str, path: str, header: str | None) -> bool:
    """Check an `Authorization: Digest` header as RFC 7616 §3.4.1 defines it (MD5, auth)."""
    if header is None or not header.startswith("Digest "):
        return False
    params = {key: quoted or bare for key, quoted, bare in _PARAM.findall(header[7:])}
    if params.get("nonce") not in device.nonces or params.get("uri") != path:
        return False
    ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
    ha2 = _md5(f"{method}:{path}")
    nonce, count, cnonce = params["nonce"], params.get("nc"), params.get("cnonce")
    expected = _md5(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}")
    return params.get("qop") == "auth" and params.get("response") == expected


async def _serve(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 on a free port; yield its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def basic_device(socket_enabled: None) -> AsyncIterator[Device]:
    """A device whose API demands HTTP Basic."""
    device = Device("")
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    async def handler(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization")
        device.authorizations.append(header)
        if header != expected:
            return web.Response(
                status=401, headers={"WWW-Authenticate": f'Basic realm="{REALM}"'}, text="no"
            )
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/api/info", handler)
    async for url in _serve(app):
        device.url = url
        yield device


@pytest.fixture
async def digest_device(socket_enabled: None) -> AsyncIterator[Device]:
    """A device whose API demands HTTP Digest (MD5, qop auth), as UNV LAPI does."""
    device = Device("")

    async def handler(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization")
        device.authorizations.append(header)
        if not _digest_ok(device, request.method, request.path_qs, header):
            nonce = secrets.token_hex(16)
            device.nonces.add(nonce)
            challenge = (
                f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", '
                f'opaque="{secrets.token_hex(8)}", algorithm=MD5'
            )
            return web.Response(status=401, headers={"WWW-Authenticate": challenge}, text="no")
        body = await request.read()
        return web.json_response({"ok": True, "echo": body.decode()})

    app = web.Application()
    app.router.add_route("*", "/LAPI/V1.0/System/DeviceInfo", handler)
    async for url in _serve(app):
        device.url = url
        yield device


async def test_basic_auth_is_sent_with_each_request(basic_device: Device) -> None:
    async with (
        device_session(USER, PASSWORD, auth="basic") as session,
        session.get(f"{basic_device.url}/api/info") as response,
    ):
        raise_for_auth(response)
        assert response.status == 200
        assert await response.json() == {"ok": True}

    assert len(basic_device.authorizations) == 1  # no challenge round trip


async def test_basic_auth_with_a_wrong_password_is_an_authentication_error(
    basic_device: Device,
) -> None:
    async with (
        device_session(USER, "wrong", auth="basic") as session,
        session.get(f"{basic_device.url}/api/info") as response,
    ):
        with pytest.raises(AuthenticationError) as err:
            raise_for_auth(response)

    assert "wrong" not in str(err.value)


async def test_digest_auth_answers_the_challenge(digest_device: Device) -> None:
    """The first request is challenged; the retry carries a correct RFC 7616 answer."""
    url = f"{digest_device.url}/LAPI/V1.0/System/DeviceInfo"
    async with (
        device_session(USER, PASSWORD, auth="digest") as session,
        session.get(url) as response,
    ):
        raise_for_auth(response)
        assert response.status == 200

    assert digest_device.authorizations[0] is None
    params = digest_device.digest_params(1)
    assert params["username"] == USER
    assert params["realm"] == REALM
    assert params["uri"] == "/LAPI/V1.0/System/DeviceInfo"
    assert params["qop"] == "auth"
    assert params["algorithm"].upper() == "MD5"
    assert len(digest_device.authorizations) == 2


async def test_digest_auth_reuses_the_nonce_for_later_requests(digest_device: Device) -> None:
    """Once challenged, later requests answer up front (nonce count 2): no second 401."""
    url = f"{digest_device.url}/LAPI/V1.0/System/DeviceInfo"
    async with device_session(USER, PASSWORD, auth="digest") as session:
        for body in ("first", "second"):
            async with session.put(url, data=body) as response:
                raise_for_auth(response)
                assert (await response.json())["echo"] == body

    assert len(digest_device.authorizations) == 3
    assert digest_device.digest_params(2)["nc"] == "00000002"


async def test_digest_auth_with_a_wrong_password_is_an_authentication_error(
    digest_device: Device,
) -> None:
    """The middleware answers the challenge once, then the 401 reaches the caller."""
    url = f"{digest_device.url}/LAPI/V1.0/System/DeviceInfo"
    async with (
        device_session(USER, "wrong", auth="digest") as session,
        session.get(url) as response,
    ):
        assert response.status == 401
        with pytest.raises(AuthenticationError):
            raise_for_auth(response)

    assert len(digest_device.authorizations) == 2  # one retry, no loop


async def test_request_auth_on_a_shared_session(
    digest_device: Device, basic_device: Device
) -> None:
    """Per-request authentication, for a session shared with others (Home Assistant's)."""
    digest = request_auth(USER, PASSWORD, auth="digest")
    basic = request_auth(USER, PASSWORD, auth="basic")
    async with ClientSession() as shared:
        async with shared.get(
            f"{digest_device.url}/LAPI/V1.0/System/DeviceInfo", **digest
        ) as response:
            assert response.status == 200
        async with shared.get(f"{basic_device.url}/api/info", **basic) as response:
            assert response.status == 200
        async with shared.get(f"{basic_device.url}/api/info") as response:
            assert response.status == 401  # the session itself carries no credentials


async def test_a_device_that_does_not_answer_times_out(socket_enabled: None) -> None:
    release = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    app = web.Application()
    app.router.add_get("/slow", handler)
    async for url in _serve(app):
        async with device_session(USER, PASSWORD, auth="basic", timeout=0.2) as session:
            with pytest.raises(TimeoutError):
                await session.get(f"{url}/slow")
        release.set()  # let the server shut down without waiting for the handler


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="bearer"):
        request_auth(USER, PASSWORD, auth="bearer")  # type: ignore[arg-type]
