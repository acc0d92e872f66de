"""Fuzz every inbound path of every protocol with damaged real payloads (issue 15, part 1).

For each adapter of `tests.fuzz_adapters.ADAPTERS` a real Home Assistant test instance gets
the device; hypothesis then takes a real payload (`tests.fuzz_seeds`) and damages it
(`tests.fuzz_mutations`). Each case must hold the quality bar of DESIGN.md:

- nothing escapes: no log record at ERROR or above and no traceback, from any logger;
- the answer is the protocol's: an HTTP refusal the protocol defines (short reason, no
  echo of the input) or 200 for what it tolerates; over MQTT silence, or its acks;
- at most one log line at WARNING, naming the device, never repeating the payload;
- a refused input changes no state and fires no event;
- the next good record is processed: its `face_access_event` fires and it is acknowledged.

The command replies (a device's answers to Home Assistant's commands) are fuzzed below at
the client level (`tests.fuzz_replies`): every command must return or raise the protocol's
`FaceAccessError`, which Home Assistant's layer turns into a translated error, and log no
error. FACE_ACCESS_FUZZ picks the amount: `suite` (default: a fixed seed,
a few hundred cases per protocol), `medium` or `long` (10,000 per protocol; `scripts/fuzz`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
import logging
import time
import traceback
from typing import Any

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from hypothesis import given, strategies as st
import pytest
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.face_access.const import DOMAIN, EVENT_FACE_ACCESS
from custom_components.face_access.protocols.model import FaceAccessError
from tests import fuzz_report
from tests.common import settle
from tests.fuzz_adapters import ADAPTERS, Adapter, Answer, Device, Env
from tests.fuzz_mutations import JSON_TYPE, PAD, Mutant, mutants
from tests.fuzz_replies import COMMANDS, REPLY_ADAPTERS, Damage, ReplyAdapter
from tests.fuzz_settings import fuzz_settings

OUR_LOGGER = "custom_components.face_access"
SECRETS = ("Ada Lovelace", "Test Person", "Zhang San", "110101199", "/9j/4AAQ", "Qk0", PAD * 2)
"""What the seeds carry that no log line may repeat: names, ID numbers, pictures, filler."""
VOLATILE = frozenset({"access_token", "entity_picture"})
"""Attributes that change on their own (the camera's and image's rotating tokens)."""
MAX_REASON = 100
REPLY_WAIT = 0.25
"""Seconds a command with a damaged reply may wait before it counts as timed out."""
MAX_LOG_LINE = 300


class Run:
    """One adapter's device in one Home Assistant instance, across hypothesis's cases."""

    def __init__(self, adapter: Adapter, device: Device) -> None:
        """Listen to the integration's bus events; good records count from 100000."""
        self.adapter = adapter
        self.device = device
        self.hass = device.env.hass
        self.events: list[dict[str, Any]] = []
        self.count = 100_000
        # A warning names the device; where the input names none (a fixed path's body
        # without a serial), the protocol or the path.
        self.names = (adapter.serial, adapter.protocol, *device.routes.values())
        self.hass.bus.async_listen(EVENT_FACE_ACCESS, self._on_event)
        self.last_person = er.async_get(self.hass).async_get_entity_id(
            "sensor", DOMAIN, f"{adapter.serial}_last_person"
        )

    def _on_event(self, event: Event) -> None:
        self.events.append(dict(event.data))

    def snapshot(self) -> dict[str, Any]:
        """Return every state and its attributes, without the self-rotating ones."""
        return {
            state.entity_id: (
                state.state,
                {k: v for k, v in state.attributes.items() if k not in VOLATILE},
            )
            for state in self.hass.states.async_all()
        }

    async def case(self, path: str, mutant: Mutant, caplog: pytest.LogCaptureFixture) -> None:
        """Deliver one bad input, judge it, then deliver a good record and see it processed."""
        await settle(self.hass)
        before = self.snapshot()
        events = len(self.events)
        caplog.clear()
        started = time.monotonic()
        answer = await self.device.deliver(path, mutant.body, mutant.content_type)
        await settle(self.hass)
        seconds = time.monotonic() - started
        if not self.adapter.http:
            answer = Answer(published=self.device.published())
        problems = _escapes(caplog.records)
        changed = _changes(before, self.snapshot(), self.events[events:])
        outcome, wrong = self._judge(mutant, answer, changed)
        problems += wrong
        problems += _log_problems(caplog.records, self.names, mutant)
        problems += await self._good_record_processed()
        if problems:
            outcome = fuzz_report.ESCAPE
        fuzz_report.record(self.adapter.protocol, path, mutant.kind, outcome, seconds)
        assert not problems, f"{mutant.kind} on {path}: {problems}"

    def _judge(self, mutant: Mutant, answer: Answer, changed: list[str]) -> tuple[str, list[str]]:
        """Return the outcome of a case and what was wrong with the answer.

        `changed` names what the input changed (`_changes`): nothing, for a refused one.
        """
        problems: list[str] = []
        if answer.status is None:
            # MQTT: no error acks exist for pushes; what was taken shows as acks or state.
            accepted = bool(changed) or bool(answer.published)
        elif answer.status == 200:
            accepted = True
            if answer.body:
                try:
                    json.loads(answer.body)
                except ValueError:
                    problems.append("a 200 whose body is not JSON")
        elif answer.status in self.adapter.refusals:
            accepted = False
            if len(answer.body) > MAX_REASON:
                problems.append(f"a {answer.status} with a long reason")
            text = answer.body.decode("utf-8", "replace")
            if any(_distinctive(planted) and planted in text for planted in mutant.planted):
                problems.append("the reason echoes the input")
        else:
            return fuzz_report.ESCAPE, [f"answered HTTP {answer.status}: {answer.body[:200]!r}"]
        if mutant.kind == "oversize_body" and answer.status not in (None, 413):
            problems.append(f"a body over the limit answered {answer.status}, not 413")
        if mutant.kind == "wrong_content_type" and answer.status != 200:
            problems.append(f"a good body refused for its Content-Type ({answer.status})")
        if not accepted and changed:
            problems.append(f"a refused input changed {', '.join(changed)}")
        return (fuzz_report.ACCEPTED if accepted else fuzz_report.REFUSED), problems

    async def _good_record_processed(self) -> list[str]:
        """Deliver the next good record; return what went wrong with it."""
        self.count += 1
        path, body = self.adapter.good(self.count)
        events = len(self.events)
        answer = await self.device.deliver(path, body, JSON_TYPE)
        await settle(self.hass)
        attribute, value = self.adapter.marker(self.count)
        problems: list[str] = []
        if not any(event.get(attribute) == value for event in self.events[events:]):
            problems.append("the next good record fired no event")
        # It is also the newest record: a bad one before it (a clock in 2100) must not
        # keep it from the sensors.
        last_person = self.hass.states.get(self.last_person)
        if last_person is None or last_person.attributes.get(attribute) != value:
            shown = None if last_person is None else last_person.attributes.get(attribute)
            problems.append(f"the next good record is not the last person (shows {shown!r})")
        if self.adapter.http:
            if answer.status != 200:
                problems.append(f"the next good record was answered {answer.status}")
        elif not any(
            message.get("operator") == "PushAck"
            and str(message.get("info", {}).get("SnapOrRecordID")) == str(self.count)
            for message in self.device.published()
        ):
            problems.append("the next good record was not acknowledged")
        return problems


def _changes(
    before: dict[str, Any], after: dict[str, Any], events: list[dict[str, Any]]
) -> list[str]:
    """Name what changed between two `Run.snapshot`s, and the events fired meanwhile."""
    gone = (None, {})
    changed = [
        f"{entity_id} ({before.get(entity_id, gone)[0]!r} -> {after.get(entity_id, gone)[0]!r})"
        for entity_id in sorted(before.keys() | after.keys())
        if before.get(entity_id) != after.get(entity_id)
    ]
    changed += [f"an event of type {event.get('type')!r}" for event in events]
    return changed


def _escapes(records: list[logging.LogRecord], ignore: tuple[str, ...] = ()) -> list[str]:
    """Return the log records that show an error reached the log, with their traceback's end.

    Loggers starting with a name of `ignore` are not the code under test.
    """
    found: list[str] = []
    for record in records:
        if ignore and record.name.startswith(ignore):
            continue
        if record.levelno >= logging.ERROR or record.exc_info:
            trace = ""
            if record.exc_info and record.exc_info[1] is not None:
                trace = "".join(traceback.format_exception(record.exc_info[1]))[-600:]
            found.append(f"{record.levelname} {record.name}: {record.getMessage()[:200]} {trace}")
    return found


def _distinctive(planted: str) -> bool:
    """Tell whether a string the damage put in would, in a log line, be the input repeated.

    Hypothesis also draws the string constants of the code under test ("another cid",
    "mqtt/face", operator names), which log lines contain by design; what it makes up
    has characters outside printable ASCII, and only that is looked for.
    """
    return any(not (char.isascii() and char.isprintable()) for char in planted)


DISCOVERY_TOPIC = "mqtt/face/basic"
"""The manifest's MQTT discovery topic: Home Assistant itself subscribes to it as UTF-8."""


def _core_discovery_line(record: logging.LogRecord) -> bool:
    """Tell Home Assistant's own warning about a non-UTF-8 payload on the discovery topic.

    Core's MQTT discovery subscribes to the manifest's topic with UTF-8 and quotes what it
    cannot decode; the integration cannot change that (it subscribes with raw bytes
    itself). Core drops that subscription once a discovery flow aborts as configured.
    """
    return (
        record.name == "homeassistant.components.mqtt.client"
        and str(record.msg).startswith("Can't decode payload")
        and DISCOVERY_TOPIC in record.args  # type: ignore[operator]
    )


def _slow_callback_line(record: logging.LogRecord) -> bool:
    """Tell asyncio's debug-mode note that a step of the loop took long (a busy machine).

    The test harness runs the loop in debug mode, which warns "Executing <Task ...> took
    N seconds" for any slow step, whoever ran it: that says how loaded the machine is, not
    what the integration logged about a device.
    """
    return record.name == "asyncio" and str(record.msg).startswith("Executing ")


def _log_problems(
    records: list[logging.LogRecord], names: tuple[str, ...], mutant: Mutant
) -> list[str]:
    """Return what is wrong with the integration's log lines of one case."""
    records = [
        record
        for record in records
        if not _core_discovery_line(record) and not _slow_callback_line(record)
    ]
    problems: list[str] = []
    # Home Assistant's own lines count too (its MQTT client warns about payloads it drops).
    warnings = [record for record in records if record.levelno >= logging.WARNING]
    if len(warnings) > 1:
        problems.append(f"{len(warnings)} warnings: {[r.getMessage()[:120] for r in warnings]}")
    for record in warnings:
        text = record.getMessage()
        if not any(name in text for name in names):
            problems.append(f"a warning that names no device: {text[:120]}")
    # Ours at every level; Home Assistant's from INFO (its debug lines quote payloads, as
    # the user asked by turning them on), except aiohttp's access log: a request line
    # (address, path, status), never a body.
    shown = [
        r
        for r in records
        if r.name.startswith(OUR_LOGGER)
        or (r.levelno >= logging.INFO and r.name != "aiohttp.access")
    ]
    for record in shown:
        text = record.getMessage()
        if len(text) > MAX_LOG_LINE:
            problems.append(f"a log line of {len(text)} characters: {record.name} {text[:150]}")
        planted = [s for s in mutant.planted if _distinctive(s)]
        if leaked := [s for s in (*SECRETS, *planted) if s in text]:
            problems.append(f"a log line repeats the payload ({leaked[0][:40]!r}): {text[:120]}")
    return problems


@pytest.fixture
async def fuzz_env(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client_no_auth: ClientSessionGenerator,
    socket_enabled: None,
) -> AsyncGenerator[Env]:
    """The fixtures every adapter may need; its simulators stop when the test ends."""
    env = Env(hass, mqtt_mock, hass_client_no_auth)
    yield env
    for undo in reversed(env.cleanup):
        await undo()


async def _run(env: Env, adapter: Adapter) -> Run:
    """Return the adapter's run in this Home Assistant, starting the device on first use.

    Hypothesis calls the test once per case with the same fixtures; the device is set up
    once and every case goes to it, as a long-running installation would see them.
    """
    if env.run is None:
        env.run = Run(adapter, await adapter.start(env))
    run: Run = env.run
    return run


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda adapter: adapter.protocol)
@fuzz_settings()
@given(data=st.data())
async def test_bad_input_changes_nothing_and_loses_nothing(
    fuzz_env: Env, caplog: pytest.LogCaptureFixture, adapter: Adapter, data: st.DataObject
) -> None:
    """Every damaged payload on every path holds the quality bar (see the module)."""
    caplog.set_level(logging.DEBUG, logger=OUR_LOGGER)
    run = await _run(fuzz_env, adapter)
    # Each path gets an equal share, whatever number of seeds it has.
    seeds = adapter.seeds()
    path = data.draw(st.sampled_from(sorted({path for path, _ in seeds})), label="path")
    seed = data.draw(st.sampled_from([body for where, body in seeds if where == path]))
    mutant = data.draw(mutants(seed, adapter.limit, http=adapter.http), label="mutant")
    await run.case(path, mutant, caplog)


@pytest.mark.parametrize("adapter", REPLY_ADAPTERS, ids=lambda adapter: adapter.protocol)
@fuzz_settings(scale=0.5)
@given(data=st.data())
async def test_damaged_replies_fail_commands_cleanly(
    socket_enabled: None,
    caplog: pytest.LogCaptureFixture,
    adapter: ReplyAdapter,
    data: st.DataObject,
) -> None:
    """A command whose reply is damaged returns or raises a FaceAccessError; nothing else."""
    caplog.set_level(logging.DEBUG, logger=OUR_LOGGER)
    caplog.clear()
    name = data.draw(st.sampled_from(adapter.commands), label="command")
    damage = Damage(data, data.draw(st.integers(0, 3), label="reply"), adapter.limit)
    problems: list[str] = []
    started = time.monotonic()
    try:
        async with adapter.client(damage) as client:
            # A reply the damage made unrecognisable leaves the command waiting for its
            # documented timeout (30 s for a batch deletion); what it would then raise is
            # a DeviceTimeoutError, so the wait is cut short here.
            async with asyncio.timeout(REPLY_WAIT):
                await COMMANDS[name](client)
    except (FaceAccessError, TimeoutError):
        pass  # the translated error Home Assistant shows; the point of the exercise
    except Exception as err:  # noqa: BLE001 - anything else is what this test looks for
        problems.append(f"{name} raised {type(err).__name__}: {str(err)[:200]}")
    seconds = time.monotonic() - started
    # The simulator's own server logs what it makes of our requests; it is not under test.
    problems += _escapes(caplog.records, ignore=("aiohttp.server", "aiohttp.access", "simulators"))
    kind = damage.mutant.kind if damage.mutant else "intact"
    outcome = fuzz_report.ESCAPE if problems else fuzz_report.REFUSED
    if damage.mutant is None:
        outcome = fuzz_report.ACCEPTED if not problems else outcome
    fuzz_report.record(adapter.protocol, f"reply to {name}", kind, outcome, seconds)
    assert not problems, f"{kind} reply to {name}: {problems}"
