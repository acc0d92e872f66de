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
import socket

from aiohttp import ClientSession, web
import pytest
from yarl import URL

from custom_components.face_access.protocols.http import (
    DeviceHttp,
    DeviceResponse,
    device_session,
    raise_for_auth,
    request_auth,
)
from custom_components.face_access.protocols.model import (
    AuthenticationError,
    DeviceTimeoutError,
    DeviceUnreachableError,
)
from custom_components.face_access.protocols.wire import DecodeError

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


# --------------------------------------------------------------- DeviceHttp


def _device_http(session: ClientSession, url: str, **kwargs: object) -> DeviceHttp:
    """A DeviceHttp for the device serving at `url` (http://127.0.0.1:<port>)."""
    base = URL(url)
    assert base.host is not None
    assert base.port is not None
    return DeviceHttp(session, base.host, base.port, **kwargs)  # type: ignore[arg-type]


async def test_device_http_sends_with_headers_and_auth(basic_device: Device) -> None:
    """The connection's headers and the auth headers ride together; the body comes back."""
    async with ClientSession() as session:
        http = _device_http(
            session,
            basic_device.url,
            auth=request_auth(USER, PASSWORD, auth="basic"),
            headers={"Connection": "close"},
        )
        async with http.lock:
            reply = await http.send("GET", http.base.with_path("/api/info"), what="info")

    assert reply == DeviceResponse(200, b'{"ok": true}', "")
    assert reply.ok
    assert basic_device.authorizations[0] is not None


async def test_device_http_maps_401_or_passes_the_asked_scheme(basic_device: Device) -> None:
    """A 401 is an AuthenticationError, unless its challenge is the one the caller handles."""
    async with ClientSession() as session:
        http = _device_http(session, basic_device.url)
        url = http.base.with_path("/api/info")
        with pytest.raises(AuthenticationError):
            await http.send("GET", url, what="info")
        reply = await http.send("GET", url, what="info", pass_challenge="basic")

    assert reply.status == 401
    assert reply.body == b""
    assert reply.challenge.startswith("Basic")
    assert not reply.ok


async def test_device_http_refused_connection_is_unreachable(socket_enabled: None) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with ClientSession() as session:
        http = DeviceHttp(session, "127.0.0.1", port)
        with pytest.raises(DeviceUnreachableError, match=r"cannot connect to 127\.0\.0\.1"):
            await http.send("GET", http.base.with_path("/"), what="info")


async def test_device_http_timeout_and_dropped_connection(socket_enabled: None) -> None:
    """No answer in time, or a connection dropped mid-request: DeviceTimeoutError."""
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    async def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        await release.wait()
        return web.Response()

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_get("/drop", drop)
    async for url in _serve(app):
        async with ClientSession() as session:
            http = _device_http(session, url, timeout=0.2)
            with pytest.raises(DeviceTimeoutError, match="slow: no answer within 0 s"):
                await http.send("GET", http.base.with_path("/slow"), what="slow")
            with pytest.raises(DeviceTimeoutError, match="drop: the connection failed"):
                await http.send("GET", http.base.with_path("/drop"), what="drop", seconds=5)
        release.set()


async def test_device_http_caps_the_body(socket_enabled: None) -> None:
    """A body over `max_bytes` is a DecodeError, declared or streamed."""

    async def declared(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 100)

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(10):
            await response.write(b"x" * 10)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/declared", declared)
    app.router.add_get("/streamed", streamed)
    async for url in _serve(app):
        async with ClientSession() as session:
            http = _device_http(session, url, max_bytes=99)
            for path in ("/declared", "/streamed"):
                with pytest.raises(DecodeError, match="larger than any device sends"):
                    await http.send("GET", http.base.with_path(path), what=path)
            http.max_bytes = 100
            reply = await http.send("GET", http.base.with_path("/streamed"), what="streamed")
            assert reply.body == b"x" * 100


def test_device_response_refusal_names_the_status() -> None:
    err = DeviceResponse(503, b"busy").refusal("POST /x")
    assert err.code == "HTTP 503"
    assert "POST /x: HTTP status 503" in str(err)


def test_device_http_strips_ipv6_brackets() -> None:
    http = DeviceHttp(None, " [fe80::1] ", 8000)  # type: ignore[arg-type]
    assert http.host == "fe80::1"
    assert str(http.base) == "http://[fe80::1]:8000"
