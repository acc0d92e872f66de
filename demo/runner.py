"""The order of things: broker, Home Assistant, set-up over its API, simulators, activity.

``run()`` starts everything, sets up what is not set up yet (a second start of the same
configuration directory skips onboarding, MQTT, the devices and the People entry's roster),
waits for the integration's sync to put the roster on every device, then either serves until
Ctrl-C or, with ``check``, verifies the result and stops. ``shutdown()`` always runs and
stops what was started in reverse order: the activity, the simulators, Home Assistant,
the broker.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import json
import logging
import os
from pathlib import Path
import random
import subprocess
import sys
import time

import aiohttp

from simulators.base import Simulator
from simulators.lifecycle import accepts_connections, free_port

from . import checks, dashboard, people
from .checks import RunningDevice
from .config import (
    DEMO_LANGUAGE,
    DEMO_NAME,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    REPO_ROOT,
    DemoPaths,
    DemoState,
    prepare_config_dir,
)
from .devices import DEVICES, SPARE_DEVICES, menu_option_label
from .hass_api import HassApiError, HassClient, JsonObject
from .processes import ChildProcess, port_is_free
from .roster import ROSTER, faces

_LOGGER = logging.getLogger(__name__)

DOMAIN = "face_access"
MQTT_HOST = "127.0.0.1"
DEFAULT_MQTT_PORT = 1883
HASS_START_TIMEOUT = 180.0
"""Seconds for Home Assistant to answer HTTP and finish starting (a busy 2-core machine)."""
BROKER_START_TIMEOUT = 20.0
SIMULATOR_START_TIMEOUT = 30.0
"""Seconds for a simulated MQTT device to connect to the broker."""
ONLINE_ACK_TIMEOUT = 30.0
UI_IMPORT_PROBE = """
import hass_frontend
from homeassistant.helpers import service
getattr(service, "_base_components", lambda: None)()
"""
"""Imports the web UI needs: the frontend, and what the service descriptions import."""
DOOR_WATCH_INTERVAL = 0.3
"""Seconds between two looks at a simulator's door openings."""
SPARE_WATCH_INTERVAL = 0.5
"""Seconds between two looks at whether a spare device has been added (its Online-Ack)."""
ROSTER_SYNC_TIMEOUT = 120.0
"""Seconds to wait for the integration's sync to put the roster on every terminal (one
device at a time per protocol; the tablet's commands ride on its 2 s heartbeats)."""
ROSTER_SYNC_POLL = 1.0
OFFLINE_ONBOARDING_DOMAINS = ("google_translate", "met", "radio_browser")
"""What Home Assistant's onboarding (2026.2) adds that needs the internet. A new demo
directory skips the step that adds them (``config.skip_core_config_step``); a directory
from an earlier demo may still have them, failing to set up on every start."""


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why and what to do."""


def _starts_before_its_flow(simulator: Simulator) -> bool:
    """Tell whether a device runs before it is added: it has a server, or uses the broker.

    A device that only posts to a webhook starts once its entry made the webhook.
    """
    return simulator.address is not None or not simulator.posts_to_webhook


@dataclass(frozen=True)
class Options:
    """How to run the demo.

    ``config_dir``: Home Assistant's configuration directory (kept between runs).
    ``http_port``: Home Assistant's port on 127.0.0.1. ``activity``: mean seconds
    between two events of one device. ``check``: verify and stop instead of serving;
    ``check_seconds``: the time the whole check may take, start-up included.
    ``deps_path``: a directory to put on Home Assistant's ``PYTHONPATH`` with the packages
    its web UI needs that the virtualenv lacks (``demo.provision``; None: it has them).
    """

    config_dir: Path
    http_port: int
    activity: float
    check: bool = False
    check_seconds: float = 180.0
    deps_path: Path | None = None
    quiet: bool = False


def say(message: str) -> None:
    """Tell the person at the terminal (progress lines, flushed at once)."""
    print(message, flush=True)


class Demo:
    """One run of the demo."""

    def __init__(self, options: Options) -> None:
        """Prepare; nothing starts until ``run()``."""
        self.options = options
        self.paths = DemoPaths(options.config_dir)
        self.broker: ChildProcess | None = None
        self.hass: ChildProcess | None = None
        self.mqtt_port = 0
        self.devices: list[RunningDevice] = []
        self.spares: list[RunningDevice] = []
        """``SPARE_DEVICES`` running; ``ha_device_id`` set if one was already added."""
        self._session: aiohttp.ClientSession | None = None
        self._activity: list[asyncio.Task[None]] = []
        self.people_entry_id = ""
        """The People entry's config entry ID, once it exists."""
        self._started = time.monotonic()

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self._started:5.1f} s"

    def _step(self, message: str) -> None:
        say(f"[{self._elapsed()}] {message}")

    # --------------------------------------------------------------------- run

    async def run(self) -> int:
        """Start and set up everything; serve until cancelled, or check and return 0/1."""
        client = await self._start_home_assistant()
        await self._remove_offline_integrations(client)
        await self._set_up_mqtt(client)
        await self._start_simulators()
        await self._add_devices(client)
        await self._find_entities(client)
        await self._provision_dashboard(client)
        await self._wait_online_acked()
        await self._set_up_people(client)
        await self._wait_roster_synced(client)
        self._start_activity()
        if self.options.check:
            left = self.options.check_seconds - (time.monotonic() - self._started)
            self._step(f"checking (at most {left:.0f} s)")
            results = await checks.run_checks(
                client,
                self.devices,
                self.spares,
                self.paths.hass_log,
                max(left, 0.0),
                people_entry_id=self.people_entry_id,
            )
            say(checks.summary(results))
            return 0 if all(result.passed for result in results) else 1
        self._banner(client)
        await asyncio.Event().wait()  # until Ctrl-C cancels us
        return 0

    def _banner(self, client: HassClient) -> None:
        first = self.devices[0] if self.devices else None
        lines = [
            "",
            f"Home Assistant is ready at {client.base_url}",
            f"  user name: {DEMO_USERNAME}    password: {DEMO_PASSWORD}",
            "  Settings → Devices & services → Face Access shows the simulated devices;",
            "  its People entry is the roster: a person per row (Add person adds one), each "
            "with a device",
            "  whose Enrollment sensor says which terminals have them: "
            f"{client.base_url}/config/integrations/integration/{DOMAIN}"
            f"#config_entry={self.people_entry_id}",
            f"  {client.base_url}/{dashboard.URL_PATH} is the {dashboard.TITLE} dashboard "
            "(a card per device, the access log);",
        ]
        if first is not None:
            lines.append(
                f"  {client.base_url}/config/devices/device/{first.ha_device_id} is the "
                f"{first.spec.label.lower()} (press Open door)."
            )
        for spare in self.spares:
            spec = spare.spec
            if spare.ha_device_id:
                lines.append(
                    f"  {spec.title}, which you added, is at "
                    f"{client.base_url}/config/devices/device/{spare.ha_device_id}"
                )
                continue
            lines += [
                f"  {spec.title} is running but not added: add it yourself with",
                "    Settings → Devices & services → Add integration → Face Access →",
                f'    "{menu_option_label(spec.protocol)}",',
                f"    device ID {spec.device_id}, topic prefix {spec.topic_prefix}",
                "    (the roster's people are on its screen already; once it is added, the "
                "People entry's sync enrolls them there from the roster)",
            ]
        lines += [
            f"  Configuration: {self.paths.root} (kept; delete it to start over)",
            f"  Logs: {self.paths.hass_log}",
            "Events appear below as the devices send them. Ctrl-C stops everything.",
            "",
        ]
        say("\n".join(lines))

    # ------------------------------------------------------- broker and hass

    def _mqtt_port(self, state: DemoState) -> int:
        """Return the broker's port: this configuration's, else 1883 if free, else any."""
        if self.options.check:
            return free_port()
        if state.mqtt_port is not None:
            if not port_is_free(state.mqtt_port):
                raise DemoError(
                    f"port {state.mqtt_port}, which this demo's MQTT set-up uses, is busy "
                    "(is another demo running?)"
                )
            return state.mqtt_port
        return DEFAULT_MQTT_PORT if port_is_free(DEFAULT_MQTT_PORT) else free_port()

    async def _start_home_assistant(self) -> HassClient:
        """Write the configuration, start the broker and ``hass``, and log in."""
        if not port_is_free(self.options.http_port):
            raise DemoError(
                f"port {self.options.http_port} is busy (another Home Assistant?); "
                "choose one with --port"
            )
        prepare_config_dir(self.paths, self.options.http_port)
        state = DemoState.load(self.paths)
        state.mqtt_port = self._mqtt_port(state)
        state.save(self.paths)

        self.broker = ChildProcess(
            "broker",
            [
                sys.executable,
                "-m",
                "simulators.broker",
                "--host",
                MQTT_HOST,
                "--port",
                str(state.mqtt_port),
            ],
            self.paths.broker_output,
            cwd=REPO_ROOT,
        )
        env = dict(os.environ)
        if self.options.deps_path is not None:
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(self.options.deps_path), env.get("PYTHONPATH")])
            )
        # Without its frontend Home Assistant starts in recovery mode, and without what the
        # service descriptions import the UI never finishes loading: say so up front.
        probe = subprocess.run(  # noqa: ASYNC221 - a second at most, before anything runs
            [sys.executable, "-c", UI_IMPORT_PROBE],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode != 0:
            missing = probe.stderr.strip().splitlines()[-1:] or ["?"]
            raise DemoError(
                f"Home Assistant's web UI lacks packages ({missing[0]}); run scripts/demo, "
                "which installs them (python -m demo.provision), or pass --deps-path"
            )
        self.hass = ChildProcess(
            "Home Assistant",
            [str(Path(sys.executable).parent / "hass"), "-c", str(self.paths.root), "--skip-pip"],
            self.paths.hass_output,
            env=env,
        )
        # Both children are forked before the demo starts any thread (see processes.py).
        self.broker.start()
        self.hass.start()
        self._step(
            f"MQTT broker on {MQTT_HOST}:{state.mqtt_port}; Home Assistant starting "
            f"from {self.paths.root}"
        )
        deadline = time.monotonic() + BROKER_START_TIMEOUT
        while not accepts_connections(state.mqtt_port, MQTT_HOST):
            if not self.broker.running or time.monotonic() > deadline:
                raise DemoError(f"the MQTT broker did not start:\n{self.broker.tail()}")
            await asyncio.sleep(0.1)

        self._session = aiohttp.ClientSession()
        client = HassClient(self._session, self.options.http_port)
        hass = self.hass
        try:
            await client.wait_http(HASS_START_TIMEOUT, lambda: hass.running)
        except (RuntimeError, TimeoutError) as err:
            raise DemoError(f"{err}\n{hass.tail()}\n(see {self.paths.hass_log})") from err
        done = await client.onboarding_done_steps()
        if done is None:
            self._step(f"Home Assistant answers; already onboarded, logging in as {DEMO_USERNAME}")
        else:
            self._step(f"Home Assistant answers; onboarding as {DEMO_USERNAME}")
        await client.onboard(DEMO_NAME, DEMO_USERNAME, DEMO_PASSWORD, DEMO_LANGUAGE)
        try:
            await client.wait_running(HASS_START_TIMEOUT)
        except TimeoutError as err:
            raise DemoError(f"{err} (see {self.paths.hass_log})") from err
        self._step("Home Assistant is running")
        self.mqtt_port = state.mqtt_port
        return client

    async def _remove_offline_integrations(self, client: HassClient) -> None:
        """Delete what an earlier demo's onboarding added that needs the internet.

        Only entries that onboarding made (source ``onboarding``): one the user added
        on purpose stays.
        """
        for domain in OFFLINE_ONBOARDING_DOMAINS:
            for entry in await client.config_entries(domain):
                if entry.get("source") == "onboarding":
                    await client.remove_entry(entry["entry_id"])
                    self._step(
                        f"removed {entry['title']} ({domain}), which onboarding added: "
                        "it needs the internet"
                    )

    # -------------------------------------------------------------------- MQTT

    async def _set_up_mqtt(self, client: HassClient) -> None:
        """Add Home Assistant's MQTT integration with the demo's broker, once."""
        entries = await client.config_entries("mqtt")
        if not entries:
            flow = await client.start_flow("mqtt")
            if flow.get("type") != "form" or flow.get("step_id") != "broker":
                raise DemoError(f"unexpected MQTT set-up step: {flow}")
            result = await client.flow_step(
                flow["flow_id"], {"broker": MQTT_HOST, "port": self.mqtt_port}
            )
            if result.get("type") != "create_entry":
                raise DemoError(f"MQTT set-up failed: {result}")
            self._step(f"MQTT integration added (broker {MQTT_HOST}:{self.mqtt_port})")
        else:
            self._step("MQTT integration already set up")

        async def loaded() -> bool:
            return any(entry["state"] == "loaded" for entry in await client.config_entries("mqtt"))

        deadline = time.monotonic() + 60.0
        while not await loaded():
            if time.monotonic() > deadline:
                raise DemoError("Home Assistant's MQTT integration did not load")
            await asyncio.sleep(0.5)

    # --------------------------------------------------------------- devices

    async def _start_simulators(self) -> None:
        """Start every simulated device (threads in this process).

        A device with a server of its own starts now, since its config flow calls it; so
        does a device of the broker. One that only posts to a webhook starts once its entry
        exists (``_add_devices``), when it knows where to post.
        """
        for specs, running in ((DEVICES, self.devices), (SPARE_DEVICES, self.spares)):
            for spec in specs:
                simulator = spec.make_simulator(MQTT_HOST, self.mqtt_port)
                running.append(RunningDevice(spec, simulator))
                if _starts_before_its_flow(simulator):
                    await asyncio.to_thread(simulator.start, SIMULATOR_START_TIMEOUT)
        message = "simulated devices online: " + ", ".join(spec.title for spec in DEVICES)
        if SPARE_DEVICES:
            message += "; to add in the UI: " + ", ".join(spec.title for spec in SPARE_DEVICES)
        self._step(message)

    async def _add_devices(self, client: HassClient) -> None:
        """Add each device not yet in Home Assistant through the config flow, as the UI does."""
        known = await self._face_access_devices(client)
        for device in self.devices:
            spec = device.spec
            simulator = device.simulator
            if spec.device_id in known:
                self._step(f"{spec.title} already added")
                webhook_path = self._stored_webhook_path(spec.device_id)
                await self._update_address(client, device)
            else:
                result = await self._add_device(client, device)
                self._step(f"{spec.title} added through the config flow: {result['title']}")
                webhook_path = (result.get("description_placeholders") or {}).get("path")
                if spec.options:
                    await client.set_options(result["result"]["entry_id"], dict(spec.options))
                    self._step(f"{spec.title} options: {dict(spec.options)}")
            if simulator.posts_to_webhook:
                if not webhook_path:
                    raise DemoError(f"no webhook address for {spec.title}")
                # Also when the flow already pointed the device there (the same URL): an
                # entry from an earlier start, or a device that did not take the address
                # (the flow then asks the user to type it on the device), posts nowhere yet.
                simulator.configure_url(f"http://127.0.0.1:{self.options.http_port}{webhook_path}")
                if not _starts_before_its_flow(simulator):
                    await asyncio.to_thread(simulator.start)
                self._step(f"{spec.title} {simulator.link}")
        known = await self._face_access_devices(client)
        for device in self.devices:
            ha_device = known.get(device.spec.device_id)
            if ha_device is None:
                raise DemoError(f"{device.spec.title} is not in Home Assistant's device list")
            device.ha_device_id = ha_device["id"]
        for spare in self.spares:
            if (ha_device := known.get(spare.spec.device_id)) is not None:
                spare.ha_device_id = ha_device["id"]
                self._step(f"{spare.spec.title} already added (by you, in the UI)")

    @staticmethod
    async def _face_access_devices(client: HassClient) -> dict[str, JsonObject]:
        """Home Assistant's face_access devices by the device's own ID."""
        found: dict[str, JsonObject] = {}
        for device in await client.devices():
            for domain, identifier in device["identifiers"]:
                if domain == DOMAIN:
                    found[identifier] = device
        return found

    def _stored_entry(self, device_id: str) -> JsonObject | None:
        """Return the stored config entry of a device (its ``entry_id``, ``data``, …).

        From Home Assistant's storage: the REST API does not show entry data, and the demo
        owns this configuration directory.
        """
        try:
            stored = json.loads(
                (self.paths.root / ".storage" / "core.config_entries").read_text("utf-8")
            )
            entries = stored["data"]["entries"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        for entry in entries:
            if (
                isinstance(entry, dict)
                and entry.get("domain") == DOMAIN
                and entry.get("unique_id") == device_id
            ):
                return entry
        return None

    def _stored_webhook_path(self, device_id: str) -> str | None:
        """Return the webhook path of an existing entry, from Home Assistant's storage."""
        entry = self._stored_entry(device_id)
        webhook_id = (entry or {}).get("data", {}).get("webhook_id")
        return f"/api/webhook/{webhook_id}" if webhook_id else None

    async def _update_address(self, client: HassClient, device: RunningDevice) -> None:
        """Reconfigure an existing entry whose form data the running simulator changed.

        A device with a server of its own listens on a new free port at each start; its
        entry, from an earlier start, still names the old one. As a person whose device
        moved would: the entry's *Reconfigure* dialog, with the fields it asks for.
        """
        spec = device.spec
        entry = self._stored_entry(spec.device_id)
        if entry is None:
            return
        stored = entry.get("data") or {}
        wanted = spec.form(device.simulator)
        changed = {key: value for key, value in wanted.items() if stored.get(key) != value}
        if not changed:
            return
        flow = await client.start_flow(DOMAIN, entry_id=entry["entry_id"])
        if flow.get("type") != "form":
            raise DemoError(f"unexpected reconfigure step for {spec.title}: {flow}")
        fields = [field["name"] for field in flow.get("data_schema") or []]
        result = await client.flow_step(
            flow["flow_id"], {name: wanted[name] for name in fields if name in wanted}
        )
        if result.get("type") != "abort" or result.get("reason") != "reconfigure_successful":
            raise DemoError(f"reconfiguring {spec.title} failed: {result.get('errors') or result}")
        self._step(f"{spec.title} reconfigured: {', '.join(sorted(changed))} changed")

    @staticmethod
    async def _add_device(client: HassClient, device: RunningDevice) -> JsonObject:
        """Add integration → Face Access → the protocol → its form (``DemoDevice.form``).

        An MQTT device's form takes its ID and topic prefix, a webhook device's its ID (the
        flow's last dialog names the address the device must post to), a device with a
        server its address and credentials (the flow asks it who it is).
        """
        spec = device.spec
        flow = await client.start_flow(DOMAIN)
        if flow.get("type") != "menu" or spec.protocol not in flow.get("menu_options", []):
            raise DemoError(f"Face Access does not offer {spec.protocol}: {flow}")
        form = await client.flow_step(flow["flow_id"], {"next_step_id": spec.protocol})
        if form.get("type") != "form":
            raise DemoError(f"unexpected step after choosing {spec.protocol}: {form}")
        result = await client.flow_step(flow["flow_id"], dict(spec.form(device.simulator)))
        if result.get("type") != "create_entry":
            raise DemoError(f"adding {spec.title} failed: {result.get('errors') or result}")
        return result

    async def _wait_online_acked(self) -> None:
        """Wait until Home Assistant has answered each device (at most 30 s each).

        An MQTT device's ``Online``: from then on Home Assistant is subscribed to its
        topics and shows it online, so the commands that follow are answered. The tablet's
        heartbeats: Home Assistant's replies set the heartbeat period and then the clock.
        The Uniview terminal: Home Assistant subscribed it (to its internal URL), so its
        records reach Home Assistant from then on.
        """
        for device in self.devices:
            simulator = device.simulator
            if not await asyncio.to_thread(simulator.wait_answered, ONLINE_ACK_TIMEOUT):
                _LOGGER.warning("%s: Home Assistant did not answer", device.spec.title)
            elif simulator.address is not None and not simulator.posts_to_webhook:
                # A device that Home Assistant subscribes (it posts where it was told): now
                # that it answered, its link names where its records go.
                self._step(f"{device.spec.title} {simulator.link}")

    async def _find_entities(self, client: HassClient) -> None:
        """Look up each device's entity IDs by their unique IDs (``<device_id>_<key>``)."""
        registry = await client.entities()
        for device in self.devices:
            prefix = f"{device.spec.device_id}_"
            device.entities = {
                entry["unique_id"].removeprefix(prefix): entry["entity_id"]
                for entry in registry
                if entry["platform"] == DOMAIN and entry["unique_id"].startswith(prefix)
            }

    async def _provision_dashboard(self, client: HassClient) -> None:
        """Create the Doors dashboard, or bring it up to date (``demo.dashboard``)."""
        state = DemoState.load(self.paths)
        outcome, digest = await dashboard.provision(client, state.dashboard_digest)
        if digest != state.dashboard_digest:
            state.dashboard_digest = digest
            state.save(self.paths)
        self._step(f"{dashboard.TITLE} dashboard {outcome}: {client.base_url}/{dashboard.URL_PATH}")

    # ---------------------------------------------------------------- roster

    async def _set_up_people(self, client: HassClient) -> None:
        """Add the People entry and the roster's people, as a person does in the UI.

        *Add integration → Face Access → People*, then *Add person* per person (photo
        uploaded, *All terminals*). A second start finds them there and adds nobody; the
        integration's sync, not the demo, puts them on the terminals.
        """
        try:
            entry = await people.find_people_entry(client)
            if entry is None:
                self.people_entry_id = await people.add_people_entry(client)
                self._step("People entry added through the config flow (the roster)")
            else:
                self.people_entry_id = entry["entry_id"]
                self._step("People entry already set up")
            added = await people.add_missing_people(client, self.people_entry_id, ROSTER)
        except (people.PeopleError, HassApiError) as err:
            raise DemoError(f"{err} (see {self.paths.hass_log})") from err
        if added:
            self._step(
                "added to the roster with Add person (photo uploaded, all terminals): "
                + ", ".join(f"{person.name} ({person.person_id})" for person in added)
            )
        else:
            self._step("roster already in the People entry")

    def _missing_people(self) -> dict[str, list[str]]:
        """Return, by device title, the roster's people a simulated device does not hold."""
        missing: dict[str, list[str]] = {}
        for device in self.devices:
            held = device.simulator.persons
            if lacking := [person.name for person in ROSTER if person.person_id not in held]:
                missing[device.spec.title] = lacking
        return missing

    async def _wait_roster_synced(self, client: HassClient) -> None:
        """Wait until every simulated device holds the roster and every sensor says so.

        The devices are the truth: on a later start the simulators start empty while each
        person's *Enrollment* sensor still shows the last sync, until the sync has been
        round again. It works one device at a time per protocol. Bounded: a roster still on
        its way is reported (its sensors tell the rest), and ``--check`` then fails on it.
        """
        started = time.monotonic()
        deadline = started + ROSTER_SYNC_TIMEOUT
        held_after: dict[str, float] = {}
        while True:
            missing = self._missing_people()
            for device in self.devices:
                if device.spec.title not in missing:
                    held_after.setdefault(device.spec.title, time.monotonic() - started)
            roster = await people.roster_people(client, self.people_entry_id)
            states = await people.enrollment_states(client, roster)
            shown = {
                person.name: state["state"] if state else "no sensor yet"
                for person in ROSTER
                for state in (states.get(person.person_id),)
            }
            if not missing and all(value == people.ENROLLED for value in shown.values()):
                break
            if time.monotonic() > deadline:
                lacking = "; ".join(
                    f"{title} lacks {', '.join(names)}" for title, names in missing.items()
                )
                sensors = ", ".join(f"{name}: {value}" for name, value in shown.items())
                self._step(
                    f"the roster is not on every terminal yet ({lacking or 'all held'}; {sensors})"
                )
                return
            await asyncio.sleep(ROSTER_SYNC_POLL)
        self._step(
            f"the sync put the roster on every terminal in {time.monotonic() - started:.0f} s: "
            f"each simulated device holds {', '.join(person.name for person in ROSTER)} ("
            + ", ".join(f"{title} after {seconds:.0f} s" for title, seconds in held_after.items())
            + "), and every Enrollment sensor says enrolled"
        )

    # -------------------------------------------------------------- activity

    def _start_activity(self) -> None:
        """Per device, a task that makes it do things, and one that tells of door openings.

        A spare device's activity waits until it is added (Home Assistant answers its
        ``Online``), so that it does not pile up records that nobody acknowledges.
        """
        running = [(device, False) for device in self.devices]
        running += [(spare, True) for spare in self.spares]
        for device, spare in running:
            self._activity.append(
                asyncio.create_task(
                    self._activity_loop(device, wait_until_added=spare), name=device.spec.title
                )
            )
            if device.simulator.has_door:
                self._activity.append(
                    asyncio.create_task(self._door_watch(device), name=f"{device.spec.title} door")
                )

    async def _door_watch(self, device: RunningDevice) -> None:
        """Print each remote door opening the simulator receives (even with ``quiet``).

        So that pressing *Open door* in the UI shows its effect on the "device" at once.
        """
        seen = device.simulator.unlock_count
        while True:
            await asyncio.sleep(DOOR_WATCH_INTERVAL)
            count = device.simulator.unlock_count
            for _ in range(count - seen):
                say(
                    f"  {time.strftime('%H:%M:%S')}  {device.spec.title}: door opened "
                    f"remotely ({checks.door_via(device.simulator)})"
                )
            seen = count

    async def _activity_loop(self, device: RunningDevice, *, wait_until_added: bool) -> None:
        """Make the device recognize someone, then do random things, until cancelled.

        Recognitions are of the roster's people the device knows, with their faces.
        """
        simulator = device.simulator
        if wait_until_added:
            # The simulator's flag is a thread's; polling it keeps cancellation immediate.
            while not simulator.answered:  # noqa: ASYNC110
                await asyncio.sleep(SPARE_WATCH_INTERVAL)
            say(
                f"  {time.strftime('%H:%M:%S')}  {device.spec.title}: in Home Assistant now "
                "(it answered the Online announcement); its events follow"
            )
        rng = random.Random()
        roster_faces = faces()
        action = simulator.random_recognition
        while True:
            try:
                description = await asyncio.to_thread(action, rng, roster_faces)
            except Exception:  # a failed push must not end the activity
                _LOGGER.exception("%s: simulated event failed", device.spec.title)
            else:
                if not self.options.quiet:
                    say(f"  {time.strftime('%H:%M:%S')}  {device.spec.title}: {description}")
            action = simulator.random_activity
            # Jitter, so that the devices do not speak in lockstep.
            await asyncio.sleep(self.options.activity * rng.uniform(0.6, 1.4))

    # -------------------------------------------------------------- shutdown

    async def shutdown(self) -> None:
        """Stop everything that was started, in reverse order; never raises."""
        for task in self._activity:
            task.cancel()
        if self._activity:
            await asyncio.gather(*self._activity, return_exceptions=True)
        for device in [*self.devices, *self.spares]:
            try:
                await asyncio.to_thread(device.simulator.stop)
            except Exception:
                _LOGGER.exception("stopping %s", device.spec.title)
        if self._session is not None:
            await self._session.close()
        if self.hass is not None:
            await self.hass.stop(seconds=60.0)
        if self.broker is not None:
            await self.broker.stop(seconds=10.0)
