"""Tests of the face-terminal simulator and the amqtt broker launcher.

A real amqtt broker runs in a child process; the simulator connects to it, and a raw
paho-mqtt client plays the platform (Home Assistant) side. Section numbers (§) refer to
face-terminal-mqtt-v1.24.txt.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
import datetime as dt
import io
import itertools
import json
import re
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from PIL import Image
import pytest

from simulators.broker import Broker
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.images import decode_base64_picture, make_bmp, make_jpeg, sniff_format, to_data_uri

DEVICE_ID = "1305433"
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@dataclass
class Received:
    """One message seen by the platform."""

    topic: str
    payload: bytes
    message: dict[str, Any]

    @property
    def operator(self) -> str:
        return str(self.message.get("operator", ""))

    @property
    def info(self) -> dict[str, Any]:
        info = self.message.get("info")
        return info if isinstance(info, dict) else {}


class Platform:
    """The platform side: a plain paho client subscribed to ``mqtt/face/#``."""

    _ids = itertools.count(1)

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._subscribed = threading.Event()
        self.client_id = f"ha-platform-{next(self._ids)}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self._message_ids = itertools.count(1)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            decoded = json.loads(msg.payload)
        except ValueError:
            decoded = {}
        with self._lock:
            self._messages.append(Received(msg.topic, bytes(msg.payload), decoded))

    def start(self) -> None:
        self.client.connect(self._broker.host, self._broker.port)
        self.client.subscribe("mqtt/face/#", qos=1)
        self.client.loop_start()
        assert self._subscribed.wait(10)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        for thread in threading.enumerate():
            if thread.name == f"paho-mqtt-client-{self.client_id}":
                thread.join()

    def messages(self, operator: str | None = None, topic: str | None = None) -> list[Received]:
        with self._lock:
            return [
                m
                for m in self._messages
                if (operator is None or m.operator == operator)
                and (topic is None or m.topic == topic)
            ]

    def send(
        self, operator: str, info: Any = None, *, device_id: str = DEVICE_ID, **top: Any
    ) -> str:
        message_id = f"ha-{operator}-{next(self._message_ids)}"
        body: dict[str, Any] = {
            "messageId": message_id,
            "operator": operator,
            "info": {} if info is None else info,
        }
        body.update(top)
        self.client.publish(f"mqtt/face/{device_id}", json.dumps(body), qos=1).wait_for_publish(5)
        return message_id

    def wait_ack(
        self, message_id: str, *, device_id: str = DEVICE_ID, timeout: float = 5.0
    ) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def _has_ack() -> bool:
            for m in self.messages(topic=f"mqtt/face/{device_id}/Ack"):
                if m.message.get("messageId") == message_id:
                    found.append(m.message)
                    return True
            return False

        assert FaceTerminalSimulator.wait_for(_has_ack, timeout), f"no ack for {message_id}"
        return found[0]

    def request(
        self, operator: str, info: Any = None, *, device_id: str = DEVICE_ID, **top: Any
    ) -> dict[str, Any]:
        return self.wait_ack(
            self.send(operator, info, device_id=device_id, **top), device_id=device_id
        )

    def wait_count(self, operator: str, count: int, timeout: float = 5.0) -> list[Received]:
        assert FaceTerminalSimulator.wait_for(
            lambda: len(self.messages(operator)) >= count, timeout
        ), f"expected {count} {operator}, got {len(self.messages(operator))}"
        return self.messages(operator)


@pytest.fixture
def broker(socket_enabled: None) -> Iterator[Broker]:
    """A fresh amqtt broker subprocess per test (it starts in well under a second)."""
    with Broker() as running:
        yield running


@pytest.fixture
def platform(broker: Broker) -> Iterator[Platform]:
    """The platform client, subscribed before any simulator starts."""
    client = Platform(broker)
    client.start()
    yield client
    client.stop()


@pytest.fixture
def make_sim(broker: Broker) -> Iterator[Callable[..., FaceTerminalSimulator]]:
    """Start simulators with short timers; stop them all at teardown."""
    started: list[FaceTerminalSimulator] = []

    def _make(**kwargs: Any) -> FaceTerminalSimulator:
        options: dict[str, Any] = {
            "heartbeat_interval": 30.0,
            "online_repeat_interval": 30.0,
            "resend_interval": 0.3,
            "restart_delay": 0.3,
        }
        options.update(kwargs)
        simulator = FaceTerminalSimulator(broker.host, broker.port, **options)
        simulator.start()
        started.append(simulator)
        return simulator

    yield _make
    for simulator in started:
        simulator.stop()


def _online_acked(platform: Platform, sim: FaceTerminalSimulator) -> None:
    platform.wait_count("Online", 1)
    platform.send(
        "Online-Ack",
        {"facesluiceId": sim.device_id, "result": "ok", "detail": ""},
        device_id=sim.device_id,
    )
    assert sim.wait_online_acked(5)


def _edit_person(
    custom_id: str, name: str, picture: bytes | None = None, **fields: Any
) -> dict[str, Any]:
    info: dict[str, Any] = {"customId": custom_id, "name": name, "personType": 0, "tempCardType": 0}
    if picture is not None:
        info["pic"] = to_data_uri(picture)
    info.update(fields)
    return info


# --------------------------------------------------------------------- broker


def test_broker_subprocess_starts_and_stops(socket_enabled: None) -> None:
    """The broker is a child process on 127.0.0.1, gone after stop()."""
    broker = Broker()
    broker.start()
    try:
        assert broker.running
        assert broker.host == "127.0.0.1"
        assert broker.pid is not None
    finally:
        broker.stop()
    assert not broker.running


# ------------------------------------------------------------------ lifecycle


def test_online_repeats_until_online_ack(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§10.1: Online on mqtt/face/basic, repeated until Online-Ack, then no more."""
    sim = make_sim(online_repeat_interval=0.25)
    onlines = platform.wait_count("Online", 3)
    first = onlines[0]
    assert first.topic == "mqtt/face/basic"
    assert "messageId" not in first.message
    assert first.info["facesluiceId"] == DEVICE_ID
    assert first.info["facesname"] == "Face1"
    assert first.info["ip"] == "127.0.0.1"
    assert TIME_RE.match(first.info["time"])
    assert not sim.online_acked

    # The document's own Online-Ack uses the number 10201 as messageId (§10.2, E37).
    body = {
        "messageId": 10201,
        "operator": "Online-Ack",
        "info": {"facesluiceId": DEVICE_ID, "result": "ok"},
    }
    platform.client.publish(f"mqtt/face/{DEVICE_ID}", json.dumps(body), qos=1)
    assert sim.wait_online_acked(5)
    sent = sim.online_count
    time.sleep(0.8)
    assert sim.online_count == sent
    assert FaceTerminalSimulator.wait_for(lambda: len(platform.messages("Online")) == sent, 2)
    # Online-Ack gets no reply.
    assert platform.messages(topic=f"mqtt/face/{DEVICE_ID}/Ack") == []


def test_heartbeat(platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]) -> None:
    """§15: HeartBeat on mqtt/face/heartbeat at the configured interval."""
    make_sim(heartbeat_interval=0.2)
    beats = platform.wait_count("HeartBeat", 3)
    for beat in beats:
        assert beat.topic == "mqtt/face/heartbeat"
        assert beat.info["facesluiceId"] == DEVICE_ID
        assert TIME_RE.match(beat.info["time"])
        assert "messageId" not in beat.message


def test_stop_is_final_and_abrupt_stop_sends_will(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """stop() leaves no thread, publishes nothing after; a dropped link fires the Will (§10.3)."""
    before = set(threading.enumerate())
    sim = make_sim(heartbeat_interval=0.1, device_id="1000001")
    platform.wait_count("HeartBeat", 2)
    sim.stop()
    assert set(threading.enumerate()) - before == set()
    count = len(platform.messages())
    time.sleep(0.5)
    assert len(platform.messages()) == count
    assert platform.messages("Offline") == []  # a clean disconnect sends no Will

    other = make_sim(device_id="1000002")
    platform.wait_count("Online", 2)
    other.stop(abrupt=True)
    offline = platform.wait_count("Offline", 1)[0]
    assert offline.topic == "mqtt/face/basic"
    assert offline.message == {"operator": "Offline", "info": {"facesluiceId": "1000002"}}


# -------------------------------------------------------------------- records


def test_record_resent_until_push_ack(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§11: an unacknowledged RecPush is re-sent identically; PushAck stops it."""
    sim = make_sim(resend_interval=0.3)
    sim.add_person("cust-1", "Zhang San", idCard="421381199504030001")
    sim.drop_push_acks(1)
    record_id = sim.push_record("cust-1", temperature=36.53, mask_checked=True, no_mask=False)

    first = platform.wait_count("RecPush", 1)[0]
    assert first.topic == f"mqtt/face/{DEVICE_ID}/Rec"
    info = first.info
    assert info["RecordID"] == str(record_id)
    assert info["customId"] == "cust-1"
    assert info["persionName"] == "Zhang San"
    assert info["personId"] == sim.persons["cust-1"]["personId"]
    assert info["VerifyStatus"] == "1"
    assert info["PersonType"] == "0"
    assert info["similarity1"] == "93.500000"
    assert info["Sendintime"] == 0
    assert info["direction"] == "entr"
    assert info["otype"] == str(1 | 0x100 | 0x200)
    assert info["temperature"] == "36.53"
    assert info["temperatureAlarm"] == "0"
    assert info["isNoMask"] == "0"
    assert info["PushType"] == "0"
    assert info["facesluiceId"] == DEVICE_ID
    assert info["facesluiceName"] == "Face1"
    assert info["idCard"] == "421381199504030001"
    assert TIME_RE.match(info["time"])
    assert info["pic"].startswith("data:image/jpeg;base64,")
    assert sniff_format(decode_base64_picture(info["pic"])) == "jpeg"

    # This PushAck is "lost": the record must come again, byte for byte.
    platform.send("PushAck", {"PushAckType": "2", "SnapOrRecordID": str(record_id)})
    records = platform.wait_count("RecPush", 2)
    assert records[1].payload == records[0].payload
    assert sim.resend_count >= 1
    assert record_id not in sim.acked_records

    # Numbers as ints are accepted too.
    ack = platform.request("PushAck", {"PushAckType": 2, "SnapOrRecordID": record_id})
    assert ack["operator"] == "PushAck-Ack"
    assert sim.acked_records == {record_id}
    assert sim.pending_pushes == set()
    settled = len(platform.messages("RecPush"))
    time.sleep(0.8)
    assert len(platform.messages("RecPush")) == settled


def test_stranger_snapshot_and_replay(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§6 StrSnapPush (BMP labelled jpeg) acked by PushAck type 1; PushType 2 needs no ack (§20)."""
    sim = make_sim(resend_interval=0.3)
    snap_id = sim.push_stranger(temperature=37.9)
    snap = platform.wait_count("StrSnapPush", 1)[0]
    assert snap.topic == f"mqtt/face/{DEVICE_ID}/Snap"
    assert snap.info["SnapID"] == str(snap_id)
    assert snap.info["temperatureAlarm"] == "1"
    assert snap.info["pic"].startswith("data:image/jpeg;base64,Qk")  # BMP data, as in the document
    assert sniff_format(decode_base64_picture(snap.info["pic"])) == "bmp"
    platform.request("PushAck", {"PushAckType": "1", "SnapOrRecordID": str(snap_id)})
    assert sim.acked_snaps == {snap_id}

    replay = sim.push_record(push_type=2, picture=None)
    rec = platform.wait_count("RecPush", 1)[0]
    assert rec.info["PushType"] == "2"
    assert "pic" not in rec.info
    assert rec.info["customId"] == ""
    assert rec.info["persionName"] == ""
    assert (2, replay) not in sim.pending_pushes
    time.sleep(0.7)
    assert len(platform.messages("RecPush")) == 1


def test_qr_card_and_id_card_pushes(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§14.3 QRCodePush, §23 CardPush (object CardInfo), §21 IDCardPush (nested IDCardInfo)."""
    sim = make_sim()
    sim.push_qr("https://example.invalid/qr")
    sim.push_card("86664719")
    sim.push_id_card()
    qr = platform.wait_count("QRCodePush", 1)[0]
    assert qr.topic == f"mqtt/face/{DEVICE_ID}/QRcode"
    assert qr.info["QRCodeInfo"] == "https://example.invalid/qr"
    card = platform.wait_count("CardPush", 1)[0]
    assert card.topic == f"mqtt/face/{DEVICE_ID}/card"
    assert card.info["CardInfo"] == {"CardMode": "1", "Endian": "1", "CardNum": "86664719"}
    id_card = platform.wait_count("IDCardPush", 1)[0]
    assert id_card.topic == f"mqtt/face/{DEVICE_ID}/IDcard"
    assert sniff_format(decode_base64_picture(id_card.info["IDCardInfo"]["IDCard_Photo"])) == "jpeg"


# -------------------------------------------------------------------- persons


def test_edit_person_then_search(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§4.1 EditPerson, §4.2.3 SearchPersonList (paged), §4.2.2 SearchPerson with picture."""
    sim = make_sim()
    photo = make_jpeg(variant=2)
    ack = platform.request(
        "EditPerson", _edit_person("063c81e0", "Zhang San", photo, gender=1, idCard="4213")
    )
    assert ack["operator"] == "EditPerson-Ack"
    assert ack["code"] == "200"
    assert ack["info"]["result"] == "ok"
    assert ack["info"]["customId"] == "063c81e0"
    assert ack["info"]["facesluiceId"] == DEVICE_ID
    assert ack["info"]["personId"]

    listing = platform.request(
        "SearchPersonList",
        {
            "facesluiceId": DEVICE_ID,
            "personType": 2,
            "gender": 2,
            "BeginNO": 0,
            "RequestCount": 100,
        },
    )
    assert listing["operator"] == "SearchPersonList-Ack"
    info = listing["info"]
    assert info["result"] == "ok"
    assert info["TotalPersonNum"] == "1"
    assert info["PersonNum"] == "1"
    entry = info["List"][0]
    assert entry["customId"] == "063c81e0"
    assert entry["name"] == "Zhang San"
    assert entry["gender"] == "1"
    assert entry["idCard"] == "4213"
    assert entry["cardValidBegin"] == entry["cardValidEnd"] == "0000-00-00 00:00:00"
    assert "pic" not in entry

    single = platform.request("SearchPerson", {"customId": "063c81e0", "Picture": "1"})
    assert single["info"]["Name"] == "Zhang San"
    assert decode_base64_picture(single["info"]["pic"]) == photo
    assert decode_base64_picture(single["pic"]) == photo
    missing = platform.request("SearchPerson", {"customId": "nobody"})
    assert (missing["code"], missing["info"]["result"]) == ("464", "fail")

    # Upsert: the same customId modifies, without needing a new picture (no pacing rule then).
    platform.request("EditPerson", _edit_person("063c81e0", "Zhang San Jr"))
    assert sim.persons["063c81e0"]["name"] == "Zhang San Jr"
    assert sim.persons["063c81e0"]["picture"] == photo
    assert sim.pacing_violations == []

    # Two enrolments with pictures less than 1 s apart break the §4.1 pacing rule.
    time.sleep(1.05)
    platform.request("EditPerson", _edit_person("p2", "Li Si", make_jpeg(variant=3)))
    platform.request("EditPerson", _edit_person("p3", "Wang Wu", make_bmp(variant=4)))
    assert [v["customId"] for v in sim.pacing_violations] == ["p3"]

    page = platform.request("SearchPersonList", {"personType": 2, "BeginNO": 2, "RequestCount": 2})
    assert (page["info"]["TotalPersonNum"], page["info"]["PersonNum"]) == ("3", "1")
    assert [p["customId"] for p in page["info"]["List"]] == ["p3"]
    by_name = platform.request("SearchPersonList", {"name": "li", "BeginNO": 0, "RequestCount": 10})
    assert [p["customId"] for p in by_name["info"]["List"]] == ["p2"]
    other = platform.request("SearchPersonList", {"facesluiceId": "999"})
    assert other["code"] == "465"


def test_edit_person_bad_pictures(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§4.1 error codes and strings (appendix §4.1)."""
    sim = make_sim()

    def fail(info: dict[str, Any]) -> tuple[str, str]:
        ack = platform.request("EditPerson", info)
        assert ack["info"]["result"] == "fail"
        return ack["code"], ack["info"]["detail"]

    not_image = base64.b64encode(b"this is not a picture at all" * 10).decode()
    assert fail({"customId": "a", "name": "A", "pic": f"data:image/jpeg;base64,{not_image}"}) == (
        "464",
        "Get pic Person Feature err, please change a pic",
    )
    assert fail({"customId": "a", "name": "A", "pic": "data:image/jpeg;base64,@@not base64@@"}) == (
        "463",
        "pic base64 data decode err",
    )
    assert fail({"customId": "a", "name": "A"}) == ("472", "get pic and get URI error")
    assert fail({"name": "A", "pic": to_data_uri(make_jpeg())}) == ("461", "can't find customId")
    too_big = b"\xff\xd8\xff\xe0" + bytes(1024 * 1024)
    assert fail({"customId": "a", "name": "A", "pic": to_data_uri(too_big)}) == (
        "460",
        "Data out of range",
    )
    assert sim.persons == {}

    # PNG and BMP pass the magic-byte check; a picURI is stored, not downloaded.
    platform.request("EditPerson", {"customId": "b", "Name": "B", "pic": to_data_uri(make_bmp())})
    platform.request(
        "EditPerson", {"customId": "c", "name": "C", "picURI": "http://127.0.0.1:9/c.jpg"}
    )
    assert set(sim.persons) == {"b", "c"}
    assert sim.persons["c"]["picURI"] == "http://127.0.0.1:9/c.jpg"


def test_del_person(platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]) -> None:
    """§4.3 DelPerson: ok, then 464 for an unknown person, 461 without customId."""
    sim = make_sim()
    person = sim.add_person("gone", "Gone Person")
    ack = platform.request("DelPerson", {"customId": "gone"})
    assert (ack["operator"], ack["code"], ack["info"]["result"]) == ("DelPerson-Ack", "200", "ok")
    assert ack["info"]["personId"] == person["personId"]
    assert sim.persons == {}
    again = platform.request("DelPerson", {"customId": "gone"})
    assert (again["code"], again["info"]["detail"]) == ("464", "can't find customId's person")
    empty = platform.request("DelPerson", {})
    assert (empty["code"], empty["info"]["detail"]) == ("461", "can't find customId")


def test_delete_persons_counts(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§4.9 DeletePersons: success and failure counts as strings, item lists, 412/417 errors."""
    sim = make_sim()
    sim.add_person("x1", "X One")
    sim.add_person("x2", "X Two")
    sim.add_person("keep", "Keep Me")
    ids = ["x1", "x2", "unknown"]
    ack = platform.request(
        "DeletePersons",
        {"customId": ids},
        DataBegin="BeginFlag",
        DataEnd="EndFlag",
        PersonNum=str(len(ids)),
    )
    info = ack["info"]
    assert info["result"] == "ok"
    assert (info["DelSucNum"], info["DelErrNum"]) == ("2", "1")
    assert info["DelSucInfo"] == [{"customId": "x1"}, {"customId": "x2"}]
    assert info["DelErrInfo"] == [{"customId": "unknown"}]
    assert set(sim.persons) == {"keep"}

    mismatch = platform.request(
        "DeletePersons",
        {"customId": ["keep"]},
        DataBegin="BeginFlag",
        DataEnd="EndFlag",
        PersonNum=2,
    )
    assert mismatch["code"] == "417"
    no_begin = platform.request(
        "DeletePersons", {"customId": ["keep"]}, DataEnd="EndFlag", PersonNum=1
    )
    assert (no_begin["code"], no_begin["info"]["detail"]) == ("412", "can not find DataBegin")
    assert set(sim.persons) == {"keep"}


def test_delete_all_person_restarts(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§4.5: DeleteAllPerson clears the list, then the device restarts: Offline, then Online."""
    sim = make_sim(online_repeat_interval=0.3, restart_delay=0.3)
    _online_acked(platform, sim)
    sim.add_person("p1", "P One")
    onlines_before = len(platform.messages("Online"))

    ack = platform.request("DeleteAllPerson", {"deleteall": "1"})
    assert (ack["operator"], ack["info"]["result"]) == ("DeleteAllPerson-Ack", "ok")
    assert sim.persons == {}
    platform.wait_count("Offline", 1)
    platform.wait_count("Online", onlines_before + 1)
    basic = [m.operator for m in platform.messages(topic="mqtt/face/basic")]
    assert basic[onlines_before:][:2] == ["Offline", "Online"]
    assert not sim.online_acked
    _online_acked(platform, sim)

    bad = platform.request("DeleteAllPerson", {})
    assert (bad["code"], bad["info"]["detail"]) == ("463", "Parameter deleteall error")


# --------------------------------------------------------------- door, snaps


def test_unlock_counts_in_mode_2_not_in_mode_0(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§8.1 Unlock opens in door mode 2; in mode 0 it is "invalid" (§9.3.5): acked, not opened."""
    sim = make_sim(door_mode=2)
    ack = platform.request("Unlock", {"uid": "00021", "openDoor": "1", "showInfo": "please pass"})
    assert (ack["operator"], ack["info"]["result"], ack["info"]["uid"]) == (
        "Unlock-Ack",
        "ok",
        "00021",
    )
    assert sim.unlock_count == 1
    assert sim.unlocks[0]["showInfo"] == "please pass"

    assert platform.request("GetDoorconfig")["info"]["OpendoorWay"] == "2"
    assert platform.request("UpDoorconfig", {"OpendoorWay": "0"})["info"]["result"] == "ok"
    assert platform.request("GetDoorconfig")["info"]["OpendoorWay"] == "0"
    assert sim.door_mode == 0
    ack = platform.request("Unlock", {"openDoor": "1"})
    assert ack["info"]["result"] == "ok"
    assert sim.unlock_count == 1

    bad = platform.request("UpDoorconfig", {"VerifyMode": "6"})
    assert (bad["code"], bad["info"]["detail"]) == ("463", "VerifyMode error")


def test_get_scene_snap(platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]) -> None:
    """§16 GetSceneSnap returns a decodable JPEG; unsupported firmware answers 464."""
    make_sim()
    ack = platform.request(
        "GetSceneSnap",
        {"facesluiceId": DEVICE_ID, "ImgType": "2", "ImgQuality": "80"},
        facesluiceId=DEVICE_ID,
    )
    assert ack["operator"] == "GetSceneSnap-Ack"
    assert ack["info"]["result"] == "ok"
    data = base64.b64decode(ack["info"]["ImgData"])
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size[0] > 0

    make_sim(device_id="1379743", scene_snap_supported=False)
    old = platform.request("GetSceneSnap", {"ImgType": "2"}, device_id="1379743")
    assert (old["code"], old["info"]["result"], old["info"]["detail"]) == (
        "464",
        "fail",
        "Version not support GetSceneSnap",
    )


def test_misc_commands(platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]) -> None:
    """§9.8 SetSysTime, §7.3 Versions, unknown operators, and the command log."""
    sim = make_sim()
    assert (
        platform.request("SetSysTime", {"SysTime": "2020-4-1T17:59:54"})["info"]["result"] == "ok"
    )
    assert sim.sys_time == "2020-4-1T17:59:54"
    assert platform.request("GetSysTime")["info"]["SysTime"].startswith("2020-4-1T17:5")
    versions = platform.request("Versions")
    assert versions["info"]["name"] == "v12.5.6L3M1-1.0.6.9 Beta"
    assert versions["info"]["buildtime"]
    unknown = platform.request("MakeCoffee", {"cups": 2})
    assert (unknown["operator"], unknown["info"]["result"]) == ("MakeCoffee-Ack", "fail")
    assert [c["operator"] for c in sim.received] == [
        "SetSysTime",
        "GetSysTime",
        "Versions",
        "MakeCoffee",
    ]
    assert sim.protocol_violations == []


# ------------------------------------------------------------------- settings


def test_temperature_config_and_a_fahrenheit_terminal(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§9.5: GetTPTconfig/UpTPTconfig; in °F mode readings and threshold are °F."""
    sim = make_sim()
    config = platform.request("GetTPTconfig")
    assert config["operator"] == "GetTPTconfig-Ack"
    assert config["info"]["TemperatureMode"] == "0"
    assert config["info"]["TemperatureHigh"] == "37.30"
    assert config["info"]["TemperatureCheck"] == "0.00"

    ack = platform.request("UpTPTconfig", {"TemperatureMode": "1"})
    assert ack["info"]["result"] == "ok"
    assert sim.fahrenheit
    assert platform.request("GetTPTconfig")["info"]["TemperatureHigh"] == "99.14"
    sim.push_record(temperature=37.0)
    record = platform.wait_count("RecPush", 1)[0].info
    assert (record["temperature"], record["temperatureAlarm"]) == ("98.60", "0")

    # A threshold in °F (100.4 °F = 38 °C); one this terminal does not take is 462.
    assert platform.request("UpTPTconfig", {"TemperatureHigh": "100.40"})["info"]["result"] == "ok"
    assert sim.temperature_config["TemperatureHigh"] == pytest.approx(38.0)
    refused = platform.request("UpTPTconfig", {"TemperatureHigh": "120"})
    assert (refused["code"], refused["info"]["result"]) == ("462", "fail")
    assert refused["info"]["detail"] == "Parameter error"
    no_info = platform.request("UpTPTconfig", "not an object")
    assert no_info["code"] == "462"
    assert sim.temperature_config["TemperatureHigh"] == pytest.approx(38.0)


def test_sound_and_face_config(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§9.2 sound/display and §9.10 face recognition: read, write, refuse (462, 463)."""
    sim = make_sim()
    sound = platform.request("GetSoundconfig")["info"]
    assert (sound["Volume"], sound["IsShowName"], sound["VerifyFailAudio"]) == ("90", "1", "1")
    assert (
        platform.request("UpSoundconfig", {"Volume": "40", "IsShowName": "2"})["info"]["result"]
        == "ok"
    )
    assert (sim.sound_config["Volume"], sim.sound_config["IsShowName"]) == (40, 2)
    assert platform.request("UpSoundconfig", {"Volume": "101"})["code"] == "462"
    assert sim.sound_config["Volume"] == 40

    face = platform.request("GetFaceconfig")["info"]
    assert face["recDistance"] == "200"
    wrong = platform.request("UpFaceconfig", {"facesluiceId": "999", "recDistance": "100"})
    assert (wrong["code"], wrong["info"]["detail"]) == ("463", "unknow facesluiceId")
    assert platform.request("UpFaceconfig", {"recDistance": "20"})["code"] == "462"
    ok = platform.request("UpFaceconfig", {"facesluiceId": DEVICE_ID, "recDistance": "120"})
    assert ok["info"]["result"] == "ok"
    assert sim.face_config["recDistance"] == 120


# ------------------------------------------------------------ uploads and replays


def test_mqtt_config_ranges_and_refusals(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§9.6: 462 outside the table's ranges, 463 resuming with no upload; `refuse_next`."""
    sim = make_sim(resume_from_breakpoint=False)
    config = platform.request("GetMQTTconfig")["info"]
    assert (config["RecordUploadType"], config["ResumefromBreakpoint"]) == ("1", "0")
    assert platform.request("UpMQTTconfig", {"RecordUploadType": "3"})["code"] == "462"
    sim.configure_uploads(RecordUploadType=0, StrangerUploadType=1)
    no_upload = platform.request("UpMQTTconfig", {"ResumefromBreakpoint": "1"})
    assert no_upload["code"] == "463"
    sim.refuse_next("UpMQTTconfig", 462, "Parameter error")
    assert platform.request("UpMQTTconfig", {"RecordUploadType": "1"})["code"] == "462"
    assert sim.mqtt_config["RecordUploadType"] == 0
    assert platform.request("UpMQTTconfig", {"RecordUploadType": 1})["info"]["result"] == "ok"
    assert sim.mqtt_config["RecordUploadType"] == 1


def test_manual_push_replays_a_window_with_push_type_2(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """§20/§22: the window's records again, `PushType` "2", same IDs, no PushAck awaited;
    `replay_copies` sends the duplicates the document warns of (L3486)."""
    sim = make_sim(resume_from_breakpoint=False)
    now = dt.datetime.now().replace(microsecond=0)
    record_id = sim.push_record(temperature=36.6)
    snap_id = sim.push_stranger()
    sim.push_record(at=now - dt.timedelta(days=1))  # outside the window
    window = {
        "facesluiceId": DEVICE_ID,
        "TimeS": (now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S"),
        "TimeE": (now + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    sim.replay_copies = 2

    records = platform.request("ManualPushRecords", window)
    snaps = platform.request("ManualPushSaps", window)

    assert (records["operator"], records["info"]["RecordNum"]) == ("ManualPushRecords-Ack", 1)
    assert (snaps["operator"], snaps["info"]["RecordNum"]) == ("ManualPushSnaps-Ack", 1)  # L3628
    replays = platform.wait_count("RecPush", 3)
    replayed = [m.info for m in replays if m.info.get("PushType") == "2"]
    assert [r["RecordID"] for r in replayed] == [str(record_id)] * 2
    live = next(m.info for m in replays if m.info.get("PushType") == "0")
    assert {**replayed[0], "PushType": "0"} == live  # the same record, but for PushType
    strangers = platform.wait_count("StrSnapPush", 3)
    assert [m.info["SnapID"] for m in strangers if m.info.get("PushType") == "2"] == [
        str(snap_id)
    ] * 2
    assert sim.pending_pushes == set()
    assert sim.replayed == 4


def test_manual_push_errors(
    platform: Platform, make_sim: Callable[..., FaceTerminalSimulator]
) -> None:
    """L4022-4041: 463 another device, 464/465 times, 466 none in the window, 467 upload off."""
    sim = make_sim()
    sim.push_record()
    window = {"TimeS": "2020-01-01T00:00:00", "TimeE": "2020-01-02T00:00:00"}
    assert platform.request("ManualPushRecords", {**window, "facesluiceId": "9"})["code"] == "463"
    assert platform.request("ManualPushRecords", {"TimeE": "2020-01-02T00:00:00"})["code"] == "464"
    assert platform.request("ManualPushRecords", {"TimeS": "2020-01-01T00:00:00"})["code"] == "465"
    empty = platform.request("ManualPushRecords", window)
    assert (empty["code"], empty["info"]["detail"]) == (
        "466",
        "Can't Find any record issue, please check TimeS and TimeE",
    )
    sim.configure_uploads(StrangerUploadType=1)
    off = platform.request("ManualPushSaps", window)
    assert (off["code"], off["info"]["detail"]) == ("467", "Unknow StrangerUploadType")
