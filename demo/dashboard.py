"""The demo's "Doors" dashboard: a card per Face Access device and a log of access events.

Built from Home Assistant's registries, as a person would pick the entities in the card
editor: the config entries of ``face_access``, each entry's device (identified by the
device's own ID, which is the entry's unique ID), and the entities of that entry whose
unique IDs are ``<device ID>_<key>`` (DESIGN.md). The keys say what each entity is, so
nothing depends on entity IDs, which a user may rename; a device without a door or a
thermometer (the camera) simply gets no such row.

The dashboard is an ordinary storage-mode Lovelace dashboard, created with the same
websocket commands the UI's *Settings → Dashboards → Add dashboard* and *Edit → Save* use
(``lovelace/dashboards/create``, ``lovelace/config/save``), so the user can edit it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
import hashlib
import json
from typing import Any

from .hass_api import HassClient, JsonObject, WebsocketError

DOMAIN = "face_access"
URL_PATH = "doors"
"""The dashboard's address (``/doors``): one word, so it is created with
``allow_single_word`` (the UI would insist on a hyphen)."""
TITLE = "Doors"
ICON = "mdi:door"

PICTURE_KEY = "last_capture"
"""The image entity each device card shows on top."""
ROWS: tuple[tuple[str, str, Mapping[str, str]], ...] = (
    # The time the door was last opened from Home Assistant (the button's last press).
    ("open_door", "Open door", {"secondary_info": "last-changed"}),
    # The last-updated time is that of the last recognition: every record changes the
    # sensor's attributes (its record ID), while strangers leave the sensor alone.
    ("last_person", "Last person", {"secondary_info": "last-updated"}),
    ("body_temperature", "Body temperature", {}),
    ("mask", "Mask", {}),
    ("online", "Online", {}),
)
"""The rows of a device card, in order: (entity key, row name, row options). Names are
given because the entities' own names start with the device's name, which the card's
picture already shows."""
LOGBOOK_KEY = "access"
LOGBOOK_HOURS = 24
DOOR_KEYS = frozenset({PICTURE_KEY, LOGBOOK_KEY, *(key for key, _, _ in ROWS)})
"""The entity keys of which a device needs one to get a card."""


@dataclass(frozen=True)
class DoorDevice:
    """One Face Access device as the dashboard shows it.

    ``device_id``: the device's own ID; ``name``: its name in Home Assistant (the user's,
    if they renamed it); ``entities``: entity IDs by entity key (enabled ones only).
    """

    device_id: str
    name: str
    entities: Mapping[str, str]


def door_devices(
    entries: Iterable[JsonObject],
    devices: Iterable[JsonObject],
    registry: Iterable[JsonObject],
) -> list[DoorDevice]:
    """Find the Face Access devices and their entities by key, in the entries' order.

    ``entries``: Home Assistant's config entries (any domain); ``devices``: the device
    registry; ``registry``: the entity registry (``config/entity_registry/list``). An
    entry without a device yet (not set up) is left out; so are disabled entities, which
    a card could only show as unavailable, and devices that are no door at all: the People
    entry's own device and its people's (their sensors are no row of a door card).
    """
    found: list[DoorDevice] = []
    device_list = list(devices)
    entity_list = list(registry)
    for entry in entries:
        if entry.get("domain") != DOMAIN:
            continue
        entry_id = entry["entry_id"]
        for device in device_list:
            if entry_id not in device.get("config_entries", []):
                continue
            own_ids = [ident for domain, ident in device["identifiers"] if domain == DOMAIN]
            if not own_ids:
                continue
            prefix = f"{own_ids[0]}_"
            entities = {
                entity["unique_id"].removeprefix(prefix): entity["entity_id"]
                for entity in entity_list
                if entity.get("platform") == DOMAIN
                and entity.get("config_entry_id") == entry_id
                and str(entity.get("unique_id", "")).startswith(prefix)
                and entity.get("disabled_by") is None
            }
            if not DOOR_KEYS & entities.keys():
                continue
            found.append(
                DoorDevice(
                    device_id=own_ids[0],
                    name=device.get("name_by_user") or device.get("name") or own_ids[0],
                    entities=entities,
                )
            )
    return found


def device_card(door: DoorDevice) -> JsonObject:
    """Return one device's card: its last capture, then its door, person and sensors."""
    rows: list[JsonObject] = [
        {"entity": door.entities[key], "name": name, **options}
        for key, name, options in ROWS
        if key in door.entities
    ]
    cards: list[JsonObject] = []
    if PICTURE_KEY in door.entities:
        cards.append(
            {
                "type": "picture-entity",
                "entity": door.entities[PICTURE_KEY],
                "name": door.name,
                # The image entity's state is only the time of the picture.
                "show_state": False,
            }
        )
    if rows:
        # Without a picture the name would be nowhere: then it titles the rows.
        title = {} if cards else {"title": door.name}
        cards.append({"type": "entities", **title, "entities": rows})
    return {"type": "vertical-stack", "cards": cards}


def logbook_card(doors: Iterable[DoorDevice]) -> JsonObject | None:
    """Return the card listing the access events of every device (None: no device has one)."""
    events = [door.entities[LOGBOOK_KEY] for door in doors if LOGBOOK_KEY in door.entities]
    if not events:
        return None
    return {
        "type": "logbook",
        "title": "Access",
        "hours_to_show": LOGBOOK_HOURS,
        "target": {"entity_id": events},
    }


def dashboard_config(doors: list[DoorDevice]) -> JsonObject:
    """Return the whole dashboard: one view, a card per device, then the access log."""
    cards = [device_card(door) for door in doors]
    if (logbook := logbook_card(doors)) is not None:
        cards.append(logbook)
    return {
        "title": TITLE,
        "views": [{"title": TITLE, "path": "doors", "icon": ICON, "cards": cards}],
    }


def card_entities(card: Any) -> Iterator[str]:
    """Yield every entity ID a card (or a stack of cards) names, nested ones included."""
    if isinstance(card, dict):
        for key in ("entity", "image_entity"):
            if isinstance(value := card.get(key), str):
                yield value
        for key in ("entities", "cards"):
            for item in card.get(key) or []:
                if isinstance(item, str):
                    yield item
                else:
                    yield from card_entities(item)
        if isinstance(target := card.get("target"), dict):
            ids = target.get("entity_id") or []
            yield from [ids] if isinstance(ids, str) else ids


def digest(config: JsonObject) -> str:
    """Return a fingerprint of a dashboard configuration (key order does not matter)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


async def stored_config(client: HassClient) -> JsonObject | None:
    """Return the dashboard's saved configuration; None if it has none yet."""
    try:
        config: JsonObject = await client.websocket(
            {"type": "lovelace/config", "url_path": URL_PATH, "force": True}
        )
    except WebsocketError as err:
        if err.code == "config_not_found":
            return None
        raise
    return config


async def find_doors(client: HassClient) -> list[DoorDevice]:
    """Read the registries and return the Face Access devices with their entities."""
    return door_devices(
        await client.config_entries(DOMAIN), await client.devices(), await client.entities()
    )


async def provision(client: HassClient, saved_digest: str | None) -> tuple[str, str | None]:
    """Create the dashboard, or bring it up to date; return what happened and its digest.

    ``saved_digest``: the digest of what the demo saved last time (``DemoState``). A
    dashboard whose configuration is no longer that one was edited by the user: it is
    left alone (the returned digest is then still ``saved_digest``). Otherwise it is
    (re)written from the registries, so a device added since (in the UI) gets its card.
    """
    dashboards = await client.websocket({"type": "lovelace/dashboards/list"})
    exists = any(item.get("url_path") == URL_PATH for item in dashboards)
    if not exists:
        await client.websocket(
            {
                "type": "lovelace/dashboards/create",
                "url_path": URL_PATH,
                "title": TITLE,
                "icon": ICON,
                "show_in_sidebar": True,
                "require_admin": False,
                "allow_single_word": True,
            }
        )
    current = await stored_config(client) if exists else None
    if current is not None and digest(current) != saved_digest:
        return "left as you edited it", saved_digest
    config = dashboard_config(await find_doors(client))
    wanted = digest(config)
    if current is not None and digest(current) == wanted:
        return "up to date", wanted
    await client.websocket({"type": "lovelace/config/save", "url_path": URL_PATH, "config": config})
    return ("updated" if exists else "created"), wanted
