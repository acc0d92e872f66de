"""Form pieces that several protocols' config and options steps share."""

from __future__ import annotations

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
