"""Tests of the people services: enroll_person, delete_person, list_people, delete_all_people."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import replace
from functools import partial
import io
from pathlib import Path
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.components.camera import Image as CameraImage
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.hfsecurity_mqtt import HFSecurityMqttClient
from custom_components.face_access.protocols.model import (
    Capability,
    FaceAccessError,
    UnsupportedError,
)
from tests.common import (
    DEVICE_ID,
    PREFIX,
    FakeTerminal,
    ha_device_id,
    make_photo,
    published,
    setup_entry,
    terminal_entry,
)

OTHER_ID = "1305434"
PHOTO_URL = "http://photos.example/ada.jpg"


@pytest.fixture
async def terminal(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> FakeTerminal:
    """A terminal that answers every command, already set up."""
    device = FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    return device


@pytest.fixture
def photo_file(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A portrait in a folder Home Assistant may read."""
    path = tmp_path / "ada.png"
    path.write_bytes(make_photo("PNG"))
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    return path


async def call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> dict[str, Any]:
    """Call a service of the integration and return its response."""
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


def sent_photo(message: dict[str, Any]) -> Image.Image:
    """Return the photo an EditPerson carried, checking that it is a JPEG data URI."""
    pic = message["info"]["pic"]
    prefix = "data:image/jpeg;base64,"
    assert pic.startswith(prefix)
    data = base64.b64decode(pic[len(prefix) :])
    assert data[:2] == b"\xff\xd8"
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image


# ---- enroll_person -------------------------------------------------------------------------


async def test_enroll_from_a_file(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal, photo_file: Path
) -> None:
    """A person with a photo from an allow-listed file lands on the device as EditPerson."""
    device = ha_device_id(hass)

    response = await call(
        hass,
        "enroll_person",
        {
            "device_id": device,
            "person_id": "E012",
            "name": "Ada Lovelace",
            "photo_path": str(photo_file),
        },
    )

    assert response == {"results": {device: {"status": "enrolled", "message": "enrolled"}}}
    (message,) = published(mqtt_mock, "EditPerson")
    assert message["_topic"] == f"{PREFIX}/{DEVICE_ID}"
    assert message["_retain"] is False
    info = message["info"]
    assert info["customId"] == "E012"
    assert info["name"] == "Ada Lovelace"
    assert info["personType"] == 0
    assert info["tempCardType"] == 0
    assert "RFIDCard" not in info
    assert "cardValidBegin" not in info
    # The PNG was converted to JPEG.
    assert sent_photo(message).size == (320, 240)


async def test_enroll_with_card_validity_and_block_list(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal, photo_file: Path
) -> None:
    """Card number, validity period and block list reach the device in its own fields."""
    await call(
        hass,
        "enroll_person",
        {
            "device_id": [ha_device_id(hass)],
            "person_id": "E013",
            "name": "Grace",
            "photo_path": str(photo_file),
            "card_number": "1369406761",
            "valid_from": "2026-12-01 08:00:00",
            "valid_until": "2027-01-31 18:30:00",
            "list": "block",
        },
    )

    (message,) = published(mqtt_mock, "EditPerson")
    info = message["info"]
    assert info["RFIDCard"] == "1369406761"
    assert info["RFCardMode"] == 0
    assert info["tempCardType"] == 1
    assert info["cardValidBegin"] == "2026-12-01 08:00:00"
    assert info["cardValidEnd"] == "2027-01-31 18:30:00"
    assert info["personType"] == 1


async def test_enroll_validity_with_a_time_zone(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal, photo_file: Path
) -> None:
    """Times with a zone are sent as Home Assistant's local time (the device has no zone)."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    await call(
        hass,
        "enroll_person",
        {
            "device_id": ha_device_id(hass),
            "person_id": "E014",
            "name": "Edsger",
            "photo_path": str(photo_file),
            "valid_until": "2026-12-24T17:00:00+00:00",
        },
    )

    (message,) = published(mqtt_mock, "EditPerson")
    assert message["info"]["tempCardType"] == 1
    assert message["info"]["cardValidBegin"] == "2000-01-01 00:00:00"
    assert message["info"]["cardValidEnd"] == "2026-12-24 18:00:00"


async def test_enroll_from_a_url(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    terminal: FakeTerminal,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The photo can come from a URL."""
    photo = make_photo("JPEG", (1600, 1200))
    aioclient_mock.get(PHOTO_URL, content=photo)
    device = ha_device_id(hass)

    response = await call(
        hass,
        "enroll_person",
        {"device_id": device, "person_id": "E012", "name": "Ada", "photo_url": PHOTO_URL},
    )

    assert response["results"][device]["status"] == "enrolled"
    assert aioclient_mock.call_count == 1
    (message,) = published(mqtt_mock, "EditPerson")
    # Scaled down to the terminal's 1080 pixels.
    assert sent_photo(message).size == (1080, 810)


async def test_enroll_from_a_url_that_fails(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    terminal: FakeTerminal,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A photo URL that answers 404 is the caller's problem, and nothing is sent."""
    aioclient_mock.get(PHOTO_URL, status=404)

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "enroll_person",
            {
                "device_id": ha_device_id(hass),
                "person_id": "E012",
                "name": "Ada",
                "photo_url": PHOTO_URL,
            },
        )

    assert err.value.translation_key == "photo_unavailable"
    assert published(mqtt_mock, "EditPerson") == []


@pytest.fixture
async def photo_server(socket_enabled: None) -> AsyncIterator[tuple[str, bytes]]:
    """A real HTTP server on 127.0.0.1 that sends a large photo in small pieces."""
    photo = make_photo("PNG", (900, 700))
    assert len(photo) > 1_000_000

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        await response.prepare(request)
        for start in range(0, len(photo), 64 * 1024):
            await response.write(photo[start : start + 64 * 1024])
            await asyncio.sleep(0.001)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/face.png", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/face.png", photo
    finally:
        await runner.cleanup()


async def test_enroll_from_a_url_served_in_pieces(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    terminal: FakeTerminal,
    photo_server: tuple[str, bytes],
) -> None:
    """A photo that arrives over the network in many pieces is read whole."""
    url, _ = photo_server

    await call(
        hass,
        "enroll_person",
        {"device_id": ha_device_id(hass), "person_id": "E012", "name": "Ada", "photo_url": url},
    )

    (message,) = published(mqtt_mock, "EditPerson")
    assert sent_photo(message).size == (900, 700)


async def test_enroll_from_a_camera(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """The photo can be a camera's current picture."""
    photo = make_photo("JPEG", (640, 480))
    with patch(
        "homeassistant.components.camera.async_get_image",
        return_value=CameraImage("image/jpeg", photo),
    ) as get_image:
        response = await call(
            hass,
            "enroll_person",
            {
                "device_id": ha_device_id(hass),
                "person_id": "E012",
                "name": "Ada",
                "photo_camera": "camera.front_door",
            },
        )

    get_image.assert_awaited_once_with(hass, "camera.front_door")
    assert response["results"][ha_device_id(hass)]["status"] == "enrolled"
    (message,) = published(mqtt_mock, "EditPerson")
    assert sent_photo(message).size == (640, 480)


async def test_enroll_from_a_camera_without_picture(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """A camera that cannot give a picture is reported as the photo being unavailable."""
    with (
        patch(
            "homeassistant.components.camera.async_get_image",
            side_effect=HomeAssistantError("Camera is off"),
        ),
        pytest.raises(ServiceValidationError) as err,
    ):
        await call(
            hass,
            "enroll_person",
            {
                "device_id": ha_device_id(hass),
                "person_id": "E012",
                "name": "Ada",
                "photo_camera": "camera.front_door",
            },
        )

    assert err.value.translation_key == "photo_unavailable"
    assert published(mqtt_mock, "EditPerson") == []


async def test_enroll_from_a_path_outside_the_allowlist(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal, tmp_path: Path
) -> None:
    """A file outside allowlist_external_dirs is refused before it is read."""
    secret = tmp_path / "elsewhere" / "face.jpg"
    secret.parent.mkdir()
    secret.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path / "allowed")}

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "enroll_person",
            {
                "device_id": ha_device_id(hass),
                "person_id": "E012",
                "name": "Ada",
                "photo_path": str(secret),
            },
        )

    assert err.value.translation_key == "photo_path_not_allowed"
    assert published(mqtt_mock, "EditPerson") == []


async def test_enroll_with_a_file_that_is_not_a_photo(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal, tmp_path: Path
) -> None:
    """A file that is no picture is refused with a validation error; nothing is sent."""
    path = tmp_path / "notes.jpg"
    path.write_bytes(b"these are not pixels" * 100)
    hass.config.allowlist_external_dirs = {str(tmp_path)}

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "enroll_person",
            {
                "device_id": ha_device_id(hass),
                "person_id": "E012",
                "name": "Ada",
                "photo_path": str(path),
            },
        )

    assert err.value.translation_key == "invalid_photo"
    assert published(mqtt_mock, "EditPerson") == []


async def test_enroll_refused_by_the_device(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal, photo_file: Path
) -> None:
    """A device's refusal reaches the user with the device's reason."""
    terminal.refuse("EditPerson", "Face feature extraction failed", "467")

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            "enroll_person",
            {
                "device_id": ha_device_id(hass),
                "person_id": "E012",
                "name": "Ada",
                "photo_path": str(photo_file),
            },
        )

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "device_refused"
    assert "Face feature extraction failed" in str(err.value)


async def test_enroll_on_two_devices_where_one_fails(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, photo_file: Path
) -> None:
    """With several devices, each gets its own status; one failure does not hide a success."""
    terminal = FakeTerminal(hass, mqtt_mock)
    terminal.refuse("EditPerson", "Face feature extraction failed", "467", device_id=OTHER_ID)
    await setup_entry(hass)
    await setup_entry(hass, terminal_entry(OTHER_ID))
    first, second = ha_device_id(hass), ha_device_id(hass, OTHER_ID)

    response = await call(
        hass,
        "enroll_person",
        {
            "device_id": [first, second],
            "person_id": "E012",
            "name": "Ada",
            "photo_path": str(photo_file),
        },
    )

    assert response["results"][first] == {"status": "enrolled", "message": "enrolled"}
    assert response["results"][second]["status"] == "failed"
    assert "Face feature extraction failed" in response["results"][second]["message"]
    assert {m["_topic"] for m in published(mqtt_mock, "EditPerson")} == {
        f"{PREFIX}/{DEVICE_ID}",
        f"{PREFIX}/{OTHER_ID}",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "A" * 32),
        ("name", "张" * 11),  # 11 characters, 33 bytes
        ("person_id", "P" * 48),
        ("card_number", "12345678901"),
        ("card_number", "not-a-card"),
    ],
)
async def test_enroll_beyond_the_devices_limits(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    terminal: FakeTerminal,
    photo_file: Path,
    field: str,
    value: str,
) -> None:
    """What the device could not store is refused before anything is sent."""
    data = {
        "device_id": ha_device_id(hass),
        "person_id": "E012",
        "name": "Ada",
        "photo_path": str(photo_file),
        field: value,
    }

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "enroll_person", data)

    assert err.value.translation_key == "invalid_request"
    assert published(mqtt_mock, "EditPerson") == []


async def test_unknown_device(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    terminal: FakeTerminal,
    photo_file: Path,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A device id that is not a Face Access device is refused by name."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    other = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("other_domain", "abc")}
    )
    for device in ("not-a-device", other.id):
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass,
                "enroll_person",
                {
                    "device_id": device,
                    "person_id": "E012",
                    "name": "Ada",
                    "photo_path": str(photo_file),
                },
            )
        assert err.value.translation_key == "device_not_found"
        assert err.value.translation_placeholders == {"device_id": device}
    with pytest.raises(ServiceValidationError):
        await call(hass, "delete_person", {"device_id": "not-a-device", "person_id": "E012"})
    assert published(mqtt_mock, "EditPerson") == []
    assert published(mqtt_mock, "DelPerson") == []


async def test_device_not_loaded(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """A device whose entry is unloaded cannot take commands."""
    device = ha_device_id(hass)
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert await hass.config_entries.async_unload(entry.entry_id)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "list_people", {"device_id": device})

    assert err.value.translation_key == "device_not_loaded"


# ---- delete_person, delete_all_people, list_people ----------------------------------------


async def test_delete_one_person(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """One person is deleted with DelPerson."""
    device = ha_device_id(hass)

    response = await call(hass, "delete_person", {"device_id": device, "person_id": "E012"})

    assert response == {"results": {device: {"status": "deleted", "message": "deleted"}}}
    (message,) = published(mqtt_mock, "DelPerson")
    assert message["info"] == {"customId": "E012"}
    assert published(mqtt_mock, "DeletePersons") == []


async def test_delete_several_people(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """Several people are deleted in one DeletePersons batch."""
    device = ha_device_id(hass)

    response = await call(
        hass, "delete_person", {"device_id": device, "person_id": ["E012", "E013"]}
    )

    assert response["results"][device] == {"status": "deleted", "message": "deleted 2 of 2"}
    (message,) = published(mqtt_mock, "DeletePersons")
    assert message["info"] == {"customId": ["E012", "E013"]}
    assert message["PersonNum"] == "2"
    assert message["DataBegin"] == "BeginFlag"
    assert message["DataEnd"] == "EndFlag"
    assert published(mqtt_mock, "DelPerson") == []


async def test_delete_someone_the_device_does_not_know(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """The device's reason for not deleting reaches the user."""
    terminal.refuse("DelPerson", "can't find customId's person", "464")

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "delete_person", {"device_id": ha_device_id(hass), "person_id": "E099"})

    assert err.value.translation_key == "device_refused"
    assert "can't find customId's person" in str(err.value)


async def test_list_people(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """The device's people come back with the contract's keys."""
    terminal.reply(
        "SearchPersonList",
        {
            "TotalPersonNum": 2,
            "PersonNum": 2,
            "List": [
                {
                    "LibID": 1,
                    "personType": 0,
                    "name": "Ada",
                    "idCard": "421381199504030001",
                    "telnum1": "18888888888",
                    "RFIDCard": "1369406761",
                    "tempCardType": 1,
                    "customId": "E012",
                    "cardValidBegin": "2026-12-01 08:00:00",
                    "cardValidEnd": "2027-01-31 18:30:00",
                },
                {
                    "LibID": 2,
                    "personType": 1,
                    "name": "Mallory",
                    "RFIDCard": "0",
                    "tempCardType": 0,
                    "customId": "B001",
                    "cardValidBegin": "0000-00-00 00:00:00",
                    "cardValidEnd": "0000-00-00 00:00:00",
                },
            ],
        },
    )

    response = await call(hass, "list_people", {"device_id": ha_device_id(hass)})

    assert response == {
        "people": [
            {
                "person_id": "E012",
                "name": "Ada",
                "card_number": "1369406761",
                "list": "allow",
                "valid_from": "2026-12-01T08:00:00",
                "valid_until": "2027-01-31T18:30:00",
            },
            {
                "person_id": "B001",
                "name": "Mallory",
                "card_number": None,
                "list": "block",
                "valid_from": None,
                "valid_until": None,
            },
        ],
        "total": 2,
    }
    (request,) = published(mqtt_mock, "SearchPersonList")
    assert request["info"]["facesluiceId"] == DEVICE_ID


async def test_list_people_when_the_device_is_silent(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A device that does not answer the list query is reported as not answering."""
    FakeTerminal(hass, mqtt_mock).silence("SearchPersonList")
    with patch(
        "custom_components.face_access.protocols.hfsecurity_mqtt.HFSecurityMqttClient",
        partial(HFSecurityMqttClient, command_timeout=0.2),
    ):
        await setup_entry(hass)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "list_people", {"device_id": ha_device_id(hass)})

    assert err.value.translation_key == "device_timeout"


async def test_delete_all_people(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """Everyone is deleted with DeleteAllPerson, and the user learns that the device restarts."""
    device = ha_device_id(hass)

    response = await call(hass, "delete_all_people", {"device_id": device})

    assert response["results"][device]["status"] == "deleted"
    assert "restart" in response["results"][device]["message"]
    (message,) = published(mqtt_mock, "DeleteAllPerson")
    assert message["info"] == {"deleteall": "1"}


async def test_enroll_from_a_missing_file(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal, tmp_path: Path
) -> None:
    """An allow-listed path without a file is reported as an unreadable photo."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "enroll_person",
            {
                "device_id": ha_device_id(hass),
                "person_id": "E012",
                "name": "Ada",
                "photo_path": str(tmp_path / "nobody.jpg"),
            },
        )

    assert err.value.translation_key == "photo_unavailable"
    assert published(mqtt_mock, "EditPerson") == []


async def test_enroll_from_a_url_that_is_too_large(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    terminal: FakeTerminal,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A download larger than 20 MB is not a portrait; it is refused unread to the end."""
    aioclient_mock.get(PHOTO_URL, content=b"\xff\xd8" + b"\0" * (20 * 1024 * 1024))

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "enroll_person",
            {
                "device_id": ha_device_id(hass),
                "person_id": "E012",
                "name": "Ada",
                "photo_url": PHOTO_URL,
            },
        )

    assert err.value.translation_key == "photo_unavailable"
    assert "20 MB" in str(err.value)
    assert published(mqtt_mock, "EditPerson") == []


@pytest.mark.parametrize(
    ("service", "data", "missing"),
    [
        ("list_people", {}, Capability.LIST_PEOPLE),
        ("delete_all_people", {}, Capability.DELETE_ALL_PEOPLE),
        ("delete_person", {"person_id": "E012"}, Capability.DELETE_PERSON),
        (
            "enroll_person",
            {"person_id": "E012", "name": "Ada", "photo_url": PHOTO_URL},
            Capability.ENROLL,
        ),
        (
            "enroll_person",
            {"person_id": "E012", "name": "Ada", "photo_url": PHOTO_URL, "card_number": "12"},
            Capability.ENROLL_CARD_NUMBER,
        ),
    ],
)
async def test_services_a_device_cannot_serve(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    terminal: FakeTerminal,
    service: str,
    data: dict[str, Any],
    missing: Capability,
) -> None:
    """A device whose protocol lacks a command answers with a validation error, sends nothing."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    client = entry.runtime_data.client
    assert isinstance(client, HFSecurityMqttClient)
    profile = client.profile
    client.variant = replace(
        client.variant, profile=replace(profile, capabilities=profile.capabilities - {missing})
    )
    mqtt_mock.async_publish.reset_mock()

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, {"device_id": ha_device_id(hass), **data})

    assert err.value.translation_key == "unsupported_service"
    assert published(mqtt_mock) == []


@pytest.mark.parametrize(
    ("error", "expected", "key"),
    [
        (UnsupportedError("firmware too old"), ServiceValidationError, "unsupported"),
        (FaceAccessError("connection to the broker lost"), HomeAssistantError, "device_error"),
    ],
)
async def test_other_protocol_errors(
    hass: HomeAssistant,
    terminal: FakeTerminal,
    error: FaceAccessError,
    expected: type[HomeAssistantError],
    key: str,
) -> None:
    """Every protocol error reaches the user translated, with its reason."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)

    with (
        patch.object(entry.runtime_data.client, "list_people", side_effect=error),
        pytest.raises(expected) as err,
    ):
        await call(hass, "list_people", {"device_id": ha_device_id(hass)})

    assert err.value.translation_key == key
    assert str(error) in str(err.value)
