"""Catch-up of the Huaan face capture terminal: `request records` (2.2.2) after an outage.

Client against the simulator over real sockets (the rig of test_face_capture_settings).
"L123" is a line of face-capture-http-v0.37.txt; "digest" is
`shared/protocols/face_capture_http.md`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from custom_components.face_access.protocols.face_capture_http import Mode
from custom_components.face_access.protocols.face_capture_http.records import history_record
from custom_components.face_access.protocols.model import (
    AccessKind,
    AccessRecord,
    DeviceRefusedError,
    PersonList,
)
from simulators.lifecycle import free_port

from .test_face_capture_settings import MakeRig, Rig, make_rig, until

__all__ = ["make_rig"]  # the fixture, shared with the settings tests

SERIAL = "000001-000002-0000BC"


def away(rig: Rig) -> None:
    """Point the device's upload at a port where nothing listens: Home Assistant is down."""
    rig.sim.configure_url(f"http://127.0.0.1:{free_port('127.0.0.1')}/api/webhook/upload-abc")


def back(rig: Rig) -> None:
    """Point the device's upload at Home Assistant again."""
    rig.sim.configure_url(rig.upload_url)


async def set_clock(rig: Rig, when: datetime) -> None:
    """Move the device's clock (`update date time`, 2.9.2) as if `when` were now."""
    await rig.connection.command("update date time", date_time=f"{when:%Y/%m/%d %H:%M:%S}")


async def test_records_made_while_home_assistant_was_away_come_back_once_each(
    make_rig: MakeRig,
) -> None:
    """The window's records, historical, in time order, with the keys of their live pushes."""
    rig = await make_rig(client_options={"sync_time": False})
    rig.sim.add_person("0001", "XiaoMing")
    away(rig)
    start = rig.sim.now() - timedelta(seconds=1)
    made = [
        rig.sim.recognition("0001", temperature=36.6),
        rig.sim.stranger(temperature=36.9),
        rig.sim.denied(-6, "0001", temperature=38.4),
    ]
    end = rig.sim.now() + timedelta(seconds=1)
    assert rig.sim.queued == made
    assert [e["upload_state"] for e in rig.sim.history] == [0, 0, 0]

    count = await rig.client.fetch_records(start, end)

    fetched = rig.records()
    assert count == 3
    assert [r.record_id for r in fetched] == [str(n) for n in made]
    assert all(r.historical for r in fetched)
    assert [r.kind for r in fetched] == [
        AccessKind.RECOGNIZED,
        AccessKind.STRANGER,
        AccessKind.DENIED,
    ]
    recognized, stranger, denied = fetched
    assert (recognized.person_id, recognized.person_name) == ("0001", "XiaoMing")
    assert (recognized.similarity, recognized.temperature) == (90.0, 36.6)
    assert recognized.person_list is PersonList.ALLOW
    assert (stranger.person_id, stranger.temperature) == (None, 36.9)
    assert (denied.reason, denied.temperature_alarm) == ("high_temperature", True)
    times = [r.time for r in fetched]
    assert times == sorted(times)

    # Home Assistant is back: the device sends the same records again, as backlog.
    rig.messages.clear()
    back(rig)
    await until(lambda: len(rig.records()) == 3)
    live = rig.records()
    assert [r.key for r in live] == [r.key for r in fetched]
    assert all(r.historical for r in live)
    assert [e["upload_state"] for e in rig.sim.history] == [1, 1, 1]


async def test_only_the_window_is_returned(make_rig: MakeRig) -> None:
    """Records are chosen by their own local `time`, whatever zone the query's Unix time has."""
    rig = await make_rig(client_options={"sync_time": False})
    away(rig)
    now = datetime.now().replace(microsecond=0)
    await set_clock(rig, now - timedelta(hours=3))
    early = rig.sim.stranger(temperature=36.5)
    await set_clock(rig, now - timedelta(hours=1))
    inside = rig.sim.stranger(temperature=36.6)
    await set_clock(rig, now)
    late = rig.sim.stranger(temperature=36.7)
    assert len({early, inside, late}) == 3

    count = await rig.client.fetch_records(now - timedelta(hours=2), now - timedelta(minutes=30))

    assert count == 1
    assert [r.record_id for r in rig.records()] == [str(inside)]


async def test_many_records_are_read_page_by_page(make_rig: MakeRig) -> None:
    """At most 20 a page (L1717), pages from 1; every record once."""
    rig = await make_rig(client_options={"sync_time": False})
    away(rig)
    start = rig.sim.now() - timedelta(seconds=1)
    made = [rig.sim.stranger(temperature=36.5) for _ in range(45)]
    end = rig.sim.now() + timedelta(seconds=1)

    count = await rig.client.fetch_records(start, end)

    assert count == 45
    assert sorted(int(r.record_id or 0) for r in rig.records()) == made
    assert rig.sim.commands.count("request records") == 3


async def test_an_empty_window_emits_nothing(make_rig: MakeRig) -> None:
    rig = await make_rig(client_options={"sync_time": False})
    rig.sim.stranger(temperature=36.5)
    await until(lambda: len(rig.records()) == 1)
    rig.messages.clear()
    past = datetime.now() - timedelta(days=3)

    assert await rig.client.fetch_records(past, past + timedelta(hours=1)) == 0
    assert rig.records() == []


async def test_records_dropped_by_the_device_are_found_by_the_query(make_rig: MakeRig) -> None:
    """A device that lost its upload queue still lists the records, `upload_state` 0."""
    rig = await make_rig(client_options={"sync_time": False})
    away(rig)
    start = rig.sim.now() - timedelta(seconds=1)
    lost = rig.sim.stranger(temperature=37.0)
    assert rig.sim.drop_backlog() == [lost]
    back(rig)

    assert await rig.client.fetch_records(start, rig.sim.now() + timedelta(seconds=1)) == 1
    assert rig.records()[0].record_id == str(lost)
    assert rig.sim.history[0]["upload_state"] == 0


async def test_firmware_without_the_query_refuses(make_rig: MakeRig) -> None:
    """Code 2: "the server does not contain the service" (L284)."""
    rig = await make_rig(old_firmware=True, client_options={"sync_time": False})

    with pytest.raises(DeviceRefusedError) as refused:
        await rig.client.fetch_records(datetime.now() - timedelta(hours=1), datetime.now())
    assert refused.value.code == "2"


async def test_records_are_fetched_through_the_long_poll(make_rig: MakeRig) -> None:
    """`request records` is valid for the configuration client too (L1805-L1808)."""
    rig = await make_rig(Mode.LONG_POLL, client_options={"sync_time": False})
    await until(lambda: rig.client.online)
    away(rig)
    start = rig.sim.now() - timedelta(seconds=1)
    made = rig.sim.stranger(temperature=36.5)

    assert await rig.client.fetch_records(start, rig.sim.now() + timedelta(seconds=1)) == 1
    assert rig.records()[0].record_id == str(made)


# ---- the decoding itself (pure) -------------------------------------------------------------


def test_an_entry_missing_fields_still_decodes() -> None:
    """ "Some fields that failed to compare are absent" (L1767): the document's stranger."""
    entry = {
        "body_temp": 36.335811614990234,
        "match_failed_reson": -11,
        "match_type": 0,
        "score": -1,
        "sequence": 34903,
        "time": "2020/07/01 17:14:18.116",
        "upload_state": 0,
    }

    record = history_record(entry, SERIAL)

    assert isinstance(record, AccessRecord)
    assert record.kind is AccessKind.STRANGER
    assert record.key == f"{SERIAL}|34903|2020/07/01 17:14:18.116"
    assert record.time == datetime(2020, 7, 1, 17, 14, 18, 116000)
    assert (record.temperature, record.historical) == (36.3, True)


def test_the_documents_recognition_decodes_as_its_push_would() -> None:
    entry = {
        "body_temp": 36.303585052490234,
        "customer_id": "",
        "id": "YunZhongShuangYue",
        "match_failed_reson": 0,
        "match_type": 1,
        "name": "Xiao He",
        "person_name_ext": "",
        "role": 1,
        "score": 94,
        "sequence": 34894,
        "time": "2020/06/05 11:51:18.454",
        "upload_state": 1,
    }

    record = history_record(entry, SERIAL)

    assert record is not None
    assert (record.kind, record.person_id, record.similarity) == (
        AccessKind.RECOGNIZED,
        "YunZhongShuangYue",
        94.0,
    )


@pytest.mark.parametrize(
    "entry",
    [
        {"time": "2020/07/01 17:14:18.116", "score": -1, "body_temp": 36.5},
        {"sequence": 3, "score": -1, "body_temp": 36.5},
        {"sequence": 3, "time": "2020/07/01 17:14:18.116"},
    ],
)
def test_an_entry_without_identity_or_content_is_left_out(entry: dict[str, object]) -> None:
    assert history_record(entry, SERIAL) is None
