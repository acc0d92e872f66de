"""Catching up on the MQTT family's records after an outage, over real sockets.

`fetch_records` sends `ManualPushRecords` and `ManualPushSaps` (face-terminal-mqtt v1.24
§20/§22, errors L4022-4041) or `ManualPushSnaps` (network-camera-mqtt v1.25 §20/§21); the
simulated device answers and re-pushes the window's records with `PushType` 2, which need no
`PushAck` and may come more than once (L3486).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
import pytest

from custom_components.face_access.protocols.hfsecurity_mqtt import (
    CAMERA,
    HFSecurityMqttClient,
    MqttVariant,
)
from custom_components.face_access.protocols.model import (
    AccessKind,
    AccessRecord,
    DeviceRefusedError,
    InvalidRequestError,
)

from .e2e import TERMINAL_ID, wait_until
from .hfsecurity_support import DeviceRig, MakeRig, Simulator, rig_fixture


class Rig(DeviceRig):
    """One simulated device and the clients that have listened to it."""

    def __init__(self, hass: HomeAssistant, sim: Simulator, variant: MqttVariant) -> None:
        """Hold `sim`; nothing heard yet."""
        super().__init__(hass, sim, variant)
        self.heard: list[str] = []  # topics of the device's pushes Home Assistant's MQTT got

    async def start(self) -> None:
        """Start the device, and watch its record topics through Home Assistant's MQTT."""
        await super().start()
        await self.listen()

    async def listen(self) -> None:
        """Watch the device's record topics through Home Assistant's MQTT all along."""

        @callback
        def heard(message: mqtt.ReceiveMessage) -> None:
            self.heard.append(message.topic)

        # The clients' own filter: another overlapping one would make the broker send twice.
        await mqtt.async_subscribe(self.hass, f"mqtt/face/{self.sim.device_id}/#", heard)

    @property
    def client(self) -> HFSecurityMqttClient:
        """Return the client connected now."""
        assert self.clients, "no client connected"
        return self.clients[-1]

    async def connect(self) -> HFSecurityMqttClient:
        """Start a client (Home Assistant coming up) and wait until it answered Online."""
        client = self.new_client()
        await client.start()
        # A device already online sends no new Online: a first answer counts as coming up.
        await client.query_info()
        await wait_until(lambda: client.diagnostics()["pending_commands"] == 0)
        return client

    async def disconnect(self) -> None:
        """Stop the client: Home Assistant is away, nobody listens or acknowledges."""
        assert self.clients, "no client connected"
        await self.stop_clients()

    async def until_heard(self, pushes: int) -> None:
        """Wait until `pushes` more record pushes went by (to whoever listened)."""
        target = len([t for t in self.heard if t.endswith(("/Rec", "/Snap"))]) + pushes
        await wait_until(
            lambda: len([t for t in self.heard if t.endswith(("/Rec", "/Snap"))]) >= target
        )

    def records(self, *, historical: bool) -> list[AccessRecord]:
        """Return the access records passed on, live or historical."""
        return [
            m for m in self.messages if isinstance(m, AccessRecord) and m.historical is historical
        ]

    async def until_records(self, count: int, *, historical: bool) -> None:
        """Wait until `count` access records, live or historical, were passed on."""
        await wait_until(lambda: len(self.records(historical=historical)) == count)


make_rig = pytest.fixture(rig_fixture(Rig))


@pytest.fixture
async def rig(make_rig: MakeRig[Rig]) -> Rig:
    """The simulated face terminal as the simulator sets it up (resume on), its client connected."""
    terminal = await make_rig()
    await terminal.connect()
    return terminal


def window() -> tuple[datetime, datetime]:
    """Return the last ten minutes and the next one, device-local."""
    now = datetime.now()
    return now - timedelta(minutes=10), now + timedelta(minutes=1)


async def test_records_made_while_away_arrive_once_each_historical(make_rig: MakeRig[Rig]) -> None:
    """A record seen live and two made while Home Assistant was away (the device's factory
    setting: no resume, so they are not re-sent by themselves) come back, strangers too,
    each once, marked historical, with the live record's key so that its owner drops it."""
    rig = await make_rig(resume_from_breakpoint=False)
    await rig.connect()
    live_id = rig.sim.push_record()
    await rig.until_records(1, historical=False)
    (live,) = rig.records(historical=False)

    await rig.disconnect()
    heard = rig.until_heard(3)
    away_id = rig.sim.push_record(verify_status=2)
    snap_id = rig.sim.push_stranger()
    old_id = rig.sim.push_record(at=datetime.now() - timedelta(hours=2))  # outside the window
    await heard  # gone by, with no client listening

    client = await rig.connect()
    start, end = window()
    assert await client.fetch_records(start, end) is None  # the device pushes on its own
    await rig.until_records(3, historical=True)

    replays = rig.records(historical=True)
    assert sorted(r.key for r in replays) == sorted([live.key, f"rec:{away_id}", f"snap:{snap_id}"])
    assert f"rec:{old_id}" not in {r.key for r in rig.messages if isinstance(r, AccessRecord)}
    by_key = {r.key: r for r in replays}
    assert by_key[live.key].record_id == str(live_id)
    assert by_key[live.key].person_id == live.person_id
    assert by_key[f"rec:{away_id}"].kind is AccessKind.DENIED
    assert by_key[f"snap:{snap_id}"].kind is AccessKind.STRANGER
    assert all(r.picture is not None for r in replays)


async def test_repushed_records_need_no_ack(rig: Rig) -> None:
    """L3486: `PushType` 2 needs no reply; the device keeps nothing waiting either way."""
    record_id = rig.sim.push_record()  # resume on: live records are acked
    await wait_until(lambda: record_id in rig.sim.acked_records)
    acks = len(rig.commands("PushAck"))

    await rig.client.fetch_records(*window())
    await rig.until_records(1, historical=True)

    assert rig.sim.replayed == 1
    assert len(rig.commands("PushAck")) == acks
    assert rig.sim.pending_pushes == set()


async def test_duplicate_repushes_keep_their_key(rig: Rig) -> None:
    """The documents warn a re-pushed record "may be saved multiple times": every copy has
    the same key, so the owner keeps one."""
    record_id = rig.sim.push_record()
    snap_id = rig.sim.push_stranger()
    await rig.until_records(2, historical=False)
    rig.sim.replay_copies = 2

    await rig.client.fetch_records(*window())
    await rig.until_records(4, historical=True)

    assert Counter(r.key for r in rig.records(historical=True)) == {
        f"rec:{record_id}": 2,
        f"snap:{snap_id}": 2,
    }


async def test_terminal_window_is_sent_in_its_own_time_format(rig: Rig) -> None:
    rig.sim.push_record()

    await rig.client.fetch_records(datetime(2024, 5, 6, 7, 0), datetime(2024, 5, 6, 8, 30, 15))

    (records,) = rig.commands("ManualPushRecords")
    (snaps,) = rig.commands("ManualPushSaps")  # §22 spelling, not "Snaps"
    for sent in (records, snaps):
        assert sent["info"] == {
            "facesluiceId": TERMINAL_ID,
            "TimeS": "2024-05-06T07:00:00",
            "TimeE": "2024-05-06T08:30:15",
        }


async def test_window_without_records_is_not_an_error(rig: Rig) -> None:
    """466 "Can't Find any record issue": nothing to fetch, nothing raised."""
    rig.sim.push_record()

    assert await rig.client.fetch_records(datetime(2020, 1, 1), datetime(2020, 1, 2)) is None

    assert len(rig.commands("ManualPushRecords")) == 1
    assert len(rig.commands("ManualPushSaps")) == 1
    assert rig.sim.replayed == 0
    assert rig.records(historical=True) == []


async def test_record_upload_off_is_refused(rig: Rig) -> None:
    """467 "Unknow RecordUploadType": the device will not push; the caller is told why."""
    rig.sim.configure_uploads(RecordUploadType=0)

    with pytest.raises(DeviceRefusedError, match="RecordUploadType") as refused:
        await rig.client.fetch_records(*window())

    assert refused.value.code == "467"


async def test_stranger_upload_off_fetches_records_only(rig: Rig) -> None:
    rig.sim.configure_uploads(StrangerUploadType=1)
    record_id = rig.sim.push_record()
    rig.sim.push_stranger()  # kept on the device, never uploaded

    await rig.client.fetch_records(*window())
    await rig.until_records(1, historical=True)

    assert rig.commands("ManualPushSaps") == []
    assert [r.key for r in rig.records(historical=True)] == [f"rec:{record_id}"]


async def test_other_refusals_are_raised(rig: Rig) -> None:
    rig.sim.refuse_next("ManualPushSaps", 463, "Unknow facesluiceId")

    with pytest.raises(DeviceRefusedError) as refused:
        await rig.client.fetch_records(*window())

    assert (refused.value.code, refused.value.reason) == ("463", "Unknow facesluiceId")


async def test_window_that_ends_before_it_starts_is_invalid(rig: Rig) -> None:
    start, end = window()

    with pytest.raises(InvalidRequestError):
        await rig.client.fetch_records(end, start)

    assert rig.commands("ManualPushRecords") == []


async def test_camera_catch_up(make_rig: MakeRig[Rig]) -> None:
    """Camera §20/§21: `ManualPushSnaps`, times with a space; the re-pushes are historical
    (`PushType` 2, `Sendintime` 0) and keep the live records' keys."""
    rig = await make_rig(CAMERA, heartbeat_interval=30.0)
    client = await rig.connect()
    record_id = rig.sim.push_record()
    snap_id = rig.sim.push_stranger()
    await rig.until_records(2, historical=False)

    await client.fetch_records(datetime(2024, 5, 6, 7, 0), datetime.now() + timedelta(minutes=1))
    await rig.until_records(2, historical=True)

    (snaps,) = rig.commands("ManualPushSnaps")
    assert snaps["info"]["TimeS"] == "2024-05-06 07:00:00"
    assert rig.commands("ManualPushSaps") == []
    assert sorted(r.key for r in rig.records(historical=True)) == [
        f"rec:{record_id}",
        f"snap:{snap_id}",
    ]
