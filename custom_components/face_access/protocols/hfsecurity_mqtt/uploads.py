"""What a device of the HFSecurity MQTT family uploads, and what Home Assistant needs of it.

The documents are face-terminal-mqtt v1.24 §9.6 and network-camera-mqtt v1.25 §10.1
(digests: face_terminal_mqtt §4.19, camera_mqtt §4.21). `GetMQTTconfig-Ack` tells the
device's upload switches, mostly as strings; `UpMQTTconfig` sets them. Pure functions: the
client sends and receives, this module reads and builds `info`s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..model import UploadProblem
from ..wire import integer as _int, text as _text
from .settings import normalised
from .variants import MqttVariant

KEEP_ALIVE_RANGE: Final = (5, 3600)
"""`KeepAliveInterval` values (s) believed; the camera's document allows 20~300 (L1396),
firmware outside a wider range is misreporting."""

_NON_NUMERIC: Final = frozenset({"OnlineTopic", "HeartbeatTopic"})
"""Upload fields that hold text (camera §10.1); every other one is a number."""


def upload_problems(variant: MqttVariant, fields: Mapping[str, Any]) -> list[UploadProblem]:
    """Return each upload Home Assistant needs that a `GetMQTTconfig-Ack` shows off.

    `fields` is the ack's `info` with normalised keys (`codec.Envelope.fields`). A field the
    device does not report is not judged: the terminal's §9.6.2 example leaves out `QRCode`,
    `Card` and `IDCard`, and firmware without a reader may have no such switch.
    `current` is the value as the device reported it (None when it is not a number).
    """
    problems: list[UploadProblem] = []
    for name, needed in variant.upload_needs:
        raw = fields.get(normalised(name))
        if raw is None:
            continue
        value = _int(raw)
        if value != needed:
            current = str(value) if value is not None else None
            problems.append(UploadProblem(setting=name, current=current, needed=str(needed)))
    return problems


def upload_fix(
    variant: MqttVariant, fields: Mapping[str, Any], problems: list[UploadProblem]
) -> dict[str, Any]:
    """Return the `UpMQTTconfig` fields that turn `problems` right and keep everything else.

    Both tables mark every field but `BeginTime` as required (the camera's says so: "the
    field not marked optional is required", §10.1), so the fields the device reported are
    sent back as they were, with only the problems' values changed; `BeginTime` and the
    reserved `ReConnect`/`Reboot` are never sent (a `BeginTime` moves where resumed uploads
    start). Numbers are spelled as the variant's examples spell them (`numbers_as_text`).
    """
    wanted = {problem.setting: int(problem.needed) for problem in problems}
    info: dict[str, Any] = {}
    for name in variant.upload_fields:
        if name in wanted:
            value: Any = wanted[name]
        else:
            raw = fields.get(normalised(name))
            if raw is None:
                continue
            if name in _NON_NUMERIC:
                if (topic := _text(raw)) is not None:
                    info[name] = topic
                continue
            value = _int(raw)
            if value is None:
                continue
        info[name] = str(value) if variant.numbers_as_text else value
    return info


def keep_alive_interval(fields: Mapping[str, Any]) -> float | None:
    """Return the heartbeat interval (s) a `GetMQTTconfig-Ack` tells, None when it tells none.

    The camera reports `KeepAliveInterval` (§10.1, 20~300 s); the terminal's document has no
    such field (its heartbeat is a fixed 30 s, §15), but a firmware that sends it is believed.
    """
    value = _int(fields.get("keepaliveinterval"))
    if value is None or not KEEP_ALIVE_RANGE[0] <= value <= KEEP_ALIVE_RANGE[1]:
        return None
    return float(value)


def stranger_upload_on(fields: Mapping[str, Any]) -> bool | None:
    """Return whether stranger snapshots are uploaded (`StrangerUploadType` 0), None if unsaid."""
    value = _int(fields.get("strangeruploadtype"))
    return None if value is None else value == 0
