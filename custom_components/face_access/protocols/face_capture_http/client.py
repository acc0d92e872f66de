"""The client of Huaan's face capture terminal ("Face Capture Http API" v0.37).

The device plays up to three roles at once (digest §2.1, L62-L101):

- "device as data client": it POSTs each `face` record, and heartbeats, to the upload path
  and blocks until the record is acknowledged (L1627-L1629);
- "device as server" (Mode.PUSH): Home Assistant POSTs commands to its port 8000 through a
  `FaceCaptureConnection`, and polls it for connectivity;
- "device as configuration client" (Mode.LONG_POLL): the device POSTs heartbeats to the poll
  path; each is held until a command is queued or `poll_hold` seconds pass (< 15 s, L93-L99),
  then answered with the command (with a `command_id`) or the heartbeat ACK. The device's
  next request is that command's result. Commands wait in a saved `CommandQueue`.

The owner hands every request to `handle_request`; `HttpRequest.path` tells the two paths
apart. "digest" is `shared/protocols/face_capture_http.md`, "L123" a line of the document.
"""

from __future__ import annotations

import asyncio
import base64
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from .. import model
from ..client import MessageHub
from ..command_queue import CommandQueue, QueuedCommand, QueueStore
from ..http import HttpReply, HttpRequest
from ..setting_decoders import read_back_matches
from ..wire import DecodeError, integer, text
from . import codec, records, settings as app_settings
from .codec import Mode
from .connection import FaceCaptureConnection
from .uploads import normalise_path, upload_problems

if TYPE_CHECKING:
    from ..client import (
        CatchUpClient,
        DeviceClient,
        InboundHttp,
        SettingsClient,
        UploadCheckClient,
    )

_LOGGER = logging.getLogger(__package__)

STORE_VERSION: Final = 1
"""Version of the saved queue's layout."""
SEQ_LIMIT: Final = 1_000_000
"""`command_id` values (sent as text) stay below this."""
POLL_CYCLE: Final = 15.0
"""Seconds a device waits for a long-poll answer before it asks again (L93, L97)."""
MAX_POLL_HOLD: Final = POLL_CYCLE
"""A long poll must be answered before the device gives up on it (L97-L99)."""
LONG_POLL_OFFLINE_AFTER: Final = 3 * POLL_CYCLE
"""Seconds without a request after which a long-polling device counts as offline."""
MAX_DELIVERIES: Final = 3
"""Times a command the device lost (its next request was a heartbeat) is sent again."""
MAX_PAGES: Final = 1000
"""`request persons` pages read at most (20 000 people): a device that repeats itself."""
_CREDENTIAL_MEMORY: Final = 256
MAX_RECORD_PAGES: Final = 500
"""`request records` pages read at most for one window (10 000 records)."""
ZONE_MARGIN: Final = timedelta(hours=14)
"""How much wider than asked a `request records` window is, each side.

The query takes Unix seconds (L1726) but the device keeps local times with no zone
(digest E54, §4.13): how it turns one into the other depends on a zone it never tells.
The widened window holds the asked one whatever that zone (UTC-12 to UTC+14); records
are then chosen by their own local `time`, the clock their live pushes carry.
"""

# Queue entry kinds. People commands are saved and survive a restart; the others have a
# caller waiting right now and make no sense later (a door must not open minutes later).
_PEOPLE = "people"
_DOOR = "door"
_SNAPSHOT = "snapshot"
_LIST = "list"
_CLOCK = "clock"
_SETTINGS = "settings"  # app params, volume, reboot, records: asked for by someone now
_TRANSIENT: Final = frozenset({_DOOR, _SNAPSHOT, _LIST, _CLOCK, _SETTINGS})
_KINDS: Final = frozenset({_PEOPLE}) | _TRANSIENT


@dataclass(slots=True, kw_only=True)
class _Entry(QueuedCommand):
    """A queued command: `command` is the message without `version` and `command_id`.

    `deliveries` counts how often it went out; `shortened` tells that an enrolment fell back
    to `add person jpg` and lost part of its name there.
    """

    deliveries: int = 0
    shortened: bool = False


class FaceCaptureHttpClient:
    """One Huaan face capture terminal, known by its `device_sn`; a `DeviceClient`.

    Records and heartbeats reach `handle_request` on `upload_path` in both modes; in
    LONG_POLL mode, heartbeats and command results also arrive on `poll_path`, and commands
    are queued, saved in `store` and delivered there, each waiting up to `confirm_timeout`
    seconds for its result. People commands not confirmed by then return
    `CommandResult(pending=True)` and stay queued; `open_door`, `snapshot` and `list_people`
    raise DeviceTimeoutError and are dropped. In PUSH mode every command goes through
    `connection` at once.
    """

    def __init__(
        self,
        serial: str,
        store: QueueStore,
        *,
        connection: FaceCaptureConnection | None,
        mode: Mode,
        upload_path: str,
        poll_path: str,
        now: Callable[[], datetime],
        door_port: int = 1,
        sync_time: bool = True,
        poll_hold: float = 10.0,
        confirm_timeout: float = 40.0,
        poll_interval: float = 60.0,
        upload_address: Callable[[], tuple[str, int] | None] | None = None,
    ) -> None:
        """Keep the settings; `start` loads the saved queue.

        `serial` is the device's `device_sn`: requests naming another are refused (403).
        `now` returns the local time (aware; the device's clock is local, with no zone).
        `door_port` is the GPIO port of the door relay (the document names none, digest
        §4.9). `sync_time` sets the device's clock after each start and each return from
        offline (a failed poll in PUSH mode, 45 s without a long poll). `upload_address`
        returns Home Assistant's host and port where the device must post `upload_path`
        (None: not known), for `check_uploads`. `poll_hold` (seconds,
        under 15) is how long a long poll is held; `poll_interval` (seconds) how often the
        owner polls a PUSH-mode device. Raises ValueError when PUSH mode has no connection
        or `poll_hold` is not between 0 and 15 s.
        """
        if mode is Mode.PUSH and connection is None:
            raise ValueError("push mode needs a connection to the device")
        if not 0 < poll_hold < MAX_POLL_HOLD:
            raise ValueError("poll_hold must be between 0 and 15 seconds")
        self.serial = serial.strip()
        self.mode = mode
        self._connection = connection
        self._upload_path = normalise_path(upload_path)
        self._poll_path = normalise_path(poll_path)
        self._now = now
        self._door_port = door_port
        self._sync_time = sync_time
        self._poll_hold = poll_hold
        self._confirm_timeout = confirm_timeout
        self._poll_interval = poll_interval
        self._upload_address = upload_address
        self._hub = MessageHub(_LOGGER)
        self._queue = CommandQueue(
            store,
            _Entry,
            version=STORE_VERSION,
            seq_limit=SEQ_LIMIT,
            kinds=_KINDS,
            transient=_TRANSIENT,
            state=self._saved_state,
        )
        self._connected_once = False
        self._greeted = False
        self._clock_due = sync_time
        self._hardware_due = True
        self._last_request: float | None = None
        self._info = model.DeviceInfo()
        self._records_acked = 0
        self._credential_keys: OrderedDict[str, None] = OrderedDict()
        self._stopping = asyncio.Event()
        # The unit the device shows temperatures in (`fahrenheit_unit`), once read.
        self._unit: model.TemperatureUnit | None = None

    # ---- the DeviceClient interface ---------------------------------------------------------

    @property
    def profile(self) -> model.DeviceProfile:
        """Return what the device is and can do (digest §9)."""
        return codec.PROFILE

    @property
    def offline_after(self) -> float | None:
        """Return 45 s (three missed 15 s polls) in LONG_POLL mode; None in PUSH mode.

        A pushing device's heartbeat is optional and its period unknown (digest E53), so
        PUSH mode polls `query_info` instead.
        """
        return LONG_POLL_OFFLINE_AFTER if self.mode is Mode.LONG_POLL else None

    @property
    def poll_interval(self) -> float | None:
        """Return the seconds between `query_info` calls in PUSH mode; None in LONG_POLL."""
        return self._poll_interval if self.mode is Mode.PUSH else None

    @property
    def connected_once(self) -> bool:
        """Return whether the device has ever sent a request here (saved across restarts)."""
        return self._connected_once

    @property
    def online(self) -> bool:
        """Return whether the device sent a request within the last 45 s."""
        return (
            self._last_request is not None
            and time.monotonic() - self._last_request < LONG_POLL_OFFLINE_AFTER
        )

    def subscribe(self, listener: model.MessageCallback) -> Callable[[], None]:
        """Call `listener` with every inbound model message; return the unsubscriber."""
        return self._hub.subscribe(listener)

    def diagnostics(self) -> dict[str, Any]:
        """Return counts and flags: mode, queued commands, records acknowledged, ever called."""
        return {
            "mode": self.mode.value,
            "queued_commands": len(self._queue),
            "records_acked": self._records_acked,
            "connected_once": self._connected_once,
        }

    async def start(self) -> None:
        """Load the saved queue and what was learnt; the clock is set again after this.

        In PUSH mode, commands left queued from the long-poll mode are dropped (logged).
        """
        self._stopping.clear()
        data = await self._queue.load()
        self._connected_once = bool(data.get("connected_once"))
        firmware = data.get("firmware")
        if isinstance(firmware, str) and firmware:
            self._info = model.DeviceInfo(firmware=firmware)
        unit = data.get("temperature_unit")
        if unit in tuple(model.TemperatureUnit):
            self._unit = model.TemperatureUnit(unit)
        self._greeted = False
        self._clock_due = self._sync_time
        self._hardware_due = True
        if self.mode is Mode.PUSH and len(self._queue):
            # Left from the long-poll mode: a device in push mode never fetches them.
            _LOGGER.warning(
                "Dropped %d commands queued for device %s while it long-polled",
                len(self._queue),
                self.serial,
            )
            for entry in self._queue.entries:
                self._queue.remove(entry)
            await self._queue.save()

    async def stop(self) -> None:
        """Answer held polls now, release every waiter (its command stays queued), save."""
        self._stopping.set()
        self._queue.release()
        await self._queue.save()

    async def query_info(self) -> model.DeviceInfo:
        """Check the device answers and return what is known about it.

        PUSH: `request date time` (L3065-L3095), the lightest request; the first answer
        after `start`, and after a poll it did not answer, also sets the device's clock
        when `sync_time` is on (best effort).
        LONG_POLL: nothing is sent; raises DeviceTimeoutError when the device has not polled
        within 45 s. Raises what `FaceCaptureConnection.command` raises.
        """
        if self.mode is Mode.LONG_POLL:
            if not self.online:
                raise model.DeviceTimeoutError("the device has not polled for commands lately")
            return self._info
        connection = self._push()
        try:
            await connection.command(**codec.request_date_time())
        except model.DeviceTimeoutError:
            # Offline: its clock may have drifted or been reset; set it once it answers.
            self._clock_due = self._sync_time
            raise
        if self._hardware_due:
            # The hardware's model, once: `get hardware info` is the only request that says.
            self._hardware_due = False
            try:
                identity = await connection.identify()
            except (model.DeviceTimeoutError, model.DeviceRefusedError, DecodeError) as err:
                _LOGGER.debug("Device %s did not name its hardware: %s", self.serial, err)
            else:
                self._info = replace(self._info, model=identity.info.model)
        if self._clock_due:
            try:
                await connection.command(**codec.update_date_time(self._now()))
            except model.DeviceTimeoutError as err:
                _LOGGER.debug("Device %s did not take the time, again later: %s", self.serial, err)
                return self._info
            except model.DeviceRefusedError as err:
                _LOGGER.debug("Device %s refused the time: %s", self.serial, err)
            self._clock_due = False
        return self._info

    async def open_door(self) -> None:
        """Pulse the door relay with `gpio control` on `door_port` (2.5, L2822-L2869).

        Raises DeviceRefusedError when the device refuses, DeviceTimeoutError when it has
        not confirmed in time (LONG_POLL: the command is then dropped, so that the door does
        not open later), and in PUSH mode what the connection raises.
        """
        message = codec.gpio_control(self._door_port)
        if self.mode is Mode.PUSH:
            await self._push().command(**message)
            return
        outcome = await self._queued_once(_DOOR, message)
        codec.check_reply(outcome, codec.GPIO_CONTROL)

    async def snapshot(self) -> model.Picture:
        """Capture the scene now with `snapshot` (2.4, L2773-L2818); returned undecoded.

        Raises DeviceRefusedError when the device refuses or sends no picture,
        DeviceTimeoutError when it does not answer in time.
        """
        if self.mode is Mode.PUSH:
            reply = await self._push().command(**codec.snapshot())
        else:
            reply = await self._queued_once(_SNAPSHOT, codec.snapshot())
            codec.check_reply(reply, codec.SNAPSHOT)
        try:
            return codec.snapshot_picture(reply)
        except DecodeError as err:
            raise model.DeviceRefusedError(str(err)) from err

    async def enroll(self, enrollment: model.Enrollment) -> model.CommandResult:
        """Add or replace one person with `upload person` (2.1.2, L527-L679).

        Firmware older than 2020-08-21 answers code 2 (L657); the person then goes again as
        `add person jpg` with `cover` true (2.1.6), whose name holds 15 bytes only: a longer
        name is cut there on a character boundary and the result says so. Raises
        InvalidRequestError (nothing is sent) for an ID over 19 bytes, a name over 63 bytes,
        a bad card number or a date past 2037; DeviceRefusedError with the device's code.
        """
        photo = base64.b64encode(enrollment.photo_jpeg).decode("ascii")
        message = codec.upload_person(enrollment, photo)
        if self.mode is Mode.LONG_POLL:
            entry = await self._submit(_PEOPLE, message)
            done, outcome = await self._wait(entry)
            if not done:
                return self._pending()
            self._check_outcome(outcome)
            return model.CommandResult(message=codec.enrolled_message(shortened=entry.shortened))
        connection = self._push()
        try:
            await connection.command(**message)
        except model.DeviceRefusedError as err:
            if err.code != str(codec.CODE_UNSUPPORTED):
                raise
            fallback, shortened = codec.add_person_jpg(message)
            await connection.command(**fallback)
            return model.CommandResult(message=codec.enrolled_message(shortened=shortened))
        return model.CommandResult(message=codec.enrolled_message(shortened=False))

    async def delete(self, person_ids: Sequence[str]) -> model.CommandResult:
        """Delete people one by one with `delete person(s)` `flag` -1 (2.1.5, L988-L1038).

        Never a list flag (0, 1, 2): those delete whole lists (digest E16). Someone already
        gone (code 22) counts as deleted. Raises InvalidRequestError (nothing sent) for an
        empty or too long ID, DeviceRefusedError when nobody could be deleted.
        """
        ids = list(dict.fromkeys(person_ids))
        messages = [codec.delete_person(person_id) for person_id in ids]
        if not messages:
            return model.CommandResult(message="nobody to delete")
        codes: list[int] = []
        if self.mode is Mode.PUSH:
            connection = self._push()
            for message in messages:
                try:
                    await connection.command(**message)
                except model.DeviceRefusedError as err:
                    codes.append(codec.refusal_code(err))
                else:
                    codes.append(0)
        else:
            entries = [await self._submit(_PEOPLE, message) for message in messages]
            deadline = time.monotonic() + self._confirm_timeout
            for entry in entries:
                done, outcome = await self._wait(entry, deadline - time.monotonic())
                if not done:
                    return self._pending()
                codes.append(codec.outcome_code(outcome))
        return codec.deleted_result(codes)

    async def delete_all(self) -> model.CommandResult:
        """Delete every person with `delete person(s)` `flag` 3 (L1009).

        Raises DeviceRefusedError when the device refuses.
        """
        message = codec.delete_everyone()
        if self.mode is Mode.PUSH:
            await self._push().command(**message)
            return model.CommandResult(message="all people deleted")
        entry = await self._submit(_PEOPLE, message)
        done, outcome = await self._wait(entry)
        if not done:
            return self._pending()
        self._check_outcome(outcome)
        return model.CommandResult(message="all people deleted")

    async def list_people(self) -> list[model.Person]:
        """Page through `request persons` (2.1.1, `role` -1, 20 a page) for everyone.

        Stops at the device's `total`, at an empty or repeated page, or (without `total`)
        at a short page. LONG_POLL: each page is one queued command. Raises
        DeviceRefusedError or DeviceTimeoutError.
        """
        people: dict[str, model.Person] = {}
        for page_no in range(1, MAX_PAGES + 1):
            message = codec.request_persons(page_no)
            if self.mode is Mode.PUSH:
                reply = await self._push().command(**message)
            else:
                reply = await self._queued_once(_LIST, message)
                codec.check_reply(reply, codec.REQUEST_PERSONS)
            page, total = codec.people_page(reply)
            fresh = [person for person in page if person.person_id not in people]
            people.update((person.person_id, person) for person in fresh)
            if not fresh:
                break
            if total is not None and len(people) >= total:
                break
            if total is None and len(page) < codec.PAGE_SIZE:
                break
        return list(people.values())

    # ---- settings and restart (optional `SettingsClient`) ----------------------------------

    async def read_settings(self) -> model.Settings:
        """Read `request app params` (2.3.1) and `camera volume` GET (2.18.2); see `settings`.

        Either the device does not have (code 2, or an answer without the fields) is left
        out. The unit read (`fahrenheit_unit`) labels the records from now on. Raises
        DeviceTimeoutError when the device answers neither.
        """
        found: model.Settings = {}
        answered = False
        for read in (self._read_app_settings, self._read_volume):
            try:
                found.update(await read())
            except model.DeviceTimeoutError as err:
                _LOGGER.debug("Device %s did not tell a setting: %s", self.serial, err)
                continue
            except (model.DeviceRefusedError, DecodeError) as err:
                _LOGGER.debug("Device %s has no such settings: %s", self.serial, err)
            answered = True
        if not answered:
            raise model.DeviceTimeoutError("the device answered none of its settings commands")
        return found

    async def _read_params(self) -> dict[str, Any]:
        """Ask `request app params` and remember the unit it says."""
        params = await self._ask(codec.request_app_params())
        unit = app_settings.unit_of(params)
        if unit is not None and unit is not self._unit:
            self._unit = unit
            await self._queue.save()
        return params

    async def _read_app_settings(self) -> model.Settings:
        """Return the settings among the application parameters."""
        return app_settings.settings_from(await self._read_params())

    async def _read_volume(self) -> model.Settings:
        """Return the volume of `camera volume` GET, if the answer has one."""
        setting = app_settings.volume_setting(await self._ask(codec.camera_volume()))
        return {} if setting is None else {model.SettingKey.VOLUME: setting}

    async def write_setting(
        self, key: model.SettingKey, value: model.SettingValue
    ) -> model.Settings:
        """Set one setting, then read the settings back and return them.

        Volume: `camera volume` SET (2.18.1). Others: `update app params` carrying only the
        object the field sits in, whole as just read, with the change (digest §4.15).
        Raises InvalidRequestError for a value out of the setting's range or a setting the
        device does not report, DeviceRefusedError with the device's code (3: an illegal
        field) or when the read-back shows another value.
        """
        if key is model.SettingKey.VOLUME:
            current = (await self._read_volume()).get(key)
            if current is None:
                raise model.InvalidRequestError(f"the device has no {key} setting")
            await self._ask(codec.camera_volume(round(float(current.check(value)))))
        else:
            spec = app_settings.FIELDS_BY_KEY.get(key)
            params = await self._read_params()
            current = app_settings.settings_from(params).get(key)
            if spec is None or current is None:
                raise model.InvalidRequestError(f"the device has no {key} setting")
            name, obj = app_settings.changed_object(params, spec, current.check(value))
            await self._ask(codec.update_app_params(name, obj))
        wanted = current.check(value)
        found = await self.read_settings()
        after = found.get(key)
        if after is None or not read_back_matches(after.value, wanted):
            raise model.DeviceRefusedError("the device took the setting but kept another value")
        return found

    async def reboot(self) -> None:
        """Restart the device with `reboot` (2.9.3, L3142-L3177); it answers first.

        Its clock is set again once it is back. Raises DeviceRefusedError when it refuses,
        DeviceTimeoutError when it does not answer (LONG_POLL: fetch) in time.
        """
        await self._ask(codec.reboot())
        self._clock_due = self._sync_time

    # ---- upload check (optional `UploadCheckClient`) ---------------------------------------

    async def check_uploads(self) -> list[model.UploadProblem]:
        """Read `upload_info` (2.3.1, L1878-L1934); say what keeps records from the webhook.

        Needed: `method` "http", the server (`server_ip`, which wins over `server_domain`,
        L1865-L1868) and `server_port` of Home Assistant, and `service_url` the upload
        path. Without a known address of Home Assistant only the method and path are
        judged. `user` and `password` are never read into a problem. Raises
        DeviceRefusedError when the device refuses `request app params`.
        """
        params = await self._ask(codec.request_app_params())
        upload = params.get("upload_info")
        return upload_problems(
            upload if isinstance(upload, dict) else {},
            self._upload_address() if self._upload_address is not None else None,
            self._upload_path,
        )

    async def fix_uploads(self) -> list[model.UploadProblem]:
        """Point `upload_info` at the webhook (as at set-up), read it back, return what is left.

        Raises UnsupportedError when Home Assistant knows no address of its own,
        DeviceRefusedError when the device refuses the change.
        """
        if not await self.check_uploads():
            return []
        address = self._upload_address() if self._upload_address is not None else None
        if address is None:
            raise model.UnsupportedError("Home Assistant knows no address of its own")
        await self._ask(codec.upload_info(*address, self._upload_path))
        return await self.check_uploads()

    # ---- catch-up (optional `CatchUpClient`) ------------------------------------------------

    async def fetch_records(self, start: datetime, end: datetime) -> int | None:
        """Read the records of `start`..`end` (device-local) with `request records` (2.2.2).

        Pages of 20 from page 1, over the window widened by ZONE_MARGIN each side (Unix
        seconds of Home Assistant's zone, digest E54); the records whose own `time` lies
        within `start`..`end` reach the listeners in time order, `historical`, each once,
        with the `key` their live push had (`records.history_record`). Returns how many.
        Raises DeviceRefusedError (code 2: firmware without the query) or
        DeviceTimeoutError.
        """
        zone = self._now().tzinfo
        since = int((start.replace(tzinfo=zone) - ZONE_MARGIN).timestamp())
        until = int((end.replace(tzinfo=zone) + ZONE_MARGIN).timestamp())
        first, last = start.replace(tzinfo=None), end.replace(tzinfo=None)
        found: dict[str, tuple[datetime, int, model.AccessRecord]] = {}
        seen: set[str] = set()
        for page_no in range(1, MAX_RECORD_PAGES + 1):
            reply = await self._ask(codec.request_records(page_no, since, until))
            entries = reply.get("records")
            page = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
            device_sn = text(reply.get("device_sn")) or self.serial
            # A page of records already seen: a device that ignores `page_no`.
            fresh = [e for e in page if f"{e.get('sequence')}|{e.get('time')}" not in seen]
            seen.update(f"{e.get('sequence')}|{e.get('time')}" for e in page)
            for entry in fresh:
                record = records.history_record(entry, device_sn, self._unit)
                if record is not None and record.time is not None and first <= record.time <= last:
                    found[record.key] = (record.time, integer(entry.get("sequence")) or 0, record)
            total = integer(reply.get("total"))
            if (
                not fresh
                or len(page) < codec.PAGE_SIZE
                or (total is not None and len(seen) >= total)
            ):
                break
        for _when, _sequence, record in sorted(found.values(), key=lambda item: item[:2]):
            self._hub.emit(record)
        return len(found)

    async def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a command someone waits for now and return its successful answer.

        PUSH: through the connection. LONG_POLL: queued for the next poll, not kept past
        `confirm_timeout`. Raises DeviceRefusedError for a code other than 0.
        """
        if self.mode is Mode.PUSH:
            return await self._push().command(**message)
        reply = await self._queued_once(_SETTINGS, message)
        codec.check_reply(reply, codec.cmd_of(message))
        return reply

    # ---- inbound ----------------------------------------------------------------------------

    async def handle_request(self, request: HttpRequest) -> HttpReply:
        """Answer one request of the device; never raises.

        404: a path that is neither `upload_path` nor `poll_path`; 400: a body that is not a
        JSON object, or a `face` record without `sequence_no`/`cap_time` (it cannot be
        acknowledged); 403: another `device_sn`. None of them changes any state.
        A `face` record is acknowledged at once (L1625-L1646) even when its other fields
        make no sense, or the device would block on it. Heartbeats on the upload path are
        acknowledged at once; on the poll path they are held (see the class). `ask_upgrade`
        is told "none"; anything else is acknowledged with code 0.
        """
        path = normalise_path(request.path)
        poll = path == self._poll_path
        if not poll and path != self._upload_path:
            return self._refuse(404, "not one of this device's paths")
        try:
            obj = codec.decode_message(request.body)
        except DecodeError as err:
            return self._refuse(400, str(err))
        reported = records.device_sn_of(obj)
        if reported is not None and reported.casefold() != self.serial.casefold():
            return self._refuse(403, "another device_sn")
        cmd = codec.cmd_of(obj)
        acknowledgement: dict[str, Any] | None = None
        try:
            if cmd == codec.FACE and not codec.is_result(obj):
                # Before anything else: the device blocks until this record is acknowledged.
                acknowledgement = records.face_ack(obj)
                await self._contact(obj, request)
                self._on_face(obj)
                return _reply(acknowledgement)
            await self._contact(obj, request)
            if cmd == codec.ASK_UPGRADE:
                return _reply(await self._on_upgrade(obj))
            if poll:
                return await self._on_poll(obj)
            self._hub.emit(model.Alive())
            return _reply(records.ack(codec.raw_cmd(obj)))
        except DecodeError as err:
            return self._refuse(400, str(err))
        except Exception:  # a failing store or listener must not raise into the host
            _LOGGER.exception("Failed to handle a request of device %s", self.serial)
            if acknowledgement is not None:
                return _reply(acknowledgement)
            return HttpReply(500, b"internal error", "internal error", content_type="text/plain")

    def _refuse(self, status: int, reason: str) -> HttpReply:
        """Log one line about a refused request (never its content) and answer it."""
        _LOGGER.warning("Refused a request for device %s: %s", self.serial, reason)
        return HttpReply(status, reason.encode(), reason, content_type="text/plain")

    async def _contact(self, obj: Mapping[str, Any], request: HttpRequest) -> None:
        """Note a request of the device; the first since `start` announces it online.

        A long-polling device back from offline gets its clock set again, as after a start.
        """
        if self.mode is Mode.LONG_POLL and self._last_request is not None and not self.online:
            self._clock_due = self._sync_time
        self._last_request = time.monotonic()
        if not self._greeted:
            self._greeted = True
            ip = records.heartbeat_info(obj).ip or request.remote
            self._info = model.DeviceInfo(ip=ip, firmware=self._info.firmware)
            self._hub.emit(model.Connectivity(online=True, info=self._info))
        if not self._connected_once:
            self._connected_once = True
            await self._queue.save()

    def _on_face(self, obj: Mapping[str, Any]) -> None:
        """Pass on an acknowledged record and its credential reads (digest §4.1).

        Credential events carry no record key for the owner to de-duplicate, so a re-sent
        copy's are dropped here; backlog records (`is_realtime` 0) fire none, since a card
        read long ago is no event now.
        """
        self._records_acked += 1
        try:
            record = records.record_from(obj, self._unit)
            credentials = records.credentials_from(obj)
        except Exception:  # a device must never be able to raise into the host
            _LOGGER.exception("Could not read a record of device %s", self.serial)
            return
        if record is not None:
            self._hub.emit(record)
        key = records.record_key(obj)
        if credentials and not records.is_historical(obj) and key not in self._credential_keys:
            self._credential_keys[key] = None
            while len(self._credential_keys) > _CREDENTIAL_MEMORY:
                self._credential_keys.popitem(last=False)
            for event in credentials:
                self._hub.emit(event)
        elif record is None:
            self._hub.emit(model.Alive())

    async def _on_upgrade(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Take the firmware version of `ask_upgrade` and say "no upgrade" (2.11).

        The version is saved: the device asks rarely, and no command tells it (digest §4.12).
        """
        firmware = records.firmware_of(obj)
        if firmware is not None and firmware != self._info.firmware:
            self._info = model.DeviceInfo(
                ip=self._info.ip, firmware=firmware, model=self._info.model
            )
            self._hub.emit(model.Connectivity(online=True, info=self._info))
            await self._queue.save()
        else:
            self._hub.emit(model.Alive())
        return records.upgrade_reply()

    # ---- long poll ----------------------------------------------------------------------------

    async def _on_poll(self, obj: Mapping[str, Any]) -> HttpReply:
        """Take a result or a heartbeat, then hold the request for the next command (L93-L99).

        Never answered at once when nothing is queued (the device would ask again at once,
        L99), and never left unanswered: after `poll_hold` seconds, or at `stop`, the answer
        is the heartbeat ACK.
        """
        self._hub.emit(model.Alive())
        if codec.is_result(obj):
            self._on_result(obj)
        elif codec.is_heartbeat(obj):
            self._lost_in_flight()
        if self._clock_due and self.mode is Mode.LONG_POLL:
            self._clock_due = False
            # Ahead of the users' commands, without a waiter: a clock is set best-effort.
            self._queue.add(
                _Entry(seq=0, kind=_CLOCK), before=lambda entry: entry.delivered is None
            )
        await self._queue.save()
        command = await self._next_command()
        return _reply(command if command is not None else records.ack(codec.HEARTBEAT))

    async def _next_command(self) -> dict[str, Any] | None:
        """Wait up to `poll_hold` seconds for a command to deliver; None when none came."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._poll_hold
        while True:
            entry = self._take_next()
            if entry is not None:
                if entry.kind == _CLOCK:
                    entry.command = codec.update_date_time(self._now())  # the time of sending
                await self._queue.save()
                return codec.request_body(entry.command, command_id=str(entry.seq))
            remaining = deadline - loop.time()
            if remaining <= 0 or self._stopping.is_set():
                return None
            queued = asyncio.ensure_future(self._queue.until_undelivered(remaining))
            stopping = asyncio.ensure_future(self._stopping.wait())
            try:
                await asyncio.wait({queued, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                queued.cancel()
                stopping.cancel()

    def _take_next(self) -> _Entry | None:
        """Mark the next command delivered and return it: door first, then in order.

        Door, snapshot and list commands whose caller gave up are dropped first.
        """
        now = self._now().timestamp()
        for expired in self._queue.expire(now):
            _LOGGER.debug(
                "A %s command for device %s expired undelivered", expired.kind, self.serial
            )
        entry = self._queue.find(lambda queued: queued.delivered is None and queued.kind == _DOOR)
        if entry is None:
            entry = self._queue.find(lambda queued: queued.delivered is None)
        if entry is not None:
            entry.delivered = now
            entry.deliveries += 1
        return entry

    def _on_result(self, obj: Mapping[str, Any]) -> None:
        """Match a result to its command by `command_id` (L95), else by `cmd`, and finish it.

        `upload person` answered with code 2 (older firmware, L657) is not finished but sent
        again as `add person jpg`.
        """
        in_flight = [entry for entry in self._queue.entries if entry.delivered is not None]
        command_id = codec.command_id_of(obj)
        if command_id is not None:
            entry = next((e for e in in_flight if str(e.seq) == command_id), None)
        else:
            cmd = codec.cmd_of(obj)
            same = [e for e in in_flight if codec.cmd_of(e.command) == cmd]
            entry = same[0] if same else (in_flight[0] if len(in_flight) == 1 else None)
        if entry is None:
            _LOGGER.debug("Device %s sent a result nobody waits for", self.serial)
            return
        code = codec.outcome_code(obj)
        if entry.command.get("cmd") == codec.UPLOAD_PERSON and code == codec.CODE_UNSUPPORTED:
            entry.command, entry.shortened = codec.add_person_jpg(entry.command)
            entry.delivered = None
            entry.deliveries = 0
            return
        self._finish(entry, dict(obj), code)

    def _lost_in_flight(self) -> None:
        """Handle commands the device lost: its request is a heartbeat, not their result (L93).

        A door command is given up (it may have opened already); others go out again, up
        to MAX_DELIVERIES times.
        """
        for entry in [e for e in self._queue.entries if e.delivered is not None]:
            if entry.kind == _DOOR or entry.deliveries >= MAX_DELIVERIES:
                _LOGGER.warning(
                    "Device %s never answered a %s command (%s)",
                    self.serial,
                    entry.kind,
                    entry.command.get("cmd"),
                )
                self._finish(entry, None, None)
            else:
                entry.delivered = None

    def _finish(self, entry: _Entry, outcome: dict[str, Any] | None, code: int | None) -> None:
        """Hand a command's result to its caller; log a failure nobody waits for any more."""
        taken = self._queue.finish(entry, outcome)
        if taken or code in (0, None):
            return
        if entry.command.get("cmd") == codec.DELETE_PERSONS and code == codec.CODE_NOT_FOUND:
            return
        _LOGGER.warning(
            "A queued %s failed on device %s: %s",
            entry.command.get("cmd") or entry.kind,
            self.serial,
            codec.CODES.get(code, f"code {code}"),
        )

    async def _submit(self, kind: str, message: dict[str, Any]) -> _Entry:
        """Queue a command with a waiter and save the queue (people commands survive)."""
        expires = None
        if kind in _TRANSIENT:
            expires = self._now().timestamp() + self._confirm_timeout
        entry = _Entry(seq=0, kind=kind, command=message, expires=expires)
        await self._queue.submit(entry)
        return entry

    async def _wait(self, entry: _Entry, seconds: float | None = None) -> tuple[bool, Any]:
        """Wait for a command's result; a device that is not polling gets no wait at all."""
        limit = self._confirm_timeout if seconds is None else seconds
        return await self._queue.wait(entry.seq, limit if self.online else 0)

    async def _queued_once(self, kind: str, message: dict[str, Any]) -> dict[str, Any]:
        """Queue a command someone waits for now, and return its result.

        Raises DeviceTimeoutError when the result did not come in time; the command is
        then dropped unless it is already out.
        """
        entry = await self._submit(kind, message)
        done, outcome = await self._wait(entry)
        if not done:
            if entry.delivered is None:
                self._queue.remove(entry)
            raise model.DeviceTimeoutError(
                "the device did not fetch the command in time"
                if entry.delivered is None
                else "the device did not answer the command in time"
            )
        if outcome is None:
            raise model.DeviceTimeoutError("the device lost the command")
        result: dict[str, Any] = outcome
        return result

    @staticmethod
    def _check_outcome(outcome: Any) -> None:
        """Raise for a people command's result: none (lost) or a code other than 0."""
        if outcome is None:
            raise model.DeviceTimeoutError("the device lost the command")
        codec.check_reply(outcome, codec.cmd_of(outcome))

    def _pending(self) -> model.CommandResult:
        """Say why a queued people command is not confirmed yet."""
        if not self.online:
            return model.CommandResult(
                message="queued; the device is not polling now and gets it when it does",
                pending=True,
            )
        return model.CommandResult(
            message="queued; the device has not confirmed it yet", pending=True
        )

    # ---- plumbing ---------------------------------------------------------------------------

    def _push(self) -> FaceCaptureConnection:
        """Return the connection of PUSH mode (checked by the constructor)."""
        if self._connection is None:  # pragma: no cover - the constructor refuses it
            raise model.DeviceTimeoutError("no connection to the device")
        return self._connection

    def _saved_state(self) -> dict[str, Any]:
        """Return what was learnt about the device, saved with the queue."""
        return {
            "connected_once": self._connected_once,
            "firmware": self._info.firmware,
            "temperature_unit": None if self._unit is None else self._unit.value,
        }


def _reply(obj: Mapping[str, Any]) -> HttpReply:
    """Return a 200 with a JSON body (with Content-Length: never chunked, L114)."""
    return HttpReply(200, codec.encode(obj))


if TYPE_CHECKING:
    # The client must stay a DeviceClient that takes HTTP; mypy checks it here.
    _CONFORMS: type[DeviceClient] = FaceCaptureHttpClient
    _INBOUND: type[InboundHttp] = FaceCaptureHttpClient
    _CONFIGURABLE: type[SettingsClient] = FaceCaptureHttpClient
    _UPLOADS: type[UploadCheckClient] = FaceCaptureHttpClient
    _CATCH_UP: type[CatchUpClient] = FaceCaptureHttpClient
