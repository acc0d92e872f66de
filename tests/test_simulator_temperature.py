"""Tests of the body-temperature tablet simulator (``temperature_http``).

A small aiohttp web server, run in its own thread and event loop on 127.0.0.1, plays the
platform (the integration's webhook): tests queue its replies by message type and read
the requests it received. The simulator reaches it over real sockets. "L123" is a line
of temperature-terminal-http-v1.16.txt.
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
from collections.abc import Callable, Iterator
import concurrent.futures
import contextlib
from dataclasses import dataclass
import json
import os
from pathlib import Path
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from aiohttp import web
import pytest

from simulators.images import make_jpeg, make_png
from simulators.temperature_http import (
    BATCH_BAD_PARAMETER,
    BATCH_BAD_PICTURE,
    BATCH_OK,
    BATCH_POOL_FULL,
    TemperatureTabletSimulator,
)

CID = "0012b516a202"
JPEG = make_jpeg(variant=3)
REPO = Path(__file__).resolve().parent.parent
ANY = object()
"""``Platform.received``'s "every kind"."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class Received:
    """One POST seen by the platform."""

    headers: dict[str, str]
    raw: bytes
    body: Any

    @property
    def kind(self) -> int | str | None:
        """The uplink ``type``, ``"alarm"`` for a door alarm, else ``None``."""
        if isinstance(self.body, dict):
            if "alarm" in self.body:
                return "alarm"
            kind = self.body.get("type")
            return kind if isinstance(kind, int) else None
        return None


class Platform:
    """The HTTP server side, in its own thread; replies are queued per message kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._replies: dict[int | str | None, deque[tuple[int, bytes, float]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._in_flight = 0
        self.max_in_flight = 0
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/api/face"

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        item = Received(dict(request.headers), raw, body)
        with self._lock:
            self._received.append(item)
            queue = self._replies.get(item.kind)
            status, reply, delay = queue.popleft() if queue else (200, b"", 0.0)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            # Give a second request the chance to overlap this one; ``stop()`` cuts it short.
            assert self._release is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), delay or 0.001)
        finally:
            with self._lock:
                self._in_flight -= 1
        return web.Response(status=status, body=reply)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/api/face", self._handle)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, self._sock).start())
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="test-platform", daemon=True)
        self._thread.start()
        assert self._started.wait(5)

    def stop(self) -> None:
        assert self._loop is not None
        assert self._thread is not None
        assert self._release is not None
        self._loop.call_soon_threadsafe(self._release.set)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._sock.close()

    def reply(
        self, kind: int | str, body: Any = None, *, status: int = 200, delay: float = 0.0
    ) -> None:
        """Queue the answer to the next POST of ``kind`` (dicts as JSON, bytes as is)."""
        data = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        with self._lock:
            self._replies.setdefault(kind, deque()).append((status, data, delay))

    def received(self, kind: object = ANY) -> list[Received]:
        """The requests of ``kind`` (``type``, ``"alarm"``, ``None``), or all, in order."""
        with self._lock:
            return [r for r in self._received if kind is ANY or r.kind == kind]

    def last(self, kind: object = ANY) -> Received:
        items = self.received(kind)
        assert items, f"nothing of kind {kind} received"
        return items[-1]

    def bodies(self, kind: int | str) -> list[dict[str, Any]]:
        return [r.body for r in self.received(kind)]


@pytest.fixture
def platform(socket_enabled: None) -> Iterator[Platform]:
    server = Platform()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_sim(platform: Platform) -> Iterator[Callable[..., TemperatureTabletSimulator]]:
    """Start simulators with a huge heartbeat interval; tests drive ``heartbeat_now()``."""
    started: list[TemperatureTabletSimulator] = []

    def _make(**kwargs: Any) -> TemperatureTabletSimulator:
        options: dict[str, Any] = {"heartbeat_interval": 3600.0, "timeout": 5.0}
        options.update(kwargs)
        url = options.pop("url", platform.url)
        simulator = TemperatureTabletSimulator(url, CID, **options)
        simulator.start()
        started.append(simulator)
        return simulator

    yield _make
    for simulator in started:
        simulator.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("temperature-tablet-sim")]


def command(platform: Platform, sim: TemperatureTabletSimulator, body: Any) -> None:
    """Deliver ``body`` as the reply to the next heartbeat, now."""
    platform.reply(3, body)
    assert sim.heartbeat_now() == 200


def next_seq(platform: Platform, sim: TemperatureTabletSimulator) -> int:
    """Send a heartbeat now and return its ``seq``."""
    assert sim.heartbeat_now() == 200
    seq = platform.last(3).body["seq"]
    assert isinstance(seq, int)
    return seq


def add_command(seq: int, **face: Any) -> dict[str, Any]:
    person: dict[str, Any] = {
        "id": "1530327995_hW7UO03",
        "name": "LILEI",
        "age": 26,
        "sex": "male",
        "strategyId": 0,
        "cardNo": "11223344",
        "image": [b64(JPEG)],
    }
    person.update(face)
    return {"facelib_manage": {"type": 1, "seq": seq, "face": person}, "time_interval": 3600}


# ------------------------------------------------------------------ heartbeat


def test_first_heartbeat_at_start_and_its_fields(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§2 (L101-L139): app_version, cid, seq (send time), uptime (boot time), type 3."""
    before = int(time.time())
    sim = make_sim()
    beats = platform.received(3)
    assert len(beats) == 1
    body = beats[0].body
    assert list(body) == ["app_version", "cid", "seq", "uptime", "type"]
    assert body["app_version"] == "1.0.1.1"
    assert body["cid"] == CID
    assert body["type"] == 3
    assert before <= body["seq"] <= int(time.time())
    assert body["uptime"] == sim.uptime
    assert before <= body["uptime"] <= body["seq"]
    assert beats[0].headers["Content-Type"] == "application/json"
    assert sim.heartbeat_count == 1

    assert sim.heartbeat_now() == 200
    assert len(platform.received(3)) == 2
    assert sim.heartbeat_count == 2
    assert sim.last_status == 200
    assert sim.protocol_violations == []
    assert sim.commands == []


def test_periodic_heartbeats_and_time_interval(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """Heartbeats repeat by themselves; ``time_interval`` (§3.2) changes the period."""
    sim = make_sim(heartbeat_interval=0.05)
    assert sim.wait_heartbeats(4, timeout=3)
    platform.reply(3, {"time_interval": 3600})
    assert sim.wait_for(lambda: sim.time_interval == 3600, 3)
    count = sim.heartbeat_count
    time.sleep(0.25)
    assert sim.heartbeat_count == count

    deaf = make_sim(honour_time_interval=False)
    command(platform, deaf, {"time_interval": 7})
    assert deaf.time_interval == 3600
    assert sim.protocol_violations == deaf.protocol_violations == []


# -------------------------------------------------------------------- records


def test_record_push_with_expect_100_continue(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§4 (L549-L653): nested ``result``, base64 ``faces``, ``Expect: 100-continue``."""
    sim = make_sim()
    sim.add_person("1567910643_dgQdv2x9", "Ada Lovelace", picture=JPEG, age=36, sex="female")
    before = int(time.time())
    assert sim.push_record("1567910643_dgQdv2x9", temperature=36.64, facemask=0) == 200

    record = platform.last(1)
    assert record.headers.get("Expect") == "100-continue"
    body = record.body
    assert list(body) == ["cid", "type", "time", "faces", "result"]
    assert body["cid"] == CID
    assert body["type"] == 1
    assert before <= body["time"] <= int(time.time())
    assert base64.b64decode(body["faces"][0]) == JPEG
    assert body["result"] == {
        "person_id": "1567910643_dgQdv2x9",
        "person_name": "Ada Lovelace",
        "age": 36,
        "sex": "female",
        "confidence": pytest.approx(0.93),
        "person_type": 1,
        "temperature": 36.6,
        "facemask": 0,
    }
    assert 0 < body["result"]["confidence"] <= 1

    assert sim.push_stranger(temperature=None) == 200
    stranger = platform.last(1).body["result"]
    assert stranger["person_type"] == 0
    assert stranger["person_id"] == stranger["person_name"] == ""
    assert stranger["confidence"] == 0
    assert "temperature" not in stranger
    assert stranger["facemask"] == 1

    assert sim.push_capture("1567910643_dgQdv2x9", facemask=None, picture=make_png()) == 200
    capture = platform.last(1).body
    assert capture["result"]["person_type"] == 2
    assert "facemask" not in capture["result"]
    assert base64.b64decode(capture["faces"][0]) == make_png()

    assert len(platform.received(1)) == 3
    assert sim.failed_records == 0
    assert sim.protocol_violations == []


def test_failed_record_kept_and_resent_with_original_time(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§6 (L1151-L1177): a record answered 500 is kept and re-sent with its own time."""
    sim = make_sim()
    platform.reply(1, status=500)
    assert sim.push_stranger(temperature=37.9) == 500
    assert sim.failed_records == 1
    original = platform.last(1).body
    # Move the tablet's clock a day on, so that a recomputed time would show.
    command(platform, sim, {"time_set": {"time_stamp": original["time"] + 86400}})

    platform.reply(1, status=503)
    assert sim.resend_failed() == 0
    assert sim.failed_records == 1
    assert sim.resend_failed() == 1
    assert sim.failed_records == 0
    assert sim.resend_failed() == 0
    resent = platform.received(1)
    assert len(resent) == 3
    assert resent[-1].body == original
    assert resent[-1].headers.get("Expect") == "100-continue"


def test_idle_reupload_and_unreachable_server(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§6 mode 2: kept records go again after ``reupload_idle`` s without new records."""
    sim = make_sim(reupload_idle=0.2)
    platform.reply(1, status=500)
    assert sim.push_record(None, time=1_700_000_000) == 500
    assert sim.failed_records == 1
    assert sim.wait_for(lambda: sim.failed_records == 0, 3)
    assert [body["time"] for body in platform.bodies(1)] == [1_700_000_000, 1_700_000_000]

    # Nobody listening: status 0, and the record is kept.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/face"
    lost = make_sim(url=closed)
    assert lost.last_status == 0
    assert lost.push_record(None) == 0
    assert lost.failed_records == 1
    assert lost.protocol_violations == []


def test_door_alarm(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§13 (L2421-L2455): ``alarm`` alone, no ``cid`` and no ``type``."""
    sim = make_sim()
    assert sim.push_door_alarm() == 200
    assert sim.push_door_alarm() == 200
    first, second = platform.bodies("alarm")
    assert list(first) == ["alarm"]
    assert first["alarm"]["alarmtype"] == 1
    assert first["alarm"]["alarmdata"] == ""
    assert abs(first["alarm"]["time"] - time.time()) < 5
    assert second["alarm"]["seq"] == first["alarm"]["seq"] + 1


def test_post_raw(platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]) -> None:
    """``post_raw`` sends bytes as given and returns the answer uninterpreted."""
    sim = make_sim()
    platform.reply("alarm", b"whatever", status=400)
    status, reply = sim.post_raw(b'{"alarm": {}}', {"Content-Type": "text/plain"})
    assert (status, reply) == (400, b"whatever")
    assert platform.last("alarm").headers["Content-Type"] == "text/plain"
    assert sim.post_raw(b"\x00not json") == (200, b"")
    assert platform.last().raw == b"\x00not json"
    assert sim.protocol_violations == []


# -------------------------------------------------------------- face library


def test_add_and_modify_person_confirmed_by_next_seq(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§3.4 add/modify (L399-L477): success = the next heartbeat's seq is the command's."""
    sim = make_sim()
    command(platform, sim, add_command(17))
    assert next_seq(platform, sim) == 17
    assert sim.persons["1530327995_hW7UO03"] == {
        "name": "LILEI",
        "card_no": "11223344",
        "age": 26,
        "sex": "male",
        "strategy_id": 0,
        "image": JPEG,
    }
    # Only the first heartbeat after the command confirms it.
    assert next_seq(platform, sim) != 17

    # Modify without a new picture: the name changes, the picture stays.
    command(
        platform,
        sim,
        {
            "facelib_manage": {
                "type": 1,
                "seq": 18,
                "face": {"id": "1530327995_hW7UO03", "name": "Li"},
            }
        },
    )
    assert next_seq(platform, sim) == 18
    person = sim.persons["1530327995_hW7UO03"]
    assert person["name"] == "Li"
    assert person["image"] == JPEG
    assert [r["ok"] for r in sim.facelib_results] == [True, True]
    assert sim.protocol_violations == []


@pytest.mark.parametrize(
    "face",
    [
        pytest.param({"image": [b64(b"this is not a picture")]}, id="undecodable image"),
        pytest.param({"image": ["@@not base64@@"]}, id="bad base64"),
        pytest.param({"id": "x" * 36}, id="id of 36 bytes"),
        pytest.param({"id": ""}, id="empty id"),
        pytest.param({"name": "é" * 18}, id="name of 36 bytes"),
        pytest.param({"cardNo": "1" * 64}, id="cardNo of 64 bytes"),
        pytest.param({"image": []}, id="new person without image"),
    ],
)
def test_failed_add_changes_next_seq(
    platform: Platform,
    make_sim: Callable[..., TemperatureTabletSimulator],
    face: dict[str, Any],
) -> None:
    """A failed add is reported only by a next ``seq`` different from the command's."""
    sim = make_sim()
    command(platform, sim, add_command(21, **face))
    seq = next_seq(platform, sim)
    assert seq != 21
    assert abs(seq - time.time()) < 5
    assert sim.persons == {}
    assert sim.facelib_results[-1]["ok"] is False


def test_library_full_and_requested_failure(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """A full library refuses new persons; ``fail_next_facelib`` fails the next command."""
    sim = make_sim(capacity=1)
    command(platform, sim, add_command(1, id="first"))
    assert next_seq(platform, sim) == 1
    command(platform, sim, add_command(2, id="second"))
    assert next_seq(platform, sim) != 2
    assert list(sim.persons) == ["first"]

    sim.fail_next_facelib()
    command(platform, sim, add_command(3, id="first", name="Changed"))
    assert next_seq(platform, sim) != 3
    assert sim.persons["first"]["name"] == "LILEI"
    command(platform, sim, add_command(4, id="first", name="Changed"))
    assert next_seq(platform, sim) == 4
    assert sim.persons["first"]["name"] == "Changed"


def test_delete_listed_and_all(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§3.4 delete (L481-L547): ``person_ids`` a comma string (spaces tolerated); type 4."""
    sim = make_sim()
    for person_id in ("a", "b", "c"):
        sim.add_person(person_id, person_id.upper())
    command(platform, sim, {"facelib_manage": {"type": 3, "seq": 30, "person_ids": "a, b"}})
    assert next_seq(platform, sim) == 30
    assert list(sim.persons) == ["c"]

    command(platform, sim, {"facelib_manage": {"type": 3, "seq": 31, "person_ids": "zz"}})
    assert next_seq(platform, sim) != 31

    command(platform, sim, {"facelib_manage": {"type": 4, "seq": 32}})
    assert next_seq(platform, sim) == 32
    assert sim.persons == {}
    assert sim.protocol_violations == []


def test_query_result_takes_the_next_heartbeat_slot(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§3.4 query (L281-L393): ``type`` 4 goes in place of the next heartbeat."""
    sim = make_sim()
    sim.add_person("p1", "Zhangli", age=25, sex="male", strategy_id=1, card_no="123015")
    sim.add_person("p2", "Mingming", age=26, sex="female")
    command(platform, sim, {"facelib_manage": {"type": 5, "seq": 40}, "time_interval": 3600})
    beats = sim.heartbeat_count

    assert sim.heartbeat_now() == 200
    assert sim.heartbeat_count == beats
    result = platform.last().body
    assert result["type"] == 4
    assert result["cid"] == CID
    assert abs(result["time"] - time.time()) < 5
    assert result["total_face"] == 2
    assert result["face"] == [
        {
            "person_id": "p1",
            "person_name": "Zhangli",
            "age": 25,
            "sex": "male",
            "strategyId": 1,
            "cardNo": "123015",
        },
        {
            "person_id": "p2",
            "person_name": "Mingming",
            "age": 26,
            "sex": "female",
            "strategyId": 0,
            "cardNo": "",
        },
    ]
    assert len(platform.received(3)) == beats

    assert sim.heartbeat_now() == 200
    assert platform.last().kind == 3
    assert sim.heartbeat_count == beats + 1
    assert sim.protocol_violations == []


def test_batch_chain_of_two_chunks(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§7 (L1307-L1599): each ``type`` 9 reply carries the next chunk until one has none."""
    sim = make_sim()

    def person(index: int, **fields: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "operType": 1,
            "id": f"p{index:02d}",
            "cardNo": str(index),
            "name": f"Person {index}",
            "age": 20 + index,
            "sex": "female",
            "strategyId": 0,
            "image": b64(JPEG),
        }
        entry.update(fields)
        return entry

    first = [person(i) for i in range(18)]
    first.append(person(18, image=b64(b"garbage, not a picture")))
    first.append(person(19, id=19))  # unparseable id: not reported (L1377-L1379)
    second = [person(20), person(21), person(22, name="N" * 63)]
    second.append({k: v for k, v in person(23).items() if k != "strategyId"})
    second.append({"operType": 3, "id": "p00"})
    assert len(first) + len(second) == 25

    platform.reply(3, {"facelib_batch": {"personList": first}})
    platform.reply(9, {"facelib_batch": {"personList": second}})
    assert sim.heartbeat_now() == 200

    results = [body["facelib_batch"]["resultList"] for body in platform.bodies(9)]
    assert len(results) == 2
    assert platform.last().kind == 9
    assert all(body["cid"] == CID for body in platform.bodies(9))
    expected_first = [{"operType": 1, "id": f"p{i:02d}", "result": BATCH_OK} for i in range(18)]
    expected_first.append({"operType": 1, "id": "p18", "result": BATCH_BAD_PICTURE})
    assert results[0] == expected_first
    assert results[1] == [
        {"operType": 1, "id": "p20", "result": BATCH_OK},
        {"operType": 1, "id": "p21", "result": BATCH_OK},
        {"operType": 1, "id": "p22", "result": BATCH_OK},
        {"operType": 1, "id": "p23", "result": BATCH_BAD_PARAMETER},
        {"operType": 3, "id": "p00", "result": BATCH_OK},
    ]
    persons = sim.persons
    assert sorted(persons) == [f"p{i:02d}" for i in (*range(1, 18), 20, 21, 22)]
    assert persons["p05"]["name"] == "Person 5"
    assert persons["p05"]["image"] == JPEG
    assert sim.protocol_violations == []

    # The chain is over: the next slot is an ordinary heartbeat again.
    assert sim.heartbeat_now() == 200
    assert platform.last().kind == 3


def test_batch_pool_full(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """Batch result 4: "The staff pool is full" (L1549)."""
    sim = make_sim(capacity=1)
    entries = [
        {"operType": 1, "id": name, "strategyId": 0, "image": b64(JPEG)} for name in ("a", "b")
    ]
    command(platform, sim, {"facelib_batch": {"personList": entries}})
    assert platform.last(9).body["facelib_batch"]["resultList"] == [
        {"operType": 1, "id": "a", "result": BATCH_OK},
        {"operType": 1, "id": "b", "result": BATCH_POOL_FULL},
    ]


# ------------------------------------------------------------------ commands


def test_control_opens_the_door(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§12 (L2347-L2419): relay switched, ``type`` 12 POSTed at once with the seq."""
    sim = make_sim()
    command(platform, sim, {"control": {"opType": 1, "seq": 12123}})
    assert sim.unlock_count == 1
    result = platform.last().body
    assert result["type"] == 12
    assert result["cid"] == CID
    assert abs(result["time"] - time.time()) < 5
    assert result["control"] == {"seq": 12123, "errcode": 0}

    sim.door_fails = True
    command(platform, sim, {"control": {"opType": 1, "seq": 12124}})
    assert platform.last(12).body["control"] == {"seq": 12124, "errcode": 2}
    assert sim.unlock_count == 1
    assert sim.protocol_violations == []

    sim.door_fails = False
    command(platform, sim, {"control": {"opType": 1, "seq": "12125"}})
    assert platform.last(12).body["control"] == {"errcode": 1}
    assert sim.unlock_count == 1
    assert sim.protocol_violations == ["control.seq missing or not an int: '12125'"]


def test_config_query_and_set(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§9: the query result rides the next slot; a set is confirmed at once (L2075)."""
    sim = make_sim()
    command(platform, sim, {"config": {"opType": 1}})
    beats = sim.heartbeat_count
    assert sim.heartbeat_now() == 200
    assert sim.heartbeat_count == beats
    result = platform.last().body
    assert result["type"] == 10
    assert result["cid"] == CID
    config = result["config"]
    assert sorted(config) == ["face_cap", "face_rec", "facemask", "misc", "relay", "temperature"]
    assert config["temperature"]["high_threshold"] == 37.3
    assert config["temperature"]["unit"] == 0
    assert config["face_cap"]["upload_mode"] == 2
    assert config["relay"] == {"duration": 2, "state": 0}

    command(
        platform,
        sim,
        {
            "config": {
                "opType": 0,
                "seq": 22,
                "temperature": {"high_threshold": 37.5, "unit": 1},
                "face_cap": {"upload_mode": 1},
            }
        },
    )
    assert platform.last().body["config"] == {"seq": 22, "errcode": 0}
    assert platform.last().kind == 10
    assert sim.config["temperature"]["high_threshold"] == 37.5
    # Fahrenheit now, and strangers are no longer uploaded (L1859-L1865).
    assert sim.push_record(None, person_type=1, temperature=37.0) == 200
    assert platform.last(1).body["result"]["temperature"] == 98.6
    records = len(platform.received(1))
    assert sim.push_stranger() == 0
    assert len(platform.received(1)) == records

    command(platform, sim, {"config": {"opType": 0, "seq": 23, "relay": "fast"}})
    assert platform.last().body["config"] == {"seq": 23, "errcode": 1}
    assert sim.protocol_violations == []


def test_time_set_moves_record_time(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§3.3 (L237-L265): the tablet's clock, used by records and heartbeats."""
    sim = make_sim()
    command(platform, sim, {"time_set": {"time_stamp": 1_600_000_000, "time_zone": 28800}})
    assert sim.time_zone == 28800
    assert sim.push_record(None) == 200
    assert 1_600_000_000 <= platform.last(1).body["time"] <= 1_600_000_005
    assert 1_600_000_000 <= next_seq(platform, sim) <= 1_600_000_005


def test_reboot_changes_uptime(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§11: no ack; later heartbeats carry the new boot time (``uptime``)."""
    sim = make_sim()
    booted = platform.last(3).body["uptime"]
    command(platform, sim, {"reboot": 1})
    assert sim.heartbeat_now() == 200
    assert platform.last(3).body["uptime"] == sim.uptime > booted
    assert sim.commands == [{"reboot": 1}]


def test_ignored_commands_are_recorded(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """Commands the simulator does not implement are recorded and otherwise ignored."""
    sim = make_sim()
    bodies: list[dict[str, Any]] = [
        {"strategy_manage": {"operType": 2}},
        {"facelog": {"opType": 1, "seq": 5}},
        {"fw_upgrade": {"version": "V1.2.1.2", "download_url": "http://x.invalid/a.zip"}},
        {"http_server_url": "http://elsewhere.invalid/api", "http_server_port": 80},
    ]
    for body in bodies:
        command(platform, sim, body)
    assert sim.commands == bodies
    assert [r.kind for r in platform.received()] == [3] * 5
    assert sim.protocol_violations == []


def test_reupload_query_and_set(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """§6 (L1179-L1301): both answered at once with a ``type`` 8; bad sets change nothing."""
    sim = make_sim()
    platform.reply(1, status=500)
    assert sim.push_record(None) == 500

    command(platform, sim, {"reupload": {"type": 2}})
    assert platform.last().kind == 8
    assert platform.last().body["reupload"] == {
        "mode": 2,
        "reupload_time": "00:00:00",
        "recordes_num": 1,  # sic, L1297
    }

    command(
        platform, sim, {"reupload": {"type": 1, "seq": 31, "reupload_time": "19:45:10", "mode": 1}}
    )
    assert platform.last().body["reupload"] == {"seq": 31, "errcode": 0}
    assert sim.reupload == {"mode": 1, "reupload_time": "19:45:10"}

    for bad in (
        {"type": 1, "seq": 32, "reupload_time": "25:00:00", "mode": 2},
        {"type": 1, "seq": 33, "reupload_time": "10:00:00", "mode": 5},
    ):
        command(platform, sim, {"reupload": bad})
        assert platform.last().body["reupload"] == {"seq": bad["seq"], "errcode": 1}
    assert sim.reupload == {"mode": 1, "reupload_time": "19:45:10"}
    assert sim.protocol_violations == []


def test_scheduled_mode_keeps_failed_records_from_the_idle_reupload(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """Mode 1 re-sends only at its time (not simulated); mode 2 after the idle pause."""
    sim = make_sim(reupload_idle=0.2)
    sim.set_reupload(1)
    platform.reply(1, status=500)
    assert sim.push_record(None) == 500
    time.sleep(0.6)
    assert sim.failed_records == 1
    sim.set_reupload(2)
    assert sim.wait_for(lambda: sim.failed_records == 0, 5.0)
    assert len(platform.received(1)) == 2


# ---------------------------------------------------------------- violations


def test_command_in_reply_to_a_record_is_a_violation(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """Only heartbeat replies carry commands (digest E33): this one is not obeyed."""
    sim = make_sim()
    platform.reply(1, {"control": {"opType": 1, "seq": 5}})
    assert sim.push_record(None) == 200
    assert sim.unlock_count == 0
    assert sim.commands == []
    assert len(sim.protocol_violations) == 1
    assert "command in the reply to type 1" in sim.protocol_violations[0]


def test_timestamp_like_seq_is_a_violation(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """A seq >= 1e9 could pass for the send time of an idle heartbeat."""
    sim = make_sim()
    command(platform, sim, {"facelib_manage": {"type": 4, "seq": 1566358435}})
    assert next_seq(platform, sim) == 1566358435
    assert len(sim.protocol_violations) == 1
    assert "facelib_manage.seq 1566358435 >= 1e9" in sim.protocol_violations[0]

    command(platform, sim, {"control": {"opType": 1, "seq": 1584945022}})
    assert platform.last(12).body["control"] == {"seq": 1584945022, "errcode": 0}
    assert len(sim.protocol_violations) == 2


@pytest.mark.parametrize(
    ("reply", "status", "reason"),
    [
        ({"control": {"opType": 1, "seq": 1}}, 500, "heartbeat answered 500"),
        (b"<html>oops</html>", 200, "reply to type 3 is not JSON"),
        ([{"control": {"opType": 1, "seq": 1}}], 200, "not a JSON object"),
        ({"control": {"opType": 1, "seq": 1}, "door": 1}, 200, "unknown top-level key"),
        ({"control": {"opType": 1, "seq": 1}, "reboot": 1}, 200, "more than one command"),
        ({"facelib_manage": {"type": 4}}, 200, "facelib_manage.seq missing"),
        ({"config": {"opType": 0, "seq": 2.5}}, 200, "config.seq missing or not an int"),
        (
            {
                "facelib_manage": {
                    "type": 3,
                    "seq": 9,
                    "person_ids": ",".join("0123456789abcdefghijk"),
                }
            },
            200,
            "21 ids in person_ids",
        ),
        (
            {"facelib_manage": {"type": 3, "seq": 9, "person_ids": ["a", "b"]}},
            200,
            "person_ids must be a comma-separated string",
        ),
        (
            {"facelib_manage": {"type": 1, "seq": 9, "face": {"id": "a", "image": b64(JPEG)}}},
            200,
            "face.image must be an array",
        ),
        (
            {"facelib_batch": {"personList": [{"operType": 3, "id": f"p{i}"} for i in range(21)]}},
            200,
            "21 persons in one facelib_batch",
        ),
        (
            {
                "facelib_batch": {
                    "personList": [
                        {"operType": 1, "id": "a", "strategyId": 0, "image": [b64(JPEG)]}
                    ]
                }
            },
            200,
            "facelib_batch image must be a string",
        ),
    ],
)
def test_heartbeat_reply_violations(
    platform: Platform,
    make_sim: Callable[..., TemperatureTabletSimulator],
    reply: Any,
    status: int,
    reason: str,
) -> None:
    """Each reply breaks one rule of the document and is recorded with a short reason."""
    sim = make_sim()
    platform.reply(3, reply, status=status)
    assert sim.heartbeat_now() == status
    violations = sim.protocol_violations
    assert len(violations) == 1, violations
    assert reason in violations[0]
    if status != 200:
        assert sim.unlock_count == 0
        assert sim.commands == []


def test_command_in_reply_to_batch_result_is_a_violation(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """Only ``facelib_batch`` may ride the reply to a ``type`` 9."""
    sim = make_sim()
    entries = [{"operType": 3, "id": "nobody"}]
    platform.reply(3, {"facelib_batch": {"personList": entries}})
    platform.reply(9, {"control": {"opType": 1, "seq": 3}})
    assert sim.heartbeat_now() == 200
    assert sim.unlock_count == 0
    assert platform.last(9).body["facelib_batch"]["resultList"] == [
        {"operType": 3, "id": "nobody", "result": 1}
    ]
    assert len(sim.protocol_violations) == 1
    assert "reply to type 9 may only carry facelib_batch" in sim.protocol_violations[0]


# ------------------------------------------------------------ life and CLI


def test_stop_joins_the_thread(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """After ``stop()`` nothing runs and the helpers refuse to work."""
    sim = make_sim()
    assert sim.running
    sim.stop()
    assert not sim.running
    assert not [t for t in threading.enumerate() if t.name.startswith("temperature-tablet-sim")]
    with pytest.raises(RuntimeError):
        sim.heartbeat_now()
    sim.stop()


def test_one_request_at_a_time(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """Heartbeats, records and alarms from several threads never overlap on the wire."""
    sim = make_sim(heartbeat_interval=0.01)

    def _push() -> None:
        for _ in range(8):
            sim.push_record(None)
            sim.push_door_alarm()

    pushers = [threading.Thread(target=_push) for _ in range(3)]
    for pusher in pushers:
        pusher.start()
    for pusher in pushers:
        pusher.join(10)
    assert len(platform.received(1)) == len(platform.received("alarm")) == 24
    assert len(platform.received(3)) > 1
    assert platform.max_in_flight == 1


def test_stop_while_a_request_is_in_flight(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """``stop()`` does not wait for a slow server; the blocked caller is cancelled."""
    sim = make_sim()
    platform.reply(1, delay=30)
    outcome: list[BaseException | int] = []

    def _push() -> None:
        try:
            outcome.append(sim.push_record(None))
        except BaseException as err:  # noqa: BLE001
            outcome.append(err)

    pusher = threading.Thread(target=_push)
    pusher.start()
    assert sim.wait_for(lambda: len(platform.received(1)) == 1, 3)
    started = time.monotonic()
    sim.stop()
    pusher.join(3)
    assert time.monotonic() - started < 5
    assert len(outcome) == 1
    assert isinstance(outcome[0], concurrent.futures.CancelledError)


def test_random_activity(
    platform: Platform, make_sim: Callable[..., TemperatureTabletSimulator]
) -> None:
    """The CLI's (and the demo's) events: realistic temperatures, strangers, alarms."""
    sim = make_sim()
    sim.add_person("ada", "Ada Lovelace")
    rng = random.Random(4)
    descriptions = [sim.random_activity(rng) for _ in range(40)]
    assert all(text.endswith("HTTP 200") for text in descriptions)
    records = [body["result"] for body in platform.bodies(1)]
    assert {r["person_type"] for r in records} == {0, 1}
    assert platform.bodies("alarm")
    temperatures = [r["temperature"] for r in records]
    assert all(36.2 <= t <= 37.1 or 37.5 <= t <= 38.6 for t in temperatures)
    assert any(t >= 37.5 for t in temperatures)
    assert {r["person_name"] for r in records if r["person_type"] == 1} == {"Ada Lovelace"}


def test_command_line_runs_until_ctrl_c(platform: Platform) -> None:
    """``python -m simulators.temperature_http`` heartbeats, pushes events, stops on SIGINT."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulators.temperature_http",
            "--url",
            platform.url,
            "--cid",
            "cli-tablet",
            "--heartbeat",
            "0.2",
            "--activity",
            "0.05",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert TemperatureTabletSimulator.wait_for(
            lambda: (
                len(platform.received(3)) >= 2
                and len(platform.received(1)) + len(platform.received("alarm")) >= 2
            ),
            15,
        )
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr.decode()
    assert b"stopped" in stderr
    assert platform.last(3).body["cid"] == "cli-tablet"
