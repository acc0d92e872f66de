"""The People entry: the roster's config entry, its photo store and its index.

The People entry is no device: it has no client, no coordinator and no protocol. While it is
loaded, the roster's index (`roster.ROSTER_INDEX`) names the people terminals recognise, and
its update listener keeps the photo store (`<config>/face_access/people/`) in step with the
subentries: a new person's photo is moved in, a deleted person's photo removed.

Photos are stored once, normalised to the most generous limits of all protocols
(`PHOTO_LIMITS`), so that each terminal can shrink its own copy further; the directory is
readable by Home Assistant only (mode 0700, files 0600), because a returning or new terminal
needs the photo again, long after the person was added.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import os
from pathlib import Path
import shutil
import tempfile
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback

from . import sync
from .const import LOGGER
from .protocols import images
from .protocols.face_capture_http import PROFILE as FACE_CAPTURE_PROFILE
from .protocols.hfsecurity_mqtt.variants import PHOTO_LIMITS as HFSECURITY_PHOTO_LIMITS
from .protocols.model import InvalidPhotoError, PhotoLimits
from .protocols.temperature_http import PROFILE as TEMPERATURE_PROFILE
from .protocols.unv_lapi.codec import PHOTO_LIMITS as UNV_PHOTO_LIMITS
from .roster import (
    CONF_ALL_TERMINALS,
    CONF_KIND,
    CONF_PHOTO_SHA256,
    KIND_PEOPLE,
    PEOPLE_DIR,
    ROSTER_INDEX,
    SUBENTRY_PERSON,
    RosterIndex,
    photo_path,
)

PLATFORMS: list[Platform] = [Platform.SENSOR]
"""The People entry's platforms (sync16: the enrollment and progress sensors)."""

_PROTOCOL_PHOTO_LIMITS: Final = (
    HFSECURITY_PHOTO_LIMITS,
    FACE_CAPTURE_PROFILE.photo_limits,
    TEMPERATURE_PROFILE.photo_limits,
    UNV_PHOTO_LIMITS,
)
PHOTO_LIMITS: Final = PhotoLimits(
    max_bytes=max(limits.max_bytes for limits in _PROTOCOL_PHOTO_LIMITS),
    max_side=max(limits.max_side for limits in _PROTOCOL_PHOTO_LIMITS),
    min_bytes=max(limits.min_bytes for limits in _PROTOCOL_PHOTO_LIMITS),
)
"""What a kept photo meets: the largest of every protocol's limits (each device shrinks its
copy to its own when enrolling), and the largest of their smallest file sizes."""
MAX_SOURCE_PHOTO_BYTES: Final = 20 * 1024 * 1024
"""A source photo larger than this is not a portrait; it is refused before decoding."""
_STAGED_PREFIX: Final = "new_"
"""Name prefix of a photo staged by an add flow, until its subentry exists (then adopted)."""


@dataclass(slots=True)
class PeopleData:
    """Objects that live as long as the loaded People entry.

    `index` finds roster people by person ID; `subentry_ids` are the people it knew at the
    last change, so that the update listener knows whose photos to remove.
    """

    index: RosterIndex
    subentry_ids: frozenset[str]


type PeopleConfigEntry = ConfigEntry[PeopleData]


def is_people_entry(entry: ConfigEntry[Any]) -> bool:
    """Tell the People entry from device entries (which have a protocol, not a kind)."""
    return entry.data.get(CONF_KIND) == KIND_PEOPLE


# ---- set-up, unload, removal ---------------------------------------------------------------


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Set up the roster: its index, its photo store, then the sync and its entities.

    `entry` is the People entry (`is_people_entry`); its `runtime_data` becomes PeopleData.
    """
    index = RosterIndex(hass, entry)
    entry.runtime_data = PeopleData(index=index, subentry_ids=_person_ids(entry))
    hass.data[ROSTER_INDEX] = index
    entry.async_on_unload(lambda: _drop_index(hass, index))
    # Photos of people deleted while the entry was not loaded, and staged photos of people
    # added meanwhile, are put right before anything reads them.
    await async_tidy_photos(hass, entry, sweep=True)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    await _async_start_sync(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Unload the roster's entities and stop its sync."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await _async_stop_sync(hass, entry)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Remove every kept photo with the People entry (the people are gone with it)."""
    await sync.async_remove(hass, entry)
    await hass.async_add_executor_job(shutil.rmtree, Path(hass.config.path(PEOPLE_DIR)), True)


@callback
def _drop_index(hass: HomeAssistant, index: RosterIndex) -> None:
    """Forget the index when its entry unloads (unless another set-up replaced it)."""
    if hass.data.get(ROSTER_INDEX) is index:
        del hass.data[ROSTER_INDEX]


async def _async_entry_updated(hass: HomeAssistant, entry: PeopleConfigEntry) -> None:
    """Follow a change of the roster: photos first, so that the sync finds them in place."""
    await async_tidy_photos(hass, entry)
    await _async_roster_changed(hass, entry)


# ---- the sync (sync16) ---------------------------------------------------------------------
# sync16: the sync engine starts, stops and learns of roster changes here, and its
# platforms (Platform.SENSOR) go into PLATFORMS above.


async def _async_start_sync(hass: HomeAssistant, entry: PeopleConfigEntry) -> None:
    """Start putting the roster onto the terminals (set-up; before the platforms)."""
    await sync.async_setup(hass, entry)


async def _async_stop_sync(hass: HomeAssistant, entry: PeopleConfigEntry) -> None:
    """Stop the sync (unload; after the platforms)."""
    await sync.async_unload(hass, entry)


async def _async_roster_changed(hass: HomeAssistant, entry: PeopleConfigEntry) -> None:
    """Tell the sync that people were added, edited or removed (photos already in place)."""
    if (running := sync.get_sync(hass)) is not None:
        running.async_roster_changed()


# ---- the photo store -----------------------------------------------------------------------


def _person_ids(entry: ConfigEntry[Any]) -> frozenset[str]:
    """Return the subentry IDs of the entry's people."""
    return frozenset(
        subentry_id
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_PERSON
    )


def normalize_photo(source: bytes) -> bytes:
    """Return a photo (JPEG, PNG or BMP bytes) as the JPEG the roster keeps (`PHOTO_LIMITS`).

    CPU work: run it in the executor. Raises InvalidPhotoError (`protocols.images`) for a
    photo that cannot be decoded, is larger than MAX_SOURCE_PHOTO_BYTES, or is too small
    for a device to accept.
    """
    if len(source) > MAX_SOURCE_PHOTO_BYTES:
        raise InvalidPhotoError("photo is larger than 20 MB")
    return images.normalize_photo(source, PHOTO_LIMITS)


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` readable by Home Assistant only, replacing it in one step.

    The directory gets mode 0700 (also when it existed with wider rights) and the file
    0600 (`mkstemp`'s mode), so no other account on the host can read a face.
    """
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _store(source: bytes, path: Path) -> str:
    """Normalise a photo, keep it at `path`; return the sha256 of what is kept."""
    jpeg = normalize_photo(source)
    _write_private(path, jpeg)
    return hashlib.sha256(jpeg).hexdigest()


async def async_store_photo(hass: HomeAssistant, subentry_id: str, source: bytes) -> str:
    """Keep the photo of the person in subentry `subentry_id`; return its sha256.

    `source` is the photo as received (JPEG, PNG or BMP); what is kept is normalised once
    (`normalize_photo`) and replaces any earlier photo of the person. Store the returned
    hash in the subentry's data (`CONF_PHOTO_SHA256`). Raises InvalidPhotoError for a photo
    that cannot be used, OSError when the configuration directory cannot be written.
    """
    return await hass.async_add_executor_job(_store, source, photo_path(hass, subentry_id))


def _staged_path(hass: HomeAssistant, sha256: str) -> Path:
    """Return where an add flow keeps the photo of a person whose subentry is not made yet."""
    return Path(hass.config.path(PEOPLE_DIR)) / f"{_STAGED_PREFIX}{sha256}.jpg"


def _stage(hass: HomeAssistant, source: bytes) -> str:
    """Normalise a photo and keep it staged under its hash; return the hash."""
    jpeg = normalize_photo(source)
    sha256 = hashlib.sha256(jpeg).hexdigest()
    _write_private(_staged_path(hass, sha256), jpeg)
    return sha256


async def async_stage_photo(hass: HomeAssistant, source: bytes) -> str:
    """Keep the photo of a person being added; return its sha256 (`CONF_PHOTO_SHA256`).

    A subentry's ID is known only once the flow has made it, so the photo waits under its
    hash until the People entry's update listener (or its next set-up) moves it to
    `roster.photo_path`. Raises like `async_store_photo`.
    """
    return await hass.async_add_executor_job(_stage, hass, source)


@dataclass(frozen=True, slots=True)
class _Tidy:
    """What one tidying of the photo store does, worked out on the event loop."""

    directory: Path
    adopt: tuple[tuple[Path, tuple[Path, ...]], ...]
    """Each person's photo path, and where the same photo may be found if it is missing:
    the staged copy, then the kept photos of people with the same photo hash."""
    taken: frozenset[Path]
    """Staged photos a person has (removed once every such person's photo is in place)."""
    remove: frozenset[Path]
    """Photos of people no longer in the roster."""
    keep_staged: bool
    """An add flow may still need a staged photo: leave the ones nobody took."""
    sweep: bool
    """Remove every photo of nobody in the roster (set-up), not only the ones in `remove`."""
    known: frozenset[Path]
    """Every person's photo (looked at only with `sweep`)."""


def _run_tidy(plan: _Tidy) -> None:
    """Move staged photos in and remove photos of nobody (executor)."""
    if not plan.directory.is_dir():
        return
    for target, sources in plan.adopt:
        if target.exists():
            continue
        if source := next((path for path in sources if path.is_file()), None):
            _write_private(target, source.read_bytes())
    for path in plan.remove:
        path.unlink(missing_ok=True)
    # Without a sweep only staged photos can be unused: the others are not looked at.
    for path in plan.directory.glob("*.jpg" if plan.sweep else f"{_STAGED_PREFIX}*.jpg"):
        if path.name.startswith(_STAGED_PREFIX):
            unused = path in plan.taken or not plan.keep_staged
        else:
            unused = plan.sweep and path not in plan.known
        if unused:
            path.unlink(missing_ok=True)


async def async_tidy_photos(
    hass: HomeAssistant, entry: PeopleConfigEntry, *, sweep: bool = False
) -> None:
    """Put the photo store in step with the People entry's subentries.

    Staged photos of people added since the last call are moved to their place; photos of
    people deleted since then are removed. With `sweep` (set-up) every person counts as
    added, and every photo no person has is removed. Staged photos nobody took are removed
    unless a person flow is still open.
    """
    people = {
        subentry_id: subentry
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_PERSON
    }
    previous = entry.runtime_data.subentry_ids
    entry.runtime_data.subentry_ids = frozenset(people)
    # Only new people can lack their photo (an edit writes it in place), so only theirs
    # are looked for: an import of hundreds does not check every photo at every row.
    added = people.keys() if sweep else people.keys() - previous
    wanted = {
        str(sha256)
        for subentry_id in added
        if (sha256 := people[subentry_id].data.get(CONF_PHOTO_SHA256))
    }
    by_hash: dict[str, list[str]] = {}
    for subentry_id, subentry in people.items():
        if (sha256 := subentry.data.get(CONF_PHOTO_SHA256)) and str(sha256) in wanted:
            by_hash.setdefault(str(sha256), []).append(subentry_id)
    plan = _Tidy(
        directory=Path(hass.config.path(PEOPLE_DIR)),
        adopt=tuple(
            (
                photo_path(hass, subentry_id),
                (
                    _staged_path(hass, sha256),
                    *(photo_path(hass, other) for other in same if other != subentry_id),
                ),
            )
            for sha256, same in by_hash.items()
            for subentry_id in same
            if subentry_id in added
        ),
        taken=frozenset(_staged_path(hass, sha256) for sha256 in by_hash),
        remove=frozenset(photo_path(hass, gone) for gone in previous - people.keys()),
        keep_staged=_person_flows_open(hass, entry.entry_id),
        sweep=sweep,
        known=(
            frozenset(photo_path(hass, subentry_id) for subentry_id in people)
            if sweep
            else frozenset()
        ),
    )
    try:
        await hass.async_add_executor_job(_run_tidy, plan)
    except OSError as err:
        LOGGER.warning("Could not tidy the people's photos in %s: %s", plan.directory, err)


@callback
def _person_flows_open(hass: HomeAssistant, entry_id: str) -> bool:
    """Tell whether a person flow of the entry is open (it may have staged a photo)."""
    return bool(
        hass.config_entries.subentries.async_progress_by_handler((entry_id, SUBENTRY_PERSON))
    )


@callback
def async_diagnostics(entry: ConfigEntry[Any]) -> dict[str, Any]:
    """Return the People entry's diagnostics: counts only, never a name, an ID or a photo."""
    people = [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_PERSON]
    return {
        "kind": KIND_PEOPLE,
        "people": len(people),
        "people_on_all_terminals": sum(1 for s in people if s.data.get(CONF_ALL_TERMINALS)),
        "people_with_photo": sum(1 for s in people if s.data.get(CONF_PHOTO_SHA256)),
    }
