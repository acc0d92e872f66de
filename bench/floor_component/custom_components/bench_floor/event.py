"""One event entity per transport; each message fires it once."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from .const import DOMAIN


class FloorEvent(EventEntity):
    """``event.bench_floor_<transport>``: fires ``received`` with the message's ``seq``."""

    _attr_event_types: list[str] = ["received"]  # noqa: RUF012 - Home Assistant's own idiom
    _attr_should_poll = False

    def __init__(self, transport: str) -> None:
        """Name the entity after its transport."""
        self._attr_name = f"bench_floor_{transport}"
        self._attr_unique_id = f"bench_floor_{transport}"
        self.entity_id = f"event.bench_floor_{transport}"

    def fire(self, seq: str) -> None:
        """Fire one event and write the state: all an integration must do per message."""
        self._trigger_event("received", {"seq": seq})
        self.async_write_ha_state()


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the entities the component's set-up names."""
    transports: tuple[str, ...] = tuple((discovery_info or {}).get("transports", ()))
    entities = {transport: FloorEvent(transport) for transport in transports}
    hass.data[DOMAIN]["entities"].update(entities)
    async_add_entities(list(entities.values()))


__all__ = ["FloorEvent", "async_setup_platform"]
