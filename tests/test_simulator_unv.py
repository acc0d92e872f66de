"""Tests of the Uniview face terminal simulator (``unv_lapi``).

Everything goes over real sockets on 127.0.0.1. A plain aiohttp client plays the
integration calling the device (Digest computed here with hashlib, or aiohttp's
``DigestAuthMiddleware``); a small aiohttp server on its own ``LoopThread`` (``Platform``)
plays the integration's push receiver. "L123" is a line of unv-lapi-http.txt.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable, Iterator
import contextlib
import hashlib
import json
import random
import re
import threading
import time
from typing import Any

from aiohttp import BasicAuth, ClientSession, DigestAuthMiddleware, web
import pytest

from simulators.images import sniff_format
from simulators.lifecycle import StartStop
from simulators.loop_thread import LoopThread
from simulators.unv_lapi import (
    DEFAULT_SERIAL,
    HEARTBEAT_PATH,
    NOTIFICATIONS_PATH,
    PACS_SUBSCRIPTION_PATH,
    PERSON_VERIFICATION_PATH,
    REALM,
    REMOTE_OPEN_PATH,
    SUBSCRIPTION_PATH,
    UnvLapiSimulator,
)
from simulators.unv_lapi.__main__ import main as cli_main

USER = "admin"
PASSWORD = "s3cret"
LAPI = "/LAPI/V1.0"


def ack(body: dict[str, Any]) -> dict[str, Any]:
    """The acknowledgement of notes §1.3 item 1: ``RecordID`` = the push's ``Seq``."""
    return {
        "Response": {
            "ResponseURL": NOTIFICATIONS_PATH,
            "StatusCode": 0,
            "StatusString": "Succeed",
            "Data": {"RecordID": body["Seq"], "Time": time.strftime("%Y-%m-%d %H:%M:%S")},
        }
    }


class Platform(StartStop):
    """The integration's push receiver, on its own loop thread.

    Records are answered with ``record_reply(body)`` (default: the ACK; None: an empty
    200), heartbeats with the flat reply of L626-634. Every POST is kept as (path,
    Content-Type, text).
    """

    def __init__(self) -> None:
        self.engine = LoopThread("unv-test-platform")
        self._lock = threading.Lock()
        self._received: list[tuple[str, str, str]] = []
        self.record_reply: Callable[[dict[str, Any]], dict[str, Any] | None] = ack
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _setup(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/{tail:.*}", self._post)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def _teardown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def start(self) -> None:
        self.engine.start(self._setup, self._teardown)

    def stop(self) -> None:
        self.engine.stop()

    async def _post(self, request: web.Request) -> web.Response:
        text = (await request.read()).decode("utf-8")
        with self._lock:
            self._received.append((request.path, request.headers.get("Content-Type", ""), text))
        if request.path == HEARTBEAT_PATH:
            reply: dict[str, Any] | None = {
                "ResponseURL": HEARTBEAT_PATH,
                "Code": 0,
                "Data": {"Time": time.strftime("%Y-%m-%d %H:%M:%S")},
            }
        else:
            try:
                reply = self.record_reply(json.loads(text))
            except ValueError:
                reply = None
        return web.Response(text=json.dumps(reply) if reply else "", content_type="text/plain")

    def texts(self, path: str = PERSON_VERIFICATION_PATH) -> list[str]:
        with self._lock:
            return [text for where, _, text in self._received if where == path]

    def records(self, path: str = PERSON_VERIFICATION_PATH) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.texts(path)]

    def content_types(self) -> list[str]:
        with self._lock:
            return [content_type for _, content_type, _ in self._received]


@pytest.fixture
def platform(socket_enabled: None) -> Iterator[Platform]:
    with Platform() as server:
        yield server


@pytest.fixture
def make_sim(socket_enabled: None) -> Iterator[Callable[..., UnvLapiSimulator]]:
    """Build and start simulators (test credentials, quick re-sends); stop them after."""
    with contextlib.ExitStack() as stack:

        def _make(**kwargs: Any) -> UnvLapiSimulator:
            options = {"user": USER, "password": PASSWORD, "resend_interval": 0.3, **kwargs}
            simulator = UnvLapiSimulator(**options)
            simulator.start()
            stack.callback(simulator.stop)
            return simulator

        yield _make
    assert not [t for t in threading.enumerate() if t.name.startswith("unv-lapi-sim")]


@pytest.fixture
async def client() -> AsyncIterator[ClientSession]:
    """A client that answers the device's Digest challenges (aiohttp's middleware)."""
    async with ClientSession(middlewares=(DigestAuthMiddleware(USER, PASSWORD),)) as session:
        yield session


@pytest.fixture
async def plain() -> AsyncIterator[ClientSession]:
    """A client without authentication of its own."""
    async with ClientSession() as session:
        yield session


async def call(
    client: ClientSession, sim: UnvLapiSimulator, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    """Call ``path`` of ``sim``; return the HTTP status and the parsed ``Response``."""
    async with client.request(method, f"{sim.url}{path}", json=body) as response:
        text = await response.text()
        assert response.headers["Content-Type"].startswith("text/plain")
        return response.status, json.loads(text)["Response"]


def subscription(platform: Platform, duration: int = 60, **extra: Any) -> dict[str, Any]:
    return {
        "AddressType": 0,
        "IPAddress": "127.0.0.1",
        "Port": platform.port,
        "Duration": duration,
        "Type": 1024,
        "SubscribePersonCondition": {"LibIDNum": 65535, "LibIDList": []},
        **extra,
    }


async def subscribe(client: ClientSession, sim: UnvLapiSimulator, platform: Platform) -> int:
    status, response = await call(client, sim, "POST", SUBSCRIPTION_PATH, subscription(platform))
    assert status == 200
    assert response["ResponseCode"] == 0
    assert response["StatusCode"] == 0
    return int(response["Data"]["ID"])


async def until(predicate: Callable[[], bool], within: float = 10.0) -> bool:
    """Wait for ``predicate`` without blocking the test's own loop."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def digest_header(
    challenge: str, method: str, uri: str, *, user: str = USER, password: str = PASSWORD
) -> str:
    """Answer a Digest challenge (RFC 7616, MD5, qop auth) with hashlib."""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    assert params["qop"] == "auth"
    assert params["realm"] == REALM

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    nc, cnonce = "00000001", "0a4f113b"
    ha1, ha2 = md5(f"{user}:{params['realm']}:{password}"), md5(f"{method}:{uri}")
    response = md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{uri}", qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}", '
        f'opaque="{params["opaque"]}", algorithm=MD5'
    )


# ------------------------------------------------------------------- auth


async def test_digest_auth(
    make_sim: Callable[..., UnvLapiSimulator], plain: ClientSession, client: ClientSession
) -> None:
    """Digest (notes §1.3 item 8): a challenge, the hashlib answer, a wrong password."""
    sim = make_sim()
    url = f"{sim.url}{LAPI}/System/KeepAlive"
    async with plain.get(url) as response:
        assert response.status == 401
        challenge = response.headers["WWW-Authenticate"]
        body = json.loads(await response.text())["Response"]
    assert challenge.startswith("Digest ")
    assert body["ResponseCode"] == 3
    assert body["StatusCode"] == 12

    uri = f"{LAPI}/System/KeepAlive"
    async with plain.get(url, headers={"Authorization": digest_header(challenge, "GET", uri)}) as r:
        assert r.status == 200
    # The same nonce count again is a replay.
    async with plain.get(url, headers={"Authorization": digest_header(challenge, "GET", uri)}) as r:
        assert r.status == 401
        assert "stale=true" in r.headers["WWW-Authenticate"]
    wrong = digest_header(challenge, "GET", uri, password="wrong")
    async with plain.get(url, headers={"Authorization": wrong}) as response:
        assert response.status == 401
    async with plain.get(url, auth=BasicAuth(USER, PASSWORD)) as response:
        assert response.status == 401
    # aiohttp's own middleware speaks the same Digest.
    status, body = await call(client, sim, "GET", f"{LAPI}/System/KeepAlive")
    assert status == 200
    assert body["ResponseCode"] == 0
    bad = ClientSession(middlewares=(DigestAuthMiddleware(USER, "wrong"),))
    async with bad, bad.get(url) as response:
        assert response.status == 401
    assert sim.auth_failures >= 5
    assert sim.requests == [f"GET {uri}", f"GET {uri}"]


async def test_basic_mode(make_sim: Callable[..., UnvLapiSimulator], plain: ClientSession) -> None:
    """Basic only (GainSec's DTM-600): 401 with a Basic challenge and StatusCode 11."""
    sim = make_sim(auth="basic")
    url = f"{sim.url}{LAPI}/System/DeviceBasicInfo"
    async with plain.get(url, auth=BasicAuth(USER, "wrong")) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
        assert json.loads(await response.text())["Response"]["StatusCode"] == 11
    async with plain.get(url, auth=BasicAuth(USER, PASSWORD)) as response:
        assert response.status == 200
    open_sim = make_sim(auth=None)
    async with plain.get(f"{open_sim.url}{LAPI}/System/KeepAlive") as response:
        assert response.status == 200


# ------------------------------------------------------------ device info


async def test_device_info_and_keepalive(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession
) -> None:
    """4.2.1 and 4.2.2: the envelope, ``Data`` "null", the document's spellings on demand."""
    sim = make_sim(serial="210235C3R0320B000985")
    status, body = await call(client, sim, "GET", f"{LAPI}/System/DeviceBasicInfo")
    assert status == 200
    assert body["ResponseURL"] == f"{LAPI}/System/DeviceBasicInfo"
    assert body["CreatedID"] == -1
    data = body["Data"]
    assert data["SerialNumber"] == "210235C3R0320B000985"
    assert data["Manufacturer"] == "UNIVIEW"
    assert data["HardewareID"] == "A"
    assert re.fullmatch(r"[0-9a-f]{12}", data["MAC"])

    status, body = await call(client, sim, "GET", f"{LAPI}/System/KeepAlive")
    assert (status, body["Data"], body["StatusString"]) == (200, "null", "Succeed")

    quirky = make_sim(doc_quirks=True)
    # Another device, another digest session: the newest aiohttp answers a new host with the
    # previous host's nonce first.
    async with ClientSession(middlewares=(DigestAuthMiddleware(USER, PASSWORD),)) as other:
        _, body = await call(other, quirky, "GET", f"{LAPI}/System/DeviceBasicInfo")
        assert body["Data"]["SerialNuber"] == DEFAULT_SERIAL
        assert "SerialNumber" not in body["Data"]
        status, body = await call(other, quirky, "GET", f"{LAPI}/System/NoSuchThing")
    assert status == 404
    assert body["ResponseCode"] == 4


# ----------------------------------------------------------- subscriptions


async def test_subscription_lifecycle(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession, platform: Platform
) -> None:
    """4.3.1-4.3.3: IDs from 1000, two slots (13), repeated (14), refresh, delete."""
    sim = make_sim()
    status, body = await call(client, sim, "POST", SUBSCRIPTION_PATH, subscription(platform))
    assert status == 200
    data = body["Data"]
    assert data["ID"] == 1000 == body["CreatedID"]
    assert data["TerminationTime"] - data["CurrentTime"] == 60
    assert data["Reference"].endswith("/Subscription/Subscribers/1000")
    assert sim.answered

    _, body = await call(client, sim, "POST", SUBSCRIPTION_PATH, subscription(platform))
    assert body["StatusCode"] == 14  # the same subscriber again
    other = subscription(platform, Port=platform.port + 1 if platform.port < 65535 else 1)
    _, body = await call(client, sim, "POST", SUBSCRIPTION_PATH, other)
    assert body["Data"]["ID"] == 1001
    third = subscription(platform, IPAddress="127.0.0.2")
    _, body = await call(client, sim, "POST", SUBSCRIPTION_PATH, third)
    assert (body["ResponseCode"], body["StatusCode"], body["StatusString"]) == (1, 13, "NO Space")
    assert sorted(sim.subscriptions) == [1000, 1001]

    for bad in (
        subscription(platform, IPAddress="127.0.0.3", Duration=29),
        subscription(platform, IPAddress="127.0.0.3", Duration=3601),
        subscription(platform, IPAddress="127.0.0.3", AddressType=1),
        subscription(platform, IPAddress="127.0.0.3", Port=0),
    ):
        _, body = await call(client, sim, "POST", SUBSCRIPTION_PATH, bad)
        assert body["ResponseCode"] == 2
    assert sim.protocol_violations == ["AddressType 1: only IPv4 (0, L877)"]

    status, body = await call(client, sim, "PUT", f"{SUBSCRIPTION_PATH}/1000", {"Duration": 3600})
    assert status == 200
    assert body["Data"]["TerminationTime"] - body["Data"]["CurrentTime"] == 3600
    assert "ID" not in body["Data"]
    _, body = await call(client, sim, "PUT", f"{SUBSCRIPTION_PATH}/1000", {"Duration": 10})
    assert body["ResponseCode"] == 2
    _, body = await call(client, sim, "DELETE", f"{SUBSCRIPTION_PATH}/1001")
    assert body["ResponseCode"] == 0
    assert body["Data"] == "null"
    _, body = await call(client, sim, "PUT", f"{SUBSCRIPTION_PATH}/1001", {"Duration": 60})
    assert body["ResponseCode"] != 0
    assert list(sim.subscriptions) == [1000]
    assert sim.subscriptions_created == 2


async def test_subscription_expiry_reboot_and_string_ids(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession, platform: Platform
) -> None:
    """Expiry after ``Duration`` (refresh moves it), permanent, reboot, ``"ID": "1000"``."""
    sim = make_sim(string_ids=True, doc_quirks=True)
    _, body = await call(client, sim, "POST", SUBSCRIPTION_PATH, subscription(platform, 30))
    assert body["Data"]["ID"] == "1000"
    assert "CurrrntTime" in body["Data"]
    sim.advance_clock(20)
    await call(client, sim, "PUT", f"{SUBSCRIPTION_PATH}/1000", {"Duration": 30})
    sim.advance_clock(20)
    assert list(sim.subscriptions) == [1000]
    sim.advance_clock(11)
    assert sim.subscriptions == {}
    _, body = await call(client, sim, "PUT", f"{SUBSCRIPTION_PATH}/1000", {"Duration": 30})
    assert body["ResponseCode"] != 0

    permanent = subscription(platform, 4294967295)
    _, body = await call(client, sim, "POST", SUBSCRIPTION_PATH, permanent)
    assert body["Data"]["ID"] == "1001"
    sim.advance_clock(10**6)
    assert list(sim.subscriptions) == [1001]
    sim.reboot()
    assert sim.subscriptions == {}
    assert sim.reboots == 1
    _, body = await call(client, sim, "POST", SUBSCRIPTION_PATH, permanent)
    assert body["StatusCode"] == 0


async def test_pacs_subscription_variant(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession, platform: Platform
) -> None:
    """The L90-121 example: ``PACS/Controller/Event/Subscriptions`` with a flat body."""
    sim = make_sim(subscription_api="pacs")
    status, _ = await call(client, sim, "POST", SUBSCRIPTION_PATH, subscription(platform))
    assert status == 404
    flat = {
        "AddressType": 0,
        "IPAddress": "127.0.0.1",
        "Port": platform.port,
        "Duration": 60,
        "Type": 1,
        "LibIDNum": 1,
        "LibIDList": [{"LibID": 3}],
    }
    _, body = await call(client, sim, "POST", PACS_SUBSCRIPTION_PATH, flat)
    assert body["Data"]["ID"] == 1000
    assert sim.subscriptions[1000]["lib_ids"] == [3]
    _, body = await call(client, sim, "DELETE", f"{PACS_SUBSCRIPTION_PATH}/1000")
    assert body["ResponseCode"] == 0
    assert sim.subscriptions == {}


# ------------------------------------------------------------------ pushes


async def test_recognition_push_and_ack(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession, platform: Platform
) -> None:
    """4.3.4: text/plain JSON to the fixed path; the ACK of notes §1.3 item 1."""
    sim = make_sim()
    sim.add_person("1020", "Alice", card_id="123456789")
    await subscribe(client, sim, platform)
    seq = sim.recognition("1020", 36.5, True)
    assert await until(lambda: seq in sim.acked)
    (record,) = platform.records()
    assert platform.content_types() == ["text/plain"]
    assert record["Seq"] == seq
    assert record["DeviceCode"] == DEFAULT_SERIAL
    assert record["NotificationType"] == 0
    assert record["Reference"].endswith("/Subscription/Subscribers/1000")
    (face,) = record["FaceInfoList"]
    assert (face["Temperature"], face["MaskFlag"], face["CapSrc"]) == (36.5, 2, 1)
    for image in ("PanoImage", "FaceImage"):
        raw = base64.b64decode(face[image]["Data"], validate=True)
        assert sniff_format(raw) == "jpeg"
        assert face[image]["Size"] == len(raw)
    (match,) = record["LibMatInfoList"]
    assert match["ID"] == face["ID"]
    assert (match["MatchStatus"], match["MatchPersonID"], match["LibID"]) == (1, 1020, 3)
    assert match["MatchPersonInfo"]["PersonName"] == "Alice"
    assert match["MatchPersonInfo"]["CardID"] == "123456789"
    assert sim.pending == []
    assert sim.resent == 0
    assert sim.protocol_violations == []
    assert sim.connected


async def test_unacknowledged_record_comes_back_as_history(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession, platform: Platform
) -> None:
    """No ACK: the same ``Seq`` again with ``NotificationType`` 1 until it is acknowledged."""
    sim = make_sim()
    platform.record_reply = lambda body: None
    await subscribe(client, sim, platform)
    seq = sim.stranger(36.4, False)
    assert await until(lambda: len(platform.records()) >= 3)
    first, *again = platform.records()
    assert first["NotificationType"] == 0
    assert all(r["Seq"] == seq and r["NotificationType"] == 1 for r in again)
    assert sim.pending == [seq]
    assert sim.resent >= 2
    platform.record_reply = ack
    assert await until(lambda: sim.acked == [seq])
    count = len(platform.records())
    await asyncio.sleep(0.8)
    assert len(platform.records()) == count


async def test_wrong_record_id_and_kept_records(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession, platform: Platform
) -> None:
    """A wrong ``RecordID`` is no ACK; records made with no subscriber follow as history."""
    sim = make_sim(resend_interval=None, push_path=NOTIFICATIONS_PATH)
    seq = sim.card("00012345")
    await asyncio.sleep(0.2)
    assert platform.records(NOTIFICATIONS_PATH) == []
    platform.record_reply = lambda body: ack({"Seq": body["Seq"] + 100})
    await subscribe(client, sim, platform)
    assert await until(lambda: len(platform.records(NOTIFICATIONS_PATH)) == 1)
    (record,) = platform.records(NOTIFICATIONS_PATH)
    assert record["NotificationType"] == 1
    assert record["CardInfoList"] == [
        {
            "ID": record["CardInfoList"][0]["ID"],
            "Timestamp": record["CardInfoList"][0]["Timestamp"],
            "CapSrc": 2,
            "CardType": 1,
            "CardID": "00012345",
            "CardStatus": 1,
        }
    ]
    assert "LibMatInfoList" not in record
    # The platform has the record before the simulator has read the platform's answer.
    wrong = [f"RecordID {seq + 100} acknowledges record {seq} (notes §1.3.1)"]
    assert await until(lambda: sim.protocol_violations == wrong)
    assert sim.pending == [seq]


async def test_push_kinds(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession, platform: Platform
) -> None:
    """Denied, fever, ID card and gate records carry the document's fields."""
    sim = make_sim()
    sim.add_person("7", "Bob")
    await subscribe(client, sim, platform)
    seqs = [
        sim.denied(3, "7"),
        sim.high_temperature(38.4),
        sim.high_temperature(37.9, "7", mask=False),
        sim.id_card("Li Si", "110101199003071234"),
        sim.gate(2, 1),
    ]
    assert await until(lambda: sorted(sim.acked) == seqs)
    by_seq = {r["Seq"]: r for r in platform.records()}
    denied, fever, fever_bob, id_card, gate = (by_seq[s] for s in seqs)
    assert denied["LibMatInfoList"][0]["MatchStatus"] == 3
    assert denied["FaceInfoList"][0]["Temperature"] == 0
    assert denied["FaceInfoList"][0]["MaskFlag"] == 0
    assert fever["LibMatInfoList"][0]["MatchStatus"] == 11
    assert fever["FaceInfoList"][0]["Temperature"] == 38.4
    assert fever_bob["LibMatInfoList"][0]["MatchPersonID"] == 7
    assert fever_bob["FaceInfoList"][0]["MaskFlag"] == 1
    (card,) = id_card["CardInfoList"]
    assert (card["CapSrc"], card["CardType"], card["IdentityNo"]) == (3, 0, "110101199003071234")
    assert sniff_format(base64.b64decode(card["IDImage"]["Data"])) == "jpeg"
    assert gate["GateInfoList"][0]["InPersonCnt"] == 2
    assert gate["GateInfoList"][0]["CapSrc"] == 4


async def test_heartbeat(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession, platform: Platform
) -> None:
    """4.1.2: HeartReportInfo with ``DeviceCode``; the flat reply counts as answered."""
    sim = make_sim(heartbeat_interval=0.2)
    assert not sim.answered
    await subscribe(client, sim, platform)
    assert await until(lambda: len(platform.records(HEARTBEAT_PATH)) >= 2)
    beat = platform.records(HEARTBEAT_PATH)[0]
    assert beat["DeviceCode"] == DEFAULT_SERIAL
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", beat["Time"])
    assert {"RefId", "NextTime", "DeviceType"} <= set(beat)
    assert await until(lambda: sim.heartbeat_replies != [])
    assert sim.announcements >= 2
    assert sim.protocol_violations == []


# ---------------------------------------------------------- extended paths


async def test_remote_open_and_snapshot(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession
) -> None:
    """Notes §1.2: PUT RemoteOpened with an empty body; SnapshotURL names a JPEG."""
    sim = make_sim()
    async with client.put(f"{sim.url}{REMOTE_OPEN_PATH}") as response:
        assert response.status == 200
        assert json.loads(await response.text())["Response"]["ResponseCode"] == 0
    assert sim.door_openings == 1 == sim.unlock_count
    assert sim.last_unlock_via() == "RemoteOpened"
    show = {"ResultCode": 1, "ResultMsg": "Welcome"}
    await call(client, sim, "PUT", f"{LAPI}/PACS/Controller/GUIShowInfoEx", show)
    assert sim.door_openings == 2

    _, body = await call(client, sim, "GET", f"{LAPI}/Channels/0/Media/SnapshotURL")
    async with client.get(body["Data"]["URL"]) as response:
        assert response.status == 200
        assert sniff_format(await response.read()) == "jpeg"


async def test_people(make_sim: Callable[..., UnvLapiSimulator], client: ClientSession) -> None:
    """Notes §1.2/§1.3: add (POST), modify (PUT), paged query, delete with LastChange."""
    sim = make_sim()
    people = f"{LAPI}/PeopleLibraries/3/People"
    face = base64.b64encode(b"\xff\xd8\xff\xe0 not really a jpeg").decode()
    add = {
        "Num": 2,
        "PersonInfoList": [
            {
                "PersonID": 1001,
                "LastChange": 1700000000,
                "PersonCode": "E1001",
                "PersonName": "Alice",
                "IdentificationNum": 1,
                "IdentificationList": [{"Type": 1, "Number": "0042"}],
                "ImageNum": 1,
                "ImageList": [{"FaceID": 1, "Name": "a.jpg", "Size": 10, "Type": 1, "Data": face}],
            },
            {"PersonID": 1002, "PersonCode": "E1002", "PersonName": "Bob"},
        ],
    }
    status, body = await call(client, sim, "POST", people, add)
    assert (status, body["ResponseCode"]) == (200, 0)
    assert sim.persons["1001"]["card_id"] == "0042"
    assert sim.persons["1001"]["image"].startswith(b"\xff\xd8")
    _, body = await call(client, sim, "POST", people, add)
    assert body["ResponseCode"] != 0  # both exist already

    modify = {"Num": 1, "PersonInfoList": [{"PersonID": 1002, "PersonName": "Robert"}]}
    _, body = await call(client, sim, "PUT", people, modify)
    assert body["ResponseCode"] == 0
    assert sim.persons["1002"]["name"] == "Robert"
    assert sim.persons["1002"]["person_code"] == "E1002"

    query = {"Num": 0, "Limit": 1, "Offset": 1, "QueryInfos": []}
    _, body = await call(client, sim, "POST", f"{people}/Info", query)
    assert body["Data"]["Total"] == 2
    assert [p["PersonID"] for p in body["Data"]["PersonInfoList"]] == [1002]
    by_code = {"Limit": 10, "Offset": 0, "QueryInfos": [{"QryType": 27, "QryData": "E1001"}]}
    _, body = await call(client, sim, "POST", f"{people}/Info", by_code)
    (alice,) = body["Data"]["PersonInfoList"]
    assert alice["PersonName"] == "Alice"
    assert alice["ImageList"][0]["Data"] == face

    _, body = await call(client, sim, "DELETE", f"{people}/1001")
    assert body["ResponseCode"] == 2
    _, body = await call(client, sim, "DELETE", f"{people}/1001?LastChange={int(time.time())}")
    assert body["ResponseCode"] == 0
    assert sorted(sim.persons) == ["1002"]
    _, body = await call(client, sim, "GET", f"{LAPI}/PeopleLibraries/BasicInfo")
    assert body["Data"]["LibList"][0]["PersonNum"] == 1


@pytest.mark.parametrize(("missing", "http_status"), [("404", 404), ("error", 200)])
async def test_extended_paths_absent(
    make_sim: Callable[..., UnvLapiSimulator],
    client: ClientSession,
    missing: str,
    http_status: int,
) -> None:
    """Without the extended paths the probe sees 404, or ResponseCode 4 "Not Supported"."""
    sim = make_sim(extended=False, missing=missing)
    for method, path in (
        ("PUT", REMOTE_OPEN_PATH),
        ("GET", f"{LAPI}/PeopleLibraries/BasicInfo"),
        ("POST", f"{LAPI}/PeopleLibraries/3/People/Info"),
        ("GET", f"{LAPI}/Channels/0/Media/SnapshotURL"),
    ):
        status, body = await call(client, sim, method, path, {} if method != "GET" else None)
        assert status == http_status
        assert (body["ResponseCode"], body["StatusCode"]) == (4, 8)
    assert sim.door_openings == 0
    status, _ = await call(client, sim, "GET", f"{LAPI}/System/KeepAlive")
    assert status == 200


# --------------------------------------------------------------- malformed


async def test_malformed_variants(
    make_sim: Callable[..., UnvLapiSimulator],
    client: ClientSession,
    plain: ClientSession,
    platform: Platform,
) -> None:
    """Curly quotes (L1379), ``"Data":`` without a value, ``"null"`` strings, 1900-01-00."""
    sim = make_sim(malformed=True, heartbeat_interval=0.2, auth=None)
    async with plain.get(f"{sim.url}{LAPI}/System/KeepAlive") as response:
        text = await response.text()
    assert re.search(r'"Data": \n\t}', text)
    with pytest.raises(ValueError):
        json.loads(text)

    await subscribe(client, sim, platform)
    sim.stranger(36.6, True)
    assert await until(lambda: platform.texts() != [])
    text = platform.texts()[0]
    assert "\u201cTemperature\u201d" in text
    assert "\u201cMaskFlag\u201d" in text
    fixed = json.loads(text.replace("\u201c", '"').replace("\u201d", '"'))
    assert fixed["CardInfoList"] == "null"
    assert fixed["LibMatInfoList"][0]["MatchPersonInfo"] == "null"
    assert await until(lambda: platform.records(HEARTBEAT_PATH) != [])
    assert platform.records(HEARTBEAT_PATH)[0]["Time"] == "1900-01-00 00:00:00"

    with pytest.raises(ValueError, match="unknown malformed"):
        UnvLapiSimulator(malformed={"nonsense"})


# ------------------------------------------------------------ the interface


async def test_interface_activity_and_cli(
    make_sim: Callable[..., UnvLapiSimulator], client: ClientSession, platform: Platform
) -> None:
    """``Simulator``: kind, door, address; random activity; ``--help``."""
    sim = make_sim()
    assert (sim.kind, sim.posts_to_webhook, sim.has_door) == ("unv_lapi", False, True)
    assert sim.address == ("127.0.0.1", sim.port)
    assert sim.running
    sim.add_person("5", "Carol")
    await subscribe(client, sim, platform)
    rng = random.Random(3)
    lines = [await asyncio.to_thread(sim.random_activity, rng) for _ in range(8)]
    assert all("acked" in line for line in lines), lines
    assert "recognized Carol" in await asyncio.to_thread(sim.random_recognition, rng)
    assert "serving" in sim.link

    with pytest.raises(SystemExit) as exit_info:
        cli_main(["--help"])
    assert exit_info.value.code == 0
