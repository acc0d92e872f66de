"""Registry record of the Huaan face-capture terminal (Face Capture Http API v0.37).

The terminal plays three roles (face_capture_http digest §2.1): a server on port 8000 that
takes commands (HTTP Basic auth, field notes §2.2), a data client that posts every record to
the entry's webhook, and, as an option for a terminal Home Assistant cannot reach, a
configuration client that long-polls a second webhook for its commands. The two webhooks
have different paths: the document forbids one URL for both roles (L101).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from homeassistant.components import webhook
from homeassistant.config_entries import SOURCE_REAUTH, ConfigFlowResult, OptionsFlow
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import CONF_PROTOCOL, CONF_SYNC_TIME, LOGGER
from .coordinator import FaceAccessConfigEntry
from .forms import TEXT
from .ingress import Inbound, async_forget, queue_store, webhook_address
from .protocols.client import DeviceClient
from .protocols.face_capture_http import (
    DEFAULT_PORT,
    STORE_VERSION,
    FaceCaptureConnection,
    FaceCaptureHttpClient,
    Identity,
    Mode,
)
from .protocols.model import (
    AuthenticationError,
    DeviceUnreachableError,
    FaceAccessError,
    ProtocolKey,
)
from .record import FaceAccessFlowBase, ProtocolRecord, UserInput

KEY = ProtocolKey.FACE_CAPTURE_HTTP
TITLE = "Face capture terminal {device_id}"
CONF_POLL_WEBHOOK_ID = "poll_webhook_id"
CONF_MODE = "mode"
CONF_DOOR_PORT = "door_port"
DEFAULT_USERNAME = "admin"

_PORT = selector.NumberSelector(
    selector.NumberSelectorConfig(min=1, max=65535, step=1, mode=selector.NumberSelectorMode.BOX)
)
_PASSWORD = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
CREDENTIALS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_USERNAME, default=DEFAULT_USERNAME): TEXT,
        vol.Required(CONF_PASSWORD): _PASSWORD,
    }
)
ADDRESS_SCHEMA = vol.Schema(
    {vol.Required(CONF_HOST): TEXT, vol.Required(CONF_PORT, default=DEFAULT_PORT): _PORT}
)
USER_SCHEMA = ADDRESS_SCHEMA.extend(CREDENTIALS_SCHEMA.schema)
OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_MODE): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=[mode.value for mode in Mode],
                translation_key=CONF_MODE,
                mode=selector.SelectSelectorMode.LIST,
            )
        ),
        vol.Required(CONF_DOOR_PORT): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=0, max=8, step=1, mode=selector.NumberSelectorMode.BOX
            )
        ),
        vol.Required(CONF_SYNC_TIME): selector.BooleanSelector(),
    }
)


def _connection(hass: HomeAssistant, data: dict[str, Any]) -> FaceCaptureConnection:
    """Return the requests Home Assistant sends to the terminal at `data`'s address."""
    return FaceCaptureConnection(
        async_get_clientsession(hass),
        data[CONF_HOST],
        int(data[CONF_PORT]),
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
    )


async def _async_identify(
    hass: HomeAssistant, data: dict[str, Any]
) -> tuple[Identity | None, dict[str, str]]:
    """Ask the terminal who it is (`get hardware info`); return it, or the form's errors."""
    try:
        return await _connection(hass, data).identify(), {}
    except AuthenticationError:
        return None, {"base": "invalid_auth"}
    except DeviceUnreachableError:
        return None, {"base": "cannot_reach"}
    except FaceAccessError as err:
        # Silence (a timeout) or an answer that is not the protocol's.
        LOGGER.debug("No identity from %s: %s", data[CONF_HOST], err)
        return None, {"base": "no_reply"}


def _clean(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return the form's values with the host trimmed and the port a whole number."""
    cleaned = dict(user_input)
    if CONF_HOST in cleaned:
        cleaned[CONF_HOST] = str(cleaned[CONF_HOST]).strip()
    if CONF_PORT in cleaned:
        cleaned[CONF_PORT] = int(cleaned[CONF_PORT])
    return cleaned


async def _async_point_upload(hass: HomeAssistant, data: dict[str, Any]) -> bool:
    """Point the terminal's record upload at the entry's webhook (`update app params`).

    Returns False when it cannot be done (the terminal refuses, or Home Assistant knows no
    address of its own): the user then types the address on the terminal's page.
    """
    address = webhook_address(hass, data[CONF_WEBHOOK_ID])
    host = urlsplit(address["url"]).hostname
    if not host or host.startswith("<"):
        return False
    try:
        await _connection(hass, data).set_upload(host, int(address["port"]), address["path"])
    except FaceAccessError as err:
        LOGGER.debug("%s did not take the upload address: %s", data[CONF_HOST], err)
        return False
    return True


async def async_step_user(flow: FaceAccessFlowBase, user_input: UserInput) -> ConfigFlowResult:
    """Add a terminal by its address and credentials; it must answer `get hardware info`.

    The entry gets two webhooks (records, and the long poll of the configuration-client
    option); the flow points the terminal's record upload at the first, or shows the user
    the address to enter where the terminal refuses.
    """
    errors: dict[str, str] = {}
    if user_input is not None:
        data = _clean(user_input)
        identity, errors = await _async_identify(flow.hass, data)
        if identity is not None:
            await flow.async_claim(identity.serial)
            data |= {
                CONF_PROTOCOL: KEY.value,
                CONF_WEBHOOK_ID: webhook.async_generate_id(),
                CONF_POLL_WEBHOOK_ID: webhook.async_generate_id(),
            }
            pointed = await _async_point_upload(flow.hass, data)
            return flow.async_create_entry(
                title=TITLE.format(device_id=identity.serial),
                data=data,
                description=KEY.value if pointed else f"{KEY.value}_manual",
                description_placeholders=webhook_address(flow.hass, data[CONF_WEBHOOK_ID]),
            )
    return flow.async_show_form(
        step_id=KEY.value,
        data_schema=flow.add_suggested_values_to_schema(USER_SCHEMA, user_input),
        errors=errors,
    )


async def _async_update(
    flow: FaceAccessFlowBase,
    entry: FaceAccessConfigEntry,
    step_id: str,
    schema: vol.Schema,
    user_input: UserInput,
) -> ConfigFlowResult:
    """Show `schema` for `entry`, check the terminal with what changed, then reload."""
    errors: dict[str, str] = {}
    if user_input is not None:
        data = {**entry.data, **_clean(user_input)}
        identity, errors = await _async_identify(flow.hass, data)
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


async def async_step_reconfigure(
    flow: FaceAccessFlowBase, entry: FaceAccessConfigEntry, user_input: UserInput
) -> ConfigFlowResult:
    """Reconfigure changes the address; re-authentication asks for the credentials."""
    if flow.source == SOURCE_REAUTH:
        return await _async_update(flow, entry, "reauth_confirm", CREDENTIALS_SCHEMA, user_input)
    return await _async_update(flow, entry, "reconfigure_address", ADDRESS_SCHEMA, user_input)


async def async_step_reauth_confirm(
    flow: FaceAccessFlowBase, user_input: UserInput
) -> ConfigFlowResult:
    """Take the new credentials of the terminal whose password stopped working."""
    return await async_step_reconfigure(flow, flow._get_reauth_entry(), user_input)


async def async_step_reconfigure_address(
    flow: FaceAccessFlowBase, user_input: UserInput
) -> ConfigFlowResult:
    """Take the terminal's new address."""
    return await async_step_reconfigure(flow, flow._get_reconfigure_entry(), user_input)


async def async_step_options(flow: OptionsFlow, user_input: UserInput) -> ConfigFlowResult:
    """Options: how commands reach the terminal, its door's output port, its clock.

    Choosing the long poll tries to set the terminal's configuration-client address; the
    dialog shows that address for the terminal's page in any case.
    """
    entry = flow.config_entry
    poll = webhook_address(flow.hass, entry.data[CONF_POLL_WEBHOOK_ID])
    if user_input is not None:
        connection = _connection(flow.hass, dict(entry.data))
        host = urlsplit(poll["url"]).hostname
        try:
            if user_input[CONF_MODE] == Mode.PUSH:
                if entry.options.get(CONF_MODE) == Mode.LONG_POLL:
                    # Back to direct: the terminal need not keep asking for commands.
                    await connection.stop_extranet()
            elif host and not host.startswith("<"):
                await connection.set_extranet(host, int(poll["port"]), poll["path"])
        except FaceAccessError as err:
            # Best effort: the dialog shows the address for the terminal's page anyway.
            LOGGER.debug("%s did not take the long-poll setting: %s", entry.title, err)
        return flow.async_create_entry(
            data={**user_input, CONF_DOOR_PORT: int(user_input[CONF_DOOR_PORT])}
        )
    current = {CONF_MODE: Mode.PUSH.value, CONF_DOOR_PORT: 1, CONF_SYNC_TIME: True}
    current |= entry.options
    return flow.async_show_form(
        step_id="face_capture",
        data_schema=flow.add_suggested_values_to_schema(OPTIONS_SCHEMA, current),
        description_placeholders={
            "poll_url": poll["url"],
            "upload_url": webhook_address(flow.hass, entry.data[CONF_WEBHOOK_ID])["url"],
        },
    )


async def async_create_client(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> DeviceClient:
    """Build the terminal's client: commands to its server, or queued for its long poll."""
    assert entry.unique_id is not None
    return FaceCaptureHttpClient(
        entry.unique_id,
        queue_store(hass, entry, STORE_VERSION),
        connection=_connection(hass, dict(entry.data)),
        mode=Mode(entry.options.get(CONF_MODE, Mode.PUSH)),
        upload_path=webhook.async_generate_path(entry.data[CONF_WEBHOOK_ID]),
        poll_path=webhook.async_generate_path(entry.data[CONF_POLL_WEBHOOK_ID]),
        now=dt_util.now,
        door_port=int(entry.options.get(CONF_DOOR_PORT, 1)),
        sync_time=entry.options.get(CONF_SYNC_TIME, True),
    )


async def async_remove(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Remove the "never called" repair issue and the saved command queue."""
    await async_forget(hass, entry, STORE_VERSION)


RECORD = ProtocolRecord(
    key=KEY,
    title=TITLE,
    inbound=Inbound.WEBHOOK,
    webhooks=(CONF_WEBHOOK_ID, CONF_POLL_WEBHOOK_ID),
    async_create_client=async_create_client,
    steps={
        KEY.value: async_step_user,
        "reauth_confirm": async_step_reauth_confirm,
        "reconfigure_address": async_step_reconfigure_address,
    },
    reconfigure=async_step_reconfigure,
    options={"init": async_step_options, "face_capture": async_step_options},
    async_remove=async_remove,
)
