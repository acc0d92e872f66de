"""Tests of the automation blueprints in blueprints/automation/face_access/.

Each blueprint is loaded by Home Assistant's own blueprint machinery from a test
configuration directory, an automation is made from it with `use_blueprint`, and device
records travel the integration's real path (MQTT message -> protocol client ->
coordinator -> event entity) to start it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from http import HTTPStatus
import io
import json
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceCall, State
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, slugify
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from tests.common import (
    DEVICE_ID,
    PREFIX,
    FakeTerminal,
    data_uri,
    fire,
    make_image,
    rec_push,
    settle,
    setup_entry,
    str_snap_push,
    wait_for_mqtt,
)
from tests.test_entities import entity_id

REPO = Path(__file__).resolve().parent.parent
BLUEPRINT_DIR = REPO / "blueprints" / "automation" / "face_access"
DOCUMENTATION = json.loads((REPO / "custom_components/face_access/manifest.json").read_text())[
    "documentation"
]
"""The integration's home page, where "Import blueprint" fetches the blueprints from."""
MINIMUM_HA = json.loads((REPO / "hacs.json").read_text())["homeassistant"]
"""The oldest Home Assistant the integration supports."""
FILES = sorted(path.name for path in BLUEPRINT_DIR.glob("*.yaml"))

STRANGER = "stranger_notification.yaml"
FEVER = "high_temperature_alert.yaml"
RECOGNIZED = "person_recognized_action.yaml"

REC_TOPIC = f"{PREFIX}/{DEVICE_ID}/Rec"
SNAP_TOPIC = f"{PREFIX}/{DEVICE_ID}/Snap"
BASIC_TOPIC = f"{PREFIX}/basic"
HEARTBEAT_TOPIC = f"{PREFIX}/heartbeat"

DEVICE_NAME = "Face terminal 1305433"
"""The device's name in Home Assistant (its config entry's title)."""
NOTIFY = "mobile_app_phone"
ID_CARD = "421381199504030001"
"""The ID-card number every `rec_push` carries; no notification may contain it."""
LONG_AGO = "2026-01-02 03:04:05"
"""A record time old enough for the integration to flag the record `historical`."""
STRANGER_PICTURE = (40, 30)
"""The size of the stranger's picture (the other records' pictures are 64x48)."""


@pytest.fixture
def blueprint_config(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Install the blueprints where users copy them: <config>/blueprints/automation/face_access."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "face_access"
    shutil.copytree(BLUEPRINT_DIR, target)
    return target


@pytest.fixture
async def terminal(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, blueprint_config: Path
) -> MockConfigEntry:
    """A face terminal that answers every command, set up and online; blueprints installed."""
    FakeTerminal(hass, mqtt_mock)
    return await setup_entry(hass)


@pytest.fixture
def notify_calls(hass: HomeAssistant) -> list[ServiceCall]:
    """The calls of the phone's notify action."""
    calls: list[ServiceCall] = async_mock_service(hass, "notify", NOTIFY)
    return calls


async def use_blueprint(hass: HomeAssistant, file: str, **inputs: Any) -> str:
    """Create an automation from a blueprint with `use_blueprint`; return its entity id.

    The automation must come up enabled: one that fails validation is unavailable.
    """
    alias = f"{file.removesuffix('.yaml')} test"
    config = {
        "automation": [
            {"alias": alias, "use_blueprint": {"path": f"face_access/{file}", "input": inputs}}
        ]
    }
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    automation = f"automation.{slugify(alias)}"
    current = hass.states.get(automation)
    assert current is not None
    assert current.state == STATE_ON, current
    return automation


async def send(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory | None,
    topic: str,
    message: dict[str, Any],
    *,
    finish: bool = True,
) -> None:
    """Deliver a device message a second after the previous one.

    An event entity's state is the time of its event, so two events in one (frozen)
    millisecond would look like one (without a frozen clock, real time passes between
    messages anyway). With `finish` everything the message started ends
    first; without it, only what runs at once: an automation that waits or delays stays
    in the middle, since the frozen clock moves only when `later` moves it.
    """
    if freezer is not None:
        freezer.tick(timedelta(seconds=1))
    fire(hass, topic, message)
    if finish:
        await settle(hass)
    else:
        await spin()


async def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move the frozen clock on and run what was due by then (not waiting for the rest)."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await spin()


async def spin(rounds: int = 50) -> None:
    """Let the event loop run a few rounds without waiting for running automations to end."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def clock() -> str:
    """Return the local time now as the blueprints write it in messages."""
    return dt_util.as_local(dt_util.utcnow()).strftime("%H:%M:%S")


def picture_url(hass: HomeAssistant) -> str:
    """Return the address of the device's last picture, as the phone fetches it."""
    return f"/api/image_proxy/{entity_id(hass, 'image', 'last_capture')}"


def only(calls: Sequence[ServiceCall]) -> dict[str, Any]:
    """Return the data of the one call made."""
    assert len(calls) == 1, calls
    return dict(calls[0].data)


# ---- every blueprint ----------------------------------------------------------------------


def test_the_three_blueprints_are_there() -> None:
    """The repository ships the three blueprints the README documents."""
    assert sorted([STRANGER, FEVER, RECOGNIZED]) == FILES


def _sample(selector: dict[str, Any]) -> Any:
    """Return a value a user could give an input with this selector."""
    if "entity" in selector:
        return ["event.face_terminal_1305433_access"]
    if "action" in selector:
        return [{"action": "test.something"}]
    raise AssertionError(f"no sample for required input with selector {selector}")


@pytest.mark.usefixtures("blueprint_config")
@pytest.mark.parametrize("file", FILES)
async def test_blueprint_is_valid(hass: HomeAssistant, file: str) -> None:
    """Home Assistant loads each blueprint, and an automation made from it validates.

    The blueprint passes the automation blueprint schema (selectors included), declares
    every input it uses, supports the oldest Home Assistant the integration runs on, lets
    users pick a Face Access event entity, and points at its own file in the repository
    (the address "Import blueprint" and re-imports use).
    """
    blueprint = await async_get_blueprints(hass).async_get_blueprint(f"face_access/{file}")

    assert isinstance(blueprint, Blueprint)
    assert blueprint.domain == "automation"
    assert blueprint.validate() is None
    assert blueprint.metadata["homeassistant"]["min_version"] == MINIMUM_HA
    assert blueprint.metadata["source_url"] == (
        f"{DOCUMENTATION}/blob/main/blueprints/automation/face_access/{file}"
    )
    for key, spec in blueprint.inputs.items():
        assert spec, key
        assert spec["name"], key
        assert spec["selector"], key
    event_inputs = [
        key
        for key, spec in blueprint.inputs.items()
        if spec
        for item in spec.get("selector", {}).get("entity", {}).get("filter", [])
        if item.get("integration") == "face_access" and item.get("domain") in ("event", ["event"])
    ]
    assert len(event_inputs) == 1
    include_historical = blueprint.inputs["include_historical"]
    assert include_historical["default"] is False
    assert "boolean" in include_historical["selector"]

    required = {
        key: _sample(spec["selector"])
        for key, spec in blueprint.inputs.items()
        if "default" not in spec
    }
    await use_blueprint(hass, file, **required)


# ---- stranger at the door -----------------------------------------------------------------


async def stranger_automation(hass: HomeAssistant, **inputs: Any) -> str:
    """Create the stranger automation, notifying the phone, for the device's Access events."""
    return await use_blueprint(
        hass,
        STRANGER,
        access_event=[entity_id(hass, "event", "access")],
        notify_action=f"notify.{NOTIFY}",
        **inputs,
    )


@pytest.mark.usefixtures("terminal")
async def test_stranger_sends_a_notification_with_the_picture(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    notify_calls: list[ServiceCall],
) -> None:
    """A stranger sends one notification naming the device, with the stranger's picture.

    The picture address is one the phone can fetch, and it serves this stranger's face
    (not the previous record's) to Home Assistant's logged-in clients only. The other
    actions run too, with the same message. (The clock is not frozen here: aiohttp's access
    log cannot format a frozen clock's time.)
    """
    other_calls = async_mock_service(hass, "test", "also")
    await stranger_automation(
        hass, extra_actions=[{"action": "test.also", "data": {"text": "{{ message }}"}}]
    )
    await send(hass, None, REC_TOPIC, rec_push("381"))
    assert notify_calls == []

    await send(
        hass,
        None,
        SNAP_TOPIC,
        str_snap_push("311", temperature="36.9", pic=data_uri(make_image("BMP", STRANGER_PICTURE))),
    )

    message = f"Someone the device does not know was at {DEVICE_NAME} (36.9 °C) at {clock()}."
    assert only(notify_calls) == {
        "title": f"Stranger at {DEVICE_NAME}",
        "message": message,
        "data": {"image": picture_url(hass)},
    }
    assert only(other_calls) == {"text": message}
    response = await (await hass_client()).get(picture_url(hass))
    assert response.status == HTTPStatus.OK
    assert response.content_type == "image/jpeg"
    with Image.open(io.BytesIO(await response.read())) as picture:
        assert picture.size == STRANGER_PICTURE
    anonymous = await (await hass_client_no_auth()).get(picture_url(hass))
    assert anonymous.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    "fields",
    [{}, {"VerifyStatus": "2"}, {"PersonType": "1"}],
    ids=["recognized", "refused", "block-list"],
)
async def test_known_people_send_no_stranger_notification(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    notify_calls: list[ServiceCall],
    fields: dict[str, str],
) -> None:
    """Recognized and refused records (anything but `stranger`) notify nobody."""
    await stranger_automation(hass)

    await send(hass, freezer, REC_TOPIC, rec_push("381", **fields))

    assert notify_calls == []


@pytest.mark.usefixtures("terminal")
async def test_stranger_without_picture_is_not_shown_with_someone_elses(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, notify_calls: list[ServiceCall]
) -> None:
    """A stranger record without a picture waits for one, then notifies without a picture.

    The device's last picture is still the previous (recognized) person's: attaching it
    would show the wrong face.
    """
    await stranger_automation(hass, picture_wait=3)
    await send(hass, freezer, REC_TOPIC, rec_push("381"))
    snap = str_snap_push("311")
    del snap["info"]["pic"]
    del snap["info"]["temperature"]

    await send(hass, freezer, SNAP_TOPIC, snap, finish=False)
    sent_at = clock()
    await later(hass, freezer, 2)
    assert notify_calls == []  # still waiting for a picture
    await later(hass, freezer, 1)
    await settle(hass)

    assert only(notify_calls) == {
        "title": f"Stranger at {DEVICE_NAME}",
        "message": f"Someone the device does not know was at {DEVICE_NAME} at {sent_at}.",
        "data": {},
    }


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("include_historical", [False, True])
async def test_stranger_sent_late(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    notify_calls: list[ServiceCall],
    include_historical: bool,
) -> None:
    """A stranger the device kept while offline notifies only when asked to, without picture.

    The device does not make a late record's picture the last capture, so the
    notification says the record is late and carries no picture rather than a wrong one.
    """
    await stranger_automation(hass, include_historical=include_historical)

    await send(hass, freezer, SNAP_TOPIC, str_snap_push("300", time=LONG_AGO))

    if not include_historical:
        assert notify_calls == []
        return
    assert only(notify_calls) == {
        "title": f"Stranger at {DEVICE_NAME}",
        "message": (
            f"Someone the device does not know was at {DEVICE_NAME} (36.6 °C)."
            f" The device sent this earlier record late, at {clock()}."
        ),
        "data": {},
    }


async def test_coming_back_or_reloading_does_not_repeat_the_notification(
    hass: HomeAssistant,
    terminal: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    notify_calls: list[ServiceCall],
) -> None:
    """The Access entity showing its last event again is not a new stranger.

    Neither the device coming back online nor a reload of the integration (both restore
    the last `stranger` event) notifies again, while the next stranger still does.
    """
    await stranger_automation(hass)
    await send(hass, freezer, SNAP_TOPIC, str_snap_push("311"))
    assert len(notify_calls) == 1

    offline = {"operator": "Offline", "info": {"facesluiceId": DEVICE_ID}}
    await send(hass, freezer, BASIC_TOPIC, offline)
    assert hass.states.is_state(entity_id(hass, "event", "access"), STATE_UNAVAILABLE)
    heartbeat = {"operator": "HeartBeat", "info": {"facesluiceId": DEVICE_ID}}
    await send(hass, freezer, HEARTBEAT_TOPIC, heartbeat)
    assert await wait_for_mqtt(hass, hass.config_entries.async_reload(terminal.entry_id))
    await settle(hass)
    access = hass.states.get(entity_id(hass, "event", "access"))
    assert access is not None
    assert access.attributes["event_type"] == "stranger"
    assert len(notify_calls) == 1

    await send(hass, freezer, SNAP_TOPIC, str_snap_push("312"))
    assert len(notify_calls) == 2


async def test_starting_again_does_not_repeat_the_last_stranger(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    blueprint_config: Path,
    freezer: FrozenDateTimeFactory,
    notify_calls: list[ServiceCall],
) -> None:
    """When Home Assistant starts, the Access entity restores its last `stranger`: no alert.

    The automation is running before the integration adds the entity, as after a restart.
    """
    access = "event.face_terminal_1305433_access"
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(access, "2026-12-01T10:00:00.000+00:00"),
                {
                    "last_event_type": "stranger",
                    "last_event_attributes": {"person_name": None, "historical": False},
                },
            )
        ],
    )
    await use_blueprint(hass, STRANGER, access_event=[access], notify_action=f"notify.{NOTIFY}")
    FakeTerminal(hass, mqtt_mock)
    await setup_entry(hass)
    await settle(hass)
    assert entity_id(hass, "event", "access") == access
    restored = hass.states.get(access)
    assert restored is not None
    assert restored.attributes["event_type"] == "stranger"
    assert notify_calls == []

    await send(hass, freezer, SNAP_TOPIC, str_snap_push("311"))
    assert len(notify_calls) == 1


# ---- high temperature ---------------------------------------------------------------------


async def fever_automation(hass: HomeAssistant, **inputs: Any) -> str:
    """Create the high-temperature automation, notifying the phone, for the Alarm events."""
    return await use_blueprint(
        hass,
        FEVER,
        alarm_event=[entity_id(hass, "event", "alarm")],
        notify_action=f"notify.{NOTIFY}",
        **inputs,
    )


@pytest.mark.usefixtures("terminal")
async def test_high_temperature_notifies_and_sounds_the_sirens(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, notify_calls: list[ServiceCall]
) -> None:
    """A fever turns on the chosen siren and switch and notifies with name, °C and picture.

    The notification never carries the person's ID or ID-card number.
    """
    sirens = async_mock_service(hass, "siren", "turn_on")
    switches = async_mock_service(hass, "switch", "turn_on")
    await fever_automation(hass, sirens=["siren.hall", "switch.buzzer"])

    await send(
        hass,
        freezer,
        REC_TOPIC,
        rec_push("381", temperature="38.2", temperatureAlarm="1", isNoMask="0"),
    )

    assert only(sirens) == {"entity_id": ["siren.hall"]}
    assert only(switches) == {"entity_id": ["switch.buzzer"]}
    notification = only(notify_calls)
    assert notification == {
        "title": f"High temperature at {DEVICE_NAME}",
        "message": f"Ada had a high temperature of 38.2 °C at {DEVICE_NAME} at {clock()}.",
        "data": {"image": picture_url(hass)},
    }
    assert "E012" not in str(notification)
    assert ID_CARD not in str(notification)


@pytest.mark.usefixtures("terminal")
async def test_high_temperature_of_a_stranger(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, notify_calls: list[ServiceCall]
) -> None:
    """A stranger with a fever is reported as someone the device does not know."""
    await fever_automation(hass)

    await send(
        hass, freezer, SNAP_TOPIC, str_snap_push("311", temperature="38.5", temperatureAlarm="1")
    )

    assert only(notify_calls)["message"] == (
        f"Someone the device does not know had a high temperature of 38.5 °C"
        f" at {DEVICE_NAME} at {clock()}."
    )


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("fields", "notifications"),
    [
        ({"temperature": "36.4", "temperatureAlarm": "0", "isNoMask": "1"}, 0),
        ({"temperature": "36.4", "temperatureAlarm": "0", "isNoMask": "0"}, 0),
        ({"temperature": "38.2", "temperatureAlarm": "1", "isNoMask": "1"}, 1),
    ],
    ids=["no-mask-only", "normal", "fever-and-no-mask"],
)
async def test_only_a_high_temperature_alarms(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    notify_calls: list[ServiceCall],
    fields: dict[str, str],
    notifications: int,
) -> None:
    """A bare face alone or a normal temperature sounds nothing; a fever with it alerts once."""
    sirens = async_mock_service(hass, "siren", "turn_on")
    await fever_automation(hass, sirens=["siren.hall"])

    await send(hass, freezer, REC_TOPIC, rec_push("381", **fields))

    assert len(notify_calls) == notifications
    assert len(sirens) == notifications


@pytest.mark.usefixtures("terminal")
async def test_sirens_turn_off_after_the_last_fever(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, notify_calls: list[ServiceCall]
) -> None:
    """With a duration, the sirens go off that long after the last high temperature."""
    on_calls = async_mock_service(hass, "siren", "turn_on")
    off_calls = async_mock_service(hass, "siren", "turn_off")
    await fever_automation(hass, sirens=["siren.hall"], siren_duration=30, picture_wait=0)

    fever = {"temperature": "38.2", "temperatureAlarm": "1"}
    await send(hass, freezer, REC_TOPIC, rec_push("381", **fever), finish=False)  # t = 1
    await later(hass, freezer, 19)
    await send(hass, freezer, REC_TOPIC, rec_push("382", **fever), finish=False)  # t = 21
    assert len(on_calls) == 2
    await later(hass, freezer, 15)  # t = 36: the first fever's time is up, the second's is not
    assert off_calls == []
    await later(hass, freezer, 15)  # t = 51
    await settle(hass)

    assert only(off_calls) == {"entity_id": ["siren.hall"]}
    assert len(notify_calls) == 2


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("include_historical", [False, True])
async def test_high_temperature_sent_late(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    notify_calls: list[ServiceCall],
    include_historical: bool,
) -> None:
    """A fever recorded while the device was offline never sounds the siren.

    It notifies only when records sent late are included, and then says so.
    """
    sirens = async_mock_service(hass, "siren", "turn_on")
    await fever_automation(hass, sirens=["siren.hall"], include_historical=include_historical)

    await send(
        hass,
        freezer,
        REC_TOPIC,
        rec_push("370", temperature="37.9", temperatureAlarm="1", time=LONG_AGO),
    )

    assert sirens == []
    if not include_historical:
        assert notify_calls == []
        return
    assert only(notify_calls) == {
        "title": f"High temperature at {DEVICE_NAME}",
        "message": (
            f"Ada had a high temperature of 37.9 °C at {DEVICE_NAME}."
            f" The device sent this earlier record late, at {clock()}."
        ),
        "data": {},
    }


# ---- person recognized --------------------------------------------------------------------


async def recognized_automation(hass: HomeAssistant, people: list[str], **inputs: Any) -> str:
    """Create the recognized automation: hall light on and a greeting naming person and door."""
    return await use_blueprint(
        hass,
        RECOGNIZED,
        access_event=[entity_id(hass, "event", "access")],
        people=people,
        recognized_actions=[
            {"action": "light.turn_on", "target": {"entity_id": "light.hall"}},
            {
                "action": "test.greet",
                "data": {"who": "{{ person_name }}", "where": "{{ device_name }}"},
            },
        ],
        **inputs,
    )


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("people", "name", "person_id", "greeted"),
    [
        (["ada", " E013 "], "Ada", "E012", True),
        (["ada", " E013 "], "Grace", "E013", True),
        (["ada", " E013 "], "Bob", "E014", False),
        ([], "Bob", "E014", True),
    ],
    ids=["name-any-case", "person-id", "not-listed", "empty-list-is-anyone"],
)
async def test_recognized_person_runs_the_actions(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    people: list[str],
    name: str,
    person_id: str,
    greeted: bool,
) -> None:
    """A listed person (by name, any case, or by ID) turns the light on; others do not."""
    lights = async_mock_service(hass, "light", "turn_on")
    greetings = async_mock_service(hass, "test", "greet")
    await recognized_automation(hass, people)

    await send(hass, freezer, REC_TOPIC, rec_push("381", persionName=name, customId=person_id))

    if not greeted:
        assert lights == []
        assert greetings == []
        return
    assert only(lights) == {"entity_id": ["light.hall"]}
    assert only(greetings) == {"who": name, "where": DEVICE_NAME}


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("topic", "fields"),
    [(SNAP_TOPIC, {}), (REC_TOPIC, {"VerifyStatus": "2"}), (REC_TOPIC, {"PersonType": "1"})],
    ids=["stranger", "refused", "block-list"],
)
async def test_strangers_and_refused_people_run_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, topic: str, fields: dict[str, str]
) -> None:
    """Only `recognized` starts the actions, even with an empty list (anyone)."""
    lights = async_mock_service(hass, "light", "turn_on")
    await recognized_automation(hass, [])
    message = str_snap_push("311") if topic == SNAP_TOPIC else rec_push("384", **fields)

    await send(hass, freezer, topic, message)

    assert lights == []


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("include_historical", [False, True])
async def test_recognized_sent_late(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, include_historical: bool
) -> None:
    """Someone recognized while the device was offline starts nothing unless asked to."""
    lights = async_mock_service(hass, "light", "turn_on")
    greetings = async_mock_service(hass, "test", "greet")
    await recognized_automation(hass, ["Ada"], include_historical=include_historical)

    await send(hass, freezer, REC_TOPIC, rec_push("370", time=LONG_AGO))

    assert len(lights) == int(include_historical)
    assert len(greetings) == int(include_historical)
