"""Enrol many people on one device as fast as its protocol allows.

Where the client has a batch operation (`Capability.BATCH_ENROLL`, a `BatchEnrollClient`:
face terminal and camera `EditPersonsNew`, face_terminal_mqtt digest §4.13), the people go
in batches of the client's `batch_size`; a device that downloads its photos (`picURI`) gets
each photo at a signed URL that expires with its batch (`photo_view`). Elsewhere, and when
Home Assistant has no URL a device could reach, they go one by one with `enroll`, which
paces itself as its protocol demands.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import LOGGER
from .coordinator import FaceAccessConfigEntry
from .photo_view import shelf
from .protocols.client import BatchEnrollClient, BatchOutcome, DeviceClient
from .protocols.model import (
    Capability,
    DeviceTimeoutError,
    Enrollment,
    FaceAccessError,
    PhotoDownloadError,
)

URL_LIFETIME_BASE: Final = 60.0
URL_LIFETIME_PER_PERSON: Final = 3.0
"""A batch's photo URLs live 60 s plus 3 s per person: longer than its client waits for the
device's answer (the MQTT family: 30 s plus 2 s per person), never much longer."""


async def async_enroll_many(
    hass: HomeAssistant, entry: FaceAccessConfigEntry, enrollments: Sequence[Enrollment]
) -> BatchOutcome:
    """Add or replace everyone of `enrollments` on the entry's device; return each outcome.

    The outcome of a person ID is the `CommandResult` or the `FaceAccessError` its
    enrolment ended with (`BatchEnrollClient.enroll_batch`). Once the device stops
    answering (DeviceTimeoutError), the people not yet sent get that error too and
    nothing more is sent. People whose photo the device could not download
    (PhotoDownloadError: Home Assistant's URL is not one it reaches) go again one by one,
    with a warning. Never raises for a person's failure.
    """
    client = entry.runtime_data.client
    if not enrollments:
        return {}
    if Capability.BATCH_ENROLL in client.profile.capabilities and isinstance(
        client, BatchEnrollClient
    ):
        base = _base_url(hass, entry) if client.batch_needs_urls else ""
        if base is not None:
            outcomes = await _async_in_batches(hass, client, enrollments, base)
            again = [
                e for e in enrollments if isinstance(outcomes.get(e.person_id), PhotoDownloadError)
            ]
            if again:
                LOGGER.warning(
                    "%s could not download %d enrolment photos from Home Assistant at %s; "
                    "enrolling them one at a time (is that the address the device can reach? "
                    "Settings > System > Network)",
                    entry.title,
                    len(again),
                    base,
                )
                outcomes.update(await _async_one_by_one(client, again))
            return outcomes
    return await _async_one_by_one(client, enrollments)


def _base_url(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> str | None:
    """Return the URL the device reaches Home Assistant at, None when there is none."""
    if shelf(hass) is None:
        return None
    try:
        return get_url(hass, prefer_external=False, allow_cloud=False)
    except NoURLAvailableError:
        LOGGER.warning(
            "%s downloads enrolment photos from Home Assistant, which has no local URL "
            "(Settings > System > Network); enrolling one person at a time",
            entry.title,
        )
        return None


async def _async_in_batches(
    hass: HomeAssistant, client: BatchEnrollClient, enrollments: Sequence[Enrollment], base: str
) -> BatchOutcome:
    """Enrol in `enroll_batch` calls, each batch's photos on offer only while it runs.

    A client that takes the photos in the batch gets everyone in one call: it chains its
    batches itself (the tablet's go one after the other without waiting for a heartbeat).
    """
    outcomes: BatchOutcome = {}
    photos = shelf(hass)
    size = max(client.batch_size, 1) if client.batch_needs_urls else len(enrollments)
    for start in range(0, len(enrollments), size):
        chunk = enrollments[start : start + size]
        paths: list[str] = []
        urls: dict[str, str] | None = None
        if client.batch_needs_urls and photos is not None:
            lifetime = timedelta(seconds=URL_LIFETIME_BASE + URL_LIFETIME_PER_PERSON * len(chunk))
            urls = {}
            for enrollment in chunk:
                path = photos.offer(hass, enrollment.photo_jpeg, lifetime)
                paths.append(path)
                urls[enrollment.person_id] = f"{base}{path}"
        try:
            result = await client.enroll_batch(chunk, urls)
        except FaceAccessError as err:
            result = {enrollment.person_id: err for enrollment in chunk}
        finally:
            if photos is not None:
                photos.withdraw(paths)
        outcomes.update(result)
        gone = next((o for o in result.values() if isinstance(o, DeviceTimeoutError)), None)
        if gone is not None:
            outcomes.update({e.person_id: gone for e in enrollments[start + size :]})
            break
    return outcomes


async def _async_one_by_one(
    client: DeviceClient, enrollments: Sequence[Enrollment]
) -> BatchOutcome:
    """Enrol each person with `enroll`; stop at the first silence."""
    outcomes: BatchOutcome = {}
    for index, enrollment in enumerate(enrollments):
        try:
            outcomes[enrollment.person_id] = await client.enroll(enrollment)
        except DeviceTimeoutError as err:
            outcomes.update({e.person_id: err for e in enrollments[index:]})
            break
        except FaceAccessError as err:
            outcomes[enrollment.person_id] = err
    return outcomes
