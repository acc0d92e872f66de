"""The Huaan face capture client: commands to the device, pushes and long polls from it.

Commands in push mode go over real sockets to a local aiohttp server that plays the device
(HTTP Basic on `/`, as field notes §2 report). Pushes and long polls are handed to
`handle_request` directly, as Home Assistant's webhook does; an in-memory store stands in
for Home Assistant's. End-to-end tests against the simulator are elsewhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import logging
import socket
import time
from typing import Any

from aiohttp import ClientSession, web
import pytest

from custom_components.face_access.protocols.client import InboundHttp
from custom_components.face_access.protocols.face_capture_http import (
    DecodeError,
    FaceCaptureConnection,
    FaceCaptureHttpClient,
    HttpReply,
    HttpRequest,
    Mode,
)
from custom_components.face_access.protocols.model import (
    AccessKind,
    AccessRecord,
    Alive,
    AuthenticationError,
    Connectivity,
    CredentialEvent,
    CredentialKind,
    DeviceMessage,
    DeviceRefusedError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    Enrollment,
    InvalidRequestError,
)

from .common import MemoryStore

SERIAL = "0123E4-FB5BFC-9186EE"
USER = "admin"
PASSWORD = "secret pass"
UPLOAD = "/api/webhook/upload-abc"
POLL = "/api/webhook/poll-def"
PHOTO = b"\xff\xd8\xff\xe0photo"
NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)

Answer = Callable[[dict[str, Any]], Awaitable[Any] | Any]


@dataclass
class Device:
    """The device's port 8000: what it received and how it answers each `cmd`."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    busy: int = 0
    most_busy: int = 0

    def commands(self) -> list[str]:
        return [body["cmd"] for body in self.received]


def ok(cmd: str, **extra: Any) -> dict[str, Any]:
    return {"reply": "ACK", "cmd": cmd, "code": 0, **extra}


@pytest.fixture
async def device(socket_enabled: None) -> AsyncIterator[Device]:
    """A device demanding HTTP Basic on `/`, answering by `cmd` (default: success)."""
    state = Device()
    expected = "Basic " + __import__("base64").b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})
        raw = await request.read()
        state.raw.append(raw)
        state.headers.append(dict(request.headers))
        state.paths.append(request.path)
        body = json.loads(raw)
        state.received.append(body)
        state.busy += 1
        state.most_busy = max(state.most_busy, state.busy)
        try:
            answer = state.answers.get(body["cmd"], lambda b: ok(b["cmd"]))(body)
            if asyncio.iscoroutine(answer):
                answer = await answer
        finally:
            state.busy -= 1
        if isinstance(answer, web.StreamResponse):
            return answer
        return web.Response(text=json.dumps(answer), content_type="application/json")

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


@pytest.fixture
def connection(device: Device, session: ClientSession) -> FaceCaptureConnection:
    return FaceCaptureConnection(session, device.host, device.port, USER, PASSWORD, timeout=2.0)


@pytest.fixture
def messages() -> list[DeviceMessage]:
    return []


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def make_client(
    store: MemoryStore,
    messages: list[DeviceMessage],
    *,
    connection: FaceCaptureConnection | None = None,
    mode: Mode = Mode.PUSH,
    **options: Any,
) -> FaceCaptureHttpClient:
    client = FaceCaptureHttpClient(
        SERIAL,
        store,
        connection=connection,
        mode=mode,
        upload_path=UPLOAD,
        poll_path=POLL,
        now=lambda: NOW,
        **options,
    )
    client.subscribe(messages.append)
    return client


@pytest.fixture
async def push_client(
    connection: FaceCaptureConnection, store: MemoryStore, messages: list[DeviceMessage]
) -> FaceCaptureHttpClient:
    client = make_client(store, messages, connection=connection)
    await client.start()
    return client


def enrollment(**changes: Any) -> Enrollment:
    return Enrollment(**{"person_id": "0001", "name": "XiaoMing", "photo_jpeg": PHOTO, **changes})


async def post(
    client: FaceCaptureHttpClient, body: dict[str, Any] | bytes, path: str = UPLOAD
) -> HttpReply:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.handle_request(
        HttpRequest(body=raw, path=path, remote="192.0.2.8", content_type="application/json")
    )


def decoded(reply: HttpReply) -> dict[str, Any]:
    assert reply.status == 200
    result: dict[str, Any] = json.loads(reply.body)
    return result


def face(sequence_no: int = 1, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": "0.42",
        "cmd": "face",
        "sequence_no": sequence_no,
        "device_sn": SERIAL,
        "cap_time": "2024/05/06 07:08:09.010",
        "is_realtime": 1,
        "match_failed_reson": 0,
        "match_result": 88,
        "match": {"person_id": "0001", "person_name": "XiaoMing", "person_role": 1},
        "closeup_pic_flag": True,
        "closeup_pic": {"format": "jpg", "data": "/9j/face"},
        "person": {"temperatur": 36.6, "has_mask": True},
    }
    body.update(changes)
    return body


HEARTBEAT = {
    "version": "0.42",
    "cmd": "heart beat",
    "ip": "192.168.1.88",
    "device_sn": SERIAL,
    "command_id": "",
    "device_no": "",
    "addr_no": "",
    "addr_name": "",
}


# ---- the connection: what goes on the wire ---------------------------------------------------


async def test_a_command_is_one_json_post_with_content_length_and_basic_auth(
    connection: FaceCaptureConnection, device: Device
) -> None:
    reply = await connection.command("request date time")

    assert reply["cmd"] == "request date time"
    assert device.paths == ["/"]
    headers = device.headers[0]
    assert int(headers["Content-Length"]) == len(device.raw[0])
    assert "Transfer-Encoding" not in headers  # never chunked (L114)
    assert "Expect" not in headers  # no 100-continue (field notes §2.2)
    assert headers["Content-Type"].startswith("application/json")
    assert device.received == [{"version": "0.2", "cmd": "request date time"}]


async def test_a_wrong_password_is_an_authentication_error(
    device: Device, session: ClientSession
) -> None:
    connection = FaceCaptureConnection(session, device.host, device.port, USER, "wrong")

    with pytest.raises(AuthenticationError) as err:
        await connection.command("request date time")

    assert "wrong" not in str(err.value)


async def test_an_ipv6_device_is_addressed_in_brackets() -> None:
    async with ClientSession() as client_session:
        connection = FaceCaptureConnection(client_session, "[fe80::1]", 8000, "", "")

    assert connection.url == "http://[fe80::1]:8000/"


async def test_nothing_listening_is_unreachable(
    session: ClientSession, socket_enabled: None
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    connection = FaceCaptureConnection(session, "127.0.0.1", port, USER, PASSWORD)

    with pytest.raises(DeviceUnreachableError):
        await connection.command("request date time")


async def test_a_silent_device_times_out(device: Device, session: ClientSession) -> None:
    async def silent(body: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(2)
        return ok(body["cmd"])

    device.answers["request date time"] = silent
    connection = FaceCaptureConnection(
        session, device.host, device.port, USER, PASSWORD, timeout=0.2
    )

    with pytest.raises(DeviceTimeoutError) as err:
        await connection.command("request date time")
    assert not isinstance(err.value, DeviceUnreachableError)


async def test_an_answer_that_is_not_json_is_a_decode_error(
    connection: FaceCaptureConnection, device: Device
) -> None:
    device.answers["snapshot"] = lambda _body: web.Response(text="<html>busy</html>")

    with pytest.raises(DecodeError):
        await connection.command("snapshot")


async def test_a_refusal_carries_the_devices_code(
    connection: FaceCaptureConnection, device: Device
) -> None:
    device.answers["update app params"] = lambda b: {"reply": "ACK", "cmd": b["cmd"], "code": 3}

    with pytest.raises(DeviceRefusedError) as err:
        await connection.set_upload("192.168.0.2", 8123, "/api/webhook/x")

    assert err.value.code == "3"


async def test_a_version_mismatch_is_retried_in_the_devices_version(
    connection: FaceCaptureConnection, device: Device
) -> None:
    """Code 1 carries the device's `version` (L176); the retry speaks it, and so do the next."""

    def strict(body: dict[str, Any]) -> dict[str, Any]:
        if body["version"] != "0.42":
            return {"reply": "ACK", "cmd": body["cmd"], "code": 1, "version": "0.42"}
        return ok(body["cmd"])

    device.answers["request date time"] = strict

    await connection.command("request date time")
    await connection.command("request date time")

    assert [body["version"] for body in device.received] == ["0.2", "0.42", "0.42"]


async def test_commands_go_one_at_a_time(connection: FaceCaptureConnection, device: Device) -> None:
    async def slow(body: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0.05)
        return ok(body["cmd"])

    device.answers["request date time"] = slow

    await asyncio.gather(*(connection.command("request date time") for _ in range(4)))

    assert len(device.received) == 4
    assert device.most_busy == 1


async def test_identify_reads_the_hardware_info(
    connection: FaceCaptureConnection, device: Device
) -> None:
    device.answers["get hardware info"] = lambda b: ok(
        b["cmd"],
        device_sn=SERIAL,
        Board={"manu": "FSAN", "model": "FSAN_01"},
        Chip={"manu": "HISI", "model": "HI3516AV200"},
    )

    identity = await connection.identify()

    assert identity.serial == SERIAL
    assert identity.info.model == "FSAN_01 (HI3516AV200)"


async def test_set_upload_and_set_extranet_send_the_documents_objects(
    connection: FaceCaptureConnection, device: Device
) -> None:
    await connection.set_upload("192.168.0.172", 8123, UPLOAD)
    await connection.set_extranet("ha.example", 8123, POLL)

    assert device.received[0] == {
        "version": "0.2",
        "cmd": "update app params",
        "upload_info": {
            "method": "http",
            "server_ip": "192.168.0.172",
            "server_port": 8123,
            "service_url": UPLOAD,
        },
    }
    assert device.received[1]["extranet"] == {
        "enable": True,
        "mode": "http",
        "server_domain": "ha.example",
        "server_port": 8123,
        "url": POLL,
    }


# ---- push mode: the client's commands --------------------------------------------------------


async def test_open_door_pulses_the_configured_port(
    connection: FaceCaptureConnection,
    device: Device,
    store: MemoryStore,
    messages: list[DeviceMessage],
) -> None:
    client = make_client(store, messages, connection=connection, door_port=2)
    device.answers["gpio control"] = lambda b: ok(" gpio control")  # the doc's stray space

    await client.open_door()

    assert device.received[-1] == {
        "version": "0.2",
        "cmd": "gpio control",
        "port": 2,
        "ctrl_type": "on",
        "ctrl_mode": "force",
    }


async def test_a_refused_door_is_an_error(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    device.answers["gpio control"] = lambda b: {"reply": "ACK", "cmd": b["cmd"], "code": 5}

    with pytest.raises(DeviceRefusedError):
        await push_client.open_door()


async def test_snapshot_reads_the_image_with_a_trailing_space(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    device.answers["snapshot"] = lambda b: ok(
        b["cmd"], **{"image ": {"format": "jpg", "image_data": "/9j/scene", "time_stamp": "x"}}
    )

    picture = await push_client.snapshot()

    assert picture.raw == "/9j/scene"


async def test_a_snapshot_without_a_picture_is_refused(
    push_client: FaceCaptureHttpClient,
) -> None:
    with pytest.raises(DeviceRefusedError):
        await push_client.snapshot()


async def test_enroll_uploads_the_person(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    result = await push_client.enroll(enrollment(card_number="4294967296"))

    assert result.pending is False
    sent = device.received[-1]
    assert sent["cmd"] == "upload person"
    assert sent["reg_image"] == "/9j/4HBob3Rv"  # raw base64 of PHOTO, no data: prefix
    assert sent["long_card_id"] == 4294967296
    assert sent["term_start"] == "useless"
    assert sent["term"] == "forever"


async def test_older_firmware_enrolls_with_add_person_jpg(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    """`upload person` code 2 (before 2020-08-21, L657) falls back to `add person jpg`."""
    device.answers["upload person"] = lambda b: {"reply": "ACK", "cmd": b["cmd"], "code": 2}

    result = await push_client.enroll(enrollment(name="Maximilian Schmidt-Weber"))

    assert device.commands() == ["upload person", "add person jpg"]
    fallback = device.received[-1]
    assert fallback["cover"] is True
    assert fallback["name"] == "Maximilian Schm"  # 15 bytes (L1057)
    assert fallback["reg_images"][0]["image_data"] == "/9j/4HBob3Rv"
    assert "shortened" in result.message


async def test_an_enrolment_the_device_refuses_is_an_error_with_its_reason(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    device.answers["upload person"] = lambda b: {"reply": "ACK", "cmd": b["cmd"], "code": 25}

    with pytest.raises(DeviceRefusedError) as err:
        await push_client.enroll(enrollment())

    assert err.value.code == "25"
    assert device.commands() == ["upload person"]  # no fallback for a photo without a face


async def test_an_id_too_long_is_refused_before_anything_is_sent(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    with pytest.raises(InvalidRequestError):
        await push_client.enroll(enrollment(person_id="12345678901234567890"))

    assert device.received == []


async def test_delete_goes_person_by_person_and_gone_counts_as_deleted(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    device.answers["delete person(s)"] = lambda b: {
        "reply": "ACK",
        "cmd": b["cmd"],
        "code": 22 if b["id"] == "0002" else 0,
        "id": b["id"],
    }

    result = await push_client.delete(["0001", "0002"])

    assert [(b["flag"], b["id"]) for b in device.received] == [(-1, "0001"), (-1, "0002")]
    assert result.message == "2 deleted"


async def test_delete_reports_partial_failure_and_raises_when_all_fail(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    device.answers["delete person(s)"] = lambda b: {
        "reply": "ACK",
        "cmd": b["cmd"],
        "code": 0 if b["id"] == "0001" else 23,
    }

    partial = await push_client.delete(["0001", "0002"])
    with pytest.raises(DeviceRefusedError):
        await push_client.delete(["0003"])

    assert partial.message.startswith("1 of 2 deleted")
    assert "write" in partial.message


async def test_delete_all_uses_flag_3(push_client: FaceCaptureHttpClient, device: Device) -> None:
    await push_client.delete_all()

    assert device.received == [{"version": "0.2", "cmd": "delete person(s)", "flag": 3, "id": ""}]


async def test_list_people_pages_through_everyone(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    everyone = [{"id": f"{n:04}", "name": f"P{n}", "role": 1} for n in range(45)]

    def page(body: dict[str, Any]) -> dict[str, Any]:
        start = (body["page_no"] - 1) * body["page_size"]
        chunk = everyone[start : start + body["page_size"]]
        return ok(body["cmd"], total=45, page_no=body["page_no"], count=len(chunk), persons=chunk)

    device.answers["request persons"] = page

    people = await push_client.list_people()

    assert [p.person_id for p in people] == [f"{n:04}" for n in range(45)]
    assert [(b["page_no"], b["page_size"], b["role"]) for b in device.received] == [
        (1, 20, -1),
        (2, 20, -1),
        (3, 20, -1),
    ]


async def test_query_info_polls_lightly_and_sets_the_clock_once(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    await push_client.query_info()
    await push_client.query_info()

    assert device.commands() == [
        "request date time",
        "get hardware info",
        "update date time",
        "request date time",
    ]
    assert device.received[2]["date_time"] == "2024/05/06 07:08:09"
    assert push_client.poll_interval == 60.0
    assert push_client.offline_after is None


async def test_a_device_that_refuses_the_time_is_not_asked_again(
    push_client: FaceCaptureHttpClient, device: Device
) -> None:
    device.answers["update date time"] = lambda b: {"reply": "ACK", "cmd": b["cmd"], "code": 2}

    await push_client.query_info()
    await push_client.query_info()

    assert device.commands() == [
        "request date time",
        "get hardware info",
        "update date time",
        "request date time",
    ]


async def test_query_info_of_an_unreachable_device_raises(
    store: MemoryStore, messages: list[DeviceMessage], session: ClientSession
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    connection = FaceCaptureConnection(session, "127.0.0.1", port, USER, PASSWORD)
    client = make_client(store, messages, connection=connection, sync_time=False)

    with pytest.raises(DeviceUnreachableError):
        await client.query_info()


# ---- pushes from the device ------------------------------------------------------------------


@pytest.fixture
async def inbound(store: MemoryStore, messages: list[DeviceMessage]) -> FaceCaptureHttpClient:
    """A client that only receives (long-poll mode needs no connection)."""
    client = make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=0.2, sync_time=False)
    await client.start()
    return client


def of_type[T](messages: list[DeviceMessage], kind: type[T]) -> list[T]:
    return [message for message in messages if isinstance(message, kind)]


async def test_a_record_is_acknowledged_and_passed_on(
    inbound: FaceCaptureHttpClient, messages: list[DeviceMessage]
) -> None:
    reply = await post(inbound, face(sequence_no=41))

    assert json.loads(reply.body) == {
        "reply": "ACK",
        "cmd": "face",
        "code": 0,
        "sequence_no": 41,
        "cap_time": "2024/05/06 07:08:09.010",
    }
    (record,) = of_type(messages, AccessRecord)
    assert record.kind is AccessKind.RECOGNIZED
    assert record.person_name == "XiaoMing"
    assert record.key == f"{SERIAL}|41|2024/05/06 07:08:09.010"
    assert of_type(messages, Connectivity)[0].info.ip == "192.0.2.8"
    assert inbound.diagnostics()["records_acked"] == 1


async def test_a_resent_record_is_acked_again_but_fires_its_card_once(
    inbound: FaceCaptureHttpClient, messages: list[DeviceMessage]
) -> None:
    body = face(person={"wg_card_id": 123456}, qr_code={"qr_data": "ticket"})

    first = await post(inbound, body)
    again = await post(inbound, body)

    assert first.body == again.body
    credentials = of_type(messages, CredentialEvent)
    assert [(c.kind, c.card_number or c.qr_data) for c in credentials] == [
        (CredentialKind.QR_CODE, "ticket"),
        (CredentialKind.CARD, "123456"),
    ]
    keys = {record.key for record in of_type(messages, AccessRecord)}
    assert len(keys) == 1  # the owner drops the copy by its key
    assert inbound.diagnostics()["records_acked"] == 2


async def test_a_backlog_record_fires_no_credential_event(
    inbound: FaceCaptureHttpClient, messages: list[DeviceMessage]
) -> None:
    await post(inbound, face(is_realtime=0, person={"wg_card_id": 7}))

    (record,) = of_type(messages, AccessRecord)
    assert record.historical is True
    assert of_type(messages, CredentialEvent) == []


async def test_an_encrypted_name_never_reaches_anyone(
    inbound: FaceCaptureHttpClient, messages: list[DeviceMessage]
) -> None:
    body = face(match={"is_encryption": True, "person_id": "q83v", "person_name": "3q2+"})

    await post(inbound, body)

    (record,) = of_type(messages, AccessRecord)
    assert record.person_id is None
    assert record.person_name is None


async def test_a_record_with_odd_fields_is_still_acknowledged(
    inbound: FaceCaptureHttpClient, messages: list[DeviceMessage]
) -> None:
    reply = await post(inbound, face(match="?", person=[], match_result={"x": 1}))

    assert decoded(reply)["sequence_no"] == 1
    (record,) = of_type(messages, AccessRecord)
    assert record.kind is AccessKind.STRANGER  # a face nobody compared


async def test_an_undecodable_record_is_a_400_with_one_log_line(
    inbound: FaceCaptureHttpClient,
    messages: list[DeviceMessage],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)

    garbage = await post(inbound, b'{"cmd": "face", "person_name": "Secret Name"')
    no_time = await post(inbound, face(cap_time=None))

    assert garbage.status == 400
    assert no_time.status == 400
    assert of_type(messages, AccessRecord) == []
    assert len(caplog.records) == 2
    assert "Secret" not in caplog.text
    assert inbound.diagnostics()["records_acked"] == 0


async def test_a_record_is_acknowledged_even_when_saving_fails(
    messages: list[DeviceMessage], caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenStore(MemoryStore):
        async def save(self, data: dict[str, Any]) -> None:
            raise OSError("disk full")

    client = make_client(BrokenStore(), messages, mode=Mode.LONG_POLL, poll_hold=0.2)
    await client.start()

    reply = await post(client, face(sequence_no=3))

    assert decoded(reply)["sequence_no"] == 3
    assert "disk full" in caplog.text


async def test_another_devices_request_is_forbidden(
    inbound: FaceCaptureHttpClient, messages: list[DeviceMessage]
) -> None:
    reply = await post(inbound, face(device_sn="000001-000002-0000BC"))

    assert reply.status == 403
    assert messages == []
    assert inbound.connected_once is False


async def test_an_unknown_path_is_not_found(inbound: FaceCaptureHttpClient) -> None:
    assert (await post(inbound, face(), path="/api/webhook/other")).status == 404


async def test_a_heartbeat_on_the_upload_path_is_acked_at_once(
    inbound: FaceCaptureHttpClient, messages: list[DeviceMessage]
) -> None:
    started = time.monotonic()
    first = await post(inbound, HEARTBEAT)
    await post(inbound, HEARTBEAT)

    assert time.monotonic() - started < 0.2  # not held like a long poll
    assert decoded(first) == {"reply": "ACK", "cmd": "heart beat", "code": 0}
    assert isinstance(messages[0], Connectivity)
    assert messages[0].info.ip == "192.168.1.88"
    assert isinstance(messages[-1], Alive)


async def test_ask_upgrade_is_told_none_and_gives_the_firmware(
    inbound: FaceCaptureHttpClient, messages: list[DeviceMessage]
) -> None:
    ask = {
        "version": "0.2",
        "cmd": "ask_upgrade",
        "device_sn": SERIAL,
        "firmware": {"system": "FaceGate", "appversion": "0.10.2beta"},
    }

    reply = decoded(await post(inbound, ask))

    assert reply["upgrade_type"] == "none"
    assert reply["code"] == 0
    assert of_type(messages, Connectivity)[-1].info.firmware == "0.10.2beta"
    assert (await inbound.query_info()).firmware == "0.10.2beta"


async def test_the_firmware_version_survives_a_restart(
    store: MemoryStore, messages: list[DeviceMessage]
) -> None:
    client = make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=0.2)
    await client.start()
    ask = {"cmd": "ask_upgrade", "device_sn": SERIAL, "firmware": {"appversion": "1.2.3"}}
    await post(client, ask)

    again = make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=0.2)
    await again.start()
    await post(again, HEARTBEAT)

    assert (await again.query_info()).firmware == "1.2.3"


async def test_an_unknown_command_is_acked_with_code_0(inbound: FaceCaptureHttpClient) -> None:
    body = {"cmd": " sip event ", "device_sn": SERIAL, "sip_event": 1}

    assert decoded(await post(inbound, body)) == {"reply": "ACK", "cmd": "sip event", "code": 0}


async def test_connected_once_survives_a_restart(
    store: MemoryStore, messages: list[DeviceMessage]
) -> None:
    client = make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=0.2)
    await client.start()
    assert client.connected_once is False
    await post(client, face())
    await client.stop()

    again = make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=0.2)
    await again.start()

    assert again.connected_once is True


# ---- long-poll mode ------------------------------------------------------------------------


class PollingDevice:
    """A device in configuration-client mode: polls, runs what it gets, posts the result."""

    def __init__(
        self,
        client: FaceCaptureHttpClient,
        answer: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self.client = client
        self.answer = answer or (lambda command: ok(command["cmd"]))
        self.commands: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        body: dict[str, Any] = HEARTBEAT
        while True:
            reply = decoded(await post(self.client, body, POLL))
            if reply.get("reply") == "ACK":
                body = HEARTBEAT
                continue
            self.commands.append(reply)
            body = {**self.answer(reply), "command_id": reply["command_id"]}

    async def __aenter__(self) -> PollingDevice:
        self._task = asyncio.get_running_loop().create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@pytest.fixture
async def poller(store: MemoryStore, messages: list[DeviceMessage]) -> FaceCaptureHttpClient:
    client = make_client(
        store, messages, mode=Mode.LONG_POLL, poll_hold=0.3, confirm_timeout=2.0, sync_time=False
    )
    await client.start()
    return client


async def test_a_poll_with_nothing_queued_is_held_then_answered_with_the_heartbeat_ack(
    poller: FaceCaptureHttpClient,
) -> None:
    """Never at once (the device would ask again at once, L99), never without an answer."""
    started = time.monotonic()

    reply = await post(poller, HEARTBEAT, POLL)

    assert time.monotonic() - started >= 0.28
    assert decoded(reply) == {"reply": "ACK", "cmd": "heart beat", "code": 0}


async def test_a_held_poll_carries_the_door_command_and_its_result_confirms_it(
    poller: FaceCaptureHttpClient,
) -> None:
    await post(poller, HEARTBEAT, POLL)  # the device is polling
    held = asyncio.ensure_future(post(poller, HEARTBEAT, POLL))
    await asyncio.sleep(0.05)
    door = asyncio.ensure_future(poller.open_door())

    command = decoded(await held)

    assert command["cmd"] == "gpio control"
    assert command["port"] == 1
    assert command["version"] == "0.2"
    assert isinstance(command["command_id"], str)
    assert not door.done()
    result = {
        "reply": "ACK",
        "cmd": " gpio control",
        "code": 0,
        "command_id": command["command_id"],
    }
    answer = asyncio.ensure_future(post(poller, result, POLL))
    await door  # confirmed by the result
    assert decoded(await answer)["cmd"] == "heart beat"  # nothing more: held, then the ACK


async def test_a_door_the_device_refuses_is_an_error(poller: FaceCaptureHttpClient) -> None:
    async with PollingDevice(
        poller, lambda command: {"reply": "ACK", "cmd": command["cmd"], "code": 4}
    ):
        with pytest.raises(DeviceRefusedError):
            await poller.open_door()


async def test_a_door_not_fetched_in_time_times_out_and_never_opens_later(
    store: MemoryStore, messages: list[DeviceMessage]
) -> None:
    client = make_client(
        store, messages, mode=Mode.LONG_POLL, poll_hold=0.2, confirm_timeout=0.2, sync_time=False
    )
    await client.start()
    await post(client, HEARTBEAT, UPLOAD)  # recently seen, but not polling now

    with pytest.raises(DeviceTimeoutError):
        await client.open_door()

    assert decoded(await post(client, HEARTBEAT, POLL))["cmd"] == "heart beat"
    assert client.diagnostics()["queued_commands"] == 0


async def test_a_device_that_never_polled_gets_no_wait(poller: FaceCaptureHttpClient) -> None:
    started = time.monotonic()

    with pytest.raises(DeviceTimeoutError):
        await poller.open_door()
    result = await poller.delete_all()

    assert time.monotonic() - started < 0.5  # confirm_timeout is 2 s
    assert result.pending is True
    with pytest.raises(DeviceTimeoutError):
        await poller.query_info()


async def test_an_unconfirmed_enrolment_is_pending_and_survives_a_restart(
    store: MemoryStore, messages: list[DeviceMessage]
) -> None:
    client = make_client(
        store, messages, mode=Mode.LONG_POLL, poll_hold=0.2, confirm_timeout=0.1, sync_time=False
    )
    await client.start()
    await post(client, HEARTBEAT, UPLOAD)

    result = await client.enroll(enrollment())
    await client.stop()

    assert result.pending is True
    restarted = make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=0.2, sync_time=False)
    await restarted.start()
    assert restarted.diagnostics()["queued_commands"] == 1
    command = decoded(await post(restarted, HEARTBEAT, POLL))
    assert command["cmd"] == "upload person"
    assert command["reg_image"] == "/9j/4HBob3Rv"
    confirmed = {"reply": "ACK", "cmd": "upload person", "code": 0, "id": "0001"}
    await post(restarted, {**confirmed, "command_id": command["command_id"]}, POLL)
    assert restarted.diagnostics()["queued_commands"] == 0


async def test_commands_left_from_the_long_poll_are_dropped_in_push_mode(
    store: MemoryStore,
    messages: list[DeviceMessage],
    connection: FaceCaptureConnection,
    device: Device,
) -> None:
    client = make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=0.2, sync_time=False)
    await client.start()
    assert (await client.delete_all()).pending is True
    await client.stop()

    pushing = make_client(store, messages, connection=connection, sync_time=False)
    await pushing.start()

    assert pushing.diagnostics()["queued_commands"] == 0
    assert store.data is not None
    assert store.data["queue"] == []
    assert device.received == []  # nothing sent behind the user's back


async def test_older_firmware_gets_add_person_jpg_in_the_same_answer(
    poller: FaceCaptureHttpClient,
) -> None:
    def device(command: dict[str, Any]) -> dict[str, Any]:
        return {"reply": "ACK", "cmd": command["cmd"], "code": 2 if "reg_image" in command else 0}

    async with PollingDevice(poller, device) as polling:
        result = await poller.enroll(enrollment(name="Ana"))

    assert [c["cmd"] for c in polling.commands] == ["upload person", "add person jpg"]
    assert polling.commands[1]["cover"] is True
    assert result.pending is False
    assert result.message == "enrolled"


async def test_an_enrolment_refused_in_long_poll_mode_is_an_error(
    poller: FaceCaptureHttpClient,
) -> None:
    async with PollingDevice(
        poller, lambda command: {"reply": "ACK", "cmd": command["cmd"], "code": 40}
    ):
        with pytest.raises(DeviceRefusedError) as err:
            await poller.enroll(enrollment())

    assert err.value.code == "40"


async def test_a_command_the_device_lost_goes_out_again(poller: FaceCaptureHttpClient) -> None:
    """After a command the device's next request is its result (L93); a heartbeat means lost."""
    await post(poller, HEARTBEAT, POLL)
    delete = asyncio.ensure_future(poller.delete(["0007"]))
    first = decoded(await post(poller, HEARTBEAT, POLL))

    again = decoded(await post(poller, HEARTBEAT, POLL))  # no result: it never arrived

    assert first["cmd"] == again["cmd"] == "delete person(s)"
    assert again["flag"] == -1
    gone = {"reply": "ACK", "cmd": "delete person(s)", "code": 22, "id": "0007"}
    await post(poller, {**gone, "command_id": again["command_id"]}, POLL)
    assert (await delete).message == "deleted"  # already gone counts as deleted


async def test_a_result_matched_by_its_command_alone(poller: FaceCaptureHttpClient) -> None:
    """A result without `command_id` is matched by `cmd` (digest §3.3)."""
    await post(poller, HEARTBEAT, POLL)
    door = asyncio.ensure_future(poller.open_door())
    assert decoded(await post(poller, HEARTBEAT, POLL))["cmd"] == "gpio control"

    answer = asyncio.ensure_future(post(poller, {"cmd": "gpio control", "code": 0}, POLL))

    await door
    assert decoded(await answer)["cmd"] == "heart beat"


async def test_a_lost_door_command_is_not_sent_again(poller: FaceCaptureHttpClient) -> None:
    await post(poller, HEARTBEAT, POLL)
    door = asyncio.ensure_future(poller.open_door())
    assert decoded(await post(poller, HEARTBEAT, POLL))["cmd"] == "gpio control"

    again = decoded(await post(poller, HEARTBEAT, POLL))

    assert again["cmd"] == "heart beat"
    with pytest.raises(DeviceTimeoutError):
        await door


async def test_list_people_pages_through_the_queue(poller: FaceCaptureHttpClient) -> None:
    everyone = [{"id": str(n), "name": f"P{n}", "role": 2 if n == 3 else 1} for n in range(25)]

    def device(command: dict[str, Any]) -> dict[str, Any]:
        start = (command["page_no"] - 1) * command["page_size"]
        chunk = everyone[start : start + command["page_size"]]
        return ok(command["cmd"], total=len(everyone), count=len(chunk), persons=chunk)

    async with PollingDevice(poller, device) as polling:
        people = await poller.list_people()

    assert [c["page_no"] for c in polling.commands] == [1, 2]
    assert len(people) == 25
    assert people[3].person_list.value == "block"


async def test_snapshot_in_long_poll_mode(poller: FaceCaptureHttpClient) -> None:
    async with PollingDevice(
        poller, lambda c: ok(c["cmd"], **{"image ": {"image_data": "/9j/polled"}})
    ):
        picture = await poller.snapshot()

    assert picture.raw == "/9j/polled"


async def test_the_clock_is_set_at_the_first_poll(
    store: MemoryStore, messages: list[DeviceMessage]
) -> None:
    client = make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=0.2)
    await client.start()

    command = decoded(await post(client, HEARTBEAT, POLL))
    result = {"reply": "ACK", "cmd": "update date time", "code": 0}
    after = decoded(await post(client, {**result, "command_id": command["command_id"]}, POLL))

    assert command["cmd"] == "update date time"
    assert command["date_time"] == "2024/05/06 07:08:09"
    assert after["cmd"] == "heart beat"  # once per start


async def test_stop_answers_a_held_poll_at_once(
    store: MemoryStore, messages: list[DeviceMessage]
) -> None:
    client = make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=5.0, sync_time=False)
    await client.start()
    held = asyncio.ensure_future(post(client, HEARTBEAT, POLL))
    await asyncio.sleep(0.05)
    started = time.monotonic()

    await client.stop()
    reply = await held

    assert time.monotonic() - started < 1.0
    assert decoded(reply)["cmd"] == "heart beat"


def test_the_modes_tell_connectivity_differently(
    store: MemoryStore, messages: list[DeviceMessage], connection: FaceCaptureConnection
) -> None:
    long_poll = make_client(store, messages, mode=Mode.LONG_POLL)
    push = make_client(store, messages, connection=connection, poll_interval=30.0)

    assert long_poll.offline_after == 45.0
    assert long_poll.poll_interval is None
    assert push.offline_after is None
    assert push.poll_interval == 30.0
    assert isinstance(push, InboundHttp)
    assert push.diagnostics() == {
        "mode": "push",
        "queued_commands": 0,
        "records_acked": 0,
        "connected_once": False,
    }


def test_bad_settings_are_refused(store: MemoryStore, messages: list[DeviceMessage]) -> None:
    with pytest.raises(ValueError, match="connection"):
        make_client(store, messages, mode=Mode.PUSH)
    with pytest.raises(ValueError, match="poll_hold"):
        make_client(store, messages, mode=Mode.LONG_POLL, poll_hold=15.0)
