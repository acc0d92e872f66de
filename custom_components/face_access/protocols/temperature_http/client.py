"""The client of the body-temperature tablet (temperature-terminal-http V1.16).

The tablet is only an HTTP client (digest §2): it POSTs heartbeats (`type` 3), records
(`type` 1), command results (`type` 4, 6-12) and a door-sensor alarm (no `type`) to one URL,
and a command can only ride in the body of the 200 reply to a heartbeat. So commands wait in
a saved `CommandQueue`, one is delivered per heartbeat reply, and what confirms it depends on
its kind: face-library results come back as the `seq` of the following heartbeat (§3.4
L89-L95), the others as their own result POST.

"digest" is `shared/protocols/temperature_http.md`, "L123" a line of the document.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
import json
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from .. import model
from ..client import MessageHub
from ..command_queue import CommandQueue, QueuedCommand, QueueStore
from ..http import HttpReply, HttpRequest
from ..setting_decoders import read_back_matches
from ..wire import DecodeError, integer, number
from . import codec, settings as tablet_settings

if TYPE_CHECKING:
    from ..client import (
        BatchEnrollClient,
        BatchOutcome,
        DeviceClient,
        InboundHttp,
        SettingsClient,
        UploadCheckClient,
    )

# One logger for the protocol (the package's), so that its level is set in one place.
_LOGGER = logging.getLogger(__package__)

RESULT_HEARTBEATS: Final = 3
"""Heartbeats a delivered command may wait for its result POST before it counts as failed."""
DOOR_COMMAND_TTL: Final = 120.0
"""Seconds an undelivered door command stays queued; a door must not open much later."""
STORE_VERSION: Final = 1
"""Version of the saved queue's layout (`CommandQueue`'s, with the tablet's settings)."""

# Queue entry kinds and how each is confirmed.
_FACELIB = "facelib"  # the next heartbeat's `seq` (§3.4 L89-L95)
_QUERY = "query"  # a `type` 4 (§3.4 L315)
_CONTROL = "control"  # a `type` 12 with the same `seq` (§12)
_CONFIG = "config"  # a `type` 10 with settings (§9)
_BATCH = "batch"  # a `type` 9 per chunk (§7): a deletion
_BATCH_ADD = "batch_add"  # a `type` 9 (§7): an import of up to 20, built when queued
_TIME_SET = "time_set"  # nothing (§3.3)
_CONFIG_SET = "config_set"  # a `type` 10 with the same `seq` and an `errcode` (§9)
_REBOOT = "reboot"  # nothing (§11): done once delivered
_REUPLOAD = "reupload"  # a `type` 8 with the retransmission settings, no `seq` (§6)
_REUPLOAD_SET = "reupload_set"  # a `type` 8 with the same `seq` and an `errcode` (§6)
_KINDS = frozenset(
    {
        _FACELIB,
        _QUERY,
        _CONTROL,
        _CONFIG,
        _BATCH,
        _BATCH_ADD,
        _TIME_SET,
        _CONFIG_SET,
        _REBOOT,
        _REUPLOAD,
        _REUPLOAD_SET,
    }
)
# Delivered and forgotten: nothing confirms them.
_UNCONFIRMED = frozenset({_TIME_SET, _REBOOT})
_INTERNAL = frozenset({_CONFIG, _TIME_SET})  # queued by the client itself, ahead of users'
_BATCH_KINDS = frozenset({_BATCH, _BATCH_ADD})  # confirmed by `type` 9, chained (§7)


@dataclass(slots=True, kw_only=True)
class _Entry(QueuedCommand):
    """A tablet command: the generic fields plus what its confirmation needs.

    `heartbeats` counts heartbeats since delivery (a result POST that never comes);
    a batch deletion keeps its `person_ids`, how many chunks went out and the results so far.
    """

    heartbeats: int = 0
    person_ids: list[str] = field(default_factory=list)
    chunks_sent: int = 0
    results: dict[str, int] = field(default_factory=dict)


class TemperatureHttpClient:
    """One tablet, known by its `cid`, behind the server's HTTP endpoint; a `DeviceClient`.

    The owner passes every POST to `handle_request` and sends back the HttpReply; inbound
    records reach the subscribers. Commands (`enroll`, `delete`, `delete_all`,
    `list_people`, `open_door`) are queued and saved, delivered one per heartbeat reply
    (door commands first), and each waits up to `confirm_timeout` seconds for its
    confirmation. People commands not confirmed by then return `CommandResult(pending=True)`
    and stay queued; `list_people` and `open_door` raise DeviceTimeoutError. When the tablet
    has been silent longer than `offline_after`, commands do not wait at all.
    """

    def __init__(
        self,
        cid: str,
        store: QueueStore,
        *,
        now: Callable[[], datetime],
        heartbeat_interval: int = codec.DEFAULT_HEARTBEAT_INTERVAL,
        confirm_timeout: float | None = None,
        offline_after: float | None = None,
        allowed_source: str | None = None,
        sync_time: bool = True,
    ) -> None:
        """Keep the settings; `start` loads the saved queue.

        `now` returns an aware local time (its zone is the tablet's); `heartbeat_interval`
        is the period, in seconds, the replies ask for; `confirm_timeout` how long a command
        waits for its confirmation (default three periods and 5 s); `offline_after` the
        silence, in seconds, after which the tablet is offline (default three periods, at
        least 30 s); `allowed_source` pins the address POSTs must come from; `sync_time`
        sets the tablet's clock when it starts.
        """
        self.cid = cid
        self._hub = MessageHub(_LOGGER)
        self._now = now
        self._interval = max(1, int(heartbeat_interval))
        self._confirm_timeout = (
            confirm_timeout if confirm_timeout is not None else 3 * self._interval + 5
        )
        self._offline_after = (
            offline_after if offline_after is not None else max(3 * self._interval, 30)
        )
        self._allowed_source = allowed_source or None
        self._sync_time = sync_time
        self._queue = CommandQueue(
            store,
            _Entry,
            version=STORE_VERSION,
            seq_limit=codec.SEQ_LIMIT,
            kinds=_KINDS,
            # Rebuilt at every boot of the tablet, and stale once Home Assistant restarted;
            # a restart asked for before Home Assistant restarted must not happen later.
            # The retransmission query and set have a caller waiting now, or none at all.
            # A batch import is not saved: 20 photos a chunk, rewritten at every POST, cost
            # 3 s per 200 people; its caller, the roster sync, keeps its own pending work
            # across restarts and sends what the tablet lacks again.
            transient={_TIME_SET, _REBOOT, _REUPLOAD, _REUPLOAD_SET, _BATCH_ADD},
            state=self._saved_state,
        )
        self._config = codec.TabletConfig()
        # The whole `config` of the last query result since the tablet's boot (§9), or None.
        self._settings_config: dict[str, Any] | None = None
        self._connected_once = False
        self._last_post: float | None = None
        self._uptime: int | None = None
        self._hello_due = True
        self._info = model.DeviceInfo()

    # ---- the DeviceClient interface ---------------------------------------------------------

    @property
    def profile(self) -> model.DeviceProfile:
        """Return what the tablet is and can do (digest §9: no snapshot, cards or QR codes)."""
        return codec.PROFILE

    @property
    def offline_after(self) -> float:
        """Return the seconds without any POST after which the tablet counts as offline."""
        return self._offline_after

    @property
    def poll_interval(self) -> float | None:
        """Return None: the tablet's heartbeats tell connectivity."""
        return None

    @property
    def connected_once(self) -> bool:
        """Return whether the tablet has ever sent a heartbeat here (saved across restarts)."""
        return self._connected_once

    @property
    def online(self) -> bool:
        """Return whether the tablet posted anything within `offline_after` seconds."""
        return (
            self._last_post is not None and time.monotonic() - self._last_post < self._offline_after
        )

    @property
    def queued(self) -> int:
        """Return how many commands wait for delivery or confirmation."""
        return len(self._queue)

    def subscribe(self, listener: model.MessageCallback) -> Callable[[], None]:
        """Call `listener` with every inbound model message; return the unsubscriber."""
        return self._hub.subscribe(listener)

    def diagnostics(self) -> dict[str, Any]:
        """Return how many commands wait for delivery or confirmation (`queued_commands`)."""
        return {"queued_commands": len(self._queue)}

    async def start(self) -> None:
        """Load the saved queue and settings; entries this version cannot read are dropped."""
        data = await self._queue.load()
        self._connected_once = bool(data.get("connected_once"))
        threshold = number(data.get("high_threshold"))
        if threshold is not None:
            self._config = codec.TabletConfig(
                high_threshold=threshold, fahrenheit=bool(data.get("fahrenheit"))
            )

    async def stop(self) -> None:
        """Release every waiter (its command stays queued) and save the queue."""
        self._queue.release()
        await self._queue.save()

    async def query_info(self) -> model.DeviceInfo:
        """Return what the last heartbeat said; the tablet has no info command (§4.10)."""
        if self._uptime is None:
            raise model.DeviceTimeoutError("no heartbeat yet")
        return self._info

    async def open_door(self) -> None:
        """Queue a relay pulse (§12) and wait for its `type` 12 result.

        Raises DeviceRefusedError when the tablet reports an error, DeviceTimeoutError when
        it has not confirmed in time (the command stays queued for DOOR_COMMAND_TTL s).
        """
        seq = await self._queue.submit(
            _Entry(seq=0, kind=_CONTROL, expires=self._now().timestamp() + DOOR_COMMAND_TTL)
        )
        done, errcode = await self._wait(seq)
        if not done:
            raise model.DeviceTimeoutError(
                f"not confirmed yet; the command waits up to {DOOR_COMMAND_TTL:.0f} s "
                "for the next heartbeat"
            )
        if errcode is None:
            raise model.DeviceTimeoutError("the tablet took the command but reported no result")
        if errcode != 0:
            raise model.DeviceRefusedError(
                codec.CONTROL_ERRORS.get(errcode, "failed"), str(errcode)
            )

    async def snapshot(self) -> model.Picture:
        """Refuse: the protocol has no on-demand picture (digest §4.9)."""
        raise model.UnsupportedError("the tablet has no on-demand snapshot")

    async def enroll(self, enrollment: model.Enrollment) -> model.CommandResult:
        """Queue `facelib_manage` type 1 (add or modify) and wait for the next heartbeat.

        Raises InvalidRequestError before queueing anything the tablet cannot take, and
        DeviceRefusedError when the heartbeat reports failure (the protocol gives no reason).
        """
        photo = base64.b64encode(enrollment.photo_jpeg).decode()
        codec.facelib_add(1, enrollment, photo)  # validates before anything is queued
        seq = await self._queue.submit(
            _Entry(seq=0, kind=_FACELIB),
            lambda seq: codec.facelib_add(seq, enrollment, photo),
        )
        return await self._facelib_outcome(seq)

    @property
    def batch_size(self) -> int:
        """Return the most people of one `facelib_batch` (§7 L1385: 20)."""
        return codec.BATCH_SIZE

    @property
    def batch_needs_urls(self) -> bool:
        """Return False: a `facelib_batch` carries each photo itself (base64, §7)."""
        return False

    async def enroll_batch(
        self,
        enrollments: Sequence[model.Enrollment],
        photo_urls: Mapping[str, str] | None = None,
    ) -> BatchOutcome:
        """Queue `facelib_batch` imports of 20 (§7) and return each person ID's outcome.

        Each chunk is a queued command; the first rides a heartbeat reply and every further
        one the reply to the previous chunk's `type` 9 (the batch chain, L1359-L1375). A
        person's `result` 0 is a CommandResult, another a DeviceRefusedError with the
        document's reason and the result as its code; people of a chunk not confirmed
        within the confirmation time are pending (they stay queued until Home Assistant
        stops: batch imports are not saved, see `__init__`). A person the tablet
        cannot take is an InvalidRequestError, never queued. `photo_urls` is ignored.
        """
        outcomes: BatchOutcome = {}
        people: dict[str, dict[str, Any]] = {}
        for enrollment in enrollments:
            person_id = enrollment.person_id
            people.pop(person_id, None)
            outcomes.pop(person_id, None)
            photo = base64.b64encode(enrollment.photo_jpeg).decode()
            try:
                people[person_id] = codec.batch_person(enrollment, photo)
            except model.InvalidRequestError as err:
                outcomes[person_id] = err
        ids = list(people)
        chunks = [
            ids[start : start + codec.BATCH_SIZE] for start in range(0, len(ids), codec.BATCH_SIZE)
        ]
        seqs = [
            await self._queue.submit(
                _Entry(
                    seq=0,
                    kind=_BATCH_ADD,
                    person_ids=chunk,
                    command=codec.batch_add([people[pid] for pid in chunk]),
                )
            )
            for chunk in chunks
        ]
        for seq, chunk in zip(seqs, chunks, strict=True):
            done, results = await self._wait(seq)
            results = results or {}  # None: the tablet never sent the chunk's `type` 9
            for person_id in chunk:
                if not done:
                    outcomes[person_id] = model.CommandResult(
                        message=self._pending_message(), pending=True
                    )
                elif (code := results.get(person_id, -1)) == 0:
                    outcomes[person_id] = model.CommandResult(message="enrolled")
                else:
                    reason = codec.BATCH_RESULTS.get(code, "no result")
                    outcomes[person_id] = model.DeviceRefusedError(reason, str(code))
        return outcomes

    async def delete(self, person_ids: Sequence[str]) -> model.CommandResult:
        """Delete people: one by `facelib_manage` type 3, several by `facelib_batch`.

        The batch goes out in chunks of 20, each confirmed by a `type` 9 with a result per
        person (§7); the message lists the people the tablet could not delete. Raises
        DeviceRefusedError when every deletion failed.
        """
        ids = list(dict.fromkeys(person_ids))
        for person_id in ids:
            codec.check_person_id(person_id)
        if len(ids) == 1:
            seq = await self._queue.submit(
                _Entry(seq=0, kind=_FACELIB), lambda seq: codec.facelib_delete(seq, ids)
            )
            return await self._facelib_outcome(seq)
        seq = await self._queue.submit(_Entry(seq=0, kind=_BATCH, person_ids=ids))
        done, results = await self._wait(seq)
        if not done:
            return model.CommandResult(message=self._pending_message(), pending=True)
        failed = {pid: code for pid, code in results.items() if code != 0}
        if failed and len(failed) == len(ids):
            raise model.DeviceRefusedError(f"none of the {len(ids)} people was deleted")
        if failed:
            detail = ", ".join(
                f"{pid} ({codec.BATCH_RESULTS.get(code, 'no result')})"
                for pid, code in sorted(failed.items())
            )
            return model.CommandResult(
                message=f"{len(ids) - len(failed)} of {len(ids)}; not: {detail}"
            )
        return model.CommandResult(message=f"{len(ids)} deleted")

    async def delete_all(self) -> model.CommandResult:
        """Queue `facelib_manage` type 4 and wait for the next heartbeat."""
        seq = await self._queue.submit(
            _Entry(seq=0, kind=_FACELIB), lambda seq: codec.facelib_simple(seq, 4)
        )
        return await self._facelib_outcome(seq)

    async def list_people(self) -> list[model.Person]:
        """Queue `facelib_manage` type 5 and wait for its `type` 4 answer (§3.4).

        A query already queued is joined rather than repeated (the answer has no `seq`).
        Raises DeviceTimeoutError when no answer came in time; the query stays queued.
        """
        existing = self._queue.find(lambda entry: entry.kind == _QUERY)
        if existing is not None:
            seq = existing.seq
        else:
            seq = await self._queue.submit(
                _Entry(seq=0, kind=_QUERY), lambda seq: codec.facelib_simple(seq, 5)
            )
        done, people = await self._wait(seq)
        if not done:
            raise model.DeviceTimeoutError(
                "the list has not arrived yet; the query waits for the next heartbeat"
            )
        return list(people)

    # ---- settings and restart (optional `SettingsClient`) ----------------------------------

    async def read_settings(self) -> model.Settings:
        """Return the tablet's settings from a `config` query (§9, answered a heartbeat later).

        The query the client sends at each boot of the tablet is joined (or one queued);
        a result already received since the boot is used as it is. Raises
        DeviceTimeoutError when no result came in time (the query stays queued).
        """
        return tablet_settings.settings_from(await self._read_config())

    async def _read_config(self) -> dict[str, Any]:
        """Return the whole `config` of a query result since the tablet's boot (see above)."""
        if self._settings_config is None:
            existing = self._queue.find(lambda entry: entry.kind == _CONFIG)
            if existing is not None:
                seq = existing.seq
            else:
                seq = await self._queue.submit(
                    _Entry(seq=0, kind=_CONFIG, command=codec.config_query())
                )
            # Not `_wait`: asked while the tablet's first heartbeat is handled, it does not
            # count as online yet, and the answer is due a heartbeat later.
            done, _config = await self._queue.wait(seq, self._confirm_timeout)
            if not done or self._settings_config is None:
                raise model.DeviceTimeoutError(
                    "the settings have not arrived yet; the query waits for the next heartbeat"
                )
        return self._settings_config

    async def write_setting(
        self, key: model.SettingKey, value: model.SettingValue
    ) -> model.Settings:
        """Set one setting: its whole `config` section, changed, then a query reads it back.

        Raises InvalidRequestError for a value it cannot take, DeviceRefusedError for an
        `errcode` 1 (incoming error) or 2 (configuration failed, §9 L2095-L2103) or a
        read-back without the value, DeviceTimeoutError when the tablet has not confirmed in
        time (an undelivered set is dropped after DOOR_COMMAND_TTL s, not applied later).
        """
        spec = tablet_settings.FIELDS_BY_KEY.get(key)
        current = (await self.read_settings()).get(key)
        if spec is None or current is None or self._settings_config is None:
            raise model.InvalidRequestError(f"the tablet has no {key} setting")
        wanted = current.check(value)
        section = dict(self._settings_config.get(spec.section) or {})
        section[spec.field] = spec.encode(wanted)
        seq = await self._queue.submit(
            _Entry(seq=0, kind=_CONFIG_SET, expires=self._now().timestamp() + DOOR_COMMAND_TTL),
            lambda seq: tablet_settings.config_set(seq, spec.section, section),
        )
        done, errcode = await self._wait(seq)
        if not done or errcode is None:
            raise model.DeviceTimeoutError("the tablet has not confirmed the setting yet")
        if errcode != 0:
            raise model.DeviceRefusedError(
                tablet_settings.CONFIG_ERRORS.get(errcode, "failed"), str(errcode)
            )
        self._settings_config = None
        found = await self.read_settings()
        after = found.get(key)
        if after is None or not read_back_matches(after.value, wanted):
            raise model.DeviceRefusedError("the tablet confirmed the setting but kept another")
        return found

    async def reboot(self) -> None:
        """Queue `{"reboot": 1}` (§11) and wait until a heartbeat reply delivers it.

        There is no acknowledgement; the new boot time in the next heartbeat shows it. Raises
        DeviceTimeoutError when it could not be delivered in time (it is then dropped).
        """
        seq = await self._queue.submit(
            _Entry(
                seq=0,
                kind=_REBOOT,
                command={"reboot": 1},
                expires=self._now().timestamp() + DOOR_COMMAND_TTL,
            )
        )
        done, _outcome = await self._wait(seq)
        if not done:
            if (entry := self._queue.find(lambda queued: queued.seq == seq)) is not None:
                self._queue.remove(entry)
            raise model.DeviceTimeoutError("the tablet did not call in time to take the restart")

    # ---- upload check (optional `UploadCheckClient`) ---------------------------------------

    async def check_uploads(self) -> list[model.UploadProblem]:
        """Read what keeps records from Home Assistant: retransmission and stranger upload.

        - `reupload.mode` (§6 L1179-L1301, read with `reupload` `type` 2): 2, "3 minute
          idle retransmission", re-sends the records Home Assistant missed (the tablet keeps
          up to 2000, L1153-L1157) soon after it is back; 1, "scheduled", only at
          `reupload_time`. Retransmission itself cannot be turned off.
        - `face_cap.upload_mode` (§9 L1859-L1865): 2 uploads strangers too; 1 only enrolled
          people.

        The retransmission settings are asked each time; `face_cap` is the `config` read
        since the tablet's boot (as the settings). Raises DeviceTimeoutError when the tablet
        did not answer in time.
        """
        reupload = await self._read_reupload()
        problems: list[model.UploadProblem] = []
        if codec.REUPLOAD_MODES.get(reupload.mode or 0) != "idle":
            problems.append(
                model.UploadProblem(
                    setting="reupload.mode",
                    current=None if reupload.mode is None else str(reupload.mode),
                    needed=str(codec.REUPLOAD_IDLE),
                )
            )
        face_cap = (await self._read_config()).get("face_cap")
        upload_mode = integer(face_cap.get("upload_mode")) if isinstance(face_cap, dict) else None
        if upload_mode is not None and upload_mode != codec.UPLOAD_EVERYONE:
            problems.append(
                model.UploadProblem(
                    setting="face_cap.upload_mode",
                    current=str(upload_mode),
                    needed=str(codec.UPLOAD_EVERYONE),
                )
            )
        return problems

    async def fix_uploads(self) -> list[model.UploadProblem]:
        """Set what `check_uploads` reports, then read it again and return what is left.

        The retransmission mode with `reupload` `type` 1 (its result comes at once, §6
        L1221-L1225), keeping `reupload_time`; `face_cap` as a whole section with
        `upload_mode` 2. Raises DeviceRefusedError for an `errcode` other than 0,
        DeviceTimeoutError when the tablet has not confirmed in time.
        """
        problems = await self.check_uploads()
        settings = {problem.setting for problem in problems}
        if "reupload.mode" in settings:
            when = (await self._read_reupload()).reupload_time or "00:00:00"
            seq = await self._queue.submit(
                _Entry(
                    seq=0, kind=_REUPLOAD_SET, expires=self._now().timestamp() + DOOR_COMMAND_TTL
                ),
                lambda seq: codec.reupload_set(seq, codec.REUPLOAD_IDLE, when),
            )
            await self._confirmed(seq, codec.REUPLOAD_ERRORS)
        if "face_cap.upload_mode" in settings:
            section = dict((await self._read_config()).get("face_cap") or {})
            section["upload_mode"] = codec.UPLOAD_EVERYONE
            seq = await self._queue.submit(
                _Entry(seq=0, kind=_CONFIG_SET, expires=self._now().timestamp() + DOOR_COMMAND_TTL),
                lambda seq: tablet_settings.config_set(seq, "face_cap", section),
            )
            await self._confirmed(seq, tablet_settings.CONFIG_ERRORS)
            self._settings_config = None
        return await self.check_uploads() if problems else []

    async def _read_reupload(self) -> codec.Reupload:
        """Ask the retransmission settings (`reupload` `type` 2) and wait for the `type` 8."""
        existing = self._queue.find(lambda entry: entry.kind == _REUPLOAD)
        if existing is not None:
            seq = existing.seq
        else:
            seq = await self._queue.submit(
                _Entry(seq=0, kind=_REUPLOAD, command=codec.reupload_query())
            )
        done, reupload = await self._queue.wait(seq, self._confirm_timeout)
        if not done or not isinstance(reupload, codec.Reupload):
            raise model.DeviceTimeoutError("the tablet has not told its retransmission settings")
        return reupload

    async def _confirmed(self, seq: int, errors: dict[int, str]) -> None:
        """Wait for a set's `errcode`; raise unless it is 0."""
        done, errcode = await self._wait(seq)
        if not done or errcode is None:
            raise model.DeviceTimeoutError("the tablet has not confirmed the setting yet")
        if errcode != 0:
            raise model.DeviceRefusedError(errors.get(errcode, "failed"), str(errcode))

    # ---- inbound ----------------------------------------------------------------------------

    async def handle_request(self, request: HttpRequest) -> HttpReply:
        """Answer one POST of the tablet: 200 with a command or nothing, or an error status.

        Only `request.body` and `request.remote` matter: the tablet's Content-Type is not
        to be trusted (digest §2). 400: not a message of this protocol; 403: another `cid`,
        or a source address other than the pinned one. Neither changes any state. A 200
        always comes after the body was read and the queue saved, so a record is
        acknowledged only once it is taken (digest §7) and a delivered command is never
        delivered twice.
        """
        remote = request.remote
        if self._allowed_source is not None and remote != self._allowed_source:
            return self._refuse(403, f"from {remote}, not the pinned address")
        try:
            upload = codec.decode_upload(request.body)
        except DecodeError as err:
            return self._refuse(400, str(err))
        if upload.cid is not None and upload.cid != self.cid:
            return self._refuse(403, "another cid")
        if upload.cid is None and upload.type is not None:
            return self._refuse(400, "no cid")
        try:
            reply = self._dispatch(upload, remote)
        except DecodeError as err:
            return self._refuse(400, str(err))
        self._last_post = time.monotonic()
        await self._queue.save()
        if reply is None:
            return HttpReply(200)
        return HttpReply(200, json.dumps(reply, separators=(",", ":")).encode())

    def _refuse(self, status: int, reason: str) -> HttpReply:
        """Log one line about a refused POST and answer it."""
        _LOGGER.warning("Refused a POST for tablet %s: %s", self.cid, reason)
        return HttpReply(status, reason.encode(), reason, content_type="text/plain")

    def _dispatch(self, upload: codec.Upload, remote: str | None) -> dict[str, Any] | None:
        """Apply one upload; return the reply body, if any."""
        now = self._now()
        emit = self._hub.emit
        match upload.type:
            case 3:
                return self._on_heartbeat(codec.heartbeat_from(upload), remote)
            case 1:
                emit(codec.record_from(upload, now=now, config=self._config))
            case None:
                if (alarm := codec.door_alarm_from(upload, now=now)) is not None:
                    emit(alarm)
                else:
                    _LOGGER.debug("Ignored an alarm of unknown type from tablet %s", self.cid)
                    emit(model.Alive())
            case 4:
                emit(model.Alive())
                self._resolve_kind(_QUERY, codec.people_from(upload))
            case 9:
                emit(model.Alive())
                return self._on_batch_result(codec.batch_results_from(upload))
            case 10:
                emit(model.Alive())
                if (config := codec.config_from(upload)) is not None:
                    self._config = config
                    if isinstance(raw := upload.body.get("config"), dict):
                        self._settings_config = raw
                    self._resolve_kind(_CONFIG, config)
                else:
                    self._on_config_set_result(*codec.sub_result(upload, "config"))
            case 12:
                emit(model.Alive())
                self._on_control_result(*codec.sub_result(upload, "control"))
            case 8:
                emit(model.Alive())
                if (reupload := codec.reupload_from(upload)) is not None:
                    self._resolve_kind(_REUPLOAD, reupload)
                else:
                    self._on_set_result(_REUPLOAD_SET, *codec.sub_result(upload, "reupload"))
            case _:
                # Upgrade, strategy and log results (types 6, 7, 11):
                # nothing here asks for them.
                emit(model.Alive())
        return None

    def _on_heartbeat(
        self, heartbeat: codec.Heartbeat, remote: str | None
    ) -> dict[str, Any] | None:
        """Judge the command in flight, then deliver the next one (§2, digest §7).

        A tablet back from offline (no reboot) gets its clock set again, as after a boot.
        """
        back = self._last_post is not None and not self.online
        if heartbeat.uptime != self._uptime or self._uptime is None:
            # First heartbeat since start, or the tablet rebooted (a new boot time).
            self._uptime = heartbeat.uptime
            self._hello_due = True
            self._settings_config = None  # read again: it may have changed meanwhile
            self._connected_once = True
            self._info = model.DeviceInfo(firmware=heartbeat.app_version, ip=remote)
            self._enqueue_internal(_Entry(seq=0, kind=_CONFIG, command=codec.config_query()))
            if self._sync_time:
                self._enqueue_internal(
                    _Entry(seq=0, kind=_TIME_SET, command=codec.time_set(self._now()))
                )
            # After the config query is queued: a listener reading the settings joins it.
            self._hub.emit(model.Connectivity(online=True, info=self._info))
        else:
            if back and self._sync_time:
                self._enqueue_internal(
                    _Entry(seq=0, kind=_TIME_SET, command=codec.time_set(self._now()))
                )
            self._hub.emit(model.Alive())
        flight = self._queue.in_flight()
        if flight is not None:
            if flight.kind == _FACELIB:
                self._finish(flight, heartbeat.seq == flight.seq)
            else:
                flight.heartbeats += 1
                if flight.heartbeats <= RESULT_HEARTBEATS:
                    return self._hello()
                _LOGGER.warning(
                    "Tablet %s sent no result for a %s command (seq %s)",
                    self.cid,
                    flight.kind,
                    flight.seq,
                )
                self._finish(flight, None)
        entry = self._next_entry()
        if entry is None:
            return self._hello()
        entry.delivered = self._now().timestamp()
        entry.heartbeats = 0
        command = self._command_of(entry)
        if entry.kind in _UNCONFIRMED:
            self._queue.finish(entry, True)  # nothing confirms it (§3.3, §11)
        self._hello_due = False
        return {**command, "time_interval": self._interval}

    def _hello(self) -> dict[str, Any] | None:
        """Return the heartbeat period once per boot of the tablet, else nothing (§3.2)."""
        if not self._hello_due:
            return None
        self._hello_due = False
        return {"time_interval": self._interval}

    def _next_entry(self) -> _Entry | None:
        """Return the next command to deliver: door commands first, then in order.

        Door commands past their time are dropped (a door must not open much later).
        """
        for _expired in self._queue.expire(self._now().timestamp()):
            _LOGGER.warning("A door command for tablet %s expired undelivered", self.cid)
        door = self._queue.find(lambda entry: entry.kind == _CONTROL)
        return door if door is not None else self._queue.find(lambda _entry: True)

    def _command_of(self, entry: _Entry) -> dict[str, Any]:
        """Return the body that delivers an entry (a batch: its next chunk)."""
        if entry.kind == _CONTROL:
            return codec.control_open(entry.seq)
        if entry.kind == _BATCH_ADD:
            entry.chunks_sent += 1
            return entry.command
        if entry.kind == _BATCH:
            start = entry.chunks_sent * codec.BATCH_SIZE
            entry.chunks_sent += 1
            return codec.batch_delete(entry.person_ids[start : start + codec.BATCH_SIZE])
        return entry.command

    def _on_batch_result(self, results: dict[str, int]) -> dict[str, Any] | None:
        """Take a chunk's results; reply with the next chunk, or finish the batch (§7)."""
        flight = self._queue.find(
            lambda entry: entry.delivered is not None and entry.kind in _BATCH_KINDS
        )
        if flight is None:
            _LOGGER.debug("Tablet %s sent a batch result nobody asked for", self.cid)
            return None
        flight.results.update(results)
        if flight.chunks_sent * codec.BATCH_SIZE < len(flight.person_ids):
            flight.heartbeats = 0
            return self._command_of(flight)
        self._finish(flight, {pid: flight.results.get(pid, -1) for pid in flight.person_ids})
        # The chain goes on with the next queued batch, if that is what goes out next.
        following = self._next_entry()
        if (
            following is None
            or following.kind not in _BATCH_KINDS
            or following.delivered is not None
        ):
            return None
        following.delivered = self._now().timestamp()
        following.heartbeats = 0
        return self._command_of(following)

    def _on_control_result(self, seq: int | None, errcode: int | None) -> None:
        """Match a `type` 12 to its door command by `seq` (or the one in flight, §12)."""
        entry = self._queue.find(
            lambda queued: (
                queued.kind == _CONTROL
                and queued.delivered is not None
                and (seq is None or queued.seq == seq)
            )
        )
        if entry is None:
            _LOGGER.debug("Tablet %s confirmed a door command nobody waits for", self.cid)
            return
        self._finish(entry, errcode)

    def _on_config_set_result(self, seq: int | None, errcode: int | None) -> None:
        """Match a config-set result (`type` 10 with `errcode`) to its command by `seq`."""
        self._on_set_result(_CONFIG_SET, seq, errcode)

    def _on_set_result(self, kind: str, seq: int | None, errcode: int | None) -> None:
        """Match a set result (config `type` 10, retransmission `type` 8) by `seq`."""
        entry = self._queue.find(
            lambda queued: (
                queued.kind == kind
                and queued.delivered is not None
                and (seq is None or queued.seq == seq)
            )
        )
        if entry is None:
            _LOGGER.debug("Tablet %s confirmed a setting nobody waits for", self.cid)
            return
        self._finish(entry, errcode)

    def _resolve_kind(self, kind: str, value: Any) -> None:
        """Finish the delivered command of a kind whose result carries no `seq`."""
        if (flight := self._queue.in_flight(kind)) is not None:
            self._finish(flight, value)

    def _finish(self, entry: _Entry, outcome: Any) -> None:
        """Remove a command and hand its outcome (None: no result) to whoever waits."""
        taken = self._queue.finish(entry, outcome)
        if not taken and entry.kind == _FACELIB and outcome is not True:
            # Nobody waits any more (the caller was told "pending"): only the log can tell.
            _LOGGER.warning(
                "A queued face-library command (seq %s) failed on tablet %s", entry.seq, self.cid
            )

    # ---- queue plumbing ---------------------------------------------------------------------

    def _enqueue_internal(self, entry: _Entry) -> None:
        """Queue a command of the client's own ahead of the users' undelivered ones.

        Once per kind: a reboot during a config query must not queue a second one.
        """
        if self._queue.find(lambda queued: queued.kind == entry.kind) is not None:
            return
        self._queue.add(
            entry, before=lambda queued: queued.delivered is None and queued.kind not in _INTERNAL
        )

    async def _wait(self, seq: int) -> tuple[bool, Any]:
        """Wait for a command's outcome: (True, outcome), or (False, None) when not yet.

        A tablet that is offline gets no wait at all.
        """
        return await self._queue.wait(seq, self._confirm_timeout if self.online else 0)

    async def _facelib_outcome(self, seq: int) -> model.CommandResult:
        """Turn a face-library command's heartbeat verdict into a result or an error."""
        done, success = await self._wait(seq)
        if not done:
            return model.CommandResult(message=self._pending_message(), pending=True)
        if success is not True:
            raise model.DeviceRefusedError("the tablet reported a failure (it gives no reason)")
        return model.CommandResult()

    def _pending_message(self) -> str:
        """Say why a command is still pending."""
        if not self.online:
            return "queued; the tablet is offline and gets it at its next heartbeat"
        return "queued; the tablet has not confirmed it yet"

    def _saved_state(self) -> dict[str, Any]:
        """Return what was learnt about the tablet, saved with the queue."""
        return {
            "connected_once": self._connected_once,
            "high_threshold": self._config.high_threshold,
            "fahrenheit": self._config.fahrenheit,
        }


if TYPE_CHECKING:
    # The client must stay a DeviceClient that takes HTTP; mypy checks it here.
    _CONFORMS: type[DeviceClient] = TemperatureHttpClient
    _INBOUND: type[InboundHttp] = TemperatureHttpClient
    _CONFIGURABLE: type[SettingsClient] = TemperatureHttpClient
    _UPLOADS: type[UploadCheckClient] = TemperatureHttpClient
    _BATCHES: type[BatchEnrollClient] = TemperatureHttpClient
