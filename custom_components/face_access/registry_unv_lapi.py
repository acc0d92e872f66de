"""Registry record of the Uniview face terminal (LAPI over HTTP, digest auth).

Home Assistant calls the terminal (`DeviceBasicInfo`, keep-alive, the subscription, and the
features beyond the document that it answers at set-up), and the terminal posts its records
to fixed LAPI paths on Home Assistant's HTTP port (unv_lapi digest §3), where the fixed-path
views find the entry by the `DeviceCode` of the body and accept it only from the entry's host.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir, selector
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import CONF_PROTOCOL, DOMAIN, LOGGER
from .coordinator import FaceAccessConfigEntry
from .http_devices import connect, reconfigure_step, user_step
from .ingress import EntryStore, FixedPath, Inbound, home_assistant_address
from .protocols.client import DeviceClient
from .protocols.model import FaceAccessError, ProtocolKey
from .protocols.unv_lapi import (
    DEFAULT_LIBRARY,
    DEFAULT_PORT,
    FIXED_PATHS,
    STORE_VERSION,
    SUBSCRIPTIONS_FULL,
    Identity,
    LapiConnection,
    UnvLapiClient,
    serial_of,
)
from .record import FaceAccessFlowBase, ProtocolRecord, UserInput

KEY = ProtocolKey.UNV_LAPI
TITLE = "Uniview terminal {device_id}"
CONF_FEATURES = "features"
CONF_LIBRARY_ID = "library_id"

OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_LIBRARY_ID): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=1, max=65535, step=1, mode=selector.NumberSelectorMode.BOX
            )
        )
    }
)


def _subscription_store(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> EntryStore:
    """Return where the subscription's ID is kept (`face_access.<entry_id>.subscription`)."""
    return EntryStore(hass, entry.entry_id, STORE_VERSION, "subscription")


def _connection(hass: HomeAssistant, data: dict[str, Any]) -> LapiConnection:
    """Return the requests Home Assistant sends to the terminal at `data`'s address."""
    return connect(LapiConnection, hass, data)


async def _identify(hass: HomeAssistant, data: dict[str, Any]) -> Identity:
    """Ask the terminal at `data`'s address who it is (`DeviceBasicInfo`)."""
    return await _connection(hass, data).identify()


async def _async_create(
    flow: FaceAccessFlowBase, identity: Identity, data: dict[str, Any]
) -> ConfigFlowResult:
    """Create the entry with the features outside the published document it answers.

    The door, people and capture are probed now and kept: the device gets only those.
    """
    try:
        features = (await _connection(flow.hass, data).probe(DEFAULT_LIBRARY)).names()
    except FaceAccessError as err:
        LOGGER.debug("%s could not be probed: %s", data[CONF_HOST], err)
        features = frozenset()
    return flow.async_create_entry(
        title=TITLE.format(device_id=identity.serial),
        data={**data, CONF_PROTOCOL: KEY.value, CONF_FEATURES: sorted(features)},
    )


async def async_step_options(flow: OptionsFlow, user_input: UserInput) -> ConfigFlowResult:
    """Options: the face library people are enrolled in (3 on most terminals)."""
    if user_input is not None:
        return flow.async_create_entry(data={CONF_LIBRARY_ID: int(user_input[CONF_LIBRARY_ID])})
    current = {CONF_LIBRARY_ID: DEFAULT_LIBRARY, **flow.config_entry.options}
    return flow.async_show_form(
        step_id="unv",
        data_schema=flow.add_suggested_values_to_schema(OPTIONS_SCHEMA, current),
    )


async def async_create_client(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> DeviceClient:
    """Build the terminal's client, subscribed to Home Assistant's address."""
    assert entry.unique_id is not None
    subscriber = home_assistant_address(hass)
    if subscriber is None:
        LOGGER.warning(
            "%s cannot be told where to post: Home Assistant knows no address of its own "
            "(Settings > System > Network)",
            entry.title,
        )
    features = entry.data.get(CONF_FEATURES)
    return UnvLapiClient(
        entry.unique_id,
        connection=_connection(hass, dict(entry.data)),
        now=dt_util.now,
        library_id=int(entry.options.get(CONF_LIBRARY_ID, DEFAULT_LIBRARY)),
        subscribe_to=subscriber,
        features=None if features is None else frozenset(features),
        store=_subscription_store(hass, entry),
    )


async def async_remove(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Remove the "no free subscription" repair issue and the kept subscription ID."""
    ir.async_delete_issue(hass, DOMAIN, f"{SUBSCRIPTIONS_FULL}_{entry.entry_id}")
    await _subscription_store(hass, entry).remove()


RECORD = ProtocolRecord(
    key=KEY,
    title=TITLE,
    inbound=Inbound.FIXED_PATH,
    fixed_path=FixedPath(paths=FIXED_PATHS, serial_of=serial_of),
    async_create_client=async_create_client,
    steps={KEY.value: user_step(KEY.value, DEFAULT_PORT, _identify, _async_create)},
    reconfigure=reconfigure_step(DEFAULT_PORT, _identify),
    options={"init": async_step_options, "unv": async_step_options},
    async_remove=async_remove,
)
