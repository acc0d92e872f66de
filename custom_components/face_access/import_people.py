"""The `face_access.import_people` service: people from a folder of photos and a CSV file.

The CSV file has a header row naming its columns, in the layout the vendors' batch tools use:
`person_id,name,card_number,valid_from,valid_until,list` (`person_id` and `name` required,
the others may be left out or empty). Each person's photo is `<person_id>.jpg`, `.jpeg` or
`.png` in the folder. Every good row becomes a person of the roster (a subentry of the
People entry), its photo normalised and kept as the add-person flow keeps it
(`people_entry.async_store_photo`); a person ID the roster already has is updated. The sync
then puts them on their terminals.

The response reports each row: `{"rows": [{"row": <line>, "person_id", "status": "added" |
"updated" | "failed", "reason": <translated text or None>}], "added", "updated", "failed"}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import csv
from dataclasses import dataclass
from datetime import datetime, time
import io
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigSubentry
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now
import voluptuous as vol

from .const import DOMAIN, SERVICE_IMPORT_PEOPLE
from .errors import async_translated
from .people_entry import MAX_SOURCE_PHOTO_BYTES, async_store_photo
from .person_flow import person_subentry_data
from .protocols.model import InvalidPhotoError, PersonList
from .roster import (
    CONF_CARD_NUMBER,
    CONF_NAME,
    CONF_PERSON_ID,
    CONF_PHOTO_SHA256,
    CONF_VALID_FROM,
    CONF_VALID_UNTIL,
    SUBENTRY_PERSON,
    people_entry,
)
from .sync import is_target

ATTR_FOLDER: Final = "folder"
ATTR_CSV: Final = "csv"
ATTR_TERMINALS: Final = "terminals"
DEFAULT_CSV: Final = "people.csv"
COLUMNS: Final = ("person_id", "name", "card_number", "valid_from", "valid_until", "list")
"""The columns the vendors' batch tools write, in their order."""
REQUIRED_COLUMNS: Final = ("person_id", "name")
PHOTO_SUFFIXES: Final = (".jpg", ".jpeg", ".png")
MAX_CSV_BYTES: Final = 5 * 1024 * 1024
"""A roster file larger than this is not one (a hundred thousand people fit in 5 MB)."""

IMPORT_PEOPLE_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_FOLDER): vol.All(cv.string, vol.Length(min=1)),
        vol.Optional(ATTR_CSV): vol.All(cv.string, vol.Length(min=1)),
        vol.Optional(ATTR_TERMINALS): vol.All(cv.ensure_list, [cv.string]),
    }
)


class RowError(Exception):
    """A row cannot be imported: `key` is its reason's translation key, with placeholders."""

    def __init__(self, key: str, **placeholders: str) -> None:
        """Keep the reason's translation key and placeholders."""
        super().__init__(key)
        self.key = key
        self.placeholders = placeholders


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of the CSV file: its line number and its cells by (lower-case) column."""

    line: int
    cells: dict[str, str]


def _validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated error about the caller's input."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def read_csv(path: Path) -> tuple[list[str], list[Row]]:
    """Read the CSV file (executor): its column names (lower case) and its data rows.

    Accepts UTF-8 with or without a byte-order mark (spreadsheet exports write one). Blank
    lines are skipped; `line` counts the file's lines, the header being line 1. Raises
    OSError, UnicodeDecodeError or csv.Error; ValueError for a file over MAX_CSV_BYTES.
    """
    with path.open("rb") as file:
        raw = file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise ValueError("the file is larger than 5 MB")
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    header: list[str] | None = None
    rows: list[Row] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            continue
        values = {
            column: (cells[index].strip() if index < len(cells) else "")
            for index, column in enumerate(header)
        }
        rows.append(Row(reader.line_num, values))
    return header or [], rows


def find_photo(folder: Path, person_id: str) -> bytes | None:
    """Return the photo `<person_id>.jpg|.jpeg|.png` in `folder` (executor), None if none.

    Raises OSError when it exists but cannot be read, InvalidPhotoError when it is larger
    than a portrait can be.
    """
    for suffix in PHOTO_SUFFIXES:
        for name in (f"{person_id}{suffix}", f"{person_id}{suffix.upper()}"):
            path = folder / name
            if path.is_file():
                with path.open("rb") as file:
                    data = file.read(MAX_SOURCE_PHOTO_BYTES + 1)
                if len(data) > MAX_SOURCE_PHOTO_BYTES:
                    raise InvalidPhotoError("photo is larger than 20 MB")
                return data
    return None


def _when(row: Row, column: str, *, end_of_day: bool) -> datetime | None:
    """Return a validity cell as naive device-local wall time, None when empty.

    A date alone means the start of that day (`valid_from`) or its end (`valid_until`).
    Raises RowError for a cell that is neither a date nor a date and time.
    """
    text = row.cells.get(column, "")
    if not text:
        return None
    if (day := dt_util.parse_date(text)) is not None:
        return datetime.combine(day, time(23, 59, 59) if end_of_day else time())
    parsed = dt_util.parse_datetime(text)
    if parsed is None:
        raise RowError("import_row_bad_date", field=column)
    if parsed.tzinfo is not None:
        parsed = dt_util.as_local(parsed)
    return parsed.replace(tzinfo=None)


def person_data(row: Row, terminals: list[str] | None) -> dict[str, Any]:
    """Return a person subentry's data from a row (its photo hash still to be added).

    Raises RowError for a missing ID or name, an ID that cannot name a file, a bad date
    or list.
    """
    person_id = row.cells.get("person_id", "")
    name = row.cells.get("name", "")
    for column, value in (("person_id", person_id), ("name", name)):
        if not value:
            raise RowError("import_row_missing", field=column)
    if "/" in person_id or "\\" in person_id or person_id.startswith("."):
        raise RowError("import_row_bad_person_id")
    listed = (row.cells.get("list") or PersonList.ALLOW.value).lower()
    if listed not in (PersonList.ALLOW.value, PersonList.BLOCK.value):
        raise RowError("import_row_bad_list")
    return person_subentry_data(
        person_id,
        name,
        PersonList(listed),
        terminals,
        card_number=row.cells.get("card_number"),
        valid_from=_when(row, "valid_from", end_of_day=False),
        valid_until=_when(row, "valid_until", end_of_day=True),
    )


@callback
def _people_entry(hass: HomeAssistant) -> ConfigEntry:
    """Return the loaded People entry, or raise: the import adds to its roster."""
    entry = people_entry(hass)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        raise _validation_error("people_entry_missing")
    return entry


@callback
def _check_terminals(hass: HomeAssistant, device_ids: list[str]) -> None:
    """Raise unless every device ID is a loaded terminal of this integration that enrolls."""
    registry = dr.async_get(hass)
    for device_id in device_ids:
        device = registry.async_get(device_id)
        entries = [
            entry
            for entry_id in (device.config_entries if device else ())
            if (entry := hass.config_entries.async_get_entry(entry_id)) is not None
            and entry.domain == DOMAIN
        ]
        if not any(is_target(entry) for entry in entries):
            raise _validation_error("import_unknown_terminal", device_id=device_id)


async def _async_import_people(call: ServiceCall) -> ServiceResponse:
    """Add or update a person of the roster for each good row of the CSV file."""
    hass = call.hass
    entry = _people_entry(hass)
    folder = Path(call.data[ATTR_FOLDER])
    csv_path = Path(call.data[ATTR_CSV]) if ATTR_CSV in call.data else folder / DEFAULT_CSV
    for path in (folder, csv_path):
        if not hass.config.is_allowed_path(str(path)):
            raise _validation_error("import_path_not_allowed", path=str(path))
    terminals: list[str] | None = call.data.get(ATTR_TERMINALS) or None
    if terminals is not None:
        _check_terminals(hass, terminals)
    try:
        header, rows = await hass.async_add_executor_job(read_csv, csv_path)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise _validation_error("import_csv_unreadable", reason=why) from err
    if not set(REQUIRED_COLUMNS) <= set(header):
        raise _validation_error("import_csv_header", columns=", ".join(header) or "-")

    report: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in rows:
        person_id = row.cells.get("person_id", "")
        duplicate = bool(person_id) and person_id in seen
        seen.add(person_id)
        try:
            status = await _async_import_row(
                hass, entry, folder, row, terminals, duplicate=duplicate
            )
        except RowError as err:
            reason: str | None = await async_translated(hass, err.key, err.placeholders)
            status = "failed"
        else:
            reason = None
        report.append({"row": row.line, "person_id": person_id, "status": status, "reason": reason})
    counts = {
        status: sum(1 for item in report if item["status"] == status)
        for status in ("added", "updated", "failed")
    }
    response: dict[str, Any] = {"rows": report, **counts}
    return response


@contextmanager
def _photo_errors() -> Iterator[None]:
    """Turn a photo that cannot be read or kept into the row's error."""
    try:
        yield
    except InvalidPhotoError as err:
        raise RowError("import_row_photo_invalid", reason=str(err)) from err
    except OSError as err:
        raise RowError("import_row_photo_invalid", reason=err.strerror or str(err)) from err


async def _async_import_row(
    hass: HomeAssistant,
    entry: ConfigEntry,
    folder: Path,
    row: Row,
    terminals: list[str] | None,
    *,
    duplicate: bool,
) -> str:
    """Add (or update) the person of one row; return `added` or `updated`, or raise RowError.

    `duplicate`: an earlier row has the same person ID (this one is refused).
    """
    data = person_data(row, terminals)
    if duplicate:
        raise RowError("import_row_duplicate")
    person_id = data[CONF_PERSON_ID]
    with _photo_errors():
        photo = await hass.async_add_executor_job(find_photo, folder, person_id)
    if photo is None:
        raise RowError("import_row_photo_missing")
    existing = next(
        (subentry for subentry in entry.subentries.values() if subentry.unique_id == person_id),
        None,
    )
    if existing is not None and existing.subentry_type != SUBENTRY_PERSON:
        raise RowError("import_row_taken")
    subentry_id = existing.subentry_id if existing is not None else ulid_now()
    with _photo_errors():
        data[CONF_PHOTO_SHA256] = await async_store_photo(hass, subentry_id, photo)
    if existing is not None:
        # What the file does not say (the linked Home Assistant person) is kept.
        kept = {
            key: value
            for key, value in existing.data.items()
            if key not in (CONF_CARD_NUMBER, CONF_VALID_FROM, CONF_VALID_UNTIL)
        }
        hass.config_entries.async_update_subentry(
            entry, existing, data={**kept, **data}, title=data[CONF_NAME]
        )
        return "updated"
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType(data),
            subentry_id=subentry_id,
            subentry_type=SUBENTRY_PERSON,
            title=data[CONF_NAME],
            unique_id=person_id,
        ),
    )
    return "added"


@callback
def async_setup_service(hass: HomeAssistant) -> None:
    """Register `face_access.import_people` (once, from `services.async_setup_services`)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_IMPORT_PEOPLE,
        _async_import_people,
        schema=IMPORT_PEOPLE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
