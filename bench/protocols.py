"""One adapter per implemented protocol: everything the benchmark knows about it.

Every phase iterates ``ADAPTERS``; a protocol added to the integration joins the benchmark
with one more ``ProtocolAdapter`` (its transport, how to build its simulated device and one
of its recognition records on the wire, and its floors), and the test suite fails until it
has one (``tests/test_bench.py``).

The records are built here rather than by the simulators: the load generator must stamp each
record with a key it can find again in the event (the person ID ``b<seq>``), send it at a
chosen instant without waiting for the previous one, and send the very same bytes to the
floor component. Their shapes are the simulators' (the vendor documents' examples).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import json
import time
from typing import Any

from demo.devices import DemoDevice, id_form, mqtt_form, server_form
from simulators.camera_mqtt import CameraSimulator
from simulators.face_capture_http import FaceCaptureSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.hfsecurity_mqtt import HFSecurityMqttDevice
from simulators.temperature_http import TemperatureTabletSimulator
from simulators.unv_lapi import UnvLapiSimulator

TOPIC_PREFIX = "mqtt/face"
UNV_PUSH_PATH = "/LAPI/V1.0/System/Event/Notification/PersonVerification"
"""Where a UNV terminal posts its recognitions on Home Assistant's port (its firmware's)."""
DEVICE_USER = "admin"
DEVICE_PASSWORD = "admin"
TABLET_HEARTBEAT = 2
"""The shortest heartbeat period the tablet's options accept: every command waits for one."""
DEVICE_HEARTBEAT = 30.0
"""Seconds between the simulated HTTP devices' own heartbeats (as real ones: tens of s)."""
ONLINE_REPEAT = 2.0
"""Seconds between an MQTT device's ``Online`` until Home Assistant answers (demo's value)."""


class Transport(StrEnum):
    """How a record reaches Home Assistant; the floor component has one entity per value."""

    MQTT = "mqtt"
    WEBHOOK = "webhook"
    FIXED_PATH = "fixed_path"


@dataclass(frozen=True)
class Pictures:
    """The load's pictures, Base64 once for all records (the devices' own encoding)."""

    face_b64: str
    scene_b64: str
    face_bytes: int
    scene_bytes: int


@dataclass(frozen=True)
class Target:
    """Where one device's records go: its own ID, MQTT prefix or webhook path."""

    device_id: str
    topic_prefix: str = TOPIC_PREFIX
    webhook_path: str | None = None


@dataclass(frozen=True)
class Message:
    """One record on the wire: an MQTT topic or a URL path, and the body."""

    transport: Transport
    target: str
    body: bytes
    content_type: str = "application/json"


RecordBuilder = Callable[[Target, int, Pictures], Message]
"""``(device, seq, pictures) -> message``: a recognition of person ``b<seq>``."""


def person_key(seq: int) -> str:
    """Return the person ID a record with ``seq`` names: the event's ``person_id``."""
    return f"b{seq}"


def _json(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _local_now() -> datetime:
    # The benchmark's Home Assistant runs in UTC (bench.hass): device clocks are UTC too.
    return datetime.now(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------ records


def _hfsecurity_record(*, with_scene: bool) -> RecordBuilder:
    """Build a ``RecPush`` on ``<prefix>/<ID>/Rec`` (face-terminal §5, camera §5)."""

    def build(target: Target, seq: int, pictures: Pictures) -> Message:
        info: dict[str, Any] = {
            "customId": person_key(seq),
            "personId": "0",
            "RecordID": str(seq),
            "VerifyStatus": "1",
            "PersonType": "0",
            "similarity1": "93.500000",
            "Sendintime": 1,
            "personName": "Bench",
            "facesluiceId": target.device_id,
            "time": _local_now().strftime("%Y-%m-%d %H:%M:%S"),
            "PushType": 0,
            "pic": "data:image/jpeg;base64," + pictures.face_b64,
        }
        if with_scene:
            info["scene"] = "data:image/jpeg;base64," + pictures.scene_b64
        topic = f"{target.topic_prefix}/{target.device_id}/Rec"
        return Message(Transport.MQTT, topic, _json({"operator": "RecPush", "info": info}))

    return build


def _tablet_record(target: Target, seq: int, pictures: Pictures) -> Message:
    """Build a ``type`` 1 record (temperature-terminal §4): one face, no scene in the format."""
    body = {
        "cid": target.device_id,
        "type": 1,
        "time": int(time.time()),
        "faces": [pictures.face_b64],
        "result": {
            "person_id": person_key(seq),
            "person_name": "Bench",
            "age": 0,
            "sex": "",
            "confidence": 0.93,
            "person_type": 1,
            "temperature": 36.5,
            "facemask": 1,
        },
    }
    return Message(Transport.WEBHOOK, _webhook(target), _json(body))


def _face_capture_record(target: Target, seq: int, pictures: Pictures) -> Message:
    """Build a ``face`` record (face-capture 2.2.1): close-up and overall picture."""
    now = _local_now()
    body = {
        "version": "0.42",
        "cmd": "face",
        "device_no": "",
        "device_sn": target.device_id,
        "addr_no": "",
        "addr_name": "",
        "sequence_no": seq,
        "cap_time": f"{now:%Y/%m/%d %H:%M:%S}.{now.microsecond // 1000:03d}",
        "is_realtime": 1,
        "match_failed_reson": 0,
        "match_result": 90,
        "match": {
            "is_encryption": False,
            "person_id": person_key(seq),
            "person_name": "Bench",
            "person_role": 0,
            "format": "jpg",
            "image": "",
            "person_attr": "permanent_list",
            "customer_text": "",
        },
        "overall_pic_flag": True,
        "overall_pic": {"format": "jpg", "data": pictures.scene_b64},
        "closeup_pic_flag": True,
        "closeup_pic": {
            "format": "jpg",
            "data": pictures.face_b64,
            "face_x": 0,
            "face_y": 0,
            "face_width": 120,
            "face_height": 150,
        },
        "video_flag": False,
        "person": {"sex": "", "age": 0, "hat": "none", "face_quality": 80},
    }
    return Message(Transport.WEBHOOK, _webhook(target), _json(body))


def _unv_record(target: Target, seq: int, pictures: Pictures) -> Message:
    """Build a ``PersonVerification`` push (LAPI §4.3.4) to the fixed path: face and panorama."""
    now = int(time.time())
    face = {
        "ID": seq,
        "Timestamp": now,
        "CapSrc": 1,
        "FeatureNum": 0,
        "FeatureList": [],
        "Temperature": 0,
        "MaskFlag": 0,
        "PanoImage": {
            "Name": f"{now}_1.jpg",
            "Size": pictures.scene_bytes,
            "Data": pictures.scene_b64,
        },
        "FaceImage": {
            "Name": f"{now}_2.jpg",
            "Size": pictures.face_bytes,
            "Data": pictures.face_b64,
        },
        "FaceArea": {
            "LeftTopX": 3333,
            "LeftTopY": 2000,
            "RightBottomX": 5000,
            "RightBottomY": 8000,
        },
    }
    body = {
        "Reference": "",
        "Seq": seq,
        "DeviceCode": target.device_id,
        "Timestamp": now,
        "NotificationType": 0,
        "FaceInfoNum": 1,
        "FaceInfoList": [face],
        "CardInfoNum": 0,
        "CardInfoList": [],
        "GateInfoNum": 0,
        "GateInfoList": [],
        "LibMatInfoNum": 1,
        "LibMatInfoList": [
            {
                "ID": seq,
                "LibID": 3,
                "LibType": 3,
                "MatchStatus": 1,
                # The UNV codec names the person by this number (PersonCode is the text).
                "MatchPersonID": seq,
                "MatchFaceID": seq * 10 + 1,
                "MatchPersonInfo": {
                    "PersonCode": person_key(seq),
                    "PersonName": "Bench",
                    "Gender": 0,
                    "CardID": "",
                    "IdentityNo": "",
                },
            }
        ],
    }
    return Message(Transport.FIXED_PATH, UNV_PUSH_PATH, _json(body), "text/plain")


def _webhook(target: Target) -> str:
    if target.webhook_path is None:
        raise ValueError(f"{target.device_id} has no webhook yet")
    return target.webhook_path


# ------------------------------------------------------------------ devices


def _face_terminal(index: int) -> DemoDevice:
    device_id = f"{7100000 + index}"
    return DemoDevice(
        protocol="face_terminal_mqtt",
        device_id=device_id,
        label="Face terminal",
        make_simulator=lambda host, port: _downloading(
            FaceTerminalSimulator(
                host, port, device_id, name=f"Bench {index}", online_repeat_interval=ONLINE_REPEAT
            )
        ),
        form=mqtt_form(TOPIC_PREFIX),
    )


BATCH_PERSON_SECONDS = 0.035
"""An MQTT device's own work per person of a batch, besides the download: the documents'
only figure for a batch, 7 s for 200 ``DeletePersons`` (camera_mqtt digest §4.11, L842);
an enrolment (feature extraction) takes at least that."""


def _downloading[D: HFSecurityMqttDevice](simulator: D) -> D:
    """Have an MQTT device download its batch photos (``picURI``) and work as a real one."""
    simulator.download_pictures = True
    simulator.batch_person_seconds = BATCH_PERSON_SECONDS
    return simulator


def _camera(index: int) -> DemoDevice:
    device_id = f"{7200000 + index}"
    return DemoDevice(
        protocol="camera_mqtt",
        device_id=device_id,
        label="Network camera",
        make_simulator=lambda host, port: _downloading(
            CameraSimulator(host, port, device_id, online_repeat_interval=ONLINE_REPEAT)
        ),
        form=mqtt_form(TOPIC_PREFIX),
    )


def _tablet(index: int) -> DemoDevice:
    cid = f"be0c{index:08x}"
    return DemoDevice(
        protocol="temperature_http",
        device_id=cid,
        label="Temperature tablet",
        make_simulator=lambda _host, _port: TemperatureTabletSimulator(
            "", cid, heartbeat_interval=float(TABLET_HEARTBEAT)
        ),
        form=id_form,
        options={"heartbeat_interval": TABLET_HEARTBEAT, "sync_time": True},
    )


def _face_capture(index: int) -> DemoDevice:
    serial = f"BENCHFC{index:06d}"
    return DemoDevice(
        protocol="face_capture_http",
        device_id=serial,
        label="Face capture terminal",
        make_simulator=lambda _host, _port: FaceCaptureSimulator(
            serial, user=DEVICE_USER, password=DEVICE_PASSWORD, heartbeat_interval=DEVICE_HEARTBEAT
        ),
        form=server_form(DEVICE_USER, DEVICE_PASSWORD),
    )


def _unv(index: int) -> DemoDevice:
    serial = f"210235BENCH{index:09d}"
    return DemoDevice(
        protocol="unv_lapi",
        device_id=serial,
        label="Uniview terminal",
        make_simulator=lambda _host, _port: UnvLapiSimulator(
            serial, user=DEVICE_USER, password=DEVICE_PASSWORD, extended=True
        ),
        form=server_form(DEVICE_USER, DEVICE_PASSWORD),
    )


# ------------------------------------------------------------------ table


@dataclass(frozen=True, kw_only=True)
class ProtocolAdapter:
    """What the benchmark needs of one protocol.

    ``scene``: whether its record format has a place for a scene picture (a record without
    one carries the face only). ``photo_interval``: the seconds the vendor document demands
    between two enrolments (None: none; the floor is then the measured time of one request).
    ``heartbeat_bound``: commands ride heartbeat replies, so a command's floor is one period.
    """

    protocol: str
    transport: Transport
    scene: bool
    device: Callable[[int], DemoDevice]
    record: RecordBuilder
    photo_interval: float | None = None
    heartbeat_bound: bool = False
    photo_interval_source: str = ""
    person_id: Callable[[int], str] = person_key
    """The ``person_id`` of the event of the record with a given ``seq``."""


ADAPTERS: tuple[ProtocolAdapter, ...] = (
    ProtocolAdapter(
        protocol="face_terminal_mqtt",
        transport=Transport.MQTT,
        scene=False,
        device=_face_terminal,
        record=_hfsecurity_record(with_scene=False),
        photo_interval=1.0,
        photo_interval_source="face-terminal §4.1: 1 s between EditPerson calls with base64",
    ),
    ProtocolAdapter(
        protocol="camera_mqtt",
        transport=Transport.MQTT,
        scene=True,
        device=_camera,
        record=_hfsecurity_record(with_scene=True),
        photo_interval=1.0,
        photo_interval_source="camera §4: 1 s between base64 calls (2 s with picURI)",
    ),
    ProtocolAdapter(
        protocol="temperature_http",
        transport=Transport.WEBHOOK,
        scene=False,
        device=_tablet,
        record=_tablet_record,
        photo_interval=float(TABLET_HEARTBEAT),
        heartbeat_bound=True,
        photo_interval_source="one facelib_manage per heartbeat reply (period 2 s)",
    ),
    ProtocolAdapter(
        protocol="face_capture_http",
        transport=Transport.WEBHOOK,
        scene=True,
        device=_face_capture,
        record=_face_capture_record,
    ),
    ProtocolAdapter(
        protocol="unv_lapi",
        transport=Transport.FIXED_PATH,
        scene=True,
        device=_unv,
        record=_unv_record,
        person_id=str,
    ),
)

BY_PROTOCOL: Mapping[str, ProtocolAdapter] = {adapter.protocol: adapter for adapter in ADAPTERS}


def floor_message(
    message: Message, seq: int, floor_webhook: str, floor_fixed: str, floor_topic: str
) -> Message:
    """Return ``message`` addressed to the floor component on the same transport.

    The floor reads the sequence number from the topic or the query string, never from
    the body, which it receives whole and unparsed.
    """
    if message.transport is Transport.MQTT:
        return Message(message.transport, f"{floor_topic}/{seq}", message.body)
    path = floor_webhook if message.transport is Transport.WEBHOOK else floor_fixed
    return Message(message.transport, f"{path}?seq={seq}", message.body, message.content_type)
