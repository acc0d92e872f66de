"""The subentry flow of a roster person: add (`user`) and edit (`reconfigure`).

One form holds the whole person: name, person ID (generated when left empty), photo (an
upload through `file_upload`, or a snapshot of a camera entity), card number, validity,
allow or block list, the terminals (or all of them) and the Home Assistant `person`. The
photo is normalised and kept once (`people_entry`); the subentry's data holds the rest
(`roster`). Nothing is sent to a terminal here: the sync does that once the roster changed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
import secrets
from typing import Any, Final

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, selector
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN, LOGGER
from .people_entry import MAX_SOURCE_PHOTO_BYTES, async_stage_photo, async_store_photo
from .protocols.model import (
    Capability,
    DeviceProfile,
    InvalidPhotoError,
    InvalidRequestError,
    PersonList,
)
from .roster import (
    CONF_ALL_TERMINALS,
    CONF_CARD_NUMBER,
    CONF_HA_PERSON,
    CONF_KIND,
    CONF_LIST,
    CONF_NAME,
    CONF_PERSON_ID,
    CONF_PHOTO_SHA256,
    CONF_TERMINALS,
    CONF_VALID_FROM,
    CONF_VALID_UNTIL,
    SUBENTRY_PERSON,
)

CONF_PHOTO: Final = "photo"
"""Form field: the uploaded photo (a `file_upload` file ID); not kept in the subentry."""
CONF_PHOTO_CAMERA: Final = "photo_camera"
"""Form field: a camera entity to take the photo from; not kept in the subentry."""
PHOTO_TYPES: Final = "image/jpeg,image/png"
GENERATED_ID_MIN: Final = 100_000_000
GENERATED_ID_MAX: Final = 999_999_999
"""A generated person ID is a nine-digit number: the strictest device (UNV `PersonID`, an
unsigned long, notes §1.3 item 9) takes only numbers, the face-capture terminal at most 19
bytes (Huaan API L553); nine digits without a leading zero read back unchanged everywhere."""

# Error keys of the form (translations: config_subentries.person.error).
ERROR_NO_PHOTO: Final = "no_photo"
ERROR_TWO_PHOTOS: Final = "two_photos"
ERROR_INVALID_PHOTO: Final = "invalid_photo"
ERROR_UPLOAD_GONE: Final = "upload_gone"
ERROR_CAMERA_UNAVAILABLE: Final = "camera_unavailable"
ERROR_NAME_EMPTY: Final = "name_empty"
ERROR_DUPLICATE_ID: Final = "duplicate_person_id"
ERROR_ID_UNFIT: Final = "person_id_unfit"
ERROR_NAME_UNFIT: Final = "name_unfit"
ERROR_CARD_UNFIT: Final = "card_number_unfit"
ERROR_NO_TERMINALS: Final = "no_terminals"
ERROR_CANNOT_ENROLL: Final = "terminal_cannot_enroll"
ERROR_VALIDITY: Final = "valid_until_before_valid_from"


def generate_person_id(taken: Collection[str]) -> str:
    """Return a new person ID every protocol can store, not in `taken` (see GENERATED_ID_MAX)."""
    while True:
        candidate = str(GENERATED_ID_MIN + secrets.randbelow(GENERATED_ID_MAX - GENERATED_ID_MIN))
        if candidate not in taken:
            return candidate


def person_subentry_data(
    person_id: str,
    name: str,
    listed: PersonList,
    terminals: list[str] | None,
    *,
    card_number: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """Return a roster person's subentry data, as the form and the import keep it.

    `terminals` are the chosen terminals' device IDs, None for all terminals; the validity
    is naive (the terminals' local wall time) and kept as ISO 8601 text. The photo's hash
    and the linked Home Assistant person are the caller's to add.
    """
    data: dict[str, Any] = {
        CONF_PERSON_ID: person_id,
        CONF_NAME: name,
        CONF_LIST: listed.value,
        CONF_ALL_TERMINALS: terminals is None,
        CONF_TERMINALS: list(terminals or []),
    }
    if card_number:
        data[CONF_CARD_NUMBER] = card_number
    if valid_from is not None:
        data[CONF_VALID_FROM] = valid_from.isoformat()
    if valid_until is not None:
        data[CONF_VALID_UNTIL] = valid_until.isoformat()
    return data


@dataclass(frozen=True, slots=True)
class Terminal:
    """A device a person can be put on: its name as the user sees it, its profile if loaded."""

    name: str
    profile: DeviceProfile | None


@callback
def terminal_entry(hass: HomeAssistant, device_id: str) -> ConfigEntry[Any] | None:
    """Return the device entry (not the People entry) of a Home Assistant device, or None.

    Found through the device's identifier, which is its entry's unique ID (`entity.py`).
    """
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    for domain, identifier in device.identifiers:
        if domain != DOMAIN:
            continue
        entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, identifier)
        if entry is not None and CONF_KIND not in entry.data:
            return entry
    return None


@callback
def _device_name(hass: HomeAssistant, device_id: str) -> str:
    """Return a device's name as the user sees it (renamed or not)."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return device_id
    return device.name_by_user or device.name or device_id


def _profile(entry: ConfigEntry[Any]) -> DeviceProfile | None:
    """Return the profile of a loaded device entry's client, None while it is not loaded."""
    if entry.state is not ConfigEntryState.LOADED:
        return None
    profile: DeviceProfile = entry.runtime_data.client.profile
    return profile


@callback
def enrolling_terminals(hass: HomeAssistant) -> list[Terminal]:
    """Return every loaded device that can enroll ("all terminals", as far as is known now)."""
    found: list[Terminal] = []
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        if CONF_KIND in entry.data:
            continue
        profile = _profile(entry)
        if profile is not None and Capability.ENROLL in profile.capabilities:
            found.append(Terminal(entry.title, profile))
    return found


def _datetime(value: Any) -> datetime | None:
    """Parse a DateTimeSelector value (naive: the terminals' local wall time)."""
    if not value:
        return None
    parsed = dt_util.parse_datetime(str(value))
    return None if parsed is None else parsed.replace(tzinfo=None)


def _read_upload(hass: HomeAssistant, file_id: str) -> bytes:
    """Read an uploaded file (executor); `file_upload` deletes it afterwards.

    Raises ValueError when the upload is unknown (expired, or Home Assistant restarted).
    """
    # Imported here: only a flow that received an upload needs the component.
    from homeassistant.components.file_upload import process_uploaded_file  # noqa: PLC0415

    with process_uploaded_file(hass, file_id) as path, Path(path).open("rb") as file:
        return file.read(MAX_SOURCE_PHOTO_BYTES + 1)


def _schema() -> vol.Schema:
    """Return the person form (the same for adding and editing)."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME): selector.TextSelector(),
            vol.Optional(CONF_PERSON_ID): selector.TextSelector(),
            vol.Optional(CONF_PHOTO): selector.FileSelector(
                selector.FileSelectorConfig(accept=PHOTO_TYPES)
            ),
            vol.Optional(CONF_PHOTO_CAMERA): selector.EntitySelector(
                selector.EntitySelectorConfig(domain="camera")
            ),
            vol.Optional(CONF_CARD_NUMBER): selector.TextSelector(),
            vol.Optional(CONF_VALID_FROM): selector.DateTimeSelector(),
            vol.Optional(CONF_VALID_UNTIL): selector.DateTimeSelector(),
            vol.Required(CONF_LIST, default=PersonList.ALLOW.value): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=[item.value for item in PersonList],
                    translation_key="list",
                    mode=selector.SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Optional(CONF_TERMINALS): selector.DeviceSelector(
                selector.DeviceSelectorConfig(
                    multiple=True,
                    filter=selector.DeviceFilterSelectorConfig(integration=DOMAIN),
                    # Terminals have these; the roster's own person devices have neither.
                    entity=[
                        selector.EntityFilterSelectorConfig(
                            integration=DOMAIN, domain="binary_sensor"
                        ),
                        selector.EntityFilterSelectorConfig(integration=DOMAIN, domain="event"),
                    ],
                )
            ),
            vol.Required(CONF_ALL_TERMINALS, default=False): selector.BooleanSelector(),
            vol.Optional(CONF_HA_PERSON): selector.EntitySelector(
                selector.EntitySelectorConfig(domain="person")
            ),
        }
    )


@callback
def _suggested(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a subentry's data as the form's suggested values.

    Terminals removed from Home Assistant since are left out, so that the unchanged form
    can be saved.
    """
    suggested = {key: value for key, value in data.items() if key != CONF_PHOTO_SHA256}
    devices = dr.async_get(hass)
    suggested[CONF_TERMINALS] = [
        device_id for device_id in data.get(CONF_TERMINALS) or [] if devices.async_get(device_id)
    ]
    for key in (CONF_VALID_FROM, CONF_VALID_UNTIL):
        if (moment := _datetime(data.get(key))) is not None:
            suggested[key] = moment.strftime("%Y-%m-%d %H:%M:%S")
    return suggested


class PersonSubentryFlow(ConfigSubentryFlow):
    """Add a person to the roster (`user`) or edit one (`reconfigure`)."""

    def __init__(self) -> None:
        """Start with nothing checked."""
        self._placeholders: dict[str, str] = {"terminal": ""}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a person: the photo is required."""
        return await self._async_step_person("user", user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit a person: without a new photo, the kept one stays."""
        return await self._async_step_person(
            "reconfigure", user_input, self._get_reconfigure_subentry()
        )

    async def _async_step_person(
        self, step_id: str, user_input: dict[str, Any] | None, current: ConfigSubentry | None
    ) -> SubentryFlowResult:
        """Show the person form, or check it and save the person."""
        errors: dict[str, str] = {}
        suggested: Mapping[str, Any] = (
            {} if current is None else _suggested(self.hass, current.data)
        )
        if user_input is not None:
            suggested = user_input
            data, errors = self._check(user_input, current)
            if not errors:
                errors = await self._async_take_photo(user_input, current, data)
                # Reading an upload consumes it: the form must not offer it again.
                suggested = {k: v for k, v in user_input.items() if k != CONF_PHOTO}
            if not errors:
                return self._save(data, current)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(_schema(), suggested),
            errors=errors,
            description_placeholders=self._placeholders,
        )

    def _save(self, data: dict[str, Any], current: ConfigSubentry | None) -> SubentryFlowResult:
        """Create the subentry (adding) or update it (editing); the title is the name."""
        title, person_id = data[CONF_NAME], data[CONF_PERSON_ID]
        if current is None:
            return self.async_create_entry(title=title, data=data, unique_id=person_id)
        return self.async_update_and_abort(
            self._get_entry(), current, title=title, unique_id=person_id, data=data
        )

    # ---- checks ---------------------------------------------------------------------------

    def _check(
        self, user_input: Mapping[str, Any], current: ConfigSubentry | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Return the subentry data the form describes, and the form's errors (photo aside)."""
        errors: dict[str, str] = {}
        entry = self._get_entry()
        taken = {
            subentry.unique_id or ""
            for subentry in entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_PERSON
            and (current is None or subentry.subentry_id != current.subentry_id)
        }
        name = str(user_input.get(CONF_NAME, "")).strip()
        if not name:
            errors[CONF_NAME] = ERROR_NAME_EMPTY
        person_id = str(user_input.get(CONF_PERSON_ID) or "").strip()
        if not person_id:
            person_id = (
                str(current.data[CONF_PERSON_ID])
                if current is not None
                else generate_person_id(taken)
            )
        elif person_id in taken:
            errors[CONF_PERSON_ID] = ERROR_DUPLICATE_ID
        card_number = str(user_input.get(CONF_CARD_NUMBER) or "").strip() or None
        valid_from = _datetime(user_input.get(CONF_VALID_FROM))
        valid_until = _datetime(user_input.get(CONF_VALID_UNTIL))
        if valid_from is not None and valid_until is not None and valid_until <= valid_from:
            errors[CONF_VALID_UNTIL] = ERROR_VALIDITY
        all_terminals = bool(user_input.get(CONF_ALL_TERMINALS, False))
        chosen = [] if all_terminals else list(dict.fromkeys(user_input.get(CONF_TERMINALS) or []))
        if not all_terminals and not chosen:
            errors["base"] = ERROR_NO_TERMINALS
        terminals = enrolling_terminals(self.hass) if all_terminals else []
        for device_id in chosen:
            terminal = self._terminal(device_id)
            if terminal is None:
                errors[CONF_TERMINALS] = ERROR_CANNOT_ENROLL
                self._placeholders["terminal"] = _device_name(self.hass, device_id)
            else:
                terminals.append(terminal)
        if not errors:
            errors = self._check_limits(terminals, person_id, name, card_number)
        data = person_subentry_data(
            person_id,
            name,
            PersonList(user_input.get(CONF_LIST, PersonList.ALLOW.value)),
            None if all_terminals else chosen,
            card_number=card_number,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        if ha_person := user_input.get(CONF_HA_PERSON):
            data[CONF_HA_PERSON] = str(ha_person)
        if current is not None and (sha256 := current.data.get(CONF_PHOTO_SHA256)):
            data[CONF_PHOTO_SHA256] = sha256
        photo, camera = user_input.get(CONF_PHOTO), user_input.get(CONF_PHOTO_CAMERA)
        if photo and camera:
            errors[CONF_PHOTO] = ERROR_TWO_PHOTOS
        elif current is None and not photo and not camera:
            errors[CONF_PHOTO] = ERROR_NO_PHOTO
        return data, errors

    def _terminal(self, device_id: str) -> Terminal | None:
        """Return a chosen device as a terminal, or None when it cannot enroll.

        A device whose entry is not loaded (offline at start) is taken on trust: its
        profile is not known until it is, and the sync reports what it refuses.
        """
        entry = terminal_entry(self.hass, device_id)
        if entry is None:
            return None
        name = _device_name(self.hass, device_id)
        profile = _profile(entry)
        if profile is not None and Capability.ENROLL not in profile.capabilities:
            return None
        return Terminal(name, profile)

    def _check_limits(
        self, terminals: list[Terminal], person_id: str, name: str, card_number: str | None
    ) -> dict[str, str]:
        """Check the person against each terminal's limits (`PersonLimits`, per protocol).

        The first terminal that cannot store a field names it in the error; the ID, the
        name and the card number are checked one after the other so that the error sits
        on the field at fault.
        """
        for terminal in terminals:
            limits = None if terminal.profile is None else terminal.profile.person_limits
            if limits is None:
                continue
            field, error = CONF_PERSON_ID, ERROR_ID_UNFIT
            try:
                limits.check_id(person_id)
                field, error = CONF_NAME, ERROR_NAME_UNFIT
                limits.check(person_id, name)
                field, error = CONF_CARD_NUMBER, ERROR_CARD_UNFIT
                limits.check(person_id, name, card_number)
            except InvalidRequestError:
                self._placeholders["terminal"] = terminal.name
                return {field: error}
        return {}

    # ---- the photo ------------------------------------------------------------------------

    async def _async_take_photo(
        self, user_input: Mapping[str, Any], current: ConfigSubentry | None, data: dict[str, Any]
    ) -> dict[str, str]:
        """Read, normalise and keep the photo the form names; return the form's errors.

        Run last, once everything else is right: reading an upload consumes it. A new
        person's photo is staged under its hash (its subentry does not exist yet); an edited
        person's replaces the kept one.
        """
        field = CONF_PHOTO if user_input.get(CONF_PHOTO) else CONF_PHOTO_CAMERA
        try:
            source = await self._async_read_photo(user_input)
        except _PhotoUnavailable as err:
            return {field: err.error}
        if source is None:
            return {}
        try:
            if current is None:
                sha256 = await async_stage_photo(self.hass, source)
            else:
                sha256 = await async_store_photo(self.hass, current.subentry_id, source)
        except InvalidPhotoError as err:
            LOGGER.debug("A person's photo was refused: %s", err)
            return {field: ERROR_INVALID_PHOTO}
        data[CONF_PHOTO_SHA256] = sha256
        return {}

    async def _async_read_photo(self, user_input: Mapping[str, Any]) -> bytes | None:
        """Return the photo's bytes from the upload or the camera, None when there is none."""
        if file_id := user_input.get(CONF_PHOTO):
            try:
                return await self.hass.async_add_executor_job(_read_upload, self.hass, file_id)
            except ValueError as err:
                raise _PhotoUnavailable(ERROR_UPLOAD_GONE) from err
        if camera := user_input.get(CONF_PHOTO_CAMERA):
            # Imported here: the camera component loads with the first camera photo.
            from homeassistant.components.camera import async_get_image  # noqa: PLC0415

            try:
                return (await async_get_image(self.hass, str(camera))).content
            except HomeAssistantError as err:
                LOGGER.debug("No photo from %s: %s", camera, err)
                raise _PhotoUnavailable(ERROR_CAMERA_UNAVAILABLE) from err
        return None


class _PhotoUnavailable(Exception):
    """The form's photo source gave nothing; `error` is the form's error key."""

    def __init__(self, error: str) -> None:
        """Keep the error key."""
        super().__init__(error)
        self.error = error
