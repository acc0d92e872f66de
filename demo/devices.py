"""The table of demo devices: one simulated device per implemented protocol.

Everything else (adding the device through the config flow, enrolling the roster, the
activity, the checks) is driven by ``DEVICES`` and the simulators' common interface
(``simulators.base.Simulator``). A new protocol is one more ``DemoDevice``: its config-flow
menu option, a device ID, and how to build its simulator.

``SPARE_DEVICES`` are simulated devices that the demo runs but does not add: the newcomer
adds one in the UI (the console says how), and so does the browser test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import json

from simulators.base import Simulator
from simulators.camera_mqtt import CameraSimulator
from simulators.face_terminal_mqtt import FaceTerminalSimulator
from simulators.temperature_http import TemperatureTabletSimulator

from .config import INTEGRATION_SOURCE
from .roster import ROSTER

SimulatorFactory = Callable[[str, int], Simulator]
"""``(broker host, broker port) -> simulator``, not yet started. A device that posts to a
webhook ignores the broker; the demo gives it its URL (``configure_url``) once the config
flow made its webhook."""

ONLINE_REPEAT = 2.0
"""Seconds between two ``Online`` announcements until Home Assistant answers (real
devices: about 60). Home Assistant's MQTT integration subscribes a moment after it
connects, so an announcement made meanwhile is lost; a short repeat makes a restarted
demo's devices come online at once instead of a minute later."""


@dataclass(frozen=True)
class DemoDevice:
    """One simulated device of the demo.

    ``protocol``: the protocol key, which is also the config flow's menu option.
    ``device_id``: the device's own ID (the config flow's ``device_id``, the entry's
    unique ID). ``topic_prefix``: the config flow's topic prefix (a device that posts to
    a webhook has none: its config flow makes the webhook instead). ``options``: set
    through the entry's options flow (*Configure*) right after adding it. Whether the
    device has a door, or posts to a webhook, its simulator says.
    """

    protocol: str
    device_id: str
    label: str
    make_simulator: SimulatorFactory
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
    ),
    DemoDevice(
        protocol="camera_mqtt",
        device_id="1026700",
        label="Network camera",
        make_simulator=lambda host, port: CameraSimulator(
            host, port, "1026700", online_repeat_interval=ONLINE_REPEAT
        ),
    ),
    DemoDevice(
        protocol="temperature_http",
        device_id="0012b516a202",
        label="Temperature tablet",
        make_simulator=lambda _host, _port: TemperatureTabletSimulator(
            "", "0012b516a202", heartbeat_interval=TABLET_HEARTBEAT
        ),
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
        topic_prefix=SIDE_DOOR_PREFIX,
    ),
)
"""Simulated devices that run, announce themselves, and wait to be added in the UI.

The demo never adds them; their activity starts once Home Assistant answers their
``Online`` (that is, once someone added them). ``--check`` only checks that they run.
"""
