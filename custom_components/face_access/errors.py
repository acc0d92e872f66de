"""One place that turns protocol errors into translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .protocols.model import (
    AuthenticationError,
    DeviceRefusedError,
    DeviceTimeoutError,
    DoorModeError,
    FaceAccessError,
    InvalidPhotoError,
    InvalidRequestError,
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
