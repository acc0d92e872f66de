"""The UNV LAPI client over real sockets: a local aiohttp device that demands HTTP Digest.

The digest answer is checked here with hashlib (RFC 7616, MD5, qop auth), independently of
aiohttp's middleware. Pushes are handed to `handle_request` as Home Assistant's views do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import json
import re
import secrets
import socket
from typing import Any

from aiohttp import ClientSession, web
import pytest

from custom_components.face_access.protocols import model
from custom_components.face_access.protocols.client import InboundHttp
from custom_components.face_access.protocols.http import HttpRequest
from custom_components.face_access.protocols.unv_lapi import (
    PERSON_VERIFICATION,
    LapiConnection,
    Subscription,
    SubscriptionsFullError,
    UnvLapiClient,
)

SERIAL = "210235C31L3186000023"
USER = "admin"
PASSWORD = "correct horse"
REALM = "unv"
NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')

Handler = Callable[[str, Any], Any]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def envelope(url: str, data: Any = "null", status: int = 0) -> dict[str, Any]:
    return {
        "Response": {
            "ResponseURL": url,
            "CreatedID": -1,
            "ResponseCode": 0,
            "ResponseString": "Succeed",
            "StatusCode": status,
            "StatusString": "Succeed" if status == 0 else "Failed",
            "Data": data,
        }
    }


@dataclass
class Device:
    """The device's LAPI: what it received, and answers by (method, path)."""

    port: int = 0
    nonces: set[str] = field(default_factory=set)
    received: list[tuple[str, str, Any]] = field(default_factory=list)
    answers: dict[tuple[str, str], Any] = field(default_factory=dict)
    next_id: int = 1000
    subscriptions: set[str] = field(default_factory=set)

    def calls(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _body in self.received]


def _digest_ok(device: Device, method: str, path: str, header: str | None) -> bool:
    if header is None or not header.startswith("Digest "):
        return False
    params = {key: quoted or bare for key, quoted, bare in _PARAM.findall(header[7:])}
    if params.get("nonce") not in device.nonces or params.get("uri") != path:
        return False
    ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
    ha2 = _md5(f"{method}:{path}")
    expected = _md5(f"{ha1}:{params['nonce']}:{params.get('nc')}:{params.get('cnonce')}:auth:{ha2}")
    return params.get("qop") == "auth" and params.get("response") == expected


def _default(device: Device, method: str, path: str, body: Any) -> Any:
    if path == "/LAPI/V1.0/System/DeviceBasicInfo":
        return envelope(
            path,
            {
                "Manufacturer": "UNIVIEW",
                "DeviceModel": "EG131-HF",
                "SerialNuber": SERIAL,
                "FirmwareVersion": "PTS_Q2101",
                "HardewareID": "A",
                "Address": "127.0.0.1",
            },
        )
    if path == "/LAPI/V1.0/System/Event/Subscription" and method == "POST":
        if len(device.subscriptions) >= 2:
            return envelope(path, "null", status=13)
        sub_id = str(device.next_id)
        device.next_id += 1
        device.subscriptions.add(sub_id)
        # The document's example sends the ID as a string and misspells CurrentTime.
        return envelope(path, {"ID": sub_id, "CurrrntTime": 1, "TerminationTime": 2})
    if path.startswith("/LAPI/V1.0/System/Event/Subscription/"):
        sub_id = path.rsplit("/", 1)[1]
        if sub_id not in device.subscriptions:
            return envelope(path, "null", status=1)
        if method == "DELETE":
            device.subscriptions.discard(sub_id)
        return envelope(path, {"CurrrntTime": 1, "TerminationTime": 2})
    if path in ("/LAPI/V1.0/System/KeepAlive", "/LAPI/V1.0/PACS/Controller/RemoteOpened"):
        return envelope(path)
    return web.Response(status=404, text="no such resource")


@pytest.fixture
async def device(socket_enabled: None) -> AsyncIterator[Device]:
    state = Device()

    async def handler(request: web.Request) -> web.StreamResponse:
        if not _digest_ok(
            state, request.method, request.path_qs, request.headers.get("Authorization")
        ):
            nonce = secrets.token_hex(16)
            state.nonces.add(nonce)
            challenge = f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", algorithm=MD5'
            return web.Response(status=401, headers={"WWW-Authenticate": challenge})
        raw = await request.read()
        body = json.loads(raw) if raw else None
        state.received.append((request.method, request.path, body))
        answer = state.answers.get((request.method, request.path))
        if answer is None:
            answer = _default(state, request.method, request.path, body)
        if isinstance(answer, web.StreamResponse):
            return answer
        return web.Response(text=json.dumps(answer), content_type="text/plain")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[ClientSession]:
    async with ClientSession() as client_session:
        yield client_session


def connect(session: ClientSession, device: Device, password: str = PASSWORD) -> LapiConnection:
    return LapiConnection(session, "127.0.0.1", device.port, USER, password, timeout=5)


def push(seq: int = 5) -> bytes:
    return json.dumps(
        {
            "Reference": "127.0.0.1:8123/Subscription/Subscribers/1000",
            "Seq": seq,
            "DeviceCode": SERIAL,
            "Timestamp": 1564707616,
            "NotificationType": 0,
            "FaceInfoList": [{"ID": seq, "Timestamp": 1564707615, "Temperature": 36.5}],
            "LibMatInfoList": [
                {
                    "ID": seq,
                    "LibID": 3,
                    "LibType": 3,
                    "MatchStatus": 1,
                    "MatchPersonID": 1020,
                    "MatchPersonInfo": {"PersonName": "Alice"},
                }
            ],
        }
    ).encode()


async def test_identify_answers_the_digest_challenge(
    session: ClientSession, device: Device
) -> None:
    identity = await connect(session, device).identify()
    assert identity.serial == SERIAL
    assert identity.info.model == "EG131-HF"
    assert device.calls() == [("GET", "/LAPI/V1.0/System/DeviceBasicInfo")]


async def test_a_wrong_password_is_an_authentication_error(
    session: ClientSession, device: Device
) -> None:
    with pytest.raises(model.AuthenticationError):
        await connect(session, device, "wrong").identify()
    assert device.received == []


async def test_a_closed_port_is_unreachable(session: ClientSession, socket_enabled: None) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection = LapiConnection(session, "127.0.0.1", port, USER, PASSWORD)
    with pytest.raises(model.DeviceUnreachableError):
        await connection.keep_alive()


async def test_subscribe_refresh_unsubscribe(session: ClientSession, device: Device) -> None:
    connection = connect(session, device)
    sub = await connection.subscribe("127.0.0.1", 8123, 4294967295)
    assert sub == Subscription("1000", 3600)
    method, path, body = device.received[-1]
    assert (method, path) == ("POST", "/LAPI/V1.0/System/Event/Subscription")
    assert body["Duration"] == 3600
    assert body["Type"] == 1024
    assert body["IPAddress"] == "127.0.0.1"
    assert body["Port"] == 8123
    refreshed = await connection.refresh(sub)
    assert refreshed.id == "1000"
    assert device.received[-1] == (
        "PUT",
        "/LAPI/V1.0/System/Event/Subscription/1000",
        {"Duration": 3600},
    )
    await connection.unsubscribe(sub)
    assert device.calls()[-1] == ("DELETE", "/LAPI/V1.0/System/Event/Subscription/1000")
    assert device.subscriptions == set()


async def test_two_subscribers_fill_the_slots(session: ClientSession, device: Device) -> None:
    device.subscriptions = {"1", "2"}
    with pytest.raises(SubscriptionsFullError) as err:
        await connect(session, device).subscribe("127.0.0.1", 8123, 60)
    assert err.value.code == "StatusCode 13"


async def test_the_client_subscribes_and_unsubscribes(
    session: ClientSession, device: Device
) -> None:
    client = UnvLapiClient(
        SERIAL,
        connection=connect(session, device),
        now=lambda: NOW,
        subscribe_to=("127.0.0.1", 8123),
        duration=600,
        features=frozenset(),
    )
    await client.start()
    assert client.subscription == Subscription("1000", 600)
    assert client.diagnostics()["subscribed"] is True
    await client.stop()
    assert device.calls()[-1] == ("DELETE", "/LAPI/V1.0/System/Event/Subscription/1000")
    assert client.subscription is None


async def test_the_client_probes_features(session: ClientSession, device: Device) -> None:
    device.answers[("GET", "/LAPI/V1.0/PACS/Controller/OpenDoorMode")] = envelope(
        "/LAPI/V1.0/PACS/Controller/OpenDoorMode", {"Mode": 0}
    )
    client = UnvLapiClient(SERIAL, connection=connect(session, device), now=lambda: NOW)
    await client.start()
    assert client.features == frozenset({"door"})
    assert model.Capability.OPEN_DOOR in client.profile.capabilities
    assert not client.profile.capabilities & model.PEOPLE_CAPABILITIES
    await client.open_door()
    assert device.calls()[-1] == ("PUT", "/LAPI/V1.0/PACS/Controller/RemoteOpened")
    with pytest.raises(model.UnsupportedError):
        await client.list_people()
    assert (await client.query_info()).model == "EG131-HF"
    await client.stop()


async def test_a_push_is_acknowledged_and_emitted_once(
    session: ClientSession, device: Device
) -> None:
    client = UnvLapiClient(
        SERIAL, connection=connect(session, device), now=lambda: NOW, features=frozenset()
    )
    assert isinstance(client, InboundHttp)
    messages: list[model.DeviceMessage] = []
    client.subscribe(messages.append)
    request = HttpRequest(body=push(7), path=PERSON_VERIFICATION, content_type="text/plain")
    reply = await client.handle_request(request)
    assert reply.status == 200
    answer = json.loads(reply.body)["Response"]
    assert answer["ResponseURL"] == "/LAPI/V1.0/PACS/Controller/Event/Notifications"
    assert answer["Data"]["RecordID"] == 7
    assert len(messages) == 1
    record = messages[0]
    assert isinstance(record, model.AccessRecord)
    assert record.kind is model.AccessKind.RECOGNIZED
    assert record.person_id == "1020"
    again = await client.handle_request(request)
    assert again.status == 200
    assert json.loads(again.body)["Response"]["Data"]["RecordID"] == 7
    assert len(messages) == 1
    assert client.diagnostics()["duplicates"] == 1
    assert client.connected_once


async def test_requests_that_are_not_pushes(session: ClientSession, device: Device) -> None:
    client = UnvLapiClient(
        SERIAL, connection=connect(session, device), now=lambda: NOW, features=frozenset()
    )
    messages: list[model.DeviceMessage] = []
    client.subscribe(messages.append)
    assert (await client.handle_request(HttpRequest(body=b"garbage"))).status == 400
    assert (await client.handle_request(HttpRequest(body=b'{"a": 1}'))).status == 400
    heartbeat = {
        "RefId": "30f83ce3",
        "Time": "1900-01-00 00:00:00",
        "NextTime": "1970 - 01 - 01   08:00:01 ",
        "DeviceCode": SERIAL,
        "DeviceType": 1,
    }
    reply = await client.handle_request(HttpRequest(body=json.dumps(heartbeat).encode()))
    assert json.loads(reply.body) == {
        "ResponseURL": "/LAPI/V1.0/PACS/Controller/HeartReportInfo",
        "Code": 0,
        "Data": {"Time": "2024-05-06 07:08:09"},
    }
    other = json.loads(push())
    other["DeviceCode"] = "someone else"
    reply = await client.handle_request(HttpRequest(body=json.dumps(other).encode()))
    assert reply.status == 200
    assert [type(message) for message in messages] == [model.Alive]


async def test_a_device_that_asks_for_basic_gets_basic(
    session: ClientSession, socket_enabled: None
) -> None:
    expected = "Basic " + __import__("base64").b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    seen: list[str | None] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="unv"'})
        return web.Response(text=json.dumps(envelope(request.path)), content_type="text/plain")

    app = web.Application()
    app.router.add_get("/LAPI/V1.0/System/KeepAlive", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        connection = LapiConnection(session, "127.0.0.1", port, USER, PASSWORD)
        await connection.keep_alive()
        await connection.keep_alive()
    finally:
        await runner.cleanup()
    assert seen == [None, expected, expected]
