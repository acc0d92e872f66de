"""The "uploads off" repair: raised at set-up and reconnect, fixed through the repairs API.

The first part drives the Home Assistant side with a fake device (tests/fake_device.py) that
implements the optional `UploadCheckClient`; the end-to-end part runs the real clients
against the simulators over real sockets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import partial
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.model import (
    Capability,
    DeviceRefusedError,
    DeviceTimeoutError,
    UploadProblem,
)
from simulators.broker import Broker
from simulators.face_capture_http import FaceCaptureSimulator
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
from tests.fake_device import TITLE, FakeClient, FakeDevice, fake_entry, fake_protocol
from tests.http_devices import serve, until

RECORDS_OFF = UploadProblem(setting="RecordUploadType", current="0", needed="1")
RESUME_OFF = UploadProblem(setting="ResumefromBreakpoint", current=None, needed="1")
RECORDS = "`RecordUploadType` (0 → 1)"
RESUME = "`ResumefromBreakpoint` (— → 1)"


@pytest.fixture
def device() -> FakeDevice:
    """A device with record upload and re-sending after an interruption off."""
    return FakeDevice(uploads=[RECORDS_OFF, RESUME_OFF])


@pytest.fixture
def clients(device: FakeDevice) -> Iterator[list[FakeClient]]:
    """The fake protocol registered; the clients built for it, newest last."""
    with fake_protocol(device) as clients:
        yield clients


async def set_up(hass: HomeAssistant) -> MockConfigEntry:
    """Set the fake device up, with the repairs integration, and let the checks finish."""
    assert await async_setup_component(hass, "repairs", {})
    entry = fake_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


@pytest.fixture
async def entry(hass: HomeAssistant, clients: list[FakeClient]) -> MockConfigEntry:
    """The fake device set up as the `device` fixture leaves it, its upload check done."""
    return await set_up(hass)


def uploads_issue(hass: HomeAssistant, entry: ConfigEntry[Any]) -> ir.IssueEntry | None:
    """Return the entry's "uploads off" issue, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"uploads_off_{entry.entry_id}")


def issue_settings(hass: HomeAssistant, entry: ConfigEntry[Any]) -> str | None:
    """Return the settings the entry's "uploads off" issue names; None when it is not raised."""
    issue = uploads_issue(hass, entry)
    if issue is None:
        return None
    assert issue.translation_placeholders is not None
    return issue.translation_placeholders["settings"]


async def start_fix(
    hass_client: ClientSessionGenerator, entry: ConfigEntry[Any]
) -> tuple[Any, dict[str, Any]]:
    """Open the issue's fix flow through the repairs API; return the client and its form."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix",
        json={"handler": DOMAIN, "issue_id": f"uploads_off_{entry.entry_id}"},
    )
    assert response.status == HTTPStatus.OK
    return client, await response.json()


async def submit(client: Any, flow_id: str) -> dict[str, Any]:
    """Confirm the fix flow's form."""
    response = await client.post(f"/api/repairs/issues/fix/{flow_id}", json={})
    assert response.status == HTTPStatus.OK
    result: dict[str, Any] = await response.json()
    return result


async def confirm_fix(
    hass_client: ClientSessionGenerator, entry: ConfigEntry[Any]
) -> dict[str, Any]:
    """Open the issue's fix flow and confirm its form at once, as a user would; return what
    the flow answered."""
    client, form = await start_fix(hass_client, entry)
    return await submit(client, form["flow_id"])


def assert_form_error(result: dict[str, Any], error: str, **placeholders: str) -> None:
    """Assert that the fix flow showed its form again with `error` and these placeholders."""
    assert result["type"] == "form"
    assert result["errors"] == {"base": error}
    for key, value in placeholders.items():
        assert result["description_placeholders"][key] == value


async def test_set_up_raises_a_fixable_issue_naming_the_settings(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Settings that are off are named in a fixable issue, with what they are and need."""
    issue = uploads_issue(hass, entry)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "uploads_off"
    assert issue.translation_placeholders == {"name": TITLE, "settings": f"{RECORDS}, {RESUME}"}


async def test_fix_flow_turns_the_uploads_on(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    device: FakeDevice,
    entry: MockConfigEntry,
) -> None:
    """Confirming the fix asks the device once; when it reads back right the issue goes."""
    client, form = await start_fix(hass_client, entry)
    assert form["type"] == "form"
    assert form["step_id"] == "confirm"
    assert RECORDS in form["description_placeholders"]["settings"]
    assert device.fixes == 0

    result = await submit(client, form["flow_id"])

    assert result["type"] == "create_entry"
    assert device.fixes == 1
    assert device.uploads == []
    assert uploads_issue(hass, entry) is None


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (
            DeviceRefusedError("ResumefromBreakpoint need Topic Snap or Verify", "463"),
            "fix_refused",
        ),
        (DeviceTimeoutError("no answer in 10 s"), "fix_timeout"),
    ],
)
async def test_fix_flow_shows_the_device_refusing_and_keeps_the_issue(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    device: FakeDevice,
    entry: MockConfigEntry,
    error: Exception,
    shown: str,
) -> None:
    """A refusal or silence shows an error on the form, with the reason; the issue stays."""
    device.fix_error = error

    result = await confirm_fix(hass_client, entry)

    assert_form_error(result, shown, reason=str(error))
    assert uploads_issue(hass, entry) is not None


async def test_fix_flow_reports_what_the_device_still_reads_back_wrong(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    device: FakeDevice,
    entry: MockConfigEntry,
) -> None:
    """A device that takes the change but reads one setting back still off keeps the issue."""
    device.fix_keeps = [RESUME_OFF]

    result = await confirm_fix(hass_client, entry)

    assert_form_error(result, "fix_incomplete", settings=RESUME)
    assert issue_settings(hass, entry) == RESUME


@pytest.mark.parametrize(
    ("before", "after", "named_before", "named_after"),
    [
        pytest.param(
            [RECORDS_OFF, RESUME_OFF],
            [],
            f"{RECORDS}, {RESUME}",
            None,
            id="fixed on the device clears the issue",
        ),
        pytest.param([], [RECORDS_OFF], None, RECORDS, id="turned off raises the issue"),
    ],
)
async def test_reconnect_checks_the_uploads_again(
    hass: HomeAssistant,
    device: FakeDevice,
    clients: list[FakeClient],
    before: list[UploadProblem],
    after: list[UploadProblem],
    named_before: str | None,
    named_after: str | None,
) -> None:
    """Settings turned on or off at the device's own page while Home Assistant runs are found
    at the next reconnect."""
    device.uploads = before
    entry = await set_up(hass)
    assert issue_settings(hass, entry) == named_before

    device.uploads = after
    await reconnect(hass, clients[-1])

    assert issue_settings(hass, entry) == named_after


@pytest.mark.usefixtures("clients")
async def test_no_issue_without_the_capability(hass: HomeAssistant, device: FakeDevice) -> None:
    """A device whose protocol cannot read its uploads gets no issue."""
    device.capabilities -= {Capability.UPLOAD_CHECK}
    entry = await set_up(hass)

    assert uploads_issue(hass, entry) is None


async def test_removing_the_entry_removes_the_issue(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Deleting the device deletes its issue."""
    assert uploads_issue(hass, entry) is not None

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert uploads_issue(hass, entry) is None


async def test_fix_flow_of_an_unloaded_device_aborts(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    device: FakeDevice,
    entry: MockConfigEntry,
) -> None:
    """A device that is not loaded cannot be changed: the flow ends, the issue stays."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    _, result = await start_fix(hass_client, entry)

    assert result["type"] == "abort"
    assert result["reason"] == "device_not_loaded"
    assert uploads_issue(hass, entry) is not None
    assert device.fixes == 0


# ---- end to end: the MQTT face terminal through a real broker -------------------------------

TERMINAL_ID = "1305433"


@pytest.fixture
def terminal(broker: Broker) -> Iterator[FaceTerminalSimulator]:
    """Run the simulated face terminal as it leaves the factory: no re-send after a cut.

    `ResumefromBreakpoint` 0 (§9.6): records it cannot deliver are never sent again.
    """
    simulator = quick_simulator(
        FaceTerminalSimulator, broker, TERMINAL_ID, resume_from_breakpoint=False
    )
    with running(simulator) as sim:
        yield sim


async def set_up_terminal(hass: HomeAssistant, sim: FaceTerminalSimulator) -> MockConfigEntry:
    """Set the terminal up, with the repairs integration, and wait for its upload check."""
    assert await async_setup_component(hass, "repairs", {})
    entry = terminal_entry(TERMINAL_ID)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_until(lambda: sim.online_acked)
    await wait_until(lambda: uploads_issue(hass, entry) is not None)
    return entry


async def cut_off_and_back(hass: HomeAssistant, sim: FaceTerminalSimulator) -> None:
    """Cut the terminal off (no goodbye, so its last will goes out) and start it again."""
    await hass.async_add_executor_job(partial(sim.stop, abrupt=True))
    await hass.async_add_executor_job(sim.start)


@pytest.mark.usefixtures("mqtt_connected")
async def test_e2e_terminal_repair_turns_resume_on(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, terminal: FaceTerminalSimulator
) -> None:
    """The terminal's `GetMQTTconfig` shows no resume; the fix sets it with `UpMQTTconfig`."""
    entry = await set_up_terminal(hass, terminal)
    settings = issue_settings(hass, entry)
    assert settings is not None
    assert "`ResumefromBreakpoint` (0 → 1)" in settings
    assert terminal.mqtt_config["ResumefromBreakpoint"] == 0

    result = await confirm_fix(hass_client, entry)

    assert result["type"] == "create_entry"
    assert terminal.mqtt_config["ResumefromBreakpoint"] == 1
    operators = [command.get("operator") for command in terminal.received]
    assert "UpMQTTconfig" in operators
    # Confirmed by reading it back after the change.
    assert operators[operators.index("UpMQTTconfig") + 1 :].count("GetMQTTconfig") >= 1
    assert uploads_issue(hass, entry) is None


@pytest.mark.usefixtures("mqtt_connected")
async def test_e2e_terminal_refusing_the_fix_keeps_the_issue(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, terminal: FaceTerminalSimulator
) -> None:
    """The terminal's refusal (error 463, L3901) is shown on the form; nothing changes."""
    entry = await set_up_terminal(hass, terminal)
    terminal.refuse_next("UpMQTTconfig", 463, "ResumefromBreakpoint need Topic Snap or Verify")

    client, form = await start_fix(hass_client, entry)
    result = await submit(client, form["flow_id"])

    assert result["type"] == "form"
    assert result["errors"] == {"base": "fix_refused"}
    assert (
        "ResumefromBreakpoint need Topic Snap or Verify"
        in (result["description_placeholders"]["reason"])
    )
    assert terminal.mqtt_config["ResumefromBreakpoint"] == 0
    assert uploads_issue(hass, entry) is not None

    # Tried again, the device takes it.
    result = await submit(client, form["flow_id"])
    assert result["type"] == "create_entry"
    assert terminal.mqtt_config["ResumefromBreakpoint"] == 1
    assert uploads_issue(hass, entry) is None


@pytest.mark.usefixtures("mqtt_connected")
async def test_e2e_terminal_turned_off_on_its_page_is_found_at_reconnect(
    hass: HomeAssistant, terminal: FaceTerminalSimulator
) -> None:
    """Record upload switched off on the device shows up when the device reconnects."""
    entry = await set_up_terminal(hass, terminal)
    terminal.configure_uploads(ResumefromBreakpoint=1)
    await cut_off_and_back(hass, terminal)
    await wait_until(lambda: uploads_issue(hass, entry) is None)

    terminal.configure_uploads(RecordUploadType=0)
    await cut_off_and_back(hass, terminal)
    await wait_until(lambda: uploads_issue(hass, entry) is not None)

    assert issue_settings(hass, entry) == RECORDS


# ---- end to end: the face-capture terminal over HTTP ----------------------------------------


@pytest.fixture
async def capture(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, socket_enabled: None
) -> AsyncIterator[FaceCaptureSimulator]:
    """A simulated face-capture terminal serving on a free port; Home Assistant's HTTP too."""
    # Before the first client starts Home Assistant's HTTP application, which then takes no
    # more views (Home Assistant 2026.10).
    assert await async_setup_component(hass, "repairs", {})
    await serve(hass, hass_client_no_auth)
    async with face_capture_terminal(hass) as simulator:
        yield simulator


async def add_capture(hass: HomeAssistant, sim: FaceCaptureSimulator) -> ConfigEntry[Any]:
    """Add the terminal through the config flow (which points its upload here)."""
    return await add_face_capture(hass, sim)


async def test_e2e_face_capture_repair_points_the_upload_back(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    capture: FaceCaptureSimulator,
) -> None:
    """An upload moved on the terminal's page is found at set-up and pointed back here.

    The terminal's `upload_info` (2.3.1) names another port; the fix writes it with
    `update app params` and reads it back.
    """
    entry = await add_capture(hass, capture)
    upload = capture.upload_url
    assert upload is not None
    assert uploads_issue(hass, entry) is None
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    moved = urlsplit(upload)._replace(netloc=f"127.0.0.1:{free_port('127.0.0.1')}").geturl()
    capture.configure_url(moved)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await until(lambda: uploads_issue(hass, entry) is not None)
    home_port = urlsplit(upload).port
    moved_port = urlsplit(moved).port
    assert issue_settings(hass, entry) == f"`upload_info.server_port` ({moved_port} → {home_port})"

    result = await confirm_fix(hass_client, entry)

    assert result["type"] == "create_entry"
    assert capture.upload_url == upload
    assert uploads_issue(hass, entry) is None
