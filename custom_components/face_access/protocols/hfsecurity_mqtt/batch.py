"""Batch enrolment of the HFSecurity MQTT family: `EditPersonsNew`, watched by `QueryProgress`.

The documents are face-terminal-mqtt v1.24 §4.8/§4.10 and network-camera-mqtt v1.25 §4.3
(`shared/seeds`); "digest" is `shared/protocols/face_terminal_mqtt.md` §4.13/§4.14 and
§6.11, "camera digest" `camera_mqtt.md` §4.9 and §6.2 (29.8).

`EditPersonsNew` upserts up to 1000 people by `customId`; each person's picture is a
`picURI` the device downloads itself, never base64 (L1207). Only one batch may run at a
time, and while it runs the device refuses every other person command with 410 "... is
busy": the client holds its people lock for the whole exchange. The ack comes once the
device has downloaded and processed everyone; the face terminal also answers
`QueryProgress` meanwhile (digest §4.14), which tells a device still at work from one
whose ack was lost. The camera's document has no `QueryProgress`: there only the ack counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
import logging
from typing import TYPE_CHECKING, Any, Final

from ..model import (
    CommandResult,
    DeviceRefusedError,
    DeviceTimeoutError,
    Enrollment,
    FaceAccessError,
    InvalidRequestError,
    PhotoDownloadError,
)
from ..wire import integer as _int, text as _text
from . import codec

if TYPE_CHECKING:
    from ..client import BatchOutcome
    from .client import HFSecurityMqttClient

_LOGGER = logging.getLogger(__package__)

OPERATOR: Final = "EditPersonsNew"
BATCH_SIZE: Final = 1000
"""`PersonNum` 1~1000 (digest §4.13; error 416 above it)."""
PROGRESS_POLL_INTERVAL = 5.0
"""Seconds between `QueryProgress` polls while a batch runs (digest §4.14: every 5-10 s)."""
BUSY_RETRY_INTERVAL = 5.0
"""Seconds before a batch refused as busy (410) is sent again, where nothing tells progress."""
ACK_BASE_SECONDS: Final = 30.0
ACK_SECONDS_PER_PERSON: Final = 2.0
"""How long a batch's ack may take: 30 s plus the 2 s per picture the document asks between
single `picURI` commands (digest §4.1 pacing, L318); the documents give no ack timeout."""
IDLE_POLLS_WITHOUT_ACK: Final = 2
"""`QueryProgress` answers "idle" in a row after which the batch's ack counts as lost."""

# Per-person `errcode`s of `EditPersonsNew` (digest §6.11, L3839-3862; camera §6.2 29.8,
# where 474 is "Device list is full"). Unknown codes are reported verbatim (E53).
ERRCODES: Final[Mapping[str, str]] = {
    "461": "the device could not read the person's ID",
    "464": "the device could not resolve the photo's server",
    "465": "the device could not download the photo",
    "466": "the device could not read the downloaded photo",
    "467": "the photo is too large for the device",
    "468": "the device found no usable face in the photo",
    "469": "the device could not store the photo",
    "474": "the device's person list is full",
    "475": "the Wiegand card is already in use",
    "476": "WGFacilityCode missing",
    "477": "cardNum2 missing",
    "479": "the device could not change the person",
    "480": "the card is already in use",
    "481": "the photo URL is missing",
    "482": "the device could not read the person's stored photo",
}


DOWNLOAD_ERRCODES: Final = frozenset({"464", "465"})
"""The device found no server or no connection at the `picURI`: `PhotoDownloadError`."""


class _AckLost(Exception):
    """The device reports it is idle again but never acknowledged the batch."""


def person_entry(
    enrollment: Enrollment, client: HFSecurityMqttClient, pic_uri: str
) -> dict[str, Any]:
    """Return one person of a batch's `info` array: the `EditPerson` fields with `picURI`.

    Raises InvalidRequestError when the person breaks the protocol's limits (as `enroll`).
    """
    info = codec.edit_person_info(enrollment, client.variant)
    del info["pic"]  # batches take pictures by URL only (L1207)
    info["picURI"] = pic_uri
    return info


def outcomes_from_ack(env: codec.Envelope, person_ids: Sequence[str]) -> BatchOutcome:
    """Read each person's outcome from an `EditPersonsNew-Ack` (digest §4.13).

    `AddErrInfo` lists failures as `{customId, errcode}` and `AddSucInfo` successes (the
    names are the same for edits). A person in neither list succeeded when the ack
    accounts for all of its failures (`AddErrNum`), else it counts as refused. Errcodes
    464 and 465 (the URL unreachable) are PhotoDownloadError.
    """
    failures: dict[str, str | None] = {}
    for item in _items(env.fields.get("adderrinfo")):
        if (custom_id := _text(item.get("customid"))) is not None:
            failures[custom_id] = _text(item.get("errcode"))
    succeeded = {
        custom_id
        for item in _items(env.fields.get("addsucinfo"))
        if (custom_id := _text(item.get("customid"))) is not None
    }
    error_count = _int(env.fields.get("adderrnum"))
    complete = error_count is None or error_count <= len(failures)
    outcomes: BatchOutcome = {}
    for person_id in person_ids:
        if person_id in failures:
            code = failures[person_id]
            reason = ERRCODES.get(code or "", "the device refused the person")
            error = PhotoDownloadError if code in DOWNLOAD_ERRCODES else DeviceRefusedError
            outcomes[person_id] = error(reason, code)
        elif person_id in succeeded or complete:
            outcomes[person_id] = CommandResult(message="enrolled")
        else:
            outcomes[person_id] = DeviceRefusedError("the device did not report this person")
    return outcomes


def _items(value: Any) -> list[dict[str, Any]]:
    """Return the objects of an ack's list with normalised keys (a non-list is empty)."""
    if not isinstance(value, list):
        return []
    return [codec.normalise_keys(item) for item in value if isinstance(item, dict)]


async def enroll_batch(
    client: HFSecurityMqttClient,
    enrollments: Sequence[Enrollment],
    photo_urls: Mapping[str, str] | None,
) -> BatchOutcome:
    """Enroll everyone with `EditPersonsNew`, `BATCH_SIZE` at a time; the client's people lock held.

    Returns each person ID's outcome (`BatchEnrollClient.enroll_batch`): a person the
    protocol cannot take, or without a URL, is never sent; a batch the device refuses as a
    whole (codes 412-418, 460) gives every person in it that refusal; one it does not
    answer gives its people and all later ones DeviceTimeoutError, and nothing more is sent.
    """
    outcomes: BatchOutcome = {}
    # Later entries win, as they would one by one: the device takes each ID once per batch.
    entries: dict[str, dict[str, Any]] = {}
    for enrollment in enrollments:
        person_id = enrollment.person_id
        entries.pop(person_id, None)
        outcomes.pop(person_id, None)
        url = (photo_urls or {}).get(person_id)
        if not url:
            outcomes[person_id] = InvalidRequestError("no photo URL for the batch")
            continue
        try:
            entries[person_id] = person_entry(enrollment, client, url)
        except InvalidRequestError as err:
            outcomes[person_id] = err
    ids = list(entries)
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        try:
            env = await _send(client, [entries[person_id] for person_id in chunk])
        except DeviceTimeoutError as err:
            outcomes.update(dict.fromkeys(ids[start:], err))
            break
        except FaceAccessError as err:
            outcomes.update(dict.fromkeys(chunk, err))
            continue
        outcomes.update(outcomes_from_ack(env, chunk))
    return outcomes


async def _send(client: HFSecurityMqttClient, people: list[dict[str, Any]]) -> codec.Envelope:
    """Send one batch until the device acknowledges it; return the ack.

    A device busy with another batch (410) is waited for, as long as the batch's own ack
    could take; a lost ack (the terminal idle again without one) makes one more send, which
    is safe: `EditPersonsNew` is an upsert. Raises DeviceRefusedError or DeviceTimeoutError.
    """
    loop = asyncio.get_running_loop()
    patience = ACK_BASE_SECONDS + ACK_SECONDS_PER_PERSON * len(people)
    busy_until = loop.time() + patience
    resent = False
    while True:
        try:
            return await _send_once(client, people, patience)
        except DeviceRefusedError as err:
            if err.code != "410" or loop.time() >= busy_until:
                raise
            _LOGGER.debug("Device %s is busy with another batch; waiting", client.device_id)
            await _wait_idle(client, busy_until)
        except _AckLost as err:
            if resent:
                raise DeviceTimeoutError(f"no answer to {OPERATOR}") from err
            resent = True
            _LOGGER.debug("Device %s lost a batch's ack; sending it again", client.device_id)


async def _send_once(
    client: HFSecurityMqttClient, people: list[dict[str, Any]], patience: float
) -> codec.Envelope:
    """Send one batch and wait for its ack, asking the terminal's progress meanwhile."""
    command = client._command(
        OPERATOR,
        people,
        extra={
            "DataBegin": "BeginFlag",
            "PersonNum": client._number(len(people)),
            "DataEnd": "EndFlag",
        },
        ack_timeout=patience,
    )
    if not client.variant.query_progress:
        return await command
    ack = asyncio.ensure_future(command)
    try:
        idle = 0
        while True:
            done, _pending = await asyncio.wait({ack}, timeout=PROGRESS_POLL_INTERVAL)
            if done:
                return ack.result()
            busy = await _race(ack, _busy(client))
            if busy is None:
                return ack.result()
            idle = 0 if busy else idle + 1
            if idle >= IDLE_POLLS_WITHOUT_ACK:
                raise _AckLost
    finally:
        ack.cancel()


async def _race(ack: asyncio.Future[codec.Envelope], probe: Any) -> bool | None:
    """Run the progress `probe` unless the ack comes first; None when it did."""
    task: asyncio.Task[bool] = asyncio.ensure_future(probe)
    try:
        waiters: set[asyncio.Future[Any]] = {ack, task}
        done, _pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        task.cancel()
    if ack in done:
        return None
    return task.result() if not task.cancelled() else True


async def _busy(client: HFSecurityMqttClient) -> bool:
    """Ask `QueryProgress` whether a batch runs (digest §4.14: `Status` 1-3 busy, 0 idle).

    A device that does not answer, or answers without a status, counts as busy: only its
    word that it is idle ends the wait for an ack.
    """
    try:
        env = await client._command("QueryProgress", {})
    except FaceAccessError as err:
        _LOGGER.debug("Device %s did not tell its progress: %s", client.device_id, err)
        return True
    status = _int(env.fields.get("status"))
    return status is None or status != 0


async def _wait_idle(client: HFSecurityMqttClient, until: float) -> None:
    """Wait until the device's running batch ends, or until `until` (loop time).

    The terminal is asked (`QueryProgress`); the camera, which has no such command, is
    given BUSY_RETRY_INTERVAL before the batch is tried again.
    """
    loop = asyncio.get_running_loop()
    if not client.variant.query_progress:
        await asyncio.sleep(min(BUSY_RETRY_INTERVAL, max(until - loop.time(), 0.0)))
        return
    while loop.time() < until:
        await asyncio.sleep(min(PROGRESS_POLL_INTERVAL, max(until - loop.time(), 0.0)))
        if not await _busy(client):
            return
