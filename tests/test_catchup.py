"""Catching up after an outage, and the `face_access.fetch_records` service.

The first part drives the Home Assistant side with a fake device (tests/fake_device.py) that
implements the optional `CatchUpClient`: what any protocol gets by implementing it. The
end-to-end part below runs the real clients against the simulators over real sockets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from functools import partial
import json
import logging
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_OFF
from homeassistant.core import Event, HomeAssistant, ServiceResponse, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access import catchup
from custom_components.face_access.const import DOMAIN, EVENT_FACE_ACCESS
from custom_components.face_access.protocols.model import (
    Capability,
    DeviceTimeoutError,
)
from simulators.broker import Broker
from simulators.face_capture_http import DEFAULT_SERIAL, FaceCaptureSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.lifecycle import free_port
from tests.common import reconnect, terminal_entry
from tests.e2e import (
    add_face_capture,
    face_capture_terminal,
    quick_simulator,
    running,
    wait_until,
)
from tests.fake_device import (
    SERIAL,
    FakeClient,
    FakeDevice,
    fake_entry,
    fake_protocol,
    record,
)
from tests.http_devices import serve, state as http_state, until

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a re-pushing device be done after a fifth of a second of quiet."""
    monkeypatch.setattr(catchup, "QUIET_AFTER", 0.2)
    monkeypatch.setattr(catchup, "MAX_WAIT", 5.0)


@pytest.fixture
def device() -> FakeDevice:
    """The device's own state: what it keeps and how it answers."""
    return FakeDevice()


@pytest.fixture
def clients(device: FakeDevice) -> Iterator[list[FakeClient]]:
    """The fake protocol registered; the clients built for it, newest last."""
    with fake_protocol(device) as clients:
        yield clients


def now() -> datetime:
    """Return now as the device writes time (local, naive, whole seconds)."""
    moment: datetime = catchup.local_now()
    return moment.replace(microsecond=0)


def history_key(entry: MockConfigEntry) -> str:
    """Return the storage key of the entry's history of records."""
    return f"{DOMAIN}.{entry.entry_id}.records"


def saved_history(
    hass_storage: dict[str, Any], entry: MockConfigEntry, newest: datetime, keys: list[str]
) -> None:
    """Put a history in storage as an earlier run of Home Assistant left it."""
    key = history_key(entry)
    hass_storage[key] = {
        "version": catchup.STORE_VERSION,
        "minor_version": 1,
        "key": key,
        "data": {"newest": newest.isoformat(), "keys": keys},
    }


async def set_up(hass: HomeAssistant, entry: MockConfigEntry, *, catch_up: bool = True) -> None:
    """Set the entry up and let the catch-up that follows finish (unless `catch_up` is False:
    then it is still running)."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    if catch_up:
        await hass.async_block_till_done(wait_background_tasks=True)


async def set_up_seen_until(
    hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry, newest: datetime
) -> None:
    """Set `entry` up with the history of an earlier run that saw records up to `newest`; let
    the catch-up that follows finish."""
    saved_history(hass_storage, entry, newest, [])
    await set_up(hass, entry)


async def after_save_delay(hass: HomeAssistant) -> None:
    """Move time past the delay after which the history is written."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=catchup.SAVE_DELAY + 1))
    await hass.async_block_till_done()


def access_events(events: list[Any]) -> list[dict[str, Any]]:
    """Return the `access` bus events' data, in the order they fired."""
    return [dict(event.data) for event in events if event.data["category"] == "access"]


def record_ids(events: list[Any]) -> list[str]:
    """Return the record IDs of the `access` events fired, in order."""
    return [event["record_id"] for event in access_events(events)]


def state(hass: HomeAssistant, key: str) -> str:
    """Return the state of the fake terminal's entity `key`."""
    found = hass.states.get(f"sensor.fake_terminal_{key}")
    assert found is not None
    return found.state


def ha_device(hass: HomeAssistant, serial: str = SERIAL) -> str:
    """Return the Home Assistant device id of the device with unique id `serial`."""
    entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, serial)
    assert entry is not None
    (device_entry,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return device_entry.id


async def fetch_records(hass: HomeAssistant, **data: Any) -> ServiceResponse:
    """Call the `face_access.fetch_records` service with `data`; return its response."""
    return await hass.services.async_call(
        DOMAIN, "fetch_records", data, blocking=True, return_response=True
    )


def placeholders(error: HomeAssistantError) -> dict[str, str]:
    """Return the placeholders of a translated error's message."""
    assert error.translation_placeholders is not None
    return error.translation_placeholders


@pytest.fixture
def entry(clients: list[FakeClient]) -> MockConfigEntry:
    """The fake terminal's config entry (not added yet), its protocol registered."""
    return fake_entry()


@pytest.fixture
def since(hass_storage: dict[str, Any], entry: MockConfigEntry) -> datetime:
    """Return an hour ago, saved in `entry`'s history as the time of the newest record an
    earlier run of Home Assistant saw: the start of the gap to catch up."""
    newest = now() - HOUR
    saved_history(hass_storage, entry, newest, [])
    return newest


# ---- after Home Assistant was away ----------------------------------------------------------


async def test_start_fetches_the_gap_in_time_order_without_repeats(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    device: FakeDevice,
    entry: MockConfigEntry,
) -> None:
    """At start the device is asked for the records since the newest one seen before.

    The device sends them out of order and with a record that already arrived; each new one
    fires `access` once, historical, oldest first, and the last person is the newest.
    """
    since = now() - HOUR
    saved_history(hass_storage, entry, since, ["rec:1"])
    device.kept = [
        record("1", since, name="Ada"),
        record("3", since + 20 * MINUTE, name="Cy"),
        record("2", since + 10 * MINUTE, name="Bo"),
    ]
    events = async_capture_events(hass, EVENT_FACE_ACCESS)

    await set_up(hass, entry)

    assert len(device.fetches) == 1
    start, end = device.fetches[0]
    assert start == since
    assert end >= since + 20 * MINUTE
    fired = access_events(events)
    assert [event["record_id"] for event in fired] == ["2", "3"]
    assert all(event["historical"] is True for event in fired)
    assert state(hass, "last_person") == "Cy"


async def test_first_set_up_fetches_nothing(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    device: FakeDevice,
    entry: MockConfigEntry,
) -> None:
    """A device just added has no gap: nothing is asked for, and its history starts now."""
    device.kept = [record("1", now() - HOUR)]
    events = async_capture_events(hass, EVENT_FACE_ACCESS)

    await set_up(hass, entry)
    await after_save_delay(hass)

    assert device.fetches == []
    assert access_events(events) == []
    saved = hass_storage[history_key(entry)]["data"]
    assert datetime.fromisoformat(saved["newest"]) >= now() - MINUTE


async def test_replayed_records_never_roll_the_state_back(
    hass: HomeAssistant,
    device: FakeDevice,
    clients: list[FakeClient],
    entry: MockConfigEntry,
    since: datetime,
) -> None:
    """A live record that arrives while the device re-pushes older ones stays the last person."""
    device.capabilities |= {Capability.BODY_TEMPERATURE}
    device.kept = [record("7", since + 5 * MINUTE, name="Old")]
    events = async_capture_events(hass, EVENT_FACE_ACCESS)
    await set_up(hass, entry, catch_up=False)

    live = record("8", now(), name="Live")
    clients[-1].emit(live)
    await hass.async_block_till_done(wait_background_tasks=True)

    fired = access_events(events)
    assert [(event["record_id"], event["historical"]) for event in fired] == [
        ("8", False),
        ("7", True),
    ]
    assert state(hass, "last_person") == "Live"


async def test_device_that_answers_with_its_records(
    hass: HomeAssistant,
    device: FakeDevice,
    entry: MockConfigEntry,
    since: datetime,
) -> None:
    """Records handed over before the request returns are fired oldest first too."""
    device.answers = True
    device.kept = [
        record("12", since + 30 * MINUTE, name="Cy"),
        record("11", since + 10 * MINUTE, name="Bo"),
    ]
    events = async_capture_events(hass, EVENT_FACE_ACCESS)

    await set_up(hass, entry)

    assert record_ids(events) == ["11", "12"]


async def test_damaged_history_counts_as_a_first_set_up(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    device: FakeDevice,
    clients: list[FakeClient],
    entry: MockConfigEntry,
) -> None:
    """A history file that cannot be read starts a new history instead of failing set-up."""
    key = history_key(entry)
    hass_storage[key] = {"version": 1, "key": key, "data": {"newest": "yesterday", "keys": 7}}
    device.kept = [record("1", now() - HOUR)]

    await set_up(hass, entry)

    assert device.fetches == []
    clients[-1].emit(record("2", now(), name="Bo"))
    await hass.async_block_till_done()
    assert state(hass, "last_person") == "Bo"


async def test_one_catch_up_at_a_time(
    hass: HomeAssistant,
    device: FakeDevice,
    clients: list[FakeClient],
    entry: MockConfigEntry,
    since: datetime,
) -> None:
    """A device that flaps while it re-pushes is not asked again meanwhile."""
    device.kept = [record("5", since + MINUTE, name="Bo")]
    events = async_capture_events(hass, EVENT_FACE_ACCESS)
    await set_up(hass, entry, catch_up=False)
    await hass.async_block_till_done()

    await reconnect(hass, clients[-1])

    assert len(device.fetches) == 1
    assert record_ids(events) == ["5"]


# ---- after the device was away --------------------------------------------------------------


async def test_device_back_online_fetches_since_its_last_record(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    device: FakeDevice,
    clients: list[FakeClient],
    entry: MockConfigEntry,
) -> None:
    """A device that was offline is asked for the records since the last one seen.

    Its re-send of the record that arrived before it went away fires nothing.
    """
    await set_up_seen_until(hass, hass_storage, entry, now() - 2 * HOUR)
    client = clients[-1]
    last = record("20", now() - HOUR, name="Ada")
    client.emit(last)
    client.go_offline()
    await hass.async_block_till_done()
    device.kept = [
        last,
        record("22", now() - 10 * MINUTE, name="Cy"),
        record("21", now() - 30 * MINUTE, name="Bo"),
    ]
    events = async_capture_events(hass, EVENT_FACE_ACCESS)

    client.go_online()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert device.fetches[-1][0] == last.time
    assert record_ids(events) == ["21", "22"]
    assert state(hass, "last_person") == "Cy"


async def test_failed_catch_up_is_tried_again_at_the_next_reconnect(
    hass: HomeAssistant,
    device: FakeDevice,
    clients: list[FakeClient],
    entry: MockConfigEntry,
    since: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A device that does not answer the request is asked again when it comes back."""
    device.kept = [record("31", since + MINUTE, name="Bo")]
    device.fetch_error = DeviceTimeoutError("no answer in 10 s")
    events = async_capture_events(hass, EVENT_FACE_ACCESS)
    caplog.set_level(logging.INFO)

    await set_up(hass, entry)

    assert access_events(events) == []
    failures = [line for line in caplog.messages if "did not send the records" in line]
    assert len(failures) == 1
    assert "no answer in 10 s" in failures[0]

    device.fetch_error = None
    await reconnect(hass, clients[-1])

    assert [fetch[0] for fetch in device.fetches] == [since, since]
    assert record_ids(events) == ["31"]


# ---- the history across restarts ------------------------------------------------------------


async def test_history_survives_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    device: FakeDevice,
    clients: list[FakeClient],
    entry: MockConfigEntry,
) -> None:
    """Records seen before a restart are not fired again when the device re-sends them."""
    await set_up_seen_until(hass, hass_storage, entry, now() - 2 * HOUR)
    seen = [record("41", now() - HOUR, name="Ada"), record("42", now() - 50 * MINUTE)]
    for item in seen:
        clients[-1].emit(item)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    device.kept = [*seen, record("43", now() - 20 * MINUTE, name="Cy")]
    events = async_capture_events(hass, EVENT_FACE_ACCESS)
    await set_up(hass, entry)

    assert device.fetches[-1][0] == seen[-1].time
    assert record_ids(events) == ["43"]
    # A copy the device re-sends live (a lost acknowledgement) is dropped as well.
    clients[-1].emit(seen[0])
    await hass.async_block_till_done()
    assert record_ids(events) == ["43"]


async def test_history_is_written_a_while_after_records_not_per_record(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    clients: list[FakeClient],
    entry: MockConfigEntry,
) -> None:
    """A burst of records is written once, after the delay (a crash loses at most that)."""
    await set_up_seen_until(hass, hass_storage, entry, now() - 2 * HOUR)
    newest = now() - MINUTE
    for number in range(5):
        clients[-1].emit(record(str(50 + number), newest - (4 - number) * MINUTE))
    await hass.async_block_till_done()
    assert hass_storage[history_key(entry)]["data"]["keys"] == []

    await after_save_delay(hass)

    saved = hass_storage[history_key(entry)]["data"]
    assert datetime.fromisoformat(saved["newest"]) == newest
    assert saved["keys"][-5:] == [f"rec:{50 + number}" for number in range(5)]


async def test_removing_the_entry_removes_its_history(
    hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry
) -> None:
    """Deleting the device leaves no history behind."""
    saved_history(hass_storage, entry, now() - HOUR, ["rec:1"])
    await set_up(hass, entry)

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert history_key(entry) not in hass_storage


async def test_diagnostics_count_records_caught_up(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    device: FakeDevice,
    clients: list[FakeClient],
    entry: MockConfigEntry,
    since: datetime,
) -> None:
    """The diagnostics say how many records were caught up, naming nobody."""
    device.kept = [
        record("61", since + MINUTE, name="Grace Hopper"),
        record("62", since + 2 * MINUTE, name="Grace Hopper"),
    ]
    await set_up(hass, entry)
    clients[-1].emit(record("63", now(), name="Grace Hopper"))
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["state"]["records_caught_up"] == 2
    text = json.dumps(diagnostics)
    assert "Grace" not in text
    assert "rec:6" not in text


# ---- the fetch_records service --------------------------------------------------------------


@pytest.fixture
async def target(hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry) -> str:
    """The fake terminal's Home Assistant device, set up with nothing to catch up (its
    history saved a minute ago)."""
    await set_up_seen_until(hass, hass_storage, entry, now() - MINUTE)
    return ha_device(hass)


async def test_fetch_records_returns_the_new_records_of_the_window(
    hass: HomeAssistant, device: FakeDevice, clients: list[FakeClient], target: str
) -> None:
    """The service asks for the window named and counts the records that were new."""
    start = now() - 3 * HOUR
    seen = record("71", start + HOUR, name="Ada")
    clients[-1].emit(seen)
    await hass.async_block_till_done()
    device.kept = [
        seen,
        record("73", start + 2 * HOUR, name="Cy"),
        record("72", start + 90 * MINUTE, name="Bo"),
        record("70", start - HOUR, name="Outside"),
    ]
    events = async_capture_events(hass, EVENT_FACE_ACCESS)

    response = await fetch_records(
        hass, device_id=target, start=start.isoformat(), end=(start + 150 * MINUTE).isoformat()
    )

    assert response == {"results": {target: {"status": "fetched", "count": 2, "reason": ""}}}
    assert device.fetches[-1] == (start, start + 150 * MINUTE)
    fired = access_events(events)
    assert [(event["record_id"], event["historical"]) for event in fired] == [
        ("72", True),
        ("73", True),
    ]


async def test_fetch_records_end_defaults_to_now(
    hass: HomeAssistant, device: FakeDevice, target: str
) -> None:
    """Without an end the window ends now; a time with a zone is taken as that moment."""
    before = now()
    start = dt_util.now() - HOUR

    await fetch_records(hass, device_id=[target], start=start.isoformat())

    fetched_start, fetched_end = device.fetches[-1]
    assert fetched_start == start.replace(tzinfo=None)
    assert fetched_end >= before


async def test_fetch_records_checks_every_target_before_asking(
    hass: HomeAssistant, device: FakeDevice, target: str
) -> None:
    """One error names every device that cannot be asked; none is asked."""
    fetches = len(device.fetches)

    with pytest.raises(ServiceValidationError) as caught:
        await fetch_records(
            hass,
            device_id=[target, "no-such-device", "another-one"],
            start=(now() - HOUR).isoformat(),
        )

    assert caught.value.translation_key == "fetch_records_unavailable"
    targets = placeholders(caught.value)["targets"]
    assert "no-such-device" in targets
    assert "another-one" in targets
    assert len(device.fetches) == fetches


async def test_fetch_records_refuses_a_device_that_cannot(
    hass: HomeAssistant, device: FakeDevice, entry: MockConfigEntry
) -> None:
    """A device whose protocol cannot send records again is named in the error."""
    device.capabilities -= {Capability.CATCH_UP}
    await set_up(hass, entry)

    with pytest.raises(ServiceValidationError) as caught:
        await fetch_records(hass, device_id=[ha_device(hass)], start=(now() - HOUR).isoformat())

    assert placeholders(caught.value)["targets"] == entry.title
    assert device.fetches == []


async def test_fetch_records_refuses_a_window_that_ends_before_it_starts(
    hass: HomeAssistant, device: FakeDevice, target: str
) -> None:
    """The start must come before the end."""
    fetches = len(device.fetches)

    with pytest.raises(ServiceValidationError) as caught:
        await fetch_records(
            hass, device_id=[target], start=now().isoformat(), end=(now() - HOUR).isoformat()
        )

    assert caught.value.translation_key == "fetch_records_window"
    assert len(device.fetches) == fetches


async def test_fetch_records_device_failure_is_a_translated_error(
    hass: HomeAssistant, device: FakeDevice, target: str
) -> None:
    """When the only device asked does not answer, the call fails with its reason."""
    device.fetch_error = DeviceTimeoutError("no answer in 10 s")

    with pytest.raises(HomeAssistantError) as caught:
        await fetch_records(hass, device_id=[target], start=(now() - HOUR).isoformat())

    assert caught.value.translation_key == "device_timeout"
    assert placeholders(caught.value)["reason"] == "no answer in 10 s"


# ---- end to end: the MQTT face terminal through a real broker -------------------------------


@pytest.fixture
def terminal(broker: Broker, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaceTerminalSimulator]:
    """Run the simulated face terminal as it leaves the factory: no re-send by itself.

    Records it could not deliver stay on the device (§9.6 `ResumefromBreakpoint` 0), so only
    a catch-up brings them to Home Assistant. Five people are enrolled on it. A re-push is
    over after two seconds without a record, as in use (not a fifth of a second: the
    broker is quick, a busy machine is not).
    """
    monkeypatch.setattr(catchup, "QUIET_AFTER", 2.0)
    simulator = quick_simulator(
        FaceTerminalSimulator, broker, TERMINAL_ID, resume_from_breakpoint=False
    )
    for person_id, name in PEOPLE.items():
        simulator.add_person(person_id, name)
    with running(simulator) as sim:
        yield sim


TERMINAL_ID = "1305433"
PEOPLE = {"E1": "Ada", "E2": "Bo", "E3": "Cy", "E4": "Dee", "E5": "Eve"}


def names(events: list[Any], *, historical: bool | None = None) -> list[str]:
    """Return the person names of the `access` events fired, in order."""
    return [
        event["person_name"]
        for event in access_events(events)
        if historical is None or event["historical"] is historical
    ]


async def recognise_ada(
    hass: HomeAssistant, sim: FaceTerminalSimulator, at: datetime
) -> list[Event[Any]]:
    """Capture the Face Access events from now on, and have the terminal recognise Ada (E1)
    at `at`, live; return the events once hers fired."""
    events: list[Event[Any]] = async_capture_events(hass, EVENT_FACE_ACCESS)
    sim.push_record("E1", at=at)
    await wait_until(lambda: names(events) == ["Ada"])
    return events


async def until_fired(hass: HomeAssistant, events: list[Event[Any]], count: int) -> None:
    """Wait until `count` `access` events fired, and what they started finished."""
    await wait_until(lambda: len(access_events(events)) >= count)
    await hass.async_block_till_done(wait_background_tasks=True)


async def add_terminal(
    hass: HomeAssistant, hass_storage: dict[str, Any], sim: FaceTerminalSimulator
) -> MockConfigEntry:
    """Set up the terminal as added two hours ago, and wait until it answered and was read."""
    entry = terminal_entry(TERMINAL_ID)
    await set_up_seen_until(hass, hass_storage, entry, now() - 2 * HOUR)
    await wait_until(lambda: sim.online_acked)
    await wait_until(lambda: any(c.get("operator") == "GetMQTTconfig" for c in sim.received))
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


@pytest.mark.usefixtures("mqtt_connected")
async def test_e2e_terminal_records_made_while_home_assistant_was_away(
    hass: HomeAssistant, hass_storage: dict[str, Any], terminal: FaceTerminalSimulator
) -> None:
    """Records the terminal made while the entry was unloaded arrive once each when it loads.

    They come back through `ManualPushRecords`/`ManualPushSaps` (§20, §22) out of time order
    and twice each (the document warns of copies); each fires `access` once, historical,
    oldest first; the record seen before the outage is not fired again.
    """
    entry = await add_terminal(hass, hass_storage, terminal)
    heard = await listen(hass)
    seen_at = now() - 5 * MINUTE
    events = await recognise_ada(hass, terminal, seen_at)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    terminal.push_record("E3", at=seen_at + 3 * MINUTE)
    terminal.push_record("E2", verify_status=2, at=seen_at + 2 * MINUTE)
    terminal.push_stranger(at=seen_at + MINUTE)
    await wait_until(lambda: len(heard) == 4)  # gone by, with nobody listening
    terminal.replay_copies = 2
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until_fired(hass, events, 4)

    fired = access_events(events)[1:]
    assert [(event["event_type"], event["historical"]) for event in fired] == [
        ("stranger", True),
        ("denied", True),
        ("recognized", True),
    ]
    assert [event["person_name"] for event in fired[1:]] == ["Bo", "Cy"]
    assert terminal.replayed >= 6
    assert http_state(hass, TERMINAL_ID, "sensor", "last_person").state == "Cy"


@pytest.mark.usefixtures("mqtt_connected")
async def test_e2e_terminal_records_made_while_it_was_offline(
    hass: HomeAssistant, hass_storage: dict[str, Any], terminal: FaceTerminalSimulator
) -> None:
    """Records the terminal made while cut off arrive once each when it is back.

    A live recognition right after it is back stays the last person: the older replays
    do not roll the sensor back.
    """
    await add_terminal(hass, hass_storage, terminal)
    seen_at = now() - 5 * MINUTE
    events = await recognise_ada(hass, terminal, seen_at)

    await hass.async_add_executor_job(partial(terminal.stop, abrupt=True))
    await wait_until(
        lambda: http_state(hass, TERMINAL_ID, "binary_sensor", "online").state == STATE_OFF
    )
    terminal.push_record("E3", at=seen_at + 3 * MINUTE)
    terminal.push_record("E2", at=seen_at + 2 * MINUTE)
    await hass.async_add_executor_job(terminal.start)
    terminal.push_record("E5")
    await until_fired(hass, events, 4)

    fired = access_events(events)
    assert [(event["person_name"], event["historical"]) for event in fired[1:]] == [
        ("Eve", False),
        ("Bo", True),
        ("Cy", True),
    ]
    assert http_state(hass, TERMINAL_ID, "sensor", "last_person").state == "Eve"


@pytest.mark.usefixtures("mqtt_connected")
async def test_e2e_terminal_fetch_records_service(
    hass: HomeAssistant, hass_storage: dict[str, Any], terminal: FaceTerminalSimulator
) -> None:
    """The service fetches a window the user names and counts the records that were new."""
    await add_terminal(hass, hass_storage, terminal)
    start = now() - 3 * HOUR
    events = await recognise_ada(hass, terminal, start + HOUR)
    # Made on the device but never uploaded (record upload off for a while).
    terminal.configure_uploads(RecordUploadType=0)
    terminal.push_record("E2", at=start + 90 * MINUTE)
    terminal.push_record("E3", at=start + 2 * HOUR)
    terminal.configure_uploads(RecordUploadType=1)
    device_id = ha_device(hass, TERMINAL_ID)

    response = await fetch_records(
        hass, device_id=device_id, start=start.isoformat(), end=now().isoformat()
    )

    assert response == {"results": {device_id: {"status": "fetched", "count": 2, "reason": ""}}}
    assert names(events) == ["Ada", "Bo", "Cy"]
    assert [event["historical"] for event in access_events(events)[1:]] == [True, True]


async def listen(hass: HomeAssistant) -> list[str]:
    """Return the topics of the terminal's record pushes from now on, whoever listens.

    Through Home Assistant's MQTT with the client's own filter (an overlapping one would
    make the broker deliver twice).
    """
    heard: list[str] = []

    @callback
    def _heard(message: mqtt.ReceiveMessage) -> None:
        if message.topic.endswith(("/Rec", "/Snap")):
            heard.append(message.topic)

    await mqtt.async_subscribe(hass, f"mqtt/face/{TERMINAL_ID}/#", _heard)
    return heard


# ---- end to end: the face-capture terminal over HTTP ----------------------------------------


@pytest.fixture
async def capture(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, socket_enabled: None
) -> AsyncIterator[FaceCaptureSimulator]:
    """A simulated face-capture terminal with three people, serving on a free port.

    Home Assistant's HTTP server runs on 127.0.0.1 as its internal URL, for the webhook.
    """
    await serve(hass, hass_client_no_auth)
    people = {"0001": "Ada", "0002": "Bo", "0003": "Cy"}
    async with face_capture_terminal(hass, people=people) as simulator:
        yield simulator


async def add_capture(hass: HomeAssistant, sim: FaceCaptureSimulator) -> ConfigEntry[Any]:
    """Add the terminal through the config flow and wait for its first heartbeat."""
    entry = await add_face_capture(hass, sim)
    await until(lambda: http_state(hass, DEFAULT_SERIAL, "binary_sensor", "online").state == "on")
    return entry


async def test_e2e_face_capture_records_made_while_home_assistant_was_away(
    hass: HomeAssistant, capture: FaceCaptureSimulator
) -> None:
    """Records whose upload the terminal gave up while Home Assistant was away come back.

    `request records` (2.2.2) lists them and the one seen before; the new ones fire
    `access` once each, historical, in time order.
    """
    entry = await add_capture(hass, capture)
    events = async_capture_events(hass, EVENT_FACE_ACCESS)
    capture.recognition("0001")
    await until(lambda: names(events) == ["Ada"])
    upload = capture.upload_url
    assert upload is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    # Nobody answers at the upload address while Home Assistant is away.
    capture.configure_url(f"http://127.0.0.1:{free_port('127.0.0.1')}/away")
    made = [
        capture.recognition("0002"),
        capture.stranger(),
        capture.denied(-6, "0003", temperature=38.4),
    ]
    await until(lambda: capture.queued == made)
    capture.drop_backlog()  # a lost upload queue: only the record query finds them
    capture.configure_url(upload)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until_fired(hass, events, 4)

    fired = access_events(events)
    assert [(event["event_type"], event["historical"]) for event in fired] == [
        ("recognized", False),
        ("recognized", True),
        ("stranger", True),
        ("denied", True),
    ]
    assert [event["person_name"] for event in fired] == ["Ada", "Bo", None, "Cy"]
    assert "request records" in capture.commands


async def test_e2e_face_capture_fetch_records_service(
    hass: HomeAssistant, capture: FaceCaptureSimulator
) -> None:
    """The service reads a window and counts the records Home Assistant had not seen."""
    entry = await add_capture(hass, capture)
    events = async_capture_events(hass, EVENT_FACE_ACCESS)
    start = now() - MINUTE
    capture.recognition("0001")
    await until(lambda: names(events) == ["Ada"])
    capture.configure_url(f"http://127.0.0.1:{free_port('127.0.0.1')}/nowhere")
    capture.recognition("0002")
    capture.recognition("0003")
    capture.drop_backlog()
    device_id = ha_device(hass, DEFAULT_SERIAL)

    response = await fetch_records(hass, device_id=device_id, start=start.isoformat())

    assert response == {"results": {device_id: {"status": "fetched", "count": 2, "reason": ""}}}
    assert names(events) == ["Ada", "Bo", "Cy"]
    assert entry.runtime_data.coordinator.catch_up.caught_up == 2
