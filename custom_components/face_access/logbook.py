"""Describe `face_access_event` bus events for the logbook.

Each described event reads as one sentence, `<name> <message>`, for example
"Ada Lovelace recognized at Front door (36.4 °C, mask)" or "Card 8666… at Front door". The
door is the device's name as the user sees it (its name in the device registry, renamed or
not), looked up when the logbook is read, so a renamed door reads right in older lines too.

Privacy (DESIGN.md): the bus event carries only what the event entity shows; of that, card
numbers and QR data are shortened here, because the logbook is read by anyone with access to
Home Assistant's history and is the place where such numbers would collect. ID-card numbers
never reach the bus at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import ATTR_CARD_NUMBER, ATTR_EVENT_TYPE, DOMAIN, EVENT_FACE_ACCESS

UNKNOWN_DOOR = "an unknown device"
"""The door of an event whose device was removed since."""
BACKLOG = " (from the device's backlog)"
"""Appended to records the device kept while Home Assistant could not hear it."""
CARD_DIGITS = 4
"""How many leading characters of a card number the logbook shows."""
QR_CHARACTERS = 8
"""How many leading characters of scanned QR data the logbook shows."""

type Description = dict[str, str | None]


def shorten(text: str, keep: int) -> str:
    """Return the first characters of `text` then an ellipsis, never the whole of it.

    At most `keep` characters and at most half of the text are kept, so that a short card
    number or QR code is not shown in full either.
    """
    return f"{text[: min(keep, len(text) // 2)]}…"


def _measurements(data: Mapping[str, Any]) -> str:
    """Return " (36.4 °C, mask)": what the record measured, or "" when it measured nothing."""
    parts: list[str] = []
    if isinstance(temperature := data.get("temperature"), int | float):
        parts.append(f"{temperature:g} °C")
    if (mask := data.get("mask")) is not None:
        parts.append("mask" if mask else "no mask")
    return f" ({', '.join(parts)})" if parts else ""


def _person(data: Mapping[str, Any]) -> str:
    """Return who the record is about: their name, else their ID on the device, else "Stranger"."""
    return str(data.get("person_name") or data.get("person_id") or "Stranger")


def _words(key: str) -> str:
    """Return a snake_case key of the contract as words ("no_mask" -> "no mask")."""
    return key.replace("_", " ")


def describe(event_type: str, data: Mapping[str, Any], door: str) -> tuple[str, str]:
    """Return the logbook's (name, message) of one `face_access_event` at `door`.

    `event_type` is the event entity's event type (`recognized`, `card`...), `data` the bus
    event's data. The frontend shows the two joined by a space, as one sentence.
    """
    at = f"at {door}"
    match event_type:
        case "recognized":
            name, message = _person(data), f"recognized {at}{_measurements(data)}"
        case "stranger":
            name, message = "Stranger", f"{at}{_measurements(data)}"
        case "denied":
            who = data.get("person_name") or data.get("person_id")
            name = "Access denied"
            message = f"to {who} {at}" if who else at
            if reason := data.get("reason"):
                message = f"{message}: {_words(str(reason))}"
        case "high_temperature":
            name, message = _person(data), f"has a high temperature {at}{_measurements(data)}"
        case "no_mask":
            name, message = _person(data), f"without a mask {at}{_measurements(data)}"
        case "card":
            card = data.get(ATTR_CARD_NUMBER)
            name = f"Card {shorten(str(card), CARD_DIGITS)}" if card else "Card"
            message = at
        case "qr_code":
            qr_data = data.get("qr_data")
            shown = f"{shorten(str(qr_data), QR_CHARACTERS)} " if qr_data else ""
            name, message = "QR code", f"{shown}scanned {at}"
        case "id_card":
            name, message = "ID card", f"read {at}"
        case _:
            # Door alarms and camera analytics: the event type says it all.
            name, message = _words(event_type).capitalize(), at
    if data.get("historical"):
        message += BACKLOG
    return name, message


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], Description]], None],
) -> None:
    """Describe `face_access_event` for the logbook (called once, when the logbook loads)."""
    devices = dr.async_get(hass)

    @callback
    def async_describe_face_access_event(event: Event) -> Description:
        """Describe one event: `name` and `message` make the sentence; `entity_id` links it."""
        data = event.data
        device = devices.async_get(data.get(ATTR_DEVICE_ID) or "")
        door = (device.name_by_user or device.name) if device is not None else None
        name, message = describe(str(data.get(ATTR_EVENT_TYPE)), data, door or UNKNOWN_DOOR)
        return {
            LOGBOOK_ENTRY_NAME: name,
            LOGBOOK_ENTRY_MESSAGE: message,
            LOGBOOK_ENTRY_ENTITY_ID: data.get(ATTR_ENTITY_ID),
        }

    async_describe_event(DOMAIN, EVENT_FACE_ACCESS, async_describe_face_access_event)
