"""The Huaan face capture codec on the document's examples and the field's quirks.

Examples are the bodies of face-capture-http-v0.37 (`shared/seeds`) with the `#` comment
lines taken out; quirks are the digest's errata (`shared/protocols/face_capture_http.md`
§8) and field notes §2 (real devices: `version` "0.42", `match_type` as an array, ...).
"""

from __future__ import annotations

from datetime import datetime
import json
from typing import Any

import pytest

from custom_components.face_access.protocols.face_capture_http import (
    MAX_ID_BYTES,
    PROFILE,
    DecodeError,
    add_person_jpg,
    codec,
    credentials_from,
    decode_message,
    delete_everyone,
    delete_person,
    extranet,
    face_ack,
    gpio_control,
    identity_from,
    parse_time,
    people_page,
    record_from,
    records,
    request_persons,
    snapshot_picture,
    upload_info,
    upload_person,
)
from custom_components.face_access.protocols.model import (
    AccessKind,
    Capability,
    CredentialKind,
    DeviceRefusedError,
    Enrollment,
    InvalidRequestError,
    PersonList,
)

# 2.2.1.1 (L1320-L1621), as printed: `"cmd", "face"` with a comma (E18), trailing comma in
# `video` (E17). The comment lines are left out; the rest is the document's.
DOC_PUSH = """{
"version": "0.2",
"cmd", "face",
"sequence_no": 1,
"device_no": "0001",
"device_sn": "000001-000002-0000BC",
"addr_no": "0001",
"addr_name": "XX Road",
"cap_time": "2017/12/18 16:45:30.003",
"is_realtime": 1,
"match_failed_reson":0,
"match_result": 80,
"match":
{
  "is_encryption":false,
  "person_id": "0001",
  "person_name": "XiaoMing",
  "person_role": 1,
  "format": "jpg",
  "image": "...",
  "origin ": "software",
  "person_attr": "permanent_list",
  "customer_text": "uuid"
},
"overall_pic_flag": true,
"overall_pic":
{
"format": "jpg",
"data": "OVERALL",
"face_x": 150,
"face_y": 150,
"face_width": 200,
"face_height": 200
},
"closeup_pic_flag": true,
"closeup_pic":
{
"format": "jpg",
"data": "CLOSEUP",
"face_x": 0,
"face_y": 0,
"face_width": 200,
"face_height": 200
},
"video_flag": true,
"video":
{
"start_time": "2017/12/18 16:45:30.003",
"end_time": "2017/12/18 16:45:32.003",
"format": "mp4",
"data": "...",
},
"person":
{
"sex": "male",
"age": 24,
"hat": "none",
"temperatur": 36.9,
"has_mask": true,
"face_quality": 70,
"turn_angle": 0,
"rotate_angle": 0,
"wg_card_id": 8,
"long_card_id": 18446744073709551615
}
}"""

SERIAL = "000001-000002-0000BC"


def push(**changes: Any) -> dict[str, Any]:
    """The document's push, decoded, with top-level changes (None removes a key)."""
    obj = decode_message(DOC_PUSH)
    for key, value in changes.items():
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    return obj


def enrollment(**changes: Any) -> Enrollment:
    values: dict[str, Any] = {
        "person_id": "0001",
        "name": "XiaoMing",
        "photo_jpeg": b"\xff\xd8\xff\xe0photo",
        **changes,
    }
    return Enrollment(**values)


# ---- the face push ---------------------------------------------------------------------------


def test_the_documents_push_is_a_recognition_with_everything_it_says() -> None:
    record = record_from(decode_message(DOC_PUSH))

    assert record is not None
    assert record.kind is AccessKind.RECOGNIZED
    assert record.person_id == "0001"
    assert record.person_name == "XiaoMing"
    assert record.similarity == 80.0
    assert record.temperature == 36.9
    assert record.mask is True
    assert record.temperature_alarm is None  # the push says nothing about a limit
    assert record.person_list is PersonList.ALLOW
    assert record.record_id == "1"
    assert record.time == datetime(2017, 12, 18, 16, 45, 30, 3000)
    assert record.historical is False
    assert record.reason is None
    assert record.picture is not None
    assert record.picture.raw == "CLOSEUP"  # the close-up, not the panorama
    assert record.key == f"{SERIAL}|1|2017/12/18 16:45:30.003"


def test_the_ack_echoes_sequence_no_and_cap_time_byte_for_byte() -> None:
    """L1645: "Don't reformat, no punctuation can be wrong" - even for an odd time."""
    odd = "2020/1/2 3:04:05.6"
    body = json.dumps({"cmd": "face", "sequence_no": 4294967297, "cap_time": odd})

    reply = face_ack(decode_message(body))
    wire = codec.encode(reply)

    assert b'"cap_time":"2020/1/2 3:04:05.6"' in wire
    assert b'"sequence_no":4294967297' in wire
    assert reply == {
        "reply": "ACK",
        "cmd": "face",
        "code": 0,
        "sequence_no": 4294967297,
        "cap_time": odd,
    }


@pytest.mark.parametrize("missing", ["sequence_no", "cap_time"])
def test_a_push_without_sequence_no_or_cap_time_cannot_be_acknowledged(missing: str) -> None:
    with pytest.raises(DecodeError):
        face_ack(push(**{missing: None}))


def test_a_stranger_has_no_person() -> None:
    """`match_result` -1 (L1364-L1366); firmware that still sends a `match` is ignored."""
    record = record_from(push(match_result=-1))

    assert record is not None
    assert record.kind is AccessKind.STRANGER
    assert record.person_id is None
    assert record.person_name is None
    assert record.similarity is None
    assert record.person_list is None
    assert record.temperature == 36.9


def test_a_stranger_keeps_the_alarms_of_its_failure_reason() -> None:
    """-11 on a stranger is no refusal of a person (L1788); -6 still fires the alarm."""
    stranger = record_from(push(match_result=-1, match_failed_reson=-11, match=None))
    hot = record_from(push(match_result=-1, match_failed_reson=-6, match=None))

    assert stranger is not None
    assert stranger.kind is AccessKind.STRANGER
    assert stranger.reason is None
    assert hot is not None
    assert hot.kind is AccessKind.STRANGER
    assert hot.temperature_alarm is True


@pytest.mark.parametrize(
    ("failure", "reason"),
    [(-2, "restricted"), (-3, "expired"), (-4, "outside_schedule"), (-9, "card_not_registered")],
)
def test_a_failure_reason_is_a_denial_of_the_known_person(failure: int, reason: str) -> None:
    record = record_from(push(match_failed_reson=failure))

    assert record is not None
    assert record.kind is AccessKind.DENIED
    assert record.reason == reason
    assert record.person_id == "0001"
    assert record.similarity == 80.0


def test_too_hot_and_no_mask_denials_fire_their_alarms() -> None:
    hot = record_from(push(match_failed_reson=-6))
    unmasked = record_from(push(match_failed_reson=-7))  # the push still says has_mask true

    assert hot is not None
    assert hot.kind is AccessKind.DENIED
    assert hot.reason == "high_temperature"
    assert hot.temperature_alarm is True
    assert unmasked is not None
    assert unmasked.reason == "no_mask"
    assert unmasked.mask is False


def test_an_unknown_failure_reason_is_still_a_denial() -> None:
    record = record_from(push(match_failed_reason=-42, match_failed_reson=None))

    assert record is not None
    assert record.kind is AccessKind.DENIED
    assert record.reason == "refused"


def test_the_block_list_is_a_denial() -> None:
    obj = push()
    obj["match"]["person_role"] = 2

    record = record_from(obj)

    assert record is not None
    assert record.kind is AccessKind.DENIED
    assert record.reason == "block_list"
    assert record.person_list is PersonList.BLOCK


def test_encrypted_names_and_ids_are_never_shown() -> None:
    """`is_encryption` true: AES ciphertext with no documented cipher (L1371-L1373)."""
    obj = push()
    obj["match"].update(is_encryption=True, person_id="q83vEjRWeJA=", person_name="3q2+7w==")

    record = record_from(obj)

    assert record is not None
    assert record.kind is AccessKind.RECOGNIZED
    assert record.person_id is None
    assert record.person_name is None
    assert record.similarity == 80.0


def test_a_backlog_record_is_historical() -> None:
    record = record_from(push(is_realtime=0))

    assert record is not None
    assert record.historical is True


def test_the_panorama_is_the_picture_when_there_is_no_close_up() -> None:
    record = record_from(push(closeup_pic_flag=False, closeup_pic=None))

    assert record is not None
    assert record.picture is not None
    assert record.picture.raw == "OVERALL"


def test_temperatures_as_text_and_in_fahrenheit_become_celsius() -> None:
    as_text = push()
    as_text["person"]["temperatur"] = "36.5"
    fahrenheit = push()
    fahrenheit["person"]["temperatur"] = 98.6
    unmeasured = push()
    unmeasured["person"]["temperatur"] = 0

    assert (record := record_from(as_text)) is not None
    assert record.temperature == 36.5
    assert (record := record_from(fahrenheit)) is not None
    assert record.temperature == 37.0
    assert (record := record_from(unmeasured)) is not None
    assert record.temperature is None


def test_a_field_device_push_with_match_type_arrays_decodes() -> None:
    """Field notes §2.2: `version` "0.42", `match_type` an array, flags as 0/1."""
    body = {
        "version": "0.42",
        "cmd": "face ",
        "sequence_no": "77",
        "device_sn": SERIAL,
        "cap_time": "2024/05/06 07:08:09.010",
        "is_realtime": "1",
        "match_result": "91",
        "match_failed_reson": 0,
        "match": {
            "person_id": "585_0",
            "person_name": "Ana",
            "person_role": 1,
            "is_encryption": 0,
            "match_type": ["face", "card"],
            "wg_card_id": 585,
        },
        "person": {"temperatur": 36.4, "has_mask": 0, "wg_card_id": 0},
        "closeup_pic_flag": 1,
        "closeup_pic": {"data": "/9j/abc", "format": "jpg"},
        "match_type": [1, 2],
    }

    record = record_from(decode_message(json.dumps(body)))
    events = credentials_from(body)

    assert record is not None
    assert record.kind is AccessKind.RECOGNIZED
    assert record.person_id == "585_0"
    assert record.similarity == 91.0
    assert record.mask is False
    assert record.record_id == "77"
    assert events == []  # the enrolled card in `match` is no card read; 0 is no card


def test_garbage_in_the_fields_is_no_crash() -> None:
    """A push that can be acknowledged is acknowledged, whatever else it says (L1627)."""
    body = {
        "cmd": "face",
        "sequence_no": 5,
        "cap_time": "not a time",
        "match_result": "eighty",
        "match": "nobody",
        "person": [1, 2],
        "closeup_pic": {"data": 12},
    }

    assert record_from(body) is None  # nothing about a face: no access record
    assert credentials_from(body) == []
    assert face_ack(body)["sequence_no"] == 5


def test_a_qr_code_a_card_and_an_id_card_are_credential_events() -> None:
    obj = push(
        qr_code={"qr_type": "QR-Code", "qr_data": "admin"},
        id_card={"number": "511xxx", "name": "Zhang San", "residence_address": "Sichuan"},
    )
    obj["person"]["wg_card_id"] = 0  # no 32-bit card: the 64-bit one is the card

    events = credentials_from(obj)

    kinds = [event.kind for event in events]
    assert kinds == [CredentialKind.QR_CODE, CredentialKind.CARD, CredentialKind.ID_CARD]
    assert events[0].qr_data == "admin"
    assert events[1].card_number == "18446744073709551615"
    id_card = events[2]
    assert id_card.card_number is None
    assert id_card.qr_data is None
    assert "511xxx" not in repr(id_card)
    assert "Zhang" not in repr(id_card)
    assert all(event.time == datetime(2017, 12, 18, 16, 45, 30, 3000) for event in events)


def test_the_documents_push_carries_a_card_read() -> None:
    """`person.wg_card_id` 8 in the example: a card read along with the face."""
    events = credentials_from(decode_message(DOC_PUSH))

    assert [(e.kind, e.card_number) for e in events] == [(CredentialKind.CARD, "8")]


def test_a_credential_read_without_comparison_is_no_access_record() -> None:
    """`match_result` 0 with a QR code: the credential event is all there is."""
    qr_read = {
        "cmd": "face",
        "sequence_no": 9,
        "cap_time": "2024/01/01 00:00:00.000",
        "match_result": 0,
        "closeup_pic": {"data": "/9j/face"},
        "qr_code": {"qr_data": "ticket-42"},
    }

    assert record_from(qr_read) is None
    assert [e.qr_data for e in credentials_from(qr_read)] == ["ticket-42"]


def test_a_capture_with_matching_off_is_a_stranger_with_its_temperature() -> None:
    capture = {
        "cmd": "face",
        "sequence_no": 9,
        "cap_time": "2024/01/01 00:00:00.000",
        "match_result": 0,
        "person": {"temperatur": 36.8},
    }

    record = record_from(capture)

    assert record is not None
    assert record.kind is AccessKind.STRANGER
    assert record.temperature == 36.8
    assert record_from({**capture, "person": {}}) is None  # nothing about anyone


def test_a_card_holder_let_in_without_comparison_is_recognized() -> None:
    """`match` with `match_result` 0: known by the card, not by the face."""
    swipe = {
        "cmd": "face",
        "sequence_no": 11,
        "cap_time": "2024/01/01 00:00:00.000",
        "match_result": 0,
        "match": {"person_id": "1001", "person_name": "Ada", "person_role": 1},
        "person": {"wg_card_id": 4242},
        "closeup_pic": {"data": "/9j/face"},
    }

    record = record_from(swipe)

    assert record is not None
    assert record.kind is AccessKind.RECOGNIZED
    assert record.person_id == "1001"
    assert record.similarity is None
    assert [e.card_number for e in credentials_from(swipe)] == ["4242"]


def test_a_card_only_refusal_is_a_denial_with_the_card() -> None:
    body = {
        "cmd": "face",
        "sequence_no": 10,
        "cap_time": "2024/01/01 00:00:00.000",
        "match_result": 0,
        "match_failed_reson": -9,
        "person": {"wg_card_id": 123456},
    }

    record = record_from(body)

    assert record is not None
    assert record.kind is AccessKind.DENIED
    assert record.reason == "card_not_registered"
    assert [e.card_number for e in credentials_from(body)] == ["123456"]


def test_the_heartbeat_of_a_field_device_is_no_command_result() -> None:
    """Field notes §2.2: real heartbeats carry `command_id: ""`."""
    heartbeat = {
        "version": "0.42",
        "cmd": "heart beat",
        "ip": "192.168.1.88",
        "device_sn": "0123E4-FB5BFC-9186EE",
        "command_id": "",
        "device_no": "",
        "addr_no": "",
        "addr_name": "",
    }
    result = {"reply": "ACK", "cmd": " gpio control", "code": 0, "command_id": "42"}

    assert codec.is_heartbeat(heartbeat)
    assert not codec.is_result(heartbeat)
    assert codec.command_id_of(heartbeat) is None
    assert records.heartbeat_info(heartbeat).ip == "192.168.1.88"
    assert codec.is_result(result)
    assert codec.cmd_of(result) == "gpio control"
    assert codec.command_id_of(result) == "42"
    assert codec.command_id_of({"cammand_id": "7"}) == "7"  # E9


def test_ask_upgrade_gives_the_firmware_and_is_told_none() -> None:
    ask = {
        "version": "0.2",
        "cmd": "ask_upgrade",
        "device_sn": SERIAL,
        "firmware": {"system": "FaceGate", "appversion": "0.10.2beta", "algversion": "HV6.0"},
    }

    assert records.firmware_of(ask) == "0.10.2beta"
    assert records.upgrade_reply()["upgrade_type"] == "none"


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'"face"', b"\xff\xfe"])
def test_what_is_not_a_json_object_cannot_be_decoded(body: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_message(body)


def test_times_parse_with_and_without_milliseconds() -> None:
    assert parse_time("2017/12/18 16:45:30.003") == datetime(2017, 12, 18, 16, 45, 30, 3000)
    assert parse_time("2018/11/23 16:00:00") == datetime(2018, 11, 23, 16, 0)
    assert parse_time("2018/13/23 16:00:00") is None
    assert parse_time(20181123) is None


# ---- commands --------------------------------------------------------------------------------


def test_upload_person_is_the_documents_request() -> None:
    """§4.4: raw base64 `reg_image`, role 1, "useless"/"forever", upload_mode 0."""
    message = upload_person(enrollment(card_number="8"), "/9j/4AAQ")

    assert codec.request_body(message) == {
        "version": "0.2",
        "cmd": "upload person",
        "id": "0001",
        "name": "XiaoMing",
        "role": 1,
        "kind": 0,
        "reg_image": "/9j/4AAQ",
        "wg_card_id": 8,
        "term_start": "useless",
        "term": "forever",
        "upload_mode": 0,
    }


def test_upload_person_with_validity_block_list_and_a_long_card() -> None:
    message = upload_person(
        enrollment(
            card_number="18446744073709551615",
            person_list=PersonList.BLOCK,
            valid_from=datetime(2024, 1, 2, 3, 4, 5),
            valid_until=datetime(2030, 12, 31, 23, 59, 59),
        ),
        "x",
    )

    assert message["role"] == 2
    assert message["term_start"] == "2024/01/02 03:04:05"
    assert message["term"] == "2030/12/31 23:59:59"
    assert message["long_card_id"] == 18446744073709551615
    assert "wg_card_id" not in message  # long_card_id is used only without it (L585-L589)
    assert b'"long_card_id":18446744073709551615' in codec.encode(message)  # not a float


def test_no_card_clears_the_card() -> None:
    assert upload_person(enrollment(), "x")["wg_card_id"] == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"person_id": "x" * (MAX_ID_BYTES + 1)},
        {"person_id": "é" * 10},  # 20 bytes
        {"person_id": ""},
        {"name": "张" * 22},  # 66 bytes: the limit is bytes, not characters (L553)
        {"card_number": "12AB"},
        {"card_number": str(2**64)},
        {"valid_until": datetime(2040, 1, 1)},
    ],
)
def test_upload_person_refuses_what_the_device_cannot_store(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError):
        upload_person(enrollment(**changes), "x")


def test_a_name_of_exactly_63_bytes_fits() -> None:
    assert upload_person(enrollment(name="张" * 21), "x")["name"] == "张" * 21


def test_add_person_jpg_cuts_the_name_on_a_character_boundary() -> None:
    """`add person jpg` keeps 15 bytes (L1057): 5 of these 3-byte characters, never 5.3."""
    upload = upload_person(enrollment(name="张三丰李四王五", card_number="8"), "/9j/x")

    message, shortened = add_person_jpg(upload)

    assert shortened is True
    assert message["name"] == "张三丰李四"
    assert message["cmd"] == "add person jpg"
    assert message["cover"] is True
    assert message["reg_images"] == [{"format": "jpg", "image_data": "/9j/x"}]
    assert message["wg_card_id"] == 8
    assert message["term"] == "forever"
    assert add_person_jpg(upload_person(enrollment(name="Ana"), "x"))[1] is False


def test_delete_person_always_deletes_by_id() -> None:
    """Flag -1 only: the document's own example sends 1, which wipes the allow list (E16)."""
    assert delete_person("0001") == {"cmd": "delete person(s)", "flag": -1, "id": "0001"}
    assert delete_everyone() == {"cmd": "delete person(s)", "flag": 3, "id": ""}
    with pytest.raises(InvalidRequestError):
        delete_person("")


def test_request_persons_asks_for_everyone_20_at_a_time() -> None:
    message = request_persons(3)

    assert message["role"] == -1
    assert message["page_no"] == 3
    assert message["page_size"] == 20
    assert message["image_flag"] == 0


def test_gpio_control_closes_the_relay_by_force() -> None:
    assert gpio_control(2) == {
        "cmd": "gpio control",
        "port": 2,
        "ctrl_type": "on",
        "ctrl_mode": "force",
    }


def test_upload_info_points_the_pushes_at_an_address_or_a_name() -> None:
    by_ip = upload_info("192.168.0.172", 8123, "/api/webhook/abc")
    by_name = upload_info("ha.local", 8123, "/api/webhook/abc")

    assert by_ip["upload_info"] == {
        "method": "http",
        "server_ip": "192.168.0.172",
        "server_port": 8123,
        "service_url": "/api/webhook/abc",
    }
    assert by_name["upload_info"]["server_domain"] == "ha.local"
    assert "server_ip" not in by_name["upload_info"]
    with pytest.raises(InvalidRequestError):
        upload_info("192.168.0.172", 8123, "/" + "x" * 101)
    with pytest.raises(InvalidRequestError):
        upload_info("192.168.0.172", 0, "/x")


def test_extranet_makes_the_device_long_poll_over_http() -> None:
    assert extranet("10.0.0.2", 8123, "/api/webhook/poll")["extranet"] == {
        "enable": True,
        "mode": "http",
        "server_ip": "10.0.0.2",
        "server_port": 8123,
        "url": "/api/webhook/poll",
    }


def test_update_date_time_is_the_devices_local_time() -> None:
    assert codec.update_date_time(datetime(2018, 11, 23, 16, 0, 0)) == {
        "cmd": "update date time",
        "date_time": "2018/11/23 16:00:00",
    }


# ---- answers ---------------------------------------------------------------------------------


def test_the_snapshot_key_has_a_trailing_space() -> None:
    """L2800: `"image "`; the unspaced key is read too (E39)."""
    spaced = {"reply": "ACK", "cmd": "snapshot", "code": 0, "image ": {"image_data": "/9j/a"}}
    plain = {"reply": "ACK", "cmd": "snapshot", "code": 0, "image": {"image_data": "/9j/b"}}

    assert snapshot_picture(spaced).raw == "/9j/a"
    assert snapshot_picture(plain).raw == "/9j/b"
    with pytest.raises(DecodeError):
        snapshot_picture({"reply": "ACK", "cmd": "snapshot", "code": 0})


def test_the_documents_persons_page() -> None:
    reply = {
        "reply": "ACK",
        "cmd": "request persons",
        "code": 0,
        "total": 3,
        "page_no": 1,
        "count": 3,
        "persons": [
            {
                "id": "0001",
                "name": "XiaoMing",
                "role": 1,
                "kind": 0,
                "image_num": 0,
                "reg_images": [],
                "wg_card_id": 8,
                "term_start": "useless",
                "term": "forever",
                "customer_text": "uuid",
            },
            {
                "id": "0002",
                "role": 2,
                "long_card_id": 18446744073709551615,
                "term_start": "2017/11/10 12:00:00",
                "term": "2017/12/18 16:45:30",
            },
            {"id": "0003", "term": "never"},
            {"name": "no id"},
        ],
    }

    people, total = people_page(reply)

    assert total == 3
    assert [p.person_id for p in people] == ["0001", "0002", "0003"]
    first, second, third = people
    assert first.name == "XiaoMing"
    assert first.card_number == "8"
    assert first.valid_from is None
    assert first.valid_until is None
    assert first.person_list is PersonList.ALLOW
    assert second.person_list is PersonList.BLOCK
    assert second.card_number == "18446744073709551615"
    assert second.valid_from == datetime(2017, 11, 10, 12, 0)
    assert second.valid_until == datetime(2017, 12, 18, 16, 45, 30)
    assert third.valid_until is not None
    assert third.valid_until < datetime(2000, 1, 1)  # "never": permanently invalid


def test_the_documents_hardware_info_gives_serial_and_model() -> None:
    reply = {
        "reply": "ACK",
        "cmd": "get hardware info",
        "code": 0,
        "device_sn": "012353-1FF506-A573EE",
        "Board": {"manu": "FSAN", "model": "FSAN_01"},
        "Chip": {"manu": "HISI", "model": "HI3516AV200"},
        "FourG": {"moduler_4g": "NO"},
    }

    identity = identity_from(reply)

    assert identity.serial == "012353-1FF506-A573EE"
    assert identity.info.model == "FSAN_01 (HI3516AV200)"
    assert identity_from({"device_sn": "X", "chip": {"model": "HI3516"}}).info.model == "HI3516"
    with pytest.raises(DecodeError):
        identity_from({"reply": "ACK", "code": 0})


def test_replies_without_reply_succeed_on_code_0() -> None:
    """E47: several replies carry `version` instead of `reply`."""
    codec.check_reply({"version": "0.21", "cmd": "request aes", "code": 0}, "request aes")
    codec.check_reply({"reply": "ACK", "cmd": "x"}, "x")
    with pytest.raises(DecodeError):
        codec.reply_code({"cmd": "x"})
    with pytest.raises(DeviceRefusedError) as err:
        codec.check_reply({"reply": "ACK", "cmd": "upload person", "code": 25}, "upload person")
    assert err.value.code == "25"
    assert "no face" in err.value.reason


def test_the_profile_serves_what_the_protocol_can() -> None:
    assert {
        Capability.OPEN_DOOR,
        Capability.SCENE_SNAPSHOT,
        Capability.CREDENTIAL_EVENTS,
        Capability.ENROLL_CARD_NUMBER,
        Capability.BODY_TEMPERATURE,
        Capability.MASK,
        Capability.LIST_PEOPLE,
        Capability.DELETE_ALL_PEOPLE,
    } <= PROFILE.capabilities
    assert Capability.DOOR_ALARM not in PROFILE.capabilities  # no door sensor (digest §9.3)
    assert PROFILE.manufacturer == "Huaan"
    assert PROFILE.photo_limits.max_side == 1080
