"""Tests of the network-camera simulator over a real amqtt broker.

The camera simulator connects to a broker subprocess and a raw paho-mqtt client plays the
platform, as in ``test_simulator_face_terminal``. Section numbers (§) refer to
network-camera-mqtt-v1.25.txt; "captured" means the real camera messages of
field-notes §3.2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import io
import random
import re
import time
from typing import Any

from PIL import Image
import pytest

from simulators.broker import Broker
from simulators.camera_mqtt import ANALYTICS, GENERIC_ACK_OPERATORS, CameraSimulator
from simulators.images import decode_base64_picture, make_jpeg, sniff_format, to_data_uri
from tests.test_simulator_face_terminal import Platform

CAMERA_ID = "1026700"
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# Key order of the captured RecPush (field notes §3.2), with isNoMask given.
CAPTURED_RECPUSH_KEYS = [
    "customId",
    "personId",
    "RecordID",
    "VerifyStatus",
    "PersonType",
    "similarity1",
    "Sendintime",
    "personName",
    "facesluiceId",
    "idCard",
    "telnum",
    "time",
    "isNoMask",
    "PushType",
    "targetPosInScene",
    "pic",
]


class CameraPlatform(Platform):
    """The platform client, addressing the camera by default."""

    def send(
        self, operator: str, info: Any = None, *, device_id: str = CAMERA_ID, **top: Any
    ) -> str:
        return super().send(operator, info, device_id=device_id, **top)

    def wait_ack(
        self, message_id: str, *, device_id: str = CAMERA_ID, timeout: float = 5.0
    ) -> dict[str, Any]:
        return super().wait_ack(message_id, device_id=device_id, timeout=timeout)

    def request(
        self, operator: str, info: Any = None, *, device_id: str = CAMERA_ID, **top: Any
    ) -> dict[str, Any]:
        return self.wait_ack(self.send(operator, info, device_id=device_id, **top))

    def answered(self, message_id: str) -> bool:
        acks = self.messages(topic=f"mqtt/face/{CAMERA_ID}/Ack")
        return any(m.message.get("messageId") == message_id for m in acks)


@pytest.fixture
def broker(socket_enabled: None) -> Iterator[Broker]:
    with Broker() as running:
        yield running


@pytest.fixture
def platform(broker: Broker) -> Iterator[CameraPlatform]:
    client = CameraPlatform(broker)
    client.start()
    yield client
    client.stop()


@pytest.fixture
def make_cam(broker: Broker) -> Iterator[Callable[..., CameraSimulator]]:
    """Start cameras with short timers; stop them all at teardown."""
    started: list[CameraSimulator] = []

    def _make(**kwargs: Any) -> CameraSimulator:
        options: dict[str, Any] = {
            "heartbeat_interval": 30.0,
            "resend_interval": 0.3,
            "restart_delay": 0.2,
        }
        options.update(kwargs)
        camera = CameraSimulator(broker.host, broker.port, **options)
        camera.start()
        started.append(camera)
        return camera

    yield _make
    for camera in started:
        camera.stop()


def _jpeg(data_uri: str) -> bytes:
    data = decode_base64_picture(data_uri)
    assert sniff_format(data) == "jpeg"
    return data


# ------------------------------------------------------------------ lifecycle


def test_online_repeats_at_heartbeat_interval_until_ack(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§7.1: Online (captured shape) repeats every heartbeat interval until Online-Ack."""
    cam = make_cam(heartbeat_interval=0.25)
    onlines = platform.wait_count("Online", 3)
    first = onlines[0]
    assert first.topic == "mqtt/face/basic"
    assert list(first.message) == ["operator", "info"]
    assert list(first.info) == ["facesluiceId", "username", "time", "ip", "facesname"]
    assert first.info["facesluiceId"] == CAMERA_ID
    assert first.info["facesname"] == "IPC1026700"
    assert TIME_RE.match(first.info["time"])
    beats = platform.wait_count("HeartBeat", 2)
    assert beats[0].topic == "mqtt/face/heartbeat"
    assert beats[0].message == {
        "operator": "HeartBeat",
        "info": {"facesluiceId": CAMERA_ID, "time": beats[0].info["time"]},
    }
    assert not cam.online_acked

    platform.send("Online-Ack", {"facesluiceId": CAMERA_ID, "result": "ok", "detail": ""})
    assert cam.wait_online_acked(5)
    sent = cam.online_count
    platform.wait_count("HeartBeat", len(platform.messages("HeartBeat")) + 2)
    assert cam.online_count == sent
    assert platform.messages(topic=f"mqtt/face/{CAMERA_ID}/Ack") == []


def test_reboot_sends_offline_then_online(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§10.4 RebootDevice: ack, Offline, then a new Online cycle; the Will is Offline (§7.3)."""
    cam = make_cam(heartbeat_interval=0.3)
    platform.wait_count("Online", 1)
    ack = platform.request("RebootDevice")
    assert ack["operator"] == "RebootDevice-Ack"
    assert ack["info"] == {"facesluiceId": CAMERA_ID, "result": "ok"}
    offline = platform.wait_count("Offline", 1)[0]
    assert offline.message == {"operator": "Offline", "info": {"facesluiceId": CAMERA_ID}}
    before = len(platform.messages("Online"))
    platform.wait_count("Online", before + 1)
    cam.stop(abrupt=True)
    platform.wait_count("Offline", 2)


# -------------------------------------------------------------------- records


def test_recpush_shape_and_push_ack_type(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§5/§8: captured RecPush shape; PushAckType 1 (the §8 prose trap) is no ack, 2 is."""
    cam = make_cam()
    cam.add_person("cust-1", "Lisa", idCard="421381199504030002", telnum1="454545")
    record_id = cam.push_record("cust-1", no_mask=1)
    first = platform.wait_count("RecPush", 1)[0]
    assert first.topic == f"mqtt/face/{CAMERA_ID}/Rec"
    assert list(first.message) == ["operator", "info"]
    info = first.info
    assert list(info) == CAPTURED_RECPUSH_KEYS
    assert info["customId"] == "cust-1"
    assert info["personId"] == cam.persons["cust-1"]["personId"]
    assert info["RecordID"] == str(record_id)
    assert (info["VerifyStatus"], info["PersonType"]) == ("1", "0")
    assert info["similarity1"] == "94.000000"
    assert info["Sendintime"] == 1
    assert info["PushType"] == 0
    assert info["personName"] == "Lisa"
    assert (info["idCard"], info["telnum"], info["isNoMask"]) == (
        "421381199504030002",
        "454545",
        "1",
    )
    assert info["targetPosInScene"] == [346, 0, 1572, 1080]
    assert all(type(v) is int for v in info["targetPosInScene"])
    assert TIME_RE.match(info["time"])
    assert info["pic"].startswith("data:image/jpeg;base64,")
    _jpeg(info["pic"])

    # The §8 prose says "set PushAckType to 1" for identification records: that is no ack.
    wrong = platform.request("PushAck", {"PushAckType": 1, "SnapOrRecordID": record_id})
    assert wrong["operator"] == "PushAck-Ack"
    records = platform.wait_count("RecPush", 2)
    assert records[1].payload == records[0].payload
    assert cam.acked_records == set()
    assert (2, record_id) in cam.pending_pushes
    assert any("needing PushAckType 2" in v for v in cam.protocol_violations)

    ack = platform.request("PushAck", {"PushAckType": "2", "SnapOrRecordID": str(record_id)})
    assert ack["info"] == {
        "facesluicId": CAMERA_ID,
        "PushAckType": "2",
        "SnapOrRecordID": str(record_id),
        "result": "ok",
    }
    assert "code" not in ack
    assert cam.acked_records == {record_id}
    assert cam.pending_pushes == set()
    settled = len(platform.messages("RecPush"))
    time.sleep(0.7)
    assert len(platform.messages("RecPush")) == settled

    # A block-list person without isNoMask; an unknown face; a scene when given.
    cam.add_person("bad", "Mallory", personType=1)
    cam.resume_from_breakpoint = False
    cam.push_record("bad")
    cam.push_record(verify_status=3, similarity=0.0, scene=make_jpeg(320, 180))
    blocked, stranger = platform.wait_count("RecPush", settled + 2)[settled:]
    assert blocked.info["PersonType"] == "1"
    assert "isNoMask" not in blocked.info
    assert "scene" not in blocked.info
    assert (stranger.info["customId"], stranger.info["VerifyStatus"]) == ("", "3")
    _jpeg(stranger.info["scene"])
    for key in ("temperature", "otype", "RFIDCard", "cardNum2", "persionName", "direction"):
        assert key not in blocked.info


def test_stranger_and_drop_push_acks(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§6 StrSnapPush; a lost PushAck (drop_push_acks) means a re-send; type 1 acks it."""
    cam = make_cam()
    cam.drop_push_acks(1)
    snap_id = cam.push_stranger(no_mask=1)
    snap = platform.wait_count("StrSnapPush", 1)[0]
    assert snap.topic == f"mqtt/face/{CAMERA_ID}/Snap"
    assert list(snap.info) == [
        "facesluiceId",
        "SnapID",
        "time",
        "isNoMask",
        "PushType",
        "targetPosInScene",
        "pic",
    ]
    assert (snap.info["SnapID"], snap.info["isNoMask"], snap.info["PushType"]) == (
        str(snap_id),
        "1",
        0,
    )
    dropped = platform.send("PushAck", {"PushAckType": 1, "SnapOrRecordID": snap_id})
    platform.wait_count("StrSnapPush", 2)
    assert not platform.answered(dropped)
    assert cam.resend_count >= 1
    assert cam.acked_snaps == set()
    platform.request("PushAck", {"PushAckType": 1, "SnapOrRecordID": snap_id})
    assert cam.acked_snaps == {snap_id}
    assert cam.pending_pushes == set()
    assert cam.protocol_violations == []


def test_manual_push_records_and_snaps(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§20/§21: re-push a window with PushType 2, persionName, no ack needed; 466 when empty."""
    cam = make_cam(resume_from_breakpoint=False)
    cam.add_person("p1", "Zhang Wu")
    first = cam.push_record("p1", scene=make_jpeg(320, 180))
    cam.push_record()
    platform.wait_count("RecPush", 2)
    day = time.strftime("%Y-%m-%d")
    ack = platform.request(
        "ManualPushRecords",
        {"facesluiceId": CAMERA_ID, "TimeS": f"{day} 00:00:00", "TimeE": f"{day}T23:59:59"},
    )
    # The §20.2 example names the answer ManualPushSnaps-Ack (L3650).
    assert ack["operator"] == "ManualPushSnaps-Ack"
    assert ack["info"]["RecordNum"] == 2
    replays = platform.wait_count("RecPush", 4)[2:]
    replay = next(r for r in replays if r.info["RecordID"] == str(first))
    assert replay.info["PushType"] == 2
    assert replay.info["Sendintime"] == 0
    assert replay.info["targetPosInScene"] == [0, 0, 0, 0]
    assert replay.info["persionName"] == "Zhang Wu"
    assert "scene" not in replay.info
    assert "personName" not in replay.info

    none = platform.request(
        "ManualPushSnaps", {"TimeS": f"{day} 00:00:00", "TimeE": f"{day} 23:59:59"}
    )
    assert (none["operator"], none["code"], none["info"]["result"]) == (
        "ManualPushSnaps-Ack",
        "466",
        "fail",
    )
    bad = platform.request("ManualPushSnaps", {"TimeS": f"{day} 00:00:00"})
    assert bad["code"] == "465"


# ------------------------------------------------------------------ analytics


def test_generic_analytics_records_need_push_ack_type_3(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§8.5: SnapOrRecordID records are re-sent until PushAckType 3; type 2 is no ack."""
    cam = make_cam()
    fire_id = cam.push_fire_smoke(fire=1, smoke=2)
    assert isinstance(fire_id, int)
    fire = platform.wait_count("FireSmokeSnapPush", 1)[0]
    assert fire.topic == f"mqtt/face/{CAMERA_ID}/Snap"
    assert "messageId" not in fire.message
    assert list(fire.info) == [
        "deviceId",
        "deviceName",
        "time",
        "SnapOrRecordID",
        "fire",
        "smoke",
        "pic",
    ]
    assert fire.info["SnapOrRecordID"] == fire_id  # an int, as in the §19 example
    assert (fire.info["deviceId"], fire.info["deviceName"]) == (CAMERA_ID, "IPC1026700")
    assert (fire.info["fire"], fire.info["smoke"]) == (1, 2)

    platform.request("PushAck", {"PushAckType": 2, "SnapOrRecordID": fire_id})
    platform.wait_count("FireSmokeSnapPush", 2)
    assert cam.acked_generic == set()
    assert any("FireSmokeSnapPush needing PushAckType 3" in v for v in cam.protocol_violations)
    ack = platform.request("PushAck", {"PushAckType": "3", "SnapOrRecordID": str(fire_id)})
    assert ack["info"]["PushAckType"] == "3"
    assert cam.acked_generic == {fire_id}

    # §13: SnapOrRecordID and targetType as strings; targetPosInScene outside info on request.
    kitchen_id = cam.push_kitchen(1, [2], top_level=["targetPosInScene"])
    kitchen = platform.wait_count("VisibleKitchenSnapPush", 1)[0]
    assert kitchen.info["SnapOrRecordID"] == str(kitchen_id)
    assert kitchen.info["targetType"] == "1"
    assert kitchen.info["alarmType"] == {"AnimalAlarmType": [2]}
    assert kitchen.info["targetPos"] == [19, 8, 156, 408]
    assert kitchen.message["targetPosInScene"] == [956, 42, 1266, 914]
    assert "targetPosInScene" not in kitchen.info
    _jpeg(kitchen.info["pic"])
    _jpeg(kitchen.info["scenePic"])
    ebike_id = cam.push_ebike()
    helmet_id = cam.push_helmet(helmet=2, reflective_vest=1)
    ebike = platform.wait_count("ElectricalBicycleSnapPush", 1)[0]
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", ebike.info["time"])
    helmet = platform.wait_count("ClothHelmetSnapPush", 1)[0]
    assert (helmet.info["helmet"], helmet.info["reflectiveVest"]) == (2, 1)
    for item in (kitchen_id, ebike_id, helmet_id):
        platform.request("PushAck", {"PushAckType": 3, "SnapOrRecordID": item})
    assert cam.acked_generic == {fire_id, kitchen_id, ebike_id, helmet_id}
    assert cam.pending_pushes == set()


def test_thermal_and_behavior_pushes(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§15/§28 TemHighSnapPush shape; §17.2 BehaviorSnapPush gated by BehaviorUploadType."""
    cam = make_cam()
    assert cam.push_thermal(88.5, alarm_type=1, temperature_rise=1)
    thermal = platform.wait_count("TemHighSnapPush", 1)[0]
    info = thermal.info
    assert list(info) == [
        "deviceId",
        "deviceName",
        "snapTime",
        "sparkAlarm",
        "tempeunit",
        "message",
        "pic",
        "tempic",
    ]
    assert TIME_RE.match(info["snapTime"])
    assert (info["sparkAlarm"], info["tempeunit"]) == (0, 0)
    assert info["message"] == [
        {
            "areaId": 0,
            "messageType": 0,
            "alarmType": 1,
            "temRise": 1,
            "durationTime": 30,
            "temRiseDuration": 5,
            "temperature": 88.5,
        }
    ]
    with Image.open(io.BytesIO(_jpeg(info["tempic"]))) as image:
        assert image.size == (320, 240)
    assert cam.push_thermal(spark_alarm=2)
    spark = platform.wait_count("TemHighSnapPush", 2)[1]
    assert spark.info["sparkAlarm"] == 2
    assert "message" not in spark.info

    assert cam.push_behavior(1, 2, object_type=1)
    behavior = platform.wait_count("BehaviorSnapPush", 1)[0]
    assert {k: behavior.info[k] for k in ("objectType", "behaviourType", "behaviourDirection")} == {
        "objectType": 1,
        "behaviourType": 1,
        "behaviourDirection": 2,
    }
    assert TIME_RE.match(behavior.info["time"])
    _jpeg(behavior.info["scene"])
    assert cam.pending_pushes == set()  # no SnapOrRecordID, no PushAck

    # Tripwire uploads only (§10.1 BehaviorUploadType 1): area and leave-post stay home.
    assert platform.request("UpMQTTconfig", {"BehaviorUploadType": 1})["info"]["result"] == "ok"
    assert cam.behavior_upload_type == 1
    assert not cam.push_behavior(1, 2)
    assert not cam.push_leave()
    assert cam.push_behavior(0, 0)
    platform.wait_count("BehaviorSnapPush", 2)
    time.sleep(0.3)
    assert len(platform.messages("BehaviorSnapPush")) == 2
    assert platform.messages("LeaveSnapPush") == []


def test_every_analytics_push(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """Every §13-§28 push goes to /Snap with deviceId, its time field and no messageId."""
    cam = make_cam(resume_from_breakpoint=False)
    cam.push_kitchen()
    cam.push_parabolic()
    cam.push_thermal()
    cam.push_structured()
    cam.push_behavior()
    cam.push_leave()
    cam.push_helmet()
    cam.push_fire_smoke()
    cam.push_head_count(4)
    cam.push_vehicle()
    cam.push_safety_ride()
    cam.push_ebike()
    assert CameraSimulator.wait_for(
        lambda: set(ANALYTICS) <= {m.operator for m in platform.messages()}, 5
    )
    for name, spec in ANALYTICS.items():
        message = platform.messages(name)[0]
        assert message.topic == f"mqtt/face/{CAMERA_ID}/Snap"
        assert "messageId" not in message.message
        assert message.info["deviceId"] == CAMERA_ID
        assert spec.time_key in message.info
        assert ("deviceName" in message.info) is spec.device_name
        assert ("SnapOrRecordID" in message.info) is (name in GENERIC_ACK_OPERATORS)
    parabolic = platform.messages("ParabolicSnapPush")[0].info
    assert parabolic["startTime"] <= parabolic["snapTime"] <= parabolic["endTime"]
    structured = platform.messages("FullStrSnapPush")[0].info
    assert (structured["objectType"], structured["objectAttr"]) == (2, {"carplate": "YB888H9"})
    count = platform.messages("CountInRegionPush")[0].info
    assert (count["realtimeCount"], count["minCount"]) == (4, 0)
    assert "pic" not in count
    vehicle = platform.messages("CatAttrSnapPush")[0].info
    assert (vehicle["objectType"], vehicle["carplate"]) == (1, "浙 B00QS9")
    ride = platform.messages("SafetyRidePush")[0].info
    assert (ride["helmet"], ride["plate"]) == (0, "5000J")

    # The random activity (the command line's, the demo's) uses the same methods.
    rng = random.Random(7)
    before = len(platform.messages())
    for _ in range(15):
        cam.random_activity(rng)
    assert CameraSimulator.wait_for(lambda: len(platform.messages()) >= before + 15, 5)


# -------------------------------------------------------------------- persons


def test_person_round_trip(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§4.1 EditPerson, §4.4 queries, §4.5-§4.7 deletions, with the camera's field set."""
    cam = make_cam()
    photo = make_jpeg(variant=2)
    person = {
        "customId": "063c81e0",
        "name": "Lisa",
        "personType": 0,
        "gender": 1,
        "birthday": "1995-06-12",
        "idCard": "421381199504030002",
        "telnum1": "18888888888",
        "address": "London",
        "pic": to_data_uri(photo),
        "tempValid": 0,
        "validBegin": "2023-11-10 00:00:00",
        "validEnd": "2023-12-10 00:00:00",
        "effectNumber": 65535,
    }
    ack = platform.request("EditPerson", person)
    assert ack["operator"] == "EditPerson-Ack"
    assert "code" not in ack
    assert ack["info"]["result"] == "ok"
    assert (ack["info"]["customId"], ack["info"]["detail"]) == ("063c81e0", "")
    assert ack["info"]["personId"] == cam.persons["063c81e0"]["personId"]
    assert cam.persons["063c81e0"]["picture"] == photo
    assert cam.persons["063c81e0"]["effectNumber"] == 65535

    # Too soon after the previous one, with a card field the camera does not have.
    second = platform.request(
        "EditPerson",
        {
            "customId": "p2",
            "name": "Li Si",
            "personType": 1,
            "pic": to_data_uri(make_jpeg()),
            "RFIDCard": "12345",
        },
    )
    assert second["info"]["result"] == "ok"
    assert [v["customId"] for v in cam.pacing_violations] == ["p2"]
    assert any("RFIDCard" in v for v in cam.protocol_violations)
    missing = platform.request("EditPerson", {"customId": "p3", "name": "No Pic"})
    assert (missing["code"], missing["info"]["detail"]) == ("472", "get pic and get URI error")

    listing = platform.request(
        "SearchPersonList",
        {"facesluiceId": CAMERA_ID, "personType": 2, "gender": 2, "BeginNO": 0, "RequestCount": 1},
    )
    assert listing["operator"] == "SearchPersonList-Ack"
    assert listing["code"] == 200
    assert "result" not in listing["info"]
    assert (listing["info"]["TotalPersonNum"], listing["info"]["PersonNum"]) == (2, 1)
    entry = listing["info"]["List"][0]
    assert list(entry) == [
        "LibID",
        "personType",
        "name",
        "gender",
        "idCard",
        "birthday",
        "telnum1",
        "address",
        "customId",
    ]
    assert (entry["customId"], entry["gender"], entry["personType"]) == ("063c81e0", 1, 0)
    page2 = platform.request("SearchPersonList", {"personType": 1, "BeginNO": 0})
    assert [p["customId"] for p in page2["info"]["List"]] == ["p2"]
    nobody = platform.request("SearchPersonList", {"name": "nobody"})
    assert (nobody["code"], nobody["info"]["detail"]) == ("466", "can not find person")

    single = platform.request("SearchPerson", {"customId": "063c81e0", "Picture": 1})
    assert single["code"] == "200"
    assert (single["info"]["name"], single["info"]["gender"], single["info"]["personType"]) == (
        "Lisa",
        "1",
        "0",
    )
    assert TIME_RE.match(single["info"]["creatTime"])
    assert decode_base64_picture(single["pic"]) == photo
    assert "pic" not in single["info"]
    query = platform.request("QueryPerson")
    assert (query["info"]["totalPersonNum"], query["info"]["queryPersonNum"]) == ("2", "2")
    assert set(query["info"]["customId"].split(",")) == {"063c81e0", "p2"}

    deleted = platform.request("DelPerson", {"customId": "p2"})
    assert deleted["info"]["result"] == "ok"
    gone = platform.request("DelPerson", {"customId": "p2"})
    assert (gone["code"], gone["info"]["detail"]) == ("464", "can't find customId's person")

    cam.add_person("x1", "X One")
    batch = platform.request(
        "DeletePersons",
        {"customId": ["x1", "unknown"]},
        DataBegin="BeginFlag",
        DataEnd="EndFlag",
        PersonNum=2,
    )
    assert (batch["info"]["DelSucNum"], batch["info"]["DelErrNum"]) == ("1", "1")
    assert batch["info"]["DelErrInfo"] == [{"customId": "unknown"}]

    # DeleteAllPerson: no restart on the camera, and records are kept.
    record_id = cam.push_record("063c81e0")
    offline_before = len(platform.messages("Offline"))
    everything = platform.request("DeleteAllPerson", {"deleteall": 1})
    assert everything["info"] == {"facesluiceId": CAMERA_ID, "result": "ok"}
    assert cam.persons == {}
    assert (2, record_id) in cam.pending_pushes
    time.sleep(0.4)
    assert len(platform.messages("Offline")) == offline_before
    bad = platform.request("DeleteAllPerson", {})
    assert bad["code"] == "463"


def test_batch_enrolment(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§4.2 AddPersons and §4.3 EditPersonsNew: URL pictures, per-person errcodes as strings."""
    cam = make_cam()
    people = [
        {"customId": "a", "name": "A", "personType": 0, "picURI": "http://127.0.0.1:9/a.jpg"},
        {"customId": "b", "name": "B", "personType": 1},
    ]
    ack = platform.request(
        "AddPersons", people, DataBegin="BeginFlag", DataEnd="EndFlag", PersonNum=2
    )
    assert ack["code"] == "200"
    assert (ack["info"]["AddSucNum"], ack["info"]["AddErrNum"]) == ("1", "1")
    assert ack["info"]["AddErrInfo"] == [{"customId": "b", "errcode": "463"}]
    assert cam.persons["a"]["picURI"] == "http://127.0.0.1:9/a.jpg"
    edit = platform.request(
        "EditPersonsNew",
        [{"customId": "a", "name": "A2", "telnum1": "137"}],
        DataBegin="BeginFlag",
        DataEnd="EndFlag",
        PersonNum=1,
    )
    assert edit["info"]["AddSucInfo"] == [{"customId": "a"}]
    assert (cam.persons["a"]["name"], cam.persons["a"]["telnum1"]) == ("A2", "137")
    mismatch = platform.request(
        "AddPersons", people, DataBegin="BeginFlag", DataEnd="EndFlag", PersonNum=3
    )
    assert mismatch["code"] == "417"


# ------------------------------------------------------------- other commands


def test_scene_snap_device_information_and_config(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """§11 GetSceneSnap (bmp label over JPEG), §10.7 quirk, §10.1 config, §10.3 time, §12.3."""
    cam = make_cam()
    snap = platform.request(
        "GetSceneSnap", {"facesluiceId": CAMERA_ID, "ImgType": 2, "ImgQuality": 100}
    )
    assert snap["operator"] == "GetSceneSnap-Ack"
    assert snap["info"]["ImgType"] == "2"
    assert snap["info"]["ImgData"].startswith("data:image/bmp;base64,/9j/")
    with Image.open(io.BytesIO(decode_base64_picture(snap["info"]["ImgData"]))) as image:
        assert image.format == "JPEG"
    assert cam.scene_snap_count == 1
    other = platform.request("GetSceneSnap", {"facesluiceId": "999", "ImgType": 2})
    assert (other["code"], other["info"]["detail"]) == ("463", "Unknow facesluiceId")

    info = platform.request("GetDeviceInformation")
    assert info["operator"] == "GetDeviceInformation"  # sic, L1843
    assert info["info"] == {"DeviceType": "0", "DeviceSubType": "0", "result": "ok"}

    versions = platform.request("Versions")
    assert (versions["code"], versions["info"]["name"]) == ("200", "2.1.0.3.4.26-0.101.8 Beta9")

    assert platform.request("SetSysTime", {"SysTime": "2020-04-01 17:59:54"})["info"] == {
        "facesluiceId": CAMERA_ID,
        "result": "ok",
    }
    assert platform.request("GetSysTime")["info"]["SysTime"].startswith("2020-04-01 17:5")
    assert (
        platform.request("SetSysTime", {"SysTime": "2020-04-01T18:00:00"})["info"]["result"] == "ok"
    )

    config = platform.request("GetMQTTconfig")
    assert config["code"] == "200"
    assert config["info"]["KeepAliveInterval"] == "30"
    assert config["info"]["ResumefromBreakpoint"] == "1"
    assert config["info"]["BehaviorUploadType"] == 255
    assert config["info"]["OnlineTopic"] == "mqtt/face/basic"
    assert config["info"]["HeartbeatTopic"] == "mqtt/face/heartbeat"
    bad = platform.request("UpMQTTconfig", {"KeepAliveInterval": 500})
    assert (bad["code"], bad["info"]["result"]) == ("462", "fail")
    good = platform.request("UpMQTTconfig", {"ResumefromBreakpoint": 0, "KeepAliveInterval": "20"})
    assert good["info"]["result"] == "ok"
    assert not cam.resume_from_breakpoint
    assert cam.heartbeat_interval == 20.0
    assert cam.protocol_violations == []


def test_no_door_commands_and_unknown_operators(
    platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]
) -> None:
    """Digest §4.24: Unlock and the door config get no answer at all, and are recorded."""
    cam = make_cam()
    unlock = platform.send("Unlock", {"uid": "1", "openDoor": 1})
    door = platform.send("GetDoorconfig")
    rtsp = platform.send("GetRTSPCfg")
    platform.request("Versions")  # commands are handled in order: the others are done
    time.sleep(0.2)
    assert not platform.answered(unlock)
    assert not platform.answered(door)
    assert not platform.answered(rtsp)
    violations = cam.protocol_violations
    assert any(v.startswith("Unlock: the camera protocol has no door") for v in violations)
    assert any(v.startswith("GetDoorconfig:") for v in violations)
    assert cam.unhandled_commands == ["GetRTSPCfg"]
    assert cam.unlock_count == 0


def test_sound_config(platform: CameraPlatform, make_cam: Callable[..., CameraSimulator]) -> None:
    """§10.2: the camera's only settings, `VerifySuccAudio` and `Volume`; 462 out of range."""
    cam = make_cam()
    sound = platform.request("GetSoundconfig")
    assert sound["code"] == "200"
    assert {k: v for k, v in sound["info"].items() if k != "facesluiceId"} == {
        "VerifySuccAudio": "1",
        "Volume": "80",
        "result": "ok",
    }
    ok = platform.request("UpSoundconfig", {"VerifySuccAudio": 0, "Volume": 30})
    assert (ok["code"], ok["info"]["result"]) == ("200", "ok")
    assert cam.sound_config == {"VerifySuccAudio": 0, "Volume": 30}
    bad = platform.request("UpSoundconfig", {"Volume": 150})
    assert (bad["code"], bad["info"]["result"]) == ("462", "fail")
    assert cam.sound_config["Volume"] == 30
    assert cam.protocol_violations == []
