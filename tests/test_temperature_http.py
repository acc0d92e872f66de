"""Home Assistant tests of the temperature tablet (temperature_http).

The tablet's POSTs go to Home Assistant's own HTTP application (the webhook component)
through an aiohttp client; `test_e2e_temperature.py` runs the simulated tablet instead.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
import json
from pathlib import Path
import time
from typing import Any

from aiohttp import ClientResponse
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    CONF_WEBHOOK_ID,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access.const import DOMAIN
from tests import test_entities as entities
from tests.common import find_device, make_image, make_photo, settle

CID = "0012b516a202"
WEBHOOK_ID = "tablet-webhook-0123456789"
URL = f"/api/webhook/{WEBHOOK_ID}"
FACE = make_image("JPEG", (40, 40))
BOOT = int(time.time()) - 3600

TABLET_ENTITIES = [
    ("button", "open_door"),
    ("sensor", "body_temperature"),
    ("sensor", "last_person"),
    ("binary_sensor", "mask"),
    ("binary_sensor", "online"),
    ("camera", "snapshot"),
    ("image", "last_capture"),
    ("event", "access"),
    ("event", "alarm"),
]


def tablet_entry(**options: Any) -> MockConfigEntry:
    """Return the config entry the flow creates for tablet CID."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Temperature tablet {CID}",
        unique_id=CID,
        data={"protocol": "temperature_http", "device_id": CID, CONF_WEBHOOK_ID: WEBHOOK_ID},
        options=options,
    )


def entity_id(hass: HomeAssistant, platform: str, key: str) -> str:
    """Return the entity id of the tablet's entity with contract key `key`."""
    return entities.entity_id(hass, platform, key, CID)


def state(hass: HomeAssistant, platform: str, key: str) -> State:
    """Return the state of the tablet's entity with contract key `key`."""
    return entities.state(hass, platform, key, CID)


def heartbeat(seq: int | None = None, uptime: int = BOOT) -> dict[str, Any]:
    """Return a `type` 3 heartbeat (§2): `seq` is the send time unless a command's."""
    now = int(time.time())
    return {"app_version": "1.0.1.1", "cid": CID, "seq": seq or now, "uptime": uptime, "type": 3}


def record(**result: Any) -> dict[str, Any]:
    """Return a `type` 1 record (§4) of now, nested in `result` as the document's example."""
    fields = {
        "person_id": "1001",
        "person_name": "Ada Lovelace",
        "age": 0,
        "sex": " female",
        "confidence": 0.93,
        "person_type": 1,
        "temperature": 36.6,
        "facemask": 1,
    }
    fields.update(result)
    return {
        "cid": CID,
        "type": 1,
        "time": int(time.time()),
        "faces": [base64.b64encode(FACE).decode()],
        "result": fields,
    }


class Tablet:
    """Posts to the tablet's webhook through Home Assistant's HTTP application."""

    def __init__(self, hass: HomeAssistant, client: Any) -> None:
        self.hass = hass
        self.client = client

    # While a service call waits for the tablet, settling (which waits for every Home
    # Assistant task) would wait for the call too: tests of waiting calls set this false.
    settle_after_post = True

    async def post(self, body: dict[str, Any] | str | bytes, **kwargs: Any) -> ClientResponse:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response: ClientResponse = await self.client.post(URL, data=data, **kwargs)
        await response.read()
        if self.settle_after_post:
            await settle(self.hass)
        return response

    async def heartbeat(self, seq: int | None = None) -> dict[str, Any] | None:
        """Post a heartbeat; return the command in its reply.

        The upload check's retransmission query (asked once after set-up) is answered as a
        tablet with retransmission on would, and the heartbeat sent again, so tests see the
        commands they are about.
        """
        response = await self.post(heartbeat(seq))
        assert response.status == 200
        body = await response.read()
        command = json.loads(body) if body else None
        if command is not None and command.get("reupload", {}).get("type") == 2:
            await self.post(
                {
                    "cid": CID,
                    "type": 8,
                    "time": 1,
                    "reupload": {"mode": 2, "reupload_time": "00:00:00", "recordes_num": 0},
                }
            )
            return await self.heartbeat(seq)
        return command

    async def greet(self) -> None:
        """Connect: the hello asks for the config, which the tablet sends; then the clock."""
        hello = await self.heartbeat()
        assert hello is not None
        assert hello["config"] == {"opType": 1}
        await self.post(
            {"cid": CID, "type": 10, "time": 1, "config": {"temperature": {"high_threshold": 37.3}}}
        )
        assert "time_set" in (await self.heartbeat() or {})


@pytest.fixture
async def tablet(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, socket_enabled: None
) -> Tablet:
    """The tablet's entry, set up, and a way to post as the tablet."""
    entry = tablet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return Tablet(hass, await hass_client_no_auth())


def fired(events: list[Event], key: str) -> list[State]:
    """Return the new states of the tablet's event entity `key`, one per fired event."""
    return [
        event.data["new_state"]
        for event in events
        if event.data["entity_id"] == f"event.temperature_tablet_{CID}_{key}"
        and event.data["new_state"] is not None
        and event.data["new_state"].state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
    ]


# ---- config flow ---------------------------------------------------------------------------


async def test_the_flow_creates_a_webhook_and_shows_the_address(hass: HomeAssistant) -> None:
    """The tablet is entered by its cid; the closing dialog names server, path and port."""
    await async_process_ha_core_config(hass, {"internal_url": "http://192.168.1.10:8123"})
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "temperature_http"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "temperature_http"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"device_id": f" {CID} ", "name": "Lobby tablet"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Lobby tablet"
    data = result["data"]
    assert data["protocol"] == "temperature_http"
    assert data["device_id"] == CID
    assert len(data[CONF_WEBHOOK_ID]) >= 32  # unguessable: it is the tablet's only secret
    assert result["result"].unique_id == CID
    assert result["description"] == "temperature_http"
    assert result["description_placeholders"] == {
        "server": "192.168.1.10",
        "path": f"/api/webhook/{data[CONF_WEBHOOK_ID]}",
        "port": "8123",
        "url": f"http://192.168.1.10:8123/api/webhook/{data[CONF_WEBHOOK_ID]}",
    }


async def test_the_flow_refuses_a_blank_cid_and_a_second_entry(hass: HomeAssistant) -> None:
    """A cid is required; the same tablet cannot be added twice."""
    tablet_entry().add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "temperature_http"}
    )

    blank = await hass.config_entries.flow.async_configure(result["flow_id"], {"device_id": "  "})
    assert blank["errors"] == {"device_id": "invalid_cid"}
    again = await hass.config_entries.flow.async_configure(result["flow_id"], {"device_id": CID})
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"


async def test_reconfigure_shows_the_address(hass: HomeAssistant, tablet: Tablet) -> None:
    """A tablet has nothing to change; reconfigure tells where it must post."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]

    result = await entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "tablet_address"
    assert result["description_placeholders"]["path"] == URL


async def test_options_pin_the_source_address(hass: HomeAssistant, tablet: Tablet) -> None:
    """With the source-IP option, posts from another address are refused and change nothing."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "tablet"
    bad = await hass.config_entries.options.async_configure(
        result["flow_id"], {"heartbeat_interval": 3, "sync_time": True, "source_ip": "tablet"}
    )
    assert bad["errors"] == {"source_ip": "invalid_ip"}

    done = await hass.config_entries.options.async_configure(
        result["flow_id"], {"heartbeat_interval": 3, "sync_time": False, "source_ip": "192.0.2.5"}
    )
    await hass.async_block_till_done()
    assert done["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["source_ip"] == "192.0.2.5"
    assert entry.state is ConfigEntryState.LOADED

    response = await tablet.post(heartbeat())
    assert response.status == 403
    assert state(hass, "binary_sensor", "online").state == STATE_OFF


# ---- entities and ingress ------------------------------------------------------------------


async def test_entities_exist_and_wait_for_the_first_heartbeat(
    hass: HomeAssistant, tablet: Tablet
) -> None:
    """Every entity the tablet can feed exists; until a heartbeat it is disconnected."""
    for platform, key in TABLET_ENTITIES:
        entity_id(hass, platform, key)
    registry = er.async_get(hass)
    for platform, key in (("event", "credential"), ("event", "analytics")):
        assert registry.async_get_entity_id(platform, DOMAIN, f"{CID}_{key}") is None
    assert state(hass, "event", "alarm").attributes["event_types"] == [
        "high_temperature",
        "no_mask",
        "door_alarm",
    ]
    assert state(hass, "binary_sensor", "online").state == STATE_OFF
    assert state(hass, "sensor", "last_person").state == STATE_UNAVAILABLE

    hello = await tablet.heartbeat()

    assert hello is not None
    assert hello["time_interval"] == 5
    assert state(hass, "binary_sensor", "online").state == STATE_ON
    device = find_device(hass, CID)
    assert device is not None
    assert device.sw_version == "1.0.1.1"
    assert device.configuration_url == "http://127.0.0.1"


async def test_a_record_updates_the_entities_and_fires_once(
    hass: HomeAssistant, tablet: Tablet, hass_client: ClientSessionGenerator
) -> None:
    """A recognition sets person, temperature, mask and picture; its re-send fires nothing."""
    events = async_capture_events(hass, "state_changed")
    await tablet.greet()
    body = record(temperature=36.6)

    first = await tablet.post(body)
    second = await tablet.post(body)

    assert (first.status, second.status) == (200, 200)
    assert state(hass, "sensor", "last_person").state == "Ada Lovelace"
    assert state(hass, "sensor", "body_temperature").state == "36.6"
    assert state(hass, "binary_sensor", "mask").state == STATE_ON
    access = fired(events, "access")
    assert len(access) == 1
    assert access[0].attributes["event_type"] == "recognized"
    assert access[0].attributes["similarity"] == 93.0
    assert access[0].attributes["historical"] is False
    assert fired(events, "alarm") == []
    client = await hass_client()
    image = await client.get(f"/api/image_proxy/{entity_id(hass, 'image', 'last_capture')}")
    assert image.status == 200
    assert (await image.read()) == FACE


async def test_strangers_fever_no_mask_and_the_door_sensor_raise_alarms(
    hass: HomeAssistant, tablet: Tablet
) -> None:
    """Against the tablet's threshold (config query), without a mask, and from §13."""
    events = async_capture_events(hass, "state_changed")
    await tablet.greet()

    await tablet.post(
        record(
            person_type=0, person_id="", person_name="", confidence=0, temperature=37.9, facemask=0
        )
    )
    await tablet.post(
        {"alarm": {"seq": 7, "time": int(time.time()), "alarmtype": 1, "alarmdata": ""}}
    )

    assert [s.attributes["event_type"] for s in fired(events, "access")] == ["stranger"]
    assert [s.attributes["event_type"] for s in fired(events, "alarm")] == [
        "high_temperature",
        "no_mask",
        "door_alarm",
    ]
    assert state(hass, "sensor", "last_person").state != "Ada Lovelace"
    assert state(hass, "sensor", "body_temperature").state == "37.9"


async def test_a_retransmitted_record_is_historical(hass: HomeAssistant, tablet: Tablet) -> None:
    """§6: a record re-sent later keeps its time; it fires once, as historical."""
    events = async_capture_events(hass, "state_changed")
    await tablet.greet()
    old = record()
    old["time"] -= 600

    await tablet.post(old)

    (access,) = fired(events, "access")
    assert access.attributes["historical"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"cid": "0012b516a202", "type": 3', 400),
        (b"[]", 400),
        (json.dumps({**heartbeat(), "cid": "another"}).encode(), 403),
        (b"x" * (4 * 1024 * 1024 + 1), 413),
    ],
)
async def test_bad_posts_get_an_error_and_change_nothing(
    hass: HomeAssistant, tablet: Tablet, body: bytes, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Malformed (400), another tablet's cid (403) and oversize bodies (413)."""
    response = await tablet.post(body)

    assert response.status == status
    assert state(hass, "binary_sensor", "online").state == STATE_OFF
    assert any("Refused a POST" in message for message in caplog.messages)


async def test_other_methods_are_not_allowed(hass: HomeAssistant, tablet: Tablet) -> None:
    """The tablet only POSTs; the webhook takes nothing else."""
    response = await tablet.client.put(URL, data="{}")

    assert response.status == 405


# ---- services ------------------------------------------------------------------------------


async def test_enrolment_is_pending_until_the_tablet_confirms(
    hass: HomeAssistant, tablet: Tablet, tmp_path: Path
) -> None:
    """Offline: `pending` at once. The next heartbeat takes the command (with the photo as
    JPEG base64 and the card), and the one after confirms it."""
    photo = tmp_path / "ada.jpg"
    photo.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    device = find_device(hass, CID)
    assert device is not None

    response = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {
            "device_id": device.id,
            "person_id": "1001",
            "name": "Ada",
            "photo_path": str(photo),
            "card_number": "8899",
        },
        blocking=True,
        return_response=True,
    )
    assert response == {
        "results": {
            device.id: {
                "status": "pending",
                "reason": f"Temperature tablet {CID} has not confirmed yet; the command waits "
                "for its next contact",
                "message": "queued; the tablet is offline and gets it at its next heartbeat",
            }
        }
    }

    await tablet.greet()
    command = await tablet.heartbeat()
    assert command is not None
    face = command["facelib_manage"]["face"]
    assert (face["id"], face["name"], face["cardNo"]) == ("1001", "Ada", "8899")
    assert base64.b64decode(face["image"][0])[:3] == b"\xff\xd8\xff"
    assert await tablet.heartbeat(seq=command["facelib_manage"]["seq"]) is None


async def test_a_door_press_waits_for_the_type_12(hass: HomeAssistant, tablet: Tablet) -> None:
    """The button queues `control`; the next heartbeat carries it; `type` 12 confirms."""
    await tablet.greet()
    tablet.settle_after_post = False
    press = hass.async_create_task(
        hass.services.async_call(
            "button",
            "press",
            {"entity_id": entity_id(hass, "button", "open_door")},
            blocking=True,
        )
    )
    for _ in range(5):
        await asyncio.sleep(0)
    command = await tablet.heartbeat()
    assert command is not None
    assert command["control"]["opType"] == 1
    assert not press.done()

    await tablet.post(
        {
            "cid": CID,
            "type": 12,
            "time": 1,
            "control": {"seq": command["control"]["seq"], "errcode": 0},
        }
    )
    await press


# ---- repairs -------------------------------------------------------------------------------


async def test_a_tablet_that_never_calls_gets_a_repair_issue(
    hass: HomeAssistant, tablet: Tablet, freezer: FrozenDateTimeFactory
) -> None:
    """Ten minutes after set-up without a heartbeat, a repair issue shows the address;
    the first heartbeat removes it."""
    issue_id = f"no_heartbeat_{hass.config_entries.async_entries(DOMAIN)[0].entry_id}"
    registry = ir.async_get(hass)
    freezer.tick(timedelta(minutes=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["path"] == URL

    await tablet.heartbeat()

    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_diagnostics_keep_the_webhook_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    socket_enabled: None,
) -> None:
    """The webhook ID is the tablet's only secret; diagnostics show the queue length only."""
    entry = tablet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    # Before the first client starts Home Assistant's HTTP application, which then takes no
    # more views (Home Assistant 2026.10).
    assert await async_setup_component(hass, "diagnostics", {})
    tablet = Tablet(hass, await hass_client_no_auth())
    await tablet.greet()
    # The upload check's query, asked after the greeting, is taken (and answered) too.
    assert await tablet.heartbeat() is None

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert WEBHOOK_ID not in json.dumps(diagnostics)
    assert diagnostics["queued_commands"] == 0
    assert diagnostics["protocol"] == "temperature_http"
