"""Tests of HFSecurityMqttClient against an in-memory MQTT transport (no broker, no network).

`FakeTransport` behaves like a broker with one client: `publish` records the message and
delivers it (on the next loop iteration) to every matching subscription, so the client sees
its own commands echoed by its `<prefix>/<id>/#` subscription as it does in the field.
`AutoResponder` plays the device: it answers each command with its `-Ack`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import itertools
import json
import logging
from typing import Any

import pytest

from custom_components.face_access.protocols import hfsecurity_mqtt
from custom_components.face_access.protocols.hfsecurity_mqtt import (
    CAMERA,
    FACE_TERMINAL,
    MISSED_HEARTBEATS,
    HFSecurityMqttClient,
    client as mqtt_client,
    probe,
)
from custom_components.face_access.protocols.model import (
    AccessKind,
    AccessRecord,
    Alive,
    Connectivity,
    CredentialEvent,
    CredentialKind,
    DeviceInfo,
    DeviceMessage,
    DeviceRefusedError,
    DeviceTimeoutError,
    DoorModeError,
    Enrollment,
    InvalidRequestError,
    Person,
    PersonList,
    Picture,
)

DEVICE_ID = "1305433"
PREFIX = "mqtt/face"
COMMAND_TOPIC = f"{PREFIX}/{DEVICE_ID}"
ACK_TOPIC = f"{COMMAND_TOPIC}/Ack"
REC_TOPIC = f"{COMMAND_TOPIC}/Rec"
SNAP_TOPIC = f"{COMMAND_TOPIC}/Snap"
BASIC_TOPIC = f"{PREFIX}/basic"
HEARTBEAT_TOPIC = f"{PREFIX}/heartbeat"
NOW = datetime(2024, 5, 6, 7, 8, 9)
LOGGER_NAME = hfsecurity_mqtt.__name__

Callback = Callable[[str, str | bytes | bytearray], None]


def topic_matches(pattern: str, topic: str) -> bool:
    """Return whether an MQTT topic filter matches a topic."""
    pattern_parts = pattern.split("/")
    topic_parts = topic.split("/")
    for index, part in enumerate(pattern_parts):
        if part == "#":
            return True
        if index >= len(topic_parts) or part not in ("+", topic_parts[index]):
            return False
    return len(pattern_parts) == len(topic_parts)


@dataclass
class Published:
    """One message the client published."""

    topic: str
    payload: str
    options: dict[str, Any]
    at: float

    @property
    def message(self) -> dict[str, Any]:
        return json.loads(self.payload)

    @property
    def operator(self) -> str:
        return str(self.message["operator"])

    @property
    def info(self) -> Any:
        return self.message["info"]


class FakeTransport:
    """An in-memory broker with the client as its only subscriber."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.subscriptions: list[tuple[str, Callback]] = []
        self.published: list[Published] = []
        self.responder: Callable[[Published], None] | None = None
        self.clock = clock or (lambda: 0.0)

    async def subscribe(self, topic: str, callback: Callback) -> Callable[[], None]:
        entry = (topic, callback)
        self.subscriptions.append(entry)

        def unsubscribe() -> None:
            self.subscriptions.remove(entry)

        return unsubscribe

    async def publish(self, topic: str, payload: str, **options: Any) -> None:
        sent = Published(topic, payload, options, self.clock())
        self.published.append(sent)
        loop = asyncio.get_running_loop()
        loop.call_soon(self.deliver, topic, payload)  # the broker's echo
        if self.responder is not None:
            loop.call_soon(self.responder, sent)

    def deliver(self, topic: str, payload: str | bytes | dict[str, Any]) -> None:
        """Deliver a message to every matching subscription, as the broker would."""
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        for pattern, callback in list(self.subscriptions):
            if topic_matches(pattern, topic):
                callback(topic, payload)

    @property
    def topics(self) -> list[str]:
        return [topic for topic, _ in self.subscriptions]

    def sent(self, operator: str) -> list[Published]:
        return [p for p in self.published if p.operator == operator]


Answer = dict[str, Any] | Callable[[Published], dict[str, Any] | None] | None


@dataclass
class AutoResponder:
    """Plays the device: answers each command with `<operator>-Ack` echoing its messageId.

    `answers` maps an operator to the ack's `info` (default `{"result": "ok"}`), to a function
    of the request returning that info, or to None for no answer at all. `top` adds top-level
    keys (e.g. `code`) per operator.
    """

    transport: FakeTransport
    answers: dict[str, Answer] = field(default_factory=dict)
    top: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.transport.responder = self

    def __call__(self, request: Published) -> None:
        operator = request.operator
        if operator.endswith("-Ack") or operator == "PushAck":
            return
        answer = self.answers.get(operator, {"result": "ok"})
        info = answer(request) if callable(answer) else answer
        if info is None:
            return
        message = {
            "messageId": request.message["messageId"],
            "operator": f"{operator}-Ack",
            **self.top.get(operator, {}),
            "info": {"facesluiceId": DEVICE_ID, **info},
        }
        self.transport.deliver(f"{request.topic}/Ack", message)


async def settle() -> None:
    """Let queued deliveries and background sends run."""
    for _ in range(20):
        await asyncio.sleep(0)


class Harness:
    """A started client, its transport and what it handed on."""

    def __init__(self, **client_options: Any) -> None:
        self.transport = FakeTransport()
        self.messages: list[DeviceMessage] = []
        client_options.setdefault("now", lambda: NOW)
        client_options.setdefault("command_timeout", 1.0)
        self.client = HFSecurityMqttClient(self.transport, DEVICE_ID, **client_options)
        self.client.subscribe(self.messages.append)

    def records(self) -> list[AccessRecord]:
        return [m for m in self.messages if isinstance(m, AccessRecord)]


@pytest.fixture
async def harness() -> AsyncGenerator[Harness]:
    """Return a started client on the default prefix with sync_time on; stopped after."""
    harness = Harness()
    await harness.client.start()
    yield harness
    # Its background reads (the upload configuration after the first answer) end with it.
    await harness.client.stop()


def rec_push(record_id: str | None = "381", **info: Any) -> dict[str, Any]:
    """Return a RecPush as the terminal firmware sends it (field notes §3.2)."""
    body: dict[str, Any] = {
        "customId": "E012",
        "personId": "191",
        "VerifyStatus": "1",
        "PersonType": "0",
        "similarity1": "96.800003",
        "persionName": "Zhang San",
        "facesluiceId": DEVICE_ID,
        "facesluiceName": "Face1",
        "time": "2024-05-06 07:08:00",
        "PushType": "0",
        "isNoMask": "0",
        "pic": "data:image/jpeg;base64,/9j/4AAQ",
    }
    if record_id is not None:
        body["RecordID"] = record_id
    body.update(info)
    return {"operator": "RecPush", "info": body}


def snap_push(snap_id: str | None = "311", **info: Any) -> dict[str, Any]:
    """Return a StrSnapPush."""
    body: dict[str, Any] = {
        "facesluiceId": DEVICE_ID,
        "facesluiceName": "Face1",
        "time": "2024-05-06 07:08:00",
        "pic": "data:image/jpeg;base64,Qk3m5QAA",
    }
    if snap_id is not None:
        body["SnapID"] = snap_id
    body.update(info)
    return {"operator": "StrSnapPush", "info": body}


def online(device_id: str = DEVICE_ID) -> dict[str, Any]:
    """Return the device's Online notice (digest §4.4)."""
    return {
        "operator": "Online",
        "info": {
            "facesluiceId": device_id,
            "username": "admin",
            "time": "2024-05-06 07:00:00",
            "ip": "172.168.2.202",
            "facesname": "Face1",
        },
    }


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the client's log records at WARNING or above."""
    return [r for r in caplog.records if r.name == LOGGER_NAME and r.levelno >= logging.WARNING]


# ============================================================================================
# Subscriptions and connectivity
# ============================================================================================


async def test_start_subscribes_to_device_and_shared_topics(harness: Harness) -> None:
    assert sorted(harness.transport.topics) == sorted(
        [f"{COMMAND_TOPIC}/#", BASIC_TOPIC, HEARTBEAT_TOPIC]
    )
    assert harness.client.command_topic == COMMAND_TOPIC


async def test_custom_prefix() -> None:
    harness = Harness(topic_prefix="site/gate/")
    await harness.client.start()
    assert sorted(harness.transport.topics) == sorted(
        [f"site/gate/{DEVICE_ID}/#", "site/gate/basic", "site/gate/heartbeat"]
    )
    AutoResponder(harness.transport)
    await harness.client.delete_all()
    assert harness.transport.published[0].topic == f"site/gate/{DEVICE_ID}"


async def test_client_describes_the_variant(harness: Harness) -> None:
    assert harness.client.profile.manufacturer == "HFSecurity"
    assert harness.client.profile.model == FACE_TERMINAL.profile.model
    assert harness.client.profile.capabilities == FACE_TERMINAL.profile.capabilities
    assert harness.client.profile.photo_limits == FACE_TERMINAL.profile.photo_limits


def test_offline_after_counts_missed_heartbeats() -> None:
    """§15: offline after several missed heartbeats; the period is the variant's unless
    the device was configured with another one."""
    transport = FakeTransport()
    terminal = HFSecurityMqttClient(transport, DEVICE_ID)
    camera = HFSecurityMqttClient(transport, DEVICE_ID, variant=CAMERA)
    custom = HFSecurityMqttClient(transport, DEVICE_ID, variant=CAMERA, heartbeat_interval=10)

    assert MISSED_HEARTBEATS == 2.5
    assert terminal.offline_after == 30.0 * MISSED_HEARTBEATS
    assert camera.offline_after == 60.0 * MISSED_HEARTBEATS
    assert custom.offline_after == 25.0
    assert terminal.poll_interval is None  # heartbeats tell; nothing to poll


async def test_diagnostics_are_counts_and_flags(harness: Harness) -> None:
    assert harness.client.diagnostics() == {
        "variant": "face_terminal_mqtt",
        "pending_commands": 0,
        "clock_set": False,
        "reported_heartbeat_interval": None,
    }
    task = asyncio.create_task(harness.client.delete_all())  # nobody answers
    await settle()
    assert harness.client.diagnostics()["pending_commands"] == 1
    AutoResponder(harness.transport)
    harness.transport.deliver(BASIC_TOPIC, online())
    await settle()

    diagnostics = harness.client.diagnostics()
    assert diagnostics["clock_set"] is True
    assert DEVICE_ID not in str(diagnostics)
    await harness.client.stop()
    with pytest.raises(DeviceTimeoutError):
        await task


async def test_every_subscriber_gets_each_message_until_it_unsubscribes(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A subscriber that fails keeps neither the others nor the ack from their due."""
    later: list[DeviceMessage] = []

    def broken(_message: DeviceMessage) -> None:
        raise RuntimeError("owner failed")

    unsubscribe_broken = harness.client.subscribe(broken)
    unsubscribe = harness.client.subscribe(later.append)
    harness.transport.deliver(REC_TOPIC, rec_push("381"))
    await settle()
    unsubscribe()
    unsubscribe()  # twice is harmless
    unsubscribe_broken()
    harness.transport.deliver(REC_TOPIC, rec_push("382"))
    await settle()

    assert [r.record_id for r in harness.records()] == ["381", "382"]
    assert [m.record_id for m in later if isinstance(m, AccessRecord)] == ["381"]
    assert len(harness.transport.sent("PushAck")) == 2
    assert len(warnings(caplog)) == 1  # the failing subscriber, once


async def test_online_is_acked_then_clock_is_set(harness: Harness) -> None:
    """§10.2: Online must be answered, else it repeats; then the time is set (§9.8) and the
    upload settings read (§9.6: the heartbeat interval, whether strangers are uploaded)."""
    AutoResponder(harness.transport)
    harness.transport.deliver(BASIC_TOPIC, online())
    await settle()

    assert harness.messages == [
        Connectivity(online=True, info=DeviceInfo(name="Face1", ip="172.168.2.202"))
    ]
    first, second, third = harness.transport.published
    assert first.topic == COMMAND_TOPIC
    assert first.operator == "Online-Ack"
    assert first.info == {"facesluiceId": DEVICE_ID, "result": "ok", "detail": ""}
    assert second.topic == COMMAND_TOPIC
    assert second.operator == "SetSysTime"
    assert second.info == {"SysTime": "2024-05-06T07:08:09"}
    assert (third.topic, third.operator, third.info) == (COMMAND_TOPIC, "GetMQTTconfig", {})


async def test_online_with_time_sync_off_sets_no_clock() -> None:
    harness = Harness(sync_time=False)
    await harness.client.start()
    harness.transport.deliver(BASIC_TOPIC, online())
    await settle()
    assert [p.operator for p in harness.transport.published] == ["Online-Ack", "GetMQTTconfig"]
    await harness.client.stop()


async def test_refused_time_sync_is_harmless(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    AutoResponder(harness.transport, {"SetSysTime": {"result": "fail", "detail": "x"}})
    harness.transport.deliver(BASIC_TOPIC, online())
    await settle()
    assert [p.operator for p in harness.transport.published] == [
        "Online-Ack",
        "SetSysTime",
        "GetMQTTconfig",
    ]
    assert len(harness.messages) == 1
    assert warnings(caplog) == []


async def test_offline_and_heartbeat(harness: Harness) -> None:
    harness.transport.deliver(
        BASIC_TOPIC, {"operator": "Offline", "info": {"facesluiceId": DEVICE_ID}}
    )
    harness.transport.deliver(
        HEARTBEAT_TOPIC,
        {"operator": "HeartBeat", "info": {"facesluiceId": DEVICE_ID, "time": "2024-05-06"}},
    )
    await settle()
    assert harness.messages == [Connectivity(online=False), Alive()]
    assert harness.transport.published == []


async def test_shared_topic_accepts_decorated_and_misspelled_ids(harness: Harness) -> None:
    harness.transport.deliver(
        HEARTBEAT_TOPIC, {"operator": "HeartBeat", "info": {"facesIuicId": DEVICE_ID}}
    )
    harness.transport.deliver(
        HEARTBEAT_TOPIC, {"operator": "HeartBeat", "info": {"facesluiceId": f"{DEVICE_ID}_ipobexa"}}
    )
    harness.transport.deliver(
        HEARTBEAT_TOPIC, {"operator": "HeartBeat", "info": {"facesluiceId": f"x@@@{DEVICE_ID}"}}
    )
    await settle()
    assert harness.messages == [Alive(), Alive(), Alive()]


async def test_credential_events_are_passed_on(harness: Harness) -> None:
    harness.transport.deliver(
        f"{COMMAND_TOPIC}/QRcode",
        {"operator": "QRCodePush", "info": {"facesluiceId": DEVICE_ID, "QRCodeInfo": "QR-1"}},
    )
    harness.transport.deliver(
        f"{COMMAND_TOPIC}/card",
        {"operator": "CardPush", "info": {"CardInfo": {"CardNum": "86664719"}}},
    )
    harness.transport.deliver(
        f"{COMMAND_TOPIC}/IDcard",
        {"operator": "IDCardPush", "info": {"IDCardInfo": {"IDCard_Idno": "421126198702054321"}}},
    )
    await settle()
    assert harness.messages == [
        CredentialEvent(kind=CredentialKind.QR_CODE, qr_data="QR-1"),
        CredentialEvent(kind=CredentialKind.CARD, card_number="86664719"),
        CredentialEvent(kind=CredentialKind.ID_CARD),
    ]
    assert harness.transport.published == []


async def test_unknown_operator_is_ignored(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.transport.deliver(REC_TOPIC, {"operator": "FireSmokeSnapPush", "info": {}})
    await settle()
    assert harness.messages == []
    assert warnings(caplog) == []


# ============================================================================================
# Records and PushAck (§11)
# ============================================================================================


async def test_rec_push_is_acked_with_its_record_id(harness: Harness) -> None:
    harness.transport.deliver(REC_TOPIC, rec_push("381"))
    await settle()
    (record,) = harness.records()
    assert record.kind is AccessKind.RECOGNIZED
    assert record.person_name == "Zhang San"
    assert record.historical is False
    (ack,) = harness.transport.published
    assert ack.topic == COMMAND_TOPIC
    assert ack.operator == "PushAck"
    assert ack.info == {"PushAckType": "2", "SnapOrRecordID": "381"}
    assert ack.message["messageId"]


async def test_str_snap_push_is_acked_with_its_snap_id(harness: Harness) -> None:
    harness.transport.deliver(SNAP_TOPIC, snap_push("311"))
    await settle()
    (record,) = harness.records()
    assert record.kind is AccessKind.STRANGER
    (ack,) = harness.transport.published
    assert ack.topic == COMMAND_TOPIC
    assert ack.operator == "PushAck"
    assert ack.info == {"PushAckType": "1", "SnapOrRecordID": "311"}


@pytest.mark.parametrize("push_type", [2, "2"])
async def test_replayed_records_are_not_acked(harness: Harness, push_type: Any) -> None:
    """§20 L3486: records re-pushed by ManualPushRecords/Saps need no reply."""
    harness.transport.deliver(REC_TOPIC, rec_push("381", PushType=push_type))
    harness.transport.deliver(SNAP_TOPIC, snap_push("311", PushType=push_type))
    await settle()
    assert [r.historical for r in harness.records()] == [True, True]
    assert harness.transport.published == []


@pytest.mark.parametrize(
    ("topic", "message"), [(REC_TOPIC, rec_push(None)), (SNAP_TOPIC, snap_push(None))]
)
async def test_record_without_id_is_passed_on_but_not_acked(
    harness: Harness, caplog: pytest.LogCaptureFixture, topic: str, message: dict[str, Any]
) -> None:
    harness.transport.deliver(topic, message)
    await settle()
    assert len(harness.records()) == 1
    assert harness.transport.published == []
    (warning,) = warnings(caplog)
    assert "Zhang San" not in warning.getMessage()


async def test_resent_duplicates_are_acked_again(harness: Harness) -> None:
    """Digest §7.3: ack duplicates too, or the device never stops re-sending."""
    harness.transport.deliver(REC_TOPIC, rec_push("381"))
    await settle()
    harness.transport.deliver(REC_TOPIC, rec_push("381"))
    await settle()
    acks = harness.transport.sent("PushAck")
    assert [a.info["SnapOrRecordID"] for a in acks] == ["381", "381"]
    first, second = harness.records()
    assert first.key == second.key  # the owner can tell it is the same record


async def test_records_older_than_60_seconds_are_historical(harness: Harness) -> None:
    old = (NOW - timedelta(seconds=61)).strftime("%Y-%m-%d %H:%M:%S")
    fresh = (NOW - timedelta(seconds=59)).strftime("%Y-%m-%d %H:%M:%S")
    harness.transport.deliver(REC_TOPIC, rec_push("1", time=old))
    harness.transport.deliver(REC_TOPIC, rec_push("2", time=fresh))
    harness.transport.deliver(SNAP_TOPIC, snap_push("3", time=old))
    await settle()
    assert [r.historical for r in harness.records()] == [True, False, True]
    # Backlog after an outage is still acknowledged, or the device keeps re-sending it.
    assert [a.info["SnapOrRecordID"] for a in harness.transport.sent("PushAck")] == [
        "1",
        "2",
        "3",
    ]


async def test_age_uses_an_aware_clock_as_local_time() -> None:
    harness = Harness(now=NOW.astimezone)
    await harness.client.start()
    old = (NOW - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    harness.transport.deliver(REC_TOPIC, rec_push("1", time=old))
    harness.transport.deliver(REC_TOPIC, rec_push("2", time=NOW.strftime("%Y-%m-%d %H:%M:%S")))
    await settle()
    assert [r.historical for r in harness.records()] == [True, False]


async def test_record_is_acked_even_if_the_owner_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = FakeTransport()

    def broken(_message: DeviceMessage) -> None:
        raise RuntimeError("owner failed")

    client = HFSecurityMqttClient(transport, DEVICE_ID, now=lambda: NOW)
    client.subscribe(broken)
    await client.start()
    transport.deliver(REC_TOPIC, rec_push("381"))  # must not raise into the transport
    await settle()
    assert [p.operator for p in transport.published] == ["PushAck"]
    assert len([r for r in caplog.records if r.name == LOGGER_NAME]) == 1


# ============================================================================================
# Input that is dropped
# ============================================================================================


async def test_other_device_on_shared_topics_is_ignored_silently(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    harness.transport.deliver(BASIC_TOPIC, online("1306612"))
    harness.transport.deliver(
        HEARTBEAT_TOPIC, {"operator": "HeartBeat", "info": {"facesluiceId": "1306612"}}
    )
    harness.transport.deliver(
        BASIC_TOPIC, {"operator": "Offline", "info": {"facesluiceId": "13054330"}}
    )
    harness.transport.deliver(HEARTBEAT_TOPIC, {"operator": "HeartBeat", "info": {}})
    await settle()
    assert harness.messages == []
    assert harness.transport.published == []  # in particular no Online-Ack for another device
    assert [r for r in caplog.records if r.name == LOGGER_NAME] == []


async def test_other_device_on_own_topic_is_dropped_with_one_warning(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.transport.deliver(REC_TOPIC, rec_push("381", facesluiceId="1306612"))
    await settle()
    assert harness.messages == []
    assert harness.transport.published == []  # not acked either
    (record,) = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert record.levelno == logging.WARNING
    text = record.getMessage()
    for secret in ("Zhang San", "E012", "96.8", "/9j/4AAQ", "persionName"):
        assert secret not in text
        assert secret not in caplog.text


async def test_oversize_payload_is_dropped_with_one_warning(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    huge = json.dumps(rec_push("381", pic="data:image/jpeg;base64," + "A" * (3 * 1024 * 1024)))
    harness.transport.deliver(REC_TOPIC, huge)
    await settle()
    assert harness.messages == []
    assert harness.transport.published == []
    (record,) = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert record.levelno == logging.WARNING
    assert "Zhang San" not in caplog.text
    assert "AAAAAAAA" not in caplog.text


async def test_payload_just_under_the_limit_is_accepted(harness: Harness) -> None:
    message = rec_push("381", pic="data:image/jpeg;base64," + "A" * (2 * 1024 * 1024))
    harness.transport.deliver(REC_TOPIC, message)
    await settle()
    assert len(harness.records()) == 1


@pytest.mark.parametrize(
    "payload",
    [
        "Zhang San was here",
        b"\x00\x01\x02 Zhang San",
        '{"operator": "RecPush", "info": {"persionName": "Zhang San"',
        '{"info": {"persionName": "Zhang San"}}',
        '["Zhang San"]',
    ],
)
async def test_undecodable_payload_is_dropped_with_one_warning(
    harness: Harness, caplog: pytest.LogCaptureFixture, payload: str | bytes
) -> None:
    harness.transport.deliver(REC_TOPIC, payload)
    await settle()
    assert harness.messages == []
    assert harness.transport.published == []
    (record,) = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert record.levelno == logging.WARNING
    assert "Zhang San" not in caplog.text


async def test_own_echoed_commands_are_ignored(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """`<id>/#` also matches the command topic: the client hears its own commands."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    AutoResponder(harness.transport, {"GetDoorconfig": {"OpendoorWay": "2", "result": "ok"}})
    await harness.client.open_door()
    await harness.client.delete_all()
    harness.transport.deliver(
        COMMAND_TOPIC, {"operator": "EditPerson", "info": {"customId": "x", "name": "Zhang San"}}
    )
    await settle()
    assert harness.messages == []
    assert [p.operator for p in harness.transport.published] == [
        "GetDoorconfig",
        "Unlock",
        "DeleteAllPerson",
    ]
    assert [r for r in caplog.records if r.name == LOGGER_NAME] == []


# ============================================================================================
# Commands: correlation, timeouts, refusals
# ============================================================================================


async def test_acks_are_matched_by_message_id() -> None:
    """Two commands in flight, answered in reverse order, each get their own answer."""
    harness = Harness(sync_time=False)
    await harness.client.start()
    first = asyncio.create_task(harness.client.query_info())
    second = asyncio.create_task(harness.client.query_info())
    await settle()
    one, two = harness.transport.sent("Versions")
    assert one.message["messageId"] != two.message["messageId"]
    # An ack nobody asked for changes nothing.
    harness.transport.deliver(
        ACK_TOPIC,
        {"messageId": "stray", "operator": "Versions-Ack", "info": {"name": "v0", "result": "ok"}},
    )
    for request, version in ((two, "v2"), (one, "v1")):
        harness.transport.deliver(
            ACK_TOPIC,
            {
                "messageId": request.message["messageId"],
                "operator": "Versions-Ack",
                "info": {"facesluiceId": DEVICE_ID, "name": version, "result": "ok"},
            },
        )
    assert (await first).firmware == "v1"
    assert (await second).firmware == "v2"
    await harness.client.stop()


async def test_ack_matched_by_message_id_whatever_its_operator_case() -> None:
    harness = Harness(sync_time=False)
    await harness.client.start()
    task = asyncio.create_task(harness.client.query_info())
    await settle()
    (request,) = harness.transport.sent("Versions")
    harness.transport.deliver(
        f"{COMMAND_TOPIC}/ACK",
        {"messageId": request.message["messageId"], "operator": "versions-ack", "info": {}},
    )
    assert (await task).firmware is None
    await harness.client.stop()


async def test_query_info_sets_the_clock_once(harness: Harness) -> None:
    """A device online before Home Assistant started sends no new Online: its clock is set
    after the first answer instead."""
    AutoResponder(
        harness.transport,
        {"Versions": {"name": "v12.5.6L3M1-1.0.6.9 Beta", "buildtime": "x", "result": "ok"}},
    )
    info = await harness.client.query_info()
    assert info == DeviceInfo(
        firmware="v12.5.6L3M1-1.0.6.9 Beta", model=FACE_TERMINAL.profile.model
    )
    await settle()  # the clock is set in the background, never delaying the answer
    versions, set_time, read_uploads = harness.transport.published
    assert versions.topic == COMMAND_TOPIC
    assert versions.operator == "Versions"
    assert versions.info == {}
    assert set_time.operator == "SetSysTime"
    assert set_time.info == {"SysTime": "2024-05-06T07:08:09"}
    assert read_uploads.operator == "GetMQTTconfig"
    await harness.client.query_info()
    await settle()
    assert [p.operator for p in harness.transport.published] == [
        "Versions",
        "SetSysTime",
        "GetMQTTconfig",
        "Versions",
    ]


async def test_query_info_after_online_does_not_set_the_clock_again(harness: Harness) -> None:
    AutoResponder(harness.transport)
    harness.transport.deliver(BASIC_TOPIC, online())
    await settle()
    await harness.client.query_info()
    assert [p.operator for p in harness.transport.published] == [
        "Online-Ack",
        "SetSysTime",
        "GetMQTTconfig",
        "Versions",
    ]


async def test_query_info_without_time_sync() -> None:
    harness = Harness(sync_time=False)
    await harness.client.start()
    AutoResponder(harness.transport)
    await harness.client.query_info()
    assert [p.operator for p in harness.transport.published] == ["Versions"]


async def test_timeout_raises_and_a_late_ack_is_harmless() -> None:
    harness = Harness(command_timeout=0.05)
    await harness.client.start()
    with pytest.raises(DeviceTimeoutError):
        await harness.client.query_info()
    (request,) = harness.transport.published
    harness.transport.deliver(
        ACK_TOPIC,
        {"messageId": request.message["messageId"], "operator": "Versions-Ack", "info": {}},
    )
    await settle()
    assert harness.messages == []


async def test_fail_ack_raises_with_the_devices_detail_and_code(harness: Harness) -> None:
    AutoResponder(
        harness.transport,
        {"DelPerson": {"result": "fail", "detail": "can't find customId's person"}},
        top={"DelPerson": {"code": "464"}},
    )
    with pytest.raises(DeviceRefusedError) as err:
        await harness.client.delete(["E012"])
    assert err.value.reason == "can't find customId's person"
    assert err.value.code == "464"


# ============================================================================================
# open_door (§8.1, door mode §9.3.5)
# ============================================================================================


async def test_open_door_refused_in_face_only_mode(harness: Harness) -> None:
    AutoResponder(harness.transport, {"GetDoorconfig": {"OpendoorWay": "0", "result": "ok"}})
    with pytest.raises(DoorModeError, match="OpendoorWay"):
        await harness.client.open_door()
    assert [p.operator for p in harness.transport.published] == ["GetDoorconfig"]


@pytest.mark.parametrize("mode", ["1", "2", 2])
async def test_open_door_sends_unlock(harness: Harness, mode: Any) -> None:
    AutoResponder(harness.transport, {"GetDoorconfig": {"OpendoorWay": mode, "result": "ok"}})
    await harness.client.open_door()
    door, unlock = harness.transport.published
    assert door.operator == "GetDoorconfig"
    assert unlock.operator == "Unlock"
    assert unlock.topic == COMMAND_TOPIC
    assert unlock.info["openDoor"] == "1"


async def test_open_door_when_door_config_is_refused(harness: Harness) -> None:
    """Firmware without GetDoorconfig: let Unlock speak for itself."""
    AutoResponder(
        harness.transport, {"GetDoorconfig": {"result": "fail", "detail": "unknown operator"}}
    )
    await harness.client.open_door()
    assert [p.operator for p in harness.transport.published] == ["GetDoorconfig", "Unlock"]


async def test_open_door_refused_unlock(harness: Harness) -> None:
    AutoResponder(
        harness.transport,
        {
            "GetDoorconfig": {"OpendoorWay": "2", "result": "ok"},
            "Unlock": {"result": "fail", "detail": "door busy"},
        },
    )
    with pytest.raises(DeviceRefusedError, match="door busy"):
        await harness.client.open_door()


# ============================================================================================
# snapshot (§16)
# ============================================================================================


class FakeClock:
    """A monotonic clock the test moves; sleeping moves it too."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await _real_sleep(0)


_real_sleep = asyncio.sleep


class _AsyncioWithFakeSleep:
    """The asyncio module as the client sees it, with a fake `sleep`."""

    def __init__(self, clock: FakeClock) -> None:
        self.sleep = clock.sleep

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Replace the client's monotonic clock and sleep (only inside the client module)."""
    fake = FakeClock()

    class FakeTime:
        monotonic = staticmethod(fake.monotonic)

    monkeypatch.setattr(mqtt_client, "time", FakeTime)
    monkeypatch.setattr(mqtt_client, "asyncio", _AsyncioWithFakeSleep(fake))
    return fake


@pytest.mark.parametrize("where", ["info", "top"])
async def test_snapshot_reads_img_data(harness: Harness, clock: FakeClock, where: str) -> None:
    def answer(request: Published) -> dict[str, Any]:
        assert request.info["facesluiceId"] == DEVICE_ID
        assert request.message["facesluiceId"] == DEVICE_ID
        assert request.info["ImgType"] == "2"
        return {"ImgData": "/9j/SNAP", "result": "ok"} if where == "info" else {"result": "ok"}

    AutoResponder(
        harness.transport,
        {"GetSceneSnap": answer},
        top={"GetSceneSnap": {"ImgData": "/9j/SNAP"}} if where == "top" else {},
    )
    assert await harness.client.snapshot() == Picture("/9j/SNAP")


async def test_snapshot_without_image_is_refused(harness: Harness, clock: FakeClock) -> None:
    AutoResponder(harness.transport, {"GetSceneSnap": {"result": "ok", "ImgData": ""}})
    with pytest.raises(DeviceRefusedError):
        await harness.client.snapshot()


async def test_snapshot_unsupported_firmware(harness: Harness, clock: FakeClock) -> None:
    AutoResponder(
        harness.transport,
        {"GetSceneSnap": {"result": "fail", "detail": "Version not support GetSceneSnap"}},
        top={"GetSceneSnap": {"code": "464"}},
    )
    with pytest.raises(DeviceRefusedError) as err:
        await harness.client.snapshot()
    assert err.value.code == "464"


async def test_snapshot_reuses_a_capture_within_3_seconds(
    harness: Harness, clock: FakeClock
) -> None:
    """§16 L3281: frequent captures disturb recognition."""
    counter = iter(range(1, 100))
    AutoResponder(
        harness.transport,
        {"GetSceneSnap": lambda _r: {"ImgData": f"/9j/SNAP{next(counter)}", "result": "ok"}},
    )
    first = await harness.client.snapshot()
    clock.now += 2.9
    again = await harness.client.snapshot()
    assert again == first == Picture("/9j/SNAP1")
    assert len(harness.transport.sent("GetSceneSnap")) == 1
    clock.now += 0.2
    assert await harness.client.snapshot() == Picture("/9j/SNAP2")
    assert len(harness.transport.sent("GetSceneSnap")) == 2


async def test_concurrent_snapshots_share_one_capture(harness: Harness, clock: FakeClock) -> None:
    AutoResponder(harness.transport, {"GetSceneSnap": {"ImgData": "/9j/ONE", "result": "ok"}})
    results = await asyncio.gather(*(harness.client.snapshot() for _ in range(3)))
    assert results == [Picture("/9j/ONE")] * 3
    assert len(harness.transport.sent("GetSceneSnap")) == 1


# ============================================================================================
# People: enroll, delete, delete_all, list
# ============================================================================================

PHOTO = b"\xff\xd8\xff\xe0 photo"


def person(person_id: str = "E012", **changes: Any) -> Enrollment:
    """Return an enrolment."""
    values: dict[str, Any] = {"person_id": person_id, "name": "Zhang San", "photo_jpeg": PHOTO}
    values.update(changes)
    return Enrollment(**values)


async def test_enroll_sends_edit_person(harness: Harness, clock: FakeClock) -> None:
    AutoResponder(harness.transport)
    result = await harness.client.enroll(person(card_number="1369406761"))
    assert result.message
    assert "Zhang San" not in result.message
    (request,) = harness.transport.published
    assert request.topic == COMMAND_TOPIC
    assert request.operator == "EditPerson"
    assert request.info["customId"] == "E012"
    assert request.info["name"] == "Zhang San"
    assert request.info["RFIDCard"] == "1369406761"
    assert request.info["pic"].startswith("data:image/jpeg;base64,/9j/")


async def test_enroll_is_paced_one_second_apart(harness: Harness, clock: FakeClock) -> None:
    """§4.1 L318: at least 1 s between EditPerson calls with a Base64 picture."""
    harness.transport.clock = clock.monotonic
    AutoResponder(harness.transport)
    await harness.client.enroll(person("A"))
    await harness.client.enroll(person("B"))
    clock.now += 5.0
    await harness.client.enroll(person("C"))
    first, second, third = harness.transport.sent("EditPerson")
    assert second.at - first.at >= 1.0
    assert third.at - second.at >= 1.0
    assert clock.sleeps == [pytest.approx(1.0)]  # no needless wait after a pause


async def test_concurrent_enrolls_are_paced(harness: Harness, clock: FakeClock) -> None:
    harness.transport.clock = clock.monotonic
    AutoResponder(harness.transport)
    await asyncio.gather(*(harness.client.enroll(person(f"P{i}")) for i in range(3)))
    times = [p.at for p in harness.transport.sent("EditPerson")]
    assert len(times) == 3
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times))


async def test_enroll_paced_after_a_refusal(harness: Harness, clock: FakeClock) -> None:
    harness.transport.clock = clock.monotonic
    AutoResponder(
        harness.transport,
        {
            "EditPerson": lambda r: (
                {"result": "fail", "detail": "Get pic Person Feature err, please change a pic"}
                if r.info["customId"] == "A"
                else {"result": "ok"}
            )
        },
    )
    with pytest.raises(DeviceRefusedError, match="Feature"):
        await harness.client.enroll(person("A"))
    await harness.client.enroll(person("B"))
    first, second = harness.transport.sent("EditPerson")
    assert second.at - first.at >= 1.0


async def test_invalid_enrollment_sends_nothing(harness: Harness, clock: FakeClock) -> None:
    with pytest.raises(InvalidRequestError):
        await harness.client.enroll(person("x" * 48))
    with pytest.raises(InvalidRequestError):
        await harness.client.enroll(person(name="张" * 11))
    assert harness.transport.published == []


async def test_delete_one_uses_del_person(harness: Harness) -> None:
    AutoResponder(harness.transport)
    result = await harness.client.delete(["E012"])
    assert result.message
    (request,) = harness.transport.published
    assert request.operator == "DelPerson"
    assert request.info == {"customId": "E012"}


async def test_delete_several_uses_delete_persons(harness: Harness) -> None:
    AutoResponder(
        harness.transport,
        {"DeletePersons": {"DelErrNum": "1", "DelSucNum": "1", "result": "ok"}},
    )
    result = await harness.client.delete(["E012", "E013"])
    assert "1 of 2" in result.message
    (request,) = harness.transport.published
    assert request.operator == "DeletePersons"
    assert request.message["DataBegin"] == "BeginFlag"
    assert request.message["DataEnd"] == "EndFlag"
    assert request.message["PersonNum"] == "2"
    assert request.info == {"customId": ["E012", "E013"]}


async def test_delete_many_in_batches_of_200(harness: Harness) -> None:
    AutoResponder(
        harness.transport,
        {"DeletePersons": lambda r: {"DelSucNum": str(len(r.info["customId"])), "result": "ok"}},
    )
    ids = [f"P{i}" for i in range(450)]
    result = await harness.client.delete(ids)
    batches = harness.transport.sent("DeletePersons")
    assert [len(b.info["customId"]) for b in batches] == [200, 200, 50]
    assert [b.message["PersonNum"] for b in batches] == ["200", "200", "50"]
    assert [i for b in batches for i in b.info["customId"]] == ids
    assert "450 of 450" in result.message


async def test_delete_of_nobody_on_the_device_is_refused(harness: Harness) -> None:
    AutoResponder(
        harness.transport,
        {"DeletePersons": {"DelErrNum": "2", "DelSucNum": "0", "result": "ok"}},
    )
    with pytest.raises(DeviceRefusedError):
        await harness.client.delete(["X1", "X2"])


async def test_delete_all(harness: Harness) -> None:
    AutoResponder(harness.transport)
    result = await harness.client.delete_all()
    assert "restart" in result.message
    (request,) = harness.transport.published
    assert request.operator == "DeleteAllPerson"
    assert request.info == {"deleteall": "1"}


def list_entry(index: int) -> dict[str, Any]:
    """Return one SearchPersonList entry."""
    return {
        "LibID": index + 1,
        "personType": 0,
        "name": f"Person {index}",
        "cardType2": 0,
        "cardNum2": 1,
        "RFIDCard": "0",
        "tempCardType": 0,
        "customId": f"P{index}",
        "cardValidBegin": "0000-00-00 00:00:00",
        "cardValidEnd": "0000-00-00 00:00:00",
    }


async def test_list_people_pages_until_total(harness: Harness) -> None:
    total = 250

    def page(request: Published) -> dict[str, Any]:
        begin = int(request.info["BeginNO"])
        count = int(request.info["RequestCount"])
        entries = [list_entry(i) for i in range(begin, min(begin + count, total))]
        return {
            "TotalPersonNum": str(total),
            "PersonNum": str(len(entries)),
            "List": entries,
            "result": "ok",
        }

    AutoResponder(harness.transport, {"SearchPersonList": page})
    people = await harness.client.list_people()
    assert [p.person_id for p in people] == [f"P{i}" for i in range(total)]
    assert people[0] == Person(person_id="P0", name="Person 0", person_list=PersonList.ALLOW)
    requests = harness.transport.sent("SearchPersonList")
    assert [r.info["BeginNO"] for r in requests] == [0, 100, 200]
    assert all(r.info["facesluiceId"] == DEVICE_ID for r in requests)
    assert all(r.info["personType"] == 2 for r in requests)


async def test_list_people_on_an_empty_device(harness: Harness) -> None:
    """§4.2.3: the device answers 466 "can not find person" when nobody matches."""
    AutoResponder(
        harness.transport,
        {"SearchPersonList": {"result": "fail", "detail": "can not find person"}},
        top={"SearchPersonList": {"code": "466"}},
    )
    assert await harness.client.list_people() == []


async def test_list_people_other_refusal_raises(harness: Harness) -> None:
    AutoResponder(
        harness.transport,
        {"SearchPersonList": {"result": "fail", "detail": "Unknow facesluiceId"}},
        top={"SearchPersonList": {"code": "465"}},
    )
    with pytest.raises(DeviceRefusedError) as err:
        await harness.client.list_people()
    assert err.value.code == "465"


async def test_list_people_stops_on_an_empty_page(harness: Harness) -> None:
    AutoResponder(
        harness.transport,
        {"SearchPersonList": {"TotalPersonNum": "5", "List": [], "result": "ok"}},
    )
    assert await harness.client.list_people() == []
    assert len(harness.transport.sent("SearchPersonList")) == 1


# ============================================================================================
# Transport contract, probe, stop
# ============================================================================================


async def test_publishes_are_valid_json_and_never_retained(
    harness: Harness, clock: FakeClock
) -> None:
    AutoResponder(
        harness.transport,
        {
            "GetDoorconfig": {"OpendoorWay": "2", "result": "ok"},
            "GetSceneSnap": {"ImgData": "/9j/x", "result": "ok"},
            "DeletePersons": {"DelSucNum": "2", "result": "ok"},
            "SearchPersonList": {"TotalPersonNum": 0, "List": [], "result": "ok"},
        },
    )
    harness.transport.deliver(BASIC_TOPIC, online())
    harness.transport.deliver(REC_TOPIC, rec_push("381"))
    harness.transport.deliver(SNAP_TOPIC, snap_push("311"))
    await settle()
    await harness.client.open_door()
    await harness.client.snapshot()
    await harness.client.enroll(person(name="张三"))
    await harness.client.delete(["A"])
    await harness.client.delete(["A", "B"])
    await harness.client.delete_all()
    await harness.client.list_people()
    await harness.client.query_info()

    operators = [p.operator for p in harness.transport.published]
    assert set(operators) >= {
        "Online-Ack",
        "SetSysTime",
        "PushAck",
        "GetDoorconfig",
        "Unlock",
        "GetSceneSnap",
        "EditPerson",
        "DelPerson",
        "DeletePersons",
        "DeleteAllPerson",
        "SearchPersonList",
        "Versions",
    }
    for sent in harness.transport.published:
        assert sent.topic == COMMAND_TOPIC
        assert not sent.options.get("retain")  # a retained Unlock reopens the door
        message = json.loads(sent.payload)
        assert isinstance(message["messageId"], str)
        assert message["messageId"]
        assert isinstance(message["info"], dict)
    message_ids = [p.message["messageId"] for p in harness.transport.published]
    assert len(set(message_ids)) == len(message_ids)
    # UTF-8 names travel as they are.
    assert "张三" in harness.transport.sent("EditPerson")[0].payload


async def test_probe_returns_device_info_and_cleans_up() -> None:
    transport = FakeTransport()
    subscribed: list[list[str]] = []

    def answer(_request: Published) -> dict[str, Any]:
        subscribed.append(transport.topics)
        return {"name": "v12.5.6", "result": "ok"}

    AutoResponder(transport, {"Versions": answer})
    info = await probe(transport, DEVICE_ID)
    assert info.firmware == "v12.5.6"
    # Only the device's own topics: a probe must not hear (and answer) another's Online.
    assert subscribed == [[f"{COMMAND_TOPIC}/#"]]
    assert [p.operator for p in transport.published] == ["Versions"]
    assert transport.published[0].topic == COMMAND_TOPIC
    assert transport.subscriptions == []


async def test_probe_uses_the_prefix() -> None:
    transport = FakeTransport()
    AutoResponder(transport)
    await probe(transport, DEVICE_ID, topic_prefix="site/gate")
    assert transport.published[0].topic == f"site/gate/{DEVICE_ID}"


async def test_probe_of_a_silent_device_times_out() -> None:
    transport = FakeTransport()
    with pytest.raises(DeviceTimeoutError):
        await probe(transport, DEVICE_ID, answer_within=0.05)
    assert transport.subscriptions == []


async def test_probe_ignores_an_online_notice() -> None:
    """A probe neither sets the clock nor answers Online in the real client's place."""
    transport = FakeTransport()

    def answer(request: Published) -> dict[str, Any]:
        transport.deliver(BASIC_TOPIC, online())
        return {"name": "v1", "result": "ok"}

    AutoResponder(transport, {"Versions": answer})
    await probe(transport, DEVICE_ID)
    await settle()
    assert [p.operator for p in transport.published] == ["Versions"]


async def test_stop_cancels_pending_commands_and_unsubscribes(harness: Harness) -> None:
    task = asyncio.create_task(harness.client.query_info())
    await settle()
    assert harness.transport.sent("Versions")
    await harness.client.stop()
    with pytest.raises(DeviceTimeoutError, match="closed"):
        await task
    assert harness.transport.subscriptions == []
    harness.transport.deliver(REC_TOPIC, rec_push("381"))
    await settle()
    assert harness.messages == []
    assert harness.transport.sent("PushAck") == []


async def test_stop_cancels_background_sends() -> None:
    class StuckTransport(FakeTransport):
        async def publish(self, topic: str, payload: str, **options: Any) -> None:
            await super().publish(topic, payload, **options)
            await asyncio.Event().wait()  # the broker never confirms

    transport = StuckTransport()
    client = HFSecurityMqttClient(transport, DEVICE_ID, now=lambda: NOW)
    await client.start()
    transport.deliver(REC_TOPIC, rec_push("381"))
    await settle()
    assert transport.sent("PushAck")
    await asyncio.wait_for(client.stop(), timeout=1.0)  # returns: nothing left hanging
