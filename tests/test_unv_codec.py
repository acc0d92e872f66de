"""UNV LAPI codec: the document's examples (digest §4) and the field notes' quirks (§1.3)."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import Any

import pytest

from custom_components.face_access.protocols import model
from custom_components.face_access.protocols.http import HttpRequest
from custom_components.face_access.protocols.unv_lapi import (
    FIXED_PATHS,
    DecodeError,
    SubscriptionsFullError,
    ack,
    codec,
    credentials_from,
    heartbeat_reply,
    identity_from,
    loads,
    parse_time,
    profile_for,
    record_from,
    record_key,
    serial_of,
)

SERIAL = "210235C31L3186000023"
PICTURE = "/9j/" + "A" * 40


def recognition(**changes: Any) -> dict[str, Any]:
    """The digest's recognition record (§4.7.7), with changes to the match."""
    match = {
        "ID": 5,
        "LibID": 3,
        "LibType": 3,
        "MatchStatus": 1,
        "MatchPersonID": 1020,
        "MatchFaceID": 10201,
        "MatchPersonInfo": {"PersonName": "Alice", "Gender": 2, "CardID": "", "IdentityNo": ""},
    }
    match.update(changes)
    return {
        "Reference": "192.168.1.10:8099/Subscription/Subscribers/1000",
        "Seq": 5,
        "DeviceCode": SERIAL,
        "Timestamp": 1564707616,
        "NotificationType": 0,
        "FaceInfoNum": 1,
        "FaceInfoList": [
            {
                "ID": 5,
                "Timestamp": 1564707615,
                "CapSrc": 1,
                "Temperature": 36.5,
                "MaskFlag": 2,
                "PanoImage": {"Name": "1564707615_1.jpg", "Size": 101780, "Data": PICTURE},
                "FaceImage": {"Name": "1564707615_2.jpg", "Size": 35528, "Data": "face" * 10},
                "FaceArea": {"LeftTopX": 1, "LeftTopY": 2, "RightBottomX": 3, "RightBottomY": 4},
            }
        ],
        "CardInfoNum": 0,
        "CardInfoList": [],
        "LibMatInfoNum": 1,
        "LibMatInfoList": [match],
    }


def test_a_recognition_becomes_a_recognized_record() -> None:
    record = record_from(recognition(), UTC)
    assert record is not None
    assert record.kind is model.AccessKind.RECOGNIZED
    assert (record.person_id, record.person_name) == ("1020", "Alice")
    assert record.temperature == 36.5
    assert record.mask is True
    assert record.person_list is model.PersonList.ALLOW
    assert record.picture == model.Picture(PICTURE)
    assert record.time == datetime(2019, 8, 2, 1, 0, 15)
    assert record.record_id == "5"
    assert record.historical is False
    assert record.similarity is None


def test_face_scan_door_mode_success_is_recognized() -> None:
    record = record_from(recognition(MatchStatus=7))
    assert record is not None
    assert record.kind is model.AccessKind.RECOGNIZED


def test_the_documents_stranger_example_with_curly_quotes() -> None:
    """L1333-L1458: typographic quotes (E20), `FeatureNum` 0 with two features (E21)."""
    body = json.dumps(recognition(MatchStatus=2, LibType=4, MatchPersonID=0))
    obj = json.loads(body)
    obj["NotificationType"] = 1
    obj["FaceInfoList"][0]["FeatureNum"] = 0
    obj["FaceInfoList"][0]["FeatureList"] = [{"FeatureVersion": "x", "Feature": "y"}] * 2
    obj["FaceInfoList"][0]["MaskFlag"] = 1
    text = json.dumps(obj).replace('"Temperature"', "\u201cTemperature\u201d")
    text = text.replace('"MaskFlag"', "\u201cMaskFlag\u201d")
    record = record_from(loads(text))
    assert record is not None
    assert record.kind is model.AccessKind.STRANGER
    assert record.person_id is None
    assert record.person_name is None
    assert record.mask is False
    assert record.temperature == 36.5
    assert record.historical is True


def test_graylist_is_a_stranger_and_blacklist_is_the_block_list() -> None:
    record = record_from(recognition(LibType=2))
    assert record is not None
    assert record.kind is model.AccessKind.STRANGER
    record = record_from(recognition(LibType=1))
    assert record is not None
    assert record.person_list is model.PersonList.BLOCK


@pytest.mark.parametrize(
    ("status", "reason"),
    [(3, "outside_schedule"), (4, "expired"), (6, "not_live"), (9, "no_helmet")],
)
def test_refusals_are_denied_with_their_reason(status: int, reason: str) -> None:
    record = record_from(recognition(MatchStatus=status))
    assert record is not None
    assert record.kind is model.AccessKind.DENIED
    assert record.reason == reason
    assert record.person_id == "1020"


def test_a_high_temperature_is_denied_with_the_alarm() -> None:
    record = record_from(recognition(MatchStatus=11))
    assert record is not None
    assert record.kind is model.AccessKind.DENIED
    assert record.reason == "high_temperature"
    assert record.temperature_alarm is True


def test_abnormal_attributes_without_a_mask_say_no_mask() -> None:
    obj = recognition(MatchStatus=10)
    obj["FaceInfoList"][0]["MaskFlag"] = 1
    record = record_from(obj)
    assert record is not None
    assert record.reason == "no_mask"
    assert record.mask is False


def test_on_device_enrolment_and_card_only_pushes_make_no_access_record() -> None:
    assert record_from(recognition(MatchStatus=21)) is None
    card_only = {"Seq": 6, "DeviceCode": SERIAL, "CardInfoList": [{"ID": 6, "CardType": 1}]}
    assert record_from(card_only) is None


def test_a_face_without_a_match_is_a_stranger_and_zero_temperature_is_unknown() -> None:
    obj = recognition()
    del obj["LibMatInfoList"]
    obj["FaceInfoList"][0].update(Temperature=0, MaskFlag=0)
    obj["FaceInfoList"][0]["PanoImage"]["Data"] = "\u2026"  # the document's placeholder
    record = record_from(obj)
    assert record is not None
    assert record.kind is model.AccessKind.STRANGER
    assert record.temperature is None
    assert record.mask is None
    assert record.picture == model.Picture("face" * 10)  # FaceImage when no panorama


def test_card_type_decides_not_cap_src() -> None:
    """E26: CapSrc 3 would say ID card, CardType 1 says access card; CardType wins."""
    obj = {
        "Seq": 6,
        "DeviceCode": SERIAL,
        "Timestamp": 1564707700,
        "CardInfoList": [
            {"ID": 6, "CapSrc": 3, "CardType": 1, "CardID": "00123456", "CardStatus": 1},
            {
                "ID": 7,
                "CapSrc": 2,
                "CardType": 0,
                "Name": "Secret Person",
                "IdentityNo": "110101199003070000",
                "IDImage": {"Data": PICTURE},
            },
            {"ID": 8, "CapSrc": 3, "CardID": "9"},
        ],
    }
    events = credentials_from(obj, UTC)
    assert [event.kind for event in events] == [
        model.CredentialKind.CARD,
        model.CredentialKind.ID_CARD,
        model.CredentialKind.ID_CARD,
    ]
    assert events[0].card_number == "00123456"
    assert events[1].card_number is None
    assert events[1].qr_data is None
    assert "Secret" not in repr(events)
    assert "110101" not in repr(events)


def test_the_acknowledgement_echoes_seq_as_record_id() -> None:
    reply = ack({"Seq": 42}, datetime(2024, 5, 6, 7, 8, 9))
    assert reply["Response"]["ResponseURL"] == "/LAPI/V1.0/PACS/Controller/Event/Notifications"
    assert reply["Response"]["StatusCode"] == 0
    assert reply["Response"]["Data"] == {"RecordID": 42, "Time": "2024-05-06 07:08:09"}


def test_the_heartbeat_reply_is_flat() -> None:
    assert heartbeat_reply(datetime(2019, 4, 22, 16, 17, 45)) == {
        "ResponseURL": "/LAPI/V1.0/PACS/Controller/HeartReportInfo",
        "Code": 0,
        "Data": {"Time": "2019-04-22 16:17:45"},
    }


def test_record_keys_are_stable_and_tell_records_apart() -> None:
    assert record_key(recognition()) == record_key(json.loads(json.dumps(recognition())))
    other = recognition()
    other["Seq"] = 6
    assert record_key(other) != record_key(recognition())


def test_serial_of_never_raises() -> None:
    body = json.dumps(recognition()).encode()
    assert serial_of(HttpRequest(body=body)) == SERIAL
    assert serial_of(HttpRequest(body=b"\xff not json")) is None
    assert serial_of(HttpRequest(body=b"[1, 2]")) is None
    assert serial_of(HttpRequest(body=b'{"DeviceCode": {"x": 1}}')) is None
    assert len(FIXED_PATHS) == 3


def test_data_with_no_value_and_null_as_a_string() -> None:
    """Notes §1.3 item 7: `"Data":` before the closing brace; E32: `"Data": "null"`."""
    obj = loads(b'{"Response": {"ResponseCode": 0, "StatusCode": 0, "Data":\n\t}}')
    assert codec.data_of(codec.envelope(obj)) is None
    obj = loads(b'{"Response": {"ResponseCode": 0, "Data": "null"}}')
    assert codec.data_of(codec.envelope(obj)) is None
    with pytest.raises(DecodeError):
        loads(b"{nope")


def test_junk_times_parse_to_none() -> None:
    assert parse_time("1900 - 01 - 00  00:00:00") is None
    assert parse_time("2019 - 04 - 22  16:17:45") == datetime(2019, 4, 22, 16, 17, 45)
    assert parse_time("2019-04-16 8:18:45 PM") == datetime(2019, 4, 16, 20, 18, 45)
    assert parse_time(None) is None


def test_identity_reads_the_misspelled_keys() -> None:
    identity = identity_from(
        {
            "Manufacturer": "UNIVIEW",
            "DeviceModel": "EG131-HF",
            "SerialNuber": SERIAL,
            "MAC": "48:EA:63:88:5D:47",
            "FirmwareVersion": "PTS_Q2101-B0008P01L29.190218",
            "HardewareID": "A",
            "CurrrntTime": 1,
            "Address": "192.174.12.10",
        }
    )
    assert identity.serial == SERIAL
    assert identity.info.model == "EG131-HF"
    assert identity.info.firmware == "PTS_Q2101-B0008P01L29.190218"
    assert identity.info.ip == "192.174.12.10"
    assert identity.mac == "48ea63885d47"
    assert identity.hardware == "A"
    with pytest.raises(DecodeError):
        identity_from({"Manufacturer": "UNIVIEW"})


def test_envelope_codes_map_to_errors() -> None:
    with pytest.raises(model.AuthenticationError):
        codec.check({"ResponseCode": 3}, "x")
    with pytest.raises(model.AuthenticationError):
        codec.check({"ResponseCode": 0, "StatusCode": 12}, "x")
    with pytest.raises(SubscriptionsFullError):
        codec.check({"ResponseCode": 0, "StatusCode": 13}, "x")
    with pytest.raises(model.DeviceRefusedError) as err:
        codec.check({"ResponseCode": 1, "ResponseString": "Common Error"}, "x")
    assert err.value.code == "ResponseCode 1"
    codec.check({"ResponseCode": 0, "StatusCode": 0}, "x")


def test_subscription_ids_may_be_strings_and_duration_is_bounded() -> None:
    sub = codec.subscription_from({"ID": "1000", "CurrrntTime": 1, "TerminationTime": 2}, 60)
    assert sub.id == "1000"
    assert codec.subscription_from({"ID": 0}, 60).id == "0"
    body = codec.subscribe_body("192.168.1.10", 8123, 4294967295)
    assert body["Duration"] == 3600
    assert body["Type"] == 1024
    assert body["SubscribePersonCondition"]["LibIDNum"] == 65535
    assert codec.subscribe_body("10.0.0.1", 1, 1)["Duration"] == 30
    with pytest.raises(model.InvalidRequestError):
        codec.subscribe_body("", 8123, 60)


def test_person_body_and_people_page() -> None:
    enrollment = model.Enrollment(
        person_id="1020", name="Alice", photo_jpeg=b"\xff\xd8x", card_number="0042"
    )
    body = codec.person_body(enrollment, "/9j/eA==", 3, 1700000000)
    person = body["PersonInfoList"][0]
    assert body["Num"] == 1
    assert person["PersonID"] == 1020
    assert person["LastChange"] == 1700000000
    assert person["ImageList"][0]["Data"] == "/9j/eA=="
    assert person["ImageList"][0]["Size"] == 3
    assert person["IdentificationList"] == [{"Type": 1, "Number": "0042"}]
    assert person["TimeTemplateList"][0]["EndTime"] == 4294967295
    with pytest.raises(model.InvalidRequestError):
        codec.person_id_number("abc")
    with pytest.raises(model.InvalidRequestError):
        codec.person_body(model.Enrollment(person_id="1", name='a"b', photo_jpeg=b"x"), "", 1, 1)
    people, total = codec.people_page({"Total": 1, "PersonInfoList": [person, {"x": 1}]})
    assert total == 1
    assert people == [model.Person(person_id="1020", name="Alice", card_number="0042")]


def test_profile_has_only_the_probed_features() -> None:
    bare = profile_for(frozenset())
    assert model.Capability.OPEN_DOOR not in bare.capabilities
    assert not bare.capabilities & model.PEOPLE_CAPABILITIES
    assert model.Capability.SCENE_SNAPSHOT not in bare.capabilities
    assert model.Capability.BODY_TEMPERATURE in bare.capabilities
    full = profile_for(frozenset({"door", "people", "capture"}))
    assert model.Capability.OPEN_DOOR in full.capabilities
    assert full.capabilities >= model.PEOPLE_CAPABILITIES
    assert model.Capability.SCENE_SNAPSHOT in full.capabilities
