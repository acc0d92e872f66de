"""Install, once, the packages Home Assistant's web UI needs that the test environment lacks.

The test virtualenv has Home Assistant but not every requirement of its integrations:
Home Assistant normally installs those itself at start-up. The demo starts ``hass`` with
``--skip-pip`` instead, so that it never installs the integrations that onboarding offers
(weather, radio, text-to-speech), which would call out of the machine. What the UI itself
needs is installed here, into a cache directory outside the virtualenv (put on ``hass``'s
``PYTHONPATH``), at the versions Home Assistant's manifests pin, with every package the
virtualenv already has held at its installed version.

Run as ``python -m demo.provision``: prints the directory (nothing when nothing is missing).
"""

from __future__ import annotations

import hashlib
from importlib import metadata
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile

import homeassistant.components

UI_DOMAINS: tuple[str, ...] = (
    "frontend",
    # The UI asks for every service description; Home Assistant then imports these entity
    # components to check the services' supported features (2026.2:
    # homeassistant.helpers.service._base_components), loaded or not.
    "ai_task",
    "alarm_control_panel",
    "assist_satellite",
    "calendar",
    "camera",
    "climate",
    "cover",
    "fan",
    "humidifier",
    "light",
    "lock",
    "media_player",
    "notify",
    "remote",
    "siren",
    "todo",
    "update",
    "vacuum",
    "water_heater",
)

COMPONENTS_DIR = Path(homeassistant.components.__file__).parent


def _manifest(domain: str) -> dict[str, object]:
    path = COMPONENTS_DIR / domain / "manifest.json"
    try:
        manifest: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return manifest


def _is_installed(requirement: str) -> bool:
    """Return True when the exact ``name==version`` requirement is installed."""
    name, _, version = requirement.partition("==")
    try:
        return metadata.version(name) == version
    except metadata.PackageNotFoundError:
        return False


def missing_requirements(domains: tuple[str, ...] = UI_DOMAINS) -> list[str]:
    """Return the pinned requirements of ``domains`` and their dependencies not installed.

    Dependencies and after-dependencies both count: they are what Home Assistant would
    install for these integrations. Sorted, ``name==version`` strings.
    """
    seen: set[str] = set()
    todo = list(domains)
    requirements: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = _manifest(domain)
        for key in ("dependencies", "after_dependencies"):
            if isinstance(domains_of_key := manifest.get(key), list):
                todo.extend(str(item) for item in domains_of_key)
        if isinstance(pinned := manifest.get("requirements"), list):
            requirements.update(str(item) for item in pinned)
    return sorted(req for req in requirements if not _is_installed(req))


def provision(cache: Path) -> Path | None:
    """Install the missing requirements into a directory under ``cache``; return it.

    The directory is keyed by the requirements and the Python version, so an upgrade of
    Home Assistant gets a new one and a second run only checks. None: nothing is missing.
    """
    requirements = missing_requirements()
    if not requirements:
        return None
    key = hashlib.sha256("\n".join([*requirements, sys.version]).encode()).hexdigest()[:16]
    target = cache / f"demo-deps-{key}"
    if (target / ".complete").exists():
        return target
    print(
        f"demo: installing what Home Assistant's web UI needs into {target} (once): "
        + " ".join(requirements),
        file=sys.stderr,
        flush=True,
    )
    shutil.rmtree(target, ignore_errors=True)
    with tempfile.TemporaryDirectory() as scratch:
        # Whatever the virtualenv has stays at its version, so the packages this directory
        # also holds (it comes first on the path) are the same ones.
        constraints = Path(scratch) / "constraints.txt"
        frozen = subprocess.run(
            [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        constraints.write_text(frozen, encoding="utf-8")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(target),
                "--constraint",
                str(constraints),
                *requirements,
            ],
            check=True,
        )
    (target / ".complete").touch()
    return target


def default_cache() -> Path:
    """Return the project's cache directory (as scripts/setup chooses it)."""
    if override := os.environ.get("FACE_ACCESS_CACHE"):
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "face_access"


def main() -> int:
    """Provision; print the directory for ``--deps-path`` (or nothing)."""
    target = provision(default_cache())
    if target is not None:
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
