"""Services: enroll, delete and list the people stored on devices.

Every target is checked before anything is sent (DESIGN.md, Services); the response has one
entry per target with its `status`, a `reason` in Home Assistant's language and the
protocol's own `message`, the same shape whatever the protocol.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

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
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .catchup import async_setup_service as async_setup_fetch_records
from .const import (
    ATTR_CARD_NUMBER,
    ATTR_DEVICE_ID,
    ATTR_LIST,
    ATTR_NAME,
    ATTR_PERSON_ID,
    ATTR_PHOTO_BASE64,
    ATTR_PHOTO_CAMERA,
    ATTR_PHOTO_MEDIA,
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
from .errors import async_error_text, async_translated, translate
from .import_people import async_setup_service as async_setup_import_people
from .photo_sources import PHOTO_SOURCES, async_read_photo, media_source_id
from .protocols import images
from .protocols.model import (
    Capability,
    CommandResult,
    Enrollment,
    FaceAccessError,
    InvalidPhotoError,
    InvalidRequestError,
    Person,
    PersonList,
    PersonNotFoundError,
    PhotoLimits,
)

STATUS_ENROLLED = "enrolled"
STATUS_PENDING = "pending"
STATUS_DELETED = "deleted"
STATUS_NOT_FOUND = "not_found"
STATUS_FAILED = "failed"
STATUS_LISTED = "listed"

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
            vol.Exclusive(ATTR_PHOTO_MEDIA, "photo"): media_source_id,
            vol.Exclusive(ATTR_PHOTO_BASE64, "photo"): vol.All(cv.string, vol.Length(min=1)),
            vol.Optional(ATTR_CARD_NUMBER): cv.string,
            vol.Optional(ATTR_VALID_FROM): cv.datetime,
            vol.Optional(ATTR_VALID_UNTIL): cv.datetime,
            vol.Optional(ATTR_LIST, default=PersonList.ALLOW.value): vol.In(
                [item.value for item in PersonList]
            ),
        }
    ),
    cv.has_at_least_one_key(*PHOTO_SOURCES),
)
DELETE_PERSON_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _DEVICE_IDS,
        vol.Required(ATTR_PERSON_ID): vol.All(cv.ensure_list, [cv.string], vol.Length(min=1)),
    }
)
LIST_PEOPLE_SCHEMA = vol.Schema(
    {vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string])}
)
DELETE_ALL_PEOPLE_SCHEMA = vol.Schema({vol.Required(ATTR_DEVICE_ID): _DEVICE_IDS})

type _Check = Callable[[FaceAccessConfigEntry], None]


def _validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated error about the caller's input."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _is_device(entry: FaceAccessConfigEntry) -> bool:
    """Return whether a loaded entry is a device with a client (not, say, a roster entry)."""
    return getattr(entry.runtime_data, "client", None) is not None


@callback
def _entry(hass: HomeAssistant, device_id: str) -> FaceAccessConfigEntry:
    """Return the loaded config entry of a Home Assistant device ID, or raise."""
    device = dr.async_get(hass).async_get(device_id)
    unique_id = (
        next((ident for domain, ident in device.identifiers if domain == DOMAIN), None)
        if device
        else None
    )
    entry: FaceAccessConfigEntry | None = (
        hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id)
        if unique_id
        else None
    )
    if entry is None:
        raise _validation_error("device_not_found", device_id=device_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise _validation_error("device_not_loaded", name=entry.title)
    if not _is_device(entry):
        raise _validation_error("device_not_found", device_id=device_id)
    return entry


def _require(entry: FaceAccessConfigEntry, capability: Capability) -> None:
    """Raise unless the device's protocol can do what the service asks."""
    if capability not in entry.runtime_data.client.profile.capabilities:
        raise _validation_error("unsupported_service", name=entry.title)


def _within_limits(entry: FaceAccessConfigEntry, check: Callable[..., None], *args: Any) -> None:
    """Run one of the device's PersonLimits checks; raise its refusal as `invalid_request`."""
    try:
        check(*args)
    except InvalidRequestError as err:
        raise _validation_error("invalid_request", name=entry.title, reason=str(err)) from err


async def _async_targets(
    hass: HomeAssistant, device_ids: Iterable[str], check: _Check
) -> dict[str, FaceAccessConfigEntry]:
    """Return the entry of every target, each one checked before anything is sent.

    Raises the one target's error when a single target is bad, else one `invalid_targets`
    error naming each bad target with why (in Home Assistant's language).
    """
    entries: dict[str, FaceAccessConfigEntry] = {}
    problems: list[ServiceValidationError] = []
    for device_id in dict.fromkeys(device_ids):
        try:
            entry = _entry(hass, device_id)
            check(entry)
        except ServiceValidationError as err:
            problems.append(err)
        else:
            entries[device_id] = entry
    if len(problems) == 1:
        raise problems[0]
    if problems:
        texts = [await async_error_text(hass, problem) for problem in problems]
        raise _validation_error("invalid_targets", problems="; ".join(texts))
    return entries


async def _async_reason(hass: HomeAssistant, status: str, name: str) -> str:
    """Return the translated reason of a target's status other than `failed`."""
    return await async_translated(hass, f"result_{status}", {"name": name})


async def _async_failed(
    hass: HomeAssistant, entries: dict[str, FaceAccessConfigEntry], errors: list[HomeAssistantError]
) -> HomeAssistantError:
    """Return the error to raise when every target failed: its own for one target."""
    if len(errors) == 1:
        return errors[0]
    texts = "; ".join([await async_error_text(hass, error) for error in errors])
    if all(isinstance(error, ServiceValidationError) for error in errors):
        return _validation_error("all_targets_failed", problems=texts)
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="all_targets_failed",
        translation_placeholders={"problems": texts},
    )


async def _async_failure(
    hass: HomeAssistant, err: FaceAccessError, name: str, errors: list[HomeAssistantError]
) -> dict[str, str]:
    """Return a failed target's entry of a response; add its translated error to `errors`."""
    error = translate(err, name)
    error.__cause__ = err
    errors.append(error)
    return {
        "status": STATUS_FAILED,
        "reason": await async_error_text(hass, error),
        "message": str(err),
    }


async def _async_run(
    hass: HomeAssistant,
    entries: dict[str, FaceAccessConfigEntry],
    action: Callable[[FaceAccessConfigEntry], Awaitable[CommandResult]],
    done_status: str,
) -> dict[str, Any]:
    """Run `action` on every device at once; report each target, raise when all failed.

    The devices run concurrently: one that confirms only at its next heartbeat (a
    temperature tablet) does not hold up the others. Each target gets `status` (`done_status`,
    `pending` for a command queued but not confirmed yet, `not_found` for a person the device
    did not have, `failed`), `reason` (translated) and `message` (the protocol's detail).
    The call raises only when every target failed: one target's own translated error, or one
    error naming each.
    """
    results: dict[str, dict[str, str]] = {}
    errors: list[HomeAssistantError] = []
    outcomes = await asyncio.gather(
        *(action(entry) for entry in entries.values()), return_exceptions=True
    )
    for (device_id, entry), outcome in zip(entries.items(), outcomes, strict=True):
        name = entry.title
        if isinstance(outcome, PersonNotFoundError):
            results[device_id] = {
                "status": STATUS_NOT_FOUND,
                "reason": await _async_reason(hass, STATUS_NOT_FOUND, name),
                "message": str(outcome),
            }
        elif isinstance(outcome, FaceAccessError):
            results[device_id] = await _async_failure(hass, outcome, name, errors)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            status = STATUS_PENDING if outcome.pending else done_status
            results[device_id] = {
                "status": status,
                "reason": await _async_reason(hass, status, name),
                "message": outcome.message,
            }
    if errors and len(errors) == len(entries):
        raise await _async_failed(hass, entries, errors)
    return {"results": results}


def _local_naive(value: datetime | None) -> datetime | None:
    """Return a time as the device's naive local time (the protocols carry no zone)."""
    if value is None or value.tzinfo is None:
        return value
    return dt_util.as_local(value).replace(tzinfo=None)


async def _async_enroll_person(call: ServiceCall) -> ServiceResponse:
    """Add or replace a person on one or more devices.

    Order: every target checked (exists, loaded, can enroll, ID, name and card within its
    PersonLimits), then the photo read and normalised once per photo limit, then the
    devices told at once. A bad target or photo sends nothing to anyone.
    """
    hass = call.hass
    person_id: str = call.data[ATTR_PERSON_ID]
    name: str = call.data[ATTR_NAME]
    card_number: str | None = call.data.get(ATTR_CARD_NUMBER)

    def _check(entry: FaceAccessConfigEntry) -> None:
        _require(entry, Capability.ENROLL)
        if card_number is not None:
            _require(entry, Capability.ENROLL_CARD_NUMBER)
        if (limits := entry.runtime_data.client.profile.person_limits) is not None:
            _within_limits(entry, limits.check, person_id, name, card_number)

    entries = await _async_targets(hass, call.data[ATTR_DEVICE_ID], _check)
    source = await async_read_photo(hass, call.data)
    photos: dict[PhotoLimits, bytes] = {}
    for entry in entries.values():
        limits = entry.runtime_data.client.profile.photo_limits
        if limits in photos:
            continue
        try:
            photos[limits] = await hass.async_add_executor_job(
                images.normalize_photo, source, limits
            )
        except InvalidPhotoError as err:
            raise _validation_error("invalid_photo", reason=str(err)) from err

    def _enroll(entry: FaceAccessConfigEntry) -> Awaitable[CommandResult]:
        client = entry.runtime_data.client
        return client.enroll(
            Enrollment(
                person_id=person_id,
                name=name,
                photo_jpeg=photos[client.profile.photo_limits],
                card_number=card_number,
                person_list=PersonList(call.data[ATTR_LIST]),
                valid_from=_local_naive(call.data.get(ATTR_VALID_FROM)),
                valid_until=_local_naive(call.data.get(ATTR_VALID_UNTIL)),
            )
        )

    return await _async_run(hass, entries, _enroll, STATUS_ENROLLED)


async def _async_delete_person(call: ServiceCall) -> ServiceResponse:
    """Delete one or more people from one or more devices."""
    person_ids: list[str] = call.data[ATTR_PERSON_ID]

    def _check(entry: FaceAccessConfigEntry) -> None:
        _require(entry, Capability.DELETE_PERSON)
        if (limits := entry.runtime_data.client.profile.person_limits) is not None:
            for person_id in person_ids:
                _within_limits(entry, limits.check_id, person_id)

    entries = await _async_targets(call.hass, call.data[ATTR_DEVICE_ID], _check)
    return await _async_run(
        call.hass,
        entries,
        lambda entry: entry.runtime_data.client.delete(person_ids),
        STATUS_DELETED,
    )


async def _async_delete_all_people(call: ServiceCall) -> ServiceResponse:
    """Delete everyone from one or more devices."""
    entries = await _async_targets(
        call.hass,
        call.data[ATTR_DEVICE_ID],
        lambda entry: _require(entry, Capability.DELETE_ALL_PEOPLE),
    )
    return await _async_run(
        call.hass, entries, lambda entry: entry.runtime_data.client.delete_all(), STATUS_DELETED
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


@callback
def _listing_devices(hass: HomeAssistant) -> dict[str, FaceAccessConfigEntry]:
    """Return every loaded device that can list people, by Home Assistant device ID."""
    registry = dr.async_get(hass)
    entries: dict[str, FaceAccessConfigEntry] = {}
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        if (
            entry.unique_id is None
            or not _is_device(entry)
            or Capability.LIST_PEOPLE not in entry.runtime_data.client.profile.capabilities
        ):
            continue
        # Through the entry: looking a device up by identifier is deprecated from 2026.9.
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if (DOMAIN, entry.unique_id) in device.identifiers:
                entries[device.id] = entry
    return entries


async def _async_list_people(call: ServiceCall) -> ServiceResponse:
    """Return everyone stored on one device, or on several (all by default) at once.

    One device: `{"people": [...], "total"}`, and its failure raises. Several: each person
    once, with `devices` (the Home Assistant device IDs it is on), `total` people, and
    `results` per device (`listed` with its `total`, or `failed`); raises only when every
    device failed.
    """
    hass = call.hass
    device_ids: list[str] = call.data.get(ATTR_DEVICE_ID) or []
    if len(device_ids) == 1:
        (entry,) = (
            await _async_targets(
                hass, device_ids, lambda entry: _require(entry, Capability.LIST_PEOPLE)
            )
        ).values()
        try:
            people = await entry.runtime_data.client.list_people()
        except FaceAccessError as err:
            raise translate(err, entry.title) from err
        return {"people": [_person_response(person) for person in people], "total": len(people)}
    if device_ids:
        entries = await _async_targets(
            hass, device_ids, lambda entry: _require(entry, Capability.LIST_PEOPLE)
        )
    elif not (entries := _listing_devices(hass)):
        raise _validation_error("no_listing_devices")
    outcomes = await asyncio.gather(
        *(entry.runtime_data.client.list_people() for entry in entries.values()),
        return_exceptions=True,
    )
    everyone: dict[str, dict[str, Any]] = {}
    results: dict[str, Any] = {}
    errors: list[HomeAssistantError] = []
    for (device_id, entry), outcome in zip(entries.items(), outcomes, strict=True):
        if isinstance(outcome, FaceAccessError):
            results[device_id] = await _async_failure(hass, outcome, entry.title, errors)
            continue
        if isinstance(outcome, BaseException):
            raise outcome
        for person in outcome:
            item = everyone.setdefault(
                person.person_id, {**_person_response(person), "devices": []}
            )
            if device_id not in item["devices"]:
                item["devices"].append(device_id)
        results[device_id] = {
            "status": STATUS_LISTED,
            "reason": await async_translated(
                hass, "result_listed", {"name": entry.title, "count": str(len(outcome))}
            ),
            "total": len(outcome),
        }
    if errors and len(errors) == len(entries):
        raise await _async_failed(hass, entries, errors)
    return {"people": list(everyone.values()), "total": len(everyone), "results": results}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services (once, from async_setup)."""
    async_setup_fetch_records(hass)
    async_setup_import_people(hass)
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
