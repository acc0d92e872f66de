"""What ``scripts/demo --check`` verifies, through Home Assistant's own API.

First the roster: each person of the People entry has a device whose *Enrollment* sensor
reaches ``enrolled``, with every demo device among its terminals (the integration's sync put
them there, one device at a time per protocol). Per device: it is online (its connectivity
sensor), its activity reached Home Assistant (the ``access`` event entity fired and the
``last_capture`` picture is served), the roster comes back from ``face_access.list_people``,
and pressing ``open_door`` reaches the simulated terminal (or, for a device without a door,
that there is no such button). A spare
device (left for the user to add in the UI) must only run: connected to the broker and
announcing itself. Then, for Home Assistant as a whole: the Doors dashboard has a card per
device, every integration is set up (no red card under *Devices & services*), and its log
holds no error at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
import re
import time
from typing import Any

from simulators.base import Simulator

from . import dashboard, people
from .devices import DemoDevice
from .hass_api import HassApiError, HassClient, JsonObject
from .roster import ROSTER, Person

_RECORD_START = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
"""The start of a record in ``home-assistant.log`` (its time stamp)."""
_ERROR_LEVEL = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ")

_POLL = 0.5
"""Seconds between two looks at a state that is not there yet."""
ROSTER_WAIT = 90.0
"""Seconds the roster may take to reach one device, or one person every device (the sync
works one device at a time per protocol, the tablet's commands ride on its heartbeats)."""


@dataclass
class RunningDevice:
    """A demo device once it runs and Home Assistant knows it.

    ``ha_device_id``: Home Assistant's device registry ID. ``entities``: entity IDs by
    entity key (``online``, ``access``, ``open_door``, …; the unique ID without the
    ``<device_id>_`` prefix).
    """

    spec: DemoDevice
    simulator: Simulator
    ha_device_id: str = ""
    entities: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """One verdict: ``subject`` (a device's title, or ``Home Assistant``), ``name``, detail."""

    subject: str
    name: str
    passed: bool
    detail: str


class Deadline:
    """The time left for the whole check, in seconds (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        """Start counting down ``seconds`` now."""
        self._end = time.monotonic() + seconds

    @property
    def left(self) -> float:
        """Return the seconds left (0 once over)."""
        return max(0.0, self._end - time.monotonic())


async def _wait_for[T](
    probe: Callable[[], Awaitable[T | None]], deadline: Deadline, limit: float
) -> T | None:
    """Call ``probe`` until it returns something other than None, for at most ``limit`` s."""
    end = time.monotonic() + min(limit, deadline.left)
    while True:
        result = await probe()
        if result is not None or time.monotonic() >= end:
            return result
        await asyncio.sleep(_POLL)


async def _check_online(client: HassClient, device: RunningDevice, deadline: Deadline) -> str:
    entity_id = device.entities.get("online")
    if entity_id is None:
        raise AssertionError("no connectivity entity")

    async def probe() -> str | None:
        state = await client.state(entity_id)
        return "on" if state and state["state"] == "on" else None

    if await _wait_for(probe, deadline, 90.0) is None:
        state = await client.state(entity_id)
        raise AssertionError(f"{entity_id} is {state['state'] if state else 'missing'}")
    return f"{entity_id} on"


async def _check_access(client: HassClient, device: RunningDevice, deadline: Deadline) -> str:
    entity_id = device.entities.get("access")
    if entity_id is None:
        raise AssertionError("no access event entity")

    async def probe() -> dict[str, Any] | None:
        state = await client.state(entity_id)
        if state is None or state["state"] in ("unknown", "unavailable"):
            return None
        return state

    state = await _wait_for(probe, deadline, 90.0)
    if state is None:
        raise AssertionError(f"{entity_id} never fired")
    attributes = state["attributes"]
    who = attributes.get("person_name") or "nobody known"
    return f"{entity_id}: {attributes.get('event_type')} ({who})"


async def _check_picture(client: HassClient, device: RunningDevice, deadline: Deadline) -> str:
    entity_id = device.entities.get("last_capture")
    if entity_id is None:
        raise AssertionError("no last_capture image entity")

    async def probe() -> bytes | None:
        status, body = await client.get_bytes(f"/api/image_proxy/{entity_id}")
        return body if status == 200 and body.startswith(b"\xff\xd8") else None

    picture = await _wait_for(probe, deadline, 30.0)
    if picture is None:
        raise AssertionError(f"{entity_id} serves no JPEG")
    return f"{entity_id}: JPEG, {len(picture)} bytes"


async def _check_roster(client: HassClient, device: RunningDevice, deadline: Deadline) -> str:
    expected = {person.person_id: person.name for person in ROSTER}
    last: JsonObject = {}
    failure = ""

    async def probe() -> JsonObject | None:
        nonlocal last, failure
        try:
            response: JsonObject = await client.call_service(
                "face_access", "list_people", {"device_id": device.ha_device_id}, response=True
            )
        except HassApiError as err:  # the device busy with the sync's commands: look again
            failure = str(err)
            return None
        last = response
        listed = {person["person_id"]: person["name"] for person in response["people"]}
        return response if listed == expected else None

    response = await _wait_for(probe, deadline, ROSTER_WAIT)
    if response is None:
        listed = {person["person_id"]: person["name"] for person in last.get("people", [])}
        raise AssertionError(
            f"list_people returned {listed if last else failure}, expected {expected}"
        )
    names = sorted(person["name"] for person in response["people"])
    return f"list_people: {', '.join(names)} (total {response['total']})"


async def _check_open_door(client: HassClient, device: RunningDevice, deadline: Deadline) -> str:
    entity_id = device.entities.get("open_door")
    if not device.simulator.has_door:
        if entity_id is not None:
            raise AssertionError(f"{entity_id} exists, but the device has no door")
        return "no open_door button (the protocol has no door command)"
    if entity_id is None:
        raise AssertionError("no open_door button")
    simulator = device.simulator
    before = simulator.unlock_count
    await client.call_service("button", "press", {"entity_id": entity_id})

    async def probe() -> int | None:
        count = simulator.unlock_count
        return count if count > before else None

    if await _wait_for(probe, deadline, 15.0) is None:
        raise AssertionError(f"pressed {entity_id}, the simulator received no Unlock")
    return f"pressed {entity_id}; the simulator opened the door ({door_via(simulator)})"


def door_via(simulator: Simulator) -> str:
    """Say how the last remote door opening reached the simulator."""
    return simulator.last_unlock_via() or "unknown"


_DEVICE_CHECKS: tuple[
    tuple[str, Callable[[HassClient, RunningDevice, Deadline], Awaitable[str]]], ...
] = (
    ("online", _check_online),
    ("access event", _check_access),
    ("last capture picture", _check_picture),
    ("roster on the device", _check_roster),
    ("open door", _check_open_door),
)


async def _check_spare_running(
    client: HassClient, device: RunningDevice, deadline: Deadline
) -> str:
    """Check that the spare device runs and announces itself, ready to be added in the UI."""
    simulator = device.simulator

    async def probe() -> int | None:
        count = simulator.announcements
        return count if simulator.connected and count > 0 else None

    if await _wait_for(probe, deadline, 15.0) is None:
        state = "connected" if simulator.connected else "not connected"
        raise AssertionError(f"the simulator is {state} and has not announced itself")
    spec = device.spec
    return (
        f"connected, announcing Online on {spec.topic_prefix}/basic; left to add in the UI "
        f"(device ID {spec.device_id}, topic prefix {spec.topic_prefix})"
    )


_SPARE_CHECKS: tuple[
    tuple[str, Callable[[HassClient, RunningDevice, Deadline], Awaitable[str]]], ...
] = (("simulator running", _check_spare_running),)


async def check_enrollment(
    client: HassClient,
    people_entry_id: str,
    person: Person,
    devices: list[RunningDevice],
    deadline: Deadline,
) -> str:
    """Check that ``person``'s *Enrollment* sensor says ``enrolled``, on every demo device.

    The sensor's ``terminals`` attribute names each terminal (its device name) with the
    person's status there; every device in ``devices`` must be among them, ``enrolled``.
    """
    if not people_entry_id:
        raise AssertionError("there is no People entry")
    names = {
        device["id"]: device.get("name_by_user") or device.get("name")
        for device in await client.devices()
    }
    wanted = {str(names.get(device.ha_device_id)) for device in devices}
    last: JsonObject | None = None
    found: people.PersonSubentry | None = None

    async def probe() -> JsonObject | None:
        nonlocal last, found
        roster = await people.roster_people(client, people_entry_id)
        found = next((p for p in roster if p.person_id == person.person_id), None)
        if found is None or not found.enrollment:
            return None
        last = await client.state(found.enrollment)
        if last is None or last["state"] != people.ENROLLED:
            return None
        terminals = last["attributes"].get("terminals") or {}
        on = {name for name, status in terminals.items() if status.get("status") == "enrolled"}
        return last if wanted <= on else None

    state = await _wait_for(probe, deadline, ROSTER_WAIT)
    if found is None:
        raise AssertionError(f"the People entry has no person {person.person_id}")
    if not found.enrollment:
        raise AssertionError(f"{person.name} has no Enrollment sensor")
    if state is None:
        shown = (last or {}).get("state", "missing")
        terminals = (last or {}).get("attributes", {}).get("terminals")
        raise AssertionError(f"{found.enrollment} is {shown}: {terminals}")
    return f"{found.enrollment}: enrolled on {', '.join(sorted(wanted))}"


def error_records(log: Path) -> list[str]:
    """Return each ERROR or CRITICAL record of ``home-assistant.log``, traceback included.

    A record is a time-stamped line and the lines after it (a traceback), so a traceback
    that merely mentions "ERROR" is not a record of its own. A missing log has none.
    """
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    records: list[list[str]] = []
    for line in lines:
        if _RECORD_START.match(line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    return ["\n".join(record) for record in records if _ERROR_LEVEL.search(record[0])]


async def check_dashboard(client: HassClient, devices: list[RunningDevice]) -> str:
    """Check the Doors dashboard: a storage dashboard with a card per device.

    Each device's card must name its last capture and, where the device has one, its
    *Open door* button; the access log must list every device's access events.
    """
    dashboards = await client.websocket({"type": "lovelace/dashboards/list"})
    found = [item for item in dashboards if item.get("url_path") == dashboard.URL_PATH]
    if not found or found[0].get("mode") != "storage":
        raise AssertionError(f"no storage dashboard at /{dashboard.URL_PATH}: {dashboards}")
    config = await dashboard.stored_config(client)
    if config is None:
        raise AssertionError(f"/{dashboard.URL_PATH} has no configuration")
    cards = [card for view in config.get("views", []) for card in view.get("cards", [])]
    logbooks = [card for card in cards if card.get("type") == "logbook"]
    logged = {entity for card in logbooks for entity in dashboard.card_entities(card)}
    for device in devices:
        picture = device.entities.get(dashboard.PICTURE_KEY)
        mine = [card for card in cards if picture in set(dashboard.card_entities(card))]
        if len(mine) != 1:
            raise AssertionError(f"{len(mine)} cards show {picture} ({device.spec.title})")
        named = set(dashboard.card_entities(mine[0]))
        wanted = {device.entities[key] for key, _, _ in dashboard.ROWS if key in device.entities}
        if missing := wanted - named:
            raise AssertionError(f"{device.spec.title}'s card lacks {sorted(missing)}")
        if device.simulator.has_door != ("open_door" in device.entities):
            raise AssertionError(f"{device.spec.title}: door button and door disagree")
        if device.entities.get("access") not in logged:
            raise AssertionError(f"the access log lacks {device.spec.title}'s access events")
    return (
        f"{client.base_url}/{dashboard.URL_PATH}: {len(cards) - len(logbooks)} device "
        f"card(s), an access log of {len(logged)} event entities"
    )


async def check_entries_loaded(client: HassClient) -> str:
    """Check that every integration is set up: no red card under *Devices & services*."""
    entries = await client.config_entries()
    failed = [
        f"{entry['title']} ({entry['domain']}): {entry['state']}"
        for entry in entries
        if entry["state"] != "loaded" and entry.get("disabled_by") is None
    ]
    if failed:
        raise AssertionError("not set up: " + "; ".join(failed))
    return ", ".join(sorted({entry["domain"] for entry in entries}))


async def run_checks(
    client: HassClient,
    devices: list[RunningDevice],
    spares: list[RunningDevice],
    hass_log: Path,
    seconds: float,
    *,
    people_entry_id: str = "",
) -> list[CheckResult]:
    """Run every check within ``seconds``; return the verdicts in order.

    ``devices``: the devices the demo added; ``spares``: those left for the UI;
    ``people_entry_id``: the People entry, whose people must be on every device.
    """
    deadline = Deadline(seconds)
    results: list[CheckResult] = []
    for person in ROSTER if devices else ():
        name = f"{person.name} enrolled"
        try:
            detail = await check_enrollment(client, people_entry_id, person, devices, deadline)
        except Exception as err:  # noqa: BLE001 - every failure is a FAIL line, not a crash
            results.append(CheckResult("People", name, False, str(err)))
        else:
            results.append(CheckResult("People", name, True, detail))
    runs = [(device, _DEVICE_CHECKS) for device in devices]
    runs += [(spare, _SPARE_CHECKS) for spare in spares]
    for device, device_checks in runs:
        for name, check in device_checks:
            try:
                detail = await check(client, device, deadline)
            except Exception as err:  # noqa: BLE001 - every failure is a FAIL line, not a crash
                results.append(CheckResult(device.spec.title, name, False, str(err)))
            else:
                results.append(CheckResult(device.spec.title, name, True, detail))
    if devices:
        home_checks: tuple[tuple[str, Callable[[], Awaitable[str]]], ...] = (
            ("Doors dashboard", lambda: check_dashboard(client, devices)),
            ("every integration set up", lambda: check_entries_loaded(client)),
        )
        for name, home_check in home_checks:
            try:
                detail = await home_check()
            except Exception as err:  # noqa: BLE001 - a FAIL line, as above
                results.append(CheckResult("Home Assistant", name, False, str(err)))
            else:
                results.append(CheckResult("Home Assistant", name, True, detail))
    errors = error_records(hass_log)
    results.append(
        CheckResult(
            "Home Assistant",
            "no errors in the log",
            not errors,
            f"{len(errors)} error(s), first: {errors[0].splitlines()[0][:300]}"
            if errors
            else str(hass_log),
        )
    )
    return results


def summary(results: list[CheckResult]) -> str:
    """Return a PASS/FAIL line per check, then the verdict."""
    lines = [
        f"  {'PASS' if result.passed else 'FAIL'}  {result.subject}: {result.name} — "
        f"{result.detail}"
        for result in results
    ]
    failed = sum(not result.passed for result in results)
    # Worded so that it never reads as a test runner's "N passed, N failed" closing line.
    lines.append(
        f"FAIL: {failed} of {len(results)} checks failed"
        if failed
        else f"PASS: all {len(results)} checks passed"
    )
    return "\n".join(lines)
