"""Real payloads for the fuzz harness: what the simulators send, captured without a network.

Each simulator builds its messages with the code its end-to-end tests rely on; here an
instance that never starts is asked to push, and each message is taken where it would have
left (its publish hook, its post queue, or the queue it keeps while offline). Some result
messages no simulator sends on demand are taken from the vendor documents' examples (the
digests in `shared/protocols/`). Captured once per session, as (path, body) pairs: `path`
names where the device sends it (a topic suffix, or the adapter's request path key), `body`
is the exact text.
"""

from __future__ import annotations

from collections.abc import Callable
import functools
import json
import time
from typing import Any

from simulators.camera_mqtt import CameraSimulator
from simulators.face_capture_http import FaceCaptureSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.temperature_http import TemperatureTabletSimulator
from simulators.unv_lapi import UnvLapiSimulator

type Seed = tuple[str, str]


def _mqtt(device: Any, pushes: Callable[[Any], object]) -> tuple[Seed, ...]:
    """Run `pushes` on an unstarted HFSecurity simulator; return what it would publish.

    Topics become their last segment (`Rec`, `Snap`, `basic`, `heartbeat`, ...).
    """
    sent: list[Seed] = []

    def capture(topic: str, payload: bytes) -> None:
        sent.append((topic.rsplit("/", 1)[-1], payload.decode("utf-8")))

    device._publish = capture  # the simulator's one exit to the broker
    pushes(device)
    heartbeat = {
        "operator": "HeartBeat",
        "info": {"facesluiceId": device.device_id, "time": device._now_text()},
    }
    sent.append(("heartbeat", json.dumps(heartbeat)))
    # An answer nobody asked for (a command of an earlier session), as the device sends it.
    answer = {
        "messageId": "ha-0123456789abcdef",
        "operator": "Versions-Ack",
        "code": "200",
        "info": {"facesluiceId": device.device_id, "result": "ok", "name": "v1.0"},
    }
    sent.append(("Ack", json.dumps(answer)))
    sent.append(("basic", json.dumps(device._online_message())))
    sent.append(("basic", json.dumps(device._offline_message())))
    return tuple(sent)


@functools.cache
def face_terminal(device_id: str) -> tuple[Seed, ...]:
    """Return the face terminal's pushes: records, a stranger, reader pushes, presence."""

    def pushes(device: FaceTerminalSimulator) -> None:
        device.push_record(None, temperature=36.6, temperature_alarm=0, similarity=91.0)
        device.push_record(None, verify_status=2, no_mask=True, mask_checked=True)
        device.push_stranger(temperature=38.4, temperature_alarm=1)
        device.push_qr("https://example.invalid/qr")
        device.push_card("1234567890")
        device.push_id_card()

    return _mqtt(FaceTerminalSimulator("127.0.0.1", 1, device_id), pushes)


@functools.cache
def camera(device_id: str) -> tuple[Seed, ...]:
    """Return the camera's pushes: a record, a stranger and its analytics, with doc quirks."""

    def pushes(device: CameraSimulator) -> None:
        device.push_record(None, no_mask=1)
        device.push_stranger()
        device.push_kitchen()
        device.push_parabolic()
        device.push_thermal()
        device.push_structured()
        device.push_behavior()
        device.push_helmet()
        device.push_fire_smoke()
        device.push_head_count()
        device.push_vehicle()
        device.push_safety_ride()
        device.push_ebike()

    return _mqtt(CameraSimulator("127.0.0.1", 1, device_id), pushes)


@functools.cache
def tablet(cid: str) -> tuple[Seed, ...]:
    """Return the tablet's POSTs: records, an interval capture, a heartbeat, results.

    Records come from the simulator's offline queue (a tablet that cannot reach its server
    keeps them); the results follow the document's examples (digest §3.4, §7, §9, §12, §13).
    """
    device = TemperatureTabletSimulator(cid=cid, url="http://127.0.0.1:1/")
    device.add_person("1001", "Ada Lovelace")
    device.push_record("1001", temperature=36.6, facemask=1)
    device.push_record(None, temperature=38.1, facemask=0)
    device.push_capture()
    bodies = [json.dumps(body) for body in device._failed]
    now = int(time.time())
    bodies += [
        json.dumps(device._heartbeat_body()),
        json.dumps({"alarm": {"seq": 7, "time": now, "alarmtype": 1, "alarmdata": ""}}),
        json.dumps(
            {
                "cid": cid,
                "type": 4,
                "time": now,
                "face": [{"person_id": "1001", "person_name": "Ada", "cardNo": "55"}],
            }
        ),
        json.dumps(
            {
                "cid": cid,
                "type": 9,
                "time": now,
                "facelib_batch": {"resultList": [{"id": "1001", "result": 0}]},
            }
        ),
        json.dumps(
            {
                "cid": cid,
                "type": 10,
                "time": now,
                "config": {"temperature": {"high_threshold": 37.3, "unit": 0}},
            }
        ),
        json.dumps({"cid": cid, "type": 12, "time": now, "control": {"seq": 5, "errcode": 0}}),
        # The document's own heartbeat example: a trailing comma (digest §8 erratum 1).
        f'{{"app_version": "1.0.1.1", "cid": "{cid}", "seq": {now}, "uptime": 5, "type": 3,}}',
    ]
    return tuple(("upload", body) for body in bodies)


@functools.cache
def face_capture(serial: str) -> tuple[Seed, ...]:
    """Return the Huaan terminal's requests: records of every kind, heartbeat, upgrade ask.

    Records come from the simulator's upload queue; a heartbeat also goes to the poll path.
    """
    device = FaceCaptureSimulator(serial)
    device.add_person("1001", "Ada Lovelace")
    device.recognition("1001", temperature=36.5, mask=True)
    device.stranger(temperature=38.2, mask=False)
    device.denied(-6, "1001", temperature=38.9)
    device.card(12345678)
    device.qr("https://example.invalid/qr")
    device.id_card()
    bodies = [json.dumps(record, ensure_ascii=False) for record in device._queue]
    heartbeat = json.dumps(device._heartbeat_body())
    upgrade = json.dumps(
        {**device._client_body("ask_upgrade"), "firmware": {"appversion": "1.2.3"}}
    )
    result = json.dumps(
        {
            "version": "0.2",
            "cmd": "upload person",
            "code": 0,
            "command_id": "17",
            "device_sn": serial,
            "reply": "ACK",
        }
    )
    return (
        *(("upload", body) for body in bodies),
        ("upload", heartbeat),
        ("upload", upgrade),
        ("poll", heartbeat),
        ("poll", result),
    )


@functools.cache
def unv(serial: str) -> tuple[Seed, ...]:
    """Return the UNV terminal's pushes (both record paths) and heartbeats, also malformed.

    A second terminal sends the document's malformed spellings (curly quotes, "null"
    strings, nonsense heartbeat times: notes §1.3).
    """
    seeds: list[Seed] = []
    for malformed in (False, True):
        device = UnvLapiSimulator(serial, malformed=malformed)
        device._soon = lambda _factory: None  # keep the records; never send them
        device.add_person("1001", "Ada Lovelace")
        device.recognition("1001", 36.5, True)
        device.stranger(38.3, False)
        device.denied(4, "1001")
        device.high_temperature()
        device.card("99887766")
        device.id_card()
        device.gate(2, 1)
        for seq, record in sorted(device._pending.items()):
            body = device._encode_record(record, f"127.0.0.1:8123/Subscribers/{seq}")
            path = "verification" if seq % 2 else "notifications"
            seeds.append((path, body))
        times = (
            ("1900-01-00 00:00:00", "1970-01-01 08:00:01 ")
            if malformed
            else (time.strftime("%Y-%m-%d %H:%M:%S"),) * 2
        )
        heartbeat = {
            "RefId": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "Time": times[0],
            "NextTime": times[1],
            "DeviceCode": serial,
            "DeviceType": 1,
        }
        seeds.append(("heartbeat", json.dumps(heartbeat)))
    return tuple(seeds)
