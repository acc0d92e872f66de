"""Fault injection over real sockets and real processes (issue 15, section 2).

Each fault is one test, parametrized over the rigs of every protocol it applies to
(`tests/faults_support.py`): a protocol added later joins a fault by adding its rig. The
devices are the simulators, speaking their vendor protocol to Home Assistant over 127.0.0.1
(an amqtt broker in its own process for the MQTT family). Where a fault needs time to pass
(a command's timeout, a minute of flapping, Home Assistant's reconnection), the timers are
run early instead of waited for; no test makes a claim about wall-clock time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from functools import partial
import gc
import logging
from pathlib import Path
import random
import time
import tracemalloc
from typing import Any
from unittest.mock import MagicMock, patch

from aiohttp.test_utils import TestServer
from homeassistant import loader
from homeassistant.components import mqtt
from homeassistant.components.http import CONF_SERVER_HOST
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, storage
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.ingress import EntryStore
from tests.common import ha_device_id, make_photo
from tests.e2e import wait_until
from tests.faults_support import (
    QUEUES,
    RIGS,
    AccessEvents,
    HuaanRig,
    MqttRig,
    Resources,
    Rig,
    SkewedClock,
    fire_in,
    integration_tasks,
    outliving,
    settle,
)
from tests.http_devices import serve

MQTT_RIGS = [key for key, rig in RIGS.items() if issubclass(rig, MqttRig)]


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(params=list(RIGS))
def protocol(request: pytest.FixtureRequest) -> str:
    """The protocol under test: one row of the fault table."""
    return str(request.param)


@pytest.fixture
def resources(
    request: pytest.FixtureRequest, protocol: str, hass: HomeAssistant, socket_enabled: None
) -> Resources:
    """What the protocol's rig needs: a real broker and MQTT, or Home Assistant's server."""
    if issubclass(RIGS[protocol], MqttRig):
        broker = request.getfixturevalue("broker")
        request.getfixturevalue("mqtt_connected")
        return Resources(hass, broker=broker)
    return Resources(hass, base_url=request.getfixturevalue("ha_url"))


@pytest.fixture
async def ha_url(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> str:
    """Home Assistant's HTTP server on 127.0.0.1, known as its internal URL."""
    return await serve(hass, hass_client_no_auth)


@pytest.fixture
async def rig(protocol: str, resources: Resources) -> AsyncGenerator[Rig]:
    """The protocol's simulated device, started, and its entry, loaded and online."""
    built = RIGS[protocol](resources)
    await built.start()
    yield built
    await built.stop()
    assert built.violations() == []


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return every error or traceback logged (an error that escaped into the host).

    paho's own complaint about a connection the broker dropped is the fault injected, not
    an error of Home Assistant's.
    """
    return [
        record.getMessage()
        for record in caplog.records
        if (record.levelno >= logging.ERROR or record.exc_info)
        and not record.name.startswith("paho.")
    ]


# ---- re-sends ------------------------------------------------------------------------------------


async def test_a_record_sent_ten_times_fires_one_event(
    hass: HomeAssistant, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Ten copies of a record, in a row and interleaved with older ones, fire one event.

    The device sends three recognitions and has them acknowledged; then every record goes
    nine more times as the device sent it: the first in a row, the other two shuffled
    together (each arrives after newer ones). Every copy is acknowledged (or the device
    would never stop sending it), each person gets one event, and the state stays at the
    newest record.
    """
    people = ["1001", "1002", "1003"]
    await rig.enroll_on_device(people)
    events = AccessEvents(hass)
    for number, person in enumerate(people, 1):
        await hass.async_add_executor_job(rig.push, person)
        # One at a time, so that each is newer than the one before (state ordering).
        await wait_until(lambda number=number: len(events.people) == number)
    await wait_until(rig.delivered)
    first: dict[str, bytes] = {}
    for person, payload in rig.sent_records():
        first.setdefault(person, payload)
    mixed = [first["1002"]] * 9 + [first["1003"]] * 9 + [first["1001"]] * 3
    random.Random(15).shuffle(mixed)

    copies = [first["1001"]] * 6 + mixed
    acknowledged = await hass.async_add_executor_job(rig.replay, copies)
    await settle(hass)

    assert acknowledged == len(copies)
    assert events.count() == dict.fromkeys(people, 1)
    assert hass.states.get(rig.entity_id("sensor", "last_person")).state == "Person 1003"
    assert _errors(caplog) == []


# ---- a device that answers slowly or never -------------------------------------------------------


async def test_a_command_the_device_never_answers_fails_in_time(
    hass: HomeAssistant, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """`list_people` to a device that takes the command and never answers fails with the
    translated timeout error once its documented timeout has passed, not before; the next
    command works, and nothing of the integration is left waiting.
    """
    await rig.enroll_on_device(["1001"])
    device_id = ha_device_id(hass, rig.serial)
    idle = {id(task) for task in integration_tasks()}
    call: Callable[[], Any] = partial(
        hass.services.async_call,
        DOMAIN,
        "list_people",
        {"device_id": device_id},
        blocking=True,
        return_response=True,
    )
    await rig.mute()

    # Not tracked by Home Assistant: waiting for its tasks must not wait for this one.
    pending = hass.loop.create_task(call())
    await rig.held()
    await _spin()
    fire_in(hass, rig.command_timeout - 1)
    await _spin()
    early = pending.done()
    # aiohttp rounds a deadline over 5 s up to the next whole second.
    fire_in(hass, rig.command_timeout + 1.5)
    with pytest.raises(HomeAssistantError) as err:
        await pending

    assert not early
    assert err.value.translation_key == "device_timeout"
    message = str(err.value)
    assert message.startswith(f"{rig.title} did not answer: "), message
    assert rig.timeout_reason in message
    await rig.unmute()
    listed = await call()
    assert [person["person_id"] for person in listed["people"]] == ["1001"]
    await settle(hass)
    # A device that was silent long enough counts as back and is asked about itself; that
    # read waits for its next heartbeat, which `outliving` gives it.
    assert await outliving(lambda: [t for t in integration_tasks() if id(t) not in idle]) == []
    assert _errors(caplog) == []


async def _spin(rounds: int = 20) -> None:
    """Let the event loop run a little without waiting for Home Assistant's tasks."""
    for _ in range(rounds):
        await asyncio.sleep(0)


# ---- a device that flaps -------------------------------------------------------------------------

FLAPS = 16
"""Offline and back sixteen times: a minute of a device flapping every few seconds."""


async def test_a_flapping_device_changes_availability_once_per_change(
    hass: HomeAssistant, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """A device that goes away and comes back sixteen times in a row: each real change is
    one change of the connectivity sensor and at most one availability change of each
    entity; nothing that waited on one visit of the device outlives it (commands to a
    device that dropped end when it drops), the memory the integration holds does not grow
    with the visits (tracemalloc), and nothing is logged as an error.

    Each time the device really goes (power cut with the MQTT Will, a silent tablet, a
    device whose port drops connections), and the time Home Assistant needs to notice
    (the tablet's silence, the next poll) is passed on the compressed timeline.
    """
    assert rig.entry is not None
    entity_ids = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), rig.entry.entry_id)
    ]
    online_id = rig.entity_id("binary_sensor", "online")
    connectivity: list[str] = []
    availability: dict[str, int] = dict.fromkeys(entity_ids, 0)

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        if event.data["entity_id"] not in availability or old is None or new is None:
            return
        if event.data["entity_id"] == online_id and old.state != new.state:
            connectivity.append(new.state)
        if (old.state == STATE_UNAVAILABLE) is not (new.state == STATE_UNAVAILABLE):
            availability[event.data["entity_id"]] += 1

    hass.bus.async_listen("state_changed", _changed)
    survivors: list[asyncio.Task[Any]] = []
    previous: set[asyncio.Task[Any]] = set()
    memory: list[int] = []
    tracemalloc.start()
    try:
        # `caplog` keeps every log record and what it names (errors and their frames, the
        # topics of published messages): anything below an error would look like a leak
        # (a warning a visit, about a command the device left unanswered, say).
        with (
            SkewedClock().installed() as clock,
            caplog.at_level(logging.ERROR),
        ):
            rig.clock = clock  # type: ignore[attr-defined]
            for _ in range(FLAPS):
                await rig.go_away()
                await settle(hass)
                # Whatever the visit started (the info and settings read) ends now that the
                # device is gone: this wait returns only when it did.
                await hass.async_block_till_done(wait_background_tasks=True)
                # What waited on the device's last visit ends with it (a send still on
                # the broker's socket may take a moment: `outliving` gives it that).
                survivors += await outliving(
                    lambda visit=previous: [t for t in integration_tasks() if t in visit]
                )
                # Taken while nothing is under way: what is allocated now is what is kept.
                memory.append(_allocated_by_the_integration())
                await rig.come_back()
                await settle(hass)
                previous = set(integration_tasks())
    finally:
        tracemalloc.stop()

    assert connectivity == ["off", "on"] * FLAPS
    assert max(availability.values()) <= 2 * FLAPS, availability
    assert survivors == []
    # What the integration holds does not grow with each visit: a leak of half a kilobyte a
    # visit fails. What a tablet's visits leave is ~50 bytes each at first and stops growing
    # at ~8 KB after some 45 visits (measured over 64).
    assert memory[-1] - memory[1] < 8 * 1024, memory
    assert _errors(caplog) == []


def _allocated_by_the_integration() -> int:
    """Return the bytes allocated by the integration's code still alive (tracemalloc).

    The harness's storage mock (an autospec patch of `Store._async_write_data`) records
    every call, so every dict a Store ever wrote stays alive in its call list; a tablet
    saves its queue at each POST. Those records are the harness's, and are dropped first.
    """
    getattr(storage.Store._async_write_data, "reset_mock", lambda: None)()
    gc.collect()
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, "*/custom_components/face_access/*")]
    )
    return sum(stat.size for stat in snapshot.statistics("filename"))


# ---- a device changed on its own page while it was away ------------------------------------------


@pytest.mark.parametrize("protocol", ["face_capture_http"])
async def test_a_polled_device_shows_settings_changed_while_it_was_away(
    hass: HomeAssistant, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """A device Home Assistant polls and that never calls on its own (the Huaan terminal in
    push mode) shows its settings from set-up on, and a setting changed on its own web page
    while it was away shows once it answers again. Only a polled device has no message of
    its own that would start the read; the others announce their return.
    """
    assert isinstance(rig, HuaanRig)
    await hass.async_block_till_done(wait_background_tasks=True)
    threshold = rig.entity_id("number", "face_threshold")
    assert _state(hass, threshold) == "80.0"

    await rig.go_away()
    face = rig.sim.app_params["face"]
    rig.sim.set_app_params("face", {**face, "match_score": 90})
    await rig.come_back()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _state(hass, threshold) == "90.0"
    assert _errors(caplog) == []


def _state(hass: HomeAssistant, entity_id: str) -> str | None:
    """Return an entity's state (None when it has none)."""
    state = hass.states.get(entity_id)
    return None if state is None else state.state


# ---- unload and reload in the middle of a burst --------------------------------------------------

BURST = 12


async def test_unloading_in_the_middle_of_a_burst_loses_and_repeats_nothing(
    hass: HomeAssistant, rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """The entry is unloaded while the device sends a burst of records, and set up again.

    Once unloaded, nothing of the integration runs any more and no record fires an event,
    although the device keeps sending; once set up again, the records the device could
    not deliver meanwhile arrive (it sends them until acknowledged): every record of the
    burst fires exactly one event. Lingering tasks and timers are failed by the harness.
    """
    assert rig.entry is not None
    entry_id = rig.entry.entry_id
    rig.refusals_expected = True
    people = [str(2000 + number) for number in range(BURST)]
    await rig.enroll_on_device(people)
    events = AccessEvents(hass)

    def _burst() -> None:
        for person in people:
            rig.push(person)
            time.sleep(0.05)

    burst = hass.async_add_executor_job(_burst)
    await wait_until(lambda: len(events.people) >= 3)
    assert await hass.config_entries.async_unload(entry_id)
    fired_before_unload = len(events.people)
    left_running = integration_tasks()
    await burst
    # The device's re-sends of what was not acknowledged come and go meanwhile.
    await asyncio.sleep(1.5)
    fired_while_unloaded = len(events.people) - fired_before_unload

    assert await hass.config_entries.async_setup(entry_id)
    await wait_until(rig.delivered)
    await wait_until(lambda: len(events.people) >= BURST)
    await settle(hass)

    assert left_running == []
    assert fired_while_unloaded == 0
    assert events.count() == dict.fromkeys(people, 1)
    assert _errors(caplog) == []


# ---- a broker restart during a burst -------------------------------------------------------------


@pytest.mark.parametrize("protocol", MQTT_RIGS)
async def test_a_broker_restart_in_a_burst_delivers_every_record_once(
    hass: HomeAssistant, rig: Rig, resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    """The broker process restarts in the middle of a burst of records.

    Five records go before (three of their acknowledgements are lost), five while the
    broker is down (the device keeps them), five after the device reconnected, perhaps
    before Home Assistant did. The device sends again whatever was not acknowledged,
    records Home Assistant has already taken among them; every record fires exactly once.
    """
    broker = resources.broker
    assert broker is not None
    people = [str(3000 + number) for number in range(15)]
    await rig.enroll_on_device(people)
    events = AccessEvents(hass)
    resends = rig.sim.resend_count  # type: ignore[attr-defined]
    # The acknowledgements of three records are lost as the broker goes down: the device
    # sends those again after it reconnected, although Home Assistant has them.
    rig.sim.drop_push_acks(3)  # type: ignore[attr-defined]
    for person in people[:5]:
        await hass.async_add_executor_job(rig.push, person)
    await wait_until(lambda: len(events.people) >= 5)

    await hass.async_add_executor_job(broker.stop)
    await wait_until(lambda: not rig.sim.connected)
    for person in people[5:10]:
        await hass.async_add_executor_job(rig.push, person)
    await hass.async_add_executor_job(broker.start)
    await wait_until(lambda: rig.sim.connected)
    for person in people[10:]:
        await hass.async_add_executor_job(rig.push, person)
    # Home Assistant's MQTT client tries again every 10 s: run its timer early.
    async with asyncio.timeout(30):
        while not mqtt.is_connected(hass):
            fire_in(hass, 11)
            await asyncio.sleep(0.2)
    await wait_until(lambda: rig.delivered() and len(events.people) >= len(people), 30)
    await settle(hass)

    assert events.count() == dict.fromkeys(people, 1)
    assert rig.sim.resend_count > resends  # type: ignore[attr-defined]
    assert _errors(caplog) == []


# ---- Home Assistant restarts with commands queued ------------------------------------------------


QUEUE_KEY = "face_access.{entry_id}.queue"


@pytest.fixture
def photo(hass: HomeAssistant, tmp_path: Path) -> str:
    """An allow-listed portrait file."""
    path = tmp_path / "ada.jpg"
    path.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    return str(path)


@pytest.mark.parametrize("row", list(QUEUES))
async def test_commands_queued_before_a_restart_run_once_after_it(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    socket_enabled: None,
    photo: str,
    row: str,
) -> None:
    """Commands queued while the device is away survive Home Assistant going down, and
    the device runs each exactly once after the restart, however often it calls.

    The first Home Assistant is not stopped: what survives is what was saved when the
    commands were queued, as after a power cut.
    """
    rig = QUEUES[row]()
    entry = rig.entry()
    with rig.patched():
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await rig.queue_commands(hass, photo)
    saved = hass_storage[QUEUE_KEY.format(entry_id=entry.entry_id)]["data"]["queue"]
    assert tuple(item["kind"] for item in saved) == rig.saved_kinds

    async with async_test_home_assistant() as restarted:
        # What the `enable_custom_integrations` fixture does for the first instance.
        restarted.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        assert await async_setup_component(
            restarted, "http", {"http": {CONF_SERVER_HOST: "127.0.0.1"}}
        )
        again = MockConfigEntry(
            domain=DOMAIN,
            entry_id=entry.entry_id,
            unique_id=entry.unique_id,
            title=entry.title,
            data=dict(entry.data),
            options=dict(entry.options),
        )
        with rig.patched():
            again.add_to_hass(restarted)
            assert await restarted.config_entries.async_setup(again.entry_id)
            await restarted.async_block_till_done()
        server = TestServer(restarted.http.app, host="127.0.0.1")
        await server.start_server()
        device = rig.device(str(server.make_url("")).rstrip("/"))
        try:
            await restarted.async_add_executor_job(device.start)
            await wait_until(lambda: all(rig.runs(device).values()))
            await wait_until(
                lambda: again.runtime_data.client.diagnostics()["queued_commands"] == 0
            )
            # Many more calls: nothing runs a second time.
            await restarted.async_add_executor_job(rig.idle, device, 5)
        finally:
            await restarted.async_add_executor_job(device.stop)
            await server.close()
            # The harness stops only its own instance; stopping leaves loaded entries' timers.
            await restarted.config_entries.async_unload(again.entry_id)
            await restarted.async_stop(force=True)
        assert rig.runs(device) == dict.fromkeys(rig.runs(device), 1)
        assert device.protocol_violations == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("row", list(QUEUES))
async def test_the_saved_queue_is_written_only_when_it_changes(
    hass: HomeAssistant, hass_storage: dict[str, Any], ha_url: str, photo: str, row: str
) -> None:
    """A device calling every few seconds makes no write while nothing is queued (a tablet
    heartbeating every 5 s used to make some 17,000 a day); a command is written when it
    is queued and as it changes, and the queue is empty on disk once it ran.
    """
    rig = QUEUES[row]()
    entry = rig.entry()
    writes = MagicMock()
    write = EntryStore.save

    async def _save(store: EntryStore, data: dict[str, Any]) -> None:
        writes(data)
        await write(store, data)

    with rig.patched(), patch.object(EntryStore, "save", _save):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        device = rig.device(ha_url)
        await hass.async_add_executor_job(partial(device.start, 0))
        try:
            # The first contact: settings learnt, clock set; written as they change.
            await hass.async_add_executor_job(rig.idle, device, 3)
            await settle(hass)
            before_idle = writes.call_count
            await hass.async_add_executor_job(rig.idle, device, rig.idle_calls)
            await settle(hass)
            idle_writes = writes.call_count - before_idle

            await rig.command(hass, photo)
            await settle(hass)
            command_writes = writes.call_count - before_idle - idle_writes
            await hass.async_add_executor_job(rig.idle, device, rig.idle_calls)
            await settle(hass)
            idle_again = writes.call_count - before_idle - idle_writes - command_writes
        finally:
            await hass.async_add_executor_job(device.stop)

    assert idle_writes == 0
    assert 0 < command_writes <= 5
    assert idle_again == 0
    assert hass_storage[QUEUE_KEY.format(entry_id=entry.entry_id)]["data"]["queue"] == []
