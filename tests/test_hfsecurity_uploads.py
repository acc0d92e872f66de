"""The MQTT family's upload check and fix, and the heartbeat interval, over real sockets.

The client (`HFSecurityMqttClient`) talks through Home Assistant's MQTT integration to an amqtt
broker, and the simulated face terminal or camera answers as its document says:
face-terminal-mqtt v1.24 §9.6 (`GetMQTTconfig`/`UpMQTTconfig`, errors L3897-3901) and
network-camera-mqtt v1.25 §10.1 (`KeepAliveInterval`).
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.face_access.protocols.hfsecurity_mqtt import CAMERA, MqttVariant
from custom_components.face_access.protocols.model import (
    AccessRecord,
    DeviceRefusedError,
    UploadProblem,
)

from .e2e import TERMINAL_ID, wait_until
from .hfsecurity_support import DeviceRig, MakeRig, Simulator, rig_fixture

FACTORY = {"resume_from_breakpoint": False}  # §8/§9.6: off unless the platform turns it on


class Rig(DeviceRig):
    """A started client of one simulated device, and every message it passed on."""

    def __init__(self, hass: HomeAssistant, sim: Simulator, variant: MqttVariant) -> None:
        """Build the client of `sim`."""
        super().__init__(hass, sim, variant)
        self.client = self.new_client()

    async def start(self) -> None:
        """Start the client, then the device, and wait until they are online."""
        await self.client.start()
        await super().start()
        await self.online()

    async def online(self) -> None:
        """Wait until the client answered `Online` and read the upload settings."""
        await wait_until(lambda: self.sim.online_acked and bool(self.commands("GetMQTTconfig")))
        await wait_until(lambda: self.client.diagnostics()["pending_commands"] == 0)


make_rig = pytest.fixture(rig_fixture(Rig))


async def test_check_reports_each_upload_that_is_off(make_rig: MakeRig[Rig]) -> None:
    """§9.6: records without picture, no strangers, no QR codes, no resume: four problems,
    named as the device's page names them, strangers' 0 meaning "upload" (L2349)."""
    rig = await make_rig(**FACTORY)
    rig.sim.configure_uploads(RecordUploadType=2, StrangerUploadType=1, QRCode=0)

    problems = await rig.client.check_uploads()

    assert problems == [
        UploadProblem(setting="RecordUploadType", current="2", needed="1"),
        UploadProblem(setting="StrangerUploadType", current="1", needed="0"),
        UploadProblem(setting="QRCode", current="0", needed="1"),
        UploadProblem(setting="ResumefromBreakpoint", current="0", needed="1"),
    ]
    assert rig.commands("UpMQTTconfig") == []  # checking changes nothing


async def test_check_of_a_device_that_sends_everything_is_empty(make_rig: MakeRig[Rig]) -> None:
    rig = await make_rig()  # the simulator's defaults: every upload on, resume on
    assert await rig.client.check_uploads() == []


async def test_fix_turns_uploads_on_keeps_the_rest_and_reads_back(make_rig: MakeRig[Rig]) -> None:
    rig = await make_rig(**FACTORY)
    rig.sim.configure_uploads(RecordUploadType=0, Card=0, Direction=1)

    assert await rig.client.fix_uploads() == []

    config = rig.sim.mqtt_config
    assert (config["RecordUploadType"], config["Card"], config["ResumefromBreakpoint"]) == (1, 1, 1)
    assert config["Direction"] == 1  # not Home Assistant's business: left as it was
    (sent,) = rig.commands("UpMQTTconfig")
    assert sent["info"]["facesluiceId"] == TERMINAL_ID
    assert sent["info"]["RecordUploadType"] == "1"  # the terminal's examples send strings
    assert "BeginTime" not in sent["info"]  # it would move where resumed uploads start
    assert rig.commands("GetMQTTconfig")[-1]["messageId"] != sent["messageId"]


async def test_after_the_fix_records_arrive_and_are_acked(make_rig: MakeRig[Rig]) -> None:
    """With ResumefromBreakpoint on the device waits for PushAck (§11): the client sends it."""
    rig = await make_rig(**FACTORY)
    rig.sim.configure_uploads(RecordUploadType=0, StrangerUploadType=1)
    await rig.client.fix_uploads()

    record_id = rig.sim.push_record()
    snap_id = rig.sim.push_stranger()

    await wait_until(lambda: record_id in rig.sim.acked_records and snap_id in rig.sim.acked_snaps)
    assert rig.sim.pending_pushes == set()
    assert [m.key for m in rig.messages if isinstance(m, AccessRecord)] == [
        f"rec:{record_id}",
        f"snap:{snap_id}",
    ]


async def test_fix_of_a_camera_sends_its_numbers_and_keeps_its_heartbeat(
    make_rig: MakeRig[Rig],
) -> None:
    rig = await make_rig(CAMERA, heartbeat_interval=30.0, **FACTORY)
    rig.sim.configure_uploads(StrangerUploadType=1)
    assert await rig.client.check_uploads() == [
        UploadProblem(setting="StrangerUploadType", current="1", needed="0"),
        UploadProblem(setting="ResumefromBreakpoint", current="0", needed="1"),
    ]

    assert await rig.client.fix_uploads() == []

    (sent,) = rig.commands("UpMQTTconfig")
    assert sent["info"]["StrangerUploadType"] == 0  # the camera's examples send numbers
    assert sent["info"]["KeepAliveInterval"] == 30
    assert rig.sim.mqtt_config["KeepAliveInterval"] == 30
    assert rig.sim.heartbeat_interval == 30.0


async def test_refused_fix_raises_the_devices_reason(make_rig: MakeRig[Rig]) -> None:
    rig = await make_rig(**FACTORY)
    rig.sim.refuse_next("UpMQTTconfig", 463, "ResumefromBreakpoint need Topic Snap or Verify")

    with pytest.raises(DeviceRefusedError) as refused:
        await rig.client.fix_uploads()

    assert refused.value.code == "463"
    assert refused.value.reason == "ResumefromBreakpoint need Topic Snap or Verify"
    assert rig.sim.mqtt_config["ResumefromBreakpoint"] == 0


async def test_fix_reports_what_the_device_kept(
    make_rig: MakeRig[Rig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A device that acks but keeps a value is told in what is returned, not hidden."""
    rig = await make_rig(**FACTORY)
    rig.sim.configure_uploads(RecordUploadType=2)
    real_up = rig.sim._cmd_up_mqtt_config

    def keeps_record_upload(command: dict[str, Any]) -> None:
        real_up(command)
        rig.sim.configure_uploads(RecordUploadType=2)

    monkeypatch.setattr(rig.sim, "_cmd_up_mqtt_config", keeps_record_upload)

    assert await rig.client.fix_uploads() == [
        UploadProblem(setting="RecordUploadType", current="2", needed="1")
    ]
    assert rig.sim.mqtt_config["ResumefromBreakpoint"] == 1


async def test_offline_after_follows_the_cameras_keep_alive_interval(
    make_rig: MakeRig[Rig],
) -> None:
    """Camera digest §3: offline after two heartbeat intervals plus margin, the interval read
    from `GetMQTTconfig` at every Online."""
    rig = await make_rig(CAMERA, heartbeat_interval=20.0)
    assert rig.client.offline_after == 2 * 20.0 + 15.0

    rig.sim.configure_uploads(KeepAliveInterval=60)
    await rig.client.reboot()  # Offline, then a new Online: read again
    await wait_until(lambda: len(rig.commands("GetMQTTconfig")) == 2)
    await wait_until(lambda: rig.client.offline_after == 2 * 60.0 + 15.0)
    assert rig.client.diagnostics()["reported_heartbeat_interval"] == 60.0


async def test_offline_after_of_a_terminal_keeps_its_heartbeat_default(
    make_rig: MakeRig[Rig],
) -> None:
    """The terminal's §9.6 has no heartbeat field: 2.5 × its 30 s heartbeat, as before."""
    rig = await make_rig()
    assert rig.client.offline_after == 75.0
    assert rig.client.diagnostics()["reported_heartbeat_interval"] is None


async def test_every_online_sets_the_clock_and_reads_the_uploads(make_rig: MakeRig[Rig]) -> None:
    """§9.8: the clock is set at each reconnection (a restart loses it), §9.6 read again."""
    rig = await make_rig()
    assert len(rig.commands("SetSysTime")) == 1

    await rig.client.reboot()
    await wait_until(lambda: len(rig.commands("GetMQTTconfig")) == 2)

    assert len(rig.commands("SetSysTime")) == 2
    assert rig.sim.sys_time is not None
