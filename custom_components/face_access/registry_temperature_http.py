"""Registry record of the body-temperature tablet (HTTP docking protocol V1.16).

The tablet only ever calls Home Assistant (temperature_http digest §2): it POSTs to the
entry's webhook, and every command rides in a reply. Nothing can be checked when it is
added; the dialog that closes the flow shows the address to type into its web page.
"""

from __future__ import annotations

import ipaddress

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    CONF_DEVICE_ID,
    CONF_HEARTBEAT_INTERVAL,
    CONF_PROTOCOL,
    CONF_SOURCE_IP,
    CONF_SYNC_TIME,
)
from .coordinator import FaceAccessConfigEntry
from .forms import OPTIONS_SCHEMA, TEXT, seconds
from .ingress import Inbound, async_forget, queue_store, webhook_address
from .protocols.client import DeviceClient
from .protocols.model import ProtocolKey
from .protocols.temperature_http import (
    DEFAULT_HEARTBEAT_INTERVAL,
    STORE_VERSION,
    TemperatureHttpClient,
)
from .record import FaceAccessFlowBase, ProtocolRecord, UserInput

KEY = ProtocolKey.TEMPERATURE_HTTP
TITLE = "Temperature tablet {device_id}"
# The tablet's `cid` (temperature_http digest §1): an ID such as 0012b516a202.
MAX_CID_LENGTH = 64
# A tablet is offline after this long without a POST, however short its heartbeat.
MIN_OFFLINE_AFTER = 30.0
# A push device is offline after this many silent heartbeat intervals.
MISSED_HEARTBEATS = 2.5

TABLET_SCHEMA = vol.Schema({vol.Required(CONF_DEVICE_ID): TEXT, vol.Optional(CONF_NAME): TEXT})
# The heartbeat period is what a tablet's every command waits for: seconds, not minutes.
TABLET_OPTIONS_SCHEMA = OPTIONS_SCHEMA.extend(
    {
        vol.Required(CONF_HEARTBEAT_INTERVAL): seconds(2, 60),
        vol.Optional(CONF_SOURCE_IP): TEXT,
    }
)


async def async_step_user(flow: FaceAccessFlowBase, user_input: UserInput) -> ConfigFlowResult:
    """Add a tablet by its `cid`.

    The entry gets a webhook, and the closing dialog shows the server, path and port to
    type into the tablet's web page.
    """
    errors: dict[str, str] = {}
    if user_input is not None:
        cid = user_input[CONF_DEVICE_ID].strip()
        if not cid or len(cid) > MAX_CID_LENGTH or not cid.isprintable():
            errors[CONF_DEVICE_ID] = "invalid_cid"
        else:
            await flow.async_claim(cid)
            webhook_id = webhook.async_generate_id()
            name = (user_input.get(CONF_NAME) or "").strip()
            return flow.async_create_entry(
                title=name or TITLE.format(device_id=cid),
                data={CONF_PROTOCOL: KEY.value, CONF_DEVICE_ID: cid, CONF_WEBHOOK_ID: webhook_id},
                description=KEY.value,
                description_placeholders=webhook_address(flow.hass, webhook_id),
            )
    return flow.async_show_form(
        step_id=KEY.value,
        data_schema=flow.add_suggested_values_to_schema(TABLET_SCHEMA, user_input),
        errors=errors,
    )


async def async_step_reconfigure(
    flow: FaceAccessFlowBase, entry: FaceAccessConfigEntry, user_input: UserInput
) -> ConfigFlowResult:
    """Show the address the tablet must post to: it has nothing else to change."""
    return flow.async_abort(
        reason="tablet_address",
        description_placeholders=webhook_address(flow.hass, entry.data[CONF_WEBHOOK_ID]),
    )


async def async_step_init(flow: OptionsFlow, user_input: UserInput) -> ConfigFlowResult:
    """Open the tablet's own options form."""
    return await async_step_tablet(flow, user_input)


async def async_step_tablet(flow: OptionsFlow, user_input: UserInput) -> ConfigFlowResult:
    """Options of a tablet: heartbeat period, clock, and the address it must post from."""
    errors: dict[str, str] = {}
    if user_input is not None:
        source = (user_input.get(CONF_SOURCE_IP) or "").strip()
        try:
            if source:
                source = str(ipaddress.ip_address(source))
        except ValueError:
            errors[CONF_SOURCE_IP] = "invalid_ip"
        else:
            return flow.async_create_entry(data={**user_input, CONF_SOURCE_IP: source})
    current = {
        CONF_HEARTBEAT_INTERVAL: DEFAULT_HEARTBEAT_INTERVAL,
        CONF_SYNC_TIME: True,
        **flow.config_entry.options,
        **(user_input or {}),
    }
    return flow.async_show_form(
        step_id="tablet",
        data_schema=flow.add_suggested_values_to_schema(TABLET_OPTIONS_SCHEMA, current),
        errors=errors,
        description_placeholders=webhook_address(
            flow.hass, flow.config_entry.data[CONF_WEBHOOK_ID]
        ),
    )


async def async_create_client(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> DeviceClient:
    """Build the tablet's client on its saved command queue."""
    interval = int(entry.options.get(CONF_HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL))
    return TemperatureHttpClient(
        entry.data[CONF_DEVICE_ID],
        queue_store(hass, entry, STORE_VERSION),
        now=dt_util.now,
        heartbeat_interval=interval,
        offline_after=max(interval * MISSED_HEARTBEATS, MIN_OFFLINE_AFTER),
        allowed_source=entry.options.get(CONF_SOURCE_IP) or None,
        sync_time=entry.options.get(CONF_SYNC_TIME, True),
    )


async def async_remove(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Remove the "never called" repair issue and the saved command queue."""
    await async_forget(hass, entry, STORE_VERSION)


RECORD = ProtocolRecord(
    key=KEY,
    title=TITLE,
    inbound=Inbound.WEBHOOK,
    async_create_client=async_create_client,
    steps={KEY.value: async_step_user},
    reconfigure=async_step_reconfigure,
    options={"init": async_step_init, "tablet": async_step_tablet},
    async_remove=async_remove,
)
