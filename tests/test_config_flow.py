"""Tests of the config flow: the protocol menu, MQTT discovery, reconfigure and options."""

from __future__ import annotations

from collections.abc import Generator
import json
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_MQTT, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.face_access.const import (
    CONF_DEVICE_ID,
    CONF_HEARTBEAT_INTERVAL,
    CONF_PROTOCOL,
    CONF_SHOW_NAMES,
    CONF_SYNC_TIME,
    CONF_TOPIC_PREFIX,
    DOMAIN,
)
from custom_components.face_access.protocols.model import (
    DeviceInfo,
    DeviceRefusedError,
    DeviceTimeoutError,
)
from tests.common import (
    DEVICE_ID,
    FIRMWARE,
    PREFIX,
    FakeTerminal,
    online,
    published,
    terminal_entry,
    wait_for_mqtt,
)

PROBE = "custom_components.face_access.registry_hfsecurity_mqtt.async_probe_mqtt_device"


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep created entries from setting up (the flow is under test, not the setup)."""
    with (
        patch("custom_components.face_access.async_setup_entry", return_value=True) as setup,
        patch("custom_components.face_access.async_unload_entry", return_value=True),
    ):
        yield setup


@pytest.fixture
def mock_probe() -> Generator[AsyncMock]:
    """Make the device answer the flow's check."""
    with patch(PROBE, return_value=DeviceInfo(firmware=FIRMWARE)) as probe:
        yield probe


def discovery(message: dict[str, Any] | str, topic: str = f"{PREFIX}/basic") -> MqttServiceInfo:
    """Return what the MQTT integration hands a flow for a message on the manifest's topic."""
    payload = message if isinstance(message, str) else json.dumps(message)
    return MqttServiceInfo(
        topic=topic,
        payload=payload,
        qos=0,
        retain=False,
        subscribed_topic=f"{PREFIX}/basic",
        timestamp=0,
    )


async def _start_terminal_step(hass: HomeAssistant) -> dict[str, Any]:
    """Open the menu and pick the face terminal."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "face_terminal_mqtt"}
    )


async def test_user_menu_offers_the_implemented_protocols(hass: HomeAssistant) -> None:
    """The first step is a menu of the five protocols, then People (the roster)."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == [
        "face_terminal_mqtt",
        "camera_mqtt",
        "face_capture_http",
        "temperature_http",
        "unv_lapi",
        "people",
    ]


@pytest.mark.usefixtures("mqtt_mock")
async def test_face_terminal_creates_the_entry(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, mock_probe: AsyncMock
) -> None:
    """A device that answers is added with its ID as unique id; spaces and slashes go."""
    result = await _start_terminal_step(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "face_terminal_mqtt"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_DEVICE_ID: f" {DEVICE_ID} ", CONF_TOPIC_PREFIX: " /mqtt/face/ "},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Face terminal {DEVICE_ID}"
    assert result["data"] == {
        CONF_PROTOCOL: "face_terminal_mqtt",
        CONF_DEVICE_ID: DEVICE_ID,
        CONF_TOPIC_PREFIX: PREFIX,
    }
    assert result["result"].unique_id == DEVICE_ID
    mock_probe.assert_awaited_once_with(hass, "face_terminal_mqtt", DEVICE_ID, PREFIX)
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.usefixtures("mqtt_mock")
@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (DeviceTimeoutError("no answer to Versions"), "no_answer"),
        (DeviceRefusedError("refused", "460"), "cannot_connect"),
        (RuntimeError("boom"), "unknown"),
    ],
)
async def test_face_terminal_errors_then_recovers(
    hass: HomeAssistant,
    mock_setup_entry: AsyncMock,
    error: Exception,
    reason: str,
) -> None:
    """A device that does not answer, refuses, or breaks the check shows an error; retry works."""
    result = await _start_terminal_step(hass)
    user_input = {CONF_DEVICE_ID: DEVICE_ID, CONF_TOPIC_PREFIX: PREFIX}

    with patch(PROBE, side_effect=error):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": reason}
    assert not hass.config_entries.async_entries(DOMAIN)

    with patch(PROBE, return_value=DeviceInfo()):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DEVICE_ID] == DEVICE_ID


@pytest.mark.usefixtures("mqtt_mock", "mock_setup_entry")
async def test_face_terminal_asks_the_device_over_mqtt(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Without patching the probe: the flow sends `Versions` and accepts the device's answer."""
    FakeTerminal(hass, mqtt_mock)
    result = await _start_terminal_step(hass)

    result = await wait_for_mqtt(
        hass,
        hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_DEVICE_ID: DEVICE_ID, CONF_TOPIC_PREFIX: PREFIX}
        ),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    (versions,) = published(mqtt_mock, "Versions")
    assert versions["_topic"] == f"{PREFIX}/{DEVICE_ID}"
    assert versions["_retain"] is False


@pytest.mark.usefixtures("mqtt_mock", "mock_setup_entry")
async def test_face_terminal_refusal_over_mqtt(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A device that answers `Versions` with a failure is reported as `cannot_connect`."""
    FakeTerminal(hass, mqtt_mock).refuse("Versions", "busy")
    result = await _start_terminal_step(hass)

    result = await wait_for_mqtt(
        hass,
        hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_DEVICE_ID: DEVICE_ID, CONF_TOPIC_PREFIX: PREFIX}
        ),
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


@pytest.mark.usefixtures("mqtt_mock")
async def test_face_terminal_already_configured(hass: HomeAssistant, mock_probe: AsyncMock) -> None:
    """The same device cannot be added twice, and it is not even asked."""
    terminal_entry().add_to_hass(hass)
    result = await _start_terminal_step(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE_ID: DEVICE_ID, CONF_TOPIC_PREFIX: PREFIX}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    mock_probe.assert_not_awaited()


async def test_face_terminal_needs_mqtt(hass: HomeAssistant) -> None:
    """Without the MQTT integration the flow stops with an explanation."""
    result = await _start_terminal_step(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_discovery_creates_the_entry(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """An `Online` on the shared topic offers the device; confirming adds it."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=discovery(online())
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {
        "name": f"Face1 ({DEVICE_ID})",
        "topic": PREFIX,
    }
    (progress,) = hass.config_entries.flow.async_progress()
    assert progress["context"]["title_placeholders"] == {"name": "Face1"}
    assert progress["context"]["unique_id"] == DEVICE_ID

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Face terminal {DEVICE_ID}"
    assert result["data"] == {
        CONF_PROTOCOL: "face_terminal_mqtt",
        CONF_DEVICE_ID: DEVICE_ID,
        CONF_TOPIC_PREFIX: PREFIX,
    }
    assert result["result"].unique_id == DEVICE_ID
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.usefixtures("mqtt_mock")
async def test_adding_by_hand_a_device_that_is_being_discovered(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, mock_probe: AsyncMock
) -> None:
    """A discovery waiting for confirmation does not stop the user adding the device by
    hand; once it is added, the discovery is gone."""
    await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=discovery(online())
    )
    result = await _start_terminal_step(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE_ID: DEVICE_ID, CONF_TOPIC_PREFIX: PREFIX}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert hass.config_entries.flow.async_progress() == []


async def test_discovery_of_an_unnamed_device_on_another_prefix(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """The topic prefix comes from the topic; a device without a name shows its ID.

    Without a factory name, nothing tells a terminal from a camera: the user picks.
    """
    message = online(facesname="")
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_MQTT},
        data=discovery(message, topic="site2/face/basic"),
    )
    assert result["step_id"] == "discovery_pick"
    assert result["description_placeholders"] == {"name": DEVICE_ID, "topic": "site2/face"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROTOCOL: "camera_mqtt"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Camera {DEVICE_ID}"
    assert result["data"] == {
        CONF_PROTOCOL: "camera_mqtt",
        CONF_DEVICE_ID: DEVICE_ID,
        CONF_TOPIC_PREFIX: "site2/face",
    }


async def test_discovery_tells_a_camera_by_its_factory_name(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """A camera announces itself as `IPC<id>` (field notes §3.2): it is added as a camera."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=discovery(online(facesname="IPC1305433"))
    )
    assert result["step_id"] == "discovery_confirm"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PROTOCOL] == "camera_mqtt"
    assert result["title"] == f"Camera {DEVICE_ID}"


@pytest.mark.usefixtures("mqtt_mock")
async def test_camera_creates_the_entry(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, mock_probe: AsyncMock
) -> None:
    """The camera option asks for the same fields and probes with the camera's variant."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "camera_mqtt"}
    )
    assert result["step_id"] == "camera_mqtt"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE_ID: " 1026700 ", CONF_TOPIC_PREFIX: PREFIX}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Camera 1026700"
    assert result["data"] == {
        CONF_PROTOCOL: "camera_mqtt",
        CONF_DEVICE_ID: "1026700",
        CONF_TOPIC_PREFIX: PREFIX,
    }
    assert mock_probe.call_args.args[1:] == ("camera_mqtt", "1026700", PREFIX)


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps({"operator": "Offline", "info": {"facesluiceId": DEVICE_ID}}),
        json.dumps({"operator": "HeartBeat", "info": {"facesluiceId": DEVICE_ID}}),
        json.dumps({"operator": "Online", "info": {"ip": "172.168.2.202"}}),
        "not json at all",
    ],
    ids=["offline", "heartbeat", "online-without-id", "not-json"],
)
async def test_discovery_ignores_what_is_not_a_device_coming_online(
    hass: HomeAssistant, payload: str
) -> None:
    """Only an `Online` that names a device starts a flow."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=discovery(payload)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_discovery_of_a_configured_device(hass: HomeAssistant) -> None:
    """A device that is already set up is not offered again."""
    terminal_entry().add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=discovery(online())
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_changes_the_topic_and_reloads(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, mock_probe: AsyncMock
) -> None:
    """The topic prefix can change once the device answers there; the entry reloads."""
    entry = terminal_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert len(mock_setup_entry.mock_calls) == 1

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOPIC_PREFIX: "/building/face/"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        CONF_PROTOCOL: "face_terminal_mqtt",
        CONF_DEVICE_ID: DEVICE_ID,
        CONF_TOPIC_PREFIX: "building/face",
    }
    mock_probe.assert_awaited_once_with(hass, "face_terminal_mqtt", DEVICE_ID, "building/face")
    assert len(mock_setup_entry.mock_calls) == 2


async def test_reconfigure_keeps_the_topic_when_the_device_is_silent(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """No answer on the new topic: an error, the entry unchanged; a later answer succeeds."""
    entry = terminal_entry()
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)

    with patch(PROBE, side_effect=DeviceTimeoutError("no answer to Versions")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TOPIC_PREFIX: "wrong/topic"}
        )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_answer"}
    assert entry.data[CONF_TOPIC_PREFIX] == PREFIX

    with patch(PROBE, return_value=DeviceInfo()):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TOPIC_PREFIX: "right/topic"}
        )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_TOPIC_PREFIX] == "right/topic"


def _suggested(result: Any) -> dict[str, Any]:
    """Return the suggested values of a protocol's options form (without the privacy section)."""
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if str(key) != "privacy"
    }


async def test_every_options_form_has_the_privacy_section(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """Names can be left out of the history; the protocol's own options are kept."""
    entry = terminal_entry()
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    privacy = result["data_schema"].schema["privacy"]
    assert privacy.options == {"collapsed": True}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HEARTBEAT_INTERVAL: 45,
            CONF_SYNC_TIME: True,
            "privacy": {CONF_SHOW_NAMES: False},
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_HEARTBEAT_INTERVAL: 45,
        CONF_SYNC_TIME: True,
        CONF_SHOW_NAMES: False,
    }
    # Shown again, the section keeps the choice.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    (field,) = result["data_schema"].schema["privacy"].schema.schema
    assert field.default() is False
    hass.config_entries.options.async_abort(result["flow_id"])


async def test_options_flow_stores_the_options(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """The options show the defaults (30 s, clock on) and store what the user chose."""
    entry = terminal_entry()
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    suggested = _suggested(result)
    assert suggested == {CONF_HEARTBEAT_INTERVAL: 30.0, CONF_SYNC_TIME: True}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HEARTBEAT_INTERVAL: 60, CONF_SYNC_TIME: False}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_HEARTBEAT_INTERVAL: 60,
        CONF_SYNC_TIME: False,
        CONF_SHOW_NAMES: True,
    }

    # Shown again, the form suggests what was stored.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    suggested = _suggested(result)
    assert suggested == {CONF_HEARTBEAT_INTERVAL: 60, CONF_SYNC_TIME: False}
    hass.config_entries.options.async_abort(result["flow_id"])
