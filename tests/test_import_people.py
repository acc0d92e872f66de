"""The `face_access.import_people` service: a folder of photos and a CSV file into the roster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.roster import (
    photo_path,
    roster_people,
)
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from tests.common import add_people_entry, make_photo
from tests.e2e import wait_until
from tests.test_roster_sync import add_terminal, terminal  # noqa: F401

HEADER = "person_id,name,card_number,valid_from,valid_until,list\n"


@pytest.fixture
def folder(hass: HomeAssistant, tmp_path: Path) -> Path:
    """An allow-listed folder for the photos and the CSV file; the photo store beside it."""
    hass.config.config_dir = str(tmp_path / "config")
    photos = tmp_path / "import"
    photos.mkdir()
    hass.config.allowlist_external_dirs = {str(photos)}
    return photos


@pytest.fixture
async def people(hass: HomeAssistant, folder: Path) -> ConfigEntry:
    """The People entry, set up."""
    entry: ConfigEntry = await add_people_entry(hass)
    return entry


def write_listing(folder: Path, rows: str, *photo_ids: str) -> None:
    """Write `people.csv` (HEADER, then `rows`) and a JPEG photo named after each ID given."""
    (folder / "people.csv").write_text(HEADER + rows)
    for person_id in photo_ids:
        (folder / f"{person_id}.jpg").write_bytes(make_photo())


async def _import(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "import_people", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def test_good_rows_are_added_and_bad_rows_say_why(
    hass: HomeAssistant, people: ConfigEntry, folder: Path
) -> None:
    """Each row is reported; only the good ones become people, with their kept photo."""
    (folder / "people.csv").write_text(
        HEADER
        + "1001,Ada Lovelace,8899,2026-01-01,2026-12-31,allow\n"
        + "1002,Grace,,,,BLOCK\n"
        + "1003,Hedy,,,,\n"
        + "1004,,,,,\n"
        + "\n"
        + "1005,Joan,,someday,,\n"
        + "1006,Kate,,,,maybe\n"
        + "1001,Ada again,,,,\n"
        + "1007,Lin,,,,\n"
        + "../x,Mallory,,,,\n",
        encoding="utf-8-sig",  # spreadsheets write a byte-order mark
    )
    (folder / "1001.jpg").write_bytes(make_photo())
    (folder / "1002.PNG").write_bytes(make_photo("PNG"))
    for person_id in ("1004", "1005", "1006"):
        (folder / f"{person_id}.jpg").write_bytes(make_photo())
    (folder / "1007.png").write_bytes(b"not a picture at all")

    response = await _import(hass, folder=str(folder))

    assert response["rows"] == [
        {"row": 2, "person_id": "1001", "status": "added", "reason": None},
        {"row": 3, "person_id": "1002", "status": "added", "reason": None},
        {
            "row": 4,
            "person_id": "1003",
            "status": "failed",
            "reason": "No photo named after the person ID (.jpg, .jpeg or .png) in the folder",
        },
        {"row": 5, "person_id": "1004", "status": "failed", "reason": "name is empty"},
        {
            "row": 7,
            "person_id": "1005",
            "status": "failed",
            "reason": "valid_from is not a date and time (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)",
        },
        {
            "row": 8,
            "person_id": "1006",
            "status": "failed",
            "reason": "list must be allow or block",
        },
        {
            "row": 9,
            "person_id": "1001",
            "status": "failed",
            "reason": "The person ID is in the file more than once",
        },
        {
            "row": 10,
            "person_id": "1007",
            "status": "failed",
            "reason": response["rows"][7]["reason"],
        },
        {
            "row": 11,
            "person_id": "../x",
            "status": "failed",
            "reason": "The person ID cannot name a photo file "
            "(it contains a slash or starts with a dot)",
        },
    ]
    assert response["rows"][7]["reason"].startswith("The photo cannot be used: ")
    assert (response["added"], response["updated"], response["failed"]) == (2, 0, 7)

    roster = {person.person_id: person for person in roster_people(hass)}
    assert set(roster) == {"1001", "1002"}
    ada = roster["1001"]
    assert (ada.name, ada.card_number, ada.person_list.value) == ("Ada Lovelace", "8899", "allow")
    assert ada.valid_from is not None
    assert ada.valid_from.isoformat() == "2026-01-01T00:00:00"
    assert ada.valid_until is not None
    assert ada.valid_until.isoformat() == "2026-12-31T23:59:59"
    assert ada.terminals is None  # no terminals named: all of them
    assert roster["1002"].person_list.value == "block"
    subentry = people.subentries[ada.subentry_id]
    assert (subentry.title, subentry.unique_id) == ("Ada Lovelace", "1001")
    kept = photo_path(hass, ada.subentry_id)
    assert kept.read_bytes()[:3] == b"\xff\xd8\xff"  # kept as the normalised JPEG


async def test_a_second_import_updates_people_already_there(
    hass: HomeAssistant, people: ConfigEntry, folder: Path
) -> None:
    """The same person ID again changes the person (and their photo) instead of adding."""
    write_listing(folder, "1001,Ada,,,,\n", "1001")
    await _import(hass, folder=str(folder))
    (ada,) = roster_people(hass)
    before = ada.photo_sha256

    (folder / "1001.jpg").write_bytes(make_photo(size=(400, 300)))
    (folder / "people.csv").write_text(HEADER + "1001,Ada Lovelace,77,,,\n")
    response = await _import(hass, folder=str(folder))

    assert response["rows"] == [
        {"row": 2, "person_id": "1001", "status": "updated", "reason": None}
    ]
    (updated,) = roster_people(hass)
    assert updated.subentry_id == ada.subentry_id
    assert (updated.name, updated.card_number) == ("Ada Lovelace", "77")
    assert updated.photo_sha256 != before
    assert people.subentries[ada.subentry_id].title == "Ada Lovelace"


async def test_a_csv_elsewhere_and_columns_in_any_order(
    hass: HomeAssistant, people: ConfigEntry, folder: Path
) -> None:
    """`csv` names the file; the header row decides which column is which."""
    (folder / "2001.jpeg").write_bytes(make_photo())
    listing = folder / "staff.csv"
    listing.write_text("name,person_id\nBarbara,2001\n")

    response = await _import(hass, folder=str(folder), csv=str(listing))

    assert response["added"] == 1
    (barbara,) = roster_people(hass)
    assert (barbara.person_id, barbara.name) == ("2001", "Barbara")


@pytest.mark.parametrize(
    ("setup", "data", "key"),
    [
        ("none", {}, "import_path_not_allowed"),
        ("none", {"csv": "missing.csv"}, "import_path_not_allowed"),
        ("missing", {}, "import_csv_unreadable"),
        ("no_name_column", {}, "import_csv_header"),
        ("good", {"terminals": ["not-a-device"]}, "import_unknown_terminal"),
    ],
)
async def test_bad_calls_are_refused_before_anything_is_added(
    hass: HomeAssistant,
    people: ConfigEntry,
    folder: Path,
    tmp_path: Path,
    setup: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """A folder outside the allow-list, a missing or headless file, an unknown terminal."""
    target = str(tmp_path) if setup == "none" else str(folder)
    if setup == "no_name_column":
        (folder / "people.csv").write_text("person_id,card_number\n1001,5\n")
    elif setup == "good":
        write_listing(folder, "1001,Ada,,,,\n", "1001")

    with pytest.raises(ServiceValidationError) as err:
        await _import(hass, folder=target, **data)

    assert err.value.translation_key == key
    assert roster_people(hass) == []


async def test_the_import_needs_the_people_entry(hass: HomeAssistant, folder: Path) -> None:
    """Without a People entry there is no roster to import into."""
    write_listing(folder, "1001,Ada,,,,\n", "1001")
    assert await async_setup_component(hass, DOMAIN, {})  # the services, no People entry

    with pytest.raises(ServiceValidationError) as err:
        await _import(hass, folder=str(folder))

    assert err.value.translation_key == "people_entry_missing"


async def test_imported_people_reach_the_chosen_terminal(
    hass: HomeAssistant,
    mqtt_connected: None,
    terminal: FaceTerminalSimulator,  # noqa: F811
    people: ConfigEntry,
    folder: Path,
) -> None:
    """Over the broker: the imported people are enrolled on the terminal named in the call."""
    terminal_id = await add_terminal(hass, terminal)
    write_listing(folder, "3001,Ada,,,,\n3002,Grace,,,,block\n", "3001", "3002")

    response = await _import(hass, folder=str(folder), terminals=[terminal_id])

    assert response["added"] == 2
    assert all(person.terminals == {terminal_id} for person in roster_people(hass))
    await wait_until(lambda: {"3001", "3002"} <= set(terminal.persons), within=30)
    assert terminal.persons["3002"]["name"] == "Grace"
