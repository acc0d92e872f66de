"""The demo's parts that need no running Home Assistant (scripts/demo, the demo package).

The whole demo runs in tests/test_demo_check.py.
"""

from __future__ import annotations

from importlib import metadata
import json
from pathlib import Path
import random
import re
from typing import Any, cast
import uuid
import zoneinfo

from homeassistant.components import onboarding
from homeassistant.components.onboarding import const as onboarding_const
from homeassistant.helpers import config_validation as cv
import pytest
import voluptuous_serialize
import yaml

from custom_components.face_access import person_flow
from custom_components.face_access.ingress import Inbound
from custom_components.face_access.people_entry import normalize_photo
from custom_components.face_access.person_flow import PersonSubentryFlow
from custom_components.face_access.protocols import face_capture_http, temperature_http
from custom_components.face_access.protocols.hfsecurity_mqtt import VARIANTS
from custom_components.face_access.protocols.model import Capability
from custom_components.face_access.protocols.unv_lapi import ALL_FEATURES, profile_for
from custom_components.face_access.registry import PROTOCOLS
from demo import checks, config, dashboard, people, provision
from demo.checks import CheckResult, RunningDevice
from demo.config import INTEGRATION_SOURCE, DemoPaths, DemoState
from demo.devices import DEVICES, SPARE_DEVICES, DemoDevice, menu_option_label
from demo.hass_api import HassClient, JsonObject, WebsocketError, form_defaults
from demo.roster import ROSTER, faces
from simulators.images import sniff_format

IMPLEMENTED_PROTOCOLS = list(PROTOCOLS)
BINDS_A_PORT = pytest.mark.usefixtures("socket_enabled")
"""For tests that build every demo simulator: a device with a server of its own picks a
free port of 127.0.0.1 when built (it binds, then closes, a socket)."""


def test_configuration_yaml_is_local_and_serves_the_frontend(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)
    parsed = yaml.safe_load(config.configuration_yaml(paths, 18123))

    assert parsed["http"] == {"server_host": "127.0.0.1", "server_port": 18123}
    assert "frontend" in parsed
    # No default_config: it would bring integrations that scan or call out of the machine.
    assert "default_config" not in parsed
    core = parsed["homeassistant"]
    assert core["allowlist_external_dirs"] == [str(paths.faces)]
    # Where devices post to (webhooks): the address Home Assistant listens on.
    assert core["internal_url"] == "http://127.0.0.1:18123"
    zoneinfo.ZoneInfo(core["time_zone"])
    assert isinstance(core["latitude"], float)


def test_prepare_config_dir_links_the_working_tree(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path / "cfg")
    config.prepare_config_dir(paths, 8123)
    config.prepare_config_dir(paths, 8124)  # a second start rewrites, keeps the link

    assert paths.integration_link.is_symlink()
    assert paths.integration_link.resolve() == config.INTEGRATION_SOURCE.resolve()
    assert (paths.integration_link / "manifest.json").exists()
    assert paths.faces.is_dir()
    assert "server_port: 8124" in paths.configuration_yaml.read_text(encoding="utf-8")


def test_prepare_config_dir_refuses_to_replace_a_real_directory(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)
    paths.integration_link.mkdir(parents=True)
    with pytest.raises(RuntimeError, match="not the demo's link"):
        config.prepare_config_dir(paths, 8123)


def test_a_new_directory_skips_onboardings_location_step(tmp_path: Path) -> None:
    """The step whose completion adds Google Translate, Met.no and Radio Browser is done."""
    paths = DemoPaths(tmp_path / "cfg")
    config.prepare_config_dir(paths, 8123)

    stored = json.loads(paths.onboarding_store.read_text(encoding="utf-8"))
    # Home Assistant's own store: its key and version, a step it knows.
    assert stored["key"] == onboarding.STORAGE_KEY
    assert stored["version"] == onboarding.STORAGE_VERSION
    assert stored["data"]["done"] == [onboarding_const.STEP_CORE_CONFIG]
    assert set(stored["data"]["done"]) < set(onboarding_const.STEPS)


def test_an_onboarded_directory_keeps_its_onboarding(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)
    paths.onboarding_store.parent.mkdir(parents=True)
    paths.onboarding_store.write_text('{"data": {"done": ["user"]}}', encoding="utf-8")
    assert not config.skip_core_config_step(paths)
    config.prepare_config_dir(paths, 8123)
    assert paths.onboarding_store.read_text(encoding="utf-8") == '{"data": {"done": ["user"]}}'


def test_state_survives_a_restart(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)
    assert DemoState.load(paths) == DemoState()
    DemoState(mqtt_port=18830, dashboard_digest="abc").save(paths)
    assert DemoState.load(paths) == DemoState(mqtt_port=18830, dashboard_digest="abc")
    paths.state_file.write_text("not json", encoding="utf-8")
    assert DemoState.load(paths) == DemoState()


@BINDS_A_PORT
def test_every_implemented_protocol_has_a_demo_device() -> None:
    assert sorted(device.protocol for device in DEVICES) == sorted(IMPLEMENTED_PROTOCOLS)
    assert len({device.device_id for device in DEVICES}) == len(DEVICES)
    capabilities = {
        **{protocol: variant.profile.capabilities for protocol, variant in VARIANTS.items()},
        "temperature_http": temperature_http.PROFILE.capabilities,
        "face_capture_http": face_capture_http.PROFILE.capabilities,
        # What the probe finds on a terminal with the extended paths (the demo's).
        "unv_lapi": profile_for(frozenset(ALL_FEATURES)).capabilities,
    }
    # Whether a device has a door, and whether it posts to a webhook, its simulator says.
    simulators = [device.make_simulator("127.0.0.1", 1) for device in DEVICES]
    assert [simulator.has_door for simulator in simulators] == [
        Capability.OPEN_DOOR in capabilities[device.protocol] for device in DEVICES
    ]
    assert [simulator.posts_to_webhook for simulator in simulators] == [
        PROTOCOLS[device.protocol].inbound is Inbound.WEBHOOK for device in DEVICES
    ]
    assert [simulator.device_id for simulator in simulators] == [
        device.device_id for device in DEVICES
    ]


@BINDS_A_PORT
def test_each_demo_device_form_is_its_config_flow_form() -> None:
    """The form data come from the running simulator and name the step's own fields."""
    steps = json.loads(
        (INTEGRATION_SOURCE / "translations" / "en.json").read_text(encoding="utf-8")
    )["config"]["step"]
    for device in (*DEVICES, *SPARE_DEVICES):
        simulator = device.make_simulator("127.0.0.1", 1)
        form = device.form(simulator)
        assert set(form) <= set(steps[device.protocol]["data"]), device.protocol
        if simulator.address is None:
            assert form["device_id"] == device.device_id
        else:
            assert (form["host"], form["port"]) == simulator.address
    by_protocol = {device.protocol: device for device in DEVICES}
    assert by_protocol["face_terminal_mqtt"].form(
        by_protocol["face_terminal_mqtt"].make_simulator("127.0.0.1", 1)
    ) == {"device_id": "1305433", "topic_prefix": "mqtt/face"}
    assert by_protocol["temperature_http"].form(
        by_protocol["temperature_http"].make_simulator("127.0.0.1", 1)
    ) == {"device_id": "0012b516a202"}
    huaan = by_protocol["face_capture_http"]
    # The entry's title is the integration's, from the serial the terminal answers with.
    assert huaan.title == f"Face capture terminal {huaan.device_id}"
    uniview = by_protocol["unv_lapi"]
    uniview_simulator = uniview.make_simulator("127.0.0.1", 1)
    host, port = uniview_simulator.address
    assert uniview.form(uniview_simulator) == {
        "host": host,
        "port": port,
        "username": "admin",
        "password": "admin",
    }
    assert uniview.title == "Uniview terminal 210235C31L3186000023"
    assert uniview_simulator.device_id == uniview.device_id
    assert SPARE_DEVICES[0].form(SPARE_DEVICES[0].make_simulator("127.0.0.1", 1)) == {
        "device_id": SPARE_DEVICES[0].device_id,
        "topic_prefix": SPARE_DEVICES[0].topic_prefix,
    }


def test_spare_devices_are_left_to_add_by_hand() -> None:
    """The spare terminal waits to be added in the UI, by hand, with the roster on it."""
    assert SPARE_DEVICES
    ids = [device.device_id for device in (*DEVICES, *SPARE_DEVICES)]
    assert len(set(ids)) == len(ids)
    discovery_topics = json.loads(
        (INTEGRATION_SOURCE / "manifest.json").read_text(encoding="utf-8")
    )["mqtt"]
    for spare in SPARE_DEVICES:
        assert spare.protocol in IMPLEMENTED_PROTOCOLS
        # Not discovered: a pending discovery would make the manual flow abort.
        assert f"{spare.topic_prefix}/basic" not in discovery_topics
        simulator = spare.make_simulator("127.0.0.1", 1)
        assert simulator.device_id == spare.device_id
        assert simulator.basic_topic == f"{spare.topic_prefix}/basic"
        assert {person_id: person["name"] for person_id, person in simulator.persons.items()} == {
            person.person_id: person.name for person in ROSTER
        }


def test_menu_option_label_is_what_the_ui_shows() -> None:
    assert menu_option_label("face_terminal_mqtt").startswith("Face terminal over MQTT")
    assert menu_option_label("no_such_protocol") == "no_such_protocol"


async def test_check_spare_running_needs_a_connected_announcing_simulator() -> None:
    spare = SPARE_DEVICES[0]
    running = RunningDevice(spare, spare.make_simulator("127.0.0.1", 1))  # never started
    client = cast("HassClient", None)  # a spare's check never asks Home Assistant
    results = await checks.run_checks(client, [], [running], Path("/nonexistent"), 0.0)
    assert [(result.subject, result.passed) for result in results] == [
        (spare.title, False),
        ("Home Assistant", True),
    ]
    assert "not connected" in results[0].detail


def test_roster_photos_are_jpegs_the_people_entry_keeps() -> None:
    """Each photo the demo uploads is one the *Add person* flow accepts and keeps."""
    for person in ROSTER:
        photo = person.photo()
        assert sniff_format(photo) == "jpeg"
        assert sniff_format(normalize_photo(photo)) == "jpeg"
    assert len({person.person_id for person in ROSTER}) == len(ROSTER)


@BINDS_A_PORT
@pytest.mark.parametrize(
    "device", [*DEVICES, *SPARE_DEVICES], ids=lambda device: f"{device.protocol}-{device.device_id}"
)
def test_activity_describes_each_event(device: DemoDevice) -> None:
    """Each device's events run against its simulator (not connected: nothing is sent)."""
    simulator = device.make_simulator("127.0.0.1", 1)
    for person in ROSTER:
        simulator.add_person(person.person_id, person.name)
    rng = random.Random(6)
    first = simulator.random_recognition(rng, faces())
    assert first.startswith("recognized ")
    descriptions = [simulator.random_activity(rng, faces()) for _ in range(60)]
    assert all(descriptions)
    assert any(text.startswith("recognized ") for text in descriptions)
    assert any(text.startswith("stranger") for text in descriptions)


@BINDS_A_PORT
def test_activity_without_roster_pushes_strangers() -> None:
    for device in DEVICES:
        simulator = device.make_simulator("127.0.0.1", 1)
        assert simulator.random_recognition(random.Random(1), faces()).startswith("stranger")


def test_error_records_are_the_error_lines_of_the_log(tmp_path: Path) -> None:
    log = tmp_path / "home-assistant.log"
    log.write_text(
        "2026-01-01 10:00:00.000 WARNING (MainThread) [custom_components.face_access] slow\n"
        "2026-01-01 10:00:01.000 ERROR (MainThread) [homeassistant] Error doing job\n"
        "Traceback (most recent call last):\n"
        "2026-01-01 in a traceback line ERROR (MainThread) is no record\n"
        "ModuleNotFoundError: No module named 'metno'\n"
        "2026-01-01 10:00:02.000 INFO (MainThread) [homeassistant] ERROR in the message\n"
        "2026-01-01 10:00:03.000 CRITICAL (MainThread) [homeassistant.config_entries] "
        "Error setting up entry Face terminal 1 for face_access\n",
        encoding="utf-8",
    )
    found = checks.error_records(log)
    assert [record[:23] for record in found] == [
        "2026-01-01 10:00:01.000",
        "2026-01-01 10:00:03.000",
    ]
    # With its traceback, up to the next record.
    assert found[0].splitlines()[-1] == "ModuleNotFoundError: No module named 'metno'"
    assert checks.error_records(tmp_path / "missing.log") == []


def test_summary_never_reads_as_a_test_runner_line() -> None:
    passed = CheckResult("Face terminal 1", "online", True, "on")
    failed = CheckResult("Face terminal 1", "open door", False, "no Unlock")
    text = checks.summary([passed, failed])
    assert "  PASS  Face terminal 1: online — on" in text
    assert "  FAIL  Face terminal 1: open door — no Unlock" in text
    assert text.splitlines()[-1] == "FAIL: 1 of 2 checks failed"
    assert checks.summary([passed]).splitlines()[-1] == "PASS: all 1 checks passed"


def test_provision_lists_only_pinned_requirements_the_virtualenv_lacks() -> None:
    missing = provision.missing_requirements()
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[^=\s]+", requirement) for requirement in missing)
    installed = {
        f"{dist.metadata['Name']}=={dist.version}".lower() for dist in metadata.distributions()
    }
    assert not installed & {requirement.lower() for requirement in missing}
    # Nothing at all when asked about an integration whose needs are installed.
    assert provision.missing_requirements(("mqtt",)) == []


def test_form_defaults_are_what_an_untouched_dialog_submits() -> None:
    schema = [
        {"name": "heartbeat_interval", "required": True, "default": 30},
        {"name": "note", "required": False},
        {
            "name": "privacy",
            "type": "expandable",
            "expanded": False,
            "schema": [{"name": "show_names", "required": True, "default": True}],
        },
    ]
    assert form_defaults(schema) == {"heartbeat_interval": 30, "privacy": {"show_names": True}}


# ------------------------------------------------------------------ the Doors dashboard

ENTRIES: list[JsonObject] = [
    {
        "entry_id": "e-terminal",
        "domain": "face_access",
        "title": "Face terminal 1",
        "state": "loaded",
    },
    {"entry_id": "e-mqtt", "domain": "mqtt", "title": "127.0.0.1", "state": "loaded"},
    {"entry_id": "e-camera", "domain": "face_access", "title": "Camera 2", "state": "loaded"},
]
DEVICE_REGISTRY: list[JsonObject] = [
    {
        "id": "d-camera",
        "config_entries": ["e-camera"],
        "identifiers": [["face_access", "2"]],
        "name": "Camera 2",
        "name_by_user": None,
    },
    {
        "id": "d-terminal",
        "config_entries": ["e-terminal"],
        "identifiers": [["face_access", "1"]],
        "name": "Face terminal 1",
        "name_by_user": "Front door",
    },
    {"id": "d-broker", "config_entries": ["e-mqtt"], "identifiers": [["mqtt", "x"]], "name": "x"},
]
TERMINAL_KEYS = (
    "open_door",
    "last_capture",
    "last_person",
    "body_temperature",
    "mask",
    "online",
    "access",
    "alarm",
)
CAMERA_KEYS = ("last_capture", "last_person", "mask", "online", "access", "analytics")


def _entity(entry_id: str, device_id: str, key: str, entity_id: str, **extra: Any) -> JsonObject:
    return {
        "entity_id": entity_id,
        "unique_id": f"{device_id}_{key}",
        "platform": "face_access",
        "config_entry_id": entry_id,
        "disabled_by": None,
        **extra,
    }


def _registry() -> list[JsonObject]:
    """Entity IDs the user renamed: the keys, not the IDs, say what each entity is."""
    entities = [_entity("e-terminal", "1", key, f"x.front_{key}") for key in TERMINAL_KEYS]
    entities += [_entity("e-camera", "2", key, f"x.cam_{key}") for key in CAMERA_KEYS]
    entities += [
        # A disabled entity: no row that could only say "unavailable".
        _entity("e-camera", "2", "snapshot", "camera.cam_snapshot", disabled_by="user"),
        # Another integration's entity with a look-alike unique ID.
        {**_entity("e-mqtt", "1", "open_door", "button.other"), "platform": "mqtt"},
    ]
    return entities


def test_door_devices_come_from_the_registries_by_key() -> None:
    doors = dashboard.door_devices(ENTRIES, DEVICE_REGISTRY, _registry())
    assert [(door.device_id, door.name) for door in doors] == [
        ("1", "Front door"),
        ("2", "Camera 2"),
    ]
    assert doors[0].entities == {key: f"x.front_{key}" for key in TERMINAL_KEYS}
    assert doors[1].entities == {key: f"x.cam_{key}" for key in CAMERA_KEYS}


def test_each_device_gets_a_card_without_the_rows_it_lacks() -> None:
    doors = dashboard.door_devices(ENTRIES, DEVICE_REGISTRY, _registry())
    config_ = dashboard.dashboard_config(doors)
    (view,) = config_["views"]
    terminal, camera, logbook = view["cards"]

    picture, rows = terminal["cards"]
    assert picture == {
        "type": "picture-entity",
        "entity": "x.front_last_capture",
        "name": "Front door",
        "show_state": False,
    }
    assert [row["entity"] for row in rows["entities"]] == [
        "x.front_open_door",
        "x.front_last_person",
        "x.front_body_temperature",
        "x.front_mask",
        "x.front_online",
    ]
    # The camera has no door and no thermometer: no such rows.
    assert [row["entity"] for row in camera["cards"][1]["entities"]] == [
        "x.cam_last_person",
        "x.cam_mask",
        "x.cam_online",
    ]
    assert logbook["type"] == "logbook"
    assert logbook["target"] == {"entity_id": ["x.front_access", "x.cam_access"]}
    assert set(dashboard.card_entities(logbook)) == {"x.front_access", "x.cam_access"}
    assert "x.front_open_door" in set(dashboard.card_entities(terminal))


def test_a_device_without_a_picture_is_titled_by_its_rows() -> None:
    card = dashboard.device_card(dashboard.DoorDevice("3", "Gate", {"online": "x.gate_online"}))
    assert card["cards"] == [
        {
            "type": "entities",
            "title": "Gate",
            "entities": [{"entity": "x.gate_online", "name": "Online"}],
        }
    ]
    assert dashboard.logbook_card([]) is None


class FakeLovelace:
    """Home Assistant's registries and Lovelace dashboards, as the websocket answers."""

    base_url = "http://127.0.0.1:1"

    def __init__(self, registry: list[JsonObject]) -> None:
        self.registry = registry
        self.dashboards: list[JsonObject] = []
        self.configs: dict[str, JsonObject] = {}
        self.saves = 0

    async def config_entries(self, domain: str | None = None) -> list[JsonObject]:
        return [entry for entry in ENTRIES if domain in (None, entry["domain"])]

    async def devices(self) -> list[JsonObject]:
        return DEVICE_REGISTRY

    async def entities(self) -> list[JsonObject]:
        return self.registry

    async def websocket(self, message: JsonObject) -> Any:
        kind = message["type"]
        if kind == "lovelace/dashboards/list":
            return self.dashboards
        if kind == "lovelace/dashboards/create":
            assert message["allow_single_word"] or "-" in message["url_path"]
            self.dashboards.append({**message, "mode": "storage"})
            return None
        if kind == "lovelace/config":
            if message["url_path"] not in self.configs:
                raise WebsocketError(kind, {"code": "config_not_found"})
            return json.loads(json.dumps(self.configs[message["url_path"]]))
        if kind == "lovelace/config/save":
            self.saves += 1
            self.configs[message["url_path"]] = message["config"]
            return None
        raise AssertionError(kind)


async def test_dashboard_is_created_once_and_follows_new_devices() -> None:
    hass = FakeLovelace(_registry()[:8])  # the terminal only, at first
    client = cast("HassClient", hass)

    outcome, first = await dashboard.provision(client, None)
    assert outcome == "created"
    assert [item["url_path"] for item in hass.dashboards] == ["doors"]
    assert (await dashboard.provision(client, first)) == ("up to date", first)
    assert hass.saves == 1

    # A device added since (in the UI) gets its card on the next start.
    hass.registry = _registry()
    outcome, second = await dashboard.provision(client, first)
    assert outcome == "updated"
    assert second != first
    assert len(hass.dashboards) == 1
    assert len(hass.configs["doors"]["views"][0]["cards"]) == 3


async def test_a_dashboard_the_user_edited_is_left_alone() -> None:
    hass = FakeLovelace(_registry())
    client = cast("HassClient", hass)
    _, saved = await dashboard.provision(client, None)
    hass.configs["doors"]["views"][0]["cards"].pop()  # the user removed the access log
    assert (await dashboard.provision(client, saved)) == ("left as you edited it", saved)
    assert hass.saves == 1


@BINDS_A_PORT
async def test_check_dashboard_wants_a_card_per_device() -> None:
    """The check passes on the dashboard the demo makes, and fails without a device's card."""
    terminal, camera = DEVICES[0], DEVICES[1]
    assert (terminal.protocol, camera.protocol) == ("face_terminal_mqtt", "camera_mqtt")
    running = [
        RunningDevice(
            terminal,
            terminal.make_simulator("127.0.0.1", 1),
            entities={key: f"x.front_{key}" for key in TERMINAL_KEYS},
        ),
        RunningDevice(
            camera,
            camera.make_simulator("127.0.0.1", 1),
            entities={key: f"x.cam_{key}" for key in CAMERA_KEYS},
        ),
    ]
    hass = FakeLovelace(_registry())
    client = cast("HassClient", hass)
    await dashboard.provision(client, None)
    assert "2 device card(s)" in await checks.check_dashboard(client, running)

    hass.configs["doors"]["views"][0]["cards"].pop(1)  # the camera's card
    with pytest.raises(AssertionError, match=re.escape("0 cards show x.cam_last_capture")):
        await checks.check_dashboard(client, running)
    hass.dashboards.clear()
    with pytest.raises(AssertionError, match="no storage dashboard"):
        await checks.check_dashboard(client, running)


async def test_check_entries_loaded_names_what_failed() -> None:
    class Entries:
        async def config_entries(self, domain: str | None = None) -> list[JsonObject]:
            return [
                *ENTRIES,
                {"domain": "google_translate", "title": "TTS", "state": "setup_error"},
                {"domain": "met", "title": "Home", "state": "not_loaded", "disabled_by": "user"},
            ]

    with pytest.raises(AssertionError, match=r"TTS \(google_translate\): setup_error"):
        await checks.check_entries_loaded(cast("HassClient", Entries()))


# ------------------------------------------------------------------ the People entry


def _person_form_schema() -> list[JsonObject]:
    """The *Add person* form as Home Assistant's REST API serializes it (the UI draws it)."""
    flow = PersonSubentryFlow()
    schema = flow.add_suggested_values_to_schema(_person_schema(), {})
    return cast(
        "list[JsonObject]",
        voluptuous_serialize.convert(schema, custom_serializer=cv.custom_serializer),
    )


def _person_schema() -> Any:
    """The *Add person* form's schema, as the flow shows it."""
    return person_flow._schema()


def test_people_option_and_person_subentry_are_the_integrations() -> None:
    strings = json.loads((INTEGRATION_SOURCE / "translations" / "en.json").read_text("utf-8"))
    assert people.PEOPLE_OPTION in strings["config"]["step"]["user"]["menu_options"]
    assert strings["config_subentries"][people.SUBENTRY_PERSON]["initiate_flow"]["user"] == (
        "Add person"
    )


def test_person_form_is_what_the_add_person_form_takes() -> None:
    """The demo's answer passes the flow's own schema: a photo, on all terminals, allowed."""
    person = ROSTER[1]
    file_id = uuid.uuid4().hex  # what /api/file_upload answers (a ULID in hex)
    answer = people.person_form(_person_form_schema(), person, file_id)
    validated = _person_schema()(answer)
    assert validated == {
        "name": person.name,
        "person_id": person.person_id,
        "photo": file_id,
        "list": "allow",
        "all_terminals": True,
    }


class FakePeopleApi:
    """Home Assistant's config flow, subentry flow and upload APIs, as the demo calls them."""

    def __init__(self, present: list[str], *, lose_uploads: bool = False) -> None:
        self.lose_uploads = lose_uploads
        self.entries: list[JsonObject] = [
            {"entry_id": "e-terminal", "domain": "face_access", "supported_subentry_types": {}},
        ]
        self.present = [
            {"subentry_id": f"s{pid}", "subentry_type": "person", "unique_id": pid, "title": pid}
            for pid in present
        ]
        self.calls: list[tuple[str, Any]] = []
        self.uploads: dict[str, bytes] = {}

    async def config_entries(self, domain: str | None = None) -> list[JsonObject]:
        return self.entries

    async def start_flow(self, handler: str, entry_id: str | None = None) -> JsonObject:
        self.calls.append(("start_flow", handler))
        return {"type": "menu", "flow_id": "f1", "menu_options": ["face_terminal_mqtt", "people"]}

    async def flow_step(self, flow_id: str, data: JsonObject) -> JsonObject:
        self.calls.append(("flow_step", data))
        self.entries.append(
            {
                "entry_id": "e-people",
                "domain": "face_access",
                "supported_subentry_types": {"person": {"supports_reconfigure": True}},
            }
        )
        return {"type": "create_entry", "result": {"entry_id": "e-people"}}

    async def subentries(self, entry_id: str) -> list[JsonObject]:
        assert entry_id == "e-people"
        return self.present

    async def start_subentry_flow(self, entry_id: str, subentry_type: str) -> JsonObject:
        self.calls.append(("start_subentry_flow", (entry_id, subentry_type)))
        return {"type": "form", "flow_id": "sf", "data_schema": _person_form_schema()}

    async def upload_file(self, filename: str, content: bytes, content_type: str) -> str:
        self.calls.append(("upload_file", filename))
        file_id = uuid.uuid4().hex
        if not self.lose_uploads:  # as after a restart of Home Assistant
            self.uploads[file_id] = content
        return file_id

    async def subentry_flow_step(self, flow_id: str, data: JsonObject) -> JsonObject:
        self.calls.append(("subentry_flow_step", data))
        if data["photo"] not in self.uploads:
            return {"type": "form", "errors": {"photo": "upload_gone"}}
        return {"type": "create_entry", "title": data["name"]}


async def test_the_roster_is_added_through_the_people_entry_once() -> None:
    api = FakePeopleApi(present=[ROSTER[0].person_id])
    client = cast("HassClient", api)
    assert await people.find_people_entry(client) is None
    entry_id = await people.add_people_entry(client)
    assert entry_id == "e-people"
    assert api.calls[:2] == [
        ("start_flow", "face_access"),
        ("flow_step", {"next_step_id": "people"}),
    ]
    assert (await people.find_people_entry(client) or {})["entry_id"] == "e-people"

    api.calls.clear()
    added = await people.add_missing_people(client, entry_id, ROSTER)
    # The one the entry has already is not added again (a second start of the demo).
    assert added == list(ROSTER[1:])
    kinds = [kind for kind, _ in api.calls]
    # Per person: the form opens, the photo is uploaded from it, then the form is sent.
    assert kinds == ["start_subentry_flow", "upload_file", "subentry_flow_step"] * 2
    sent = [data for kind, data in api.calls if kind == "subentry_flow_step"]
    assert [(data["person_id"], data["all_terminals"]) for data in sent] == [
        (person.person_id, True) for person in ROSTER[1:]
    ]
    for data, person in zip(sent, ROSTER[1:], strict=True):
        assert api.uploads[data["photo"]] == person.photo()


async def test_a_person_the_flow_refuses_stops_the_demo_with_its_errors() -> None:
    api = FakePeopleApi(present=[], lose_uploads=True)
    with pytest.raises(people.PeopleError, match="upload_gone"):
        await people.add_person(cast("HassClient", api), "e-people", ROSTER[0])


class FakeRosterState:
    """The registries and the Enrollment sensor's state, as Home Assistant reports them."""

    def __init__(self, shown: str, terminals: dict[str, str]) -> None:
        self.shown = shown
        self.terminals = terminals

    async def devices(self) -> list[JsonObject]:
        return [
            {
                "id": "d-terminal",
                "identifiers": [["face_access", "1305433"]],
                "name": "Face terminal 1305433",
                "name_by_user": None,
            },
            {
                "id": "d-camera",
                "identifiers": [["face_access", "1026700"]],
                "name": "Camera 1026700",
                "name_by_user": "Porch",
            },
            {
                "id": "d-ada",
                "identifiers": [["face_access", "person_s1"]],
                "name": "Ada Lovelace",
                "name_by_user": None,
            },
        ]

    async def subentries(self, entry_id: str) -> list[JsonObject]:
        return [
            {
                "subentry_id": "s1",
                "subentry_type": "person",
                "unique_id": ROSTER[0].person_id,
                "title": ROSTER[0].name,
            }
        ]

    async def entities(self) -> list[JsonObject]:
        return [
            {
                "entity_id": "sensor.ada_lovelace_enrollment",
                "platform": "face_access",
                "unique_id": "person_s1_enrollment",
            },
        ]

    async def state(self, entity_id: str) -> JsonObject | None:
        assert entity_id == "sensor.ada_lovelace_enrollment"
        terminals = {
            name: {"status": status, "reason": None} for name, status in self.terminals.items()
        }
        return {"state": self.shown, "attributes": {"terminals": terminals}}


@BINDS_A_PORT
@pytest.mark.parametrize(
    ("state", "terminals", "error"),
    [
        ("enrolled", {"Face terminal 1305433": "enrolled", "Porch": "enrolled"}, None),
        ("pending", {"Face terminal 1305433": "enrolled", "Porch": "pending"}, "is pending"),
        # Enrolled on every terminal Home Assistant knows, but a demo device is not one.
        ("enrolled", {"Face terminal 1305433": "enrolled"}, "is enrolled"),
    ],
)
async def test_check_enrollment_wants_every_demo_device(
    state: str, terminals: dict[str, str], error: str | None
) -> None:
    running = [
        RunningDevice(spec, spec.make_simulator("127.0.0.1", 1), ha_device_id=ha_id)
        for spec, ha_id in ((DEVICES[0], "d-terminal"), (DEVICES[1], "d-camera"))
    ]
    client = cast("HassClient", FakeRosterState(state, terminals))
    deadline = checks.Deadline(0.0)  # no waiting for a state that stays
    if error is None:
        detail = await checks.check_enrollment(client, "e-people", ROSTER[0], running, deadline)
        assert detail == (
            "sensor.ada_lovelace_enrollment: enrolled on Face terminal 1305433, Porch"
        )
    else:
        with pytest.raises(AssertionError, match=error):
            await checks.check_enrollment(client, "e-people", ROSTER[0], running, deadline)
    with pytest.raises(AssertionError, match="has no person 1002"):
        await checks.check_enrollment(client, "e-people", ROSTER[1], running, deadline)


def test_the_people_entrys_devices_get_no_door_card() -> None:
    entries = [*ENTRIES, {"entry_id": "e-people", "domain": "face_access", "title": "People"}]
    devices = [
        *DEVICE_REGISTRY,
        {
            "id": "d-people",
            "config_entries": ["e-people"],
            "identifiers": [["face_access", "people"]],
            "name": "People",
        },
        {
            "id": "d-ada",
            "config_entries": ["e-people"],
            "identifiers": [["face_access", "person_s1"]],
            "name": "Ada Lovelace",
        },
    ]
    registry = [
        *_registry(),
        _entity("e-people", "people", "sync_progress", "sensor.people_sync_progress"),
        _entity("e-people", "person_s1", "enrollment", "sensor.ada_lovelace_enrollment"),
        _entity("e-people", "person_s1", "last_sync", "sensor.ada_lovelace_last_sync"),
    ]
    doors = dashboard.door_devices(entries, devices, registry)
    assert [door.device_id for door in doors] == ["1", "2"]
