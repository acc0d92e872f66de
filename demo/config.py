"""The demo's Home Assistant configuration directory, its credentials and its saved state.

The directory is not tracked (``demo-config/`` at the repository root by default, in
``.gitignore``). ``configuration.yaml`` is rewritten on every start (so ``--port`` works on
an existing directory); everything Home Assistant stores itself (``.storage/``: the user,
the config entries, the registries) is kept, which is what makes a second start skip
onboarding and the devices.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
import json
import os
from pathlib import Path
import zoneinfo

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The repository whose working tree the demo runs."""
INTEGRATION_SOURCE = REPO_ROOT / "custom_components" / "face_access"
DEFAULT_CONFIG_DIR = REPO_ROOT / "demo-config"

DEMO_NAME = "Demo"
"""Display name of the demo's owner account."""
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-demo"
DEMO_LANGUAGE = "en"

STATE_FILE = "face_access_demo.json"

ONBOARDING_STORE_VERSION = 4
"""The version of Home Assistant's onboarding store (2026.2); a later Home Assistant
migrates an older version, and keeps the steps it lists as done."""
CORE_CONFIG_STEP = "core_config"


@dataclass(frozen=True)
class DemoPaths:
    """Where the demo keeps things inside one configuration directory."""

    root: Path

    @property
    def configuration_yaml(self) -> Path:
        """Home Assistant's main configuration file."""
        return self.root / "configuration.yaml"

    @property
    def integration_link(self) -> Path:
        """``custom_components/face_access``, a link to the working tree's integration."""
        return self.root / "custom_components" / "face_access"

    @property
    def faces(self) -> Path:
        """An allow-listed folder for photos of your own (``photo_path``), empty at first."""
        return self.root / "faces"

    @property
    def onboarding_store(self) -> Path:
        """Home Assistant's record of the onboarding steps done (``.storage/onboarding``)."""
        return self.root / ".storage" / "onboarding"

    @property
    def state_file(self) -> Path:
        """The demo's own memory of this directory (the broker port), JSON."""
        return self.root / STATE_FILE

    @property
    def hass_log(self) -> Path:
        """Home Assistant's own log (``home-assistant.log``, warnings and up)."""
        return self.root / "home-assistant.log"

    @property
    def hass_output(self) -> Path:
        """What the ``hass`` process printed (start-up failures before logging is set up)."""
        return self.root / "demo-hass-output.log"

    @property
    def broker_output(self) -> Path:
        """What the broker process printed."""
        return self.root / "demo-broker-output.log"


@dataclass
class DemoState:
    """What a later start must reuse.

    ``mqtt_port``: the broker's TCP port on 127.0.0.1. Home Assistant's MQTT config entry
    stores it, so the broker must come back on the same port.
    """

    mqtt_port: int | None = None
    dashboard_digest: str | None = None
    """The fingerprint of the Doors dashboard the demo saved last (``demo.dashboard``):
    a dashboard that no longer has it was edited by the user, and is left alone."""

    @classmethod
    def load(cls, paths: DemoPaths) -> DemoState:
        """Read the state file; a missing or unreadable file is a fresh state."""
        try:
            raw = json.loads(paths.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        port = raw.get("mqtt_port")
        digest = raw.get("dashboard_digest")
        return cls(
            mqtt_port=port if isinstance(port, int) else None,
            dashboard_digest=digest if isinstance(digest, str) else None,
        )

    def save(self, paths: DemoPaths) -> None:
        """Write the state file."""
        paths.state_file.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


def local_time_zone() -> str:
    """Return this machine's IANA time zone name, or ``UTC`` when it cannot be told.

    Home Assistant sets the devices' clocks to its own local time and judges records older
    than a minute as historical, so it should share the machine's zone.
    """
    candidates: list[str] = []
    if tz := os.environ.get("TZ", "").lstrip(":"):
        candidates.append(tz)
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        candidates.append(target.split("zoneinfo/", 1)[1])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        return name
    return "UTC"


def configuration_yaml(paths: DemoPaths, http_port: int) -> str:
    """Return the demo's ``configuration.yaml``.

    An explicit, small list instead of ``default_config:``, whose integrations (cloud,
    zeroconf, SSDP, DHCP, Bluetooth, …) would scan or call out of the machine. Home
    Assistant still sets up its always-on integrations (person, automation, backup, …).
    The frontend, recorder, history and logbook give the device page its activity log.
    The location is fixed so onboarding never asks a web service where we are.
    ``internal_url`` is the address Home Assistant listens on: otherwise it takes the
    machine's network address for its own, where it does not listen, and the addresses it
    gives devices to post to (a webhook) would not reach it.
    """
    return f"""\
# Written by scripts/demo on every start; edit scripts/demo's demo/config.py instead.
homeassistant:
  name: Face Access demo
  latitude: 52.3731
  longitude: 4.8922
  elevation: 0
  unit_system: metric
  currency: EUR
  country: NL
  time_zone: {local_time_zone()}
  internal_url: http://127.0.0.1:{http_port}
  allowlist_external_dirs:
    - {paths.faces}

http:
  server_host: 127.0.0.1
  server_port: {http_port}

frontend:
recorder:
  purge_keep_days: 3
history:
logbook:

logger:
  default: warning
  logs:
    custom_components.face_access: info
"""


def skip_core_config_step(paths: DemoPaths) -> bool:
    """Record onboarding's location step as done before Home Assistant first starts.

    That step (*Home location*: location, units, time zone) confirms what the demo's
    ``configuration.yaml`` already fixes. Finishing it also starts the config flows of the
    integrations onboarding offers (Home Assistant 2026.2: Google Translate text-to-speech,
    Met.no weather, Radio Browser, Shopping list; ``onboarding/views.py``), three of which
    call out of the machine and, lacking their packages, fail to set up (a red card, errors
    in the log). Home Assistant itself marks the step done for installations that predate
    it (its store's migration), so the rest of onboarding goes on as usual.

    Only a store that does not exist yet is written; returns whether it was.
    """
    store = paths.onboarding_store
    if store.exists():
        return False
    store.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "version": ONBOARDING_STORE_VERSION,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": [CORE_CONFIG_STEP]},
    }
    store.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return True


def prepare_config_dir(paths: DemoPaths, http_port: int) -> None:
    """Create the directory, link the integration and (re)write ``configuration.yaml``.

    In a new directory, also skip onboarding's location step (``skip_core_config_step``).
    """
    paths.root.mkdir(parents=True, exist_ok=True)
    skip_core_config_step(paths)
    paths.faces.mkdir(exist_ok=True)
    link = paths.integration_link
    link.parent.mkdir(exist_ok=True)
    if (link.is_symlink() or link.exists()) and link.resolve() != INTEGRATION_SOURCE.resolve():
        if not link.is_symlink():
            raise RuntimeError(f"{link} exists and is not the demo's link; remove it")
        link.unlink()
    if not link.exists():
        link.symlink_to(INTEGRATION_SOURCE, target_is_directory=True)
    paths.configuration_yaml.write_text(configuration_yaml(paths, http_port), encoding="utf-8")
