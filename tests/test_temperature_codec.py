"""Codec of the temperature tablet (temperature_http): the document's examples and errata.

"L123" is a line of temperature-terminal-http-v1.16.txt; "erratum N" is the digest's §8.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import json
from typing import Any

import pytest

from custom_components.face_access.protocols.model import (
    AccessKind,
    AccessRecord,
    AlarmKind,
    CapturedPicture,
    Enrollment,
    InvalidRequestError,
    PersonList,
)
from custom_components.face_access.protocols.temperature_http import (
    SEQ_LIMIT,
    TabletConfig,
    Upload,
    batch_delete,
    batch_results_from,
    config_from,
    decode_upload,
    door_alarm_from,
    facelib_add,
    facelib_delete,
    heartbeat_from,
    people_from,
    record_from,
    sub_result,
    time_set,
)
from custom_components.face_access.protocols.wire import DecodeError

# The document's record example (L617-L653), verbatim but for the picture: a comma is
# missing after `" male"` and a trailing comma follows `"type": 1` (erratum 1).
DOC_RECORD = """{
"cid": "294300000111",
"time": 1568101332,
"faces": [
"/9j/4AAQSkZJRgABAQ"
  ],
"result": {
"age": 0,
"confidence": 0.9300000071525574,
"person_id": "1567910643_dgQdv2x9",
"person_name": "Huhao",
"person_type": 1,
"sex": " male"
"temperature":36.5,
"facemask":1
  },
"type": 1,

}"""
DOC_QUERY_RESULT = {
    "cid": "0012b516a202",
    "type": 4,
    "time": 1542430377,
    "total_face": 2,
    "face": [
        {
            "person_id": "20190629153538m3CH6Jdtc2DHnANaab",
            "person_name": "Zhangli",
            "age": 25,
            "sex": "male",
            "strategyId": 1,
            "cardNo": "123015",
        },
        {
            "person_id": "20190629153538MFwkbpkVeRXQVCmiYi",
            "person_name": "Mingming",
            "age": 26,
            "sex": "female",
            "strategyId": 2,
            "cardNo": "123016",
        },
    ],
}
# A moment just after the document's record time, in UTC+8 (the examples' time zone).
ZONE = timezone(timedelta(hours=8))
NOW = datetime.fromtimestamp(1568101340, ZONE)


def _record(body: dict[str, Any] | str, **kwargs: Any) -> AccessRecord:
    upload = decode_upload(body if isinstance(body, str) else json.dumps(body))
    record = record_from(upload, now=kwargs.pop("now", NOW), **kwargs)
    assert isinstance(record, AccessRecord)
    return record


def test_the_documents_invalid_record_example_decodes() -> None:
    """The missing and trailing commas are repaired; fields nested in `result` are read."""
    record = _record(DOC_RECORD)

    assert record.kind is AccessKind.RECOGNIZED
    assert record.person_id == "1567910643_dgQdv2x9"
    assert record.person_name == "Huhao"
    assert record.similarity == 93.0
    assert record.temperature == 36.5
    assert record.temperature_alarm is False
    assert record.mask is True
    assert record.historical is False
    # UTC seconds shown as local (naive) time in Home Assistant's zone.
    assert record.time == datetime(2019, 9, 10, 15, 42, 12)
    assert record.picture is not None
    assert record.picture.raw == "/9j/4AAQSkZJRgABAQ"


def test_flat_fields_of_the_table_are_read_too() -> None:
    """The field table is flat (erratum 3): top-level person fields work as well."""
    record = _record(
        {
            "cid": "294300000111",
            "type": 1,
            "time": 1568101332,
            "faces": "/9j/AAAA",
            "person_id": "7",
            "person_name": " Ann ",
            "person_type": "1",
            "confidence": "93",
            "temperature": "37.3",
            "facemask": "0",
        }
    )

    assert record.person_name == "Ann"
    assert record.similarity == 93.0  # a 0-100 confidence is kept (erratum 25)
    assert record.temperature_alarm is True  # 37.3 reaches the default threshold
    assert record.mask is False
    assert record.picture is not None  # `faces` as a bare string


def test_a_stranger_carries_no_person() -> None:
    """`person_type` 0: a stranger; the empty ID and name and the 0 confidence are dropped."""
    record = _record(
        {
            "cid": "c",
            "type": 1,
            "time": 1568101335,
            "faces": ["/9j/BBBB"],
            "result": {
                "person_id": "",
                "person_name": "",
                "confidence": 0,
                "person_type": 0,
                "temperature": 38.1,
                "facemask": 0,
            },
        }
    )

    assert record.kind is AccessKind.STRANGER
    assert (record.person_id, record.person_name, record.similarity) == (None, None, None)
    assert record.temperature_alarm is True


def test_detection_switched_off_says_nothing_about_temperature_or_mask() -> None:
    """Without the fields (detection disabled), temperature and mask are unknown."""
    record = _record({"cid": "c", "type": 1, "time": 1568101335, "result": {"person_type": 0}})

    assert (record.temperature, record.temperature_alarm, record.mask) == (None, None, None)


def test_fahrenheit_readings_become_celsius_and_use_the_tablets_threshold() -> None:
    """With `temperature.unit` 1 the reading and threshold are °F (§9); state is °C."""
    config = TabletConfig(high_threshold=99.5, fahrenheit=True)
    body = {"cid": "c", "type": 1, "time": 1568101335, "result": {"temperature": 100.4}}

    record = _record(body, config=config)

    assert record.temperature == 38.0
    assert record.temperature_alarm is True


def test_a_retransmitted_record_is_historical_with_the_same_key() -> None:
    """§6: a re-sent record keeps its time; seen later it is backlog, and its key repeats."""
    live = _record(DOC_RECORD)
    later = _record(DOC_RECORD, now=NOW + timedelta(minutes=5))

    assert later.historical is True
    assert later.key == live.key


def test_records_with_another_picture_in_the_same_second_are_distinct() -> None:
    """The time has 1 s resolution; the picture digest tells two passages apart."""
    other = DOC_RECORD.replace("/9j/4AAQSkZJRgABAQ", "/9j/4AAQSkZJRgABAg")

    assert _record(other).key != _record(DOC_RECORD).key


def test_an_unset_clock_gives_no_time_and_no_backlog() -> None:
    """A 1970 clock (a tablet never set) is no time at all, not a record from 1970."""
    record = _record({"cid": "c", "type": 1, "time": 12345, "result": {"temperature": 36.6}})

    assert record.time is None
    assert record.historical is False


def test_an_interval_capture_is_only_a_picture() -> None:
    """`person_type` 2: images captured at intervals; no access event."""
    upload = decode_upload(
        json.dumps(
            {"cid": "c", "type": 1, "time": 1, "faces": ["/9j/C"], "result": {"person_type": 2}}
        )
    )

    assert isinstance(record_from(upload, now=NOW), CapturedPicture)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("[1, 2]", "not a JSON object"),
        ("{not json", "not JSON"),
        ('{"cid": "c"}', "no type"),
        ('{"cid": "c", "type": 2}', "unknown type"),
        ('{"cid": "c", "type": "heartbeat"}', "unknown type"),
    ],
)
def test_what_is_not_a_tablet_message_is_refused(body: str, reason: str) -> None:
    """Dispatch is on `type` (or the `alarm` key); anything else is a DecodeError."""
    with pytest.raises(DecodeError, match=reason):
        decode_upload(body)


def test_an_empty_record_is_refused() -> None:
    """A record that says nothing is no record (it would only change state)."""
    with pytest.raises(DecodeError):
        record_from(decode_upload('{"cid": "c", "type": 1}'), now=NOW)


def test_heartbeat_fields() -> None:
    """§2 example: `seq` doubles as the send time."""
    heartbeat = heartbeat_from(
        decode_upload(
            '{"app_version": "1.0.1.1", "cid": "0012b516a202", "seq": 1569497378,'
            ' "uptime": 1569497378, "type": 3}'
        )
    )

    assert (heartbeat.seq, heartbeat.uptime, heartbeat.app_version) == (
        1569497378,
        1569497378,
        "1.0.1.1",
    )


def test_the_door_alarm_has_no_cid_and_no_type() -> None:
    """§13: the body is only `alarm`; its 9-digit example time is no time (erratum 29)."""
    upload = decode_upload(
        '{"alarm": {"seq": 12123, "time": 175682364, "alarmtype": 1, "alarmdata": ""}}'
    )
    alarm = door_alarm_from(upload, now=NOW)

    assert upload.type is None
    assert upload.cid is None
    assert alarm is not None
    assert alarm.kind is AlarmKind.DOOR_ALARM
    assert alarm.time is None
    assert door_alarm_from(Upload(None, None, {"alarm": {"alarmtype": 5}}), now=NOW) is None


def test_the_query_result_lists_people() -> None:
    """§3.4: the people are in a `face` array that only the example shows (erratum 4)."""
    people = people_from(decode_upload(json.dumps(DOC_QUERY_RESULT)))

    assert [(p.person_id, p.name, p.card_number) for p in people] == [
        ("20190629153538m3CH6Jdtc2DHnANaab", "Zhangli", "123015"),
        ("20190629153538MFwkbpkVeRXQVCmiYi", "Mingming", "123016"),
    ]
    assert people_from(Upload(4, "c", {"total_face": 0})) == []


def test_batch_control_and_config_results() -> None:
    """Results of §7 (per person), §12 (seq and errcode) and §9 (settings or errcode)."""
    batch = decode_upload(
        '{"cid": "042082065161", "type": 9, "time": 1584424711, "facelib_batch":'
        ' {"resultList": [{"operType": 1, "id": "a", "result": 0},'
        ' {"operType": 3, "id": "b", "result": 1}]}}'
    )
    control = decode_upload(
        '{"cid": "042082065161", "type": 12, "time": 1584945022,'
        ' "control": {"seq": 12123, "errcode": 0}}'
    )
    query = decode_upload(
        '{"cid": "042082065161", "type": 10, "time": 1584945022, "config": {"temperature":'
        ' {"enable": 1, "high_threshold": 37.50, "unit": 0}, "relay": {"duration": 2}}}'
    )
    confirmation = decode_upload('{"cid": "c", "type": 10, "config": {"seq": 22, "errcode": 0}}')

    assert batch_results_from(batch) == {"a": 0, "b": 1}
    assert sub_result(control, "control") == (12123, 0)
    assert config_from(query) == TabletConfig(high_threshold=37.5, fahrenheit=False)
    assert config_from(confirmation) is None


def test_enrolment_is_nested_with_an_image_array() -> None:
    """§3.4 example: `face` object, `image` an array (erratum 9), strategy 0."""
    body = facelib_add(
        17,
        Enrollment(person_id="p1", name="Ada", photo_jpeg=b"", card_number="11223344"),
        "/9j/PHOTO",
    )

    assert body == {
        "facelib_manage": {
            "type": 1,
            "seq": 17,
            "face": {
                "id": "p1",
                "name": "Ada",
                "strategyId": 0,
                "image": ["/9j/PHOTO"],
                "cardNo": "11223344",
            },
        }
    }


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"person_id": "x" * 36}, "person_id"),
        ({"person_id": "a,b"}, "comma"),
        ({"name": "é" * 18}, "name"),  # 36 bytes of UTF-8
        ({"card_number": "1" * 36}, "card_number"),
        ({"valid_until": datetime(2030, 1, 1)}, "validity"),
        ({"person_list": PersonList.BLOCK}, "block list"),
    ],
)
def test_what_the_tablet_cannot_store_is_refused(changes: dict[str, Any], reason: str) -> None:
    """Limits in bytes, the smaller of the conflicting ones (erratum 8); no validity."""
    enrollment = Enrollment(**{"person_id": "p1", "name": "Ada", "photo_jpeg": b"", **changes})

    with pytest.raises(InvalidRequestError, match=reason):
        facelib_add(1, enrollment, "")


def test_delete_commands() -> None:
    """§3.4: `person_ids` is one comma-separated string; §7: batch deletes read only `id`."""
    assert facelib_delete(3, ["a", "b"]) == {
        "facelib_manage": {"type": 3, "seq": 3, "person_ids": "a,b"}
    }
    assert batch_delete(["a"]) == {"facelib_batch": {"personList": [{"operType": 3, "id": "a"}]}}


def test_time_set_sends_utc_seconds_and_the_zone_offset() -> None:
    """§3.3: `time_stamp` UTC seconds, `time_zone` seconds east (28800 = UTC+8)."""
    assert time_set(NOW) == {"time_set": {"time_stamp": 1568101340, "time_zone": 28800}}
    assert time_set(datetime(2026, 1, 1, tzinfo=UTC))["time_set"]["time_zone"] == 0
    assert NOW.timestamp() > SEQ_LIMIT
