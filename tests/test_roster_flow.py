"""Tests of the roster in the UI: the People entry, the person subentry flows, the photo store.

People are added and edited through Home Assistant's real subentry flow manager; photos are
uploaded through the real `/api/file_upload` endpoint or taken from a terminal's camera
entity; the terminal is the fake MQTT face terminal of tests/common.py (answering like the
firmware), so that a recognition from it shows what the roster adds to events and states.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
import hashlib
import io
from pathlib import Path
import stat
from typing import Any
import uuid

import aiohttp
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    ConfigSubentry,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, ServiceCall, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.face_access.const import DOMAIN, EVENT_FACE_ACCESS
from custom_components.face_access.diagnostics import async_get_config_entry_diagnostics
from custom_components.face_access.people_entry import PHOTO_LIMITS
from custom_components.face_access.person_flow import generate_person_id
from custom_components.face_access.protocols import face_capture_http, temperature_http
from custom_components.face_access.protocols.hfsecurity_mqtt.variants import PERSON_LIMITS
from custom_components.face_access.protocols.model import Capability, PersonList
from custom_components.face_access.protocols.unv_lapi import codec as unv_codec
from custom_components.face_access.roster import (
    CONF_ALL_TERMINALS,
    CONF_CARD_NUMBER,
    CONF_HA_PERSON,
    CONF_KIND,
    CONF_LIST,
    CONF_NAME,
    CONF_PERSON_ID,
    CONF_PHOTO_SHA256,
    CONF_TERMINALS,
    CONF_VALID_FROM,
    CONF_VALID_UNTIL,
    KIND_PEOPLE,
    PEOPLE_DIR,
    SUBENTRY_PERSON,
    photo_path,
    roster_people,
    roster_person_by_id,
)
from simulators.unv_lapi import UnvLapiSimulator
from tests.common import (
    DEVICE_ID,
    PREFIX,
    FakeTerminal,
    data_uri,
    fire,
    ha_device_id,
    make_image,
    make_photo,
    rec_push,
    setup_entry,
    terminal_entry,
)
from tests.http_devices import add_by_address, serve

REC_TOPIC = f"{PREFIX}/{DEVICE_ID}/Rec"
TERMINAL_TITLE = f"Face terminal {DEVICE_ID}"
UNIVIEW = "210235C31L3186000023"


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Keep the photo store of each test in its own configuration directory."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


@pytest.fixture
async def terminal(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> FakeTerminal:
    """A face terminal that answers every command, set up (it can enroll)."""
    # Components that add HTTP views go first: the HTTP app takes none once a client runs.
    assert await async_setup_component(hass, "file_upload", {})
    device = FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    return device


async def choose_people(hass: HomeAssistant) -> ConfigFlowResult:
    """Open the integration's menu and choose People; return the flow's answer."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "people"}
    )


async def add_people(hass: HomeAssistant) -> ConfigEntry:
    """Add the People entry through the integration's menu; it must load."""
    result = await choose_people(hass)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry: ConfigEntry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
async def people(hass: HomeAssistant) -> ConfigEntry:
    """The People entry, added through the integration's menu."""
    return await add_people(hass)


@pytest.fixture
async def client(
    hass: HomeAssistant, terminal: FakeTerminal, hass_client: ClientSessionGenerator
) -> aiohttp.ClientSession:
    """An HTTP client of Home Assistant, logged in as an administrator (uploads need one)."""
    session: aiohttp.ClientSession = await hass_client()
    return session


async def upload(client: aiohttp.ClientSession, data: bytes, name: str = "ada.jpg") -> str:
    """Upload a file as the frontend's file selector does; return its file ID."""
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="image/jpeg")
    response = await client.post("/api/file_upload", data=form)
    assert response.status == 200
    file_id: str = (await response.json())["file_id"]
    return file_id


async def start(hass: HomeAssistant, people: ConfigEntry) -> SubentryFlowResult:
    """Open the "Add person" form."""
    result = await hass.config_entries.subentries.async_init(
        (people.entry_id, SUBENTRY_PERSON), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


async def add_person(hass: HomeAssistant, people: ConfigEntry, **fields: Any) -> SubentryFlowResult:
    """Fill in and submit the "Add person" form; return the flow's answer."""
    result = await start(hass, people)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], fields)
    await hass.async_block_till_done()
    return result


async def edit_person(
    hass: HomeAssistant, people: ConfigEntry, subentry_id: str, **fields: Any
) -> SubentryFlowResult:
    """Open the person's edit form and submit it; return the flow's answer."""
    result = await hass.config_entries.subentries.async_init(
        (people.entry_id, SUBENTRY_PERSON),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    # The form shows the person as they are.
    current = people.subentries[subentry_id]
    assert suggested(result)[CONF_NAME] == current.data[CONF_NAME]
    assert suggested(result)[CONF_PERSON_ID] == current.data[CONF_PERSON_ID]
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], fields)
    await hass.async_block_till_done()
    return result


async def add_with_photo(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry, **fields: Any
) -> ConfigSubentry:
    """Add a person through the form with a newly uploaded photo; return their subentry.

    The form must accept `fields`.
    """
    before = set(people.subentries)
    result = await add_person(hass, people, photo=await upload(client, make_photo()), **fields)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    (subentry_id,) = set(people.subentries) - before
    return people.subentries[subentry_id]


def only_person(people: ConfigEntry) -> ConfigSubentry:
    """Return the People entry's one subentry."""
    (subentry,) = people.subentries.values()
    return subentry


def kept_photo(hass: HomeAssistant, subentry_id: str) -> bytes:
    """Read a kept photo (tests may block: there is no other work on the loop)."""
    data: bytes = photo_path(hass, subentry_id).read_bytes()
    return data


def suggested(result: Mapping[str, Any]) -> dict[str, Any]:
    """Return what a shown form fills in (its suggested values)."""
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }


def stored_photos(hass: HomeAssistant) -> list[Path] | None:
    """Return every file of the photo store, None when there is no store."""
    store = Path(hass.config.path(PEOPLE_DIR))
    return sorted(store.glob("*.jpg")) if store.is_dir() else None


def entity_state(hass: HomeAssistant, domain: str, suffix: str) -> State:
    """Return the state of the `domain` entity whose ID ends with `suffix`."""
    return next(
        state for state in hass.states.async_all(domain) if state.entity_id.endswith(suffix)
    )


# ---- the People entry ----------------------------------------------------------------------


async def test_people_is_offered_once_beside_the_protocols(hass: HomeAssistant) -> None:
    """The menu ends with People; a second People entry is refused, a roster is one entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    menu = result["menu_options"]
    assert isinstance(menu, list)
    assert menu[-1] == "people"
    assert "face_terminal_mqtt" in menu
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "people"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "People"
    assert result["data"] == {CONF_KIND: KIND_PEOPLE}
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    # People have an "Add person" button, no options and nothing to reconfigure.
    assert entry.supported_subentry_types == {SUBENTRY_PERSON: {"supports_reconfigure": True}}
    assert entry.supports_options is False

    again = await choose_people(hass)
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "single_instance_allowed"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1

    reconfigure = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert reconfigure["type"] is FlowResultType.ABORT
    assert reconfigure["reason"] == "people_reconfigure"


async def test_a_device_entry_keeps_its_options_and_has_no_people(
    hass: HomeAssistant, terminal: FakeTerminal, people: ConfigEntry
) -> None:
    """Devices keep their options flow and offer no "Add person"; the People entry unloads."""
    (device,) = (e for e in hass.config_entries.async_entries(DOMAIN) if e is not people)
    assert device.supports_options is True
    assert device.supported_subentry_types == {}
    assert await hass.config_entries.async_unload(people.entry_id)
    assert people.state is ConfigEntryState.NOT_LOADED
    assert device.state is ConfigEntryState.LOADED


# ---- adding, editing, deleting -------------------------------------------------------------


async def test_add_with_an_uploaded_photo(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """The whole form makes one subentry; the photo is kept normalised, for HA's eyes only."""
    source = make_photo("PNG", (1600, 1200))
    file_id = await upload(client, source, "ada.png")
    terminal_id = ha_device_id(hass)

    result = await add_person(
        hass,
        people,
        name=" Ada Lovelace ",
        photo=file_id,
        card_number="86664719",
        valid_from="2026-12-01 08:00:00",
        valid_until="2027-06-30 18:00:00",
        list="block",
        terminals=[terminal_id],
        all_terminals=False,
        ha_person="person.ada",
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Ada Lovelace"
    subentry = only_person(people)
    data = dict(subentry.data)
    person_id = data.pop(CONF_PERSON_ID)
    # Left empty: a number every protocol stores (UNV takes numbers only).
    assert person_id.isdecimal()
    assert len(person_id) == 9
    assert subentry.unique_id == person_id
    sha256 = data.pop(CONF_PHOTO_SHA256)
    assert data == {
        CONF_NAME: "Ada Lovelace",
        CONF_CARD_NUMBER: "86664719",
        CONF_VALID_FROM: "2026-12-01T08:00:00",
        CONF_VALID_UNTIL: "2027-06-30T18:00:00",
        CONF_LIST: "block",
        CONF_TERMINALS: [terminal_id],
        CONF_ALL_TERMINALS: False,
        CONF_HA_PERSON: "person.ada",
    }
    kept = kept_photo(hass, subentry.subentry_id)
    assert hashlib.sha256(kept).hexdigest() == sha256
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == PHOTO_LIMITS.max_side
    assert len(kept) <= PHOTO_LIMITS.max_bytes
    # Readable by Home Assistant's account only.
    path = photo_path(hass, subentry.subentry_id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.parent == Path(hass.config.path(PEOPLE_DIR))
    # Nothing else is left in the store (the staged copy was moved in).
    assert stored_photos(hass) == [path]

    (person,) = roster_people(hass)
    assert person.name == "Ada Lovelace"
    assert person.person_list is PersonList.BLOCK
    assert person.wants(terminal_id)
    assert not person.wants("another device")
    assert person.ha_person == "person.ada"


async def test_add_with_a_photo_from_a_camera(
    hass: HomeAssistant, terminal: FakeTerminal, people: ConfigEntry
) -> None:
    """A camera entity (here the terminal's own snapshot camera) gives the photo."""
    photo = make_photo("JPEG", (640, 480))
    terminal.reply("GetSceneSnap", {"ImgData": data_uri(photo)})
    camera = hass.states.async_entity_ids("camera")[0]

    result = await add_person(
        hass, people, name="Grace", photo_camera=camera, all_terminals=True, person_id="G7"
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = only_person(people)
    assert subentry.unique_id == "G7"
    assert subentry.data[CONF_ALL_TERMINALS] is True
    kept = kept_photo(hass, subentry.subentry_id)
    assert hashlib.sha256(kept).hexdigest() == subentry.data[CONF_PHOTO_SHA256]
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (640, 480)
    (person,) = roster_people(hass)
    assert person.terminals is None
    assert person.wants(ha_device_id(hass))


async def test_edit_keeps_or_replaces_the_photo(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """Editing without a photo keeps the kept one; a new upload replaces it."""
    await add_with_photo(hass, client, people, name="Ada", person_id="E012", all_terminals=True)
    subentry = only_person(people)
    first = kept_photo(hass, subentry.subentry_id)
    person = roster_person_by_id(hass, "E012")
    assert person is not None
    assert person.name == "Ada"
    rename = partial(
        edit_person, hass, people, subentry.subentry_id, name="Ada Lovelace", all_terminals=True
    )

    result = await rename(person_id="E012", card_number="1234")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert subentry.title == "Ada Lovelace"
    assert subentry.data[CONF_NAME] == "Ada Lovelace"
    assert subentry.data[CONF_CARD_NUMBER] == "1234"
    assert subentry.data[CONF_PHOTO_SHA256] == hashlib.sha256(first).hexdigest()
    assert kept_photo(hass, subentry.subentry_id) == first
    # The roster's index (what names recognitions) sees the edit at once.
    person = roster_person_by_id(hass, "E012")
    assert person is not None
    assert person.name == "Ada Lovelace"

    result = await rename(
        person_id="E013", photo=await upload(client, make_photo("PNG", (500, 700)))
    )

    assert result["reason"] == "reconfigure_successful"
    second = kept_photo(hass, subentry.subentry_id)
    assert second != first
    assert subentry.data[CONF_PHOTO_SHA256] == hashlib.sha256(second).hexdigest()
    assert subentry.unique_id == "E013"
    assert roster_person_by_id(hass, "E012") is None
    assert roster_person_by_id(hass, "E013") is not None
    # Cleared fields are gone.
    assert CONF_CARD_NUMBER not in subentry.data
    assert stat.S_IMODE(photo_path(hass, subentry.subentry_id).stat().st_mode) == 0o600


async def test_deleting_a_person_removes_their_photo(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """The photo goes with the person; other people's photos stay."""
    ada, grace = [
        await add_with_photo(hass, client, people, name=name, all_terminals=True)
        for name in ("Ada", "Grace")
    ]
    assert photo_path(hass, ada.subentry_id).is_file()

    assert hass.config_entries.async_remove_subentry(people, ada.subentry_id)
    await hass.async_block_till_done()

    assert not photo_path(hass, ada.subentry_id).exists()
    assert photo_path(hass, grace.subentry_id).is_file()
    assert [person.name for person in roster_people(hass)] == ["Grace"]


async def test_removing_the_people_entry_removes_every_photo(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """No face stays behind the roster."""
    await add_with_photo(hass, client, people, name="Ada", all_terminals=True)
    assert stored_photos(hass) == [photo_path(hass, only_person(people).subentry_id)]

    await hass.config_entries.async_remove(people.entry_id)
    await hass.async_block_till_done()

    assert stored_photos(hass) is None
    assert roster_people(hass) == []


async def test_changes_while_unloaded_are_put_right_at_set_up(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """A person added while the entry was not loaded gets their photo; a deleted one loses it."""
    await add_with_photo(hass, client, people, name="Ada", all_terminals=True)
    ada = only_person(people)
    assert await hass.config_entries.async_unload(people.entry_id)

    hass.config_entries.async_remove_subentry(people, ada.subentry_id)
    await add_with_photo(hass, client, people, name="Grace", all_terminals=True)
    grace = only_person(people)
    # No update listener while unloaded: the photo waits, the old one is still there.
    assert not photo_path(hass, grace.subentry_id).exists()
    assert photo_path(hass, ada.subentry_id).exists()

    assert await hass.config_entries.async_setup(people.entry_id)
    await hass.async_block_till_done()

    assert stored_photos(hass) == [photo_path(hass, grace.subentry_id)]
    assert (
        hashlib.sha256(kept_photo(hass, grace.subentry_id)).hexdigest()
        == grace.data[CONF_PHOTO_SHA256]
    )


# ---- the form's errors ---------------------------------------------------------------------


async def test_errors_leave_the_upload_for_the_corrected_form(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """A form refused for another field keeps the upload: the same file ID works after."""
    file_id = await upload(client, make_photo())
    result = await start(hass, people)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Ada", "photo": file_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_terminals"}
    assert suggested(result)["photo"] == file_id

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Ada", "photo": file_id, "terminals": [ha_device_id(hass)]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def _error(
    hass: HomeAssistant, people: ConfigEntry, fields: dict[str, Any]
) -> tuple[dict[str, str], Mapping[str, str]]:
    """Submit the add form; return its errors and placeholders (it must not be accepted)."""
    result = await add_person(hass, people, **fields)
    assert result["type"] is FlowResultType.FORM, result
    errors = result["errors"]
    assert errors is not None
    return errors, result["description_placeholders"] or {}


async def test_form_errors_about_the_photo(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """No photo, two, one that is no image, one too small, a lost upload, a dead camera."""
    everywhere = {"name": "Ada", "all_terminals": True}
    camera = hass.states.async_entity_ids("camera")[0]

    assert (await _error(hass, people, everywhere))[0] == {"photo": "no_photo"}
    both = {**everywhere, "photo": await upload(client, make_photo()), "photo_camera": camera}
    assert (await _error(hass, people, both))[0] == {"photo": "two_photos"}
    garbage = await upload(client, b"this is not a picture", "ada.jpg")
    result = await add_person(hass, people, **everywhere, photo=garbage)
    assert result["errors"] == {"photo": "invalid_photo"}
    # The upload was read (and so deleted): the form asks for another one.
    assert "photo" not in suggested(result)
    assert suggested(result)["name"] == "Ada"
    # 8 x 8 pixels: no device takes a file this small (face terminal error 468).
    tiny = await upload(client, make_image("JPEG", (8, 8)))
    assert (await _error(hass, people, {**everywhere, "photo": tiny}))[0] == {
        "photo": "invalid_photo"
    }
    lost = uuid.uuid4().hex
    assert (await _error(hass, people, {**everywhere, "photo": lost}))[0] == {
        "photo": "upload_gone"
    }
    nowhere = {**everywhere, "photo_camera": "camera.nowhere"}
    assert (await _error(hass, people, nowhere))[0] == {"photo_camera": "camera_unavailable"}
    assert people.subentries == {}
    # Refused photos are not kept.
    assert stored_photos(hass) in (None, [])


async def test_form_errors_about_the_person(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """A blank name, a taken ID, an ID the terminal cannot store, a validity that ends first."""
    terminal_id = ha_device_id(hass)
    await add_with_photo(
        hass, client, people, name="Ada", person_id="E012", terminals=[terminal_id]
    )
    file_id = await upload(client, make_photo())
    base = {"name": "Grace", "photo": file_id, "terminals": [terminal_id]}

    assert (await _error(hass, people, {**base, "name": "  "}))[0] == {"name": "name_empty"}
    assert (await _error(hass, people, {**base, "person_id": "E012"}))[0] == {
        "person_id": "duplicate_person_id"
    }
    # The face terminal's customId holds at most 47 bytes (terminal §4.1 L327).
    errors, placeholders = await _error(hass, people, {**base, "person_id": "x" * 48})
    assert errors == {"person_id": "person_id_unfit"}
    assert placeholders["terminal"] == TERMINAL_TITLE
    # Also with "all terminals": every terminal that can enroll is checked.
    errors, _ = await _error(
        hass, people, {**base, "terminals": [], "all_terminals": True, "person_id": "x" * 48}
    )
    assert errors == {"person_id": "person_id_unfit"}
    # Its name holds at most 31 bytes (terminal L329), its card 10 hexadecimal digits (L350).
    assert (await _error(hass, people, {**base, "name": "G" * 32}))[0] == {"name": "name_unfit"}
    assert (await _error(hass, people, {**base, "card_number": "12345678901"}))[0] == {
        "card_number": "card_number_unfit"
    }
    validity = {"valid_from": "2027-01-01 00:00:00", "valid_until": "2026-12-31 23:59:00"}
    assert (await _error(hass, people, {**base, **validity}))[0] == {
        "valid_until": "valid_until_before_valid_from"
    }
    assert len(people.subentries) == 1


async def test_form_errors_about_the_terminals(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """No terminal and not all of them; a device that is not a terminal of this integration."""
    file_id = await upload(client, make_photo())
    base = {"name": "Ada", "photo": file_id}

    assert (await _error(hass, people, base))[0] == {"base": "no_terminals"}
    assert (await _error(hass, people, {**base, "terminals": []}))[0] == {"base": "no_terminals"}

    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    lamp = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "lamp")}, name="Lamp"
    )
    errors, placeholders = await _error(
        hass, people, {**base, "terminals": [ha_device_id(hass), lamp.id]}
    )
    assert errors == {"terminals": "terminal_cannot_enroll"}
    assert placeholders["terminal"] == "Lamp"


async def test_a_terminal_that_cannot_enroll_is_refused(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, socket_enabled: None
) -> None:
    """A Uniview terminal without the people paths (real simulator) cannot take anyone."""
    await serve(hass, hass_client_no_auth)
    simulator = UnvLapiSimulator(UNIVIEW, user="admin", password="pw", extended=False)
    await hass.async_add_executor_job(partial(simulator.start, 0))
    try:
        result = await add_by_address(hass, "unv_lapi", simulator.address[1], "admin", "pw")
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        terminal = result["result"]
        assert terminal.state is ConfigEntryState.LOADED
        assert Capability.ENROLL not in terminal.runtime_data.client.profile.capabilities
        uniview = ha_device_id(hass, UNIVIEW)
        people = await add_people(hass)

        errors, placeholders = await _error(
            hass,
            people,
            {"name": "Ada", "photo": uuid.uuid4().hex, "terminals": [uniview]},
        )

        assert errors == {"terminals": "terminal_cannot_enroll"}
        device = dr.async_get(hass).async_get(uniview)
        assert device is not None
        assert placeholders["terminal"] == device.name
    finally:
        await hass.async_add_executor_job(simulator.stop)


async def test_edit_errors_keep_the_person(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """An edit that is refused changes nothing; clearing the ID keeps the person's ID."""
    ada = await add_with_photo(
        hass, client, people, name="Ada", person_id="E012", all_terminals=True
    )
    await add_with_photo(hass, client, people, name="Grace", person_id="G7", all_terminals=True)
    before = dict(ada.data)

    result = await edit_person(
        hass, people, ada.subentry_id, name="Ada", person_id="G7", all_terminals=True
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"person_id": "duplicate_person_id"}
    assert dict(ada.data) == before

    result = await edit_person(hass, people, ada.subentry_id, name="Ada L", all_terminals=True)
    assert result["reason"] == "reconfigure_successful"
    assert ada.unique_id == "E012"
    assert ada.data[CONF_PERSON_ID] == "E012"


async def test_a_removed_terminal_is_not_offered_again(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """Editing a person whose terminal was removed from Home Assistant drops it from the form."""
    await add_with_photo(hass, client, people, name="Ada", terminals=[ha_device_id(hass)])
    subentry = only_person(people)
    (device,) = (e for e in hass.config_entries.async_entries(DOMAIN) if e is not people)
    await hass.config_entries.async_remove(device.entry_id)
    await hass.async_block_till_done()

    result = await hass.config_entries.subentries.async_init(
        (people.entry_id, SUBENTRY_PERSON),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )

    assert suggested(result)[CONF_TERMINALS] == []
    assert suggested(result)[CONF_NAME] == "Ada"


def test_generated_ids_fit_every_protocol() -> None:
    """A generated ID passes each protocol's own check, and avoids the IDs already taken."""
    taken = {generate_person_id(()) for _ in range(50)}
    for _ in range(200):
        person_id = generate_person_id(taken)
        assert person_id not in taken
        PERSON_LIMITS.check_id(person_id)
        face_capture_http.codec.check_person_id(person_id)
        temperature_http.codec.check_person_id(person_id)
        assert str(unv_codec.person_id_number(person_id)) == person_id


# ---- recognitions of roster people ---------------------------------------------------------


async def _recognize(hass: HomeAssistant, record_id: str, custom_id: str) -> None:
    """Let the terminal report a recognition of `custom_id` (its own name for them: Ada)."""
    fire(hass, REC_TOPIC, rec_push(record_id, customId=custom_id, persionName="Ada"))
    await hass.async_block_till_done()


async def _add_ada(hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry) -> None:
    """Put Ada Lovelace, linked to person.ada, on the roster as E012 (the terminal's ID)."""
    await add_with_photo(
        hass,
        client,
        people,
        name="Ada Lovelace",
        person_id="E012",
        all_terminals=True,
        ha_person="person.ada",
    )


@pytest.fixture
def calls(hass: HomeAssistant) -> list[ServiceCall]:
    """The calls of the `test.automation` action the automation runs."""
    found: list[ServiceCall] = async_mock_service(hass, "test", "automation")
    return found


async def test_a_roster_person_is_named_by_the_roster_with_their_ha_person(
    hass: HomeAssistant,
    client: aiohttp.ClientSession,
    people: ConfigEntry,
    calls: list[ServiceCall],
) -> None:
    """The access event, its bus event and last_person carry the roster's name and person."""
    await _add_ada(hass, client, people)
    terminal_id = ha_device_id(hass)
    # An automation on the Home Assistant person, through the device trigger.
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [
                    {
                        "trigger": "device",
                        "domain": DOMAIN,
                        "device_id": terminal_id,
                        "type": "recognized",
                        "person": "person.ada",
                    }
                ],
                "actions": [
                    {
                        "action": "test.automation",
                        "data": {"who": "{{ trigger.event.data.person_name }}"},
                    }
                ],
            }
        },
    )
    bus = async_capture_events(hass, EVENT_FACE_ACCESS)

    await _recognize(hass, "381", "E012")

    last_person = entity_state(hass, "sensor", "last_person")
    assert last_person.state == "Ada Lovelace"
    assert last_person.attributes["person_id"] == "E012"
    assert last_person.attributes["ha_person"] == "person.ada"
    access = entity_state(hass, "event", "access")
    assert access.attributes["person_name"] == "Ada Lovelace"
    assert access.attributes["ha_person"] == "person.ada"
    assert bus[-1].data["person_name"] == "Ada Lovelace"
    assert bus[-1].data["ha_person"] == "person.ada"
    assert [call.data["who"] for call in calls] == ["Ada Lovelace"]

    # Someone the roster does not know keeps the terminal's name and has no HA person.
    await _recognize(hass, "382", "X9")

    assert bus[-1].data["person_name"] == "Ada"
    assert bus[-1].data["ha_person"] is None
    after = hass.states.get(last_person.entity_id)
    assert after is not None
    assert after.state == "Ada"
    assert after.attributes["ha_person"] is None
    assert len(calls) == 1


async def test_without_names_only_ids_and_the_ha_person_are_shown(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    people: ConfigEntry,
) -> None:
    """The privacy option keeps the roster's name out too; the entity ID link stays."""
    assert await async_setup_component(hass, "file_upload", {})
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass, terminal_entry(DEVICE_ID, show_names=False))
    await _add_ada(hass, await hass_client(), people)
    bus = async_capture_events(hass, EVENT_FACE_ACCESS)

    await _recognize(hass, "381", "E012")

    assert bus[-1].data["person_name"] is None
    assert bus[-1].data["person_id"] == "E012"
    assert bus[-1].data["ha_person"] == "person.ada"
    assert entity_state(hass, "sensor", "last_person").state == "E012"


async def test_the_people_entry_diagnostics_name_no_one(
    hass: HomeAssistant, client: aiohttp.ClientSession, people: ConfigEntry
) -> None:
    """Counts only: no name, no ID, no photo."""
    await _add_ada(hass, client, people)

    diagnostics = await async_get_config_entry_diagnostics(hass, people)

    assert diagnostics["people"] == 1
    assert diagnostics["people_with_photo"] == 1
    text = repr(diagnostics)
    assert "Ada" not in text
    assert "E012" not in text
    assert "person.ada" not in text
