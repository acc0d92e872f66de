"""The shape of a protocol's registry record, and the flow base its steps run in.

A record says everything the Home Assistant layer needs to know about one protocol: how to
build its client from a config entry, how the device's traffic reaches that client, its
config-flow, reconfigure and options steps, its default title and what removing an entry
leaves to clean up. Nothing outside `registry/` and `protocols/` branches on a protocol key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .coordinator import FaceAccessConfigEntry
from .ingress import FixedPath, Inbound
from .protocols.client import DeviceClient
from .protocols.model import ProtocolKey

type UserInput = dict[str, Any] | None


class FaceAccessFlowBase(ConfigFlow):
    """What a protocol's config-flow steps may use beyond Home Assistant's ConfigFlow.

    `state` carries what one step learned to the next (a discovered device, say).
    """

    def __init__(self) -> None:
        """Start with nothing learned."""
        self.state: dict[str, Any] = {}

    async def async_claim(self, unique_id: str, *, raise_on_progress: bool = True) -> None:
        """Make `unique_id` this flow's device; abort when it is set up already."""
        await self.async_set_unique_id(unique_id, raise_on_progress=raise_on_progress)
        self._abort_if_unique_id_configured()


type FlowStep = Callable[[FaceAccessFlowBase, Any], Awaitable[ConfigFlowResult]]
"""A config-flow step: the flow it runs in and what the user submitted (None: show the
form), or for a discovery step what was discovered (`MqttServiceInfo`, ...)."""
type ReconfigureStep = Callable[
    [FaceAccessFlowBase, FaceAccessConfigEntry, UserInput], Awaitable[ConfigFlowResult]
]
type OptionsStep = Callable[[OptionsFlow, UserInput], Awaitable[ConfigFlowResult]]
type ClientFactory = Callable[[HomeAssistant, FaceAccessConfigEntry], Awaitable[DeviceClient]]
type EntryCleanup = Callable[[HomeAssistant, FaceAccessConfigEntry], Awaitable[None]]


async def _nothing_to_clean(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Leave nothing behind (the default `async_remove`)."""


@dataclass(frozen=True, kw_only=True)
class ProtocolRecord:
    """One protocol, as the Home Assistant layer sees it.

    - `key`: the protocol key (`entry.data["protocol"]`, the `user` menu option).
    - `title`: the default entry title, formatted with `device_id`.
    - `inbound`: how the device's traffic reaches the client (`ingress.Inbound`); a
      `FIXED_PATH` protocol names its paths and how to find the device in `fixed_path`,
      a `WEBHOOK` protocol the keys of its entry's data that hold webhook ids in `webhooks`.
    - `async_create_client`: builds the client of an entry, not yet started (raises
      ConfigEntryNotReady when what it needs is missing, for example MQTT).
    - `steps`: config-flow steps by step id; the one named `key` is the `user` menu's,
      others are its further or discovery steps (`mqtt` for MQTT discovery).
    - `reconfigure`: the `reconfigure` step of one of its entries.
    - `options`: options-flow steps by step id; `init` is the first.
    - `async_remove`: cleans up what a removed entry leaves (repair issues, saved state).
    """

    key: ProtocolKey
    title: str
    inbound: Inbound
    async_create_client: ClientFactory
    steps: Mapping[str, FlowStep]
    reconfigure: ReconfigureStep
    options: Mapping[str, OptionsStep]
    async_remove: EntryCleanup = _nothing_to_clean
    fixed_path: FixedPath | None = None
    webhooks: tuple[str, ...] = (CONF_WEBHOOK_ID,)
