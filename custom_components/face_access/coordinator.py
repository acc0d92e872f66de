"""One coordinator per device: state, de-duplication, availability, events."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID, Platform
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from . import roster
from .catchup import CatchUp
from .const import (
    ATTR_CATEGORY,
    ATTR_EVENT_TYPE,
    CONF_SHOW_NAMES,
    DOMAIN,
    EVENT_FACE_ACCESS,
    LOGGER,
)
from .protocols import images
from .protocols.client import DeviceClient, SettingsClient, UploadCheckClient, capable
from .protocols.model import (
    AccessKind,
    AccessRecord,
    AlarmKind,
    AnalyticsEvent,
    AuthenticationError,
    Capability,
    CapturedPicture,
    Connectivity,
    CredentialEvent,
    DeviceAlarm,
    DeviceInfo,
    DeviceMessage,
    FaceAccessError,
    InvalidPhotoError,
    NeedsAttention,
    Picture,
    ProtocolKey,
    Setting,
    SettingKey,
    SettingValue,
    UnsupportedError,
    UploadProblem,
)
from .repairs import async_show_upload_problems

type FaceAccessConfigEntry = ConfigEntry[FaceAccessData]

# Re-sent records repeat a recent key; a bounded window also survives record IDs that
# restart after the device's records are cleared (face_terminal_mqtt digest §7.4).
DEDUPE_WINDOW = 1000
AVAILABILITY_CHECK = timedelta(seconds=10)
# Record times are the device's local time, Home Assistant's zone may differ by up to a day;
# a record further ahead than that has a clock that is wrong.
FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceState:
    """What entities show about one device.

    `last_record` is the newest access record of any kind (temperature, mask);
    `last_recognized` the newest recognition (the `last_person` sensor). Neither keeps its
    picture: `capture` holds the newest picture as JPEG, `capture_time` when it arrived.
    `settings` are the device's settings as last read (empty until read; see
    `Capability.SETTINGS`). `last_ha_person` is the Home Assistant `person` the roster
    links to the person of `last_recognized` (None without one).
    """

    online: bool = False
    info: DeviceInfo = field(default_factory=DeviceInfo)
    last_record: AccessRecord | None = None
    last_recognized: AccessRecord | None = None
    last_ha_person: str | None = None
    capture: bytes | None = None
    capture_time: datetime | None = None
    settings: Mapping[SettingKey, Setting] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """One event for an event entity.

    `entity_key` names the entity (`access`, `alarm`, `credential`, `analytics`). `context`
    is shared by the `face_access_event` bus event and the event entity's state change, so
    that the logbook shows the state change as caused by the described bus event.
    """

    entity_key: str
    event_type: str
    attributes: dict[str, Any]
    context: Context = field(default_factory=Context, compare=False)


def record_attributes(record: AccessRecord, ha_person: str | None = None) -> dict[str, Any]:
    """Return the contract's event attributes of an access record (DESIGN.md).

    `ha_person` is the entity ID of the Home Assistant `person` the roster links to the
    recognised person (None for anyone else).
    """
    return {
        "person_id": record.person_id,
        "person_name": record.person_name,
        "similarity": record.similarity,
        # The contract's unit, whatever the device shows (a °F terminal's reading converted).
        "temperature": record.temperature_celsius,
        "mask": record.mask,
        "list": None if record.person_list is None else record.person_list.value,
        "record_id": record.record_id,
        "historical": record.historical,
        "reason": record.reason,
        "ha_person": ha_person,
    }


type Eventful = AccessRecord | AnalyticsEvent | CredentialEvent | DeviceAlarm


def events_of(message: Eventful, ha_person: str | None = None) -> list[DeviceEvent]:
    """Map a record to the events it fires: one access event, plus alarms it carries.

    `ha_person`: the roster's Home Assistant person of a record's person (`record_attributes`).
    """
    if isinstance(message, DeviceAlarm):
        # About the device, not a person: none of the record attributes apply.
        return [DeviceEvent("alarm", message.kind.value, {})]
    if isinstance(message, AnalyticsEvent):
        return [
            DeviceEvent(
                "analytics",
                message.kind.value,
                {
                    **message.attributes,
                    "record_id": message.record_id,
                    "historical": message.historical,
                },
            )
        ]
    if isinstance(message, CredentialEvent):
        attributes: dict[str, Any] = {}
        if message.card_number is not None:
            attributes["card_number"] = message.card_number
        if message.qr_data is not None:
            attributes["qr_data"] = message.qr_data
        return [DeviceEvent("credential", message.kind.value, attributes)]
    attributes = record_attributes(message, ha_person)
    events = [DeviceEvent("access", message.kind.value, attributes)]
    if message.temperature_alarm:
        events.append(DeviceEvent("alarm", AlarmKind.HIGH_TEMPERATURE.value, attributes))
    if message.mask is False:
        events.append(DeviceEvent("alarm", AlarmKind.NO_MASK.value, attributes))
    return events


def _is_newer(record: AccessRecord, current: AccessRecord | None) -> bool:
    """Tell whether a record may replace the current one (backlog must not roll state back)."""
    if current is None:
        return True
    new, old = _ordering_time(record), _ordering_time(current)
    if new is None or old is None:
        return True
    return new >= old


def _ordering_time(record: AccessRecord) -> datetime | None:
    """Return the time that orders a record, None for none or for a clock far ahead.

    A device whose clock says 2100 (unset, or a garbled field) would otherwise hold the
    sensors on its record for ever: every later record would look older.
    """
    if record.time is None or record.time > dt_util.now().replace(tzinfo=None) + FUTURE_SLACK:
        return None
    return record.time


class FaceAccessCoordinator(DataUpdateCoordinator[DeviceState]):
    """Receives model objects from a device client and keeps its state.

    Connectivity comes from the device's own messages, and a timer declares it offline after
    the client's `offline_after` seconds of silence. A client with a `poll_interval` (a device
    that never pushes) is asked `query_info` at that interval instead; a refused password
    then raises ConfigEntryAuthFailed, which starts a re-authentication flow.
    """

    config_entry: FaceAccessConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: FaceAccessConfigEntry, client: DeviceClient
    ) -> None:
        """Initialize the coordinator of a built, not yet started client.

        It subscribes to the client at once, so that nothing the client receives once
        started is lost; the subscription ends with the entry.
        """
        poll = client.poll_interval
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=None if poll is None else timedelta(seconds=poll),
            always_update=False,
        )
        self.client = client
        self.data = DeviceState()
        self._last_seen = 0.0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._event_listeners: list[Callable[[DeviceEvent], None]] = []
        self._capture_seq = 0
        self.catch_up = CatchUp(
            hass, entry, handle=self._handle_record, recent_keys=lambda: list(self._seen)
        )
        entry.async_on_unload(client.subscribe(self.handle_message))
        if client.offline_after is not None:
            entry.async_on_unload(
                async_track_time_interval(
                    hass, self._check_alive, AVAILABILITY_CHECK, name="face_access availability"
                )
            )

    def refresh_info(self) -> None:
        """Ask the started client's device about itself, in the background."""
        self._schedule_info_refresh()

    async def _async_setup(self) -> None:
        """Load the saved record history into the de-duplication window (first refresh)."""
        saved = await self.catch_up.async_load(online=lambda: self.data.online)
        self._seen = OrderedDict.fromkeys([*saved, *self._seen])

    async def _async_update_data(self) -> DeviceState:
        """Poll a device that never pushes; return pushed state unchanged otherwise."""
        if self.update_interval is None:
            return self.data
        try:
            info = await self.client.query_info()
        except AuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="authentication_failed",
                translation_placeholders={"name": self.config_entry.title},
            ) from err
        except FaceAccessError as err:
            LOGGER.debug("%s did not answer: %s", self.config_entry.title, err)
            self._set_online(False)
            return self.data
        self._last_seen = time.monotonic()
        self._set_online(True)
        self._merge_info(info)
        return self.data

    @callback
    def async_add_event_listener(self, listener: Callable[[DeviceEvent], None]) -> CALLBACK_TYPE:
        """Call `listener` once for every new (not re-sent) event; returns the remover."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    # ---- inbound --------------------------------------------------------------------------

    @callback
    def handle_message(self, message: DeviceMessage) -> None:
        """Take one message from the client (event loop, no I/O)."""
        if isinstance(message, Connectivity) and not message.online:
            self._set_online(False)
            return
        if isinstance(message, NeedsAttention):
            self._show_problem(message)
            return
        self._last_seen = time.monotonic()
        self._set_online(True)
        if isinstance(message, Connectivity):
            self._merge_info(message.info)
            self._schedule_info_refresh()
        elif isinstance(message, AccessRecord):
            if not self.config_entry.options.get(CONF_SHOW_NAMES, True):
                # The history is shared: the person's ID stands in for the name everywhere.
                message = replace(message, person_name=None)
            if not self.catch_up.hold(message):
                self._handle_record(message)
        elif isinstance(message, AnalyticsEvent):
            if self._is_new(message.key):
                self._fire(replace(message, picture=None))
                self._show_picture(message.picture, message.historical)
        elif isinstance(message, CredentialEvent):
            self._fire(message)
        elif isinstance(message, DeviceAlarm):
            if self._is_new(message.key):
                self._fire(message)
        elif isinstance(message, CapturedPicture):
            self._show_picture(message.picture, historical=False)

    def _is_new(self, key: str) -> bool:
        """Tell whether a record key is new, remembering it; re-sent copies repeat a key."""
        if key in self._seen:
            self._seen.move_to_end(key)
            LOGGER.debug("Dropped a re-sent record from %s", self.config_entry.title)
            return False
        self._seen[key] = None
        while len(self._seen) > DEDUPE_WINDOW:
            self._seen.popitem(last=False)
        return True

    def _handle_record(self, record: AccessRecord) -> bool:
        """Apply a new record to the state and fire its events; drop re-sent copies.

        Returns whether the record was new.
        """
        if not self._is_new(record.key):
            return False
        record, ha_person = self._with_roster(record)
        picture = record.picture
        stored = replace(record, picture=None)
        state = self.data
        if _is_newer(stored, state.last_record):
            state = replace(state, last_record=stored)
            if stored.kind is AccessKind.RECOGNIZED and _is_newer(stored, state.last_recognized):
                state = replace(state, last_recognized=stored, last_ha_person=ha_person)
        self.async_set_updated_data(state)
        self._fire(stored, ha_person)
        self._show_picture(picture, stored.historical)
        self.catch_up.note(_ordering_time(stored), historical=stored.historical)
        return True

    def _show_picture(self, picture: Picture | None, historical: bool) -> None:
        """Make a live record's picture the `last_capture` (backlog must not replace it)."""
        if picture is not None and not historical:
            self._capture_seq += 1
            self.config_entry.async_create_task(
                self.hass,
                self._async_store_capture(picture, self._capture_seq),
                "face_access capture",
            )

    async def _async_store_capture(self, picture: Picture, seq: int) -> None:
        """Decode a record picture to JPEG off the event loop and show it if still newest."""
        try:
            jpeg = await self.hass.async_add_executor_job(images.picture_to_jpeg, picture)
        except InvalidPhotoError as err:
            LOGGER.warning(
                "Ignored the picture of a record from %s: %s", self.config_entry.title, err
            )
            return
        if seq == self._capture_seq:
            self.async_set_updated_data(
                replace(self.data, capture=jpeg, capture_time=dt_util.utcnow())
            )

    def _with_roster(self, record: AccessRecord) -> tuple[AccessRecord, str | None]:
        """Return a record named as the roster names its person, and their HA person.

        A person of the roster gets the roster's name (unless the privacy option keeps
        names out) and the entity ID of the Home Assistant `person` linked to them.
        """
        if (
            record.person_id is None
            or (person := roster.roster_person_by_id(self.hass, record.person_id)) is None
        ):
            return record, None
        if self.config_entry.options.get(CONF_SHOW_NAMES, True):
            record = replace(record, person_name=person.name)
        return record, person.ha_person

    def _fire(self, message: Eventful, ha_person: str | None = None) -> None:
        """Fire each event of a message on the bus, then hand it to the event entities."""
        for event in events_of(message, ha_person):
            self._fire_bus_event(event)
            for listener in list(self._event_listeners):
                listener(event)

    def _fire_bus_event(self, event: DeviceEvent) -> None:
        """Fire `face_access_event` for device triggers and the logbook.

        It carries the event entity's attributes and nothing more (DESIGN.md privacy rules),
        and fires even when the user disabled the event entity, so that device triggers
        keep working.
        """
        unique_id = self.config_entry.unique_id
        device = next(
            (
                device
                for device in dr.async_entries_for_config_entry(
                    dr.async_get(self.hass), self.config_entry.entry_id
                )
                if (DOMAIN, unique_id) in device.identifiers
            ),
            None,
        )
        entity_id = er.async_get(self.hass).async_get_entity_id(
            Platform.EVENT, DOMAIN, f"{unique_id}_{event.entity_key}"
        )
        self.hass.bus.async_fire(
            EVENT_FACE_ACCESS,
            {
                **event.attributes,
                ATTR_DEVICE_ID: None if device is None else device.id,
                ATTR_ENTITY_ID: entity_id,
                ATTR_CATEGORY: event.entity_key,
                ATTR_EVENT_TYPE: event.event_type,
            },
            context=event.context,
        )

    def _show_problem(self, message: NeedsAttention) -> None:
        """Raise or clear the repair issue the device asks for (its `problem` names it)."""
        issue_id = f"{message.problem}_{self.config_entry.entry_id}"
        if not message.active:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=message.problem,
            translation_placeholders={"name": self.config_entry.title},
        )

    # ---- connectivity and device info -----------------------------------------------------

    @callback
    def _check_alive(self, _now: datetime) -> None:
        """Declare the device offline when it has been silent too long."""
        offline_after = self.client.offline_after
        if (
            self.data.online
            and offline_after is not None
            and time.monotonic() - self._last_seen > offline_after
        ):
            self._set_online(False)

    def _set_online(self, online: bool) -> None:
        """Change connectivity, logging each change once (quality scale: log-when-unavailable)."""
        if online == self.data.online:
            return
        if online:
            LOGGER.info("%s is online", self.config_entry.title)
        else:
            LOGGER.info("%s is offline", self.config_entry.title)
        self.async_set_updated_data(replace(self.data, online=online))
        if online:
            # Before the message that brought it back moves the newest record on.
            self.catch_up.device_online()
            if self.update_interval is not None:
                # A pushing device is asked about itself by the message that brought it
                # back; a polled one (its first poll at set-up included) is read here, or
                # its settings and uploads would wait for a message it may never send.
                self.config_entry.async_create_background_task(
                    self.hass, self._async_read_polled_device(), "face_access settings read"
                )

    async def _async_read_polled_device(self) -> None:
        """Read a polled device's settings and check its uploads (set-up, every reconnect)."""
        await self._async_read_settings()
        await self._async_check_uploads()

    def _merge_info(self, info: DeviceInfo) -> None:
        """Keep what the device said about itself and mirror it in the device registry."""
        current = self.data.info
        merged = DeviceInfo(
            name=info.name or current.name,
            ip=info.ip or current.ip,
            firmware=info.firmware or current.firmware,
            model=info.model or current.model,
        )
        if merged == current:
            return
        self.async_set_updated_data(replace(self.data, info=merged))
        assert self.config_entry.unique_id is not None
        updates: dict[str, Any] = {}
        if merged.firmware:
            updates["sw_version"] = merged.firmware
        if merged.ip:
            updates["configuration_url"] = f"http://{merged.ip}"
        if merged.model and merged.model != self.client.profile.model:
            # The hardware the device names (a board and chip, say) beside the protocol's
            # model of it.
            updates["model_id"] = merged.model
        if updates:
            dr.async_get(self.hass).async_get_or_create(
                config_entry_id=self.config_entry.entry_id,
                identifiers={(DOMAIN, self.config_entry.unique_id)},
                **updates,
            )

    def _schedule_info_refresh(self) -> None:
        """Ask the device about itself in the background (it may well be offline)."""
        self.config_entry.async_create_background_task(
            self.hass, self._async_refresh_info(), "face_access device info"
        )

    async def _async_refresh_info(self) -> None:
        """Query the device's info; silence is normal for a device that is off."""
        try:
            info = await self.client.query_info()
        except FaceAccessError as err:
            LOGGER.debug("%s did not describe itself: %s", self.config_entry.title, err)
            return
        self._last_seen = time.monotonic()
        self._set_online(True)
        self._merge_info(info)
        await self._async_read_settings()
        await self._async_check_uploads()

    # ---- settings -------------------------------------------------------------------------

    @property
    def settings_client(self) -> SettingsClient | None:
        """Return the client as a SettingsClient where its device has settings, else None."""
        return capable(self.client, SettingsClient, Capability.SETTINGS)

    async def _async_read_settings(self) -> None:
        """Read the device's settings (set-up and every reconnect); silence keeps the last."""
        if (client := self.settings_client) is None:
            return
        try:
            settings = await client.read_settings()
        except FaceAccessError as err:
            LOGGER.debug("%s did not tell its settings: %s", self.config_entry.title, err)
            return
        self._merge_settings(settings)

    def _merge_settings(self, settings: Mapping[SettingKey, Setting]) -> None:
        """Keep newly read settings over the ones read before."""
        merged = {**self.data.settings, **settings}
        if merged != self.data.settings:
            self.async_set_updated_data(replace(self.data, settings=merged))

    async def async_write_setting(self, key: SettingKey, value: SettingValue) -> None:
        """Write one setting and show what the device read back; protocol errors propagate."""
        if (client := self.settings_client) is None:
            raise UnsupportedError(f"{self.config_entry.title} has no settings")
        self._merge_settings(await client.write_setting(key, value))

    # ---- uploads --------------------------------------------------------------------------

    @property
    def upload_check_client(self) -> UploadCheckClient | None:
        """Return the client as an UploadCheckClient where it can check uploads, else None."""
        return capable(self.client, UploadCheckClient, Capability.UPLOAD_CHECK)

    async def _async_check_uploads(self) -> None:
        """Raise or clear the "uploads off" repair (set-up and every reconnect)."""
        if (client := self.upload_check_client) is None:
            return
        try:
            problems = await client.check_uploads()
        except FaceAccessError as err:
            LOGGER.debug("%s did not tell what it uploads: %s", self.config_entry.title, err)
            return
        async_show_upload_problems(self.hass, self.config_entry, problems)

    async def async_fix_uploads(self) -> list[UploadProblem]:
        """Turn on what the device does not upload; return what it still reads back wrong.

        The repair issue follows what was read back. Protocol errors propagate.
        """
        if (client := self.upload_check_client) is None:
            raise UnsupportedError(f"{self.config_entry.title} cannot check its uploads")
        problems = await client.fix_uploads()
        async_show_upload_problems(self.hass, self.config_entry, problems)
        return problems


@dataclass(slots=True)
class FaceAccessData:
    """Objects that live as long as one loaded config entry (one device)."""

    protocol: ProtocolKey
    client: DeviceClient
    coordinator: FaceAccessCoordinator
