"""The roster sync end to end: the People entry's people onto simulated terminals.

Everything goes over real sockets on 127.0.0.1: the MQTT face terminal and camera through
the amqtt broker and Home Assistant's MQTT integration, the temperature tablet and the
face-capture terminal against Home Assistant's HTTP server. The UNV terminal without the
people extension cannot enroll and is left alone.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
from datetime import timedelta
from functools import partial
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access import people_entry
from custom_components.face_access.const import DOMAIN
from custom_components.face_access.person_flow import person_subentry_data
from custom_components.face_access.protocols.model import (
    DeviceRefusedError,
    DeviceTimeoutError,
    FaceAccessError,
    InvalidPhotoError,
    InvalidRequestError,
    PersonList,
)
from custom_components.face_access.roster import (
    CONF_NAME,
    CONF_PERSON_ID,
    CONF_PHOTO_SHA256,
    PEOPLE_UNIQUE_ID,
    SUBENTRY_PERSON,
)
from custom_components.face_access.sync import STORAGE_KEY
from custom_components.face_access.sync_model import Reason, classify
from simulators.broker import Broker
from simulators.camera_mqtt import CameraSimulator
from simulators.face_capture_http import DEFAULT_SERIAL, FaceCaptureSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.temperature_http import TemperatureTabletSimulator
from simulators.unv_lapi import UnvLapiSimulator
from tests.common import DEVICE_ID, add_people_entry, ha_device_id, make_photo
from tests.e2e import (
    add_through_the_flow,
    face_capture_terminal,
    quick_simulator,
    running,
    tablet_on_webhook,
    wait_until,
)
from tests.http_devices import add_by_address, serve
from tests.test_temperature_http import CID, URL, heartbeat, tablet_entry

CAMERA_ID = "1026700"
USER = "admin"
PASSWORD = "s3cret"
UNV_SERIAL = "210235C31L3186000023"

# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Keep the photo store in this test's own directory."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


@pytest.fixture
def terminal(broker: Broker) -> Generator[FaceTerminalSimulator]:
    """The simulated face terminal on the broker (not yet added to Home Assistant)."""
    simulator = quick_simulator(FaceTerminalSimulator, broker, DEVICE_ID, restart_delay=0.5)
    with running(simulator) as sim:
        yield sim
    assert sim.pacing_violations == []


@pytest.fixture
def camera(broker: Broker) -> Generator[CameraSimulator]:
    """The simulated network camera on the broker (not yet added to Home Assistant)."""
    with running(quick_simulator(CameraSimulator, broker, CAMERA_ID, restart_delay=0.5)) as sim:
        yield sim


@pytest.fixture
async def ha_url(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    socket_enabled: None,
    config_dir: Path,
) -> str:
    """Home Assistant's HTTP server on 127.0.0.1, known as its internal URL."""
    return await serve(hass, hass_client_no_auth)


@pytest.fixture
async def tablet(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, ha_url: str
) -> AsyncGenerator[TemperatureTabletSimulator]:
    """The tablet's entry (1 s heartbeats), loaded, and the simulated tablet posting to it."""
    # After `ha_url`: Home Assistant's HTTP server takes no more views once a client runs.
    async with tablet_on_webhook(hass, hass_client_no_auth) as device:
        yield device


@pytest.fixture
async def capture(hass: HomeAssistant, ha_url: str) -> AsyncGenerator[FaceCaptureSimulator]:
    """The simulated face-capture terminal, added through the config flow and loaded."""
    async with face_capture_terminal(hass, USER, PASSWORD) as device:
        port = urlsplit(device.url).port
        assert port is not None
        result = await add_by_address(hass, "face_capture_http", port, USER, PASSWORD)
        assert result["type"] is FlowResultType.CREATE_ENTRY
        # Not `e2e.add_face_capture`: waiting for the new entry's background work there
        # costs each test about five seconds, and the sync does not need it done.
        await hass.async_block_till_done()
        yield device


# ---- helpers ---------------------------------------------------------------------------------


async def add_person(
    hass: HomeAssistant,
    entry: ConfigEntry,
    person_id: str,
    name: str,
    terminals: list[str] | None = None,
) -> str:
    """Add a person (a subentry with a kept photo) as the subentry flow does; return its ID.

    `terminals`: Home Assistant device IDs, or None for all terminals.
    """
    subentry_id = ulid_now()
    data = person_subentry_data(person_id, name, PersonList.ALLOW, terminals)
    # The photo is kept before the subentry exists: adding it starts the sync, which reads it.
    data[CONF_PHOTO_SHA256] = await people_entry.async_store_photo(hass, subentry_id, make_photo())
    subentry = ConfigSubentry(
        data=MappingProxyType(data),
        subentry_id=subentry_id,
        subentry_type=SUBENTRY_PERSON,
        title=name,
        unique_id=person_id,
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    return subentry_id


def edit_person(hass: HomeAssistant, entry: ConfigEntry, subentry_id: str, **data: Any) -> None:
    """Change a person's data as reconfiguring the subentry does."""
    subentry = entry.subentries[subentry_id]
    hass.config_entries.async_update_subentry(
        entry,
        subentry,
        data={**subentry.data, **data},
        unique_id=data.get(CONF_PERSON_ID, subentry.unique_id),
    )


def person_entity(hass: HomeAssistant, subentry_id: str, key: str = "enrollment") -> str | None:
    """Return the entity ID of a person's sensor `key`, None while it does not exist."""
    return er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"person_{subentry_id}_{key}")


def person_state(hass: HomeAssistant, subentry_id: str, key: str = "enrollment") -> State | None:
    """Return the state of a person's sensor `key`, None while it does not exist."""
    entity_id = person_entity(hass, subentry_id, key)
    return None if entity_id is None else hass.states.get(entity_id)


def status_is(hass: HomeAssistant, subentry_id: str, status: str) -> Callable[[], bool]:
    """Return a condition: the person's enrollment sensor shows `status`."""

    def _check() -> bool:
        state = person_state(hass, subentry_id)
        return state is not None and state.state == status

    return _check


def progress(hass: HomeAssistant) -> State:
    """Return the state of the sync's progress sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{PEOPLE_UNIQUE_ID}_sync_progress"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def add_terminal(hass: HomeAssistant, sim: FaceTerminalSimulator | CameraSimulator) -> str:
    """Add an MQTT device through the flow; return its Home Assistant device ID."""
    protocol = "camera_mqtt" if isinstance(sim, CameraSimulator) else "face_terminal_mqtt"
    await add_through_the_flow(hass, protocol, sim.device_id)
    await wait_until(lambda: sim.online_acked)
    return ha_device_id(hass, sim.device_id)


async def cut_power(hass: HomeAssistant, terminal: FaceTerminalSimulator) -> ConfigEntry:
    """Switch the terminal off at once and wait until Home Assistant sees it offline.

    A power cut, not a shutdown: the broker publishes the terminal's `Offline` will.
    Returns the terminal's config entry.
    """
    (entry,) = (
        e for e in hass.config_entries.async_entries(DOMAIN) if e.unique_id == terminal.device_id
    )
    terminal.stop(abrupt=True)
    await wait_until(lambda: not entry.runtime_data.coordinator.data.online)
    return entry


# ---- tests -----------------------------------------------------------------------------------


async def test_a_person_reaches_every_chosen_terminal_and_leaves_with_deletion(
    hass: HomeAssistant,
    mqtt_connected: None,
    terminal: FaceTerminalSimulator,
    camera: CameraSimulator,
    tablet: TemperatureTabletSimulator,
    capture: FaceCaptureSimulator,
) -> None:
    """Everyone on all terminals reaches the four kinds that enroll; the UNV terminal
    without people is skipped; a person for two terminals reaches only those; deleting
    people removes them from every terminal."""
    unv = UnvLapiSimulator(UNV_SERIAL, user=USER, password=PASSWORD, extended=False)
    await hass.async_add_executor_job(partial(unv.start, 0))
    try:
        assert (await add_by_address(hass, "unv_lapi", unv.address[1], USER, PASSWORD))[
            "type"
        ] is FlowResultType.CREATE_ENTRY
        terminal_id = await add_terminal(hass, terminal)
        await add_terminal(hass, camera)
        tablet_id = ha_device_id(hass, CID)
        people = await add_people_entry(hass)

        ada = await add_person(hass, people, "1001", "Ada")
        await wait_until(status_is(hass, ada, "enrolled"), within=40)
        for device in (terminal, camera, tablet, capture):
            assert "1001" in device.persons
        assert terminal.persons["1001"]["name"] == "Ada"
        terminals = person_state(hass, ada)
        assert terminals is not None
        assert set(terminals.attributes["terminals"]) == {
            f"Face terminal {DEVICE_ID}",
            f"Camera {CAMERA_ID}",
            f"Temperature tablet {CID}",
            f"Face capture terminal {DEFAULT_SERIAL}",
        }
        assert all(
            item == {"status": "enrolled", "reason": None}
            for item in terminals.attributes["terminals"].values()
        )
        last_sync = person_state(hass, ada, "last_sync")
        assert last_sync is not None
        assert dt_util.parse_datetime(last_sync.state) is not None

        grace = await add_person(hass, people, "1002", "Grace", [terminal_id, tablet_id])
        await wait_until(status_is(hass, grace, "enrolled"), within=30)
        assert "1002" in terminal.persons
        assert "1002" in tablet.persons
        await hass.async_block_till_done(wait_background_tasks=True)
        assert "1002" not in camera.persons
        assert "1002" not in capture.persons
        assert progress(hass).state == "100"

        hass.config_entries.async_remove_subentry(people, ada)
        hass.config_entries.async_remove_subentry(people, grace)
        await wait_until(
            lambda: all(
                not ({"1001", "1002"} & set(device.persons))
                for device in (terminal, camera, tablet, capture)
            ),
            within=40,
        )
        assert person_state(hass, ada) is None
    finally:
        await hass.async_add_executor_job(unv.stop)


async def test_an_offline_terminal_gets_the_person_when_it_returns(
    hass: HomeAssistant, mqtt_connected: None, terminal: FaceTerminalSimulator, config_dir: Path
) -> None:
    """Added while the terminal is off: pending, then enrolled once it is back online."""
    await add_terminal(hass, terminal)
    people = await add_people_entry(hass)
    await cut_power(hass, terminal)

    ada = await add_person(hass, people, "1001", "Ada")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert status_is(hass, ada, "pending")()
    state = person_state(hass, ada)
    assert state is not None
    assert state.attributes["terminals"][f"Face terminal {DEVICE_ID}"] == {
        "status": "pending",
        "reason": "Waiting for the terminal",
    }

    terminal.start()
    await wait_until(status_is(hass, ada, "enrolled"), within=30)
    assert "1001" in terminal.persons


async def test_a_terminal_that_lost_its_people_gets_them_again_when_it_returns(
    hass: HomeAssistant, mqtt_connected: None, terminal: FaceTerminalSimulator, config_dir: Path
) -> None:
    """A terminal reset while it was off (its people gone) is listed again when it is back,
    not trusted from the last run, and receives the roster again."""
    await add_terminal(hass, terminal)
    people = await add_people_entry(hass)
    ada = await add_person(hass, people, "1001", "Ada")
    await wait_until(status_is(hass, ada, "enrolled"), within=30)

    await cut_power(hass, terminal)
    terminal.persons.clear()  # a factory reset while it was off
    terminal.start()

    await wait_until(lambda: "1001" in terminal.persons, within=30)
    await wait_until(status_is(hass, ada, "enrolled"), within=30)


async def test_a_new_terminal_receives_everyone(
    hass: HomeAssistant,
    mqtt_connected: None,
    terminal: FaceTerminalSimulator,
    camera: CameraSimulator,
    config_dir: Path,
) -> None:
    """Set up after the roster: the new terminal gets every person meant for all terminals."""
    await add_terminal(hass, camera)
    people = await add_people_entry(hass)
    ada = await add_person(hass, people, "1001", "Ada")
    grace = await add_person(hass, people, "1002", "Grace")
    await wait_until(lambda: {"1001", "1002"} <= set(camera.persons), within=30)

    await add_terminal(hass, terminal)

    await wait_until(lambda: {"1001", "1002"} <= set(terminal.persons), within=30)
    await wait_until(status_is(hass, ada, "enrolled"))
    await wait_until(status_is(hass, grace, "enrolled"))

    # An edited person is enrolled again, with what changed; their device follows the name.
    edit_person(hass, people, ada, **{CONF_NAME: "Ada Lovelace"})
    hass.config_entries.async_update_subentry(people, people.subentries[ada], title="Ada Lovelace")
    await wait_until(lambda: terminal.persons["1001"]["name"] == "Ada Lovelace", within=30)
    await wait_until(lambda: camera.persons["1001"]["name"] == "Ada Lovelace", within=30)
    entity_id = person_entity(hass, ada)
    assert entity_id is not None
    registered = er.async_get(hass).async_get(entity_id)
    assert registered is not None
    assert registered.device_id is not None
    device = dr.async_get(hass).async_get(registered.device_id)
    assert device is not None
    assert device.name == "Ada Lovelace"


async def test_only_a_roster_owned_list_loses_people_the_roster_does_not_know(
    hass: HomeAssistant, mqtt_connected: None, terminal: FaceTerminalSimulator, config_dir: Path
) -> None:
    """Someone added on the terminal itself stays, until the roster owns its list."""
    terminal.add_person("9001", "Added at the door")
    entry_id = await add_through_the_flow(hass, "face_terminal_mqtt", DEVICE_ID)
    await wait_until(lambda: terminal.online_acked)
    people = await add_people_entry(hass)
    ada = await add_person(hass, people, "1001", "Ada")
    await wait_until(status_is(hass, ada, "enrolled"), within=30)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert set(terminal.persons) == {"9001", "1001"}

    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    assert schema is not None
    assert "roster" in schema.schema
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"heartbeat_interval": 30, "sync_time": True, "roster": {"roster_owns_list": True}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    assert entry.options["roster_owns_list"] is True
    await hass.async_block_till_done()

    await wait_until(lambda: set(terminal.persons) == {"1001"}, within=30)


async def test_a_restart_in_the_middle_finishes_the_work(
    hass: HomeAssistant,
    mqtt_connected: None,
    terminal: FaceTerminalSimulator,
    config_dir: Path,
    hass_storage: dict[str, Any],
) -> None:
    """Unloaded with people still to enroll, the People entry finishes once loaded again.

    The terminal is off while the people are added, so the work is certainly unfinished
    when Home Assistant's People entry stops; the saved work survives and is done later.
    """
    terminal_id = await add_terminal(hass, terminal)
    people = await add_people_entry(hass)
    entry = await cut_power(hass, terminal)
    ids = [
        await add_person(hass, people, person_id, name)
        for person_id, name in (("1001", "Ada"), ("1002", "Grace"), ("1003", "Hedy"))
    ]
    await hass.async_block_till_done(wait_background_tasks=True)

    assert await hass.config_entries.async_unload(people.entry_id)
    saved = hass_storage[STORAGE_KEY]["data"]
    assert terminal_id in saved["dirty"]
    assert terminal.persons == {}
    assert people.state is ConfigEntryState.NOT_LOADED

    terminal.start()
    await wait_until(lambda: entry.runtime_data.coordinator.data.online, within=30)
    assert await hass.config_entries.async_setup(people.entry_id)
    for subentry_id in ids:
        await wait_until(status_is(hass, subentry_id, "enrolled"), within=30)
    assert set(terminal.persons) == {"1001", "1002", "1003"}
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(people.entry_id)
    assert hass_storage[STORAGE_KEY]["data"]["dirty"] == []


async def test_an_unreachable_terminal_is_retried_with_back_off(
    hass: HomeAssistant, ha_url: str
) -> None:
    """A tablet that called once, then never took a command: the list is tried again after
    30 s, then 60 s, ...; while it was never heard from, it is not asked at all."""
    entry = tablet_entry(heartbeat_interval=1)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = entry.runtime_data.client
    asked: list[None] = []

    async def _silent() -> Any:
        asked.append(None)
        # What the tablet's client raises when the tablet takes no command in time.
        raise DeviceTimeoutError("the tablet took no command")

    client.list_people = _silent
    people = await add_people_entry(hass)
    ada = await add_person(hass, people, "1001", "Ada")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert asked == []  # offline: nothing to wait out
    assert status_is(hass, ada, "pending")()

    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{ha_url}{URL}", data=json.dumps(heartbeat())) as response,
    ):
        assert response.status == 200
    # Not waiting for background work: the upload check's query waits seconds for a
    # heartbeat that never comes, and the retry timers count in real seconds meanwhile.
    await hass.async_block_till_done()
    tries = len(asked)
    assert tries >= 1  # online: asked at once

    start = dt_util.utcnow()
    # The timers count from when each try failed, moments before `start`.
    for seconds, expected in ((25, tries), (31, tries + 1), (55, tries + 1), (65, tries + 2)):
        async_fire_time_changed(hass, start + timedelta(seconds=seconds))
        await hass.async_block_till_done()
        assert len(asked) == expected, seconds
    assert status_is(hass, ada, "pending")()


async def test_partial_and_failed_enrollment_and_the_repair_issue(
    hass: HomeAssistant,
    mqtt_connected: None,
    terminal: FaceTerminalSimulator,
    capture: FaceCaptureSimulator,
) -> None:
    """An ID too long for one terminal: partial; too long for every one: failed, with a
    repair issue naming the person, gone once the ID is fixed (and for a deleted person)."""
    await add_terminal(hass, terminal)
    people = await add_people_entry(hass)
    issues = ir.async_get(hass)

    partly = await add_person(hass, people, "p" * 25, "Ada")
    nowhere = await add_person(hass, people, "f" * 50, "Grace")
    await wait_until(status_is(hass, partly, "partial"), within=30)
    await wait_until(status_is(hass, nowhere, "failed"), within=30)

    state = person_state(hass, partly)
    assert state is not None
    on_capture = state.attributes["terminals"][f"Face capture terminal {DEFAULT_SERIAL}"]
    assert on_capture["status"] == "failed"
    assert on_capture["reason"].startswith("The terminal cannot take this person ID")
    assert "19 bytes" in on_capture["reason"]
    assert state.attributes["terminals"][f"Face terminal {DEVICE_ID}"]["status"] == "enrolled"
    assert "p" * 25 in terminal.persons
    assert issues.async_get_issue(DOMAIN, f"person_not_enrolled_{partly}") is None

    issue = issues.async_get_issue(DOMAIN, f"person_not_enrolled_{nowhere}")
    assert issue is not None
    assert issue.translation_key == "person_not_enrolled"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["person"] == "Grace"
    assert "47 bytes" in issue.translation_placeholders["reasons"]

    edit_person(hass, people, nowhere, **{CONF_PERSON_ID: "1002"})
    await wait_until(status_is(hass, nowhere, "enrolled"), within=30)
    assert issues.async_get_issue(DOMAIN, f"person_not_enrolled_{nowhere}") is None
    assert "1002" in terminal.persons
    assert "1002" in capture.persons

    again = await add_person(hass, people, "g" * 50, "Hedy")
    await wait_until(
        lambda: issues.async_get_issue(DOMAIN, f"person_not_enrolled_{again}") is not None,
        within=30,
    )
    hass.config_entries.async_remove_subentry(people, again)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, f"person_not_enrolled_{again}") is None


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        # face-terminal-mqtt §4.1 errors 464, 468; face-capture codes 21, 39, 40.
        (
            DeviceRefusedError("Get pic Person Feature err, please change a pic", "464"),
            "photo_quality",
        ),
        (DeviceRefusedError("get URI pic data len too short", "468"), "photo_quality"),
        (DeviceRefusedError("face quality too poor", "39"), "photo_quality"),
        (DeviceRefusedError("not exactly one face in the photo", "40"), "photo_quality"),
        (DeviceRefusedError("person already exists", "21"), "duplicate_face"),
        (DeviceRefusedError("Person num is full", "467"), "refused"),
        (DeviceRefusedError("the tablet reported a failure (it gives no reason)"), "refused"),
        (InvalidRequestError("person_id must be at most 19 bytes"), "id_not_accepted"),
        (InvalidRequestError("card_number must be a decimal number"), "not_accepted"),
        (InvalidPhotoError("photo is too small for this device"), "photo_unusable"),
    ],
)
def test_refusals_are_told_by_their_kind(error: FaceAccessError, reason: str) -> None:
    """The user sees what kind of problem a terminal's refusal is, beside its own words."""
    assert classify(error) is Reason(reason)
