"""Tests of the Huaan face-capture terminal simulator (``face_capture_http``).

Everything goes over real sockets on 127.0.0.1. A plain aiohttp client plays the
integration commanding the device's own server; a small aiohttp server on its own
``LoopThread`` (``Platform``) plays the integration's push endpoint (``/push``) and its
long-poll endpoint (``/poll``). "L123" is a line of face-capture-http-v0.37.txt.
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
import contextlib
from dataclasses import dataclass
import json
import os
from pathlib import Path
import random
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from aiohttp import ClientSession, web
import pytest

from simulators.face_capture_http import (
    APP_PARAMS_REFUSED_CODE,
    DEFAULT_SERIAL,
    VERSION,
    FaceCaptureSimulator,
)
from simulators.images import make_bmp, make_jpeg, make_png, sniff_format
from simulators.lifecycle import StartStop, free_port, wait_for
from simulators.loop_thread import LoopThread

USER = "admin"
PASSWORD = "s3cret"
JPEG = make_jpeg(variant=3)
PNG = make_png(variant=4)
REPO = Path(__file__).resolve().parent.parent
CAP_TIME = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3}$")
DATE_TIME = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d$")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def basic(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def echo_ack(body: dict[str, Any]) -> dict[str, Any]:
    """The ACK L1625-L1701 demands: the same ``sequence_no`` and ``cap_time``."""
    ack: dict[str, Any] = {"reply": "ACK", "cmd": body.get("cmd"), "code": 0}
    if body.get("cmd") == "face":
        ack.update(sequence_no=body["sequence_no"], cap_time=body["cap_time"])
    return ack


HEARTBEAT_ACK = {"reply": "ACK", "cmd": "heart beat", "code": 0}


@dataclass
class Poll:
    """How the platform answers one long poll: ``body`` after ``delay`` s, or drops it."""

    body: dict[str, Any] | None = None
    delay: float = 0.0
    drop: bool = False


class Platform(StartStop):
    """The integration's side of the device's client roles, on its own loop thread.

    ``/push`` answers with ``push_reply(body)`` (default: the correct ACK). ``/poll``
    takes the next queued ``Poll``; with none queued it holds the poll ``hold`` s and
    then ACKs the heartbeat, as L99 asks.
    """

    def __init__(self) -> None:
        self.engine = LoopThread("face-capture-test-platform")
        self._lock = threading.Lock()
        self._received: list[tuple[str, dict[str, str], Any]] = []
        self._polls: deque[Poll] = deque()
        self.push_reply: Callable[[dict[str, Any]], dict[str, Any]] = echo_ack
        self.hold = 1.5
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None

    @property
    def push_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/push"

    @property
    def poll_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/poll"

    async def _setup(self) -> None:
        self._release = asyncio.Event()
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/push", self._push)
        app.router.add_post("/poll", self._poll)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _teardown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def start(self) -> None:
        self.engine.start(self._setup, self._teardown)

    def stop(self) -> None:
        self.engine.stop()

    async def _record(self, path: str, request: web.Request) -> Any:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        with self._lock:
            self._received.append((path, dict(request.headers), body))
        return body

    async def _push(self, request: web.Request) -> web.Response:
        body = await self._record("push", request)
        return web.json_response(self.push_reply(body))

    async def _poll(self, request: web.Request) -> web.Response:
        await self._record("poll", request)
        with self._lock:
            poll = self._polls.popleft() if self._polls else Poll(HEARTBEAT_ACK, self.hold)
        if poll.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        assert self._release is not None
        if poll.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), poll.delay)
        return web.json_response(poll.body)

    def queue_poll(self, *polls: Poll) -> None:
        with self._lock:
            self._polls.extend(polls)

    def received(self, path: str, cmd: str | None = None) -> list[dict[str, Any]]:
        """The bodies POSTed to ``path`` (``push``/``poll``), of ``cmd`` when given."""
        with self._lock:
            return [
                body
                for where, _, body in self._received
                if where == path and (cmd is None or body.get("cmd") == cmd)
            ]

    def headers(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [headers for where, headers, _ in self._received if where == path]

    def faces(self) -> list[dict[str, Any]]:
        return self.received("push", "face")


@pytest.fixture
def platform(socket_enabled: None) -> Iterator[Platform]:
    with Platform() as server:
        yield server


SIM_OPTIONS: dict[str, Any] = {
    "user": USER,
    "password": PASSWORD,
    "heartbeat_interval": None,
    "resend_interval": 0.1,
    "poll_pause": 0.05,
    "timeout": 5.0,
}
"""Test simulators: short pauses, no upload heartbeats unless a test asks."""


@pytest.fixture
def make_sim(socket_enabled: None) -> Iterator[Callable[..., FaceCaptureSimulator]]:
    """Build and start simulators (``SIM_OPTIONS`` updated by the keywords); stop them after."""
    with contextlib.ExitStack() as stack:

        def _make(**kwargs: Any) -> FaceCaptureSimulator:
            simulator = FaceCaptureSimulator(**{**SIM_OPTIONS, **kwargs})
            simulator.start(0)
            stack.callback(simulator.stop)
            return simulator

        yield _make
    assert not [t for t in threading.enumerate() if t.name.startswith("face-capture-sim")]


@pytest.fixture
async def client() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


type Send = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def send(client: ClientSession) -> Send:
    """POST one command to a simulator with the right credentials; return its reply."""

    async def _send(sim: FaceCaptureSimulator, cmd: str, **fields: Any) -> dict[str, Any]:
        body = {"version": "0.2", "cmd": cmd, **fields}
        async with client.post(sim.url, json=body, headers=basic()) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("application/json")
            reply: dict[str, Any] = await response.json()
        assert reply["device_sn"] == sim.serial
        assert reply["cmd"].strip() in (cmd.strip(), "update person")
        return reply

    return _send


async def until(predicate: Callable[[], bool], within: float = 10.0) -> bool:
    """Wait for ``predicate`` without blocking the test's own loop."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


# ------------------------------------------------------------ device as server


async def test_basic_auth(
    make_sim: Callable[..., FaceCaptureSimulator], client: ClientSession
) -> None:
    """Field notes §2.2: HTTP Basic on the device's port; 401 with a challenge otherwise."""
    sim = make_sim()
    body = {"version": "0.2", "cmd": "request date time"}
    for headers in ({}, basic(password="wrong"), {"Authorization": "Basic !!!"}):
        async with client.post(sim.url, json=body, headers=headers) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert sim.auth_failures == 3
    assert sim.commands == []
    async with client.post(sim.url, json=body, headers=basic()) as response:
        assert response.status == 200
        assert (await response.json())["code"] == 0
    async with client.get(sim.url, headers=basic()) as response:
        assert response.status == 405

    open_sim = make_sim(user=None)
    async with client.post(open_sim.url, json=body) as response:
        assert response.status == 200


async def test_chunked_or_unsized_bodies_are_refused(
    make_sim: Callable[..., FaceCaptureSimulator], client: ClientSession
) -> None:
    """L114: no ``Transfer-Encoding: chunked``; Content-Length is a must."""
    sim = make_sim()

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"version": "0.2", '
        yield b'"cmd": "reboot"}'

    async with client.post(sim.url, data=chunks(), headers=basic()) as response:
        assert response.status == 411
        assert (await response.json())["code"] == 3
    assert sim.reboot_count == 0

    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    writer.write(
        f"POST / HTTP/1.1\r\nHost: {sim.host}\r\nAuthorization: {basic()['Authorization']}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    assert answer.startswith(b"HTTP/1.1 411")

    violations = sim.protocol_violations
    assert len(violations) == 2
    assert "chunked request body" in violations[0]
    assert "request without Content-Length" in violations[1]


async def test_envelope(
    make_sim: Callable[..., FaceCaptureSimulator], client: ClientSession, send: Send
) -> None:
    """L148-L149: ``cmd`` "" when unparsable; unknown ``cmd`` is code 2; ``cmd`` is stripped."""
    sim = make_sim()
    for raw in (b"{not json", b"[1, 2]", b'{"version": "0.2"}'):
        async with client.post(
            sim.url, data=raw, headers={**basic(), "Content-Type": "application/json"}
        ) as response:
            assert await response.json() == {
                "reply": "ACK",
                "cmd": "",
                "code": 3,
                "device_sn": DEFAULT_SERIAL,
            }
    assert (await send(sim, "open sesame"))["code"] == 2
    reply = await send(sim, "  request date time ")
    assert reply["code"] == 0
    assert sim.commands == ["open sesame", "request date time"]
    assert sim.protocol_violations == []


async def test_hardware_info_and_clock(
    make_sim: Callable[..., FaceCaptureSimulator], send: Send
) -> None:
    """2.13.1 (capitalised keys), 2.9.1 / 2.9.2 (``YYYY/MM/DD HH:MM:SS``, no zone)."""
    sim = make_sim(serial="012353-1FF506-A573EE")
    info = await send(sim, "get hardware info")
    assert info["code"] == 0
    assert info["device_sn"] == "012353-1FF506-A573EE"
    assert info["Chip"]["manu"] == "HISI"
    assert {"Board", "Chip", "Flash", "FourG", "Lcd", "Motor", "Sensor", "WIFI"} <= set(info)

    assert DATE_TIME.match((await send(sim, "request date time"))["date_time"])
    assert (await send(sim, "update date time", date_time="2030/01/02 03:04:05"))["code"] == 0
    assert (await send(sim, "request date time"))["date_time"][:15] == "2030/01/02 03:0"
    for bad in ("2030-01-02 03:04:05", "2030/13/02 03:04:05", None):
        assert (await send(sim, "update date time", date_time=bad))["code"] == 3


async def test_gpio_control_opens_the_door(
    make_sim: Callable[..., FaceCaptureSimulator], send: Send
) -> None:
    """2.5: ``ctrl_type`` "on" only; the reply's ``cmd`` is " gpio control" (L2858)."""
    sim = make_sim()
    reply = await send(sim, "gpio control", port=2, ctrl_type="on", ctrl_mode="test")
    assert reply["code"] == 0
    assert reply["cmd"] == " gpio control"
    assert sim.unlock_count == 1
    assert sim.last_unlock_via() == "gpio control (server)"
    assert sim.door_openings == [
        {"via": "gpio control (server)", "port": 2, "ctrl_mode": "test", "person_id": None}
    ]
    for fields in (
        {"port": 1, "ctrl_type": "off", "ctrl_mode": "force"},
        {"port": 1, "ctrl_type": "on", "ctrl_mode": "always"},
        {"port": "1", "ctrl_type": "on", "ctrl_mode": "force"},
    ):
        assert (await send(sim, "gpio control", **fields))["code"] == 3
    assert sim.unlock_count == 1


async def test_snapshot(make_sim: Callable[..., FaceCaptureSimulator], send: Send) -> None:
    """2.4: the picture is under ``"image "``, with the trailing space of L2800."""
    sim = make_sim()
    reply = await send(sim, "snapshot")
    assert "image" not in reply
    image = reply["image "]
    assert image["format"] == "jpg"
    assert DATE_TIME.match(image["time_stamp"])
    assert sniff_format(base64.b64decode(image["image_data"])) == "jpeg"


async def test_upload_person_adds_and_modifies(
    make_sim: Callable[..., FaceCaptureSimulator], send: Send
) -> None:
    """2.1.2: JPEG or PNG; limits in bytes; on modify the rest is kept (L551)."""
    sim = make_sim()
    longest_id, longest_name = "x" * 19, "é" * 31 + "a"
    reply = await send(
        sim,
        "upload person",
        id=longest_id,
        name=longest_name,
        role=2,
        reg_image=b64(JPEG),
        wg_card_id=8,
        term_start="useless",
        term="2031/01/01 00:00:00",
        customer_text="uuid-1",
    )
    assert reply == {
        "reply": "ACK",
        "cmd": "upload person",
        "code": 0,
        "id": longest_id,
        "device_sn": DEFAULT_SERIAL,
    }
    person = sim.persons[longest_id]
    assert person["name"] == longest_name
    assert person["image"] == JPEG
    assert (person["role"], person["wg_card_id"], person["customer_text"]) == (2, 8, "uuid-1")

    assert (await send(sim, "upload person", id=longest_id, reg_image=b64(PNG)))["code"] == 0
    person = sim.persons[longest_id]
    assert person["image"] == PNG
    assert person["name"] == longest_name
    # A card-only person needs nothing but an id (L547-L549).
    assert (await send(sim, "upload person", id="card-only", wg_card_id=9))["code"] == 0
    assert sim.persons["card-only"]["image"] is None


@pytest.mark.parametrize(
    ("fields", "code", "desc"),
    [
        ({"id": "x" * 20}, 3, "id is 20 bytes, over 19"),
        ({"id": ""}, 3, "id missing"),
        ({"id": "a", "name": "é" * 32}, 3, "name is 64 bytes, over 63"),
        ({"id": "a", "role": 0}, 3, "role 0"),
        ({"id": "a", "kind": 16}, 3, "kind 16"),
        ({"id": "a", "wg_card_id": 2**32}, 3, "wg_card_id"),
        ({"id": "a", "term": "tomorrow"}, 3, "term 'tomorrow'"),
        ({"id": "a", "customer_text": "u" * 69}, 3, "customer_text is 69 bytes"),
        ({"id": "a", "upload_mode": 7}, 3, "upload_mode 7"),
        ({"id": "a", "reg_image": "data:image/jpeg;base64," + b64(JPEG)}, 35, "raw base64"),
        ({"id": "a", "reg_image": b64(make_bmp())}, 35, "not jpeg/png"),
        ({"id": "a", "reg_image": "not base64!"}, 35, "not base64"),
        ({"id": "a", "reg_image": b64(JPEG[:40])}, 35, "not a picture"),
        ({"id": "known", "upload_mode": 1}, 21, None),
        ({"id": "nobody", "upload_mode": 2}, 22, None),
    ],
)
async def test_upload_person_errors(
    make_sim: Callable[..., FaceCaptureSimulator],
    send: Send,
    fields: dict[str, Any],
    code: int,
    desc: str | None,
) -> None:
    """L655-L673: code 3 with a ``desc``, 21/22 by ``upload_mode``, 35 for non-pictures."""
    sim = make_sim()
    sim.add_person("known", "Known")
    reply = await send(sim, "upload person", **fields)
    assert reply["code"] == code
    assert reply["id"] == fields["id"]
    if desc is not None:
        assert desc in reply["desc"]
    assert sorted(sim.persons) == ["known"]


async def test_old_firmware_uses_the_jpg_commands(
    make_sim: Callable[..., FaceCaptureSimulator], send: Send
) -> None:
    """L657: code 2 for ``upload person``; ``add/update person jpg`` (2.1.6/2.1.7) instead."""
    sim = make_sim(old_firmware=True)
    reply = await send(sim, "upload person", id="0001", name="Ada")
    assert (reply["code"], reply["desc"]) == (2, "not implemented")

    image = [{"format": "jpg", "image_data": b64(JPEG)}]
    add = {"id": "0001", "role": 1, "kind": 0, "image_num": 1, "reg_images": image}
    assert (await send(sim, "add person jpg", **add, name="Ada Lovelace 123"))["code"] == 3
    assert (await send(sim, "add person jpg", **add, name="Ada Lovelace 12"))["code"] == 0
    assert sim.persons["0001"]["image"] == JPEG
    assert (await send(sim, "add person jpg", **add, name="Ada", cover=False))["code"] == 21
    assert (await send(sim, "add person jpg", **add, name="Ada", cover=True))["code"] == 0
    png = [{"format": "jpg", "image_data": b64(PNG)}]
    assert (await send(sim, "add person jpg", **{**add, "reg_images": png}, cover=True))[
        "code"
    ] == 35

    # Only the name passes update_flags 0x1; the reply's cmd is "update person" (L1242).
    reply = await send(
        sim, "update person jpg", id="0001", update_flags=1, name="Ada L.", role=2, reg_images=png
    )
    assert (reply["cmd"], reply["code"]) == ("update person", 0)
    person = sim.persons["0001"]
    assert (person["name"], person["role"], person["image"]) == ("Ada L.", 1, JPEG)
    reply = await send(sim, "update person jpg", id="0001", role=2)
    assert (reply["code"], sim.persons["0001"]["role"]) == (0, 2)
    reply = await send(sim, "update person jpg", id="0002", name="Bob")
    assert (reply["cmd"], reply["code"]) == ("update person", 22)


async def test_delete_persons_and_wipe_flags(
    make_sim: Callable[..., FaceCaptureSimulator], send: Send
) -> None:
    """2.1.5: flag -1 by id (22 if missing), 0/1/2 by role, 3 everyone; flags recorded."""
    sim = make_sim()
    for person_id, role in (("w1", 1), ("w2", 1), ("b1", 2), ("b2", 2)):
        sim.add_person(person_id, person_id, role=role)
    assert await send(sim, "delete person(s)", flag=-1, id="w1") == {
        "reply": "ACK",
        "cmd": "delete person(s)",
        "code": 0,
        "id": "w1",
        "device_sn": DEFAULT_SERIAL,
    }
    assert (await send(sim, "delete person(s)", flag=-1, id="w1"))["code"] == 22
    assert (await send(sim, "delete person(s)", flag=-1, id=""))["code"] == 3
    assert sim.wipe_flags == []

    reply = await send(sim, "delete person(s)", flag=1, id="b1")
    assert (reply["code"], reply["id"]) == (0, "")
    assert sorted(sim.persons) == ["b1", "b2"]
    assert (await send(sim, "delete person(s)", flag=7, id=""))["code"] == 3
    assert (await send(sim, "delete person(s)", flag=3, id=""))["code"] == 0
    assert sim.persons == {}
    assert sim.wipe_flags == [1, 7, 3]


async def test_request_persons_pages(
    make_sim: Callable[..., FaceCaptureSimulator], send: Send
) -> None:
    """2.1.1: pages of at most 20, role -1 for all, pictures only with ``image_flag``."""
    sim = make_sim()
    for number in range(45):
        sim.add_person(f"p{number:02d}", f"Person {number}", role=2 if number % 3 == 0 else 1)
    query = {"role": -1, "page_size": 20, "feature_flag": 0, "image_flag": 0}
    pages = [await send(sim, "request persons", page_no=page, **query) for page in (1, 2, 3, 4)]
    assert [(p["total"], p["page_no"], p["count"]) for p in pages] == [
        (45, 1, 20),
        (45, 2, 20),
        (45, 3, 5),
        (45, 4, 0),
    ]
    ids = [person["id"] for page in pages for person in page["persons"]]
    assert ids == sorted(sim.persons)
    first = pages[0]["persons"][0]
    assert (first["name"], first["role"], first["reg_images"], first["image_num"]) == (
        "Person 0",
        2,
        [],
        0,
    )
    assert first["term"] == "forever"

    blacklist = await send(sim, "request persons", **{**query, "role": 2}, page_no=1)
    assert blacklist["total"] == 15
    with_images = await send(
        sim, "request persons", **{**query, "image_flag": 1, "page_size": 2}, page_no=1
    )
    image = with_images["persons"][0]["reg_images"][0]
    assert base64.b64decode(image["image_data"]) == sim.persons["p00"]["image"]
    exact = await send(
        sim, "request persons", **query, page_no=1, condition={"person_name": "Person 4"}
    )
    assert [p["id"] for p in exact["persons"]] == ["p04"]
    fuzzy = await send(
        sim,
        "request persons",
        **query,
        page_no=1,
        query_mode=1,
        condition={"person_name": "Person 4"},
    )
    assert [p["id"] for p in fuzzy["persons"]] == ["p04", "p40", "p41", "p42", "p43", "p44"]

    for bad in ({"page_size": 21}, {"page_size": 0}, {"role": 3}, {"page_no": 0}):
        assert (await send(sim, "request persons", **{**query, "page_no": 1, **bad}))["code"] == 3


async def test_app_params(
    make_sim: Callable[..., FaceCaptureSimulator], send: Send, platform: Platform
) -> None:
    """2.3.1/2.3.2: ``upload_info`` and ``extranet`` are kept; bad ones change nothing."""
    sim = make_sim()
    params = await send(sim, "request app params")
    assert params["upload_info"] == {"method": "none"}
    assert params["extranet"] == {"enable": False}
    assert sim.upload_url is None

    upload_info = {
        "method": "http",
        "server_ip": "127.0.0.1",
        "server_port": platform.port,
        "service_url": "push",
    }
    extranet = {
        "enable": True,
        "mode": "http",
        "server_ip": "127.0.0.1",
        "server_port": platform.port,
        "url": "/poll",
    }
    reply = await send(sim, "update app params", upload_info=upload_info, extranet=extranet)
    assert reply["code"] == 0
    assert sim.upload_url == platform.push_url
    assert sim.poll_url == platform.poll_url
    params = await send(sim, "request app params")
    assert params["upload_info"] == upload_info
    assert params["extranet"] == extranet

    for bad in (
        {"upload_info": {"method": "carrier pigeon"}},
        {"upload_info": {"server_port": "80"}},
        {"extranet": {"enable": "yes"}},
        {"face": 1},
    ):
        assert (await send(sim, "update app params", **bad))["code"] == 3
    assert sim.app_params["upload_info"] == upload_info
    assert sim.app_params["extranet"] == extranet

    refusing = make_sim(refuse_app_params=True)
    for cmd in ("request app params", "update app params"):
        assert (await send(refusing, cmd))["code"] == APP_PARAMS_REFUSED_CODE


async def test_reboot(make_sim: Callable[..., FaceCaptureSimulator], send: Send) -> None:
    """2.9.3."""
    sim = make_sim()
    assert (await send(sim, "reboot"))["code"] == 0
    assert sim.reboot_count == 1


# -------------------------------------------------------- device as data client


async def test_records_are_pushed_and_acked(
    make_sim: Callable[..., FaceCaptureSimulator], platform: Platform
) -> None:
    """2.2.1: the shapes of a recognition, a stranger, a refusal, a card, a QR code, an ID card."""
    sim = make_sim(upload_url=platform.push_url)
    sim.add_person("0001", "XiaoMing", wg_card_id=8, customer_text="uuid")
    pushed = [
        sim.recognition("0001", 36.6, True, score=88),
        sim.stranger(37.0, False),
        sim.denied(-6, "0001", temperature=38.4),
        sim.card(8),
        sim.card(12345),
        sim.qr("admin"),
        sim.id_card(),
    ]
    assert pushed == list(range(1, 8))
    assert await until(lambda: sim.acked == pushed)
    faces = platform.faces()
    assert [face["sequence_no"] for face in faces] == pushed
    for face in faces:
        assert face["version"] == VERSION
        assert face["device_sn"] == DEFAULT_SERIAL
        assert face["device_no"] == "0001"
        assert CAP_TIME.match(face["cap_time"])
        assert face["is_realtime"] in (0, 1)
        assert face["closeup_pic_flag"] is True
        assert sniff_format(base64.b64decode(face["closeup_pic"]["data"])) == "jpeg"
    for headers in platform.headers("push"):
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert int(headers["Content-Length"]) > 0
        assert "Transfer-Encoding" not in headers

    recognized, stranger, fever, card, unknown_card, qr, id_card = faces
    assert recognized["is_realtime"] == 1
    assert recognized["match_result"] == 88
    assert recognized["match_failed_reson"] == 0
    match = recognized["match"]
    assert (match["person_id"], match["person_name"], match["person_role"]) == (
        "0001",
        "XiaoMing",
        1,
    )
    assert (match["customer_text"], match["origin "]) == ("uuid", "software")
    assert recognized["person"]["temperatur"] == 36.6
    assert recognized["person"]["has_mask"] is True

    assert stranger["match_result"] == -1
    assert "match" not in stranger
    assert (stranger["person"]["temperatur"], stranger["person"]["has_mask"]) == (37.0, False)
    assert (fever["match_failed_reson"], fever["match"]["person_id"]) == (-6, "0001")
    assert "has_mask" not in fever["person"]
    assert (card["person"]["wg_card_id"], card["match"]["person_id"]) == (8, "0001")
    assert unknown_card["match_failed_reson"] == -9
    assert "match" not in unknown_card
    assert qr["qr_code"] == {"qr_type": "QR-Code", "qr_data": "admin"}
    assert id_card["id_card"]["name"] == "Zhang San"
    assert "temperatur" not in qr["person"]

    assert sim.resend_count == 0
    assert sim.queued == []
    assert sim.protocol_violations == []
    with pytest.raises(KeyError):
        sim.recognition("nobody")
    with pytest.raises(ValueError, match="match_failed_reson"):
        sim.denied(-1)


async def test_a_wrong_ack_stalls_the_queue(
    make_sim: Callable[..., FaceCaptureSimulator], platform: Platform
) -> None:
    """L1627-L1629: without the exact ACK the record is sent again and the rest wait."""
    sim = make_sim(upload_url=platform.push_url)
    sim.add_person("0001", "XiaoMing")

    def reformatted(body: dict[str, Any]) -> dict[str, Any]:
        ack = echo_ack(body)
        if body.get("cmd") == "face":
            ack["cap_time"] = body["cap_time"][:19]  # milliseconds dropped
        return ack

    platform.push_reply = reformatted
    first = sim.recognition("0001", 36.5)
    assert await until(lambda: len(platform.faces()) >= 3)
    second = sim.stranger()
    assert await until(lambda: len(platform.faces()) >= 6)
    assert {face["sequence_no"] for face in platform.faces()} == {first}
    assert sim.queued == [first, second]
    assert sim.acked == []
    assert sim.resend_count >= 5
    assert "cap_time" in sim.ack_problems[-1]
    assert sim.protocol_violations == []
    attempts = platform.faces()
    assert attempts[0]["is_realtime"] == 1
    assert {face["is_realtime"] for face in attempts[1:]} == {0}
    assert len({face["cap_time"] for face in attempts}) == 1

    platform.push_reply = echo_ack
    assert await until(lambda: sim.acked == [first, second])
    delivered = [face for face in platform.faces() if face["sequence_no"] == second]
    assert len(delivered) == 1
    assert delivered[0]["is_realtime"] == 0
    assert sim.queued == []


async def test_other_wrong_acks_stall_too(
    make_sim: Callable[..., FaceCaptureSimulator], platform: Platform
) -> None:
    """A non-zero ``code``, another ``sequence_no`` or an empty body is no ACK either."""
    sim = make_sim(upload_url=platform.push_url)
    replies = deque(
        [
            {"reply": "ACK", "cmd": "face", "code": 1},
            {"reply": "ACK", "cmd": "face", "code": 0, "sequence_no": 99},
            {},
        ]
    )
    platform.push_reply = lambda body: replies.popleft() if replies else echo_ack(body)
    sequence_no = sim.stranger()
    assert await until(lambda: sim.acked == [sequence_no])
    assert sim.resend_count == 3
    problems = sim.ack_problems
    assert "code 1" in problems[0]
    assert "sequence_no 99" in problems[1]
    assert "code None" in problems[2]


async def test_backlog_and_heartbeats_after_update_app_params(
    make_sim: Callable[..., FaceCaptureSimulator], platform: Platform, send: Send
) -> None:
    """L81: ``update app params`` points the device; kept records go out as backlog."""
    sim = make_sim(heartbeat_interval=0.2)
    kept = sim.stranger()
    assert sim.queued == [kept]
    upload_info = {
        "method": "http",
        "server_ip": "127.0.0.1",
        "server_port": platform.port,
        "service_url": "/push",
    }
    assert (await send(sim, "update app params", upload_info=upload_info))["code"] == 0
    assert await until(lambda: sim.acked == [kept])
    assert platform.faces()[0]["is_realtime"] == 0
    assert await until(lambda: len(platform.received("push", "heart beat")) >= 3)
    beat = platform.received("push", "heart beat")[0]
    assert beat["version"] == VERSION
    assert beat["device_sn"] == DEFAULT_SERIAL
    assert beat["command_id"] == ""
    assert "gps" not in beat
    assert sim.answered
    assert sim.connected


async def test_gateway_ctrl_in_the_ack_opens_the_door(
    make_sim: Callable[..., FaceCaptureSimulator], platform: Platform
) -> None:
    """L1647-L1675: online mode opens the gate from the record's ACK."""
    sim = make_sim(upload_url=platform.push_url)
    sim.add_person("0001", "XiaoMing")
    gateway = {"device_type": "gpio", "device_no": 1, "ctrl_mode": "force", "person_id": "0001"}
    platform.push_reply = lambda body: {**echo_ack(body), "gateway_ctrl": gateway}
    sequence_no = sim.recognition("0001")
    assert await until(lambda: sim.acked == [sequence_no])
    assert sim.unlock_count == 1
    assert sim.last_unlock_via() == "gateway_ctrl in a face ACK"


# ---------------------------------------------- device as configuration client


async def test_long_poll_runs_a_command_and_posts_its_result(
    make_sim: Callable[..., FaceCaptureSimulator], platform: Platform
) -> None:
    """L93-L99: the command rides a poll's response; its result, with ``command_id``, is
    the body of the next request."""
    platform.queue_poll(
        Poll(
            {
                "version": "0.2",
                "cmd": "gpio control",
                "port": 1,
                "ctrl_type": "on",
                "ctrl_mode": "force",
                "command_id": "42",
            }
        ),
        Poll(
            {
                "version": "0.2",
                "cmd": "upload person",
                "id": "0001",
                "name": "Ada",
                "reg_image": b64(JPEG),
                "command_id": "43",
            },
            delay=0.3,
        ),
    )
    sim = make_sim(poll_url=platform.poll_url)
    assert await until(lambda: len(platform.received("poll")) >= 4)
    polls = platform.received("poll")
    beat, door, enrolled, after = polls[:4]
    assert beat["cmd"] == "heart beat"
    assert beat["device_sn"] == DEFAULT_SERIAL
    assert (door["cmd"].strip(), door["code"], door["command_id"]) == ("gpio control", 0, "42")
    assert door["device_sn"] == DEFAULT_SERIAL
    assert (enrolled["cmd"], enrolled["code"], enrolled["id"]) == ("upload person", 0, "0001")
    assert enrolled["command_id"] == "43"
    assert after["cmd"] == "heart beat"
    assert sim.unlock_count == 1
    assert sim.last_unlock_via() == "gpio control (long poll)"
    assert sim.persons["0001"]["image"] == JPEG
    assert [result["command_id"] for result in sim.poll_results] == ["42", "43"]
    assert sim.poll_count == 2
    assert sim.answered

    # The platform held the last poll (1.5 s): no quick ACK, nothing dropped.
    assert await until(lambda: len(platform.received("poll")) >= 5)
    assert (sim.quick_acks, sim.dropped_polls, sim.poll_timeouts) == (0, 0, 0)
    assert sim.protocol_violations == []


async def test_long_poll_counts_quick_acks_drops_and_timeouts(
    make_sim: Callable[..., FaceCaptureSimulator], platform: Platform
) -> None:
    """L99: a platform must neither ACK a poll at once nor close it unanswered."""
    platform.queue_poll(Poll(HEARTBEAT_ACK), Poll(HEARTBEAT_ACK), Poll(drop=True))
    platform.hold = 5.0
    sim = make_sim(poll_url=platform.poll_url, poll_timeout=0.5)
    assert await until(lambda: sim.poll_timeouts >= 1)
    assert sim.quick_acks == 2
    assert sim.dropped_polls == 1
    assert sim.protocol_violations == []


async def test_long_poll_result_is_a_command_reply(
    make_sim: Callable[..., FaceCaptureSimulator], platform: Platform
) -> None:
    """An unknown command is executed too: its result is code 2, ``cammand_id`` (L525)
    accepted and returned as ``command_id``."""
    platform.queue_poll(Poll({"cmd": "teleport", "cammand_id": 7}))
    sim = make_sim(poll_url=platform.poll_url)
    assert await until(lambda: len(sim.poll_results) == 1)
    assert sim.poll_results[0]["code"] == 2
    assert sim.poll_results[0]["command_id"] == 7
    sim.configure_poll_url(None)
    assert sim.poll_url is None


# ------------------------------------------------------- interface, activity, CLI


def test_simulator_interface(make_sim: Callable[..., FaceCaptureSimulator]) -> None:
    """``simulators.base.Simulator``: what the demo reads and sets."""
    sim = make_sim()
    assert (sim.kind, sim.posts_to_webhook, sim.has_door) == ("face_capture", True, True)
    assert sim.device_id == DEFAULT_SERIAL
    assert sim.connected
    assert not sim.answered
    assert sim.last_unlock_via() is None
    sim.configure_url("http://127.0.0.1:8123/api/webhook/abc?x=1")
    assert sim.app_params["upload_info"] == {
        "method": "http",
        "server_ip": "127.0.0.1",
        "server_port": 8123,
        "service_url": "/api/webhook/abc?x=1",
    }
    sim.configure_poll_url("https://ha.example:8443/api/face_access/poll")
    assert sim.poll_url == "https://ha.example:8443/api/face_access/poll"
    assert sim.app_params["extranet"]["server_ip"] == "https://ha.example"
    assert "serving http://127.0.0.1:" in sim.link
    assert "posting to http://127.0.0.1:8123/api/webhook/abc?x=1" in sim.link
    assert sim.add_person("a", "Ada")["name"] == "Ada"
    assert sim.persons["a"]["name"] == "Ada"
    with pytest.raises(ValueError, match="http"):
        sim.configure_url("ftp://example.com/")
    sim.stop()
    assert not sim.running
    assert not sim.connected


def test_a_busy_port_fails_the_start(make_sim: Callable[..., FaceCaptureSimulator]) -> None:
    sim = make_sim()
    with pytest.raises(OSError):
        FaceCaptureSimulator(port=sim.port).start(0)


def test_random_activity(make_sim: Callable[..., FaceCaptureSimulator], platform: Platform) -> None:
    """The CLI's and the demo's events: recognitions, strangers, refusals, cards, QR codes."""
    sim = make_sim(upload_url=platform.push_url)
    sim.add_person("ada", "Ada Lovelace", wg_card_id=1234)
    sim.add_person("bob", "Bob")
    rng = random.Random(7)
    descriptions = [sim.random_activity(rng) for _ in range(40)]
    assert all(text.endswith("acked") for text in descriptions), descriptions
    faces = platform.faces()
    assert len(faces) == 40
    assert {face["match_result"] > 0 for face in faces} == {True, False}
    assert any(face["match_result"] == -1 and "match" not in face for face in faces)
    assert any(face["match_failed_reson"] in (-3, -6, -7) for face in faces)
    assert any("qr_code" in face for face in faces)
    assert any("wg_card_id" in face["person"] for face in faces)
    names = {face["match"]["person_name"] for face in faces if "match" in face}
    assert names <= {"Ada Lovelace", "Bob"}
    assert "recognized" in sim.random_recognition(rng)


def test_command_line_serves_pushes_and_stops(platform: Platform) -> None:
    """``python -m simulators.face_capture_http`` answers commands, pushes, stops on SIGINT."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulators.face_capture_http",
            "--port",
            str(port),
            "--serial",
            "cli-0001",
            "--password",
            PASSWORD,
            "--upload-url",
            platform.push_url,
            "--heartbeat",
            "0.2",
            "--activity",
            "0.05",
        ],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for(lambda: len(platform.faces()) >= 2, 15)
        assert wait_for(lambda: len(platform.received("push", "heart beat")) >= 2, 15)

        async def ask() -> dict[str, Any]:
            async with (
                ClientSession() as session,
                session.post(
                    f"http://127.0.0.1:{port}/", json={"cmd": "get hardware info"}, headers=basic()
                ) as response,
            ):
                return await response.json()

        assert asyncio.run(ask())["device_sn"] == "cli-0001"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr.decode()
    assert b"stopped" in stderr
    assert {face["device_sn"] for face in platform.faces()} == {"cli-0001"}
