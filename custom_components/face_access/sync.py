"""Roster sync: put the People entry's people onto the terminals, and keep them there.

A `RosterSync` lives as long as the People entry is loaded. Its targets are the loaded device
entries whose protocol can enroll (`Capability.ENROLL`); a person belongs on a target when
`RosterPerson.wants(<the target's Home Assistant device ID>)`.

Reconciling one target lists the people on it (a rerun right after a clean run of the same
target, as an import causes after each batch, starts from what that run left there instead),
enrolls the roster people it lacks or whose data changed since the roster enrolled them, and
deletes the people the roster added there earlier and no longer wants there. People the
roster does not know are deleted only when the target's option `roster_owns_list` is on;
nothing else on a device is ever deleted.

What the roster put on each device is kept in a ledger (`Store` `face_access.people_sync`):
per device and person ID the hash of what was enrolled, the outcome (`enrolled`, `pending`,
`failed` with a translation key and placeholders) and when. Devices with work left are kept
in the same store (`dirty`) and reconciled again after a restart. The ledger's records and
the statuses they give are in `sync_model.py`.

Targets are reconciled one at a time per protocol (one semaphore per protocol key); people go
through `batch_enroll.async_enroll_many`: in batches of up to BATCH_PEOPLE on a device with a
batch operation, else one by one, each client pacing its own commands. A target that does not answer
(`DeviceTimeoutError`, of which `DeviceUnreachableError` is a kind) is tried again after
30 s, doubling up to 30 min, and at once when its coordinator sees it come online.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .batch_enroll import async_enroll_many
from .const import CONF_ROSTER_OWNS_LIST, DOMAIN, LOGGER, SIGNAL_DEVICE_LOADED
from .coordinator import FaceAccessConfigEntry
from .protocols.client import BatchEnrollClient, capable
from .protocols.model import (
    Capability,
    CommandResult,
    DeviceRefusedError,
    DeviceTimeoutError,
    FaceAccessError,
    InvalidPhotoError,
    InvalidRequestError,
)
from .roster import CONF_KIND, SUBENTRY_PERSON, RosterPerson, people_entry, person_of
from .roster_photos import enrollment_of, photo_or_error, read_photos_of
from .sync_model import (
    EnrollmentState,
    LedgerRecord,
    Progress,
    Reason,
    SyncStatus,
    TerminalStatus,
    classify,
    person_hash,
)

STORAGE_KEY: Final = f"{DOMAIN}.people_sync"
STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 5
"""Seconds a ledger change waits before it is written (changes come in runs)."""
RETRY_FIRST: Final = 30.0
RETRY_MAX: Final = 1800.0
"""Back-off of an unreachable device: 30 s, doubling up to 30 min."""
BATCH_PEOPLE: Final = 200
"""People per `async_enroll_many` call on a device with a batch operation: one batch each,
and no more photos in memory at once."""
NO_OUTCOME: Final = DeviceRefusedError("the device reported nothing for this person")
PHOTO_JOBS: Final = 2
"""Executor jobs that prepare a chunk's photos side by side (decoding frees the GIL)."""

ISSUE_NOT_ENROLLED: Final = "person_not_enrolled"
"""Repair issue (one per person, id `person_not_enrolled_<subentry id>`)."""

SYNC_KEY: HassKey[RosterSync] = HassKey(f"{DOMAIN}_roster_sync")
PERSON_DEVICE: Final = "person_{subentry_id}"
"""The identifier (in the `face_access` domain) of a person's device (people_sensor.py)."""


@dataclass(slots=True)
class _Target:
    """The sync's state of one device entry."""

    entry_id: str
    device_id: str | None = None
    task: asyncio.Task[None] | None = None
    again: bool = False
    retry: CALLBACK_TYPE | None = None
    backoff: float = 0.0
    online: bool | None = None
    unsubscribe: CALLBACK_TYPE | None = None
    retrying: bool = False
    """True when the back-off timer started the current run."""
    relist: bool = False
    """The device (re)loaded or came online: its people are listed again, whatever ran."""
    ahead: dict[str, tuple[str, asyncio.Future[bytes | FaceAccessError | OSError]]] = field(
        default_factory=dict
    )
    """Photos read ahead for the rerun, by subentry ID: (`person_hash`, the executor job)."""


def is_target(entry: ConfigEntry) -> bool:
    """Tell whether a config entry is a loaded device that can enroll people.

    One finishing its set-up counts: it announces itself (`SIGNAL_DEVICE_LOADED`) at the
    end of its set-up, before Home Assistant marks it loaded.
    """
    if entry.data.get(CONF_KIND) is not None or entry.state not in (
        ConfigEntryState.LOADED,
        ConfigEntryState.SETUP_IN_PROGRESS,
    ):
        return False
    data = getattr(entry, "runtime_data", None)
    client = getattr(data, "client", None)
    return client is not None and Capability.ENROLL in client.profile.capabilities


@callback
def device_id_of(hass: HomeAssistant, entry: ConfigEntry) -> str | None:
    """Return the Home Assistant device ID of a device entry (None before it has one)."""
    registry = dr.async_get(hass)
    return next(
        (
            device.id
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
            if (DOMAIN, entry.unique_id) in device.identifiers
        ),
        None,
    )


class RosterSync:
    """Keeps every enrolling terminal's people in line with the roster.

    Owned by the People entry: `async_start` after its set-up, `async_stop` at its unload.
    Sensors read `person_status`, `terminal_statuses`, `last_sync` and `progress`, and are
    told of changes through `async_add_listener`; new people through
    `async_add_person_listener`.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Prepare the sync of the People entry `entry`; nothing runs before `async_start`."""
        self.hass = hass
        self.entry = entry
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self._ledger: dict[str, dict[str, LedgerRecord]] = {}
        self._dirty: set[str] = set()
        self._targets: dict[str, _Target] = {}
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._listeners: dict[str | None, list[CALLBACK_TYPE]] = {}
        self._person_listeners: list[Callable[[list[str]], None]] = []
        self._people: dict[str, RosterPerson] = {}
        self._known: dict[str, tuple[Mapping[str, Any], RosterPerson, str]] = {}
        self._translations: dict[str, str] = {}
        self._unsubscribers: list[CALLBACK_TYPE] = []
        self.progress = Progress()

    # ---- life cycle ---------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load the ledger, watch the devices and the roster, and reconcile every target."""
        saved = await self._store.async_load() or {}
        self._ledger = {
            device_id: dict(people)
            for device_id, people in (saved.get("devices") or {}).items()
            if isinstance(people, dict)
        }
        self._dirty = {str(device_id) for device_id in saved.get("dirty") or []}
        self._translations = await async_get_translations(
            self.hass, self.hass.config.language, "exceptions", [DOMAIN]
        )
        self._forget_removed_devices()
        self._people = self._roster()
        self._unsubscribers.append(
            async_dispatcher_connect(self.hass, SIGNAL_DEVICE_LOADED, self._device_loaded)
        )
        for entry in self.hass.config_entries.async_entries(DOMAIN):
            self._device_loaded(entry.entry_id)
        self._update_issues()

    async def async_stop(self) -> None:
        """Stop every run and timer and write the ledger (unfinished work stays dirty)."""
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
        tasks = []
        for target in self._targets.values():
            if target.retry is not None:
                target.retry()
                target.retry = None
            if target.unsubscribe is not None:
                target.unsubscribe()
                target.unsubscribe = None
            if target.task is not None and not target.task.done():
                target.task.cancel()
                tasks.append(target.task)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._targets.clear()
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        """Return what the store keeps."""
        return {"devices": self._ledger, "dirty": sorted(self._dirty)}

    def _save(self) -> None:
        """Write the ledger soon (changes come in runs)."""
        self._store.async_delay_save(self._data, SAVE_DELAY)

    @callback
    def _forget_removed_devices(self) -> None:
        """Drop the ledger of devices that are no longer in the device registry."""
        registry = dr.async_get(self.hass)
        for device_id in [d for d in self._ledger if registry.async_get(d) is None]:
            del self._ledger[device_id]
            self._dirty.discard(device_id)

    # ---- the roster ---------------------------------------------------------------------

    def _person(self, subentry: ConfigSubentry) -> RosterPerson:
        """Return the roster person of a person subentry, made again only when it changed.

        Home Assistant gives a changed subentry a new `data` mapping: its identity tells
        (sensors and runs ask for every person often; making one is not free).
        """
        known = self._known.get(subentry.subentry_id)
        if known is not None and known[0] is subentry.data:
            return known[1]
        person = person_of(self.hass, subentry)
        self._known[subentry.subentry_id] = (subentry.data, person, person_hash(person))
        return person

    def _hash(self, person: RosterPerson) -> str:
        """Return `person_hash(person)`, computed once per version of the person."""
        known = self._known.get(person.subentry_id)
        if known is not None and known[1] is person:
            return known[2]
        return person_hash(person)

    def _roster(self) -> dict[str, RosterPerson]:
        """Return everyone on the roster by subentry ID (empty without a People entry)."""
        if (entry := people_entry(self.hass)) is None:
            return {}
        return {
            subentry_id: self._person(subentry)
            for subentry_id, subentry in entry.subentries.items()
            if subentry.subentry_type == SUBENTRY_PERSON
        }

    # ---- listeners (sensors) ------------------------------------------------------------

    @callback
    def async_add_listener(
        self, listener: CALLBACK_TYPE, subentry_id: str | None = None
    ) -> CALLBACK_TYPE:
        """Call `listener` on changes; return the remover.

        With `subentry_id`: whenever that person's status may have changed; without:
        whenever the progress changes.
        """
        listeners = self._listeners.setdefault(subentry_id, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_person_listener(self, listener: Callable[[list[str]], None]) -> CALLBACK_TYPE:
        """Call `listener` with the subentry IDs of people added to the roster."""
        self._person_listeners.append(listener)
        return lambda: self._person_listeners.remove(listener)

    def _notify(self, subentry_id: str | None = None) -> None:
        """Tell the sensors what changed: one person and the progress, or everything.

        Everything (no `subentry_id`) also raises or clears the repair issues.
        """
        if subentry_id is None:
            self._update_issues()
            chosen = [listener for group in self._listeners.values() for listener in group]
        else:
            chosen = [*self._listeners.get(subentry_id, []), *self._listeners.get(None, [])]
        for listener in chosen:
            listener()

    def _notify_people(self, subentry_ids: Iterable[str], *, issues: bool = True) -> None:
        """Tell the sensors of these people and the progress, and update their repair issues.

        What one roster change does: the other people's statuses did not change with it.
        `issues=False` leaves the repair issues for later.
        """
        subentry_ids = list(subentry_ids)
        if issues:
            self._update_issues(subentry_ids)
        chosen = [
            listener
            for subentry_id in (*subentry_ids, None)
            for listener in self._listeners.get(subentry_id, ())
        ]
        for listener in chosen:
            listener()

    # ---- triggers -----------------------------------------------------------------------

    @callback
    def _device_loaded(self, entry_id: str) -> None:
        """Watch a device entry that was (re)loaded and reconcile it if it is a target."""
        entry = self.hass.config_entries.async_get_entry(entry_id)
        if entry is None or not is_target(entry):
            return
        device_entry: FaceAccessConfigEntry = entry
        target = self._targets.setdefault(entry_id, _Target(entry_id))
        target.device_id = device_id_of(self.hass, entry)
        if target.unsubscribe is not None:
            target.unsubscribe()
        coordinator = device_entry.runtime_data.coordinator
        target.online = coordinator.data.online

        @callback
        def _coordinator_updated() -> None:
            online = coordinator.data.online
            came_online = online and target.online is False
            target.online = online
            if came_online and entry_id in self._targets:
                LOGGER.debug("%s came online: reconciling its people", entry.title)
                target.relist = True
                self.request(entry_id)

        target.unsubscribe = coordinator.async_add_listener(_coordinator_updated)
        target.relist = True
        self.request(entry_id)

    @callback
    def async_roster_changed(self) -> None:
        """Reconcile the terminals of every person added, changed or removed.

        Called by the People entry's update listener once the photos are in place.
        """
        hass = self.hass
        old = self._people
        new = self._roster()
        self._people = new
        changed = [
            sid
            for sid in old.keys() | new.keys()
            if sid not in old
            or sid not in new
            or (old[sid] is not new[sid] and old[sid] != new[sid])
        ]
        for sid in old.keys() - new.keys():
            ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_NOT_ENROLLED}_{sid}")
            self._known.pop(sid, None)
        if added := [sid for sid in new if sid not in old]:
            for person_listener in list(self._person_listeners):
                person_listener(added)
        self._rename_person_devices()
        if not changed:
            return
        for target in list(self._targets.values()):
            device_id = target.device_id
            if device_id is None:
                continue
            if any(
                (sid in old and old[sid].wants(device_id))
                or (sid in new and new[sid].wants(device_id))
                for sid in changed
            ):
                self.request(target.entry_id)
                if target.again:
                    self._read_ahead(target, [new[s] for s in changed if s in new])
        self._notify_people(sid for sid in changed if sid in new)

    @callback
    def _read_ahead(self, target: _Target, people: list[RosterPerson]) -> None:
        """Start reading the photos the rerun of a running batch device will send.

        An import adds people while the device works on a batch: their photos are ready
        when it answers, instead of keeping it idle. At most BATCH_PEOPLE per device.
        """
        device_id = target.device_id
        entry = self.hass.config_entries.async_get_entry(target.entry_id)
        if device_id is None or entry is None or not is_target(entry):
            return
        client = entry.runtime_data.client
        if Capability.BATCH_ENROLL not in client.profile.capabilities:
            return
        limits = client.profile.photo_limits
        for person in people:
            if len(target.ahead) >= BATCH_PEOPLE:
                break
            if person.wants(device_id):
                target.ahead[person.subentry_id] = (
                    self._hash(person),
                    self.hass.async_add_executor_job(photo_or_error, person, limits),
                )

    @callback
    def _rename_person_devices(self) -> None:
        """Give each person's device the person's current name (the subentry's title)."""
        registry = dr.async_get(self.hass)
        titles = {
            (DOMAIN, PERSON_DEVICE.format(subentry_id=sid)): subentry.title
            for sid, subentry in self.entry.subentries.items()
        }
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            title = next((titles[i] for i in device.identifiers if i in titles), None)
            if title is not None and device.name != title:
                registry.async_update_device(device.id, name=title)

    @callback
    def request(self, entry_id: str, *, retrying: bool = False) -> None:
        """Reconcile a target now (after the run under way, if there is one).

        `retrying`: the back-off timer asks (a failure then doubles the delay).
        """
        target = self._targets.get(entry_id)
        if target is None:
            return
        target.retrying = retrying
        if target.device_id is not None:
            self._dirty.add(target.device_id)
            self._save()
        if target.retry is not None:
            target.retry()
            target.retry = None
        if target.online is False:
            # Asking a device known to be offline would only wait out its timeout: the work
            # stays marked and runs when the coordinator sees the device come back.
            return
        if target.task is not None and not target.task.done():
            target.again = True
            return
        target.task = self.entry.async_create_background_task(
            self.hass, self._async_run(target), f"face_access roster sync {entry_id}"
        )

    @callback
    def _retry_later(self, target: _Target) -> None:
        """Try a target again after the back-off: 30 s, doubling at each failed retry to 30 min.

        A run that someone asked for (a roster change, the device loaded) and failed keeps
        the current delay: only the retries themselves back off.
        """
        if not target.backoff:
            target.backoff = RETRY_FIRST
        elif target.retrying:
            target.backoff = min(RETRY_MAX, target.backoff * 2)
        if target.retry is not None:
            target.retry()

        @callback
        def _retry(_now: datetime) -> None:
            target.retry = None
            self.request(target.entry_id, retrying=True)

        target.retry = async_call_later(
            self.hass, target.backoff, HassJob(_retry, cancel_on_shutdown=True)
        )

    # ---- reconciling --------------------------------------------------------------------

    def _semaphore(self, protocol: str) -> asyncio.Semaphore:
        """Return the semaphore that lets one device of a protocol reconcile at a time."""
        return self._semaphores.setdefault(protocol, asyncio.Semaphore(1))

    async def _async_run(self, target: _Target) -> None:
        """Reconcile a target until no new request came in meanwhile."""
        listed: set[str] | None = None
        try:
            while True:
                target.again = False
                entry = self.hass.config_entries.async_get_entry(target.entry_id)
                if entry is None or not is_target(entry):
                    self._notify()
                    return
                device_entry: FaceAccessConfigEntry = entry
                if target.relist:
                    target.relist = False
                    listed = None
                async with self._semaphore(device_entry.runtime_data.protocol.value):
                    listed = await self._async_reconcile(device_entry, target, listed)
                if not target.again:
                    break
        finally:
            target.ahead.clear()
        if not any(t.task is not None and not t.task.done() for t in self._others(target)):
            self.progress = Progress()
            self._notify()

    def _others(self, target: _Target) -> list[_Target]:
        """Return every target but `target`."""
        return [t for t in self._targets.values() if t is not target]

    async def _async_reconcile(
        self, entry: FaceAccessConfigEntry, target: _Target, listed: set[str] | None
    ) -> set[str] | None:
        """Bring one device in line with the roster; on silence, retry later.

        `listed`: the person IDs on the device as the run just before this one left them,
        or None to list them. Returns them as this run leaves them, None when the run did
        not end cleanly (the next one lists them again).
        """
        if target.device_id is None:
            target.device_id = device_id_of(self.hass, entry)
            if target.device_id is None:
                return None
        device_id = target.device_id
        self._dirty.add(device_id)
        client = entry.runtime_data.client
        ledger = self._ledger.setdefault(device_id, {})
        wanted = {
            person.person_id: person
            for person in self._roster().values()
            if person.wants(device_id)
        }
        try:
            # A run right after a clean one of the same device knows what that one left
            # there: during an import it reruns after every batch, and a listing of
            # hundreds would keep the device idle. Changes behind our back are found at
            # the next (re)load or return online, which list again.
            on_device = (
                set(listed)
                if listed is not None
                else {person.person_id for person in await client.list_people()}
            )
        except DeviceTimeoutError as err:
            LOGGER.info("%s cannot take the roster now (%s); trying again later", entry.title, err)
            self._retry_later(target)
            self._notify()
            return None
        except FaceAccessError as err:
            LOGGER.warning("%s did not list its people: %s", entry.title, err)
            self._retry_later(target)
            self._notify()
            return None
        after = set(on_device)
        owns = bool(entry.options.get(CONF_ROSTER_OWNS_LIST, False))
        deletions = sorted(
            person_id
            for person_id in on_device
            if person_id not in wanted and (person_id in ledger or owns)
        )
        for person_id in [p for p in ledger if p not in wanted and p not in on_device]:
            del ledger[person_id]
        enrollments: list[RosterPerson] = []
        confirmed: list[str] = []
        for person_id, person in wanted.items():
            record = ledger.get(person_id)
            if record is not None and record["hash"] == self._hash(person):
                if record["status"] == SyncStatus.FAILED:
                    continue  # the same data would be refused again; an edit retries
                if person_id in on_device:
                    if record["status"] != SyncStatus.ENROLLED:
                        ledger[person_id] = self._record(person, SyncStatus.ENROLLED)
                        confirmed.append(person.subentry_id)
                    continue
            enrollments.append(person)
        self.progress.total += len(deletions) + len(enrollments)
        self.progress.terminal = entry.title
        # Only these people's statuses changed (the rest at each step, all at the end).
        self._notify_people(confirmed)
        unconfirmed = False
        try:
            for person_id in deletions:
                if await self._async_delete(entry, person_id):
                    after.discard(person_id)
                removed = ledger.pop(person_id, None)
                self._step(None if removed is None else removed["subentry_id"])
            client = entry.runtime_data.client
            # A device with a batch operation gets BATCH_PEOPLE at a time (their photos in
            # memory together); any other one person at a time, as it paces itself anyway.
            size = (
                BATCH_PEOPLE
                if capable(client, BatchEnrollClient, Capability.BATCH_ENROLL) is not None
                else 1
            )
            for start in range(0, len(enrollments), size):
                chunk = enrollments[start : start + size]
                photos = await self._async_photos(entry, target, chunk)
                outcomes = await async_enroll_many(
                    self.hass,
                    entry,
                    [
                        enrollment_of(person, photo)
                        for person, photo in zip(chunk, photos, strict=True)
                        if isinstance(photo, bytes)
                    ],
                )
                stepped: list[str] = []
                for person, photo in zip(chunk, photos, strict=True):
                    outcome = (
                        outcomes.get(person.person_id, NO_OUTCOME)
                        if isinstance(photo, bytes)
                        else photo
                    )
                    sent = isinstance(photo, bytes)
                    if self._note_enrollment(entry, ledger, person, outcome, sent=sent):
                        unconfirmed = True
                    if ledger[person.person_id]["status"] == SyncStatus.ENROLLED:
                        after.add(person.person_id)
                    self.progress.done += 1
                    stepped.append(person.subentry_id)
                # Once per chunk: its people and the progress (issues wait for the run's end).
                self._notify_people(stepped, issues=False)
        except DeviceTimeoutError as err:
            LOGGER.info("%s stopped answering (%s); trying again later", entry.title, err)
            self._retry_later(target)
            self._save()
            self._notify()
            return None
        target.backoff = 0.0
        if unconfirmed:
            # Queued by a device that confirms later: look again once it had the time.
            self._retry_later(target)
        elif not target.again:
            self._dirty.discard(device_id)
        self._save()
        if not target.again:
            self._notify()  # a rerun follows at once: it tells everyone at its end
        return None if unconfirmed else after

    def _step(self, subentry_id: str | None) -> None:
        """Count one people command of the run as done (issues wait for the run's end)."""
        self.progress.done += 1
        if subentry_id is None:
            subentry_id = ""  # the progress alone: nobody listens to the empty ID
        self._notify(subentry_id)

    async def _async_delete(self, entry: FaceAccessConfigEntry, person_id: str) -> bool:
        """Delete one person from a device; return False on a refusal, which is logged.

        Raises DeviceTimeoutError (silence propagates).
        """
        try:
            await entry.runtime_data.client.delete([person_id])
        except DeviceTimeoutError:
            raise
        except FaceAccessError as err:
            LOGGER.warning("%s did not delete a person of the roster: %s", entry.title, err)
            return False
        return True

    async def _async_photos(
        self, entry: FaceAccessConfigEntry, target: _Target, people: list[RosterPerson]
    ) -> list[bytes | FaceAccessError | OSError]:
        """Return each person's photo normalised for the device, or why there is none.

        Per chunk, just before it is sent (a run of hundreds keeps one chunk's photos in
        memory): the ones read ahead (`_read_ahead`) of the person's current data, the
        others in up to PHOTO_JOBS executor jobs rather than one per photo.
        """
        ready: dict[str, asyncio.Future[bytes | FaceAccessError | OSError]] = {}
        for person in people:
            ahead = target.ahead.pop(person.subentry_id, None)
            if ahead is not None and ahead[0] == self._hash(person):
                ready[person.subentry_id] = ahead[1]
        left = [person for person in people if person.subentry_id not in ready]
        limits = entry.runtime_data.client.profile.photo_limits
        share = max(1, -(-len(left) // PHOTO_JOBS))
        parts = await asyncio.gather(
            *(
                self.hass.async_add_executor_job(
                    read_photos_of, left[start : start + share], limits
                )
                for start in range(0, len(left), share)
            )
        )
        read = iter(photo for part in parts for photo in part)
        return [
            await ready[person.subentry_id] if person.subentry_id in ready else next(read)
            for person in people
        ]

    def _note_enrollment(
        self,
        entry: FaceAccessConfigEntry,
        ledger: dict[str, LedgerRecord],
        person: RosterPerson,
        outcome: CommandResult | FaceAccessError | OSError,
        *,
        sent: bool,
    ) -> bool:
        """Note how one person's enrolment ended; return True when it is unconfirmed.

        `outcome` is `async_enroll_many`'s when the person was `sent`, else why the person
        had no photo to send.
        Raises DeviceTimeoutError (the device is gone: the caller retries later).
        """
        person_id = person.person_id
        if isinstance(outcome, OSError):
            ledger[person_id] = self._record(person, SyncStatus.FAILED, Reason.PHOTO_MISSING)
            return False
        if not sent and isinstance(outcome, FaceAccessError):
            ledger[person_id] = self._failure(person, outcome)  # a photo it could not use
            return False
        if isinstance(outcome, DeviceTimeoutError):
            raise outcome
        if isinstance(outcome, (DeviceRefusedError, InvalidRequestError, InvalidPhotoError)):
            LOGGER.warning("%s refused a person of the roster: %s", entry.title, outcome)
            ledger[person_id] = self._failure(person, outcome)
            return False
        if isinstance(outcome, FaceAccessError):
            LOGGER.warning("%s could not enroll a person of the roster: %s", entry.title, outcome)
            ledger[person_id] = self._failure(person, outcome)
            return False
        result = outcome
        status = SyncStatus.PENDING if result.pending else SyncStatus.ENROLLED
        ledger[person_id] = self._record(person, status)
        return result.pending

    def _failure(self, person: RosterPerson, err: FaceAccessError) -> LedgerRecord:
        """Return the ledger record of a refusal."""
        reason = err.reason if isinstance(err, DeviceRefusedError) else str(err)
        return self._record(person, SyncStatus.FAILED, classify(err), {"reason": reason})

    @staticmethod
    def _record(
        person: RosterPerson,
        status: SyncStatus,
        reason: Reason | None = None,
        placeholders: dict[str, str] | None = None,
    ) -> LedgerRecord:
        """Return a ledger record of an outcome now."""
        return LedgerRecord(
            subentry_id=person.subentry_id,
            hash=person_hash(person),
            status=status.value,
            time=dt_util.utcnow().isoformat(),
            reason=None if reason is None else reason.value,
            placeholders=placeholders,
        )

    # ---- what the sensors show ----------------------------------------------------------

    def reason_text(self, key: str, placeholders: Mapping[str, str] | None) -> str:
        """Return a reason translated to Home Assistant's language (the key if untranslated)."""
        template = self._translations.get(f"component.{DOMAIN}.exceptions.sync_{key}.message")
        if template is None:
            return key
        try:
            return template.format(**(placeholders or {}))
        except (KeyError, IndexError, ValueError):
            return template

    @callback
    def terminal_statuses(self, subentry_id: str) -> list[TerminalStatus]:
        """Return one person's status on each terminal they belong on.

        Chosen terminals that are not loaded (or not added yet) count as waiting.
        """
        entry = self.hass.config_entries.async_get_entry(self.entry.entry_id)
        subentry = None if entry is None else entry.subentries.get(subentry_id)
        if subentry is None:
            return []
        person = self._person(subentry)
        current = self._hash(person)
        registry = dr.async_get(self.hass)
        statuses: list[TerminalStatus] = []
        seen: set[str] = set()
        for target in self._targets.values():
            device_id = target.device_id
            if device_id is None or not person.wants(device_id):
                continue
            target_entry = self.hass.config_entries.async_get_entry(target.entry_id)
            if target_entry is None or not is_target(target_entry):
                continue  # removed or unloaded: counted below if chosen by name
            seen.add(device_id)
            device = registry.async_get(device_id)
            name = (device.name_by_user or device.name or device_id) if device else device_id
            statuses.append(self._status_on(name, device_id, person, current))
        for device_id in sorted((person.terminals or frozenset()) - seen):
            device = registry.async_get(device_id)
            name = (device.name_by_user or device.name or device_id) if device else device_id
            statuses.append(
                TerminalStatus(
                    name=name,
                    status=SyncStatus.PENDING,
                    reason=self.reason_text("waiting", None),
                    time=None,
                )
            )
        return statuses

    def _status_on(
        self, name: str, device_id: str, person: RosterPerson, current: str
    ) -> TerminalStatus:
        """Return a person's status on one loaded target."""
        record = self._ledger.get(device_id, {}).get(person.person_id)
        if record is None or record["hash"] != current:
            return TerminalStatus(name, SyncStatus.PENDING, self.reason_text("waiting", None), None)
        status = SyncStatus(record["status"])
        reason = None
        if status is SyncStatus.FAILED and record["reason"]:
            reason = self.reason_text(record["reason"], record["placeholders"])
        elif status is SyncStatus.PENDING:
            reason = self.reason_text("waiting", None)
        return TerminalStatus(name, status, reason, dt_util.parse_datetime(record["time"]))

    @callback
    def person_status(self, subentry_id: str) -> EnrollmentState | None:
        """Return a person's enrollment over their terminals; None when they have none."""
        statuses = [t.status for t in self.terminal_statuses(subentry_id)]
        if not statuses:
            return None
        if all(status is SyncStatus.FAILED for status in statuses):
            return EnrollmentState.FAILED
        if SyncStatus.FAILED in statuses:
            return EnrollmentState.PARTIAL
        if SyncStatus.PENDING in statuses:
            return EnrollmentState.PENDING
        return EnrollmentState.ENROLLED

    @callback
    def last_sync(self, subentry_id: str) -> datetime | None:
        """Return when a terminal last took (or refused) this person's current data."""
        times = [t.time for t in self.terminal_statuses(subentry_id) if t.time is not None]
        return max(times, default=None)

    def _update_issues(self, subentry_ids: Iterable[str] | None = None) -> None:
        """Raise a repair issue for each person no terminal takes; clear the others'.

        With `subentry_ids`, for these people only (the others' did not change).
        """
        entry = self.hass.config_entries.async_get_entry(self.entry.entry_id)
        if entry is None:
            return
        subentries = (
            entry.subentries.items()
            if subentry_ids is None
            else [
                (sid, subentry)
                for sid in subentry_ids
                if (subentry := entry.subentries.get(sid)) is not None
            ]
        )
        for subentry_id, subentry in subentries:
            issue_id = f"{ISSUE_NOT_ENROLLED}_{subentry_id}"
            statuses = self.terminal_statuses(subentry_id)
            if statuses and all(t.status is SyncStatus.FAILED for t in statuses):
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key=ISSUE_NOT_ENROLLED,
                    translation_placeholders={
                        "person": subentry.title,
                        "reasons": "; ".join(f"{t.name}: {t.reason}" for t in statuses if t.reason),
                    },
                )
            else:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)


async def async_setup(hass: HomeAssistant, entry: ConfigEntry) -> RosterSync:
    """Start the roster sync of the People entry `entry` (call from its set-up)."""
    sync = RosterSync(hass, entry)
    hass.data[SYNC_KEY] = sync
    await sync.async_start()
    return sync


async def async_unload(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Stop the roster sync of the People entry `entry` (call from its unload)."""
    if (sync := hass.data.pop(SYNC_KEY, None)) is not None:
        await sync.async_stop()


async def async_remove(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Forget the ledger and the people's repair issues (the People entry was removed)."""
    await Store[dict[str, Any]](hass, STORAGE_VERSION, STORAGE_KEY).async_remove()
    for subentry_id in entry.subentries:
        ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_NOT_ENROLLED}_{subentry_id}")


@callback
def get_sync(hass: HomeAssistant) -> RosterSync | None:
    """Return the running roster sync, None without a loaded People entry."""
    return hass.data.get(SYNC_KEY)
