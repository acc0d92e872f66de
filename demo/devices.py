"""The table of demo devices: one simulated device per implemented protocol.

Everything else (adding the device through the config flow, enrolling the roster, the
activity, the checks) is driven by ``DEVICES`` and the simulators' common interface
(``simulators.base.Simulator``). A new protocol is one more ``DemoDevice``: its config-flow
menu option, a device ID, how to build its simulator, and what its config-flow form takes.

``SPARE_DEVICES`` are simulated devices that the demo runs but does not add: the newcomer
adds one in the UI (the console says how), and so does the browser test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import json

from simulators.base import Simulator
from simulators.camera_mqtt import CameraSimulator
from simulators.face_capture_http import DEFAULT_SERIAL, FaceCaptureSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.temperature_http import TemperatureTabletSimulator
from simulators.unv_lapi import UnvLapiSimulator

from .config import INTEGRATION_SOURCE
from .roster import ROSTER

SimulatorFactory = Callable[[str, int], Simulator]
"""``(broker host, broker port) -> simulator``, not yet started. A device that posts to a
webhook ignores the broker; the demo gives it its URL (``configure_url``) once the config
flow made its webhook."""

FormBuilder = Callable[[Simulator], Mapping[str, object]]
"""``simulator -> the config flow's form data`` (what a person types into the protocol's
form), from the simulator that is to be added: its ID, or where its own server listens."""

ONLINE_REPEAT = 2.0
"""Seconds between two ``Online`` announcements until Home Assistant answers (real
devices: about 60). Home Assistant's MQTT integration subscribes a moment after it
connects, so an announcement made meanwhile is lost; a short repeat makes a restarted
demo's devices come online at once instead of a minute later."""


@dataclass(frozen=True)
class DemoDevice:
    """One simulated device of the demo.

    ``protocol``: the protocol key, which is also the config flow's menu option.
    ``device_id``: the device's own ID (the entry's unique ID, Home Assistant's device
    identifier). ``form``: the data of the protocol's config-flow form for the running
    simulator. ``topic_prefix``: an MQTT device's topic prefix, as the console tells it for
    a device left to add in the UI. ``options``: set through the entry's options flow
    (*Configure*) right after adding it. Whether the device has a door, posts to a webhook,
    or has a server of its own (then it runs before its config flow), its simulator says.
    """

    protocol: str
    device_id: str
    label: str
    make_simulator: SimulatorFactory
    form: FormBuilder
    topic_prefix: str = "mqtt/face"
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


def mqtt_form(topic_prefix: str = "mqtt/face") -> FormBuilder:
    """Return the form of an MQTT device: its device ID and ``topic_prefix``."""

    def form(simulator: Simulator) -> Mapping[str, object]:
        return {"device_id": simulator.device_id, "topic_prefix": topic_prefix}

    return form


def id_form(simulator: Simulator) -> Mapping[str, object]:
    """Return the form of a device that posts to a webhook: its ID only.

    The flow makes the webhook; its last dialog names the address to post to.
    """
    return {"device_id": simulator.device_id}


def server_form(username: str, password: str) -> FormBuilder:
    """Return the form of a device with a server of its own: its address and credentials.

    Home Assistant asks the device who it is there (the entry's unique ID is its answer).
    """

    def form(simulator: Simulator) -> Mapping[str, object]:
        address = simulator.address
        if address is None:
            raise ValueError(f"{simulator.device_id} has no server of its own")
        host, port = address
        return {"host": host, "port": port, "username": username, "password": password}

    return form


TABLET_HEARTBEAT = 5.0
"""The tablet's own heartbeat period until Home Assistant's first reply sets its option."""

FACE_CAPTURE_HEARTBEAT = 3.0
"""Seconds between the Huaan terminal's heartbeats to its webhook (real devices: 30 or so),
so that it shows online soon after a start."""
FACE_CAPTURE_USER = "admin"
FACE_CAPTURE_PASSWORD = "admin"
"""The Huaan terminal's HTTP Basic credentials: the factory's (field notes §2.2)."""

UNV_SERIAL = "210235C31L3186000023"
"""The Uniview terminal's serial number (``DeviceBasicInfo``; the document's example)."""
UNV_USER = "admin"
UNV_PASSWORD = "admin"
"""The Uniview terminal's HTTP Digest credentials: the factory's."""


# ------------------------------------------------------------------------ tables

DEVICES: tuple[DemoDevice, ...] = (
    DemoDevice(
        protocol="face_terminal_mqtt",
        device_id="1305433",
        label="Face terminal",
        make_simulator=lambda host, port: FaceTerminalSimulator(
            host, port, "1305433", name="Front door", online_repeat_interval=ONLINE_REPEAT
        ),
        form=mqtt_form(),
    ),
    DemoDevice(
        protocol="camera_mqtt",
        device_id="1026700",
        label="Network camera",
        make_simulator=lambda host, port: CameraSimulator(
            host, port, "1026700", online_repeat_interval=ONLINE_REPEAT
        ),
        form=mqtt_form(),
    ),
    DemoDevice(
        protocol="temperature_http",
        device_id="0012b516a202",
        label="Temperature tablet",
        make_simulator=lambda _host, _port: TemperatureTabletSimulator(
            "", "0012b516a202", heartbeat_interval=TABLET_HEARTBEAT
        ),
        form=id_form,
        # Commands ride on heartbeats: a 2 s period makes the roster and the door quick.
        options={"heartbeat_interval": 2, "sync_time": True},
    ),
    DemoDevice(
        protocol="face_capture_http",
        device_id=DEFAULT_SERIAL,
        label="Face capture terminal",
        # Its own server on a free port of 127.0.0.1; it posts records to its webhook.
        make_simulator=lambda _host, _port: FaceCaptureSimulator(
            DEFAULT_SERIAL,
            user=FACE_CAPTURE_USER,
            password=FACE_CAPTURE_PASSWORD,
            heartbeat_interval=FACE_CAPTURE_HEARTBEAT,
        ),
        form=server_form(FACE_CAPTURE_USER, FACE_CAPTURE_PASSWORD),
    ),
    DemoDevice(
        protocol="unv_lapi",
        device_id=UNV_SERIAL,
        label="Uniview terminal",
        # Its own server on a free port of 127.0.0.1 (HTTP Digest). Home Assistant
        # subscribes it to its internal URL; it then posts records to fixed LAPI paths on
        # Home Assistant's HTTP port. ``extended``: the people, door and snapshot paths.
        make_simulator=lambda _host, _port: UnvLapiSimulator(
            UNV_SERIAL, user=UNV_USER, password=UNV_PASSWORD, extended=True
        ),
        form=server_form(UNV_USER, UNV_PASSWORD),
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
        form=mqtt_form(SIDE_DOOR_PREFIX),
        topic_prefix=SIDE_DOOR_PREFIX,
    ),
)
"""Simulated devices that run, announce themselves, and wait to be added in the UI.

The demo never adds them; their activity starts once Home Assistant answers their
``Online`` (that is, once someone added them). ``--check`` only checks that they run.
"""
