"""Event platform: access, alarm, credential and analytics events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import DeviceEvent, FaceAccessCoordinator
from .data import FaceAccessConfigEntry
from .entity import FaceAccessEntity
from .protocols.model import AccessKind, AlarmKind, AnalyticsKind, Capability, CredentialKind

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FaceAccessEventDescription(EventEntityDescription):
    """An event entity and the capability that feeds it."""

    capability: Capability
    # Event types that only devices with a further capability can produce.
    type_capabilities: Mapping[str, Capability] = field(default_factory=dict)


EVENTS: tuple[FaceAccessEventDescription, ...] = (
    FaceAccessEventDescription(
        key="access",
        translation_key="access",
        capability=Capability.ACCESS_EVENTS,
        event_types=[kind.value for kind in AccessKind],
    ),
    FaceAccessEventDescription(
        key="alarm",
        translation_key="alarm",
        capability=Capability.ALARM_EVENTS,
        event_types=[kind.value for kind in AlarmKind],
        type_capabilities={
            AlarmKind.HIGH_TEMPERATURE.value: Capability.BODY_TEMPERATURE,
            AlarmKind.NO_MASK.value: Capability.MASK,
            AlarmKind.DOOR_ALARM.value: Capability.DOOR_ALARM,
        },
    ),
    FaceAccessEventDescription(
        key="credential",
        translation_key="credential",
        capability=Capability.CREDENTIAL_EVENTS,
        event_types=[kind.value for kind in CredentialKind],
    ),
    FaceAccessEventDescription(
        key="analytics",
        translation_key="analytics",
        capability=Capability.ANALYTICS_EVENTS,
        event_types=[kind.value for kind in AnalyticsKind],
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FaceAccessConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities the device's protocol can feed."""
    data = entry.runtime_data
    async_add_entities(
        FaceAccessEvent(data.coordinator, description)
        for description in EVENTS
        if description.capability in data.client.capabilities
    )


class FaceAccessEvent(FaceAccessEntity, EventEntity):
    """Fires once for every new record of its kind; re-sent records never reach it."""

    entity_description: FaceAccessEventDescription

    def __init__(
        self, coordinator: FaceAccessCoordinator, description: FaceAccessEventDescription
    ) -> None:
        """Offer only the event types this device can produce."""
        super().__init__(coordinator, description)
        capabilities = coordinator.device_client.capabilities
        self._attr_event_types = [
            event_type
            for event_type in description.event_types or []
            if (needed := description.type_capabilities.get(event_type)) is None
            or needed in capabilities
        ]

    async def async_added_to_hass(self) -> None:
        """Listen to the coordinator's events."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_event_listener(self._handle_event))

    @callback
    def _handle_event(self, event: DeviceEvent) -> None:
        """Fire an event meant for this entity."""
        if event.entity_key != self.entity_description.key:
            return
        self._trigger_event(event.event_type, event.attributes)
        self.async_write_ha_state()
