"""Config-flow pieces of devices Home Assistant calls over HTTP with a user name and password.

Such a device is added by its address and credentials, and must name itself (its serial
number becomes the entry's unique id). A refused password later starts re-authentication
(`reauth_confirm`), and *Reconfigure* changes the address (`reconfigure_address`); both check
that the same device answers before the entry reloads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, Protocol

from aiohttp import ClientSession
from homeassistant.config_entries import SOURCE_REAUTH, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import LOGGER
from .coordinator import FaceAccessConfigEntry
from .forms import CREDENTIALS_SCHEMA, address_schema
from .protocols.model import AuthenticationError, DeviceUnreachableError, FaceAccessError
from .record import FaceAccessFlowBase, FlowStep, ReconfigureStep, UserInput


class Named(Protocol):
    """What a device says about itself: at least its serial number."""

    @property
    def serial(self) -> str:
        """Return the device's serial number."""
        ...


type Identify[T: Named] = Callable[[dict[str, Any]], Awaitable[T]]
"""Ask the device at the address and with the credentials of an entry's data who it is."""
type IdentifyWith[T: Named] = Callable[[HomeAssistant, dict[str, Any]], Awaitable[T]]
"""`Identify` through Home Assistant (its shared HTTP session)."""
type Create[T: Named] = Callable[
    [FaceAccessFlowBase, T, dict[str, Any]], Awaitable[ConfigFlowResult]
]
"""Create the entry of an identified device from the form's cleaned data."""


def connect[C](
    factory: Callable[[ClientSession, str, int, str, str], C],
    hass: HomeAssistant,
    data: Mapping[str, Any],
) -> C:
    """Return `factory`'s connection to the device at `data`'s address and credentials.

    The connection uses Home Assistant's shared HTTP session.
    """
    return factory(
        async_get_clientsession(hass),
        data[CONF_HOST],
        int(data[CONF_PORT]),
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
    )


def clean(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return a form's values with the host trimmed and the port a whole number."""
    cleaned = dict(user_input)
    if CONF_HOST in cleaned:
        cleaned[CONF_HOST] = str(cleaned[CONF_HOST]).strip()
    if CONF_PORT in cleaned:
        cleaned[CONF_PORT] = int(cleaned[CONF_PORT])
    return cleaned


async def async_identify[T: Named](
    identify: Identify[T], data: dict[str, Any]
) -> tuple[T | None, dict[str, str]]:
    """Ask the device who it is; return its answer, or the form's errors.

    A refused password (`invalid_auth`), nothing listening (`cannot_reach`) and silence or
    an answer that is not the protocol's (`no_reply`) each get their own message.
    """
    try:
        return await identify(data), {}
    except AuthenticationError:
        return None, {"base": "invalid_auth"}
    except DeviceUnreachableError:
        return None, {"base": "cannot_reach"}
    except FaceAccessError as err:
        LOGGER.debug("No identity from %s: %s", data[CONF_HOST], err)
        return None, {"base": "no_reply"}


async def async_reconfigure[T: Named](
    flow: FaceAccessFlowBase,
    entry: FaceAccessConfigEntry,
    user_input: UserInput,
    identify: Identify[T],
    default_port: int,
) -> ConfigFlowResult:
    """Ask for new credentials (re-authentication) or a new address (reconfigure).

    The device must answer with what changed and be the same device (`wrong_device`
    otherwise); the entry then reloads.
    """
    reauth = flow.source == SOURCE_REAUTH
    step_id = "reauth_confirm" if reauth else "reconfigure_address"
    schema = CREDENTIALS_SCHEMA if reauth else address_schema(default_port)
    errors: dict[str, str] = {}
    if user_input is not None:
        data = {**entry.data, **clean(user_input)}
        identity, errors = await async_identify(identify, data)
        if identity is not None:
            if identity.serial != entry.unique_id:
                return flow.async_abort(reason="wrong_device")
            return flow.async_update_reload_and_abort(entry, data=data)
    suggested = {key: value for key, value in entry.data.items() if key != CONF_PASSWORD}
    return flow.async_show_form(
        step_id=step_id,
        data_schema=flow.add_suggested_values_to_schema(schema, user_input or suggested),
        errors=errors,
        description_placeholders={"name": entry.title},
    )


def user_step[T: Named](
    key: str, default_port: int, identify_with: IdentifyWith[T], create: Create[T]
) -> FlowStep:
    """Return the step that adds a device by its address and credentials.

    The device must name itself; its serial number becomes the entry's unique id, and
    `create` makes the entry (with what else the protocol needs to do or ask first).
    """
    schema = address_schema(default_port).extend(CREDENTIALS_SCHEMA.schema)

    async def async_step(flow: FaceAccessFlowBase, user_input: UserInput) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data = clean(user_input)
            identity, errors = await async_identify(partial(identify_with, flow.hass), data)
            if identity is not None:
                await flow.async_claim(identity.serial)
                return await create(flow, identity, data)
        return flow.async_show_form(
            step_id=key,
            data_schema=flow.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    return async_step


def reconfigure_step[T: Named](
    default_port: int, identify_with: IdentifyWith[T]
) -> ReconfigureStep:
    """Return the reconfigure (new address) and re-authentication (new credentials) step."""

    async def async_step(
        flow: FaceAccessFlowBase, entry: FaceAccessConfigEntry, user_input: UserInput
    ) -> ConfigFlowResult:
        return await async_reconfigure(
            flow, entry, user_input, partial(identify_with, flow.hass), default_port
        )

    return async_step
