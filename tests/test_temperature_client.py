"""The temperature tablet's command queue (TemperatureHttpClient), driven POST by POST.

These are unit tests: the client's `handle_request` gets the bodies a tablet would POST
(temperature-terminal-http v1.16), and an in-memory store stands in for Home Assistant's.
That the protocol works over real sockets is shown by test_e2e_temperature.py.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
import copy
from datetime import UTC, datetime, timedelta
import json
from typing import Any

import pytest

from custom_components.face_access.protocols import temperature_http
from custom_components.face_access.protocols.client import InboundHttp
from custom_components.face_access.protocols.http import HttpReply, HttpRequest
from custom_components.face_access.protocols.model import (
    AccessRecord,
    Alive,
    Capability,
    CommandResult,
    Connectivity,
    DeviceAlarm,
    DeviceMessage,
    DeviceRefusedError,
    DeviceTimeoutError,
    Enrollment,
    InvalidRequestError,
    UnsupportedError,
)
from custom_components.face_access.protocols.temperature_http import (
    DOOR_COMMAND_TTL,
    PROFILE,
    RESULT_HEARTBEATS,
    SEQ_LIMIT,
    TemperatureHttpClient,
)

CID = "0012b516a202"
BOOT = 1_780_000_000
PHOTO = b"\xff\xd8\xff\xe0photo"


class MemoryStore:
    """Keeps what the client saves, as JSON would (a copy, not the live objects)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] | None = None
        self.saves = 0

    async def load(self) -> dict[str, Any] | None:
        return copy.deepcopy(self.data)

    async def save(self, data: dict[str, Any]) -> None:
        self.data = json.loads(json.dumps(data))
        self.saves += 1


class Clock:
    """An adjustable `now` for the client."""

    def __init__(self) -> None:
        self.value = datetime.fromtimestamp(BOOT + 100, UTC)

    def __call__(self) -> datetime:
        return self.value


class Tablet:
    """Posts what a tablet posts to one client and keeps the replies."""

    def __init__(self, client: TemperatureHttpClient, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self.uptime = BOOT

    async def post(self, body: dict[str, Any] | str, remote: str = "192.0.2.7") -> HttpReply:
        raw = body if isinstance(body, str) else json.dumps(body)
        return await self.client.handle_request(HttpRequest(body=raw.encode(), remote=remote))

    async def heartbeat(self, seq: int | None = None) -> dict[str, Any] | None:
        """Send a heartbeat (seq = send time unless given); return the command, if any."""
        now = int(self.clock.value.timestamp())
        reply = await self.post(
            {
                "app_version": "1.0.1.1",
                "cid": CID,
                "seq": now if seq is None else seq,
                "uptime": self.uptime,
                "type": 3,
            }
        )
        assert reply.status == 200
        return json.loads(reply.body) if reply.body else None

    async def greet(self) -> None:
        """First heartbeats after start: the hello, the config query and the clock."""
        hello = await self.heartbeat()
        assert hello is not None
        assert hello.get("config") == {"opType": 1}
        await self.post(
            {
                "cid": CID,
                "type": 10,
                "time": 1,
                "config": {"temperature": {"high_threshold": 37.5, "unit": 0}},
            }
        )
        clock = await self.heartbeat()
        assert clock is not None
        assert "time_set" in clock


@pytest.fixture
def messages() -> list[DeviceMessage]:
    return []


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def make_client(
    messages: list[DeviceMessage], clock: Clock, store: MemoryStore
) -> Callable[..., TemperatureHttpClient]:
    def _make(**kwargs: Any) -> TemperatureHttpClient:
        options: dict[str, Any] = {"confirm_timeout": 0.5, **kwargs}
        client = TemperatureHttpClient(CID, store, now=clock, **options)
        client.subscribe(messages.append)
        return client

    return _make


@pytest.fixture
async def tablet(make_client: Callable[..., TemperatureHttpClient], clock: Clock) -> Tablet:
    client = make_client()
    await client.start()
    return Tablet(client, clock)


def _enrollment(person_id: str = "1001", **kwargs: Any) -> Enrollment:
    return Enrollment(person_id=person_id, name="Ada Lovelace", photo_jpeg=PHOTO, **kwargs)


async def _until_queued(client: TemperatureHttpClient, count: int) -> None:
    """Let the command coroutines run until `count` commands are queued."""
    for _ in range(100):
        if client.queued >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{client.queued} commands queued, expected {count}")


async def test_the_client_describes_the_tablet(
    make_client: Callable[..., TemperatureHttpClient],
) -> None:
    """Known before any POST: what it is, when it is offline, and that nothing is polled."""
    client = make_client(heartbeat_interval=20)

    assert client.profile is PROFILE
    assert Capability.OPEN_DOOR in client.profile.capabilities
    assert Capability.SCENE_SNAPSHOT not in client.profile.capabilities  # digest §9
    assert client.offline_after == 60  # three heartbeat periods
    assert make_client().offline_after == 30  # but never less than 30 s
    assert make_client(offline_after=12.5).offline_after == 12.5
    assert client.poll_interval is None
    assert isinstance(client, InboundHttp)
    assert not client.connected_once


async def test_diagnostics_count_the_queued_commands(tablet: Tablet) -> None:
    assert tablet.client.diagnostics() == {"queued_commands": 0}

    await tablet.client.enroll(_enrollment())  # pending at once: no heartbeat yet

    assert tablet.client.diagnostics() == {"queued_commands": 1}


async def test_a_record_is_taken_even_if_a_subscriber_fails(
    tablet: Tablet, messages: list[DeviceMessage], caplog: pytest.LogCaptureFixture
) -> None:
    """The tablet gets its 200 (else it re-sends), the other subscribers their record."""

    def broken(_message: DeviceMessage) -> None:
        raise RuntimeError("owner failed")

    tablet.client.subscribe(broken)
    reply = await tablet.post({"cid": CID, "type": 1, "time": BOOT, "result": {"person_type": 0}})

    assert reply == HttpReply(200)
    assert [type(m) for m in messages] == [AccessRecord]
    logged = [r for r in caplog.records if r.name == temperature_http.__name__]
    assert len(logged) == 1


async def test_first_heartbeat_sets_the_period_and_reads_the_threshold(tablet: Tablet) -> None:
    """The first reply asks for a short period and the tablet's config (§9, §3.2)."""
    hello = await tablet.heartbeat()

    assert hello == {"config": {"opType": 1}, "time_interval": 5}


async def test_heartbeats_report_connectivity_then_alive(
    tablet: Tablet, messages: list[DeviceMessage]
) -> None:
    """The first heartbeat (and one with a new boot time) is a Connectivity with the
    firmware and address; later ones are only signs of life."""
    await tablet.greet()
    assert await tablet.heartbeat() is None
    tablet.uptime += 500  # rebooted
    again = await tablet.heartbeat()

    kinds = [type(m) for m in messages if not isinstance(m, Alive)]
    assert kinds == [Connectivity, Connectivity]
    first = messages[0]
    assert isinstance(first, Connectivity)
    assert (first.info.firmware, first.info.ip) == ("1.0.1.1", "192.0.2.7")
    assert again is not None
    assert again["time_interval"] == 5  # a rebooted tablet is told its period again
    assert tablet.client.connected_once


async def test_enrolment_is_confirmed_by_the_next_heartbeat_seq(tablet: Tablet) -> None:
    """§3.4 L89-L95: the command rides in a heartbeat reply; the next heartbeat echoes
    its `seq` on success. The seq is small, so never a heartbeat timestamp."""
    await tablet.greet()
    task = asyncio.create_task(tablet.client.enroll(_enrollment(card_number="8899")))
    await _until_queued(tablet.client, 1)

    command = await tablet.heartbeat()
    assert command is not None
    manage = command["facelib_manage"]
    assert manage["type"] == 1
    assert 0 < manage["seq"] < SEQ_LIMIT
    assert manage["face"]["id"] == "1001"
    assert manage["face"]["cardNo"] == "8899"
    assert isinstance(manage["face"]["image"], list)
    assert command["time_interval"] == 5
    assert not task.done()

    await tablet.heartbeat(seq=manage["seq"])
    result = await task

    assert not result.pending
    assert tablet.client.queued == 0


async def test_a_heartbeat_with_another_seq_means_failure(tablet: Tablet) -> None:
    """Any other `seq` on the next heartbeat is a failure; the protocol gives no reason."""
    await tablet.greet()
    task = asyncio.create_task(tablet.client.delete_all())
    await _until_queued(tablet.client, 1)
    command = await tablet.heartbeat()
    assert command is not None
    assert command["facelib_manage"] == {"type": 4, "seq": command["facelib_manage"]["seq"]}

    await tablet.heartbeat()

    with pytest.raises(DeviceRefusedError, match="failure"):
        await task


async def test_an_unconfirmed_command_is_pending_and_stays_queued(tablet: Tablet) -> None:
    """When no heartbeat confirms in time, the service answer is `pending`."""
    await tablet.greet()

    result = await tablet.client.enroll(_enrollment())

    assert result.pending
    assert tablet.client.queued == 1
    command = await tablet.heartbeat()
    assert command is not None
    assert "facelib_manage" in command


async def test_an_offline_tablet_makes_commands_pending_at_once(
    make_client: Callable[..., TemperatureHttpClient],
) -> None:
    """No heartbeat yet: nothing to wait for; the command is queued for later."""
    client = make_client(confirm_timeout=60.0)
    await client.start()

    result = await asyncio.wait_for(client.enroll(_enrollment()), 1)

    assert result.pending
    assert "offline" in result.message
    with pytest.raises(DeviceTimeoutError):
        await asyncio.wait_for(client.open_door(), 1)
    with pytest.raises(DeviceTimeoutError):
        await client.query_info()


async def test_the_queue_survives_a_restart(
    make_client: Callable[..., TemperatureHttpClient], clock: Clock, store: MemoryStore
) -> None:
    """Queued commands are saved before the call returns and delivered after a restart,
    in order, with seqs that do not repeat."""
    first = make_client()
    await first.start()
    await first.enroll(_enrollment("1001"))
    await first.delete(["1002"])
    await first.stop()
    assert store.data is not None

    second = make_client()
    await second.start()
    tablet = Tablet(second, clock)
    await tablet.greet()
    enrol = await tablet.heartbeat()
    assert enrol is not None
    # The heartbeat that confirms the enrolment gets the next command in its reply.
    delete = await tablet.heartbeat(seq=enrol["facelib_manage"]["seq"])
    assert delete is not None

    assert enrol["facelib_manage"]["face"]["id"] == "1001"
    assert delete["facelib_manage"]["person_ids"] == "1002"
    assert delete["facelib_manage"]["seq"] > enrol["facelib_manage"]["seq"]
    third_seq = await _seq_of_next(second, tablet)
    assert third_seq > delete["facelib_manage"]["seq"]


async def _seq_of_next(client: TemperatureHttpClient, tablet: Tablet) -> int:
    """Queue one more command and return the seq it is delivered with."""
    await tablet.heartbeat()  # judge whatever is in flight
    await client.delete_all()
    command = await tablet.heartbeat()
    assert command is not None
    seq: int = command["facelib_manage"]["seq"]
    return seq


async def test_a_command_in_flight_is_judged_after_a_restart(
    make_client: Callable[..., TemperatureHttpClient], clock: Clock, store: MemoryStore
) -> None:
    """Delivered, then Home Assistant restarts: the tablet's next heartbeat still settles
    the command, and it is not delivered a second time."""
    first = make_client()
    await first.start()
    tablet = Tablet(first, clock)
    await tablet.greet()
    await first.enroll(_enrollment())
    command = await tablet.heartbeat()
    assert command is not None
    await first.stop()

    second = make_client()
    await second.start()
    again = Tablet(second, clock)
    reply = await again.heartbeat(seq=command["facelib_manage"]["seq"])

    assert reply is not None
    assert "facelib_manage" not in reply
    assert store.data is not None
    assert "facelib" not in [entry["kind"] for entry in store.data["queue"]]


async def test_door_commands_go_first_and_are_confirmed_by_type_12(tablet: Tablet) -> None:
    """§12: `control` opType 1; the `type` 12 result carries its seq and errcode."""
    await tablet.greet()
    await tablet.client.enroll(_enrollment())  # pending: nobody heartbeats meanwhile
    door = asyncio.create_task(tablet.client.open_door())
    await _until_queued(tablet.client, 2)

    command = await tablet.heartbeat()
    assert command is not None
    assert command["control"]["opType"] == 1
    seq = command["control"]["seq"]
    reply = await tablet.post(
        {"cid": CID, "type": 12, "time": 1, "control": {"seq": seq, "errcode": 0}}
    )
    assert reply == HttpReply(200)

    await door
    next_command = await tablet.heartbeat()
    assert next_command is not None
    assert "facelib_manage" in next_command


async def test_a_refused_door_command_raises(tablet: Tablet) -> None:
    """errcode 2 = failed (§12 L2389-L2393)."""
    await tablet.greet()
    door = asyncio.create_task(tablet.client.open_door())
    await _until_queued(tablet.client, 1)
    command = await tablet.heartbeat()
    assert command is not None
    await tablet.post(
        {
            "cid": CID,
            "type": 12,
            "time": 1,
            "control": {"seq": command["control"]["seq"], "errcode": 2},
        }
    )

    with pytest.raises(DeviceRefusedError, match="failed"):
        await door


async def test_a_door_command_expires_undelivered(tablet: Tablet, clock: Clock) -> None:
    """A door must not open minutes after the press: an old command is dropped."""
    await tablet.greet()
    with pytest.raises(DeviceTimeoutError, match="not confirmed"):
        await tablet.client.open_door()
    clock.value += timedelta(seconds=DOOR_COMMAND_TTL + 1)

    assert await tablet.heartbeat() is None
    assert tablet.client.queued == 0


async def test_a_result_that_never_comes_frees_the_queue(tablet: Tablet) -> None:
    """A delivered door command without a `type` 12 blocks at most a few heartbeats."""
    await tablet.greet()
    with pytest.raises(DeviceTimeoutError):
        await tablet.client.open_door()
    await tablet.client.delete_all()
    assert "control" in (await tablet.heartbeat() or {})

    replies = [await tablet.heartbeat() for _ in range(RESULT_HEARTBEATS + 1)]

    assert replies[:-1] == [None] * RESULT_HEARTBEATS
    assert "facelib_manage" in (replies[-1] or {})


async def test_list_people_waits_for_the_type_4_result(tablet: Tablet) -> None:
    """§3.4: query type 5; the answer is a `type` 4 in place of the next heartbeat. Two
    callers share one query (the answer has no seq)."""
    await tablet.greet()
    first = asyncio.create_task(tablet.client.list_people())
    second = asyncio.create_task(tablet.client.list_people())
    await _until_queued(tablet.client, 1)
    await asyncio.sleep(0)

    command = await tablet.heartbeat()
    assert command is not None
    assert command["facelib_manage"]["type"] == 5
    assert tablet.client.queued == 1
    await tablet.post(
        {
            "cid": CID,
            "type": 4,
            "time": 1,
            "total_face": 1,
            "face": [{"person_id": "1001", "person_name": "Ada", "cardNo": "8899"}],
        }
    )

    for task in (first, second):
        people = await task
        assert [(p.person_id, p.name, p.card_number) for p in people] == [("1001", "Ada", "8899")]


async def test_several_people_are_deleted_in_batches_of_20(tablet: Tablet) -> None:
    """§7: chunks of 20, the next one in the reply to each `type` 9; results per person."""
    await tablet.greet()
    ids = [f"p{i:02d}" for i in range(25)]
    task = asyncio.create_task(tablet.client.delete(ids))
    await _until_queued(tablet.client, 1)

    first = await tablet.heartbeat()
    assert first is not None
    chunk = first["facelib_batch"]["personList"]
    assert [p["id"] for p in chunk] == ids[:20]
    assert {p["operType"] for p in chunk} == {3}
    reply = await tablet.post(_batch_result(chunk, failed={"p03": 1}))
    second = json.loads(reply.body)["facelib_batch"]["personList"]
    assert [p["id"] for p in second] == ids[20:]
    last = await tablet.post(_batch_result(second, failed={"p24": 6}))
    assert last == HttpReply(200)

    result = await task
    assert result.message == "23 of 25; not: p03 (failed), p24 (busy)"


async def test_a_batch_import_chains_its_chunks_and_keeps_its_photos_out_of_the_store(
    tablet: Tablet, store: MemoryStore
) -> None:
    """§7: an import of 25 goes as chunks of 20 and 5, the second in the reply to the
    first's `type` 9, with a result per person. The photos are never written to the saved
    queue (they were rewritten at every POST: 139 MB for 200 people); the roster sync keeps
    its own pending work across restarts instead.
    """
    await tablet.greet()
    ids = [f"p{i:02d}" for i in range(25)]
    task = asyncio.create_task(tablet.client.enroll_batch([_enrollment(pid) for pid in ids]))
    await _until_queued(tablet.client, 2)
    photo = base64.b64encode(PHOTO).decode()
    saved = [json.dumps(store.data)]

    first = await tablet.heartbeat()
    assert first is not None
    chunk = first["facelib_batch"]["personList"]
    saved.append(json.dumps(store.data))
    reply = await tablet.post(_batch_result(chunk, failed={"p03": 1}))
    second = json.loads(reply.body)["facelib_batch"]["personList"]
    saved.append(json.dumps(store.data))
    last = await tablet.post(_batch_result(second, failed={}))
    outcomes = await task

    assert [p["id"] for p in chunk] == ids[:20]
    assert [p["id"] for p in second] == ids[20:]
    assert last == HttpReply(200)
    assert isinstance(outcomes["p03"], DeviceRefusedError)
    assert all(isinstance(outcomes[pid], CommandResult) for pid in ids if pid != "p03")
    assert not any(photo in text or "facelib_batch" in text for text in saved)


def _batch_result(chunk: list[dict[str, Any]], failed: dict[str, int]) -> dict[str, Any]:
    return {
        "cid": CID,
        "type": 9,
        "time": 1,
        "facelib_batch": {
            "resultList": [
                {"operType": 3, "id": p["id"], "result": failed.get(p["id"], 0)} for p in chunk
            ]
        },
    }


async def test_records_use_the_tablets_threshold(
    tablet: Tablet, messages: list[DeviceMessage], clock: Clock
) -> None:
    """The config query told 37.5 °C: 37.4 is no alarm, 37.5 is (digest §4.3)."""
    await tablet.greet()
    now = int(clock.value.timestamp())
    for temperature in (37.4, 37.5):
        reply = await tablet.post(
            {
                "cid": CID,
                "type": 1,
                "time": now,
                "result": {"person_type": 0, "temperature": temperature},
            }
        )
        assert reply == HttpReply(200)

    records = [m for m in messages if isinstance(m, AccessRecord)]
    assert [r.temperature_alarm for r in records] == [False, True]


async def test_the_door_alarm_is_passed_on(tablet: Tablet, messages: list[DeviceMessage]) -> None:
    """§13: no cid, no type; the webhook tells whose it is."""
    reply = await tablet.post('{"alarm": {"seq": 1, "time": 1780000000, "alarmtype": 1}}')

    assert reply == HttpReply(200)
    assert isinstance(messages[-1], DeviceAlarm)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("this is not json", 400),
        ('{"cid": "0012b516a202", "type": 77}', 400),
        ('{"type": 3, "seq": 1}', 400),
        ('{"cid": "someone-else", "type": 3, "seq": 1}', 403),
        ('{"cid": "0012b516a202", "type": 1}', 400),
    ],
)
async def test_bad_posts_get_an_error_and_change_nothing(
    tablet: Tablet,
    messages: list[DeviceMessage],
    store: MemoryStore,
    body: str,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Malformed bodies get 400, another tablet's cid 403, with one log line each."""
    await tablet.client.enroll(_enrollment())
    saves = store.saves

    reply = await tablet.post(body)

    assert reply.status == status
    assert messages == []
    assert store.saves == saves
    assert not tablet.client.online
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 1


async def test_a_pinned_source_address_refuses_others(
    make_client: Callable[..., TemperatureHttpClient], clock: Clock
) -> None:
    """With the source-IP option, a heartbeat from elsewhere gets 403 and no command."""
    client = make_client(allowed_source="192.0.2.7")
    await client.start()
    tablet = Tablet(client, clock)
    await client.enroll(_enrollment())

    stranger = await tablet.post(
        {"cid": CID, "type": 3, "seq": 1, "uptime": BOOT}, remote="198.51.100.9"
    )
    genuine = await tablet.heartbeat()

    assert stranger.status == 403
    assert genuine is not None


async def test_what_the_tablet_cannot_do_is_refused_before_queueing(tablet: Tablet) -> None:
    """No snapshot command (§4.9); limits are checked before anything is queued."""
    with pytest.raises(UnsupportedError):
        await tablet.client.snapshot()
    with pytest.raises(InvalidRequestError):
        await tablet.client.enroll(_enrollment("x" * 40))
    with pytest.raises(InvalidRequestError):
        await tablet.client.delete(["a,b"])
    assert tablet.client.queued == 0


async def test_a_door_command_without_a_result_is_a_timeout(
    make_client: Callable[..., TemperatureHttpClient], clock: Clock
) -> None:
    """Taken by the tablet, but no `type` 12 within a few heartbeats: the press says so."""
    client = make_client(confirm_timeout=30.0)
    await client.start()
    tablet = Tablet(client, clock)
    await tablet.greet()
    door = asyncio.create_task(client.open_door())
    await _until_queued(client, 1)
    assert "control" in (await tablet.heartbeat() or {})

    for _ in range(RESULT_HEARTBEATS + 1):
        await tablet.heartbeat()

    with pytest.raises(DeviceTimeoutError, match="no result"):
        await door
