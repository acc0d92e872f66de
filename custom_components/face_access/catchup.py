"""Catching up after an outage: the records a device kept while Home Assistant missed them.

Each device's coordinator keeps a `CatchUp`. It remembers, across restarts, the device-local
time of the newest record seen and the keys of the last records (so that copies the device
sends again are dropped after a restart too), and when the device comes back after being
offline, or Home Assistant starts with it reachable, it asks the device for the records of
the gap through the protocol's `CatchUpClient` (`Capability.CATCH_UP`): `ManualPushRecords`
and `ManualPushSaps` on the MQTT terminals, a re-send of unacknowledged records on the
tablet and the face-capture terminal, history pushes on UNV. The `face_access.fetch_records`
service does the same for a window the user names.

Replayed records take the coordinator's normal path: de-duplicated by key, their `access`
events fired with `historical: true`, state never rolled back to an older record. Records a
run receives are held until the run ends and then handled in time order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType
import voluptuous as vol

from .const import ATTR_DEVICE_ID, ATTR_END, ATTR_START, DOMAIN, LOGGER, SERVICE_FETCH_RECORDS
from .errors import translate
from .protocols.client import CatchUpClient, capable
from .protocols.model import AccessRecord, Capability, FaceAccessError, UnsupportedError

if TYPE_CHECKING:
    from .coordinator import FaceAccessConfigEntry

STORE_VERSION = 1
SAVE_DELAY = 10.0
"""Seconds between writes of the history: records arrive in bursts, one write covers many."""
KEPT_KEYS = 300
"""How many of the newest record keys are kept across restarts for de-duplication."""
QUIET_AFTER = 2.0
"""Seconds without a replayed record after which a device that re-pushes is done."""
MAX_WAIT = 30.0
"""Seconds at most that a run waits for a device's re-push after asking for it."""
_EARLIEST = datetime(1970, 1, 1)  # noqa: DTZ001 - device-local times are naive


def local_now() -> datetime:
    """Return now as the devices write time: Home Assistant's local time, naive."""
    return dt_util.now().replace(tzinfo=None)


def _local_naive(value: datetime) -> datetime:
    """Return a service time as device-local naive time (a naive one is local already)."""
    if value.tzinfo is None:
        return value
    return dt_util.as_local(value).replace(tzinfo=None)


def _parse_time(value: Any) -> datetime | None:
    """Return a saved naive ISO time, None for anything else (a damaged file)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


class CatchUp:
    """One device's record history and its catch-up runs.

    `handle` is the coordinator's record path: it applies one record and returns whether it
    was new (False for a copy of a record already seen). `recent_keys` returns the
    de-duplication window's keys, oldest first. `caught_up` counts the new historical
    records received since set-up (the diagnostics' `records_caught_up`).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FaceAccessConfigEntry,
        *,
        handle: Callable[[AccessRecord], bool],
        recent_keys: Callable[[], Sequence[str]],
    ) -> None:
        """Prepare the history of the entry's device; nothing is read until `async_load`."""
        self._hass = hass
        self._entry = entry
        self._handle = handle
        self._recent_keys = recent_keys
        self._store: Store[dict[str, Any]] = history_store(hass, entry.entry_id)
        self._newest: datetime | None = None
        self._loaded = False
        self._dirty = False
        self._save_pending = False
        self._skip_first_online = False
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._held: list[AccessRecord] = []
        self._window: tuple[datetime, datetime] | None = None
        self._arrived = asyncio.Event()
        self.caught_up = 0
        entry.async_on_unload(self._async_unload)

    @property
    def client(self) -> CatchUpClient | None:
        """Return the client as a CatchUpClient where its device can send past records."""
        return capable(self._entry.runtime_data.client, CatchUpClient, Capability.CATCH_UP)

    async def async_load(self, *, online: Callable[[], bool]) -> list[str]:
        """Read the saved history; return the saved record keys, oldest first.

        With the device `online()` already (asked once the file is read: it may come online
        meanwhile), the catch-up of the time Home Assistant was away starts now; otherwise
        it starts when the device first comes online. On the first set-up nothing was
        missed: the history starts now.
        """
        saved = await self._store.async_load()
        if not isinstance(saved, dict):
            saved = {}
        newest = _parse_time(saved.get("newest"))
        raw_keys = saved.get("keys")
        keys = (
            [key for key in raw_keys if isinstance(key, str)] if isinstance(raw_keys, list) else []
        )
        first = newest is None
        if newest is None:
            # Whole seconds: a record made in this second may carry just this second.
            newest = local_now().replace(microsecond=0)
            self._dirty = True
            self._schedule_save()
        start = newest
        if self._newest is None or self._newest < newest:
            self._newest = newest
        self._loaded = True
        if first:
            # Nothing was missed before the device was first seen.
            self._skip_first_online = not online()
        elif online():
            self._start(start)
        return keys

    @callback
    def note(self, time: datetime | None, *, historical: bool) -> None:
        """Take note of a new record: its device-local time (None: none usable) and kind."""
        if historical:
            self.caught_up += 1
        if time is not None and (self._newest is None or time > self._newest):
            self._newest = time
        self._dirty = True
        self._schedule_save()

    @callback
    def hold(self, record: AccessRecord) -> bool:
        """Keep a replayed record of a run under way for handling in time order.

        Returns False when no run is under way, or the record is live or outside the run's
        window (a device's own re-send of an older record): handle it now.
        """
        if self._window is None or not record.historical:
            return False
        if record.time is not None and not self._window[0] <= record.time <= self._window[1]:
            return False
        self._held.append(record)
        self._arrived.set()
        return True

    @callback
    def device_online(self) -> None:
        """Catch up on the gap since the newest record, in the background (device is back)."""
        if self._skip_first_online:
            self._skip_first_online = False
        elif self._loaded and self._newest is not None:
            self._start(self._newest)

    @callback
    def _start(self, start: datetime) -> None:
        """Start a background run from `start`, unless one is under way."""
        if self.client is None or (self._task is not None and not self._task.done()):
            return
        self._task = self._entry.async_create_background_task(
            self._hass, self._async_catch_up(start), "face_access catch-up"
        )

    async def _async_catch_up(self, start: datetime) -> None:
        """Ask for the records from `start` to now; a failure waits for the next reconnect."""
        try:
            count = await self.async_fetch(start)
        except FaceAccessError as err:
            LOGGER.info(
                "%s did not send the records it kept while away (tried again when it "
                "reconnects): %s",
                self._entry.title,
                err,
            )
            return
        if count:
            LOGGER.info("Caught up on %d records from %s", count, self._entry.title)

    async def async_fetch(self, start: datetime, end: datetime | None = None) -> int:
        """Ask the device for its records between `start` and `end` (device-local, naive).

        `end` None is now, when the run begins: a run under way (a `fetch_records` call,
        say) ends first. A device that re-pushes on its own is given until it has been
        quiet for `QUIET_AFTER` seconds (at most `MAX_WAIT`).
        Returns how many new records arrived (copies of records seen before do not count);
        raises the protocol's FaceAccessError (DeviceTimeoutError, DeviceRefusedError...)
        and UnsupportedError when the device cannot send past records.
        """
        if (client := self.client) is None:
            raise UnsupportedError("the device cannot send past records")
        async with self._lock:
            end = local_now() if end is None else end
            if start >= end:
                return 0
            self._held = []
            self._window = (start, end)
            self._arrived.clear()
            try:
                reported = await client.fetch_records(start, end)
                if reported is None:
                    await self._async_wait_quiet()
            finally:
                held, self._held, self._window = self._held, [], None
                count = self._handle_in_order(held)
        return count

    async def _async_wait_quiet(self) -> None:
        """Wait until no replayed record came for QUIET_AFTER seconds, MAX_WAIT at most."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_WAIT
        while (remaining := deadline - loop.time()) > 0:
            self._arrived.clear()
            try:
                async with asyncio.timeout(min(QUIET_AFTER, remaining)):
                    await self._arrived.wait()
            except TimeoutError:
                return

    def _handle_in_order(self, records: list[AccessRecord]) -> int:
        """Handle held records oldest first (those without a time last); count the new ones."""
        records.sort(key=lambda record: (record.time is None, record.time or _EARLIEST))
        return sum(1 for record in records if self._handle(record))

    @callback
    def _schedule_save(self) -> None:
        """Write the history SAVE_DELAY after the first change not yet written.

        Not after the last change: a device busy for hours would postpone the write for
        as long.
        """
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        """Return the history as saved: the newest record's time and the newest keys."""
        self._dirty = False
        self._save_pending = False
        keys = list(self._recent_keys())[-KEPT_KEYS:]
        return {
            "newest": None if self._newest is None else self._newest.isoformat(),
            "keys": keys,
        }

    async def _async_unload(self) -> None:
        """End a run under way and write what changed since the last write."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._dirty and self._loaded:
            await self._store.async_save(self._data())


def history_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return where an entry's record history is kept (`face_access.<entry_id>.records`)."""
    return Store(hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.records", private=True)


async def async_remove_history(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the record history of a removed entry."""
    await history_store(hass, entry_id).async_remove()


# ---- the face_access.fetch_records service ------------------------------------------------

FETCH_RECORDS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string], vol.Length(min=1)),
        vol.Required(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
    }
)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated error about the caller's input."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


@callback
def _catch_ups(hass: HomeAssistant, device_ids: list[str]) -> dict[str, tuple[str, CatchUp]]:
    """Return each target's device name and CatchUp; raise one error naming every bad one.

    A target is bad when it is no Face Access device, its entry is not loaded, or its
    protocol cannot send past records.
    """
    registry = dr.async_get(hass)
    found: dict[str, tuple[str, CatchUp]] = {}
    bad: list[str] = []
    for device_id in device_ids:
        device = registry.async_get(device_id)
        unique_id = (
            next((ident for domain, ident in device.identifiers if domain == DOMAIN), None)
            if device is not None
            else None
        )
        entry: FaceAccessConfigEntry | None = (
            hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id)
            if unique_id is not None
            else None
        )
        if entry is None:
            bad.append(device_id)
            continue
        if entry.state is not ConfigEntryState.LOADED:
            bad.append(entry.title)
            continue
        catch_up = entry.runtime_data.coordinator.catch_up
        if catch_up.client is None:
            bad.append(entry.title)
            continue
        found[device_id] = (entry.title, catch_up)
    if bad:
        raise _invalid("fetch_records_unavailable", targets=", ".join(bad))
    return found


async def _async_fetch_records(call: ServiceCall) -> ServiceResponse:
    """Ask devices for their records of a window; return how many new records each sent."""
    start = _local_naive(call.data[ATTR_START])
    end = _local_naive(call.data[ATTR_END]) if ATTR_END in call.data else local_now()
    if start >= end:
        raise _invalid("fetch_records_window", start=start.isoformat(), end=end.isoformat())
    targets = _catch_ups(call.hass, call.data[ATTR_DEVICE_ID])
    outcomes = await asyncio.gather(
        *(catch_up.async_fetch(start, end) for _, catch_up in targets.values()),
        return_exceptions=True,
    )
    results: dict[str, JsonValueType] = {}
    failures: list[tuple[str, FaceAccessError]] = []
    for (device_id, (name, _)), outcome in zip(targets.items(), outcomes, strict=True):
        if isinstance(outcome, FaceAccessError):
            failures.append((name, outcome))
            results[device_id] = {"status": "failed", "count": 0, "reason": str(outcome)}
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            results[device_id] = {"status": "fetched", "count": outcome, "reason": ""}
    if failures and len(failures) == len(targets):
        name, err = failures[0]
        raise translate(err, name) from err
    return {"results": results}


@callback
def async_setup_service(hass: HomeAssistant) -> None:
    """Register `face_access.fetch_records` (once, from async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_FETCH_RECORDS,
        _async_fetch_records,
        schema=FETCH_RECORDS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
