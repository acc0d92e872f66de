"""Services: enroll, delete and list the people stored on devices."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    ATTR_CARD_NUMBER,
    ATTR_DEVICE_ID,
    ATTR_LIST,
    ATTR_NAME,
    ATTR_PERSON_ID,
    ATTR_PHOTO_CAMERA,
    ATTR_PHOTO_PATH,
    ATTR_PHOTO_URL,
    ATTR_VALID_FROM,
    ATTR_VALID_UNTIL,
    DOMAIN,
    SERVICE_DELETE_ALL_PEOPLE,
    SERVICE_DELETE_PERSON,
    SERVICE_ENROLL_PERSON,
    SERVICE_LIST_PEOPLE,
)
from .coordinator import FaceAccessConfigEntry
from .errors import translate
from .protocols import images
from .protocols.model import (
    Capability,
    CommandResult,
    Enrollment,
    FaceAccessError,
    InvalidPhotoError,
    Person,
    PersonList,
)

# A source photo larger than this is not a portrait; refuse it before decoding.
MAX_SOURCE_PHOTO_BYTES = 20 * 1024 * 1024
PHOTO_FETCH_TIMEOUT = 15

_PHOTO_SOURCES = (ATTR_PHOTO_PATH, ATTR_PHOTO_URL, ATTR_PHOTO_CAMERA)
_DEVICE_IDS = vol.All(cv.ensure_list, [cv.string], vol.Length(min=1))

ENROLL_PERSON_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Required(ATTR_DEVICE_ID): _DEVICE_IDS,
            vol.Required(ATTR_PERSON_ID): vol.All(cv.string, vol.Length(min=1)),
            vol.Required(ATTR_NAME): vol.All(cv.string, vol.Length(min=1)),
            vol.Exclusive(ATTR_PHOTO_PATH, "photo"): cv.string,
            vol.Exclusive(ATTR_PHOTO_URL, "photo"): cv.url,
            vol.Exclusive(ATTR_PHOTO_CAMERA, "photo"): cv.entity_domain("camera"),
            vol.Optional(ATTR_CARD_NUMBER): cv.string,
            vol.Optional(ATTR_VALID_FROM): cv.datetime,
            vol.Optional(ATTR_VALID_UNTIL): cv.datetime,
            vol.Optional(ATTR_LIST, default=PersonList.ALLOW.value): vol.In(
                [item.value for item in PersonList]
            ),
        }
    ),
    cv.has_at_least_one_key(*_PHOTO_SOURCES),
)
DELETE_PERSON_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _DEVICE_IDS,
        vol.Required(ATTR_PERSON_ID): vol.All(cv.ensure_list, [cv.string], vol.Length(min=1)),
    }
)
LIST_PEOPLE_SCHEMA = vol.Schema(
    {vol.Required(ATTR_DEVICE_ID): vol.All(_DEVICE_IDS, vol.Length(max=1))}
)
DELETE_ALL_PEOPLE_SCHEMA = vol.Schema({vol.Required(ATTR_DEVICE_ID): _DEVICE_IDS})


def _validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated error about the caller's input."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


@callback
def _entries(hass: HomeAssistant, device_ids: list[str]) -> dict[str, FaceAccessConfigEntry]:
    """Return the loaded config entry of each Home Assistant device ID, or raise."""
    registry = dr.async_get(hass)
    entries: dict[str, FaceAccessConfigEntry] = {}
    for device_id in device_ids:
        device = registry.async_get(device_id)
        unique_id = (
            next((ident for domain, ident in device.identifiers if domain == DOMAIN), None)
            if device
            else None
        )
        entry = (
            hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id)
            if unique_id
            else None
        )
        if entry is None:
            raise _validation_error("device_not_found", device_id=device_id)
        if entry.state is not ConfigEntryState.LOADED:
            raise _validation_error("device_not_loaded", name=entry.title)
        entries[device_id] = entry
    return entries


def _require(entry: FaceAccessConfigEntry, capability: Capability) -> None:
    """Raise unless the device's protocol can do what the service asks."""
    if capability not in entry.runtime_data.client.profile.capabilities:
        raise _validation_error("unsupported_service", name=entry.title)


async def _async_run(
    entries: dict[str, FaceAccessConfigEntry],
    action: Callable[[FaceAccessConfigEntry], Awaitable[CommandResult]],
    done_status: str,
) -> dict[str, Any]:
    """Run `action` on every device at once; report each result, raise when all failed.

    The devices run concurrently: one that confirms only at its next heartbeat (a
    temperature tablet) does not hold up the others. A command that a device queued but has
    not confirmed yet is reported as `pending`.

    A single device's failure raises its translated error (with the device's reason); with
    several devices, failures are reported per device unless all of them failed.
    """
    results: dict[str, dict[str, str]] = {}
    errors: list[HomeAssistantError] = []
    outcomes = await asyncio.gather(
        *(action(entry) for entry in entries.values()), return_exceptions=True
    )
    for (device_id, entry), outcome in zip(entries.items(), outcomes, strict=True):
        if isinstance(outcome, FaceAccessError):
            error = translate(outcome, entry.title)
            if isinstance(error, ServiceValidationError):
                raise error from outcome
            errors.append(error)
            results[device_id] = {"status": "failed", "message": str(outcome)}
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            status = "pending" if outcome.pending else done_status
            results[device_id] = {"status": status, "message": outcome.message}
    if errors and len(errors) == len(entries):
        raise errors[0]
    return {"results": results}


async def _async_read_photo(hass: HomeAssistant, call: ServiceCall) -> bytes:
    """Fetch the photo from the one source the call names."""
    if (path := call.data.get(ATTR_PHOTO_PATH)) is not None:
        if not hass.config.is_allowed_path(path):
            raise _validation_error("photo_path_not_allowed", path=path)

        def _read() -> bytes:
            with Path(path).open("rb") as file:
                return file.read(MAX_SOURCE_PHOTO_BYTES + 1)

        try:
            data = await hass.async_add_executor_job(_read)
        except OSError as err:
            raise _validation_error("photo_unavailable", reason=err.strerror or str(err)) from err
    elif (url := call.data.get(ATTR_PHOTO_URL)) is not None:
        try:
            async with async_get_clientsession(hass).get(
                url, timeout=aiohttp.ClientTimeout(total=PHOTO_FETCH_TIMEOUT)
            ) as response:
                response.raise_for_status()
                # `content.read(n)` returns what has arrived so far, not n bytes: read to the
                # end (or just past the limit) so that a photo sent in pieces arrives whole.
                received = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    received += chunk
                    if len(received) > MAX_SOURCE_PHOTO_BYTES:
                        break
                data = bytes(received)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise _validation_error("photo_unavailable", reason=str(err) or "timeout") from err
    else:
        # Imported here: the camera component is set up (with its requirements) only when
        # someone uses it.
        from homeassistant.components.camera import async_get_image  # noqa: PLC0415

        try:
            data = (await async_get_image(hass, call.data[ATTR_PHOTO_CAMERA])).content
        except HomeAssistantError as err:
            raise _validation_error("photo_unavailable", reason=str(err)) from err
    if len(data) > MAX_SOURCE_PHOTO_BYTES:
        raise _validation_error("photo_unavailable", reason="larger than 20 MB")
    return data


def _local_naive(value: datetime | None) -> datetime | None:
    """Return a time as the device's naive local time (the protocols carry no zone)."""
    if value is None or value.tzinfo is None:
        return value
    return dt_util.as_local(value).replace(tzinfo=None)


async def _async_enroll_person(call: ServiceCall) -> ServiceResponse:
    """Add or replace a person on one or more devices."""
    hass = call.hass
    entries = _entries(hass, call.data[ATTR_DEVICE_ID])
    for entry in entries.values():
        _require(entry, Capability.ENROLL)
        if ATTR_CARD_NUMBER in call.data:
            _require(entry, Capability.ENROLL_CARD_NUMBER)
    source = await _async_read_photo(hass, call)
    photos: dict[object, bytes] = {}

    async def _enroll(entry: FaceAccessConfigEntry) -> CommandResult:
        client = entry.runtime_data.client
        limits = client.profile.photo_limits
        if limits not in photos:
            try:
                photos[limits] = await hass.async_add_executor_job(
                    images.normalize_photo, source, limits
                )
            except InvalidPhotoError as err:
                raise _validation_error("invalid_photo", reason=str(err)) from err
        return await client.enroll(
            Enrollment(
                person_id=call.data[ATTR_PERSON_ID],
                name=call.data[ATTR_NAME],
                photo_jpeg=photos[limits],
                card_number=call.data.get(ATTR_CARD_NUMBER),
                person_list=PersonList(call.data[ATTR_LIST]),
                valid_from=_local_naive(call.data.get(ATTR_VALID_FROM)),
                valid_until=_local_naive(call.data.get(ATTR_VALID_UNTIL)),
            )
        )

    return await _async_run(entries, _enroll, "enrolled")


async def _async_delete_person(call: ServiceCall) -> ServiceResponse:
    """Delete one or more people from one or more devices."""
    entries = _entries(call.hass, call.data[ATTR_DEVICE_ID])
    for entry in entries.values():
        _require(entry, Capability.DELETE_PERSON)
    person_ids: list[str] = call.data[ATTR_PERSON_ID]
    return await _async_run(
        entries, lambda entry: entry.runtime_data.client.delete(person_ids), "deleted"
    )


async def _async_delete_all_people(call: ServiceCall) -> ServiceResponse:
    """Delete everyone from one or more devices."""
    entries = _entries(call.hass, call.data[ATTR_DEVICE_ID])
    for entry in entries.values():
        _require(entry, Capability.DELETE_ALL_PEOPLE)
    return await _async_run(
        entries, lambda entry: entry.runtime_data.client.delete_all(), "deleted"
    )


def _person_response(person: Person) -> dict[str, Any]:
    """Return one person as the service response carries it (DESIGN.md)."""
    return {
        "person_id": person.person_id,
        "name": person.name,
        "card_number": person.card_number,
        "list": person.person_list.value,
        "valid_from": person.valid_from.isoformat() if person.valid_from else None,
        "valid_until": person.valid_until.isoformat() if person.valid_until else None,
    }


async def _async_list_people(call: ServiceCall) -> ServiceResponse:
    """Return everyone stored on one device."""
    (entry,) = _entries(call.hass, call.data[ATTR_DEVICE_ID]).values()
    _require(entry, Capability.LIST_PEOPLE)
    try:
        people = await entry.runtime_data.client.list_people()
    except FaceAccessError as err:
        raise translate(err, entry.title) from err
    return {"people": [_person_response(person) for person in people], "total": len(people)}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services (once, from async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_ENROLL_PERSON,
        _async_enroll_person,
        schema=ENROLL_PERSON_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_DELETE_PERSON,
        _async_delete_person,
        schema=DELETE_PERSON_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_DELETE_ALL_PEOPLE,
        _async_delete_all_people,
        schema=DELETE_ALL_PEOPLE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_PEOPLE,
        _async_list_people,
        schema=LIST_PEOPLE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
