"""Tests of the people services: enroll_person, delete_person, list_people, delete_all_people."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from functools import partial
import io
from pathlib import Path
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.components.camera import Image as CameraImage
from homeassistant.components.media_source import PlayMedia
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
import voluptuous as vol

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.device_trigger import device_event_types
from custom_components.face_access.photo_sources import async_read_photo
from custom_components.face_access.protocols.face_capture_http import (
    codec as face_capture_codec,
)
from custom_components.face_access.protocols.hfsecurity_mqtt import (
    DEFAULT_COMMAND_TIMEOUT,
    HFSecurityMqttClient,
    codec as hfsecurity_codec,
)
from custom_components.face_access.protocols.hfsecurity_mqtt.variants import CAMERA, FACE_TERMINAL
from custom_components.face_access.protocols.model import (
    Capability,
    DeviceProfile,
    Enrollment,
    FaceAccessError,
    InvalidRequestError,
    UnsupportedError,
)
from custom_components.face_access.protocols.temperature_http import codec as temperature_codec
from custom_components.face_access.protocols.unv_lapi import (
    codec as unv_codec,
    profile_for as unv_profile_for,
)
from simulators.broker import Broker
from simulators.face_terminal_mqtt import FaceTerminalSimulator
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
from tests.e2e import add_through_the_flow, quick_simulator, running, wait_until
from tests.test_temperature_http import CID, tablet_entry

OTHER_ID = "1305434"
PHOTO_URL = "http://photos.example/ada.jpg"
TITLE = f"Face terminal {DEVICE_ID}"
OTHER_TITLE = f"Face terminal {OTHER_ID}"
SILENT_TIMEOUT = 0.2
"""Seconds a client waits for an ack in tests of silent devices (not the default 15 s)."""


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


async def enroll(hass: HomeAssistant, device_id: str | list[str], **fields: Any) -> dict[str, Any]:
    """Enroll Ada (E012) on `device_id`; `fields` give the photo and may change the rest."""
    return await call(
        hass,
        "enroll_person",
        {"device_id": device_id, "person_id": "E012", "name": "Ada", **fields},
    )


async def enroll_refused(
    terminal: FakeTerminal, key: str, *, device_id: str | list[str] | None = None, **fields: Any
) -> ServiceValidationError:
    """Enroll as `enroll` does, expecting a validation error `key`; return that error.

    The target is the fixture's terminal unless `device_id` says otherwise. A refused call
    must not have told any device to store anyone.
    """
    hass = terminal.hass
    with pytest.raises(ServiceValidationError) as err:
        await enroll(hass, ha_device_id(hass) if device_id is None else device_id, **fields)
    assert err.value.translation_key == key
    assert published(terminal.mqtt_mock, "EditPerson") == []
    return err.value


async def enrolled_photo(terminal: FakeTerminal, **photo: Any) -> Image.Image:
    """Enroll Ada on the fixture's terminal from `photo` (a photo_* field); return what it got.

    Checks that the call reports her enrolled and that exactly one EditPerson went out.
    """
    device = ha_device_id(terminal.hass)
    response = await enroll(terminal.hass, device, **photo)
    assert response["results"][device]["status"] == "enrolled"
    (message,) = published(terminal.mqtt_mock, "EditPerson")
    return sent_photo(message)


async def set_up_terminals(
    terminal: FakeTerminal, *device_ids: str, command_timeout: float = DEFAULT_COMMAND_TIMEOUT
) -> list[str]:
    """Set up a face terminal's entry per ID, answered by `terminal`; return their device ids.

    Takes the fake terminal, already told its answers, because the clients ask their devices
    while they are set up. A short `command_timeout` keeps tests of silent devices quick.
    """
    with patch(
        "custom_components.face_access.protocols.hfsecurity_mqtt.HFSecurityMqttClient",
        partial(HFSecurityMqttClient, command_timeout=command_timeout),
    ):
        for device_id in device_ids:
            await setup_entry(terminal.hass, terminal_entry(device_id))
    return [ha_device_id(terminal.hass, device_id) for device_id in device_ids]


def remove_capability(hass: HomeAssistant, device_id: str, capability: Capability) -> None:
    """Make a set-up terminal's protocol lack `capability`, as a device without the command."""
    entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, device_id)
    assert entry is not None
    client = entry.runtime_data.client
    assert isinstance(client, HFSecurityMqttClient)
    profile = client.profile
    client.variant = replace(
        client.variant, profile=replace(profile, capabilities=profile.capabilities - {capability})
    )


def one_result(device: str, status: str, reason: str, message: str) -> dict[str, Any]:
    """Return the response of a call on one device that ended in `status`."""
    return {"results": {device: {"status": status, "reason": reason, "message": message}}}


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

    response = await enroll(hass, device, name="Ada Lovelace", photo_path=str(photo_file))

    assert response == one_result(device, "enrolled", f"{TITLE} stored the person", "enrolled")
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
    await enroll(
        hass,
        [ha_device_id(hass)],
        person_id="E013",
        name="Grace",
        photo_path=str(photo_file),
        card_number="1369406761",
        valid_from="2026-12-01 08:00:00",
        valid_until="2027-01-31 18:30:00",
        list="block",
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
    await enroll(
        hass,
        ha_device_id(hass),
        person_id="E014",
        name="Edsger",
        photo_path=str(photo_file),
        valid_until="2026-12-24T17:00:00+00:00",
    )

    (message,) = published(mqtt_mock, "EditPerson")
    assert message["info"]["tempCardType"] == 1
    assert message["info"]["cardValidBegin"] == "2000-01-01 00:00:00"
    assert message["info"]["cardValidEnd"] == "2026-12-24 18:00:00"


async def test_enroll_from_a_url(
    terminal: FakeTerminal, aioclient_mock: AiohttpClientMocker
) -> None:
    """The photo can come from a URL."""
    aioclient_mock.get(PHOTO_URL, content=make_photo("JPEG", (1600, 1200)))

    photo = await enrolled_photo(terminal, photo_url=PHOTO_URL)

    assert aioclient_mock.call_count == 1
    # Scaled down to the terminal's 1080 pixels.
    assert photo.size == (1080, 810)


async def test_enroll_from_a_url_that_fails(
    terminal: FakeTerminal, aioclient_mock: AiohttpClientMocker
) -> None:
    """A photo URL that answers 404 is the caller's problem, and nothing is sent."""
    aioclient_mock.get(PHOTO_URL, status=404)

    await enroll_refused(terminal, "photo_unavailable", photo_url=PHOTO_URL)


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
    terminal: FakeTerminal, photo_server: tuple[str, bytes]
) -> None:
    """A photo that arrives over the network in many pieces is read whole."""
    url, _ = photo_server

    photo = await enrolled_photo(terminal, photo_url=url)

    assert photo.size == (900, 700)


async def test_enroll_from_a_camera(hass: HomeAssistant, terminal: FakeTerminal) -> None:
    """The photo can be a camera's current picture."""
    with patch(
        "homeassistant.components.camera.async_get_image",
        return_value=CameraImage("image/jpeg", make_photo("JPEG", (640, 480))),
    ) as get_image:
        photo = await enrolled_photo(terminal, photo_camera="camera.front_door")

    get_image.assert_awaited_once_with(hass, "camera.front_door")
    assert photo.size == (640, 480)


async def test_enroll_from_a_camera_without_picture(terminal: FakeTerminal) -> None:
    """A camera that cannot give a picture is reported as the photo being unavailable."""
    with patch(
        "homeassistant.components.camera.async_get_image",
        side_effect=HomeAssistantError("Camera is off"),
    ):
        await enroll_refused(terminal, "photo_unavailable", photo_camera="camera.front_door")


@pytest.mark.parametrize(
    ("path", "content", "key"),
    [
        # Refused before it is read.
        pytest.param(
            "elsewhere/face.jpg", make_photo(), "photo_path_not_allowed", id="outside the allowlist"
        ),
        pytest.param(
            "allowed/notes.jpg", b"these are not pixels" * 100, "invalid_photo", id="not a photo"
        ),
        pytest.param("allowed/nobody.jpg", None, "photo_unavailable", id="no such file"),
    ],
)
async def test_enroll_from_a_file_that_will_not_do(
    hass: HomeAssistant,
    terminal: FakeTerminal,
    tmp_path: Path,
    path: str,
    content: bytes | None,
    key: str,
) -> None:
    """A file outside allowlist_external_dirs, no picture or not there is refused; nothing is sent.

    Only `allowed` is allow-listed.
    """
    photo = tmp_path / path
    photo.parent.mkdir()
    if content is not None:
        photo.write_bytes(content)
    hass.config.allowlist_external_dirs = {str(tmp_path / "allowed")}

    await enroll_refused(terminal, key, photo_path=str(photo))


async def test_enroll_refused_by_the_device(
    hass: HomeAssistant, terminal: FakeTerminal, photo_file: Path
) -> None:
    """A device's refusal reaches the user with the device's reason."""
    terminal.refuse("EditPerson", "Face feature extraction failed", "467")

    with pytest.raises(HomeAssistantError) as err:
        await enroll(hass, ha_device_id(hass), photo_path=str(photo_file))

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "device_refused"
    assert "Face feature extraction failed" in str(err.value)


async def enroll_where_the_other_refuses(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, photo_file: Path
) -> tuple[dict[str, Any], str, str]:
    """Enroll Ada on two terminals, OTHER_ID refusing her face (code 467).

    Returns the call's response and the two device ids, DEVICE_ID's first.
    """
    terminal = FakeTerminal(hass, mqtt_mock)
    terminal.refuse("EditPerson", "Face feature extraction failed", "467", device_id=OTHER_ID)
    first, second = await set_up_terminals(terminal, DEVICE_ID, OTHER_ID)
    return await enroll(hass, [first, second], photo_path=str(photo_file)), first, second


async def test_enroll_on_two_devices_where_one_fails(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, photo_file: Path
) -> None:
    """With several devices, each gets its own status; one failure does not hide a success."""
    response, first, second = await enroll_where_the_other_refuses(hass, mqtt_mock, photo_file)

    assert response["results"][first]["status"] == "enrolled"
    assert response["results"][second] == {
        "status": "failed",
        "reason": f"{OTHER_TITLE} refused: Face feature extraction failed (code 467)",
        "message": "Face feature extraction failed (code 467)",
    }
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
    terminal: FakeTerminal, photo_file: Path, field: str, value: str
) -> None:
    """What the device could not store is refused before anything is sent."""
    await enroll_refused(terminal, "invalid_request", photo_path=str(photo_file), **{field: value})


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
        error = await enroll_refused(
            terminal, "device_not_found", device_id=device, photo_path=str(photo_file)
        )
        assert error.translation_placeholders == {"device_id": device}
    with pytest.raises(ServiceValidationError):
        await call(hass, "delete_person", {"device_id": "not-a-device", "person_id": "E012"})
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

    assert response == one_result(device, "deleted", f"{TITLE} deleted as asked", "deleted")
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

    assert response["results"][device]["status"] == "deleted"
    assert response["results"][device]["message"] == "deleted 2 of 2"
    (message,) = published(mqtt_mock, "DeletePersons")
    assert message["info"] == {"customId": ["E012", "E013"]}
    assert message["PersonNum"] == "2"
    assert message["DataBegin"] == "BeginFlag"
    assert message["DataEnd"] == "EndFlag"
    assert published(mqtt_mock, "DelPerson") == []


async def test_delete_someone_the_device_does_not_know(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """Error 464 (no such person, L3718-3724) is `not_found`, which is no failure."""
    terminal.refuse("DelPerson", "can't find customId's person", "464")
    device = ha_device_id(hass)

    response = await call(hass, "delete_person", {"device_id": device, "person_id": "E099"})

    assert response == one_result(
        device,
        "not_found",
        f"{TITLE} did not have the person to delete",
        "can't find customId's person (code 464)",
    )


async def test_delete_several_people_the_device_does_not_know(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """A DeletePersons that deleted none of them (unknown IDs fail, L1135) is `not_found`."""
    terminal.reply("DeletePersons", {"DelSucNum": "0", "DelErrNum": "2", "result": "ok"})
    device = ha_device_id(hass)

    response = await call(
        hass, "delete_person", {"device_id": device, "person_id": ["E098", "E099"]}
    )

    assert response["results"][device]["status"] == "not_found"


async def test_delete_refused_for_another_reason_is_a_failure(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """Any other refusal of DelPerson still fails the call (its only target failed)."""
    terminal.refuse("DelPerson", "Parameter error", "462")

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "delete_person", {"device_id": ha_device_id(hass), "person_id": "E099"})

    assert err.value.translation_key == "device_refused"
    assert "Parameter error" in str(err.value)


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
    terminal = FakeTerminal(hass, mqtt_mock)
    terminal.silence("SearchPersonList")
    (device,) = await set_up_terminals(terminal, DEVICE_ID, command_timeout=SILENT_TIMEOUT)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "list_people", {"device_id": device})

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


async def test_enroll_from_a_url_that_is_too_large(
    terminal: FakeTerminal, aioclient_mock: AiohttpClientMocker
) -> None:
    """A download larger than 20 MB is not a portrait; it is refused unread to the end."""
    aioclient_mock.get(PHOTO_URL, content=b"\xff\xd8" + b"\0" * (20 * 1024 * 1024))

    error = await enroll_refused(terminal, "photo_unavailable", photo_url=PHOTO_URL)

    assert "20 MB" in str(error)


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
    remove_capability(hass, DEVICE_ID, missing)
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


# ---- every target checked first; one failure is not the call's failure --------------------


async def test_every_bad_target_is_named_before_anything_is_sent(
    hass: HomeAssistant, terminal: FakeTerminal, aioclient_mock: AiohttpClientMocker
) -> None:
    """One error names each bad target; no device is told anything, the photo is not read."""
    await setup_entry(hass, terminal_entry(OTHER_ID, protocol="camera_mqtt"))
    aioclient_mock.get(PHOTO_URL, content=make_photo())

    error = await enroll_refused(
        terminal,
        "invalid_targets",
        device_id=[ha_device_id(hass), "not-a-device", ha_device_id(hass, OTHER_ID)],
        photo_url=PHOTO_URL,
        card_number="1369406761",  # the camera has no card reader
    )

    assert str(error) == (
        "These devices cannot take the call, so nothing was sent: "
        "not-a-device is not a Face Access device; "
        f"Camera {OTHER_ID} cannot do this: its protocol has no such command"
    )
    assert aioclient_mock.call_count == 0


async def test_a_person_beyond_the_limits_of_two_devices(
    hass: HomeAssistant, terminal: FakeTerminal, photo_file: Path
) -> None:
    """The devices' documented limits are checked for every target, each named."""
    await setup_entry(hass, terminal_entry(OTHER_ID))

    error = await enroll_refused(
        terminal,
        "invalid_targets",
        device_id=[ha_device_id(hass), ha_device_id(hass, OTHER_ID)],
        name="Ada Augusta King, Countess of Lovelace",
        photo_path=str(photo_file),
    )

    assert f"{TITLE} cannot take this: name must be 1 to 31 bytes" in str(error)
    assert f"{OTHER_TITLE} cannot take this: name must be 1 to 31 bytes" in str(error)


async def test_the_photo_is_read_only_for_good_targets(
    terminal: FakeTerminal, aioclient_mock: AiohttpClientMocker
) -> None:
    """A call to a device that does not exist does not download the photo first."""
    aioclient_mock.get(PHOTO_URL, content=make_photo())

    await enroll_refused(
        terminal, "device_not_found", device_id="not-a-device", photo_url=PHOTO_URL
    )

    assert aioclient_mock.call_count == 0


async def test_delete_checks_the_ids_against_every_target(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """An ID the device could not hold is refused before any device deletes anything."""
    await setup_entry(hass, terminal_entry(OTHER_ID))

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "delete_person",
            {
                "device_id": [ha_device_id(hass), ha_device_id(hass, OTHER_ID)],
                "person_id": ["E012", "P" * 48],
            },
        )

    assert err.value.translation_key == "invalid_targets"
    assert "person_id must be 1 to 47 bytes" in str(err.value)
    assert published(mqtt_mock, "DeletePersons") == []


async def test_the_call_fails_only_when_every_target_failed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, photo_file: Path
) -> None:
    """Two refusals: one error that names both devices and their reasons."""
    terminal = FakeTerminal(hass, mqtt_mock)
    terminal.refuse("EditPerson", "Face feature extraction failed", "467")
    devices = await set_up_terminals(terminal, DEVICE_ID, OTHER_ID)

    with pytest.raises(HomeAssistantError) as err:
        await enroll(hass, devices, photo_path=str(photo_file))

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "all_targets_failed"
    assert str(err.value) == (
        f"Every device failed: {TITLE} refused: Face feature extraction failed (code 467); "
        f"{OTHER_TITLE} refused: Face feature extraction failed (code 467)"
    )


async def test_the_reason_is_in_the_configured_language(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, photo_file: Path
) -> None:
    """The reason follows Home Assistant's language; the protocol's message stays."""
    hass.config.language = "de"

    response, first, second = await enroll_where_the_other_refuses(hass, mqtt_mock, photo_file)

    assert response["results"][first]["reason"] == f"{TITLE} hat die Person gespeichert"
    assert response["results"][second]["reason"] == (
        f"{OTHER_TITLE} hat abgelehnt: Face feature extraction failed (code 467)"
    )
    assert response["results"][second]["message"] == "Face feature extraction failed (code 467)"


# ---- the documented limits, against each protocol's own checks ------------------------------


def _enroll_terminal(enrollment: Enrollment) -> object:
    return hfsecurity_codec.edit_person_info(enrollment, FACE_TERMINAL)


def _enroll_capture(enrollment: Enrollment) -> object:
    return face_capture_codec.upload_person(enrollment, "AAAA")


def _enroll_tablet(enrollment: Enrollment) -> object:
    return temperature_codec.facelib_add(1, enrollment, "AAAA")


def _enroll_unv(enrollment: Enrollment) -> object:
    return unv_codec.person_body(enrollment, "AAAA", 3, 0)


def _samples(field: str, *values: str) -> list[dict[str, str]]:
    """Return a person sample per value of `field`."""
    return [{field: value} for value in values]


def _either_side(field: str, char: str, *counts: int) -> list[dict[str, str]]:
    """Return samples of `field` one `char` short of each count, and at the count."""
    return _samples(field, *(char * n for count in counts for n in (count - 1, count)))


LIMIT_SAMPLES: list[dict[str, str]] = [
    *_either_side("person_id", "P", 20, 36, 48),
    *_either_side("person_id", "张", 7),  # 18 and 21 bytes
    *_samples("person_id", "10,11", "0", "4294967295", "4294967296", " 1002"),
    *_either_side("name", "A", 32, 36, 64),
    *_either_side("name", "张", 11, 22),  # 30 and 33 bytes; 63 (21 characters) and 66 bytes
    *_samples("name", 'Ada "the first"', "Ada\\Byron"),
    *_either_side("card_number", "1", 36),
    *_samples("card_number", "1369406761", "12345678901", "519f7d29", "not-a-card"),
    *_samples("card_number", "18446744073709551615", "18446744073709551616"),
]


@pytest.mark.parametrize(
    ("profile", "build"),
    [
        pytest.param(FACE_TERMINAL.profile, _enroll_terminal, id="face_terminal_mqtt"),
        pytest.param(CAMERA.profile, _enroll_terminal, id="camera_mqtt"),
        pytest.param(face_capture_codec.PROFILE, _enroll_capture, id="face_capture_http"),
        pytest.param(temperature_codec.PROFILE, _enroll_tablet, id="temperature_http"),
        pytest.param(unv_profile_for(frozenset({"people"})), _enroll_unv, id="unv_lapi"),
    ],
)
def test_the_limits_match_what_each_protocol_refuses(
    profile: DeviceProfile, build: Callable[[Enrollment], object]
) -> None:
    """A person the profile's limits pass is one the protocol sends, and the other way round.

    So a multi-device call refuses up front exactly what the device's protocol would have
    refused after the others were already told.
    """
    limits = profile.person_limits
    assert limits is not None
    for sample in LIMIT_SAMPLES:
        person = {"person_id": "1001", "name": "Ada", "card_number": None, **sample}
        if profile is CAMERA.profile and person["card_number"] is not None:
            continue  # the camera has no card field: its capability decides (no card enrolment)
        try:
            limits.check(person["person_id"], person["name"], person["card_number"])
        except InvalidRequestError:
            passes = False
        else:
            passes = True
        try:
            build(Enrollment(photo_jpeg=b"", **person))
        except InvalidRequestError:
            sent = False
        else:
            sent = True
        assert passes == sent, sample


@pytest.mark.parametrize("person_id", ["", " ", "\t"])
def test_a_blank_person_id_fits_no_device(person_id: str) -> None:
    """No protocol can address a person without an ID."""
    for profile in (FACE_TERMINAL.profile, face_capture_codec.PROFILE, temperature_codec.PROFILE):
        assert profile.person_limits is not None
        with pytest.raises(InvalidRequestError, match="person_id"):
            profile.person_limits.check_id(person_id)


# ---- photo sources: media source and base64 -----------------------------------------------


@pytest.fixture
async def media_folder(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A local media folder with a portrait, served by the media_source integration."""
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "ada.png").write_bytes(make_photo("PNG"))
    (folder / "song.mp3").write_bytes(b"ID3" + b"\0" * 100)
    hass.config.media_dirs = {"local": str(folder)}
    assert await async_setup_component(hass, "media_source", {})
    return folder


@pytest.mark.parametrize(
    "photo_media",
    [
        {
            "media_content_id": "media-source://media_source/local/ada.png",
            "media_content_type": "image/png",
        },
        "media-source://media_source/local/ada.png",
    ],
)
async def test_enroll_from_a_media_source(
    terminal: FakeTerminal, media_folder: Path, photo_media: Any
) -> None:
    """A picture picked in the media browser (or its ID in a script) is the photo."""
    photo = await enrolled_photo(terminal, photo_media=photo_media)

    assert photo.size == (320, 240)


@pytest.mark.parametrize(
    ("media_content_id", "reason"),
    [
        ("media-source://media_source/local/song.mp3", "audio/mpeg is not a picture"),
        ("media-source://media_source/local/nobody.png", ""),
        ("media-source://no_such_source/ada.png", ""),
    ],
)
async def test_enroll_from_a_media_source_that_is_no_photo(
    terminal: FakeTerminal, media_folder: Path, media_content_id: str, reason: str
) -> None:
    """Media that is not a picture, or not there, is refused; nothing is sent."""
    error = await enroll_refused(terminal, "photo_unavailable", photo_media=media_content_id)

    assert reason in str(error)


async def test_enroll_from_a_media_source_on_the_network(
    terminal: FakeTerminal, aioclient_mock: AiohttpClientMocker
) -> None:
    """A media source that resolves to a URL (not a local file) is downloaded."""
    aioclient_mock.get(PHOTO_URL, content=make_photo("JPEG", (640, 480)))
    with patch(
        "homeassistant.components.media_source.async_resolve_media",
        return_value=PlayMedia(PHOTO_URL, "image/jpeg"),
    ):
        photo = await enrolled_photo(terminal, photo_media="media-source://somewhere/ada.jpg")

    assert aioclient_mock.call_count == 1
    assert photo.size == (640, 480)


async def test_a_media_field_that_is_no_media_source(
    hass: HomeAssistant, terminal: FakeTerminal
) -> None:
    """`photo_media` takes only media-source IDs: a file path there is refused."""
    with pytest.raises(vol.Invalid):
        await enroll(hass, ha_device_id(hass), photo_media="/media/ada.png")


def _wrapped(text: str) -> str:
    """Return base64 broken into lines of 76 characters, as mail and many tools write it."""
    return "\n".join(text[start : start + 76] for start in range(0, len(text), 76))


@pytest.mark.parametrize(
    "encode",
    [
        lambda data: base64.b64encode(data).decode(),
        lambda data: "data:image/png;base64," + base64.b64encode(data).decode(),
        lambda data: _wrapped(base64.b64encode(data).decode()),
        lambda data: base64.b64encode(data).decode().rstrip("="),
    ],
    ids=["raw", "data uri", "wrapped", "unpadded"],
)
async def test_enroll_from_base64(terminal: FakeTerminal, encode: Callable[[bytes], str]) -> None:
    """The photo can be given inline as base64, with or without a data: prefix."""
    photo = await enrolled_photo(terminal, photo_base64=encode(make_photo("PNG", (301, 200))))

    assert photo.size == (301, 200)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("this is *not* base64!", "not base64"),
        ("data:image/jpeg;base64,", "empty"),
        ("A" * (28 * 1024 * 1024), "larger than 20 MB"),
    ],
    ids=["garbage", "empty", "too large"],
)
async def test_enroll_from_bad_base64(terminal: FakeTerminal, text: str, reason: str) -> None:
    """Base64 that is no photo's is refused with why; nothing is sent."""
    error = await enroll_refused(terminal, "photo_unavailable", photo_base64=text)

    assert reason in str(error)


async def test_read_photo_without_a_source(hass: HomeAssistant) -> None:
    """The public reader refuses a source that names no photo."""
    with pytest.raises(ServiceValidationError) as err:
        await async_read_photo(hass, {})

    assert err.value.translation_key == "photo_unavailable"


# ---- list_people over several devices ------------------------------------------------------


def _person_list(*people: tuple[str, str]) -> dict[str, Any]:
    """Return a SearchPersonList ack's info listing these (customId, name) people."""
    return {
        "TotalPersonNum": len(people),
        "PersonNum": len(people),
        "List": [
            {"personType": 0, "name": name, "RFIDCard": "0", "customId": person_id}
            for person_id, name in people
        ],
    }


async def test_list_people_on_every_device(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Without device_id every device is asked; each person once, with where they are."""
    terminal = FakeTerminal(hass, mqtt_mock)
    terminal.reply("SearchPersonList", _person_list(("E012", "Ada"), ("E013", "Grace")))
    terminal.reply(
        "SearchPersonList", _person_list(("E012", "Ada"), ("E014", "Edsger")), device_id=OTHER_ID
    )
    first, second = await set_up_terminals(terminal, DEVICE_ID, OTHER_ID)

    response = await call(hass, "list_people", {})

    devices = {person["person_id"]: person["devices"] for person in response["people"]}
    assert devices == {"E012": [first, second], "E013": [first], "E014": [second]}
    ada = next(person for person in response["people"] if person["person_id"] == "E012")
    assert ada["name"] == "Ada"
    assert ada["list"] == "allow"
    assert response["total"] == 3
    assert response["results"] == {
        first: {"status": "listed", "reason": f"People on {TITLE}: 2", "total": 2},
        second: {"status": "listed", "reason": f"People on {OTHER_TITLE}: 2", "total": 2},
    }
    # The same shape when both are named.
    named = await call(hass, "list_people", {"device_id": [first, second]})
    assert named == response


async def test_list_people_with_a_silent_device(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A device that does not answer is reported; the others' people still come back."""
    terminal = FakeTerminal(hass, mqtt_mock)
    terminal.reply("SearchPersonList", _person_list(("E012", "Ada")))
    terminal.silence("SearchPersonList", device_id=OTHER_ID)
    first, second = await set_up_terminals(
        terminal, DEVICE_ID, OTHER_ID, command_timeout=SILENT_TIMEOUT
    )

    response = await call(hass, "list_people", {})

    assert [person["person_id"] for person in response["people"]] == ["E012"]
    assert response["results"][first]["status"] == "listed"
    assert response["results"][second]["status"] == "failed"
    assert response["results"][second]["reason"].startswith(f"{OTHER_TITLE} did not answer")


async def test_list_people_when_every_device_is_silent(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Only when no device answered does the call fail, naming each."""
    terminal = FakeTerminal(hass, mqtt_mock)
    terminal.silence("SearchPersonList")
    await set_up_terminals(terminal, DEVICE_ID, OTHER_ID, command_timeout=SILENT_TIMEOUT)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "list_people", {})

    assert err.value.translation_key == "all_targets_failed"
    assert f"{TITLE} did not answer" in str(err.value)
    assert f"{OTHER_TITLE} did not answer" in str(err.value)


async def test_list_people_without_devices(hass: HomeAssistant) -> None:
    """With no device that can list people, the call says so."""
    assert await async_setup_component(hass, DOMAIN, {})

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "list_people", {})

    assert err.value.translation_key == "no_listing_devices"


async def test_list_people_skips_devices_that_cannot_list(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """A device whose protocol cannot list people is left out of "every device"."""
    await setup_entry(hass, terminal_entry(OTHER_ID))
    remove_capability(hass, OTHER_ID, Capability.LIST_PEOPLE)

    response = await call(hass, "list_people", {})

    assert list(response["results"]) == [ha_device_id(hass)]


# ---- entities: the tablet's access event types, the connectivity sensor's translation ------


async def test_the_tablet_does_not_offer_denied(hass: HomeAssistant) -> None:
    """The tablet reports recognitions and strangers only, so `denied` is not offered."""
    entry = tablet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    access = hass.states.get(f"event.temperature_tablet_{CID}_access")
    assert access is not None

    assert access.attributes["event_types"] == ["recognized", "stranger"]
    device = next(iter(dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)))
    assert "denied" not in device_event_types(hass, device.id)
    assert "recognized" in device_event_types(hass, device.id)


async def test_the_connectivity_sensor_is_translated(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, terminal: FakeTerminal
) -> None:
    """The online sensor has its own translation key (and keeps its entity ID)."""
    entity = er.async_get(hass).async_get(f"binary_sensor.face_terminal_{DEVICE_ID}_connectivity")

    assert entity is not None
    assert entity.translation_key == "online"
    assert entity.original_name == "Connectivity"


# ---- not_found over real sockets, against the simulated terminal ---------------------------


@pytest.fixture
async def simulated_terminal(
    hass: HomeAssistant, mqtt_connected: None, broker: Broker
) -> AsyncIterator[FaceTerminalSimulator]:
    """The simulated face terminal (short timers) on the real broker, added through the flow.

    Ready once Home Assistant has answered its `Online`.
    """
    with running(quick_simulator(FaceTerminalSimulator, broker, DEVICE_ID)) as simulator:
        await add_through_the_flow(hass, "face_terminal_mqtt", DEVICE_ID)
        await wait_until(lambda: simulator.online_acked)
        yield simulator


async def test_deleting_people_the_terminal_does_not_have(
    hass: HomeAssistant, simulated_terminal: FaceTerminalSimulator, tmp_path: Path
) -> None:
    """The terminal's own "can't find" answers become `not_found`; a real deletion `deleted`."""
    device = ha_device_id(hass)
    photo = tmp_path / "ada.jpg"
    photo.write_bytes(make_photo("JPEG", (480, 640)))
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    await enroll(hass, device, photo_path=str(photo))
    assert "E012" in simulated_terminal.persons

    unknown = await call(hass, "delete_person", {"device_id": device, "person_id": "E099"})
    several = await call(
        hass, "delete_person", {"device_id": device, "person_id": ["E098", "E099"]}
    )
    known = await call(hass, "delete_person", {"device_id": device, "person_id": "E012"})

    assert unknown["results"][device]["status"] == "not_found"
    assert unknown["results"][device]["reason"] == f"{TITLE} did not have the person to delete"
    assert several["results"][device]["status"] == "not_found"
    assert known["results"][device]["status"] == "deleted"
    assert "E012" not in simulated_terminal.persons
