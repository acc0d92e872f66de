"""Event platform: access, alarm, credential and analytics events."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback

from .coordinator import DeviceEvent, FaceAccessCoordinator
from .entity import FaceAccessEntity, FaceAccessEntityDescription, platform_setup
from .protocols.model import (
    AccessKind,
    AlarmKind,
    AnalyticsKind,
    Capability,
    CredentialKind,
    DeviceProfile,
)

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FaceAccessEventDescription(FaceAccessEntityDescription, EventEntityDescription):
    """An event entity and the capability that feeds it."""

    # Event types that only devices with a further capability can produce.
    type_capabilities: Mapping[str, Capability] = field(default_factory=dict)
    # The event types the device's protocol can produce at all (None: every one).
    profile_types: Callable[[DeviceProfile], Collection[str]] | None = None


def _event(
    key: str,
    capability: Capability,
    kinds: type[StrEnum],
    type_capabilities: Mapping[str, Capability] | None = None,
    profile_types: Callable[[DeviceProfile], Collection[str]] | None = None,
) -> FaceAccessEventDescription:
    """Describe the event entity `key`, fed by `capability`, whose types are `kinds`."""
    return FaceAccessEventDescription(
        key=key,
        translation_key=key,
        requires=frozenset({capability}),
        event_types=[kind.value for kind in kinds],
        type_capabilities=type_capabilities or {},
        profile_types=profile_types,
    )


EVENTS: tuple[FaceAccessEventDescription, ...] = (
    # A temperature tablet never refuses anyone (its profile's access_kinds): no `denied`.
    _event(
        "access",
        Capability.ACCESS_EVENTS,
        AccessKind,
        profile_types=lambda profile: {kind.value for kind in profile.access_kinds},
    ),
    _event(
        "alarm",
        Capability.ALARM_EVENTS,
        AlarmKind,
        {
            AlarmKind.HIGH_TEMPERATURE.value: Capability.BODY_TEMPERATURE,
            AlarmKind.NO_MASK.value: Capability.MASK,
            AlarmKind.DOOR_ALARM.value: Capability.DOOR_ALARM,
        },
    ),
    _event("credential", Capability.CREDENTIAL_EVENTS, CredentialKind),
    _event("analytics", Capability.ANALYTICS_EVENTS, AnalyticsKind),
)


class FaceAccessEvent(FaceAccessEntity, EventEntity):
    """Fires once for every new record of its kind; re-sent records never reach it."""

    entity_description: FaceAccessEventDescription

    def __init__(
        self, coordinator: FaceAccessCoordinator, description: FaceAccessEventDescription
    ) -> None:
        """Offer only the event types this device can produce."""
        super().__init__(coordinator, description)
        profile = coordinator.client.profile
        possible = (
            description.profile_types(profile) if description.profile_types is not None else None
        )
        self._attr_event_types = [
            event_type
            for event_type in description.event_types or []
            if (
                (needed := description.type_capabilities.get(event_type)) is None
                or needed in profile.capabilities
            )
            and (possible is None or event_type in possible)
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
        # The bus event's context: the logbook then links this state change to its line.
        self.async_set_context(event.context)
        self._trigger_event(event.event_type, event.attributes)
        self.async_write_ha_state()


async_setup_entry = platform_setup(FaceAccessEvent, EVENTS)
