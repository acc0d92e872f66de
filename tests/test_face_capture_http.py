"""End to end: the simulated Huaan face-capture terminal against Home Assistant.

Everything goes over real sockets on 127.0.0.1, in the terminal's three roles: Home
Assistant calls the simulator's HTTP server (Basic auth) for commands, the simulator posts
its records to the webhook the config flow pointed it at, and, in the long-poll option, the
simulator fetches its commands from the entry's second webhook.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from functools import partial
import json
from pathlib import Path
import socket
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.face_capture_http import (
    FaceCaptureConnection,
    FaceCaptureHttpClient,
)
from simulators.face_capture_http import DEFAULT_SERIAL, FaceCaptureSimulator
from tests.common import ha_device_id, make_photo
from tests.e2e import face_capture_terminal
from tests.http_devices import add_by_address, entity_id, serve, state, until

USER = "admin"
PASSWORD = "s3cret"
SERIAL = DEFAULT_SERIAL
CONNECTION = "custom_components.face_access.registry_face_capture_http.FaceCaptureConnection"
CLIENT = "custom_components.face_access.registry_face_capture_http.FaceCaptureHttpClient"


def _entity(hass: HomeAssistant, platform: str, key: str) -> str:
    found = entity_id(hass, SERIAL, platform, key)
    assert found is not None, key
    return found


def _state(hass: HomeAssistant, platform: str, key: str) -> State:
    return state(hass, SERIAL, platform, key)


def _port(device: FaceCaptureSimulator) -> int:
    port = urlsplit(device.url).port
    assert port is not None
    return port


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        {"device_id": ha_device_id(hass, SERIAL), **data},
        blocking=True,
        return_response=True,
    )


async def _flow(hass: HomeAssistant, port: int, password: str = PASSWORD) -> Any:
    """Run the `face_capture_http` config flow to its first answer."""
    return await add_by_address(hass, "face_capture_http", port, USER, password)


@pytest.fixture
async def ha_url(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, socket_enabled: None
) -> str:
    """Home Assistant's HTTP server on 127.0.0.1, known as its internal URL."""
    return await serve(hass, hass_client_no_auth)


@pytest.fixture
async def device(hass: HomeAssistant, ha_url: str) -> AsyncGenerator[FaceCaptureSimulator]:
    """A simulated terminal serving on a free port, not yet added to Home Assistant."""
    async with face_capture_terminal(hass, USER, PASSWORD) as simulator:
        yield simulator


@pytest.fixture
async def entry(hass: HomeAssistant, device: FaceCaptureSimulator) -> ConfigEntry:
    """The terminal, added through the config flow and loaded."""
    result = await _flow(hass, _port(device))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # The terminal's first heartbeat reaches the webhook.
    await until(lambda: _state(hass, "binary_sensor", "online").state == "on")
    return result["result"]


@pytest.fixture
def photo(hass: HomeAssistant, tmp_path: Path) -> str:
    """An allow-listed portrait file."""
    path = tmp_path / "ada.jpg"
    path.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    return str(path)


# ---- config flow -----------------------------------------------------------------------------


async def test_the_flow_adds_the_terminal_and_points_its_upload_here(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator, ha_url: str
) -> None:
    assert entry.unique_id == SERIAL
    assert entry.title == f"Face capture terminal {SERIAL}"
    upload = device.upload_url
    assert upload is not None
    assert upload == f"{ha_url}/api/webhook/{entry.data['webhook_id']}"
    assert entry.data["poll_webhook_id"] != entry.data["webhook_id"]
    # Found through the entry: identifiers are not unique across entries any more (2026.10).
    (registered,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert (DOMAIN, SERIAL) in registered.identifiers
    assert registered.manufacturer == "Huaan"
    assert registered.model == "Face capture terminal (HTTP)"
    assert registered.model_id == "FSAN_01 (HI3516DV300)"


async def test_diagnostics_keep_the_credentials_and_addresses_secret(
    hass: HomeAssistant,
    entry: ConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    for secret in (PASSWORD, entry.data["webhook_id"], entry.data["poll_webhook_id"]):
        assert secret not in text
    assert diagnostics["entry"]["data"]["host"] == "**REDACTED**"
    assert diagnostics["protocol"] == "face_capture_http"
    assert diagnostics["mode"] == "push"


async def test_a_wrong_password_is_said_in_the_form(
    hass: HomeAssistant, device: FaceCaptureSimulator
) -> None:
    result = await _flow(hass, _port(device), password="wrong")

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}


async def test_nothing_listening_is_said_in_the_form(hass: HomeAssistant, ha_url: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on `port` any more: the connection is refused.
    result = await _flow(hass, port)

    assert result["errors"] == {"base": "cannot_reach"}


async def test_a_port_that_never_answers_is_said_in_the_form(
    hass: HomeAssistant, ha_url: str
) -> None:
    async def _hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Reads the request and never answers; ends when Home Assistant gives up and closes.
        await reader.read()
        writer.close()

    server = await asyncio.start_server(_hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with patch(CONNECTION, partial(FaceCaptureConnection, timeout=0.5)):
            result = await _flow(hass, port)
    finally:
        server.close()
        await server.wait_closed()

    assert result["errors"] == {"base": "no_reply"}


async def test_a_terminal_that_refuses_the_upload_address_gets_it_from_the_user(
    hass: HomeAssistant, ha_url: str
) -> None:
    device = FaceCaptureSimulator(user=USER, password=PASSWORD, refuse_app_params=True)
    await hass.async_add_executor_job(partial(device.start, 0))
    try:
        result = await _flow(hass, _port(device))
    finally:
        await hass.async_add_executor_job(device.stop)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "face_capture_http_manual"
    assert result["description_placeholders"]["path"].startswith("/api/webhook/")
    assert device.upload_url is None


async def test_the_same_terminal_cannot_be_added_twice(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator
) -> None:
    result = await _flow(hass, _port(device))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_a_changed_password_starts_reauth_and_the_new_one_reloads(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator
) -> None:
    device.password = "changed"
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"username": USER, "password": "changed"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["password"] == "changed"


# ---- commands --------------------------------------------------------------------------------


async def test_open_door_pulses_the_configured_output(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator
) -> None:
    await hass.services.async_call(
        "button", "press", {"entity_id": _entity(hass, "button", "open_door")}, blocking=True
    )

    assert device.unlock_count == 1
    (opening,) = device.door_openings
    assert (opening["port"], opening["ctrl_mode"]) == (1, "force")


async def test_the_camera_shows_a_fresh_snapshot(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator
) -> None:
    from homeassistant.components.camera import async_get_image  # noqa: PLC0415

    image = await async_get_image(hass, _entity(hass, "camera", "snapshot"))

    assert image.content[:2] == b"\xff\xd8"
    assert "snapshot" in device.commands


async def test_enrol_list_and_delete_without_ever_wiping_a_list(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator, photo: str
) -> None:
    for number in range(24):
        device.add_person(f"p{number}", f"Person {number}")

    enrolled = await _call(
        hass, "enroll_person", person_id="1001", name="Ada", photo_path=photo, card_number="8899"
    )
    listed = await _call(hass, "list_people")
    deleted = await _call(hass, "delete_person", person_id=["1001", "p0", "missing"])

    assert [r["status"] for r in enrolled["results"].values()] == ["enrolled"]
    assert listed["total"] == 25
    ada = next(person for person in listed["people"] if person["person_id"] == "1001")
    assert (ada["name"], ada["card_number"], ada["list"]) == ("Ada", "8899", "allow")
    assert [r["status"] for r in deleted["results"].values()] == ["deleted"]
    assert "1001" not in device.persons
    assert "p0" not in device.persons
    assert device.wipe_flags == []

    await _call(hass, "delete_all_people")

    assert device.persons == {}
    assert device.wipe_flags == [3]


async def test_old_firmware_enrols_through_the_jpg_command(
    hass: HomeAssistant, ha_url: str, photo: str
) -> None:
    device = FaceCaptureSimulator(user=USER, password=PASSWORD, old_firmware=True)
    await hass.async_add_executor_job(partial(device.start, 0))
    try:
        assert (await _flow(hass, _port(device)))["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        enrolled = await _call(
            hass, "enroll_person", person_id="1001", name="Ada", photo_path=photo
        )
    finally:
        await hass.async_add_executor_job(device.stop)

    assert [r["status"] for r in enrolled["results"].values()] == ["enrolled"]
    assert device.persons["1001"]["name"] == "Ada"
    sent = device.commands
    assert sent.index("upload person") < sent.index("add person jpg")


# ---- records ---------------------------------------------------------------------------------


async def test_records_of_every_kind_fire_their_events_once(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator
) -> None:
    device.add_person("1001", "Ada", wg_card_id=4242)
    fired: list[tuple[str, str, dict[str, Any]]] = []

    def _on_change(event: Any) -> None:
        state = event.data["new_state"]
        if state is not None and state.attributes.get("event_type"):
            key = event.data["entity_id"]
            fired.append((key, state.attributes["event_type"], dict(state.attributes)))

    hass.bus.async_listen("state_changed", _on_change)
    # One at a time: a record that waited behind another is backlog (`is_realtime` 0), and
    # backlog fires no credential events.
    pushes: list[Callable[[], int]] = [
        lambda: device.recognition("1001", temperature=36.6, mask=True),
        device.stranger,
        lambda: device.denied(-6, "1001", temperature=38.4),
        lambda: device.denied(-7, "1001", mask=False),
        lambda: device.card(4242),
        lambda: device.qr("visitor-7"),
        lambda: device.id_card("110101199003070000", "Ada Lovelace"),
    ]
    for push in pushes:
        sequence_no = push()
        await until(lambda sequence_no=sequence_no: sequence_no in device.acked)
    await hass.async_block_till_done()

    kinds = [(entity.split(".")[1].rsplit("_", 1)[-1], kind) for entity, kind, _ in fired]
    assert ("access", "recognized") in kinds
    assert ("access", "stranger") in kinds
    assert ("alarm", "high_temperature") in kinds
    assert ("alarm", "no_mask") in kinds
    assert ("credential", "card") in kinds
    assert ("credential", "qr_code") in kinds
    assert ("credential", "id_card") in kinds
    assert len([kind for kind in kinds if kind == ("access", "stranger")]) == 1
    text = repr([attributes for _, _, attributes in fired])
    assert "110101199003070000" not in text
    assert "Ada Lovelace" not in text
    assert _state(hass, "sensor", "last_person").state == "Ada"
    hot = next(a for _, kind, a in fired if kind == "high_temperature")
    assert hot["temperature"] == 38.4
    assert device.ack_problems == []


async def test_a_record_sent_again_fires_once(
    hass: HomeAssistant,
    entry: ConfigEntry,
    device: FaceCaptureSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A copy of an acknowledged record (the terminal missed the ACK) is ACKed, not fired."""
    device.add_person("1001", "Ada")
    sequence_no = device.recognition("1001", temperature=36.6)
    await until(lambda: sequence_no in device.acked)
    await hass.async_block_till_done()
    first = _state(hass, "event", "access")
    record = next(body for body in device.sent if body.get("sequence_no") == sequence_no)

    client = await hass_client_no_auth()
    again = await client.post(f"/api/webhook/{entry.data['webhook_id']}", json=record)
    await hass.async_block_till_done()

    assert again.status == 200
    ack = await again.json()
    assert (ack["sequence_no"], ack["cap_time"]) == (sequence_no, record["cap_time"])
    assert _state(hass, "event", "access").state == first.state


async def test_reconfigure_moves_the_terminal_to_its_new_address(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator
) -> None:
    moved = FaceCaptureSimulator(user=USER, password=PASSWORD)
    await hass.async_add_executor_job(partial(moved.start, 0))
    try:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
        assert result["step_id"] == "reconfigure_address"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"host": "127.0.0.1", "port": _port(moved)}
        )
        await hass.async_block_till_done()
        assert result["reason"] == "reconfigure_successful"
        assert entry.data["port"] == _port(moved)
        await hass.services.async_call(
            "button", "press", {"entity_id": _entity(hass, "button", "open_door")}, blocking=True
        )
        assert moved.unlock_count == 1
        assert device.unlock_count == 0
    finally:
        await hass.async_add_executor_job(moved.stop)


async def test_reconfigure_refuses_another_terminal(
    hass: HomeAssistant, entry: ConfigEntry
) -> None:
    other = FaceCaptureSimulator("000009-000009-000009", user=USER, password=PASSWORD)
    await hass.async_add_executor_job(partial(other.start, 0))
    try:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"host": "127.0.0.1", "port": _port(other)}
        )
    finally:
        await hass.async_add_executor_job(other.stop)

    assert result["reason"] == "wrong_device"


async def test_bad_bodies_get_an_error_and_change_nothing(
    hass: HomeAssistant,
    entry: ConfigEntry,
    device: FaceCaptureSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    client = await hass_client_no_auth()
    url = f"/api/webhook/{entry.data['webhook_id']}"
    before = _state(hass, "event", "access").state

    garbage = await client.post(url, data=b"\x00not json")
    other = await client.post(
        url,
        json={"cmd": "face", "device_sn": "another", "sequence_no": 1, "cap_time": "x"},
    )
    huge = await client.post(url, data=b"{" + b" " * (5 * 1024 * 1024) + b"}")

    assert (garbage.status, other.status, huge.status) == (400, 403, 413)
    assert _state(hass, "event", "access").state == before


# ---- the long poll ---------------------------------------------------------------------------


async def test_the_long_poll_carries_commands_and_survives_a_restart(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator, photo: str
) -> None:
    # Short holds and waits, so that the test does not wait for the terminal's 15 s cycle.
    quick = partial(FaceCaptureHttpClient, confirm_timeout=2.0, poll_hold=1.0)
    with patch(CLIENT, quick):
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"mode": "long_poll", "door_port": 2, "sync_time": False}
        )
        await hass.async_block_till_done()
        assert device.poll_url == _poll_url(entry, device)
        # The reloaded entry shows the terminal online once its first poll arrives.
        await until(lambda: _state(hass, "binary_sensor", "online").state == "on")

        await hass.services.async_call(
            "button", "press", {"entity_id": _entity(hass, "button", "open_door")}, blocking=True
        )
        # The terminal notes the opening as it posts the result: a moment after the press.
        await until(lambda: device.last_unlock_via() == "gpio control (long poll)")
        assert device.door_openings[-1]["port"] == 2

        # The terminal goes away: the enrolment waits in the saved queue, across a reload.
        await hass.async_add_executor_job(device.stop)
        await asyncio.sleep(1.5)  # the poll Home Assistant held has been answered
        enrolled = await _call(
            hass, "enroll_person", person_id="1001", name="Ada", photo_path=photo
        )
        assert [r["status"] for r in enrolled["results"].values()] == ["pending"]
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()

        back = FaceCaptureSimulator(
            user=USER, password=PASSWORD, port=_port(device), heartbeat_interval=None
        )
        back.configure_poll_url(_poll_url(entry, device))
        await hass.async_add_executor_job(partial(back.start, 0))
        try:
            await until(lambda: "1001" in back.persons)
        finally:
            await hass.async_add_executor_job(back.stop)
    assert device.quick_acks == back.quick_acks == 0
    assert device.dropped_polls == back.dropped_polls == 0


async def test_back_to_direct_the_terminal_stops_polling(
    hass: HomeAssistant, entry: ConfigEntry, device: FaceCaptureSimulator
) -> None:
    for mode in ("long_poll", "push"):
        result = await hass.config_entries.options.async_init(entry.entry_id)
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"mode": mode, "door_port": 1, "sync_time": False}
        )
        if mode == "long_poll":
            # Until the reloaded entry has read what it reads when the terminal polls
            # (settings, uploads): their answers would otherwise reach the entry reloading
            # for the next mode, answered 503.
            await until(
                lambda: any(r["cmd"].strip() == "camera volume" for r in device.poll_results)
            )
        await hass.async_block_till_done(wait_background_tasks=True)
        assert (device.poll_url is not None) is (mode == "long_poll")

    await hass.services.async_call(
        "button", "press", {"entity_id": _entity(hass, "button", "open_door")}, blocking=True
    )
    assert device.last_unlock_via() == "gpio control (server)"


def _poll_url(entry: ConfigEntry, device: FaceCaptureSimulator) -> str:
    upload = urlsplit(device.upload_url or "")
    return f"{upload.scheme}://{upload.netloc}/api/webhook/{entry.data['poll_webhook_id']}"
