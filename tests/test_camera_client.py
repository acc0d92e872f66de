"""HFSecurityMqttClient with the network camera's variant (camera_mqtt), in memory.

The transport and the responder playing the device are those of test_hfsecurity_client.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest

from custom_components.face_access.protocols.hfsecurity_mqtt import CAMERA, FACE_TERMINAL
from custom_components.face_access.protocols.model import (
    AccessKind,
    AnalyticsEvent,
    AnalyticsKind,
    CredentialEvent,
    DeviceInfo,
    DeviceTimeoutError,
    Enrollment,
    InvalidRequestError,
    UnsupportedError,
)

from .common import camera_rec_push
from .test_hfsecurity_client import (
    ACK_TOPIC,
    BASIC_TOPIC,
    COMMAND_TOPIC,
    DEVICE_ID,
    NOW,
    REC_TOPIC,
    SNAP_TOPIC,
    AutoResponder,
    Harness,
    settle,
)


@pytest.fixture
async def camera() -> AsyncGenerator[Harness]:
    """Return a started client with the camera's variant; stopped after the test."""
    harness = Harness(variant=CAMERA)
    await harness.client.start()
    yield harness
    # Its background reads (the upload configuration after the first answer) end with it.
    await harness.client.stop()


def push_acks(harness: Harness) -> list[dict[str, Any]]:
    """Return the `info` of every PushAck the client sent."""
    return [p.info for p in harness.transport.sent("PushAck")]


async def test_recognition_is_acked_with_type_2_as_numbers(camera: Harness) -> None:
    """Digest §4.4: type 2 for recognitions (the prose's 1 is wrong), numbers as numbers."""
    camera.transport.deliver(REC_TOPIC, camera_rec_push("389"))
    await settle()

    assert push_acks(camera) == [{"PushAckType": 2, "SnapOrRecordID": 389}]
    (record,) = camera.records()
    assert record.kind is AccessKind.RECOGNIZED
    assert record.historical is False


async def test_stranger_is_acked_with_type_1(camera: Harness) -> None:
    camera.transport.deliver(
        SNAP_TOPIC,
        {
            "operator": "StrSnapPush",
            "info": {"facesluiceId": DEVICE_ID, "SnapID": "946", "time": "2024-05-06 07:08:05"},
        },
    )
    await settle()

    assert push_acks(camera) == [{"PushAckType": 1, "SnapOrRecordID": 946}]


async def test_terminal_keeps_its_string_numbers() -> None:
    """The same record on the terminal is acked in the terminal's spelling (strings)."""
    harness = Harness(variant=FACE_TERMINAL)
    await harness.client.start()
    harness.transport.deliver(REC_TOPIC, camera_rec_push("389"))
    await settle()

    assert push_acks(harness) == [{"PushAckType": "2", "SnapOrRecordID": "389"}]


async def test_not_real_time_record_is_historical(camera: Harness) -> None:
    """`Sendintime` 0: produced more than 10 s before it was sent (§5 L992); still acked."""
    camera.transport.deliver(REC_TOPIC, camera_rec_push("390", Sendintime=0))
    await settle()

    (record,) = camera.records()
    assert record.historical is True
    assert push_acks(camera) == [{"PushAckType": 2, "SnapOrRecordID": 390}]


async def test_generic_analytics_record_is_acked_with_type_3(camera: Harness) -> None:
    """§8.5: records with `SnapOrRecordID` are acked with type 3 and handed on."""
    camera.transport.deliver(
        SNAP_TOPIC,
        {
            "operator": "FireSmokeSnapPush",
            "info": {
                "deviceId": DEVICE_ID,
                "time": "2024-05-06 07:08:05",
                "SnapOrRecordID": 1689962595,
                "fire": 1,
                "smoke": 0,
                "pic": "data:image/jpeg;base64,/9j/4AAQ",
            },
        },
    )
    await settle()

    assert push_acks(camera) == [{"PushAckType": 3, "SnapOrRecordID": 1689962595}]
    (event,) = [m for m in camera.messages if isinstance(m, AnalyticsEvent)]
    assert event.kind is AnalyticsKind.FIRE_SMOKE
    assert event.attributes == {"fire": "present", "smoke": "none"}
    assert event.historical is False


async def test_analytics_without_id_are_not_acked(camera: Harness) -> None:
    """A behaviour push has no ID to acknowledge (§17.2)."""
    camera.transport.deliver(
        SNAP_TOPIC,
        {
            "operator": "BehaviorSnapPush",
            "info": {"deviceId": DEVICE_ID, "time": "2024-05-06 07:08:05", "behaviourType": 1},
        },
    )
    await settle()

    assert push_acks(camera) == []
    (event,) = camera.messages
    assert isinstance(event, AnalyticsEvent)
    assert event.kind is AnalyticsKind.AREA_INTRUSION


async def test_old_analytics_are_historical(camera: Harness) -> None:
    """An analytics push older than a minute on arrival is backlog."""
    camera.transport.deliver(
        SNAP_TOPIC,
        {"operator": "LeaveSnapPush", "info": {"deviceId": DEVICE_ID, "time": "2024-05-06 06:00"}},
    )
    camera.transport.deliver(
        SNAP_TOPIC,
        {
            "operator": "LeaveSnapPush",
            "info": {"deviceId": DEVICE_ID, "time": "2024-05-06 06:00:00"},
        },
    )
    await settle()

    (event,) = camera.messages  # the first has no valid time and no ID: dropped
    assert isinstance(event, AnalyticsEvent)
    assert event.historical is True


async def test_analytics_from_another_camera_are_dropped(camera: Harness) -> None:
    camera.transport.deliver(
        SNAP_TOPIC,
        {"operator": "LeaveSnapPush", "info": {"deviceId": "999", "time": "2024-05-06 07:08:00"}},
    )
    await settle()
    assert camera.messages == []


async def test_terminal_ignores_analytics_and_camera_ignores_credentials() -> None:
    """Each variant passes on only what its capabilities promise."""
    terminal = Harness(variant=FACE_TERMINAL)
    await terminal.client.start()
    camera = Harness(variant=CAMERA)
    await camera.client.start()
    leave = {"operator": "LeaveSnapPush", "info": {"time": "2024-05-06 07:08:00"}}
    card = {"operator": "CardPush", "info": {"CardInfo": {"CardNum": "86664719"}}}
    for harness in (terminal, camera):
        harness.transport.deliver(SNAP_TOPIC, leave)
        harness.transport.deliver(f"{COMMAND_TOPIC}/Card", card)
    await settle()

    assert [type(m) for m in terminal.messages] == [CredentialEvent]
    assert [type(m) for m in camera.messages] == [AnalyticsEvent]


async def test_open_door_is_unsupported(camera: Harness) -> None:
    """Digest §4.24: there is no door command; nothing is sent."""
    with pytest.raises(UnsupportedError):
        await camera.client.open_door()
    assert camera.transport.published == []


async def test_an_answer_with_the_wrong_operator_is_matched_by_message_id(
    camera: Harness,
) -> None:
    """Digest §8.3: e.g. `GetDeviceInformation` is answered without `-Ack` (L1843)."""

    def answer(request: Any) -> None:
        camera.transport.deliver(
            ACK_TOPIC,
            {
                "messageId": request.message["messageId"],
                "operator": "Versions",  # wrong name, right messageId
                "code": "200",
                "info": {"name": "2.1.0.3.4.26-0.101.8 Beta9", "result": "ok"},
            },
        )

    camera.transport.responder = lambda request: (
        answer(request) if request.operator == "Versions" else None
    )
    camera.client._sync_time = False

    info = await camera.client.query_info()

    assert info == DeviceInfo(firmware="2.1.0.3.4.26-0.101.8 Beta9", model=CAMERA.profile.model)


async def test_our_own_echoed_command_is_never_its_answer(camera: Harness) -> None:
    """The echo of a command on the command topic carries its messageId but is no answer."""
    camera.client._sync_time = False
    with pytest.raises(DeviceTimeoutError):
        await camera.client.query_info()
    assert [p.topic for p in camera.transport.published] == [COMMAND_TOPIC]


async def test_online_sets_the_clock_with_a_space(camera: Harness) -> None:
    """Digest §4.19: colons and a space (the terminal uses a `T`)."""
    AutoResponder(camera.transport)
    camera.transport.deliver(
        BASIC_TOPIC,
        {"operator": "Online", "info": {"facesluiceId": DEVICE_ID, "facesname": "IPC1305433"}},
    )
    await settle()

    (online_ack,) = camera.transport.sent("Online-Ack")
    assert online_ack.info["result"] == "ok"
    (set_time,) = camera.transport.sent("SetSysTime")
    assert set_time.info == {"SysTime": NOW.strftime("%Y-%m-%d %H:%M:%S")}


async def test_people_commands_in_the_camera_spelling(camera: Harness) -> None:
    """EditPerson fields of §4.1, numbers as numbers, and a delete-all without restart."""
    responder = AutoResponder(camera.transport)
    responder.answers["SearchPersonList"] = {
        "TotalPersonNum": 1,
        "PersonNum": 1,
        "List": [{"LibID": 164, "personType": 0, "name": "Lisa", "customId": "A7"}],
    }
    responder.answers["DeletePersons"] = {"DelSucNum": "2", "DelErrNum": "0"}

    await camera.client.enroll(
        Enrollment(person_id="A7", name="Lisa", photo_jpeg=b"\xff\xd8", valid_until=NOW)
    )
    people = await camera.client.list_people()
    await camera.client.delete(["A7", "B8"])
    result = await camera.client.delete_all()

    (edit,) = camera.transport.sent("EditPerson")
    assert edit.info["tempValid"] == 1
    assert edit.info["validEnd"] == NOW.strftime("%Y-%m-%d %H:%M:%S")
    assert "RFIDCard" not in edit.info
    assert "tempCardType" not in edit.info
    (search,) = camera.transport.sent("SearchPersonList")
    assert search.info["BeginTime"] == "2000-01-01 00:00:00"
    assert search.info["Picture"] == 0
    assert [p.person_id for p in people] == ["A7"]
    (delete,) = camera.transport.sent("DeletePersons")
    assert delete.message["PersonNum"] == 2
    assert camera.transport.sent("DeleteAllPerson")[0].info == {"deleteall": 1}
    assert result.message == "all people deleted"


async def test_a_card_number_is_refused_before_sending(camera: Harness) -> None:
    with pytest.raises(InvalidRequestError):
        await camera.client.enroll(
            Enrollment(person_id="A7", name="Lisa", photo_jpeg=b"\xff\xd8", card_number="1")
        )
    assert camera.transport.published == []


async def test_scene_snapshot_asks_for_jpeg_as_a_number(camera: Harness) -> None:
    """§11: `ImgType` 2 (JPEG); the answer's label may lie (`image/bmp` over JPEG, L3098)."""
    responder = AutoResponder(camera.transport)
    responder.answers["GetSceneSnap"] = {"ImgType": "2", "ImgData": "data:image/bmp;base64,/9j/"}

    picture = await camera.client.snapshot()

    (request,) = camera.transport.sent("GetSceneSnap")
    assert request.info["ImgType"] == 2
    assert request.info["facesluiceId"] == DEVICE_ID
    assert picture.raw == "data:image/bmp;base64,/9j/"


def test_capabilities_leave_out_door_temperature_and_credentials() -> None:
    """Digest §9.2: what the camera cannot do must not exist."""
    names = {capability.value for capability in CAMERA.profile.capabilities}
    assert {"open_door", "body_temperature", "credential_events", "enroll_card_number"}.isdisjoint(
        names
    )
    assert {"analytics_events", "mask", "scene_snapshot"} <= names
    assert CAMERA.heartbeat_interval == 60.0


async def test_an_answer_on_the_lower_case_ack_topic(camera: Harness) -> None:
    """Digest §8.4: the document also spells the answer topic `<ID>/ack`."""
    camera.client._sync_time = False
    camera.transport.responder = lambda request: camera.transport.deliver(
        f"{COMMAND_TOPIC}/ack",
        {
            "messageId": request.message["messageId"],
            "operator": "Versions-Ack",
            "info": {"facesluiceId": DEVICE_ID, "name": "2.1.0", "result": "ok"},
        },
    )

    info = await camera.client.query_info()

    assert info.firmware == "2.1.0"
