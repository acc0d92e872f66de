"""Device triggers: "a person was recognized", "a stranger", "a card was swiped"...

A trigger's `type` is an event type of one of the device's event entities (`recognized`,
`stranger`, `denied`, `high_temperature`, `no_mask`, `door_alarm`, `card`, `qr_code`,
`id_card`, or a camera's analytics kind), and a device is offered exactly the event types its
event entities have: they come from the entity registry, so a device that cannot measure
temperature gets no `high_temperature` trigger. Triggers about a person take an optional
`person`: the person's ID on the device, their name, or the entity ID of the Home Assistant
`person` the roster links to them.

Triggers listen to the `face_access_event` bus event, which fires beside every event of an
event entity, also when the user disabled that entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.const import (
    ATTR_DEVICE_ID,
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_PLATFORM,
    CONF_TYPE,
    Platform,
)
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .const import ATTR_EVENT_TYPE, DOMAIN, EVENT_FACE_ACCESS
from .protocols.model import AccessKind, AlarmKind, AnalyticsKind, CredentialKind

CONF_PERSON = "person"
"""The optional field of a trigger about a person: their ID on the device, their name, or
their Home Assistant `person` entity (roster people)."""

TRIGGER_TYPES = frozenset(
    kind.value for kinds in (AccessKind, AlarmKind, CredentialKind, AnalyticsKind) for kind in kinds
)
"""Every event type an event entity of this integration can have."""
PERSON_TRIGGER_TYPES = frozenset(
    {
        AccessKind.RECOGNIZED.value,
        AccessKind.DENIED.value,
        AlarmKind.HIGH_TEMPERATURE.value,
        AlarmKind.NO_MASK.value,
    }
)
"""The trigger types whose events can name a person, and so take `person`."""

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In(TRIGGER_TYPES),
        vol.Optional(CONF_PERSON): vol.All(str, vol.Strip, vol.Length(min=1)),
    }
)


def device_event_types(hass: HomeAssistant, device_id: str) -> list[str]:
    """Return the event types of a device's event entities, in the entities' order.

    They are read from the entity registry (an event entity's `event_types` capability), which
    knows them also while the device's config entry is not loaded, and for disabled entities.
    """
    registry = er.async_get(hass)
    found: list[str] = []
    for entry in er.async_entries_for_device(registry, device_id, include_disabled_entities=True):
        if entry.platform != DOMAIN or entry.domain != Platform.EVENT:
            continue
        for event_type in (entry.capabilities or {}).get("event_types") or []:
            if event_type in TRIGGER_TYPES and event_type not in found:
                found.append(event_type)
    return found


async def async_validate_trigger_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Validate a trigger: its type must be one the device's event entities have."""
    config = TRIGGER_SCHEMA(config)
    if config[CONF_TYPE] not in device_event_types(hass, config[CONF_DEVICE_ID]):
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} has no '{config[CONF_TYPE]}' events"
        )
    if CONF_PERSON in config and config[CONF_TYPE] not in PERSON_TRIGGER_TYPES:
        raise InvalidDeviceAutomationConfig(
            f"A '{config[CONF_TYPE]}' trigger cannot be limited to a person"
        )
    return config


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """List a device's triggers: one per event type of its event entities."""
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: event_type,
        }
        for event_type in device_event_types(hass, device_id)
    ]


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """Offer the optional `person` field on the triggers about a person."""
    if config.get(CONF_TYPE) not in PERSON_TRIGGER_TYPES:
        return {}
    return {"extra_fields": vol.Schema({vol.Optional(CONF_PERSON): str})}


def _is_person(data: Mapping[str, Any], person: str) -> bool:
    """Tell whether an event is about `person`: their ID, their name or their HA person.

    The HA person is the `person` entity the roster links to them (`ha_person`). Names are
    compared without regard to case, because they are typed by people, on the device and
    in the automation editor alike.
    """
    if person in (data.get("person_id"), data.get("ha_person")):
        return True
    name = data.get("person_name")
    return isinstance(name, str) and name.casefold() == person.casefold()


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run `action` on every `face_access_event` of the device, type and person configured.

    The action's `trigger` variable has `event` (the bus event, whose data holds what the
    event entity shows), like an event trigger's.
    """
    device_id: str = config[CONF_DEVICE_ID]
    event_type: str = config[CONF_TYPE]
    person: str | None = config.get(CONF_PERSON)
    job = HassJob(action, f"face_access device trigger {trigger_info}")
    trigger_data = trigger_info["trigger_data"]

    @callback
    def _matches(data: Mapping[str, Any]) -> bool:
        """Tell whether a bus event is this trigger's (runs for every face_access_event)."""
        return (
            data.get(ATTR_DEVICE_ID) == device_id
            and data.get(ATTR_EVENT_TYPE) == event_type
            and (person is None or _is_person(data, person))
        )

    @callback
    def _fire(event: Event) -> None:
        """Run the action, in the context of the bus event."""
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_data,
                    CONF_PLATFORM: "device",
                    CONF_DOMAIN: DOMAIN,
                    CONF_DEVICE_ID: device_id,
                    CONF_TYPE: event_type,
                    CONF_PERSON: person,
                    "event": event,
                    "description": f"{DOMAIN} '{event_type}' event",
                }
            },
            event.context,
        )

    return hass.bus.async_listen(EVENT_FACE_ACCESS, _fire, event_filter=_matches)
