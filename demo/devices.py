"""The table of demo devices: one simulated device per implemented protocol.

Everything else (adding the device through the config flow, enrolling the roster, the
activity, the checks) is driven by ``DEVICES``. A new protocol is one more ``DemoDevice``:
its config-flow menu option, a device ID, how to build its simulator, and a function that
makes it do one random, realistic thing.

``SPARE_DEVICES`` are simulated devices that the demo runs but does not add: the newcomer
adds one in the UI (the console says how), and so does the browser test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import json
import random

from simulators.camera_mqtt import CameraSimulator

# The camera's own CLI already knows every analytics push with valid random values.
from simulators.camera_mqtt.__main__ import analytics_pushes
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.temperature_http import TemperatureTabletSimulator
from simulators.temperature_http.__main__ import random_activity as tablet_random_activity

from .config import INTEGRATION_SOURCE
from .roster import ROSTER, Person

type Simulator = FaceTerminalSimulator | TemperatureTabletSimulator
"""An MQTT device (a face terminal, or the camera, its subclass) or an HTTP tablet."""

SimulatorFactory = Callable[[str, int], Simulator]
"""``(broker host, broker port) -> simulator``, not yet started. An HTTP device ignores
the broker; the demo sets its URL (``simulator.url``) once the config flow made its webhook."""

ONLINE_REPEAT = 2.0
"""Seconds between two ``Online`` announcements until Home Assistant answers (real
devices: about 60). Home Assistant's MQTT integration subscribes a moment after it
connects, so an announcement made meanwhile is lost; a short repeat makes a restarted
demo's devices come online at once instead of a minute later."""

Activity = Callable[[Simulator, random.Random], str]
"""Push one event from the device; return a one-line description for the console."""


@dataclass(frozen=True)
class DemoDevice:
    """One simulated device of the demo.

    ``protocol``: the protocol key, which is also the config flow's menu option.
    ``device_id``: the device's own ID (the config flow's ``device_id``, the entry's
    unique ID). ``topic_prefix``: the config flow's topic prefix. ``open_door``: whether
    the device has the ``open_door`` button (checked by pressing it). ``webhook``: the
    device posts to a webhook that its config flow creates (the config flow takes a name
    instead of a topic prefix, and the simulator starts once the entry exists).
    ``options``: set through the entry's options flow (*Configure*) right after adding it.
    """

    protocol: str
    device_id: str
    label: str
    make_simulator: SimulatorFactory
    activity: Activity
    first_event: Activity
    open_door: bool
    topic_prefix: str = "mqtt/face"
    webhook: bool = False
    options: Mapping[str, object] | None = None

    @property
    def title(self) -> str:
        """How the console names the device (and the config flow titles its entry)."""
        return f"{self.label} {self.device_id}"


def menu_option_label(protocol: str) -> str:
    """Return the config flow's menu entry for ``protocol``, as the UI shows it (English)."""
    try:
        strings = json.loads(
            (INTEGRATION_SOURCE / "translations" / "en.json").read_text(encoding="utf-8")
        )
        label = strings["config"]["step"]["user"]["menu_options"][protocol]
    except (OSError, ValueError, KeyError, TypeError):
        return protocol
    return str(label)


def _enrolled(simulator: Simulator) -> list[Person]:
    """Return the roster's people that the device knows (enrolled through Home Assistant)."""
    known = simulator.persons
    return [person for person in ROSTER if person.person_id in known]


# ---------------------------------------------------------------- face terminal


def _terminal_recognition(simulator: Simulator, rng: random.Random) -> str:
    """Recognize a known person: their face, usually a temperature, sometimes a mask."""
    assert isinstance(simulator, FaceTerminalSimulator)
    people = _enrolled(simulator)
    if not people:
        return _terminal_stranger(simulator, rng)
    person = rng.choice(people)
    roll = rng.random()
    # About one passage in ten has a fever (above the terminal's 37.3 °C threshold).
    if roll < 0.1:
        temperature: float | None = round(rng.uniform(37.5, 38.6), 1)
    elif roll < 0.9:
        temperature = round(rng.uniform(36.2, 37.1), 1)
    else:
        temperature = None
    mask = rng.random() < 0.4
    simulator.push_record(
        person.person_id,
        temperature=temperature,
        mask_checked=mask,
        similarity=round(rng.uniform(82.0, 99.0), 1),
        picture=person.capture(),
    )
    details = [f"{temperature} °C" if temperature is not None else "no temperature"]
    if mask:
        details.append("mask")
    return f"recognized {person.name} ({', '.join(details)})"


def _terminal_stranger(simulator: Simulator, rng: random.Random) -> str:
    """Capture someone unknown standing in front of the terminal."""
    temperature = round(rng.uniform(36.0, 38.2), 1)
    simulator.push_stranger(temperature=temperature)
    return f"stranger ({temperature} °C)"


def _terminal_denied(simulator: Simulator, rng: random.Random) -> str:
    """Refuse a known face (``VerifyStatus`` 2)."""
    assert isinstance(simulator, FaceTerminalSimulator)
    people = _enrolled(simulator)
    if not people:
        return _terminal_stranger(simulator, rng)
    person = rng.choice(people)
    simulator.push_record(
        person.person_id, verify_status=2, similarity=91.0, picture=person.capture()
    )
    return f"denied {person.name}"


def _terminal_card(simulator: Simulator, rng: random.Random) -> str:
    """Swipe a card (8 hexadecimal digits, as the card reader sends them)."""
    assert isinstance(simulator, FaceTerminalSimulator)
    number = f"{rng.randrange(16**8):08X}"
    simulator.push_card(number)
    return f"card {number}"


def _terminal_qr(simulator: Simulator, rng: random.Random) -> str:
    """Scan a visitor's QR code."""
    assert isinstance(simulator, FaceTerminalSimulator)
    text = f"VISITOR-{rng.randrange(10**6):06d}"
    simulator.push_qr(text)
    return f"QR code {text}"


def terminal_activity(simulator: Simulator, rng: random.Random) -> str:
    """Push one random event of a busy entrance; mostly recognitions."""
    action = rng.choices(
        (
            _terminal_recognition,
            _terminal_stranger,
            _terminal_denied,
            _terminal_card,
            _terminal_qr,
        ),
        weights=(6, 2, 1, 1, 1),
    )[0]
    return action(simulator, rng)


# --------------------------------------------------------------- network camera


def _camera_recognition(simulator: Simulator, rng: random.Random) -> str:
    """Recognize a known person walking past: their face, and whether they wear a mask."""
    people = _enrolled(simulator)
    if not people:
        return _camera_stranger(simulator, rng)
    person = rng.choice(people)
    no_mask = rng.choice((0, 1, None))  # 0 mask (or check off), 1 no mask, None not said
    assert isinstance(simulator, CameraSimulator)
    simulator.push_record(
        person.person_id,
        similarity=float(rng.randrange(82, 100)),
        no_mask=no_mask,
        picture=person.capture(),
    )
    return f"recognized {person.name}" + (" (no mask)" if no_mask == 1 else "")


def _camera_stranger(simulator: Simulator, rng: random.Random) -> str:
    """Capture someone unknown walking past."""
    assert isinstance(simulator, CameraSimulator)
    no_mask = rng.randrange(2)
    simulator.push_stranger(no_mask=no_mask)
    return "stranger" + (" (no mask)" if no_mask else "")


def _camera_analytics(simulator: Simulator, rng: random.Random) -> str:
    """Push one of the camera's analytics detections (tripwire, fire and smoke, helmet, …)."""
    assert isinstance(simulator, CameraSimulator)
    operator, push = rng.choice(analytics_pushes(simulator, rng))
    push()
    return f"analytics {operator}"


def camera_activity(simulator: Simulator, rng: random.Random) -> str:
    """Push one random event: recognitions, strangers and analytics."""
    action = rng.choices(
        (_camera_recognition, _camera_stranger, _camera_analytics), weights=(4, 2, 4)
    )[0]
    return action(simulator, rng)


# ----------------------------------------------------------- temperature tablet


def _tablet_recognition(simulator: Simulator, rng: random.Random) -> str:
    """Recognize a known person: their face, a temperature (one in ten a fever), a mask."""
    assert isinstance(simulator, TemperatureTabletSimulator)
    people = _enrolled(simulator)
    if not people:
        return tablet_random_activity(simulator, rng)
    person = rng.choice(people)
    fever = rng.random() < 0.1
    temperature = round(rng.uniform(37.5, 38.6) if fever else rng.uniform(36.2, 37.1), 1)
    facemask = int(rng.random() < 0.5)
    simulator.push_record(
        person.person_id,
        temperature=temperature,
        facemask=facemask,
        confidence=round(rng.uniform(0.82, 0.99), 2),
        picture=person.capture(),
    )
    return f"recognized {person.name} ({temperature} °C, {'mask' if facemask else 'no mask'})"


def tablet_activity(simulator: Simulator, rng: random.Random) -> str:
    """Push one random event: recognitions, strangers, now and then a door-sensor alarm."""
    assert isinstance(simulator, TemperatureTabletSimulator)
    if rng.random() < 0.5:
        return _tablet_recognition(simulator, rng)
    return tablet_random_activity(simulator, rng)


TABLET_HEARTBEAT = 5.0
"""The tablet's own heartbeat period until Home Assistant's first reply sets its option."""


# ------------------------------------------------------------------------ tables

DEVICES: tuple[DemoDevice, ...] = (
    DemoDevice(
        protocol="face_terminal_mqtt",
        device_id="1305433",
        label="Face terminal",
        make_simulator=lambda host, port: FaceTerminalSimulator(
            host, port, "1305433", name="Front door", online_repeat_interval=ONLINE_REPEAT
        ),
        activity=terminal_activity,
        first_event=_terminal_recognition,
        open_door=True,
    ),
    DemoDevice(
        protocol="camera_mqtt",
        device_id="1026700",
        label="Network camera",
        make_simulator=lambda host, port: CameraSimulator(
            host, port, "1026700", online_repeat_interval=ONLINE_REPEAT
        ),
        activity=camera_activity,
        first_event=_camera_recognition,
        open_door=False,
    ),
    DemoDevice(
        protocol="temperature_http",
        device_id="0012b516a202",
        label="Temperature tablet",
        make_simulator=lambda _host, _port: TemperatureTabletSimulator(
            "", "0012b516a202", heartbeat_interval=TABLET_HEARTBEAT
        ),
        activity=tablet_activity,
        first_event=_tablet_recognition,
        open_door=True,
        webhook=True,
        # Commands ride on heartbeats: a 2 s period makes the roster and the door quick.
        options={"heartbeat_interval": 2, "sync_time": True},
    ),
)


SIDE_DOOR_ID = "1389286"
SIDE_DOOR_PREFIX = "mqtt/side"
"""The spare terminal's topic prefix. Not ``mqtt/face``: Home Assistant discovers devices
announcing themselves on ``mqtt/face/basic`` (the integration's manifest), and while a
discovered device waits for confirmation, adding the same device by hand through *Add
integration* aborts (``already_in_progress``). On its own prefix the terminal is left to be
added by hand, as a terminal whose cloud topic was changed on its web page."""


def _side_door(host: str, port: int) -> Simulator:
    """Build the spare face terminal; the roster is already enrolled on it (on its screen)."""
    simulator = FaceTerminalSimulator(
        host,
        port,
        SIDE_DOOR_ID,
        name="Side door",
        topic_prefix=SIDE_DOOR_PREFIX,
        online_repeat_interval=ONLINE_REPEAT,
    )
    for person in ROSTER:
        simulator.add_person(person.person_id, person.name, picture=person.photo())
    return simulator


SPARE_DEVICES: tuple[DemoDevice, ...] = (
    DemoDevice(
        protocol="face_terminal_mqtt",
        device_id=SIDE_DOOR_ID,
        label="Face terminal",
        make_simulator=_side_door,
        activity=terminal_activity,
        first_event=_terminal_recognition,
        open_door=True,
        topic_prefix=SIDE_DOOR_PREFIX,
    ),
)
"""Simulated devices that run, announce themselves, and wait to be added in the UI.

The demo never adds them; their activity starts once Home Assistant answers their
``Online`` (that is, once someone added them). ``--check`` only checks that they run.
"""
