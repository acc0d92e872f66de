"""Helpers shared by the Home Assistant tests."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from homeassistant.core import HomeAssistant
from PIL import Image
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)

from custom_components.face_access.const import (
    CONF_DEVICE_ID,
    CONF_PROTOCOL,
    CONF_TOPIC_PREFIX,
    DOMAIN,
)

DEVICE_ID = "1305433"
PREFIX = "mqtt/face"


def make_image(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    """Return a small generated picture in the given Pillow format."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 80)).save(out, format=fmt)
    return out.getvalue()


def data_uri(data: bytes, label: str = "jpeg") -> str:
    """Return a picture as the devices send it (the label may lie)."""
    return f"data:image/{label};base64,{base64.b64encode(data).decode()}"


def terminal_entry(device_id: str = DEVICE_ID, **options: Any) -> MockConfigEntry:
    """Return a config entry of a face terminal over MQTT."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Face terminal {device_id}",
        unique_id=device_id,
        data={
            CONF_PROTOCOL: "face_terminal_mqtt",
            CONF_DEVICE_ID: device_id,
            CONF_TOPIC_PREFIX: PREFIX,
        },
        options=options,
    )


def fire(hass: HomeAssistant, topic: str, message: dict[str, Any] | str) -> None:
    """Publish a message as if a device sent it."""
    payload = message if isinstance(message, str) else json.dumps(message)
    async_fire_mqtt_message(hass, topic, payload)


def rec_push(record_id: str = "381", **info: Any) -> dict[str, Any]:
    """Return a RecPush the way the terminal firmware sends it (field notes §3.2)."""
    body: dict[str, Any] = {
        "customId": "E012",
        "personId": "191",
        "RecordID": record_id,
        "VerifyStatus": "1",
        "PersonType": "0",
        "similarity1": "96.800003",
        "similarity2": "0.000000",
        "Sendintime": 0,
        "direction": "entr",
        "otype": "1",
        "persionName": "Ada",
        "facesluiceId": DEVICE_ID,
        "facesluiceName": "Face1",
        "idCard": "421381199504030001",
        "telnum": " ",
        "time": "2026-11-21 10:00:07",
        "PushType": "0",
        "pic": data_uri(make_image()),
    }
    body.update(info)
    return {"operator": "RecPush", "info": body}
