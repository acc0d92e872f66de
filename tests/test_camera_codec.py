"""Codec tests for the network camera (camera_mqtt, network-camera-mqtt v1.25).

The examples are the vendor document's (digest `camera_mqtt.md` §4, with their errata of
§8 kept where the codec must survive them) and the camera captures of field notes §3.2.
"""

from __future__ import annotations

from datetime import datetime
import json
from typing import Any

import pytest

from custom_components.face_access.protocols.hfsecurity_mqtt import (
    CAMERA,
    FACE_TERMINAL,
    DecodeError,
    Envelope,
    analytics_from,
    decode_envelope,
    edit_person_info,
    info_from_online,
    person_from_list_entry,
    record_from_rec_push,
    record_from_str_snap_push,
    variant_from_name,
)
from custom_components.face_access.protocols.model import (
    AccessKind,
    AnalyticsKind,
    DeviceInfo,
    Enrollment,
    InvalidRequestError,
    Person,
    PersonList,
)


def env(message: dict[str, Any] | str) -> Envelope:
    """Decode a message as it would arrive over MQTT."""
    return decode_envelope(message if isinstance(message, str) else json.dumps(message))


# ============================================================================================
# Records: the document's examples and a captured camera (field notes §3.2)
# ============================================================================================

# Field notes §3.2: RecPush of camera 1026700 (2026 firmware), picture shortened, no scene.
CAPTURED_REC_PUSH = """{"operator":"RecPush","info":{"customId":"","personId":"3","RecordID":"2",
"VerifyStatus":"1","PersonType":"0","similarity1":"83.000000","Sendintime":1,
"personName":"Maria","facesluiceId":"1026700","idCard":"","telnum":" ",
"time":"2026-04-10 10:00:07","isNoMask":"1","PushType":0,
"targetPosInScene":[346,0,1572,1080],"pic":"data:image/jpeg;base64,/9j/4AAQ"}}"""


def test_captured_camera_record() -> None:
    """Strings for numbers, `customId` empty (web-enrolled: `personId` stands in), no mask."""
    record = record_from_rec_push(env(CAPTURED_REC_PUSH))

    assert record.kind is AccessKind.RECOGNIZED
    assert record.record_id == "2"
    assert record.key == "rec:2"
    assert record.person_id == "3"
    assert record.person_name == "Maria"
    assert record.similarity == 83.0
    assert record.mask is False
    assert record.temperature is None
    assert record.person_list is PersonList.ALLOW
    assert record.time == datetime(2026, 4, 10, 10, 0, 7)
    assert record.picture is not None
    assert record.picture.raw.startswith("data:image/jpeg;base64,/9j/")


def test_document_rec_push_on_the_block_list_with_mask() -> None:
    """Digest §4.1 example with `PersonType` 1: a block-listed person is denied."""
    message = {
        "operator": "RecPush",
        "info": {
            "customId": "063c81e0fce184c696cdb7e049230f5e",
            "personId": "22",
            "RecordID": "389",
            "VerifyStatus": "1",
            "PersonType": "1",
            "similarity1": "94.000000",
            "Sendintime": 1,
            "personName": "Lisa",
            "facesluiceId": "1006498",
            "idCard": " ",
            "telnum": "454545",
            "time": "2023-09-18 13:33:33",
            "isNoMask": "0",
            "PushType": 0,
            "targetPosInScene": [217, 0, 1333, 1080],
            "pic": "data:image/jpeg;base64,/9j/4AAQ",
            "scene": "data:image/jpeg;base64,/9j/4AAQ",
        },
    }
    record = record_from_rec_push(env(message))

    assert record.kind is AccessKind.DENIED
    assert record.reason == "block_list"
    assert record.person_list is PersonList.BLOCK
    assert record.mask is True
    assert record.similarity == 94.0


@pytest.mark.parametrize(
    ("status", "kind"),
    [("1", AccessKind.RECOGNIZED), ("2", AccessKind.DENIED), ("3", AccessKind.STRANGER)],
)
def test_verify_status(status: str, kind: AccessKind) -> None:
    """§6.1: 1 allow, 2 refuse, 3 not registered yet."""
    message = json.loads(CAPTURED_REC_PUSH)
    message["info"]["VerifyStatus"] = status
    assert record_from_rec_push(env(message)).kind is kind


def test_manual_push_record_is_historical_and_spells_the_name_persion() -> None:
    """§20 re-push (L1046-L1068): `PushType` 2, `persionName`, no scene or position."""
    message = {
        "operator": "RecPush",
        "info": {
            "customId": "A7",
            "personId": "5",
            "RecordID": "17",
            "VerifyStatus": "1",
            "PersonType": "0",
            "similarity1": "90.000000",
            "Sendintime": 0,
            "persionName": "张五",
            "facesluiceId": "1006498",
            "time": "2023-09-22 08:00:01",
            "isNoMask": "2",
            "PushType": 2,
            "pic": "data:image/jpeg;base64,/9j/4AAQ",
        },
    }
    record = record_from_rec_push(env(message))

    assert record.historical is True
    assert record.person_name == "张五"
    assert record.mask is False  # 2: not wearing, but the door lets them pass (§5 L1000)


def test_document_stranger_example() -> None:
    """Digest §4.2 StrSnapPush: `SnapID` as a string, no mask."""
    message = {
        "operator": "StrSnapPush",
        "info": {
            "facesluiceId": "1006498",
            "SnapID": "946",
            "time": "2023-09-18 12:00:30",
            "isNoMask": "1",
            "PushType": 0,
            "targetPosInScene": "[0,0,1161,1080]",  # field notes §3.3.8: once a string
            "pic": "data:image/jpeg;base64,Qk3m5QAA",
            "scene": "data:image/jpeg;base64,/9j/4AAQ",
        },
    }
    record = record_from_str_snap_push(env(message))

    assert record.kind is AccessKind.STRANGER
    assert record.key == "snap:946"
    assert record.mask is False
    assert record.picture is not None
    assert record.picture.raw.endswith("Qk3m5QAA")


def test_online_example_and_discovery_guess() -> None:
    """Digest §4.5 / field notes §3.2: a camera's factory name is `IPC<id>`."""
    online = env(
        '{"operator":"Online","info":{"facesluiceId":"1026700","username":"admin",'
        '"time":"2026-04-10 09:43:25","ip":"192.168.254.100","facesname":"IPC1026700"}}'
    )
    info = info_from_online(online)

    assert info == DeviceInfo(name="IPC1026700", ip="192.168.254.100")
    assert online.device_id == "1026700"
    assert variant_from_name(info.name) is CAMERA
    assert variant_from_name("ipc758732") is CAMERA  # §13-§19 examples: lower case
    assert variant_from_name("Face1") is FACE_TERMINAL
    assert variant_from_name("Front door") is None
    assert variant_from_name(None) is None


@pytest.mark.parametrize("key", ["facesluiceId", "facesluiceld", "facesluicId", "deviceId"])
def test_device_id_spellings(key: str) -> None:
    """Digest §8.2: every spelling of the device ID is read."""
    assert env({"operator": "HeartBeat", "info": {key: "1026700"}}).device_id == "1026700"


# ============================================================================================
# Invalid JSON of the document's examples (digest §8.1)
# ============================================================================================


def test_period_for_comma_and_comment_are_repaired() -> None:
    """The FireSmokeSnapPush example types periods for commas (L3588, L3593-L3595)."""
    text = """{
      "operator": "FireSmokeSnapPush".
      "info": {
        "deviceId": "005a213b000b93cc",
        "deviceName": "ipc758732",
        "time": "2022-09-28 17:18:40",
        "SnapOrRecordID": 1689962595.
        "fire": 1.
        "smoke": 2.
        /* the picture is optional */
        "pic": "data:image/jpeg;base64,Qk3m5QAA",
      }
    }"""
    event, acked = analytics_from(env(text))

    assert event.kind is AnalyticsKind.FIRE_SMOKE
    assert event.attributes == {"fire": "present", "smoke": "unsure"}
    assert event.record_id == "1689962595"
    assert acked is True


def test_repair_keeps_decimals() -> None:
    """A period inside a number is not a comma."""
    envelope = env('{"operator": "TemHighSnapPush". "info": {"message": [{"temperature": 32.5}]}}')
    assert envelope.fields["message"] == [{"temperature": 32.5}]


@pytest.mark.parametrize("text", ['{"operator": "x" . }', "[1, 2", "{'operator': 'Online'}"])
def test_unrepairable_text_is_refused(text: str) -> None:
    with pytest.raises(DecodeError):
        decode_envelope(text)


# ============================================================================================
# Analytics pushes (digest §4.23), one per operator
# ============================================================================================


def analytics(operator: str, **info: Any) -> tuple[Any, bool]:
    """Decode an analytics push with the given `info`."""
    return analytics_from(env({"operator": operator, "info": info}))


def test_behavior_tripwire_example() -> None:
    """§17.2 example: a human crossing a line left to right."""
    event, acked = analytics(
        "BehaviorSnapPush",
        deviceId="005a213b000b93cc",
        deviceName="ipc758732",
        time="2023-02-14 11:01:02",
        objectType=0,
        behaviourType=0,
        behaviourDirection=0,
        pic="data:image/jpeg;base64,/9j/4AAQ",
        scene="data:image/jpeg;base64,/9j/2BBQ",
    )

    assert event.kind is AnalyticsKind.TRIPWIRE
    assert event.attributes == {"object": "human", "direction": "left_to_right"}
    assert event.time == datetime(2023, 2, 14, 11, 1, 2)
    assert event.record_id is None
    assert acked is False
    assert event.picture.raw.endswith("/9j/4AAQ")  # the target picture first


def test_behavior_area_intrusion_in_american_spelling() -> None:
    """§25 spells `behaviorType`; both spellings are read (digest §8.2)."""
    event, _ = analytics(
        "BehaviorSnapPush",
        time="2023-02-14 11:01:02",
        objectType="1",
        behaviorType="1",
        behaviorDirection="2",
    )
    assert event.kind is AnalyticsKind.AREA_INTRUSION
    assert event.attributes == {"object": "vehicle", "direction": "enter"}


def test_behavior_of_an_undefined_type_is_kept() -> None:
    """A behaviour the document does not define is passed on, not dropped."""
    event, _ = analytics("BehaviorSnapPush", time="2023-02-14 11:01:02", behaviourType=7)
    assert event.kind is AnalyticsKind.BEHAVIOR
    assert event.attributes["behavior_type"] == 7


def test_kitchen_example_with_fields_outside_info() -> None:
    """§13 e.g.1: `targetPosInScene` outside `info`; §8.5 puts `pic` there too (L1320)."""
    text = """{
      "operator": "VisibleKitchenSnapPush",
      "info": {
        "deviceId": "1598787",
        "time": "2023-07-21 18:03:15",
        "snapOrRecordID": "1689962595",
        "targetType": "0",
        "alarmType": {"CookAlarmType": [1, 3]}
      },
      "pic": "data:image/jpeg;base64,/9j/4AAQ",
      "targetPosInScene": [956, 42, 1266, 914]
    }"""
    event, acked = analytics_from(env(text))

    assert event.kind is AnalyticsKind.KITCHEN
    assert event.attributes == {"target": "cook", "alarms": ["no_mask", "smoking"]}
    assert event.record_id == "1689962595"
    assert event.key == "visiblekitchensnappush:1689962595"
    assert acked is True
    assert event.picture is not None
    assert event.picture.raw.endswith("/9j/4AAQ")


def test_kitchen_animal_and_dumpster() -> None:
    """§13 e.g.2 and e.g.3: animals and objects; `scenePic` when there is no `pic`."""
    animal, _ = analytics(
        "VisibleKitchenSnapPush",
        time="2023-06-25 09:58:02",
        targetType=1,
        alarmType={"AnimalAlarmType": [2]},
        scenePic="data:image/jpeg;base64,/9j/SCENE",
    )
    dumpster, _ = analytics(
        "VisibleKitchenSnapPush",
        time="2023-06-25 09:59:23",
        targetType=2,
        alarmType={"ObjectAlarmType": [0]},
    )
    assert animal.attributes == {"target": "animal", "alarms": ["mouse"]}
    assert animal.picture is not None
    assert animal.picture.raw.endswith("SCENE")
    assert dumpster.attributes == {"target": "object", "alarms": ["uncovered_dumpster"]}


def test_thrown_object_example() -> None:
    """§14: no ID; the capture time is `snapTime`; start and end of the flight."""
    event, acked = analytics(
        "ParabolicSnapPush",
        deviceId="005a213b000b93cc",
        snapTime="2022-09-28 17:18:40",
        startTime="2022-09-28 17:18:38",
        endTime="2022-09-28 17:18:42",
        pic="data:image/jpeg;base64,Qk3m5QAA",
    )
    assert event.kind is AnalyticsKind.THROWN_OBJECT
    assert event.time == datetime(2022, 9, 28, 17, 18, 40)
    assert event.attributes == {
        "start_time": "2022-09-28T17:18:38",
        "end_time": "2022-09-28T17:18:42",
    }
    assert acked is False


def test_thermal_alarm_example() -> None:
    """§15 example: a hot spot of 32.5 °C in area 0, an early warning, no spark."""
    event, _ = analytics(
        "TemHighSnapPush",
        deviceId="005a213b000b93cc",
        snapTime="2023-02-14 11:01:02",
        sparkAlarm=0,
        message=[
            {
                "areaId": 0,
                "messageType": 0,
                "alarmType": 0,
                "temRise": 0,
                "durationTime": 30,
                "temRiseDuration": 5,
                "temperature": 32.5,
            }
        ],
        pic="data:image/jpeg;base64,Qk3m5QAA",
        tempic="data:image/jpeg;base64,Qk3m5QAB",
    )
    assert event.kind is AnalyticsKind.THERMAL_ALARM
    assert event.attributes == {
        "spark": False,
        "max_temperature": 32.5,
        "areas": [
            {
                "area_id": 0,
                "type": "temperature_monitoring",
                "level": "early_warning",
                "temperature_rising": False,
                "duration": 30,
                "rise_duration": 5,
                "temperature": 32.5,
            }
        ],
    }


def test_thermal_alarm_in_fahrenheit_and_spark_only() -> None:
    """§28: `tempeunit` 1 is °F (converted to °C); `sparkAlarm` 2 has no `message`."""
    fahrenheit, _ = analytics(
        "TemHighSnapPush",
        snapTime="2024-01-01 00:00:00",
        sparkAlarm="1",
        tempeunit="1",
        message=[{"areaId": "2", "alarmType": "1", "temRise": "1", "temperature": "212"}],
    )
    spark, _ = analytics("TemHighSnapPush", snapTime="2024-01-01 00:00:01", sparkAlarm=2)

    assert fahrenheit.attributes["max_temperature"] == 100.0
    assert fahrenheit.attributes["spark"] is True
    assert fahrenheit.attributes["areas"][0]["level"] == "alarm"
    assert fahrenheit.attributes["areas"][0]["temperature_rising"] is True
    assert spark.attributes == {"spark": True, "max_temperature": None, "areas": []}


def test_person_vehicle_capture_example() -> None:
    """§16: a motor vehicle with its plate."""
    event, acked = analytics(
        "FullStrSnapPush",
        deviceId="005a213b000b93cc",
        time="2023-02-14 11:01:02",
        objectType=2,
        objectAttr={"carplate": "YB888H9"},
        targetPosInScene=[628, 353, 1400, 906],
        pic="data:image/jpeg;base64,/9j/4AAQ",
    )
    assert event.kind is AnalyticsKind.PERSON_VEHICLE_CAPTURE
    assert event.attributes == {"object": "motor_vehicle", "plate": "YB888H9"}
    assert acked is False  # SnapID is not one of the generic records of §8.5


def test_leave_post_example() -> None:
    """§17.3: only a time and a picture."""
    event, _ = analytics(
        "LeaveSnapPush",
        deviceId="1006498",
        time="2023-10-19 09:21:13",
        pic="data:image/jpeg;base64,/9j/4AAQ",
    )
    assert event.kind is AnalyticsKind.LEAVE_POST
    assert event.attributes == {}


def test_helmet_example() -> None:
    """§18: helmet unsure, vest not worn; generic record acked with type 3."""
    event, acked = analytics(
        "ClothHelmetSnapPush",
        deviceId="800600",
        time="2023-09-18 11:19:37",
        SnapOrRecordID="6",
        helmet=2,
        reflectiveVest=1,
        scene="data:image/jpeg;base64,/9j/SCENE",
    )
    assert event.kind is AnalyticsKind.HELMET
    assert event.attributes == {"helmet": "unsure", "reflective_vest": "not_wearing"}
    assert acked is True
    assert event.picture is not None
    assert event.picture.raw.endswith("SCENE")


def test_region_count_example_with_the_extra_min_count() -> None:
    """§24: the example adds `minCount`, which the table lacks (digest §8.6)."""
    event, _ = analytics(
        "CountInRegionPush",
        deviceId="785730",
        time="2023-11-06T16:26:01",
        realtimeCount=3,
        averageCount="2",
        maxCount=5,
        minCount=0,
    )
    assert event.kind is AnalyticsKind.REGION_COUNT
    assert event.attributes == {"count": 3, "average_count": 2, "max_count": 5, "min_count": 0}
    assert event.time == datetime(2023, 11, 6, 16, 26, 1)


def test_vehicle_attributes_example() -> None:
    """§25 example (operator spelled `CatAttrSnapPush`, sic)."""
    event, _ = analytics(
        "CatAttrSnapPush",
        deviceId="18974",
        time="2023-12-19 18:12:23",
        objectType=1,
        behaviorType=0,
        behaviorDirection=1,
        carColor=6,
        carClass=2,
        carSpecial=0,
        carBackup=0,
        carViewpoint=0,
        carplateColor=2,
        carplateType=2,
        carplateFlag=1,
        carplate="浙 B00QS9",
    )
    assert event.kind is AnalyticsKind.VEHICLE_ATTRIBUTES
    assert event.attributes == {
        "direction": "right_to_left",
        "color": "white",
        "vehicle_type": "suv",
        "special": "none",
        "viewpoint": "none",
        "plate": "浙 B00QS9",
        "plate_color": "blue",
        "plate_type": 2,
    }


def test_undefined_enumeration_values_stay_numbers() -> None:
    """`carClass` 22 is undefined (digest §8.6): it is kept as 22, not guessed."""
    event, _ = analytics("CatAttrSnapPush", time="2023-12-19 18:12:23", carClass=22)
    assert event.attributes["vehicle_type"] == 22


def test_safe_riding_helmet_has_the_opposite_sense() -> None:
    """§26: `helmet` 0 means *not* wearing here, unlike §18 (digest §8.6)."""
    without, _ = analytics("SafetyRidePush", time="2023-12-27 16:11:54", helmet=0, plate="5000J")
    with_helmet, _ = analytics("SafetyRidePush", time="2023-12-27 16:11:55", helmet="1")
    assert without.kind is AnalyticsKind.SAFE_RIDING
    assert without.attributes == {"helmet": False, "plate": "5000J"}
    assert with_helmet.attributes == {"helmet": True, "plate": None}


def test_electric_bicycle_example_with_t_time() -> None:
    """§27: time with a `T` (L3954), `SnapOrRecordID` as a string, acked with type 3."""
    event, acked = analytics(
        "ElectricalBicycleSnapPush",
        deviceId="1001336",
        time="2024-06-24T09:56:15",
        SnapOrRecordID="250",
        pic="data:image/jpeg;base64,/9j/4AAQ",
    )
    assert event.kind is AnalyticsKind.ELECTRIC_BICYCLE
    assert event.time == datetime(2024, 6, 24, 9, 56, 15)
    assert event.key == "electricalbicyclesnappush:250"
    assert acked is True


def test_pushes_without_id_have_a_stable_key() -> None:
    """A re-sent copy has the same key; another detection in the same second does not."""
    first, _ = analytics("BehaviorSnapPush", time="2023-02-14 11:01:02", behaviourType=0)
    again, _ = analytics("BehaviorSnapPush", time="2023-02-14 11:01:02", behaviourType=0)
    other, _ = analytics(
        "BehaviorSnapPush", time="2023-02-14 11:01:02", behaviourType=0, behaviourDirection=1
    )
    assert first.key == again.key
    assert other.key != first.key


@pytest.mark.parametrize(
    "message",
    [
        {"operator": "LeaveSnapPush", "info": {"deviceId": "1006498"}},
        {"operator": "SomethingPush", "info": {"time": "2023-10-19 09:21:13"}},
    ],
    ids=["no-id-no-time", "unknown-operator"],
)
def test_analytics_about_nothing_is_refused(message: dict[str, Any]) -> None:
    with pytest.raises(DecodeError):
        analytics_from(env(message))


# ============================================================================================
# People (digest §4.7, §4.15)
# ============================================================================================


def enrollment(**changes: Any) -> Enrollment:
    """Return an enrolment of Lisa with a tiny photo."""
    values: dict[str, Any] = {"person_id": "A7", "name": "Lisa", "photo_jpeg": b"\xff\xd8\xff"}
    values.update(changes)
    return Enrollment(**values)


def test_camera_edit_person_always_sends_validity() -> None:
    """Digest §4.7: `tempValid`, `validBegin`, `validEnd`, `effectNumber` every time."""
    info = edit_person_info(enrollment(), CAMERA)

    assert info == {
        "customId": "A7",
        "name": "Lisa",
        "personType": 0,
        "pic": "data:image/jpeg;base64,/9j/",
        "tempValid": 0,
        "validBegin": "2000-01-01 00:00:00",
        "validEnd": "2099-12-31 23:59:59",
        "effectNumber": 65535,
    }


def test_camera_edit_person_temporary_block_list() -> None:
    info = edit_person_info(
        enrollment(
            person_list=PersonList.BLOCK,
            valid_from=datetime(2023, 11, 10),
            valid_until=datetime(2023, 12, 10),
        ),
        CAMERA,
    )
    assert info["personType"] == 1
    assert info["tempValid"] == 1
    assert (info["validBegin"], info["validEnd"]) == ("2023-11-10 00:00:00", "2023-12-10 00:00:00")


def test_camera_refuses_a_card_number() -> None:
    """Digest §9.2: the camera protocol has no card field."""
    with pytest.raises(InvalidRequestError, match="card_number"):
        edit_person_info(enrollment(card_number="12345"), CAMERA)


def test_camera_person_list_entry() -> None:
    """Digest §4.15 example: numbers as numbers, no card, no validity."""
    entry = {
        "LibID": 164,
        "personType": 0,
        "name": "123123",
        "gender": 1,
        "idCard": " ",
        "birthday": "1995-06-12",
        "telnum1": "zr10001-null",
        "address": " ",
        "customId": "427570782491643904",
    }
    assert person_from_list_entry(entry) == Person(
        person_id="427570782491643904", name="123123", person_list=PersonList.ALLOW
    )
