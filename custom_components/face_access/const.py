"""Constants of the Face Access integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "face_access"
LOGGER = logging.getLogger(__package__)

CONF_PROTOCOL: Final = "protocol"
CONF_DEVICE_ID: Final = "device_id"
CONF_TOPIC_PREFIX: Final = "topic_prefix"
CONF_HEARTBEAT_INTERVAL: Final = "heartbeat_interval"
CONF_SYNC_TIME: Final = "sync_time"
CONF_SOURCE_IP: Final = "source_ip"
CONF_SHOW_NAMES: Final = "show_names"
"""Option of every entry: names in events and states (off: the person's ID stands in)."""

# The bus event fired beside every event entity's event, for device triggers and the logbook.
# Its data: `device_id`, `entity_id` (the event entity), `category` (the event entity's key),
# `event_type`, and the same attributes as the event entity (DESIGN.md), nothing more.
EVENT_FACE_ACCESS: Final = "face_access_event"
ATTR_CATEGORY: Final = "category"
ATTR_EVENT_TYPE: Final = "event_type"

# Service names and fields (DESIGN.md, the contract).
SERVICE_ENROLL_PERSON: Final = "enroll_person"
SERVICE_DELETE_PERSON: Final = "delete_person"
SERVICE_LIST_PEOPLE: Final = "list_people"
SERVICE_DELETE_ALL_PEOPLE: Final = "delete_all_people"
ATTR_DEVICE_ID: Final = "device_id"
ATTR_PERSON_ID: Final = "person_id"
ATTR_NAME: Final = "name"
ATTR_PHOTO_PATH: Final = "photo_path"
ATTR_PHOTO_URL: Final = "photo_url"
ATTR_PHOTO_CAMERA: Final = "photo_camera"
ATTR_CARD_NUMBER: Final = "card_number"
ATTR_VALID_FROM: Final = "valid_from"
ATTR_VALID_UNTIL: Final = "valid_until"
ATTR_LIST: Final = "list"

# Catching up after an outage (catchup.py).
SERVICE_FETCH_RECORDS: Final = "fetch_records"
ATTR_START: Final = "start"
ATTR_END: Final = "end"

# enroll_person's further photo sources (photo_sources.py).
ATTR_PHOTO_MEDIA: Final = "photo_media"
ATTR_PHOTO_BASE64: Final = "photo_base64"

# The roster sync (sync.py).
CONF_ROSTER_OWNS_LIST: Final = "roster_owns_list"
"""Device option: the roster owns the device's people list (it deletes people it does not know)."""
SIGNAL_DEVICE_LOADED: Final = "face_access_device_loaded"
"""Dispatcher signal sent with a device entry's ID once it is set up."""
SERVICE_IMPORT_PEOPLE: Final = "import_people"
