"""Tests of the HFSecurity MQTT codec (protocols/hfsecurity_mqtt/codec.py, pure functions).

The examples are the ones the digest `face_terminal_mqtt.md` rebuilt from the vendor document
face-terminal-mqtt-v1.24 (digest §4), the device captures of field notes §3.2, and the errata
of digest §8 (E4…E64) that the codec handles.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
import io
import json
from typing import Any

from PIL import Image
import pytest

from custom_components.face_access.protocols.hfsecurity_mqtt import (
    DecodeError,
    Envelope,
    ack_result,
    credential_from,
    decode_envelope,
    edit_person_info,
    id_matches,
    info_from_online,
    parse_time,
    person_from_list_entry,
    record_from_rec_push,
    record_from_str_snap_push,
)
from custom_components.face_access.protocols.images import picture_to_jpeg, sniff_format
from custom_components.face_access.protocols.model import (
    AccessKind,
    AccessRecord,
    CredentialKind,
    DeviceInfo,
    DeviceRefusedError,
    Enrollment,
    InvalidRequestError,
    Person,
    PersonList,
)

CUSTOM_ID = "063c81e0fce184c696cdb7e049230f5e"


def env(message: dict[str, Any] | str) -> Envelope:
    """Decode a message as it would arrive over MQTT."""
    return decode_envelope(message if isinstance(message, str) else json.dumps(message))


def rec(**info: Any) -> Envelope:
    """Return a RecPush envelope with the given info (and a time, unless it has an ID)."""
    if "RecordID" not in info:
        info.setdefault("time", "2026-11-21 10:00:07")
    return env({"operator": "RecPush", "info": info})


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    """Return a generated picture."""
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, format=fmt)
    return out.getvalue()


# ============================================================================================
# Examples of the vendor document (digest §4)
# ============================================================================================

REC_PUSH = {
    "operator": "RecPush",
    "info": {
        "customId": CUSTOM_ID,
        "personId": "41",
        "RecordID": 381,
        "VerifyStatus": 1,
        "PersonType": 0,
        "personName": "Zhang San",
        "facesluiceId": "1305433",
        "facesluiceName": "Face1",
        "similarity1": 93.5,
        "direction": "entr",
        "otype": "513",
        "cardNum2": "2",
        "time": "2018-03-07 14:01:01",
        "temperature": "36.53",
        "temperatureAlarm": "0",
        "PushType": 0,
        "pic": "data:image/jpeg;base64,/9j/4AAQSkZJRg...",
    },
}


def test_rec_push_example() -> None:
    """Digest §4.1: a whitelisted person recognised with a temperature reading."""
    envelope = env(REC_PUSH)
    assert envelope.operator == "RecPush"
    assert envelope.message_id is None
    assert envelope.device_id == "1305433"
    record = record_from_rec_push(envelope)
    assert record.kind is AccessKind.RECOGNIZED
    assert record.key == "rec:381"
    assert record.record_id == "381"
    assert record.time == datetime(2018, 3, 7, 14, 1, 1)
    assert record.person_id == CUSTOM_ID
    assert record.person_name == "Zhang San"
    assert record.similarity == 93.5
    assert record.temperature == 36.53
    assert record.temperature_alarm is False
    # otype 513 = 0x201, temperature + whitelist: no mask check happened.
    assert record.mask is None
    assert record.person_list is PersonList.ALLOW
    assert record.reason is None
    assert record.historical is False
    assert record.picture is not None
    assert record.picture.raw == "data:image/jpeg;base64,/9j/4AAQSkZJRg..."


# The vendor's own e.g. G.1 (L1361-1379) with its one invalid token (`"Persistname": Zhang San`)
# quoted: a duplicated `otype`, a trailing space in customId, and a JPEG without its leading `/`.
VENDOR_REC_PUSH = """{
    "operator": "RecPush",
    "info":
    {
        "customId": "063c81e0fce184c696cdb7e049230f5e ",
        "personId": "41",
        "direction": "entr",
        "otype": "1",
        "Persistname": "Zhang San",
        "facesluiceId": "1305433",
        "facesluiceName": "Face1",
        "cardNum2": "2",
        "time": "2018-03-07 14:01:01",
        "pic": "data:image/jpeg;base64,%s",
        "otype": "1",
        "temperature": "36.53",
        "temperatureAlarm": "0"
    }
}"""


def test_rec_push_vendor_example_without_record_id() -> None:
    jpeg = image_bytes("JPEG")
    record = record_from_rec_push(env(VENDOR_REC_PUSH % base64.b64encode(jpeg).decode()[1:]))
    assert record.kind is AccessKind.RECOGNIZED
    assert record.person_id == CUSTOM_ID  # the trailing space is not part of the ID
    assert record.person_name == "Zhang San"
    assert record.record_id is None
    # Without a RecordID the key falls back to time, person and otype (digest §7.4).
    assert record.key == f"rec:2018-03-07 14:01:01:{CUSTOM_ID}:1"
    assert record.temperature == 36.53
    assert record.picture is not None
    assert picture_to_jpeg(record.picture) == jpeg


def test_str_snap_push_example_with_bmp_picture() -> None:
    """Digest §4.2; both document examples carry BMP under a JPEG label (E25)."""
    bmp = image_bytes("BMP")
    message = {
        "operator": "StrSnapPush",
        "info": {
            "SnapID": 311,
            "facesluiceId": "1305433",
            "facesluiceName": "Face1",
            "direction": "exit",
            "time": "2019-11-28 11:26:40",
            "temperature": "36.53",
            "temperatureAlarm": "0",
            "pic": "data:image/jpeg;base64," + base64.b64encode(bmp).decode(),
        },
    }
    envelope = env(message)
    assert envelope.device_id == "1305433"
    record = record_from_str_snap_push(envelope)
    assert record.kind is AccessKind.STRANGER
    assert record.key == "snap:311"
    assert record.record_id == "311"
    assert record.time == datetime(2019, 11, 28, 11, 26, 40)
    assert record.person_id is None
    assert record.person_name is None
    assert record.temperature == 36.53
    assert record.temperature_alarm is False
    assert record.mask is None
    assert record.historical is False
    assert record.picture is not None
    assert record.picture.raw.startswith("data:image/jpeg;base64,Qk")
    jpeg = picture_to_jpeg(record.picture)
    assert sniff_format(jpeg) == "jpeg"
    assert Image.open(io.BytesIO(jpeg)).size == (40, 30)


def test_str_snap_push_with_temperature_alarm_and_replay() -> None:
    record = record_from_str_snap_push(
        env(
            {
                "operator": "StrSnapPush",
                "info": {"SnapID": "7", "temperature": 38.2, "temperatureAlarm": 1, "PushType": 2},
            }
        )
    )
    assert record.temperature == 38.2
    assert record.temperature_alarm is True
    assert record.historical is True


def test_online_example() -> None:
    """Digest §4.4: the device's name and IP come from `Online`."""
    envelope = env(
        {
            "operator": "Online",
            "info": {
                "facesluiceId": "1305433",
                "username": "admin",
                "time": "2020-05-12 15:11:10",
                "ip": "172.168.2.202",
                "facesname": "Face1",
            },
        }
    )
    assert envelope.operator == "Online"
    assert envelope.device_id == "1305433"
    assert info_from_online(envelope) == DeviceInfo(name="Face1", ip="172.168.2.202")


def test_online_without_details() -> None:
    envelope = env({"operator": "Online", "info": {"facesluiceId": "1305433", "ip": " "}})
    assert info_from_online(envelope) == DeviceInfo()


def test_offline_example() -> None:
    envelope = env({"operator": "Offline", "info": {"facesluiceId": "1305433"}})
    assert envelope.operator == "Offline"
    assert envelope.device_id == "1305433"
    assert envelope.message_id is None


def test_heartbeat_example() -> None:
    envelope = env(
        {
            "operator": "HeartBeat",
            "info": {"facesluiceId": "1306612", "time": "2020-05-10 19:43:34"},
        }
    )
    assert envelope.operator == "HeartBeat"
    assert envelope.device_id == "1306612"


def test_qr_code_push_example() -> None:
    event = credential_from(
        env(
            {
                "operator": "QRCodePush",
                "info": {
                    "facesluiceId": "1326491",
                    "facesluiceName": "Face1",
                    "QRCodeInfo": "https://u.wechat.com/123456ABCD",
                    "time": "2020-04-24 20:52:51",
                },
            }
        )
    )
    assert event is not None
    assert event.kind is CredentialKind.QR_CODE
    assert event.qr_data == "https://u.wechat.com/123456ABCD"
    assert event.time == datetime(2020, 4, 24, 20, 52, 51)
    assert event.card_number is None


CARD_INFO = {"CardMode": "1", "Endian": "1", "CardNum": "86664719"}


@pytest.mark.parametrize(
    "card_info",
    [CARD_INFO, json.dumps(CARD_INFO), '{"cardnum": 86664719}', "86664719"],
    ids=["object", "json-string", "number-lower-case", "bare-string"],
)
def test_card_push_example(card_info: Any) -> None:
    """Digest §4.18; `CardInfo` is typed String but is an object (E47): accept both."""
    event = credential_from(
        env(
            {
                "operator": "CardPush",
                "info": {
                    "facesluiceId": "1306612",
                    "facesluiceName": "Face1",
                    "time": "2020-11-20 14:28:32",
                    "CardInfo": card_info,
                },
            }
        )
    )
    assert event is not None
    assert event.kind is CredentialKind.CARD
    assert event.card_number == "86664719"
    assert event.time == datetime(2020, 11, 20, 14, 28, 32)
    assert event.qr_data is None


def test_card_push_without_card_info() -> None:
    event = credential_from(env({"operator": "CardPush", "info": {"facesluiceId": "1"}}))
    assert event is not None
    assert event.kind is CredentialKind.CARD
    assert event.card_number is None


ID_CARD_FIELDS = {
    "IDCard_Idno": "421126198702054321",
    "IDCard_Name": "Li Mou",
    "IDCard_Gender": 0,
    "IDCard_Nation": 1,
    "IDCard_Birthday": "1984-12-11",
    "IDCard_Address": "Qichun County, Hubei Province",
    "IDCard_Idissue": "Public Security Bureau of Qichun county",
    "IDCard_Idperiod": "20090828-20190828",
}
ID_PHOTO = "data:image/jpeg;base64,/9j/4AAQIDCARDPHOTO"


@pytest.mark.parametrize(
    "info",
    [
        # The example (L3567-3577): nested in IDCardInfo, `IDCard_Photo`.
        {
            "facesluiceId": "1326491",
            "facesluiceName": "Face1",
            "time": "2020-10-13 15:00:38",
            "IDCardInfo": {**ID_CARD_FIELDS, "IDCard_Photo": ID_PHOTO},
        },
        # The table (L3547-3555): flat under info, `IDCard_photo`.
        {
            "facesluiceId": "1326491",
            "facesluiceName": "Face1",
            "time": "2020-10-13 15:00:38",
            **ID_CARD_FIELDS,
            "IDCard_photo": ID_PHOTO,
        },
    ],
    ids=["nested", "flat"],
)
def test_id_card_push_keeps_personal_data_out(info: dict[str, Any]) -> None:
    event = credential_from(env({"operator": "IDCardPush", "info": info}))
    assert event is not None
    assert event.kind is CredentialKind.ID_CARD
    assert event.time == datetime(2020, 10, 13, 15, 0, 38)
    assert event.card_number is None
    assert event.qr_data is None
    shown = repr(event)
    for secret in ("421126198702054321", "Li Mou", "Qichun", "1984-12-11", "IDCARDPHOTO"):
        assert secret not in shown


# ---- acks of the document's examples --------------------------------------------------------

ACK_EXAMPLES = {
    "EditPerson-Ack": {
        "messageId": "ha-editperson-0001",
        "operator": "EditPerson-Ack",
        "info": {
            "facesluiceId": "1305433",
            "personId": "41",
            "customId": CUSTOM_ID,
            "result": "ok",
            "detail": "",
        },
    },
    "DeletePersons-Ack": {
        "messageId": "ha-delpersons-0001",
        "operator": "DeletePersons-Ack",
        "info": {
            "facesluiceId": "1306612",
            "DelErrNum": "1",
            "DelSucNum": "1",
            "DelErrInfo": [{"customId": "063c81e0fce184c696cdb7e049230f5e23dfqwxc230000"}],
            "DelSucInfo": [{"customId": "063c81e0fce184c696cdb7e049230f5e23dfqwxc230001"}],
            "result": "ok",
        },
    },
    "DeleteAllPerson-Ack": {
        "messageId": "ha-delall-0001",
        "operator": "DeleteAllPerson-Ack",
        "info": {"facesluiceId": "1305433", "result": "ok"},
    },
    "Versions-Ack": {
        "messageId": "ha-versions-0001",
        "operator": "Versions-Ack",
        "info": {
            "facesluiceId": "1305433",
            "name": "v12.5.6L3M1-1.0.6.9 Beta",
            "buildtime": "2019-12-02/10:46:05",
            "result": "ok",
        },
    },
    "SetSysTime-Ack": {
        "messageId": "ha-settime-0001",
        "operator": "SetSysTime-Ack",
        "info": {"facesluiceId": "1306612", "result": "ok"},
    },
    "Unlock-Ack": {
        "messageId": "ha-unlock-0001",
        "operator": "Unlock-Ack",
        "info": {"uid": "00021", "facesluiceId": "0001", "result": "ok"},
    },
}


@pytest.mark.parametrize("name", sorted(ACK_EXAMPLES))
def test_ack_examples_are_successes(name: str) -> None:
    message = ACK_EXAMPLES[name]
    envelope = env(message)
    assert envelope.operator == name
    assert envelope.message_id == message["messageId"]
    ack_result(envelope)  # does not raise


def test_ack_example_fields_are_readable() -> None:
    assert env(ACK_EXAMPLES["EditPerson-Ack"]).fields["personid"] == "41"
    assert env(ACK_EXAMPLES["DeletePersons-Ack"]).fields["delsucnum"] == "1"
    assert env(ACK_EXAMPLES["Versions-Ack"]).fields["name"] == "v12.5.6L3M1-1.0.6.9 Beta"


SEARCH_PERSON_LIST_ACK = {
    "messageId": "ha-list-0001",
    "operator": "SearchPersonList-Ack",
    "info": {
        "facesluiceId": "1326491",
        "TotalPersonNum": 1,
        "PersonNum": 1,
        "List": [
            {
                "LibID": 1,
                "personType": 0,
                "name": "zstest",
                "gender": 0,
                "nation": 1,
                "cardType": 0,
                "idCard": "421381199504030001",
                "birthday": "1995-06-12",
                "telnum1": "18888888888",
                "native": "sz",
                "address": " ",
                "notes": " ",
                "cardType2": 0,
                "cardNum2": 1,
                "RFIDCard": "0",
                "tempCardType": 0,
                "customId": CUSTOM_ID,
                "cardValidBegin": "0000-00-00 00:00:00",
                "cardValidEnd": "0000-00-00 00:00:00",
            }
        ],
    },
}


def test_search_person_list_ack_example() -> None:
    envelope = env(SEARCH_PERSON_LIST_ACK)
    ack_result(envelope)
    assert envelope.fields["totalpersonnum"] == 1
    people = [person_from_list_entry(entry) for entry in envelope.fields["list"]]
    # RFIDCard "0" is no card, and cardNum2 1 is the public Wiegand number (cardType2 0),
    # not a card of this person.
    assert people == [Person(person_id=CUSTOM_ID, name="zstest", person_list=PersonList.ALLOW)]


# ---- failures -------------------------------------------------------------------------------


def test_fail_ack_raises_with_detail_and_top_level_code() -> None:
    envelope = env(
        {
            "messageId": "m1",
            "operator": "DelPerson-Ack",
            "code": "464",
            "info": {"result": "fail", "detail": "can't find customId's person"},
        }
    )
    with pytest.raises(DeviceRefusedError) as err:
        ack_result(envelope)
    assert err.value.reason == "can't find customId's person"
    assert err.value.code == "464"
    assert "464" in str(err.value)


def test_fail_ack_with_code_in_info_and_no_detail() -> None:
    envelope = env({"operator": "EditPerson-Ack", "info": {"result": "fail", "code": 467}})
    with pytest.raises(DeviceRefusedError) as err:
        ack_result(envelope)
    assert err.value.code == "467"
    assert err.value.reason  # our own text, never empty


@pytest.mark.parametrize(
    ("info", "top", "ok"),
    [
        ({"result": "ok"}, {}, True),
        ({"result": "OK"}, {}, True),  # E59: §9 tables write "OK"
        ({"result": "Ok "}, {}, True),
        ({"result": "fail"}, {}, False),
        ({"result": "failure"}, {}, False),  # E59: §9 tables write "failure"
        ({"result": "FAIL"}, {}, False),
        ({}, {"result": "ok"}, True),  # `result` outside info (E17)
        ({}, {"code": "200"}, True),  # no result: the code decides
        ({}, {"code": 200}, True),
        ({}, {"code": "464"}, False),
        ({"result": "fail"}, {"code": "200"}, False),  # `result` is the authority
    ],
)
def test_ack_result_variants(info: dict[str, Any], top: dict[str, Any], ok: bool) -> None:
    envelope = env({"messageId": "m", "operator": "Unlock-Ack", **top, "info": info})
    if ok:
        ack_result(envelope)
    else:
        with pytest.raises(DeviceRefusedError):
            ack_result(envelope)


# ============================================================================================
# Real-device shapes (field notes §3.2)
# ============================================================================================

TERMINAL_CAPTURE = """{"operator":"RecPush","info":{"customId":"E012","personId":"191",
"RecordID":"3","VerifyStatus":"1","PersonType":"0","similarity1":"96.800003",
"similarity2":"0.000000","Sendintime":0,"direction":"entr","otype":"1",
"persionName":"Emma Lind","facesluiceId":"1973262","facesluiceName":"Face1","idCard":" ",
"telnum":" ","left":"402","top":"266","right":"620","bottom":"544",
"time":"2024-03-19 08:12:55","PushType":"0","OpendoorWay":"0","cardNum2":"1","RFIDCard":"0",
"szQrCodeData":"","isNoMask":"0","dwFileIndex":"0","dwFilePos":"40697856",
"pic":"data:image/jpeg;base64,/9j/4AAQ"}}"""


def test_terminal_capture() -> None:
    envelope = env(TERMINAL_CAPTURE)
    assert envelope.device_id == "1973262"
    record = record_from_rec_push(envelope)
    assert record.kind is AccessKind.RECOGNIZED
    assert record.key == "rec:3"
    assert record.record_id == "3"
    assert record.person_id == "E012"
    assert record.person_name == "Emma Lind"
    assert record.similarity == 96.8
    assert record.time == datetime(2024, 3, 19, 8, 12, 55)
    assert record.mask is True  # isNoMask "0": mask on
    assert record.person_list is PersonList.ALLOW
    assert record.historical is False  # PushType "0" as a string
    assert record.temperature is None
    assert record.temperature_alarm is None


CAMERA_CAPTURE = {
    "operator": "RecPush",
    "info": {
        "customId": "",
        "personId": "3",
        "RecordID": "2",
        "VerifyStatus": "1",
        "PersonType": "0",
        "similarity1": "83.000000",
        "Sendintime": 1,
        "personName": "Ana Reyes",
        "facesluiceId": "1026700",
        "idCard": "",
        "telnum": " ",
        "time": "2026-04-10 10:00:07",
        "isNoMask": "1",
        "PushType": 0,
        "targetPosInScene": [346, 0, 1572, 1080],
        "pic": "data:image/jpeg;base64,/9j/4AAQ",
    },
}


def test_camera_capture() -> None:
    envelope = env(CAMERA_CAPTURE)
    assert envelope.device_id == "1026700"
    record = record_from_rec_push(envelope)
    assert record.kind is AccessKind.RECOGNIZED
    assert record.key == "rec:2"
    # customId "" (enrolled on the device's web page): the device's personId stands in (E64).
    assert record.person_id == "3"
    assert record.person_name == "Ana Reyes"
    assert record.similarity == 83.0
    assert record.time == datetime(2026, 4, 10, 10, 0, 7)
    assert record.mask is False  # isNoMask "1": no mask
    assert record.historical is False  # PushType 0 as an int


def test_batch_ack_capture_with_string_code() -> None:
    """Field notes §3.2: `code` "200" and `result` "ok" although one person failed."""
    envelope = env(
        {
            "messageId": "AddPersonsList20250405121917558",
            "operator": "AddPersons-Ack",
            "code": "200",
            "info": {
                "facesluiceId": "1001001",
                "AddErrNum": "1",
                "AddSucNum": "0",
                "AddErrInfo": [{"customId": "S-1", "errcode": "466"}],
                "AddSucInfo": [],
                "result": "ok",
            },
        }
    )
    assert envelope.message_id == "AddPersonsList20250405121917558"
    assert envelope.device_id == "1001001"
    assert envelope.top["code"] == "200"
    ack_result(envelope)  # the command as a whole succeeded


# ============================================================================================
# Errata (digest §8)
# ============================================================================================


@pytest.mark.parametrize("key", ["personName", "persionName", "Persistname", "name", "Name"])
def test_e4_name_spellings(key: str) -> None:
    record = record_from_rec_push(rec(RecordID="1", VerifyStatus="1", customId="P1", **{key: "Jo"}))
    assert record.person_name == "Jo"


def test_e4_first_non_blank_name_wins() -> None:
    record = record_from_rec_push(rec(VerifyStatus=1, personName=" ", persionName="Jo"))
    assert record.person_name == "Jo"


@pytest.mark.parametrize("key", ["personid", "personId", "persOnId", "PersonID"])
def test_e5_person_id_spellings(key: str) -> None:
    record = record_from_rec_push(rec(RecordID="1", VerifyStatus=1, customId=" ", **{key: "41"}))
    assert record.person_id == "41"


@pytest.mark.parametrize(
    "key",
    ["facesluiceId", "facesIuicId", "facesluicId", "facesluiceld", "faceluiceid", "FacesluiceID"],
)
def test_e6_device_id_key_spellings(key: str) -> None:
    envelope = env({"operator": "HeartBeat", "info": {"facesluiceName": "Face1", key: "1305433"}})
    assert envelope.device_id == "1305433"


def test_e6_device_id_as_number() -> None:
    assert env({"operator": "Online", "info": {"facesluiceId": 1305433}}).device_id == "1305433"


def test_device_id_absent() -> None:
    assert env({"operator": "HeartBeat", "info": {"facesluiceName": "Face1"}}).device_id is None


@pytest.mark.parametrize(
    ("reported", "device_id", "matches"),
    [
        ("1305433", "1305433", True),
        ("2581924_ipobexa", "2581924", True),
        ("x@@@1305433", "1305433", True),
        ("1305433@@@x", "1305433", True),
        ("13054330", "1305433", False),
        ("1305433x", "1305433", False),
        ("25819240_ipobexa", "2581924", False),
        ("x@@@13054330", "1305433", False),
        ("", "1305433", False),
        (None, "1305433", False),
    ],
)
def test_e6_decorated_device_ids(reported: str | None, device_id: str, matches: bool) -> None:
    assert id_matches(reported, device_id) is matches


@pytest.mark.parametrize(("first", "last", "mask"), [("1", "257", True), ("257", "1", None)])
def test_e8_duplicated_otype_last_wins(first: str, last: str, mask: bool | None) -> None:
    text = (
        '{"operator": "RecPush", "info": {"RecordID": "9", "VerifyStatus": "1", '
        f'"otype": "{first}", "time": "2020-01-01 00:00:00", "otype": "{last}"}}}}'
    )
    assert record_from_rec_push(env(text)).mask is mask


def test_e9_numbers_as_strings() -> None:
    record = record_from_rec_push(
        rec(
            RecordID="381",
            VerifyStatus="2",
            PersonType="0",
            similarity1="96.800003",
            temperature=" 37.80 ",
            temperatureAlarm="1",
            PushType="2",
            otype="257",
        )
    )
    assert record.record_id == "381"
    assert record.kind is AccessKind.DENIED
    assert record.similarity == 96.8
    assert record.temperature == 37.8
    assert record.temperature_alarm is True
    assert record.historical is True


@pytest.mark.parametrize(
    ("fields", "similarity", "temperature"),
    [
        ({"similarity1": "abc", "temperature": "n/a"}, None, None),
        ({"similarity1": 101, "temperature": 0}, None, None),
        ({"similarity1": -1, "temperature": "0.00"}, None, None),
        ({"similarity1": True, "temperature": [36.5]}, None, None),
        ({"similarity1": 0, "temperature": 36}, 0.0, 36.0),
    ],
)
def test_numbers_that_make_no_sense_are_dropped(
    fields: dict[str, Any], similarity: float | None, temperature: float | None
) -> None:
    record = record_from_rec_push(rec(RecordID="1", VerifyStatus=1, **fields))
    assert record.similarity == similarity
    assert record.temperature == temperature


def test_e25_bmp_labelled_jpeg_in_a_record() -> None:
    bmp = image_bytes("BMP", (24, 18))
    pic = "data:image/jpeg;base64," + base64.b64encode(bmp).decode()
    record = record_from_rec_push(rec(RecordID="1", VerifyStatus=1, pic=pic))
    assert record.picture is not None
    jpeg = picture_to_jpeg(record.picture)
    assert sniff_format(jpeg) == "jpeg"
    assert Image.open(io.BytesIO(jpeg)).size == (24, 18)


def test_e25_jpeg_missing_its_leading_slash_in_a_record() -> None:
    jpeg = image_bytes("JPEG")
    pic = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()[1:]
    assert pic.startswith("data:image/jpeg;base64,9j/")
    record = record_from_rec_push(rec(RecordID="1", VerifyStatus=1, pic=pic))
    assert record.picture is not None
    assert picture_to_jpeg(record.picture) == jpeg


@pytest.mark.parametrize("pic", [None, "", "  ", 42, {"data": "x"}])
def test_record_without_usable_picture(pic: Any) -> None:
    assert record_from_rec_push(rec(RecordID="1", VerifyStatus=1, pic=pic)).picture is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-4-2T18:59:54", datetime(2020, 4, 2, 18, 59, 54)),  # E33
        ("2020-04-01T09:10:00", datetime(2020, 4, 1, 9, 10)),
        ("2018-03-07 14:01:01", datetime(2018, 3, 7, 14, 1, 1)),
        ("2020-07-28T6:00:00", datetime(2020, 7, 28, 6, 0)),
        ("2020-1-3 18:11:40", datetime(2020, 1, 3, 18, 11, 40)),
        ("2020-04-01TT09-10-00", datetime(2020, 4, 1, 9, 10)),  # the table's YYYY-MM-DDTThh-mm-ss
        (" 2019-09-30T09:13:48 ", datetime(2019, 9, 30, 9, 13, 48)),
        ("0000-00-00 00:00:00", None),
        ("2020-13-01 00:00:00", None),
        ("2020-02-30 00:00:00", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        (1586000000, None),
    ],
)
def test_e33_lenient_times(text: Any, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_e33_record_time_without_padding() -> None:
    record = record_from_rec_push(rec(RecordID="1", VerifyStatus=1, time="2020-4-2T18:59:54"))
    assert record.time == datetime(2020, 4, 2, 18, 59, 54)


def test_e37_numeric_message_id() -> None:
    envelope = env(
        {
            "messageId": 10201,
            "operator": "Online-Ack",
            "info": {"facesluiceId": "1305433", "result": "ok", "detail": ""},
        }
    )
    assert envelope.message_id == "10201"


@pytest.mark.parametrize("blank", ["", " ", None])
def test_e64_blank_custom_id_falls_back_to_person_id(blank: str | None) -> None:
    record = record_from_rec_push(
        rec(RecordID="1", VerifyStatus="1", customId=blank, personId="41")
    )
    assert record.person_id == "41"


def test_custom_id_preferred_over_person_id() -> None:
    record = record_from_rec_push(rec(RecordID="1", VerifyStatus=1, customId="E012", personId="9"))
    assert record.person_id == "E012"


# ---- JSON tolerance -------------------------------------------------------------------------


def test_trailing_commas_are_accepted() -> None:
    text = (
        '{"operator": "HeartBeat", "info": {"facesluiceId": "1305433", '
        '"time": "2020-05-10 19:43:34",},}'
    )
    envelope = env(text)
    assert envelope.operator == "HeartBeat"
    assert envelope.device_id == "1305433"


def test_trailing_comma_in_an_array() -> None:
    envelope = env('{"operator": "CardPush", "info": {"list": [1, 2,], "CardInfo": "5",}}')
    assert envelope.fields["list"] == [1, 2]


def test_bytes_payload_and_operator_whitespace() -> None:
    payload = json.dumps({"operator": " RecPush ", "info": {"RecordID": 1}}).encode()
    envelope = decode_envelope(payload)
    assert envelope.operator == "RecPush"
    assert envelope.fields == {"recordid": 1}


def test_info_that_is_not_an_object_is_empty() -> None:
    envelope = env({"operator": "EditPersonsNew", "info": [{"customId": "a"}]})
    assert envelope.fields == {}


@pytest.mark.parametrize(
    "payload",
    [
        "not json at all, Zhang San",
        '{"operator": "RecPush", "info": {"personName": "Zhang San"',
        "[1, 2, 3]",
        '"RecPush"',
        '{"info": {"personName": "Zhang San"}}',
        '{"operator": "", "info": {}}',
        '{"operator": 5, "info": {}}',
        b"\xff\xfe\x00garbage",
        "[" * 100_000 + "]" * 100_000,  # hostile nesting must not crash the parser
    ],
)
def test_undecodable_payloads(payload: str | bytes) -> None:
    with pytest.raises(DecodeError) as err:
        decode_envelope(payload)
    assert "Zhang" not in str(err.value)


# ---- mask -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "mask"),
    [
        ({"isNoMask": "0"}, True),
        ({"isNoMask": "1"}, False),
        ({"isNoMask": 0}, True),
        ({"isNoMask": 1}, False),
        ({"isNoMask": "1", "otype": "257"}, False),  # isNoMask is authoritative
        ({"isNoMask": "2"}, False),  # no mask, passage allowed (camera §5 L1000)
        ({"otype": "257", "VerifyStatus": "1"}, True),  # 0x101: mask + whitelist, a pass
        ({"otype": 256, "VerifyStatus": 1}, True),
        ({"otype": "769", "VerifyStatus": "1"}, True),  # 0x301: mask + temperature
        ({"otype": "257", "VerifyStatus": "2"}, None),  # refused: says nothing about a mask
        ({"otype": "257", "VerifyStatus": "3"}, None),
        ({"otype": "513", "VerifyStatus": "1"}, None),  # 0x201: temperature only
        ({"otype": "1", "VerifyStatus": "1"}, None),
        ({"VerifyStatus": "1"}, None),
    ],
)
def test_mask_decoding(fields: dict[str, Any], mask: bool | None) -> None:
    fields.setdefault("VerifyStatus", "1")
    assert record_from_rec_push(rec(RecordID="1", **fields)).mask is mask


@pytest.mark.parametrize(
    ("fields", "mask"),
    [({"isNoMask": "1"}, False), ({"isNoMask": "0"}, True), ({"otype": "257"}, None)],
)
def test_mask_on_stranger_snapshots(fields: dict[str, Any], mask: bool | None) -> None:
    envelope = env({"operator": "StrSnapPush", "info": {"SnapID": "1", **fields}})
    assert record_from_str_snap_push(envelope).mask is mask


# ---- verification outcome -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "person_type", "kind", "reason", "person_list"),
    [
        ("1", "0", AccessKind.RECOGNIZED, None, PersonList.ALLOW),
        (1, None, AccessKind.RECOGNIZED, None, None),
        ("2", "0", AccessKind.DENIED, "refused", PersonList.ALLOW),
        ("24", "0", AccessKind.DENIED, "no_permission", PersonList.ALLOW),
        ("1", "1", AccessKind.DENIED, "block_list", PersonList.BLOCK),
        (1, 1, AccessKind.DENIED, "block_list", PersonList.BLOCK),
        ("2", "1", AccessKind.DENIED, "refused", PersonList.BLOCK),
        ("3", "0", AccessKind.STRANGER, None, None),
    ],
)
def test_verify_status_and_person_type(
    status: Any,
    person_type: Any,
    kind: AccessKind,
    reason: str | None,
    person_list: PersonList | None,
) -> None:
    record = record_from_rec_push(
        rec(
            RecordID="5",
            VerifyStatus=status,
            PersonType=person_type,
            customId="P1",
            personName="Jo",
        )
    )
    assert record.kind is kind
    assert record.reason == reason
    assert record.person_list is person_list
    if kind is AccessKind.STRANGER:
        # "Not yet registered": whatever the device filled in is nobody's identity.
        assert record.person_id is None
        assert record.person_name is None
    else:
        assert record.person_id == "P1"
        assert record.person_name == "Jo"


@pytest.mark.parametrize(
    ("push_type", "historical"), [(2, True), ("2", True), (0, False), ("1", False), (None, False)]
)
def test_push_type_2_is_historical(push_type: Any, historical: bool) -> None:
    record = record_from_rec_push(rec(RecordID="1", VerifyStatus=1, PushType=push_type))
    assert record.historical is historical


def test_record_key_is_stable_across_resends() -> None:
    first = record_from_rec_push(env(REC_PUSH))
    again = record_from_rec_push(env(json.dumps(REC_PUSH)))
    other = record_from_rec_push(rec(RecordID=382, VerifyStatus=1))
    assert first.key == again.key
    assert first.key != other.key


# ============================================================================================
# Outbound: EditPerson (§4.1)
# ============================================================================================

PHOTO = b"\xff\xd8\xff\xe0 a photo"


def enrollment(**changes: Any) -> Enrollment:
    """Return a valid enrolment with `changes` applied."""
    values: dict[str, Any] = {"person_id": CUSTOM_ID, "name": "Zhang San", "photo_jpeg": PHOTO}
    values.update(changes)
    return Enrollment(**values)


def test_edit_person_info_basic() -> None:
    info = edit_person_info(enrollment())
    assert info["customId"] == CUSTOM_ID
    assert info["name"] == "Zhang San"
    assert info["personType"] == 0
    assert info["tempCardType"] == 0
    assert info["pic"] == "data:image/jpeg;base64," + base64.b64encode(PHOTO).decode()
    for absent in ("RFIDCard", "RFCardMode", "cardValidBegin", "cardValidEnd"):
        assert absent not in info
    # It travels as JSON.
    assert json.loads(json.dumps(info)) == info


def test_edit_person_info_block_list() -> None:
    assert edit_person_info(enrollment(person_list=PersonList.BLOCK))["personType"] == 1


def test_edit_person_info_validity_period() -> None:
    info = edit_person_info(
        enrollment(valid_from=datetime(2020, 4, 18), valid_until=datetime(2020, 12, 20, 23, 59, 59))
    )
    assert info["tempCardType"] == 1
    assert info["cardValidBegin"] == "2020-04-18 00:00:00"
    assert info["cardValidEnd"] == "2020-12-20 23:59:59"


def test_edit_person_info_open_ended_validity() -> None:
    only_end = edit_person_info(enrollment(valid_until=datetime(2030, 1, 2, 3, 4, 5)))
    assert only_end["tempCardType"] == 1
    assert only_end["cardValidBegin"] == "2000-01-01 00:00:00"
    assert only_end["cardValidEnd"] == "2030-01-02 03:04:05"
    only_start = edit_person_info(enrollment(valid_from=datetime(2025, 6, 7, 8, 9, 10)))
    assert only_start["cardValidBegin"] == "2025-06-07 08:09:10"
    assert only_start["cardValidEnd"] == "2099-12-31 23:59:59"


@pytest.mark.parametrize(
    ("card", "sent", "mode"),
    [
        ("1369406761", "1369406761", 0),  # the decimal example, 10 characters
        ("519f7d29", "519f7d29", 1),  # the hex example
        (" 86664719 ", "86664719", 0),
        ("ABCDEF", "ABCDEF", 1),
    ],
)
def test_edit_person_info_card_number(card: str, sent: str, mode: int) -> None:
    info = edit_person_info(enrollment(card_number=card))
    assert info["RFIDCard"] == sent
    assert info["RFCardMode"] == mode


@pytest.mark.parametrize("card", ["", "   ", "12345678901", "12-34", "0x1234", "１２３", "12 34"])
def test_edit_person_info_rejects_bad_card_numbers(card: str) -> None:
    with pytest.raises(InvalidRequestError, match="card_number"):
        edit_person_info(enrollment(card_number=card))


def test_edit_person_info_custom_id_limit() -> None:
    assert edit_person_info(enrollment(person_id="a" * 47))["customId"] == "a" * 47
    for person_id in ("a" * 48, "é" * 24, ""):  # "é" is 2 bytes: 48 bytes
        with pytest.raises(InvalidRequestError, match="person_id"):
            edit_person_info(enrollment(person_id=person_id))


def test_edit_person_info_name_limit_counts_utf8_bytes() -> None:
    assert edit_person_info(enrollment(name="n" * 31))["name"] == "n" * 31
    assert edit_person_info(enrollment(name="张三"))["name"] == "张三"
    assert edit_person_info(enrollment(name="张" * 10 + "a"))["name"] == "张" * 10 + "a"  # 31
    for name in ("n" * 32, "张" * 11, ""):  # 11 × 3 bytes = 33
        with pytest.raises(InvalidRequestError, match="name"):
            edit_person_info(enrollment(name=name))


# ============================================================================================
# Inbound: SearchPersonList entries (§4.2.3)
# ============================================================================================


def list_entry(**changes: Any) -> dict[str, Any]:
    """Return the document's list entry with `changes` applied."""
    entry = dict(SEARCH_PERSON_LIST_ACK["info"]["List"][0])  # type: ignore[index]
    entry.update(changes)
    return entry


def test_person_from_list_entry_unset_validity_is_none() -> None:
    """`0000-00-00 00:00:00` means unset, even on a temporary person."""
    person = person_from_list_entry(list_entry(tempCardType=1))
    assert person is not None
    assert person.valid_from is None
    assert person.valid_until is None


@pytest.mark.parametrize("temp_card_type", [1, "2"])
def test_person_from_list_entry_validity(temp_card_type: Any) -> None:
    person = person_from_list_entry(
        list_entry(
            tempCardType=temp_card_type,
            cardValidBegin="2020-04-18 00:00:00",
            cardValidEnd="2020-12-20 23:59:59",
        )
    )
    assert person is not None
    assert person.valid_from == datetime(2020, 4, 18)
    assert person.valid_until == datetime(2020, 12, 20, 23, 59, 59)


def test_person_from_list_entry_permanent_ignores_dates() -> None:
    person = person_from_list_entry(
        list_entry(tempCardType=0, cardValidBegin="2020-04-18 00:00:00")
    )
    assert person is not None
    assert person.valid_from is None


@pytest.mark.parametrize(
    ("fields", "card"),
    [
        ({"RFIDCard": "0"}, None),
        ({"RFIDCard": ""}, None),
        ({"RFIDCard": "519f7d29"}, "519f7d29"),
        ({"RFIDCard": "1369406761", "cardType2": 2, "cardNum2": 55}, "1369406761"),
        # A Wiegand card entered manually (cardType2 2) is the person's card.
        ({"RFIDCard": "0", "cardType2": 2, "cardNum2": 2765823488}, "2765823488"),
        ({"RFIDCard": "0", "cardType2": "2", "cardNum2": "0"}, None),
        # Public (0) or generated (1) Wiegand numbers are not a card of this person.
        ({"RFIDCard": "0", "cardType2": 0, "cardNum2": 1}, None),
        ({"RFIDCard": "0", "cardType2": 1, "cardNum2": 1017}, None),
    ],
)
def test_person_from_list_entry_card(fields: dict[str, Any], card: str | None) -> None:
    person = person_from_list_entry(list_entry(**fields))
    assert person is not None
    assert person.card_number == card


def test_person_from_list_entry_block_list_and_keys_in_any_case() -> None:
    person = person_from_list_entry(
        {"CustomID": "E012", "Name": "Emma", "PersonType": "1", "rfidcard": "42"}
    )
    assert person == Person(
        person_id="E012", name="Emma", card_number="42", person_list=PersonList.BLOCK
    )


def test_person_from_list_entry_without_custom_id_uses_lib_id() -> None:
    person = person_from_list_entry(list_entry(customId=" ", LibID=17))
    assert person is not None
    assert person.person_id == "17"


def test_person_from_list_entry_without_any_id() -> None:
    assert person_from_list_entry({"name": "nobody", "customId": ""}) is None


@pytest.mark.parametrize(
    ("decode", "operator"),
    [(record_from_rec_push, "RecPush"), (record_from_str_snap_push, "StrSnapPush")],
)
def test_a_record_with_neither_id_nor_time_is_refused(
    decode: Callable[[Envelope], AccessRecord], operator: str
) -> None:
    """An empty record is about no passage; it must not become an event about nobody."""
    with pytest.raises(DecodeError, match="neither an ID nor a time"):
        decode(env({"operator": operator, "info": {"VerifyStatus": "1"}}))
