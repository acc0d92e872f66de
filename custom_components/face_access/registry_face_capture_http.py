"""Registry record of the Huaan face-capture terminal (Face Capture Http API v0.37).

The terminal plays three roles (face_capture_http digest §2.1): a server on port 8000 that
takes commands (HTTP Basic auth, field notes §2.2), a data client that posts every record to
the entry's webhook, and, as an option for a terminal Home Assistant cannot reach, a
configuration client that long-polls a second webhook for its commands. The two webhooks
have different paths: the document forbids one URL for both roles (L101).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.const import (
    CONF_HOST,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import CONF_PROTOCOL, CONF_SYNC_TIME, LOGGER
from .coordinator import FaceAccessConfigEntry
from .http_devices import connect, reconfigure_step, user_step
from .ingress import (
    Inbound,
    async_forget,
    home_assistant_address,
    queue_store,
    webhook_address,
)
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
    FaceAccessError,
    ProtocolKey,
)
from .record import FaceAccessFlowBase, ProtocolRecord, UserInput

KEY = ProtocolKey.FACE_CAPTURE_HTTP
TITLE = "Face capture terminal {device_id}"
CONF_POLL_WEBHOOK_ID = "poll_webhook_id"
CONF_MODE = "mode"
CONF_DOOR_PORT = "door_port"

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
    return connect(FaceCaptureConnection, hass, data)


async def _identify(hass: HomeAssistant, data: dict[str, Any]) -> Identity:
    """Ask the terminal at `data`'s address who it is (`get hardware info`)."""
    return await _connection(hass, data).identify()


async def _async_point_upload(hass: HomeAssistant, data: dict[str, Any]) -> bool:
    """Point the terminal's record upload at the entry's webhook (`update app params`).

    Returns False when it cannot be done (the terminal refuses, or Home Assistant knows no
    address of its own): the user then types the address on the terminal's page.
    """
    if (address := home_assistant_address(hass)) is None:
        return False
    path = webhook.async_generate_path(data[CONF_WEBHOOK_ID])
    try:
        await _connection(hass, data).set_upload(*address, path)
    except FaceAccessError as err:
        LOGGER.debug("%s did not take the upload address: %s", data[CONF_HOST], err)
        return False
    return True


async def _async_create(
    flow: FaceAccessFlowBase, identity: Identity, data: dict[str, Any]
) -> ConfigFlowResult:
    """Create the entry with its two webhooks, and point the terminal's upload at the first.

    Where the terminal refuses, the closing dialog shows the address to enter on its page.
    """
    data = {
        **data,
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


async def async_step_options(flow: OptionsFlow, user_input: UserInput) -> ConfigFlowResult:
    """Options: how commands reach the terminal, its door's output port, its clock.

    Choosing the long poll tries to set the terminal's configuration-client address; the
    dialog shows that address for the terminal's page in any case.
    """
    entry = flow.config_entry
    poll = webhook_address(flow.hass, entry.data[CONF_POLL_WEBHOOK_ID])
    if user_input is not None:
        connection = _connection(flow.hass, dict(entry.data))
        address = home_assistant_address(flow.hass)
        try:
            if user_input[CONF_MODE] == Mode.PUSH:
                if entry.options.get(CONF_MODE) == Mode.LONG_POLL:
                    # Back to direct: the terminal need not keep asking for commands.
                    await connection.stop_extranet()
            elif address is not None:
                await connection.set_extranet(*address, poll["path"])
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
        # Where the upload must point, for the upload check: as `_async_point_upload` sets it.
        upload_address=lambda: home_assistant_address(hass),
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
    steps={KEY.value: user_step(KEY.value, DEFAULT_PORT, _identify, _async_create)},
    reconfigure=reconfigure_step(DEFAULT_PORT, _identify),
    options={"init": async_step_options, "face_capture": async_step_options},
    async_remove=async_remove,
)
