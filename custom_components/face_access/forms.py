"""Form pieces that several protocols' config and options steps share."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.helpers import selector
import voluptuous as vol

from .const import CONF_HEARTBEAT_INTERVAL, CONF_SYNC_TIME

TEXT = selector.TextSelector()


def seconds(minimum: int, maximum: int) -> selector.NumberSelector:
    """Return a box for a number of seconds between `minimum` and `maximum`."""
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement="s",
            mode=selector.NumberSelectorMode.BOX,
        )
    )


OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HEARTBEAT_INTERVAL): seconds(10, 600),
        vol.Required(CONF_SYNC_TIME): selector.BooleanSelector(),
    }
)
"""A push device's options: its heartbeat period and whether to set its clock."""

PORT = selector.NumberSelector(
    selector.NumberSelectorConfig(min=1, max=65535, step=1, mode=selector.NumberSelectorMode.BOX)
)
PASSWORD = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
CREDENTIALS_SCHEMA = vol.Schema(
    {vol.Required(CONF_USERNAME, default="admin"): TEXT, vol.Required(CONF_PASSWORD): PASSWORD}
)
"""The user name and password of a device's web service (reauth asks for these alone)."""


def address_schema(default_port: int) -> vol.Schema:
    """Return the form of a device's address: host and port (`default_port` suggested)."""
    return vol.Schema(
        {vol.Required(CONF_HOST): TEXT, vol.Required(CONF_PORT, default=default_port): PORT}
    )
