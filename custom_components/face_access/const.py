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
