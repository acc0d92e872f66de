"""The people roster: who should be on which terminal, kept in the People entry's subentries.

The roster is one config entry of the integration (`CONF_KIND` = `KIND_PEOPLE`, at most one
per installation) whose config subentries of type `SUBENTRY_PERSON` are people. Each
person's normalised photo lives in `<config>/face_access/people/<subentry_id>.jpg`; the
subentry's data holds everything else (keys below). Syncing the roster to the terminals
(`sync.py`) reads it through `roster_people` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .protocols.model import PersonList

CONF_KIND: Final = "kind"
"""Config entry data key telling the People entry from device entries (which have none)."""
KIND_PEOPLE: Final = "people"
PEOPLE_UNIQUE_ID: Final = "people"
"""The People entry's unique ID: one roster per installation."""

SUBENTRY_PERSON: Final = "person"
# Keys of a person subentry's data (its unique_id is the person ID).
CONF_PERSON_ID: Final = "person_id"
CONF_NAME: Final = "name"
CONF_CARD_NUMBER: Final = "card_number"
CONF_VALID_FROM: Final = "valid_from"
"""ISO 8601, naive (device-local wall time), or absent."""
CONF_VALID_UNTIL: Final = "valid_until"
CONF_LIST: Final = "list"
"""`allow` or `block` (`PersonList`)."""
CONF_TERMINALS: Final = "terminals"
"""Home Assistant device IDs of the chosen terminals; absent or empty with `CONF_ALL_TERMINALS`."""
CONF_ALL_TERMINALS: Final = "all_terminals"
"""True: the person belongs on every terminal that can enroll, now and added later."""
CONF_HA_PERSON: Final = "ha_person"
"""Entity ID of the Home Assistant `person` this roster person is, or absent."""
CONF_PHOTO_SHA256: Final = "photo_sha256"
"""Hash of the kept photo: a changed photo changes the person (they are enrolled again)."""

PEOPLE_DIR: Final = f"{DOMAIN}/people"
"""Where photos are kept, under the configuration directory (readable by Home Assistant only)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterPerson:
    """One person of the roster, as its subentry says.

    `terminals` is None for "all terminals", else the chosen Home Assistant device IDs.
    `photo_path` is where the normalised JPEG is kept (it may be missing on disk while a
    flow is being completed); `photo_sha256` changes whenever the photo does.
    """

    subentry_id: str
    person_id: str
    name: str
    card_number: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    person_list: PersonList
    terminals: frozenset[str] | None
    ha_person: str | None
    photo_path: Path
    photo_sha256: str | None

    def wants(self, device_id: str) -> bool:
        """Tell whether this person belongs on the terminal with this HA device ID."""
        return self.terminals is None or device_id in self.terminals


@lru_cache(maxsize=8)
def _people_dir(config_dir: str) -> Path:
    """Return the photo store of a configuration directory (made once: asked for often)."""
    return Path(config_dir, PEOPLE_DIR)


def photo_path(hass: HomeAssistant, subentry_id: str) -> Path:
    """Return where the photo of the person in subentry `subentry_id` is kept."""
    return _people_dir(hass.config.config_dir) / f"{subentry_id}.jpg"


def _datetime(value: Any) -> datetime | None:
    """Parse an ISO 8601 value kept in a subentry (None for absent or unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    parsed = dt_util.parse_datetime(value)
    return None if parsed is None else parsed.replace(tzinfo=None)


def person_of(hass: HomeAssistant, subentry: ConfigSubentry) -> RosterPerson:
    """Return the roster person a person subentry describes."""
    data = subentry.data
    terminals = data.get(CONF_TERMINALS) or []
    return RosterPerson(
        subentry_id=subentry.subentry_id,
        person_id=str(data[CONF_PERSON_ID]),
        name=str(data[CONF_NAME]),
        card_number=data.get(CONF_CARD_NUMBER) or None,
        valid_from=_datetime(data.get(CONF_VALID_FROM)),
        valid_until=_datetime(data.get(CONF_VALID_UNTIL)),
        person_list=PersonList(data.get(CONF_LIST, PersonList.ALLOW.value)),
        terminals=None if data.get(CONF_ALL_TERMINALS) else frozenset(terminals),
        ha_person=data.get(CONF_HA_PERSON) or None,
        photo_path=photo_path(hass, subentry.subentry_id),
        photo_sha256=data.get(CONF_PHOTO_SHA256),
    )


@callback
def people_entry(hass: HomeAssistant) -> ConfigEntry | None:
    """Return the People entry, or None when the user has not added one."""
    return next(
        (
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_KIND) == KIND_PEOPLE
        ),
        None,
    )


@callback
def roster_people(hass: HomeAssistant) -> list[RosterPerson]:
    """Return everyone on the roster (empty without a People entry)."""
    if (entry := people_entry(hass)) is None:
        return []
    return [
        person_of(hass, subentry)
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_PERSON
    ]


@callback
def roster_person_by_id(hass: HomeAssistant, person_id: str) -> RosterPerson | None:
    """Return the roster person with this person ID (as terminals report it), or None.

    Looked up in the loaded People entry's index (a dict, cheap enough for every record);
    without one, in the subentries.
    """
    if (index := hass.data.get(ROSTER_INDEX)) is not None:
        return index.get(person_id)
    return next((p for p in roster_people(hass) if p.person_id == person_id), None)


class RosterIndex:
    """The roster of one People entry by person ID, for naming whom a terminal recognised.

    Rebuilt on the first look-up after the entry changed: adding or removing a subentry
    replaces `entry.subentries`, editing one sets `entry.modified_at`.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Index `entry` (the People entry); nothing is read until the first look-up."""
        self._hass = hass
        self._entry = entry
        self._source: object = None
        self._stamp: datetime | None = None
        self._by_id: dict[str, RosterPerson] = {}

    @callback
    def get(self, person_id: str) -> RosterPerson | None:
        """Return the roster person with this person ID, or None."""
        entry = self._entry
        if entry.subentries is not self._source or entry.modified_at != self._stamp:
            self._by_id = {
                person.person_id: person
                for subentry in entry.subentries.values()
                if subentry.subentry_type == SUBENTRY_PERSON
                for person in (person_of(self._hass, subentry),)
            }
            self._source, self._stamp = entry.subentries, entry.modified_at
        return self._by_id.get(person_id)


ROSTER_INDEX: HassKey[RosterIndex] = HassKey(f"{DOMAIN}_roster_index")
"""The loaded People entry's index (`people_entry` sets it while the entry is loaded)."""
