"""The demo's parts that need no running Home Assistant (scripts/demo, the demo package).

The whole demo runs in tests/test_demo_check.py.
"""

from __future__ import annotations

from importlib import metadata
import json
from pathlib import Path
import random
import re
from typing import cast
import zoneinfo

import pytest
import yaml

from custom_components.face_access.ingress import Inbound
from custom_components.face_access.protocols import face_capture_http, temperature_http
from custom_components.face_access.protocols.hfsecurity_mqtt import VARIANTS
from custom_components.face_access.protocols.model import Capability
from custom_components.face_access.protocols.unv_lapi import ALL_FEATURES, profile_for
from custom_components.face_access.registry import PROTOCOLS
from demo import checks, config, provision
from demo.checks import CheckResult, RunningDevice
from demo.config import INTEGRATION_SOURCE, DemoPaths, DemoState
from demo.devices import DEVICES, SPARE_DEVICES, DemoDevice, menu_option_label
from demo.hass_api import HassClient
from demo.roster import ROSTER, faces, write_photos
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


def test_state_survives_a_restart(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)
    assert DemoState.load(paths) == DemoState()
    DemoState(mqtt_port=18830).save(paths)
    assert DemoState.load(paths).mqtt_port == 18830
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


def test_roster_photos_are_jpeg_files(tmp_path: Path) -> None:
    written = write_photos(tmp_path)
    assert sorted(written) == sorted(person.person_id for person in ROSTER)
    for path in written.values():
        assert sniff_format(path.read_bytes()) == "jpeg"


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


def test_integration_errors_are_found_in_tracebacks_only_of_the_integration(
    tmp_path: Path,
) -> None:
    log = tmp_path / "home-assistant.log"
    log.write_text(
        "2026-01-01 10:00:00.000 WARNING (MainThread) [custom_components.face_access] slow\n"
        "2026-01-01 10:00:01.000 ERROR (MainThread) [homeassistant] Error doing job\n"
        "Traceback (most recent call last):\n"
        '  File "/srv/venv/lib/homeassistant/config_entries.py"\n'
        "ModuleNotFoundError: No module named 'metno'\n"
        "2026-01-01 10:00:02.000 ERROR (MainThread) [homeassistant] Error doing job\n"
        "Traceback (most recent call last):\n"
        '  File "/x/custom_components/face_access/coordinator.py", line 1\n'
        "KeyError: 'x'\n"
        "2026-01-01 10:00:03.000 ERROR (MainThread) [homeassistant.config_entries] "
        "Error setting up entry Face terminal 1 for face_access\n",
        encoding="utf-8",
    )
    found = checks._integration_errors(log)
    assert [line[:23] for line in found] == ["2026-01-01 10:00:02.000", "2026-01-01 10:00:03.000"]
    assert checks._integration_errors(tmp_path / "missing.log") == []


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
