"""End to end: the simulated Uniview terminal against Home Assistant.

Everything goes over real sockets on 127.0.0.1: Home Assistant calls the simulator (digest
auth) to identify it, probe it and subscribe it to Home Assistant's address; the simulator
posts its records to the fixed LAPI paths on Home Assistant's HTTP port, where the
integration's views find the entry by the `DeviceCode` and the entry's host.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
from datetime import datetime, timedelta
from functools import partial
import socket
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

from aiohttp import ClientSession, TCPConnector
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.unv_lapi import (
    MAX_DURATION,
    PACS_SUBSCRIPTIONS,
    SUBSCRIPTION,
    LapiConnection,
)
from simulators.unv_lapi import UnvLapiSimulator
from tests.common import ha_device_id, make_photo
from tests.http_devices import add_by_address, entity_id, serve, state, until

USER = "admin"
PASSWORD = "s3cret"
SERIAL = "210235C31L3186000023"
PERSON_VERIFICATION = "/LAPI/V1.0/System/Event/Notification/PersonVerification"


def _entity(hass: HomeAssistant, platform: str, key: str) -> str | None:
    return entity_id(hass, SERIAL, platform, key)


def _state(hass: HomeAssistant, platform: str, key: str) -> State:
    return state(hass, SERIAL, platform, key)


def _port(device: UnvLapiSimulator) -> int:
    return device.address[1]


async def _flow(hass: HomeAssistant, port: int, password: str = PASSWORD) -> Any:
    """Run the `unv_lapi` config flow to its first answer."""
    return await add_by_address(hass, "unv_lapi", port, USER, password)


@pytest.fixture
async def ha_url(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, socket_enabled: None
) -> str:
    """Home Assistant's HTTP server on 127.0.0.1, known as its internal URL."""
    return await serve(hass, hass_client_no_auth)


async def _start(hass: HomeAssistant, **options: Any) -> UnvLapiSimulator:
    simulator = UnvLapiSimulator(SERIAL, user=USER, password=PASSWORD, **options)
    await hass.async_add_executor_job(partial(simulator.start, 0))
    return simulator


@pytest.fixture
async def device(hass: HomeAssistant, ha_url: str) -> AsyncGenerator[UnvLapiSimulator]:
    """A simulated terminal with the features beyond the document, not yet added."""
    simulator = await _start(hass, resend_interval=0.5)
    yield simulator
    await hass.async_add_executor_job(simulator.stop)
    assert simulator.protocol_violations == []


@pytest.fixture
async def entry(hass: HomeAssistant, device: UnvLapiSimulator) -> ConfigEntry:
    """The terminal, added through the config flow, loaded and subscribed."""
    result = await _flow(hass, _port(device))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await until(lambda: len(device.subscriptions) == 1)
    return result["result"]


# ---- set-up ----------------------------------------------------------------------------------


async def test_the_flow_adds_and_subscribes_the_terminal(
    hass: HomeAssistant, entry: ConfigEntry, device: UnvLapiSimulator, ha_url: str
) -> None:
    assert entry.unique_id == SERIAL
    assert entry.title == f"Uniview terminal {SERIAL}"
    assert set(entry.data["features"]) >= {"door", "people"}
    (subscription,) = device.subscriptions.values()
    assert 0 < int(subscription["duration"]) <= 3600
    assert int(subscription["port"]) == urlsplit(ha_url).port
    assert _entity(hass, "button", "open_door") is not None


async def test_a_wrong_password_and_a_closed_port_are_said_in_the_form(
    hass: HomeAssistant, device: UnvLapiSimulator
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]

    wrong = await _flow(hass, _port(device), password="wrong")
    nothing = await _flow(hass, closed)

    assert wrong["errors"] == {"base": "invalid_auth"}
    assert nothing["errors"] == {"base": "cannot_reach"}


async def test_unloading_deletes_the_subscription(
    hass: HomeAssistant, entry: ConfigEntry, device: UnvLapiSimulator
) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)

    assert device.subscriptions == {}


async def test_a_changed_password_starts_reauth(
    hass: HomeAssistant, entry: ConfigEntry, device: UnvLapiSimulator
) -> None:
    device.password = "changed"
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"username": USER, "password": "changed"}
    )
    assert result["reason"] == "reauth_successful"


async def test_two_other_subscribers_raise_a_repair_issue(
    hass: HomeAssistant, device: UnvLapiSimulator
) -> None:
    async with ClientSession() as session:
        other = LapiConnection(session, "127.0.0.1", _port(device), USER, PASSWORD)
        # Nobody listens at these: the terminal's posts to them fail, on loopback.
        await other.subscribe("127.0.0.2", 9, 600)
        await other.subscribe("127.0.0.3", 9, 600)

        result = await _flow(hass, _port(device))
        await hass.async_block_till_done()
        issue_id = f"subscriptions_full_{result['result'].entry_id}"
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

        await hass.config_entries.async_unload(result["result"].entry_id)
        for subscription_id in list(device.subscriptions):
            await session.delete(
                f"{device.url.rstrip('/')}/LAPI/V1.0/System/Event/Subscription/{subscription_id}"
            )


class Clock:
    """Stands in for `dt_util` in the registry module: the clients' `now`, moved by tests."""

    def __init__(self) -> None:
        self.time = dt_util.now()

    def now(self) -> datetime:
        return self.time


@pytest.fixture
def clock() -> Generator[Clock]:
    """The Uniview clients' clock; Home Assistant's own stays real."""
    moved = Clock()
    with patch("custom_components.face_access.registry_unv_lapi.dt_util", moved):
        yield moved


async def _let_time_pass(
    hass: HomeAssistant, clock: Clock, device: UnvLapiSimulator, seconds: float
) -> None:
    """Let `seconds` pass for the client, Home Assistant's timers and the terminal."""
    clock.time += timedelta(seconds=seconds)
    device.advance_clock(seconds)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    # The coordinator polls in a background task, and schedules the next poll after it.
    await hass.async_block_till_done(wait_background_tasks=True)


async def _recognized_reaches_home_assistant(hass: HomeAssistant, device: UnvLapiSimulator) -> bool:
    before = _state(hass, "event", "access").state
    device.add_person("8", "Grace")
    seq = device.recognition("8")
    await until(lambda: seq in device.acked)
    await hass.async_block_till_done()
    return _state(hass, "event", "access").state != before


async def test_the_subscription_is_refreshed_and_survives_a_reboot_of_the_terminal(
    hass: HomeAssistant, clock: Clock, entry: ConfigEntry, device: UnvLapiSimulator
) -> None:
    (first,) = device.subscriptions

    # Half the duration and a poll later: refreshed, not created again.
    await _let_time_pass(hass, clock, device, MAX_DURATION / 2 + 60)
    await until(lambda: f"PUT {SUBSCRIPTION}/{first}" in device.requests)
    await _let_time_pass(hass, clock, device, MAX_DURATION / 2 + 60)
    assert list(device.subscriptions) == [first]

    # The terminal reboots and forgets it: the next refresh finds out and subscribes again.
    device.reboot()
    await _let_time_pass(hass, clock, device, MAX_DURATION / 2 + 60)
    await until(lambda: len(device.subscriptions) == 1)

    assert device.subscriptions_created == 2
    assert await _recognized_reaches_home_assistant(hass, device)


async def test_after_a_crash_the_old_subscription_is_refreshed_not_doubled(
    hass: HomeAssistant, device: UnvLapiSimulator, ha_url: str, hass_storage: dict[str, Any]
) -> None:
    # Home Assistant stopped without deleting its subscription; it kept the subscription's ID.
    ha_host, ha_port = urlsplit(ha_url).hostname, urlsplit(ha_url).port
    assert ha_host is not None
    assert ha_port is not None
    async with ClientSession() as session:
        old = await LapiConnection(session, "127.0.0.1", _port(device), USER, PASSWORD).subscribe(
            ha_host, ha_port, 600
        )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Uniview terminal {SERIAL}",
        unique_id=SERIAL,
        data={
            "protocol": "unv_lapi",
            "host": "127.0.0.1",
            "port": _port(device),
            "username": USER,
            "password": PASSWORD,
            "features": ["door", "people"],
        },
    )
    entry.add_to_hass(hass)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.subscription"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.subscription",
        "data": old.saved(),
    }

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert list(device.subscriptions) == [int(old.id)]
    assert device.subscriptions_created == 1
    assert f"PUT {SUBSCRIPTION}/{old.id}" in device.requests
    assert await _recognized_reaches_home_assistant(hass, device)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert device.subscriptions == {}


async def test_a_terminal_with_only_the_pacs_subscription_path_still_reports(
    hass: HomeAssistant, ha_url: str
) -> None:
    device = await _start(hass, subscription_api="pacs", resend_interval=0.5)
    try:
        result = await _flow(hass, _port(device))
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        await until(lambda: len(device.subscriptions) == 1)

        assert [sub["api"] for sub in device.subscriptions.values()] == ["pacs"]
        assert f"POST {PACS_SUBSCRIPTIONS}" in device.requests
        assert await _recognized_reaches_home_assistant(hass, device)
    finally:
        await hass.async_add_executor_job(device.stop)


# ---- records ---------------------------------------------------------------------------------


async def test_records_fire_their_events_and_are_acknowledged(
    hass: HomeAssistant, entry: ConfigEntry, device: UnvLapiSimulator
) -> None:
    device.add_person("7", "Ada", card_id="4242")
    fired: list[tuple[str, str, dict[str, Any]]] = []

    def _on_change(event: Any) -> None:
        state = event.data["new_state"]
        if state is not None and state.attributes.get("event_type"):
            fired.append(
                (event.data["entity_id"], state.attributes["event_type"], dict(state.attributes))
            )

    hass.bus.async_listen("state_changed", _on_change)
    pushes: list[Callable[[], int]] = [
        lambda: device.recognition("7", temperature=36.5, mask=True),
        device.stranger,
        lambda: device.high_temperature(38.6, person_id="7"),
        lambda: device.card("4242"),
        lambda: device.id_card("Ada Lovelace", "110101199003070000"),
    ]
    for push in pushes:
        seq = push()
        await until(lambda seq=seq: seq in device.acked)
    await hass.async_block_till_done()

    kinds = [(entity.rsplit("_", 1)[-1], kind) for entity, kind, _ in fired]
    assert ("access", "recognized") in kinds
    assert ("access", "stranger") in kinds
    assert ("alarm", "high_temperature") in kinds
    assert ("credential", "card") in kinds
    assert ("credential", "id_card") in kinds
    text = repr([attributes for _, _, attributes in fired])
    assert "110101199003070000" not in text
    assert "Ada Lovelace" not in text
    assert _state(hass, "sensor", "last_person").state == "Ada"


async def test_an_unacknowledged_record_comes_back_as_history_and_fires_once(
    hass: HomeAssistant,
    entry: ConfigEntry,
    device: UnvLapiSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    device.add_person("7", "Ada")
    seq = device.recognition("7")
    await until(lambda: seq in device.acked)
    await hass.async_block_till_done()
    first = _state(hass, "event", "access")
    body = next(push["body"] for push in device.sent if f'"Seq": {seq}' in push["body"])

    client = await hass_client_no_auth()
    again = await client.post(PERSON_VERIFICATION, data=body)
    await hass.async_block_till_done()

    assert again.status == 200
    assert _state(hass, "event", "access").state == first.state


async def test_unknown_serials_and_garbage_change_nothing(
    hass: HomeAssistant, entry: ConfigEntry, hass_client_no_auth: ClientSessionGenerator
) -> None:
    client = await hass_client_no_auth()
    before = _state(hass, "event", "access").state

    unknown = await client.post(PERSON_VERIFICATION, data='{"DeviceCode": "other", "Seq": 1}')
    garbage = await client.post(PERSON_VERIFICATION, data=b"\xff\x00")

    assert (unknown.status, garbage.status) == (404, 404)
    assert _state(hass, "event", "access").state == before


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param({"malformed": True, "doc_quirks": True}, id="the document's malformed JSON"),
        pytest.param({"auth": "basic"}, id="HTTP Basic only"),
        pytest.param({"string_ids": True, "id_base": 0}, id="string IDs from 0"),
    ],
)
async def test_terminals_as_odd_as_the_document_are_added_and_report(
    hass: HomeAssistant, ha_url: str, odd: dict[str, Any]
) -> None:
    device = await _start(hass, resend_interval=0.5, **odd)
    try:
        result = await _flow(hass, _port(device))
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["result"].unique_id == SERIAL
        await hass.async_block_till_done()
        await until(lambda: len(device.subscriptions) == 1)

        device.add_person("7", "Ada")
        seq = device.recognition("7", temperature=36.6, mask=True)
        await until(lambda: seq in device.acked)
        await hass.async_block_till_done()

        access = _state(hass, "event", "access")
        assert access.attributes["event_type"] == "recognized"
        assert access.attributes["temperature"] == 36.6
        assert _state(hass, "sensor", "last_person").state == "Ada"
        assert _state(hass, "binary_sensor", "mask").state == "on"
    finally:
        await hass.async_add_executor_job(device.stop)


async def test_a_push_from_another_address_is_refused(
    hass: HomeAssistant, entry: ConfigEntry, device: UnvLapiSimulator, ha_url: str
) -> None:
    device.add_person("7", "Ada")
    seq = device.recognition("7")
    await until(lambda: seq in device.acked)
    await hass.async_block_till_done()
    before = _state(hass, "event", "access").state
    body = next(push["body"] for push in device.sent if f'"Seq": {seq}' in push["body"])
    fresh = body.replace(f'"Seq": {seq}', '"Seq": 999999')

    # The right serial and a well-formed record, from 127.0.0.2 instead of the terminal.
    async with ClientSession(connector=TCPConnector(local_addr=("127.0.0.2", 0))) as other:
        reply = await other.post(f"{ha_url}{PERSON_VERIFICATION}", data=fresh)
        await hass.async_block_till_done()

    assert reply.status == 403
    assert _state(hass, "event", "access").state == before


# ---- commands --------------------------------------------------------------------------------


async def test_the_door_opens_where_the_terminal_answered_the_probe(
    hass: HomeAssistant, entry: ConfigEntry, device: UnvLapiSimulator
) -> None:
    button = _entity(hass, "button", "open_door")
    assert button is not None
    await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)

    assert device.unlock_count == 1


async def test_without_the_extended_paths_there_is_no_door_and_no_people(
    hass: HomeAssistant, ha_url: str
) -> None:
    device = await _start(hass, extended=False)
    try:
        assert (await _flow(hass, _port(device)))["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert _entity(hass, "button", "open_door") is None
        with pytest.raises(ServiceValidationError):
            await hass.services.async_call(
                DOMAIN,
                "list_people",
                {"device_id": ha_device_id(hass, SERIAL)},
                blocking=True,
                return_response=True,
            )
    finally:
        await hass.async_add_executor_job(device.stop)


async def test_people_are_enrolled_listed_and_deleted_in_the_face_library(
    hass: HomeAssistant, entry: ConfigEntry, device: UnvLapiSimulator, tmp_path: Any
) -> None:
    photo = tmp_path / "ada.jpg"
    photo.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    target = {"device_id": ha_device_id(hass, SERIAL)}

    enrolled = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {**target, "person_id": "1001", "name": "Ada", "photo_path": str(photo)},
        blocking=True,
        return_response=True,
    )
    listed = await hass.services.async_call(
        DOMAIN, "list_people", target, blocking=True, return_response=True
    )
    deleted = await hass.services.async_call(
        DOMAIN,
        "delete_person",
        {**target, "person_id": ["1001"]},
        blocking=True,
        return_response=True,
    )

    assert enrolled is not None
    assert [r["status"] for r in enrolled["results"].values()] == ["enrolled"]
    assert listed is not None
    assert [(p["person_id"], p["name"]) for p in listed["people"]] == [("1001", "Ada")]
    assert deleted is not None
    assert [r["status"] for r in deleted["results"].values()] == ["deleted"]
    assert device.persons == {}


async def test_the_camera_shows_the_terminal_s_snapshot(
    hass: HomeAssistant, entry: ConfigEntry
) -> None:
    from homeassistant.components.camera import async_get_image  # noqa: PLC0415

    camera = _entity(hass, "camera", "snapshot")
    assert camera is not None
    image = await async_get_image(hass, camera)

    assert image.content[:2] == b"\xff\xd8"


async def test_the_library_option_moves_the_people_services(
    hass: HomeAssistant, entry: ConfigEntry, device: UnvLapiSimulator
) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "unv"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"library_id": 4})
    await hass.async_block_till_done()

    assert entry.options == {"library_id": 4, "show_names": True}
    await hass.services.async_call(
        DOMAIN,
        "list_people",
        {"device_id": ha_device_id(hass, SERIAL)},
        blocking=True,
        return_response=True,
    )
    assert any("/PeopleLibraries/4/People" in request for request in device.requests)
