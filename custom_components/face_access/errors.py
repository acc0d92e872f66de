"""One place that turns protocol errors into translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import translation

from .const import DOMAIN
from .protocols.model import (
    AuthenticationError,
    DeviceRefusedError,
    DeviceTimeoutError,
    DoorModeError,
    FaceAccessError,
    InvalidPhotoError,
    InvalidRequestError,
    PersonNotFoundError,
    UnsupportedError,
)


def translate(err: FaceAccessError, name: str) -> HomeAssistantError:
    """Return the Home Assistant error a user should see for a protocol error.

    The user's own input (limits, photos, unsupported calls) gives ServiceValidationError;
    the device's refusal or silence gives HomeAssistantError with the device's reason.
    """
    placeholders = {"name": name, "reason": str(err)}
    if isinstance(err, (InvalidRequestError, InvalidPhotoError)):
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_request",
            translation_placeholders=placeholders,
        )
    if isinstance(err, UnsupportedError):
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unsupported",
            translation_placeholders=placeholders,
        )
    if isinstance(err, AuthenticationError):
        key = "authentication_failed"
    elif isinstance(err, DoorModeError):
        key = "door_mode"
    elif isinstance(err, PersonNotFoundError):
        key = "person_not_found"
    elif isinstance(err, DeviceRefusedError):
        key = "device_refused"
    elif isinstance(err, DeviceTimeoutError):
        key = "device_timeout"
    else:
        key = "device_error"
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


@contextmanager
def translated_errors(name: str) -> Iterator[None]:
    """Re-raise protocol errors from the block as translated Home Assistant errors."""
    try:
        yield
    except FaceAccessError as err:
        raise translate(err, name) from err


async def async_translated(
    hass: HomeAssistant, key: str, placeholders: Mapping[str, str] | None = None
) -> str:
    """Return the text of exception translation `key` in Home Assistant's language.

    Falls back to English when the language has no such text or its placeholders do not
    fit, and to the key itself when neither has it; never raises.
    """
    values = dict(placeholders or {})
    for language in dict.fromkeys((hass.config.language, "en")):
        texts = await translation.async_get_translations(hass, language, "exceptions", [DOMAIN])
        if text := texts.get(f"component.{DOMAIN}.exceptions.{key}.message"):
            with suppress(KeyError, IndexError, ValueError):
                # As Home Assistant renders an error: without the closing full stop.
                return text.rstrip(".").format(**values)
    return key


async def async_error_text(hass: HomeAssistant, err: HomeAssistantError) -> str:
    """Return a translated error's text in Home Assistant's language (see async_translated)."""
    if err.translation_domain != DOMAIN or err.translation_key is None:
        return str(err)
    return await async_translated(hass, err.translation_key, err.translation_placeholders)
