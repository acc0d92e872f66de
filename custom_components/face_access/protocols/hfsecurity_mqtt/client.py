"""The client of the HFSecurity MQTT family: subscriptions, acknowledgements, commands.

The documents are face-terminal-mqtt v1.24 and network-camera-mqtt v1.25 (`shared/seeds`);
"digest" is `shared/protocols/face_terminal_mqtt.md`, "L123" a line of the document.

Commands go to `<prefix>/<ID>`; the device answers on `<prefix>/<ID>/<suffix>` with
`<operator>-Ack` echoing `messageId`, pushes records on per-device topics and
`Online`/`Offline`/`HeartBeat` on the shared `<prefix>/basic` and `<prefix>/heartbeat`
(digest §2.2). Suffix casing differs between firmware, so messages are routed by
`operator`, never by topic suffix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
import json
import logging
import time
from typing import TYPE_CHECKING, Any, Final
import uuid

from ..client import MessageHub, MqttTransport
from ..model import (
    AccessRecord,
    Alive,
    AnalyticsEvent,
    Capability,
    CommandResult,
    Connectivity,
    DeviceInfo,
    DeviceMessage,
    DeviceProfile,
    DeviceRefusedError,
    DeviceTimeoutError,
    DoorModeError,
    Enrollment,
    FaceAccessError,
    InvalidRequestError,
    MessageCallback,
    Person,
    PersonNotFoundError,
    Picture,
    SettingKey,
    Settings,
    SettingValue,
    TemperatureUnit,
    UnsupportedError,
    UploadProblem,
)
from ..setting_decoders import read_back_matches
from ..wire import DecodeError, integer as _int, text as _text
from . import batch, codec, settings as wire_settings, uploads
from .analytics import ANALYTICS_OPERATORS, analytics_from
from .variants import DEFAULT_TOPIC_PREFIX, FACE_TERMINAL, MISSED_HEARTBEATS, MqttVariant

if TYPE_CHECKING:
    from ..client import (
        BatchEnrollClient,
        BatchOutcome,
        CatchUpClient,
        DeviceClient,
        SettingsClient,
        UploadCheckClient,
    )

# One logger for the whole family (the package's), so that its level is set in one place.
_LOGGER = logging.getLogger(__package__)

# A record's picture is at most 1 MB (§5); base64 and the other fields add about 40 %.
# Anything much larger is not from a working device and is dropped before JSON parsing.
MAX_PAYLOAD_BYTES = 3 * 1024 * 1024
# §4.1 L318: at least 1 s between EditPerson calls that carry a base64 picture.
PHOTO_COMMAND_INTERVAL = 1.0
# §16 L3281: frequent scene snapshots disturb recognition; reuse one for this long.
SCENE_SNAP_MIN_INTERVAL = 3.0
# Records older than this on arrival are backlog (digest §7.4: about 60 s).
HISTORICAL_AFTER_SECONDS = 60.0
DEFAULT_COMMAND_TIMEOUT = 15.0
# Camera digest §3 step 4: offline after two missed heartbeats "plus margin"; 15 s also
# gives the terminal digest's "about 75 s" for its 30 s heartbeat (§3 step 4).
KEEP_ALIVE_MARGIN = 15.0
LIST_PAGE_SIZE = 100
DELETE_BATCH_SIZE = 200


class HFSecurityMqttClient:
    """One device of the HFSecurity MQTT family; a `DeviceClient`.

    Inbound messages are decoded on the caller's event loop (cheap: JSON only; pictures stay
    base64) and handed to the subscribers as model objects, after the acknowledgements the
    protocol requires have been sent: `Online-Ack` for `Online` (§10.2) and `PushAck` for every
    record with an ID (§11), so that the device stops re-sending them. Commands are matched
    to their `-Ack` by `messageId` and time out after `command_timeout` seconds.
    """

    def __init__(
        self,
        transport: MqttTransport,
        device_id: str,
        *,
        variant: MqttVariant = FACE_TERMINAL,
        topic_prefix: str = DEFAULT_TOPIC_PREFIX,
        heartbeat_interval: float | None = None,
        now: Callable[[], datetime] = datetime.now,
        sync_time: bool = True,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
    ) -> None:
        """Set up the client; nothing is subscribed until `start`.

        `heartbeat_interval` (seconds) is the device's `HeartBeat` period when it is not the
        variant's default; `now` returns local time (the devices' clocks are local);
        `sync_time` sets the device's clock when it comes online; `command_timeout` is how
        long, in seconds, a command waits for its `-Ack`.
        """
        self._transport = transport
        self.device_id = device_id
        self._hub = MessageHub(_LOGGER)
        self.variant = variant
        self._prefix = topic_prefix.rstrip("/")
        self._heartbeat_interval = (
            heartbeat_interval if heartbeat_interval is not None else variant.heartbeat_interval
        )
        self._now = now
        self._sync_time = sync_time
        self._clock_set = False
        self._timeout = command_timeout
        self._unsubscribe: list[Callable[[], None]] = []
        self._pending: dict[str, asyncio.Future[codec.Envelope]] = {}
        self._offline = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._people_lock = asyncio.Lock()
        self._last_photo_command = 0.0
        self._snap_lock = asyncio.Lock()
        self._last_snap: tuple[float, Picture] | None = None
        # What the last `GetTPTconfig` said (§9.5): records carry no unit of their own.
        self._temperature_unit = TemperatureUnit.CELSIUS
        self._temperature_high: float | None = None
        # Whether the device answered `GetTPTconfig` with settings (a temperature model).
        self._thermometer = False
        # What the last `GetMQTTconfig` said (terminal §9.6, camera §10.1).
        self._keep_alive: float | None = None
        self._stranger_upload: bool | None = None
        self._upload_config_read = False
        # Whether this client watches the shared topics (the owner's, not a probe).
        self._watching = False

    @property
    def profile(self) -> DeviceProfile:
        """Return what the device is and can do: its variant's profile."""
        return self.variant.profile

    @property
    def offline_after(self) -> float:
        """Return the seconds without any message after which the device counts as offline.

        Once the device told its heartbeat interval (`KeepAliveInterval` in `GetMQTTconfig`,
        camera §10.1, read at every `Online`): two intervals plus KEEP_ALIVE_MARGIN (camera
        digest §3 step 4). Until then MISSED_HEARTBEATS periods of the configured or the
        variant's heartbeat: the device sends `HeartBeat` every period even when idle (§15),
        so a silence that long means it is gone.
        """
        if self._keep_alive is not None:
            return 2 * self._keep_alive + KEEP_ALIVE_MARGIN
        return self._heartbeat_interval * MISSED_HEARTBEATS

    @property
    def poll_interval(self) -> float | None:
        """Return None: heartbeats and `Online`/`Offline` pushes tell connectivity."""
        return None

    def subscribe(self, listener: MessageCallback) -> Callable[[], None]:
        """Call `listener` with every inbound model message; return the unsubscriber."""
        return self._hub.subscribe(listener)

    def diagnostics(self) -> dict[str, Any]:
        """Return the state worth a diagnostics dump: counts and flags only.

        `variant` is the protocol key, `pending_commands` how many commands await their
        `-Ack`, `clock_set` whether the device's clock was set since `start`,
        `reported_heartbeat_interval` the `KeepAliveInterval` (s) the device told (None
        when it told none).
        """
        return {
            "variant": self.variant.protocol.value,
            "pending_commands": len(self._pending),
            "clock_set": self._clock_set,
            "reported_heartbeat_interval": self._keep_alive,
        }

    @property
    def command_topic(self) -> str:
        """Return the topic the device takes commands on (its "cloud topic", §2 L254)."""
        return f"{self._prefix}/{self.device_id}"

    async def start(self, *, shared_topics: bool = True) -> None:
        """Subscribe to the device's own topics and the two shared ones (digest §2.2).

        Without `shared_topics` (a short-lived probe) the client never sees `Online`, so it
        cannot answer it in the owner's place: the device stops repeating `Online` once any
        `Online-Ack` arrives (§10.1).
        """
        topics = [f"{self.command_topic}/#"]
        self._watching = shared_topics
        if shared_topics:
            topics += [f"{self._prefix}/basic", f"{self._prefix}/heartbeat"]
        self._unsubscribe.extend(
            await asyncio.gather(
                *(self._transport.subscribe(topic, self.handle_message) for topic in topics)
            )
        )

    async def stop(self) -> None:
        """Unsubscribe, fail pending commands and cancel background sends."""
        while self._unsubscribe:
            self._unsubscribe.pop()()
        self._fail_pending("the connection to the device was closed")
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- inbound ----------------------------------------------------------------------------

    def handle_message(self, topic: str, payload: str | bytes | bytearray) -> None:
        """Handle one MQTT message: decode, acknowledge, pass on. Never raises.

        Bad input (oversize, not JSON, no operator, another device's ID on this device's topic)
        is dropped with one log line that carries no payload content.
        """
        if topic == self.command_topic:
            return  # a command (ours, echoed by the `<id>/#` subscription); never a device's
        shared = not topic.startswith(f"{self.command_topic}/")
        # What cannot be read on a shared topic may be any device's: every client of the
        # prefix sees it, so it is logged at debug, or one bad message would warn once per
        # configured device, none of them surely the sender.
        level = logging.DEBUG if shared else logging.WARNING
        if len(payload) > MAX_PAYLOAD_BYTES:
            _LOGGER.log(
                level,
                "Dropped a %d-byte message on %s: larger than any device sends",
                len(payload),
                topic,
            )
            return
        try:
            env = codec.decode_envelope(payload)
        except DecodeError as err:
            _LOGGER.log(level, "Dropped a message on %s: %s", topic, err)
            return
        reported = env.device_id
        if shared and not codec.id_matches(reported, self.device_id):
            return  # another device on the shared topics: normal, not an error
        if not shared and reported is not None and not codec.id_matches(reported, self.device_id):
            _LOGGER.warning("Dropped %s on %s: it names another device", _name(env), topic)
            return
        try:
            self._dispatch(env)
        except DecodeError as err:
            _LOGGER.warning("Dropped %s on %s: %s", _name(env), topic, err)
        except Exception:  # a device must never be able to raise into the host
            _LOGGER.exception("Failed to handle %s from device %s", _name(env), self.device_id)

    def _dispatch(self, env: codec.Envelope) -> None:
        """Route by operator, compared without case (digest §2.2).

        An answer is matched by its `messageId` whatever its operator says: the camera names
        some answers wrongly (camera_mqtt digest §8.3).
        """
        operator = env.operator.lower()
        # Anything the device sends but its Offline Will says it is there to take commands.
        self._offline = operator == "offline"
        future = self._pending.get(env.message_id) if env.message_id is not None else None
        if future is not None or operator.endswith("-ack"):
            if future is not None and not future.done():
                future.set_result(env)
            return
        capabilities = self.variant.profile.capabilities
        message: DeviceMessage | None
        if operator == "recpush":
            record = self._in_device_unit(codec.record_from_rec_push(env))
            message = self._record(env, record, ack_type=2)
        elif operator == "strsnappush":
            record = self._in_device_unit(codec.record_from_str_snap_push(env))
            message = self._record(env, record, ack_type=1)
        elif operator in ANALYTICS_OPERATORS and Capability.ANALYTICS_EVENTS in capabilities:
            event, acked = analytics_from(env)
            message = self._record(env, event, ack_type=3 if acked else None)
        elif (
            operator in ("qrcodepush", "cardpush", "idcardpush")
            and Capability.CREDENTIAL_EVENTS in capabilities
        ):
            message = codec.credential_from(env)
        elif operator == "online":
            self._background(self._answer_online())
            message = Connectivity(online=True, info=codec.info_from_online(env))
        elif operator == "offline":
            # Commands sent before the device dropped are lost with its session: waiting
            # out their timeout would only pile up callers while a device flaps.
            self._fail_pending("the device went offline")
            message = Connectivity(online=False)
        elif operator == "heartbeat":
            message = Alive()
        else:
            _LOGGER.debug("Ignored %s from device %s", _name(env), self.device_id)
            return
        if message is not None:
            self._hub.emit(message)

    def _record[R: (AccessRecord, AnalyticsEvent)](
        self, env: codec.Envelope, record: R, *, ack_type: int | None
    ) -> R:
        """Acknowledge a record (§11) before anyone processes it, and mark backlog as such.

        `ack_type` is the `PushAckType` (1 stranger, 2 recognition, 3 generic: camera_mqtt
        digest §4.4, where the prose wrongly says 1 for recognitions), None for pushes the
        protocol does not let us acknowledge. Records re-pushed on request (`PushType` 2) need
        no ack (§20 L3486). Re-sent copies are acked again, or the device never stops sending
        them (digest §7.3). A camera record with `Sendintime` 0 is not real-time (L992).
        """
        if ack_type is None:
            pass
        elif record.record_id is None and not record.historical:
            _LOGGER.warning(
                "A %s from device %s has no record ID; it cannot be acknowledged",
                _name(env),
                self.device_id,
            )
        elif not record.historical:
            record_id = _int(record.record_id)
            self._background(
                self._publish(
                    "PushAck",
                    {
                        "PushAckType": self._number(ack_type),
                        "SnapOrRecordID": record.record_id
                        if record_id is None
                        else self._number(record_id),
                    },
                )
            )
        if self.variant.realtime_flag and _int(env.fields.get("sendintime")) == 0:
            return replace(record, historical=True)
        if not record.historical and record.time is not None:
            age = (self._now().replace(tzinfo=None) - record.time).total_seconds()
            if age > HISTORICAL_AFTER_SECONDS:
                return replace(record, historical=True)
        return record

    async def _answer_online(self) -> None:
        """Answer `Online` with `Online-Ack` (§10.2), set the clock (§9.8), read uploads.

        The upload configuration (§9.6) tells the heartbeat interval (camera §10.1) and
        whether strangers are uploaded; the camera digest's start-up reads it at every
        `Online` (§3), as a reconnection may follow a change on the device's own page.
        """
        await self._publish(
            "Online-Ack",
            {"facesluiceId": self.device_id, "result": "ok", "detail": ""},
        )
        if self._sync_time:
            self._clock_set = True
            await self._set_clock()
        await self._read_upload_config_quietly()

    async def _read_upload_config_quietly(self) -> None:
        """Read the upload configuration; best effort (older firmware may not answer)."""
        try:
            await self._read_upload_config()
        except FaceAccessError as err:
            _LOGGER.debug("Device %s did not tell its upload settings: %s", self.device_id, err)

    async def _set_clock(self) -> None:
        """Set the device's clock to local time with `SetSysTime` (§9.8); best effort."""
        try:
            await self._command(
                "SetSysTime",
                {"SysTime": codec.format_time(self._now(), self.variant.time_separator)},
            )
        except FaceAccessError as err:
            _LOGGER.debug("Device %s did not take the time: %s", self.device_id, err)

    def _fail_pending(self, reason: str) -> None:
        """End every command waiting for its -Ack with DeviceTimeoutError(`reason`)."""
        for future in self._pending.values():
            if not future.done():
                future.set_exception(DeviceTimeoutError(reason))
                # Marked as read: a waiter cancelled before it wakes (`stop` cancels the
                # background sends next) never reads it, and asyncio would log an error.
                future.exception()
        self._pending.clear()

    def _number(self, value: int) -> int | str:
        """Return a number in the variant's spelling: text on the terminal (digest §4)."""
        return str(value) if self.variant.numbers_as_text else value

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a send in the background, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        """Forget a finished background send, logging a failure once."""
        self._tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            _LOGGER.warning("Sending to device %s failed: %s", self.device_id, err)

    # ---- outbound ---------------------------------------------------------------------------

    async def _publish(
        self,
        operator: str,
        info: Mapping[str, Any] | Sequence[Any],
        *,
        message_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Publish one command to the device's command topic; return its messageId."""
        message_id = message_id or f"ha-{uuid.uuid4().hex[:16]}"
        body: dict[str, Any] = {"messageId": message_id, "operator": operator}
        if extra:
            body.update(extra)
        body["info"] = info
        await self._transport.publish(self.command_topic, json.dumps(body, ensure_ascii=False))
        return message_id

    async def _command(
        self,
        operator: str,
        info: Mapping[str, Any] | Sequence[Any],
        *,
        extra: Mapping[str, Any] | None = None,
        ack_timeout: float | None = None,
    ) -> codec.Envelope:
        """Send a command and wait for its successful `-Ack`.

        Raises DeviceTimeoutError when no ack comes in time, DeviceRefusedError when the ack
        reports a failure.
        """
        if self._offline:
            # Its session is gone: nothing reaches it before it announces itself again.
            raise DeviceTimeoutError("the device is offline")
        message_id = f"ha-{uuid.uuid4().hex[:16]}"
        future: asyncio.Future[codec.Envelope] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        try:
            await self._publish(operator, info, message_id=message_id, extra=extra)
            async with asyncio.timeout(ack_timeout or self._timeout):
                env = await future
        except TimeoutError as err:
            raise DeviceTimeoutError(f"no answer to {operator}") from err
        finally:
            self._pending.pop(message_id, None)
        codec.ack_result(env)
        return env

    async def query_info(self) -> DeviceInfo:
        """Ask for the firmware version (`Versions`, §7.3).

        The first answer after `start` also sets the device's clock when time sync is on: a
        device that was already online when Home Assistant started sends no new `Online`.
        """
        env = await self._command("Versions", {})
        if self._sync_time and not self._clock_set:
            self._clock_set = True
            # In the background: firmware that ignores SetSysTime must not delay the answer.
            self._background(self._set_clock())
        if self._watching and not self._upload_config_read:
            self._upload_config_read = True
            self._background(self._read_upload_config_quietly())
        return DeviceInfo(firmware=_text(env.fields.get("name")), model=self.variant.profile.model)

    async def open_door(self) -> None:
        """Open the door with `Unlock` (§8.1).

        In door mode 0 (`OpendoorWay`, §9.3.5) the device ignores remote opening without
        saying so, so the mode is read first and a refusal raised instead of silence.
        Raises UnsupportedError for a device without a door (the camera, camera_mqtt digest
        §4.24), DoorModeError, DeviceRefusedError or DeviceTimeoutError.
        """
        if Capability.OPEN_DOOR not in self.variant.profile.capabilities:
            raise UnsupportedError(f"the {self.variant.profile.model} has no door to open")
        try:
            door = await self._command("GetDoorconfig", {})
        except DeviceRefusedError:
            door = None  # firmware without door config: let Unlock speak for itself
        if door is not None and _int(door.fields.get("opendoorway")) == 0:
            raise DoorModeError(
                "the device is in face-only door mode (OpendoorWay 0) and ignores remote "
                "opening; set its door mode to 2 (face or remote)"
            )
        await self._command("Unlock", {"uid": "homeassistant", "openDoor": "1"})

    async def snapshot(self) -> Picture:
        """Capture the scene now with `GetSceneSnap` (§16); returns the picture undecoded.

        Calls closer together than SCENE_SNAP_MIN_INTERVAL share one capture (L3281).
        Raises DeviceRefusedError (e.g. 464, firmware without the feature) or
        DeviceTimeoutError.
        """
        async with self._snap_lock:
            if self._last_snap and time.monotonic() - self._last_snap[0] < SCENE_SNAP_MIN_INTERVAL:
                return self._last_snap[1]
            env = await self._command(
                "GetSceneSnap",
                {
                    "facesluiceId": self.device_id,
                    "ImgType": self._number(2),  # JPEG
                    "ImgQuality": self._number(80),
                },
                extra={"facesluiceId": self.device_id},
            )
            data = env.fields.get("imgdata") or env.top.get("imgdata")
            if not isinstance(data, str) or not data.strip():
                raise DeviceRefusedError("the snapshot answer carried no image")
            picture = Picture(data)
            self._last_snap = (time.monotonic(), picture)
            return picture

    async def _paced(self, operator: str, info: Mapping[str, Any]) -> codec.Envelope:
        """Send a picture-carrying people command no sooner than §4.1 allows."""
        async with self._people_lock:
            wait = PHOTO_COMMAND_INTERVAL - (time.monotonic() - self._last_photo_command)
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await self._command(operator, info)
            finally:
                self._last_photo_command = time.monotonic()

    async def enroll(self, enrollment: Enrollment) -> CommandResult:
        """Add or replace a person with `EditPerson` (§4.1, an upsert by `customId`).

        `enrollment.photo_jpeg` must already be within `profile.photo_limits`.
        Raises InvalidRequestError, DeviceRefusedError or DeviceTimeoutError.
        """
        await self._paced("EditPerson", codec.edit_person_info(enrollment, self.variant))
        return CommandResult(message="enrolled")

    @property
    def batch_size(self) -> int:
        """Return the most people of one `EditPersonsNew` (§4.10: 1000)."""
        return batch.BATCH_SIZE

    @property
    def batch_needs_urls(self) -> bool:
        """Return True: batches take pictures by `picURI` only (§4.10 L1207)."""
        return True

    async def enroll_batch(
        self, enrollments: Sequence[Enrollment], photo_urls: Mapping[str, str] | None = None
    ) -> BatchOutcome:
        """Add or replace people with `EditPersonsNew`; return each person ID's outcome.

        See `batch.enroll_batch`; no other people command runs meanwhile (410, §4.10).
        """
        async with self._people_lock:
            return await batch.enroll_batch(self, enrollments, photo_urls)

    async def delete(self, person_ids: Sequence[str]) -> CommandResult:
        """Delete people: `DelPerson` for one (§4.3), `DeletePersons` by 200 for more (§4.9).

        Raises PersonNotFoundError when the device has none of them (`DelPerson` error 464
        "can't find customId's person", L3718-3724; unknown IDs are `DeletePersons` failures,
        L1135), DeviceRefusedError when nobody could be deleted otherwise (the device's reason
        for one person), DeviceTimeoutError when the device does not answer.
        """
        async with self._people_lock:
            if len(person_ids) == 1:
                try:
                    await self._command("DelPerson", {"customId": person_ids[0]})
                except DeviceRefusedError as err:
                    if err.code == "464":
                        raise PersonNotFoundError(err.reason, err.code) from err
                    raise
                return CommandResult(message="deleted")
            deleted = 0
            for start in range(0, len(person_ids), DELETE_BATCH_SIZE):
                chunk = list(person_ids[start : start + DELETE_BATCH_SIZE])
                env = await self._command(
                    "DeletePersons",
                    {"customId": chunk},
                    extra={
                        "DataBegin": "BeginFlag",
                        "PersonNum": self._number(len(chunk)),
                        "DataEnd": "EndFlag",
                    },
                    ack_timeout=max(self._timeout, 30.0),  # §4.9: about 7 s for 200
                )
                deleted += _int(env.fields.get("delsucnum")) or 0
        if deleted == 0:
            raise PersonNotFoundError("none of these people is on the device")
        return CommandResult(message=f"deleted {deleted} of {len(person_ids)}")

    async def delete_all(self) -> CommandResult:
        """Delete every person with `DeleteAllPerson` (terminal §4.5, camera §4.7).

        The terminal also deletes its records and restarts (L756); the camera keeps records.
        """
        async with self._people_lock:
            await self._command("DeleteAllPerson", {"deleteall": self._number(1)})
        if self.variant.delete_all_restarts:
            return CommandResult(message="all people deleted; the device restarts now")
        return CommandResult(message="all people deleted")

    async def list_people(self) -> list[Person]:
        """Page through `SearchPersonList` (§4.2.3) and return everyone on the device."""
        people: list[Person] = []
        begin = 0
        sep = self.variant.time_separator
        async with self._people_lock:
            while True:
                try:
                    env = await self._command(
                        "SearchPersonList",
                        {
                            "facesluiceId": self.device_id,
                            "personType": 2,
                            "BeginTime": codec.format_time(datetime(2000, 1, 1), sep),
                            "EndTime": codec.format_time(datetime(2099, 12, 31, 23, 59, 59), sep),
                            "gender": 2,
                            "BeginNO": begin,
                            "RequestCount": LIST_PAGE_SIZE,
                            **self.variant.search_extra,
                        },
                    )
                except DeviceRefusedError as err:
                    # 466 "can not find person": nothing (more) matches, an empty page (§4.2.3).
                    if err.code == "466" or err.reason.lower() == "can not find person":
                        return people
                    raise
                entries = env.fields.get("list")
                entries = entries if isinstance(entries, list) else []
                people.extend(
                    p
                    for e in entries
                    if isinstance(e, dict) and (p := codec.person_from_list_entry(e))
                )
                total = _int(env.fields.get("totalpersonnum")) or 0
                begin += len(entries)
                if not entries or begin >= total:
                    return people

    # ---- settings and maintenance -----------------------------------------------------------

    def _in_device_unit(self, record: AccessRecord) -> AccessRecord:
        """Label a record's temperature with the device's unit and judge it by its threshold.

        Records carry a bare number (§5 `temperature`): it is in the unit `TemperatureMode`
        shows (digest §2.4, inferred), known from the last `GetTPTconfig`. When the record
        has no `temperatureAlarm` of its own, the device's `TemperatureHigh` (same unit)
        decides whether it is a high temperature.
        """
        if record.temperature is None:
            return record
        alarm = record.temperature_alarm
        if alarm is None and self._temperature_high is not None:
            alarm = record.temperature >= self._temperature_high
        return replace(record, temperature_unit=self._temperature_unit, temperature_alarm=alarm)

    async def read_settings(self) -> Settings:
        """Read every settings group the variant has (`Get<group>`, terminal §9, camera §10.2).

        The temperature group is read first: its `TemperatureMode` is the unit of the
        others' temperatures and of the records from now on. A group the device refuses
        (firmware without it: 464, "unknown operator") or does not answer is left out.
        Raises DeviceTimeoutError when no group answers at all.
        """
        groups = sorted(
            self.variant.setting_groups,
            key=lambda group: group is not wire_settings.ConfigGroup.TEMPERATURE,
        )
        found: Settings = {}
        answered = False
        for group in groups:
            try:
                found.update((await self._read_group(group))[0])
            except DeviceTimeoutError as err:
                _LOGGER.debug("Device %s did not answer %s: %s", self.device_id, group, err)
                continue
            except DeviceRefusedError as err:
                _LOGGER.debug("Device %s has no %s: %s", self.device_id, group, err)
            answered = True
        if groups and not answered:
            raise DeviceTimeoutError("the device answered none of its settings commands")
        return found

    async def _read_group(
        self, group: wire_settings.ConfigGroup
    ) -> tuple[Settings, Mapping[str, Any]]:
        """Read one group; return its settings and the ack's normalised fields.

        Remembers the temperature unit and threshold the temperature group tells, and
        whether the device answers it at all: only a temperature model offers the door's
        temperature-measurement flag (a plain terminal refuses it, 463 "VerifyMode error").
        """
        env = await self._command(group.get_operator, {})
        if group is wire_settings.ConfigGroup.TEMPERATURE:
            self._temperature_unit = (
                wire_settings.temperature_unit_of(env.fields) or self._temperature_unit
            )
        found = wire_settings.decode_group(group, env.fields, self._temperature_unit)
        if group is wire_settings.ConfigGroup.TEMPERATURE:
            self._thermometer = bool(found)
        elif not self._thermometer:
            found.pop(SettingKey.TEMPERATURE_MEASUREMENT, None)
        if (high := found.get(SettingKey.TEMPERATURE_ALARM_THRESHOLD)) is not None:
            self._temperature_high = float(high.value)
        return found, env.fields

    async def write_setting(self, key: SettingKey, value: SettingValue) -> Settings:
        """Write one setting with `Up<group>` carrying only its field, then read it back.

        The current value is read first, to check `value` against the device's own range
        and unit (InvalidRequestError). Errors the device answers: 462 "Parameter error",
        463 "VerifyMode error" (§9.3) or "unknow facesluiceId" (§9.10) -> DeviceRefusedError;
        a read-back that still shows another value -> DeviceRefusedError as well. Returns the
        group's settings as read back.
        """
        spec = wire_settings.FIELDS_BY_KEY.get(key)
        if spec is None or spec.group not in self.variant.setting_groups:
            raise InvalidRequestError(f"the {self.variant.profile.model} has no {key} setting")
        settings, fields = await self._read_group(spec.group)
        current = settings.get(key)
        if current is None:
            raise InvalidRequestError(f"this device has no {key} setting")
        wanted = current.check(value)
        raw = spec.encoded(wanted, fields.get(wire_settings.normalised(spec.field)))
        sent: int | float | str = raw
        if self.variant.numbers_as_text:
            sent = f"{raw:.2f}" if isinstance(raw, float) else str(raw)
        info: dict[str, Any] = {spec.field: sent}
        if spec.group is wire_settings.ConfigGroup.FACE:
            info["facesluiceId"] = self.device_id  # §9.10 examples; 463 names a mismatch
        await self._command(spec.group.set_operator, info)
        found, _fields = await self._read_group(spec.group)
        after = found.get(key)
        if after is None or not read_back_matches(after.value, wanted):
            raise DeviceRefusedError(f"the device acknowledged {key} but kept its old value")
        return found

    async def reboot(self) -> None:
        """Restart the device with `RebootDevice` (terminal §9.7, camera §10.4).

        The ack comes before the restart; `Offline` and a new `Online` follow (digest §4.17).
        """
        await self._command("RebootDevice", {})

    # ---- uploads and catching up --------------------------------------------------------------

    async def _read_upload_config(self) -> codec.Envelope:
        """Send `GetMQTTconfig` (terminal §9.6.1, camera §10.1.1) and learn from its answer.

        Remembers the heartbeat interval the device tells (`KeepAliveInterval`, which
        `offline_after` follows) and whether it uploads strangers. Raises DeviceTimeoutError
        or DeviceRefusedError.
        """
        env = await self._command("GetMQTTconfig", {})
        self._upload_config_read = True
        self._keep_alive = uploads.keep_alive_interval(env.fields) or self._keep_alive
        stranger = uploads.stranger_upload_on(env.fields)
        if stranger is not None:
            self._stranger_upload = stranger
        return env

    async def check_uploads(self) -> list[UploadProblem]:
        """Return each upload switch that keeps something from Home Assistant (§9.6).

        Read with `GetMQTTconfig`: records with their captured picture (`RecordUploadType`
        1), strangers (`StrangerUploadType` 0, inverted in both documents), on the terminal
        QR-code, card and ID-card reads (`QRCode`, `Card`, `IDCard` 1, where the device
        reports them), and `ResumefromBreakpoint` 1, which keeps records on the device and
        re-sends them until `PushAck` (this client acks every record at once). Raises
        DeviceTimeoutError or DeviceRefusedError.
        """
        env = await self._read_upload_config()
        return uploads.upload_problems(self.variant, env.fields)

    async def fix_uploads(self) -> list[UploadProblem]:
        """Turn on what `check_uploads` reports with one `UpMQTTconfig`; return what is left.

        The other reported fields are sent back unchanged (`uploads.upload_fix`), then the
        configuration is read again. A refusal (462 "Parameter error", 463
        "ResumefromBreakpoint need Topic Snap or Verify", terminal L3897-3901, camera §29.9)
        raises DeviceRefusedError with the device's reason and code.
        """
        env = await self._read_upload_config()
        problems = uploads.upload_problems(self.variant, env.fields)
        if not problems:
            return []
        info = {
            "facesluiceId": self.device_id,
            **uploads.upload_fix(self.variant, env.fields, problems),
        }
        await self._command("UpMQTTconfig", info)
        after = await self._read_upload_config()
        return uploads.upload_problems(self.variant, after.fields)

    async def fetch_records(self, start: datetime, end: datetime) -> int | None:
        """Ask the device to push the records of `start`..`end` again; return None.

        `ManualPushRecords` (terminal §20, camera §20) and, unless stranger upload is off,
        the strangers' `ManualPushSaps` (terminal §22) or `ManualPushSnaps` (camera §21),
        with `TimeS`/`TimeE` in the device's local time. The device acks (its `RecordNum`
        counts the matches, 0 none) and then pushes them as `RecPush`/`StrSnapPush` with
        `PushType` 2: they reach the listeners after this returns, `historical`, with the
        key of their live push, and need no `PushAck` (L3486). A window without records
        (466) is not an error. Raises InvalidRequestError for a window that ends before it
        starts, DeviceRefusedError when record upload is off (467) or the device refuses
        otherwise, DeviceTimeoutError.
        """
        begin, finish = self._device_local(start), self._device_local(end)
        if finish < begin:
            raise InvalidRequestError("the window ends before it starts")
        sep = self.variant.time_separator
        window = {
            "facesluiceId": self.device_id,  # else every device on the topic answers (L3495)
            "TimeS": codec.format_time(begin, sep),
            "TimeE": codec.format_time(finish, sep),
        }
        # Fresh: stranger upload may have been switched on the device's own page.
        await self._read_upload_config_quietly()
        try:
            await self._command("ManualPushRecords", window)
        except DeviceRefusedError as err:
            if err.code == "467":
                raise DeviceRefusedError(
                    "record upload (RecordUploadType) is off on the device", err.code
                ) from err
            if not _nothing_found(err):
                raise
        if self._stranger_upload is False:
            return None
        try:
            await self._command(self.variant.manual_push_snaps, window)
        except DeviceRefusedError as err:
            # 467: stranger upload is off after all (a device that did not tell): nothing
            # to fetch, as no stranger was ever meant to reach Home Assistant.
            if not _nothing_found(err) and err.code != "467":
                raise
        return None

    def _device_local(self, value: datetime) -> datetime:
        """Return `value` as the device's naive local time (an aware one is converted)."""
        if value.tzinfo is None:
            return value.replace(microsecond=0)
        zone = self._now().tzinfo
        local = value.astimezone(zone) if zone is not None else value.astimezone()
        return local.replace(tzinfo=None, microsecond=0)


def _nothing_found(err: DeviceRefusedError) -> bool:
    """Tell a manual push's "no record in the window" (466, terminal L4022-4041) apart."""
    return err.code == "466" or "can't find any" in err.reason.lower()


KNOWN_OPERATORS: Final = frozenset(
    {"recpush", "strsnappush", "qrcodepush", "cardpush", "idcardpush", "online", "offline"}
    | {"heartbeat"}
    | ANALYTICS_OPERATORS
)
"""The operators (lower case) a device of the family pushes: log lines may name these."""


def _name(env: codec.Envelope) -> str:
    """Return the operator of a message for a log line: a known one, or "an unknown operator".

    The operator is the device's text; an unknown one may be anything, of any length, and
    a log line never repeats what a device sent (DESIGN.md, quality bar).
    """
    return env.operator if env.operator.lower() in KNOWN_OPERATORS else "an unknown operator"


if TYPE_CHECKING:
    # The client must stay a DeviceClient; mypy checks it here rather than at each owner.
    _CONFORMS: type[DeviceClient] = HFSecurityMqttClient
    _CONFIGURABLE: type[SettingsClient] = HFSecurityMqttClient
    _CHECKS_UPLOADS: type[UploadCheckClient] = HFSecurityMqttClient
    _CATCHES_UP: type[CatchUpClient] = HFSecurityMqttClient
    _BATCHES: type[BatchEnrollClient] = HFSecurityMqttClient
