"""Sensors of the People entry: each person's enrollment, and the sync's progress.

Each person (a subentry of the People entry) gets a device, identifiers
`(face_access, person_<subentry id>)`, whose entities sit under the subentry:

- `enrollment` (enum): `enrolled` on every terminal the person belongs on, `pending` while
  some terminal has not taken them yet (none refused), `partial` when some terminal refused
  them, `failed` when every one did. Attribute `terminals`: by terminal (device) name, its
  `status` (`enrolled`, `pending`, `failed`) and `reason` (translated; why it failed or that
  it waits for the terminal).
- `last_sync` (timestamp, diagnostic): when a terminal last took (or refused) the person's
  current data.

The People entry's own device gets `sync_progress`: the percentage of the current run's
people commands done (100 when nothing is under way), with attributes `done`, `total` and
`terminal` (the terminal being worked on).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .roster import PEOPLE_UNIQUE_ID, SUBENTRY_PERSON
from .sync import PERSON_DEVICE, RosterSync, get_sync
from .sync_model import EnrollmentState


def person_device_info(entry: ConfigEntry, subentry_id: str) -> DeviceInfo:
    """Return the device of the person in subentry `subentry_id` of the People entry."""
    subentry = entry.subentries.get(subentry_id)
    return DeviceInfo(
        identifiers={(DOMAIN, PERSON_DEVICE.format(subentry_id=subentry_id))},
        name=subentry.title if subentry is not None else None,
        via_device=(DOMAIN, entry.unique_id or PEOPLE_UNIQUE_ID),
    )


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the sync's progress, and every person's sensors (now and as people are added)."""
    sync = get_sync(hass)
    if sync is None:
        return
    async_add_entities([SyncProgressSensor(sync, entry)])

    @callback
    def _add_people(subentry_ids: list[str]) -> None:
        for subentry_id in subentry_ids:
            subentry = entry.subentries.get(subentry_id)
            if subentry is None or subentry.subentry_type != SUBENTRY_PERSON:
                continue
            async_add_entities(
                [
                    EnrollmentSensor(sync, entry, subentry_id),
                    LastSyncSensor(sync, entry, subentry_id),
                ],
                config_subentry_id=subentry_id,
            )

    _add_people(list(entry.subentries))
    entry.async_on_unload(sync.async_add_person_listener(_add_people))


class _PersonSensor(SensorEntity):
    """A sensor of one roster person, updated by the sync."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    key: str

    def __init__(self, sync: RosterSync, entry: ConfigEntry, subentry_id: str) -> None:
        """Describe the sensor of the person in subentry `subentry_id`."""
        self._sync = sync
        self._subentry_id = subentry_id
        self._attr_translation_key = self.key
        self._attr_unique_id = f"{PERSON_DEVICE.format(subentry_id=subentry_id)}_{self.key}"
        self._attr_device_info = person_device_info(entry, subentry_id)

    async def async_added_to_hass(self) -> None:
        """Follow the person's status."""
        self.async_on_remove(
            self._sync.async_add_listener(self.async_write_ha_state, self._subentry_id)
        )


class EnrollmentSensor(_PersonSensor):
    """Whether a person is on every terminal they belong on (`EnrollmentState`)."""

    key = "enrollment"
    _attr_device_class = SensorDeviceClass.ENUM
    # The per-terminal details change with every run; history keeps the state only.
    _unrecorded_attributes = frozenset({"terminals"})

    def __init__(self, sync: RosterSync, entry: ConfigEntry, subentry_id: str) -> None:
        """Describe the enrollment sensor of the person in subentry `subentry_id`."""
        super().__init__(sync, entry, subentry_id)
        self._attr_options = [state.value for state in EnrollmentState]

    @property
    def native_value(self) -> str | None:
        """Return the person's enrollment state (unknown when no terminal is chosen)."""
        state = self._sync.person_status(self._subentry_id)
        return None if state is None else state.value

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Return each terminal's status and translated reason, by terminal name."""
        return {
            "terminals": {
                status.name: {"status": status.status.value, "reason": status.reason}
                for status in self._sync.terminal_statuses(self._subentry_id)
            }
        }


class LastSyncSensor(_PersonSensor):
    """When a terminal last took (or refused) the person's current data."""

    key = "last_sync"
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    @property
    def native_value(self) -> datetime | None:
        """Return the time of the last outcome on any terminal."""
        return self._sync.last_sync(self._subentry_id)


class SyncProgressSensor(SensorEntity):
    """How far the current sync run is: done of total people commands, in percent."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "sync_progress"
    _attr_native_unit_of_measurement = PERCENTAGE
    _unrecorded_attributes = frozenset({"done", "total", "terminal"})

    def __init__(self, sync: RosterSync, entry: ConfigEntry) -> None:
        """Describe the progress sensor of the People entry's device."""
        self._sync = sync
        unique_id = entry.unique_id or PEOPLE_UNIQUE_ID
        self._attr_unique_id = f"{unique_id}_sync_progress"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, unique_id)}, name=entry.title)

    async def async_added_to_hass(self) -> None:
        """Follow the sync's progress."""
        self.async_on_remove(self._sync.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> int:
        """Return the percentage done of the current run (100 when idle)."""
        return self._sync.progress.percentage

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Return the run's counts and the terminal being worked on."""
        progress = self._sync.progress
        return {"done": progress.done, "total": progress.total, "terminal": progress.terminal}
