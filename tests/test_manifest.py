"""The ecosystem files: manifest.json, hacs.json, quality_scale.yaml and the CI workflows.

hassfest and the HACS action run only on GitHub (.github/workflows/validate.yml); these tests
check the same rules locally, transcribed from hassfest (script/hassfest/manifest.py and
quality_scale.py) and HACS (custom_components/hacs/utils/validate.py), so that a broken
manifest fails here first. They also check what those tools cannot: that `requirements`
are what the code imports, `loggers` their loggers, and the quality-scale statuses the code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import importlib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires, version
import json
import os
from pathlib import Path
import re
import sys
from typing import Any
from urllib.parse import urlparse

from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
from homeassistant.const import __version__ as HA_VERSION
from packaging.requirements import Requirement
import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]  # no stubs installed

from custom_components.face_access.const import DOMAIN

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
MANIFEST = INTEGRATION / "manifest.json"
HACS = ROOT / "hacs.json"
QUALITY_SCALE = INTEGRATION / "quality_scale.yaml"
WORKFLOWS = ROOT / ".github" / "workflows"

# hassfest's schema of a custom integration's manifest (INTEGRATION_MANIFEST_SCHEMA extended
# by CUSTOM_INTEGRATION_MANIFEST_SCHEMA); any other key is an error.
MANIFEST_KEYS = {
    "after_dependencies",
    "bluetooth",
    "codeowners",
    "config_flow",
    "dependencies",
    "dhcp",
    "disabled",
    "documentation",
    "domain",
    "homekit",
    "import_executor",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "mqtt",
    "name",
    "quality_scale",
    "requirements",
    "single_config_entry",
    "ssdp",
    "usb",
    "version",
    "zeroconf",
}
HASSFEST_REQUIRED = {"domain", "name", "documentation", "codeowners", "iot_class", "version"}
"""hassfest: domain, name, documentation, codeowners by schema; iot_class for every domain
that is not a platform; version for every custom integration."""
HACS_REQUIRED = {"codeowners", "documentation", "domain", "issue_tracker", "name", "version"}
"""HACS's INTEGRATION_MANIFEST_JSON_SCHEMA."""
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
# HACS's HACS_MANIFEST_JSON_SCHEMA (extra keys prevented) and the types of its keys.
HACS_KEYS: dict[str, type] = {
    "content_in_root": bool,
    "country": object,
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "name": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
}

# hassfest's ALL_RULES (script/hassfest/quality_scale.py), by tier: 20 + 10 + 21 + 3.
QUALITY_RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}
ALL_RULES = [rule for rules in QUALITY_RULES.values() for rule in rules]


def _load_json(path: Path) -> dict[str, Any]:
    """Return a JSON object, refusing duplicate keys (json.load would keep the last)."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys in {path.name}: {keys}"
        return dict(pairs)

    data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """custom_components/face_access/manifest.json."""
    return _load_json(MANIFEST)


@pytest.fixture(scope="module")
def quality_scale() -> dict[str, Any]:
    """custom_components/face_access/quality_scale.yaml, its rules by name."""
    data = yaml.safe_load(QUALITY_SCALE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert set(data) == {"rules"}
    rules = data["rules"]
    assert isinstance(rules, dict)
    return rules


def _status(rules: dict[str, Any], rule: str) -> str:
    """Return a rule's status, written plainly or as `status:` with a comment."""
    value = rules[rule]
    status = value["status"] if isinstance(value, dict) else value
    assert isinstance(status, str)
    return status


def _https_url(value: Any) -> bool:
    """Return whether `value` is an https URL with a host."""
    parsed = urlparse(value) if isinstance(value, str) else None
    return parsed is not None and parsed.scheme == "https" and bool(parsed.netloc)


# manifest.json


def test_manifest_has_what_hassfest_and_hacs_require(manifest: dict[str, Any]) -> None:
    """Required keys present, no key hassfest does not know, the domain its folder's name."""
    assert set(manifest) <= MANIFEST_KEYS, set(manifest) - MANIFEST_KEYS
    assert set(manifest) >= HASSFEST_REQUIRED | HACS_REQUIRED
    assert manifest["domain"] == INTEGRATION.name == DOMAIN
    assert "quality_scale" not in manifest  # graded for core integrations only


def test_manifest_keys_are_sorted_as_hassfest_wants(manifest: dict[str, Any]) -> None:
    """hassfest: "domain, name, then alphabetical order"."""
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_values_have_the_right_form(manifest: dict[str, Any]) -> None:
    """Each value as hassfest's and HACS's schemas want it."""
    assert _https_url(manifest["documentation"])
    assert _https_url(manifest["issue_tracker"])
    assert manifest["codeowners"]
    assert all(re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", owner) for owner in manifest["codeowners"])
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["iot_class"] == "local_push"  # records and heartbeats are pushed
    assert manifest["integration_type"] in INTEGRATION_TYPES
    assert manifest["integration_type"] == "device"  # one device per entry
    assert manifest["config_flow"] is True
    assert (INTEGRATION / "config_flow.py").is_file()
    assert all(isinstance(topic, str) and topic for topic in manifest["mqtt"])
    for key in ("dependencies", "after_dependencies"):
        for domain in manifest[key]:
            assert importlib.util.find_spec(f"homeassistant.components.{domain}"), domain


def test_manifest_version_is_valid_and_the_projects(manifest: dict[str, Any]) -> None:
    """hassfest and HACS parse it with AwesomeVersion; pyproject.toml carries the same one."""
    release = AwesomeVersion(manifest["version"], ensure_strategy=VERSION_STRATEGIES)
    assert release.strategy in VERSION_STRATEGIES
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'\nversion = "{manifest["version"]}"\n' in pyproject


def test_the_version_check_rejects_a_bad_version() -> None:
    """The check above can fail: hassfest refuses what AwesomeVersion cannot place."""
    with pytest.raises(AwesomeVersionException):
        AwesomeVersion("one point oh", ensure_strategy=VERSION_STRATEGIES)


def _third_party_imports() -> dict[str, set[str]]:
    """Return the top-level modules the integration imports (absolute imports), by file."""
    found: dict[str, set[str]] = {}
    for path in sorted(INTEGRATION.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "__future__":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _distributions(module: str) -> set[str]:
    """Return the normalised names of the distributions that install `module`.

    The module is imported first: Home Assistant 2026.9+ installs probatio under the name
    voluptuous, so the module found may be another distribution's.
    """
    real = importlib.import_module(module).__name__.split(".")[0]
    return {_normalise(name) for name in packages_distributions().get(real, [])}


def _normalise(name: str) -> str:
    """Return a distribution name in PEP 503 form."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _home_assistant_requirements() -> dict[str, Requirement]:
    """Return Home Assistant's own requirements, by normalised name."""
    parsed = (Requirement(line) for line in requires("homeassistant") or [])
    return {_normalise(requirement.name): requirement for requirement in parsed}


def test_requirements_are_what_the_code_imports(manifest: dict[str, Any]) -> None:
    """Every import comes from Home Assistant's requirements or the manifest's, and each of
    the manifest's is imported somewhere (no requirement for nothing, none missing)."""
    ours = {_normalise(Requirement(line).name): line for line in manifest["requirements"]}
    home_assistant = _home_assistant_requirements()
    used: set[str] = set()
    for module, files in _third_party_imports().items():
        if module == "homeassistant":
            continue
        distributions = _distributions(module)
        assert distributions, f"{module} (imported by {sorted(files)}) is installed by nothing"
        assert distributions & (set(ours) | set(home_assistant)), (
            f"{module} (imported by {sorted(files)}) is neither a requirement of the manifest "
            "nor one of Home Assistant's"
        )
        used |= distributions & set(ours)
    assert used == set(ours), f"requirements nothing imports: {set(ours) - used}"


def test_requirements_never_conflict_with_home_assistants_pins(manifest: dict[str, Any]) -> None:
    """A requirement Home Assistant also has is left unpinned (it takes Home Assistant's), and
    every requirement is installed at a version it accepts."""
    home_assistant = _home_assistant_requirements()
    for line in manifest["requirements"]:
        requirement = Requirement(line)
        if _normalise(requirement.name) in home_assistant:
            assert not requirement.specifier, f"{line} would fight Home Assistant's pin"
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            pytest.fail(f"{line} is not installed")
        assert requirement.specifier.contains(installed, prereleases=True)


def test_loggers_are_the_requirements_loggers(manifest: dict[str, Any]) -> None:
    """`loggers` names the loggers of the requirements (each logs under its top-level module:
    PIL for Pillow); the integration's own package is implicit and not listed."""
    modules: set[str] = set()
    for line in manifest["requirements"]:
        name = _normalise(Requirement(line).name)
        modules |= {
            module
            for module, owners in packages_distributions().items()
            if name in {_normalise(owner) for owner in owners} and not module.startswith("_")
        }
    assert set(manifest["loggers"]) == modules
    assert manifest["loggers"] == sorted(manifest["loggers"])
    assert not any(logger.startswith("custom_components") for logger in manifest["loggers"])


# hacs.json


def test_hacs_json_has_only_keys_hacs_knows() -> None:
    """HACS refuses unknown keys (PREVENT_EXTRA) and needs a name."""
    hacs = _load_json(HACS)
    assert "name" in hacs
    for key, value in hacs.items():
        assert key in HACS_KEYS, f"HACS does not know {key}"
        assert isinstance(value, HACS_KEYS[key]), key
    assert not hacs.get("zip_release") or "filename" in hacs  # a zip release names its file
    assert not hacs.get("content_in_root")  # the integration is in custom_components/


def test_hacs_minimum_home_assistant_is_the_tested_one() -> None:
    """The minimum Home Assistant HACS enforces is a version this suite runs on.

    It is never newer than the running Home Assistant; on the main suite (the pinned harness
    of requirements_test.txt, which runs the tested minimum) it is in the same release.
    """
    hacs = _load_json(HACS)
    minimum = AwesomeVersion(hacs["homeassistant"])
    running = AwesomeVersion(HA_VERSION)
    assert minimum <= running
    pinned = re.search(
        r"^pytest-homeassistant-custom-component==(\S+)$",
        (ROOT / "requirements_test.txt").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert pinned is not None
    if version("pytest-homeassistant-custom-component") == pinned.group(1):
        assert (minimum.major, minimum.minor) == (running.major, running.minor)


def test_hacs_and_manifest_name_the_same_integration(manifest: dict[str, Any]) -> None:
    """The name HACS shows is the integration's."""
    assert _load_json(HACS)["name"] == manifest["name"]


# quality_scale.yaml


def test_quality_scale_lists_exactly_hassfests_rules(quality_scale: dict[str, Any]) -> None:
    """Every rule of the current scale (54), none other, in hassfest's order."""
    assert len(ALL_RULES) == 54
    assert list(quality_scale) == ALL_RULES


@pytest.mark.parametrize("rule", ALL_RULES)
def test_quality_scale_status_is_valid(quality_scale: dict[str, Any], rule: str) -> None:
    """hassfest's schema: done or todo, or a mapping with a status and a comment; exempt
    always with its reason."""
    value = quality_scale[rule]
    if isinstance(value, str):
        assert value in {"done", "todo"}
        return
    assert isinstance(value, dict)
    assert set(value) == {"status", "comment"}
    assert value["status"] in {"done", "todo", "exempt"}
    assert isinstance(value["comment"], str)
    assert value["comment"].strip()


def _source(name: str) -> str:
    """Return the text of one of the integration's files."""
    return (INTEGRATION / name).read_text(encoding="utf-8")


def _readme_sections() -> set[str]:
    """Return the README's second-level headings."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^## (.+)$", readme, re.MULTILINE))


def _done(rules: dict[str, Any], rule: str) -> bool:
    """Return whether `rule` is marked done."""
    return _status(rules, rule) == "done"


def _platform_modules() -> Iterator[str]:
    """Yield the file names of the integration's entity platforms."""
    init = ast.parse(_source("__init__.py"))
    for node in ast.walk(init):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "Platform"
        ):
            yield f"{node.attr.lower()}.py"


def _config_steps_without_descriptions() -> list[str]:
    """Return config and options steps whose fields lack a data_description."""
    strings = _load_json(INTEGRATION / "translations" / "en.json")
    missing = []
    for flow in ("config", "options"):
        for step_id, step in strings.get(flow, {}).get("step", {}).items():
            fields = set(step.get("data", {}))
            described = set(step.get("data_description", {}))
            missing += [f"{flow}.{step_id}.{field}" for field in sorted(fields - described)]
    return missing


def test_quality_scale_statuses_match_the_code(quality_scale: dict[str, Any]) -> None:
    """What a status claims is what the code shows, for the rules a file can tell.

    A rule marked done must hold; one marked todo must still be open (mark it done when
    it is); exempt only where the feature is absent.
    """
    rules = quality_scale
    assert _done(rules, "brands") == (INTEGRATION / "brand" / "icon.png").is_file()
    assert _done(rules, "diagnostics") == (
        "async_get_config_entry_diagnostics" in _source("diagnostics.py")
    )
    assert _done(rules, "icon-translations") == (INTEGRATION / "icons.json").is_file()
    flow = _source("config_flow.py")
    assert _done(rules, "reconfiguration-flow") == ("async_step_reconfigure" in flow)
    assert _done(rules, "reauthentication-flow") == ("async_step_reauth" in flow)
    manifest = _load_json(MANIFEST)
    discovery_keys = {"bluetooth", "dhcp", "homekit", "mqtt", "ssdp", "usb", "zeroconf"}
    assert _done(rules, "discovery") == bool(discovery_keys & set(manifest))
    assert _done(rules, "integration-owner") == bool(manifest["codeowners"])
    assert _done(rules, "has-entity-name") == (
        "_attr_has_entity_name = True" in _source("entity.py")
    )
    assert _done(rules, "runtime-data") == (
        "runtime_data" in _source("__init__.py")
        and not any("hass.data[DOMAIN]" in p.read_text() for p in INTEGRATION.rglob("*.py"))
    )
    assert _done(rules, "action-setup") == ("async_setup_services(hass)" in _source("__init__.py"))
    platforms = sorted(set(_platform_modules()))
    assert platforms
    assert _done(rules, "parallel-updates") == all(
        re.search(r"^PARALLEL_UPDATES = \d+$", _source(name), re.MULTILINE) for name in platforms
    )
    assert _done(rules, "config-flow") == (not _config_steps_without_descriptions())
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert _done(rules, "strict-typing") == (
        "\nstrict = true\n" in pyproject and '"custom_components"' in pyproject
    )
    fail_under = re.search(r"^fail_under = (\d+)$", pyproject, re.MULTILINE)
    assert fail_under is not None
    assert _done(rules, "test-coverage") == (int(fail_under.group(1)) > 95)
    # Docs live in the README: a done docs rule has its section.
    sections = _readme_sections()
    for rule, section in {
        "docs-installation-instructions": "Installation",
        "docs-removal-instructions": "Removal",
        "docs-actions": "Services",
        "docs-examples": "Automation examples",
        "docs-troubleshooting": "Troubleshooting",
        "docs-known-limitations": "Known limitations",
        "docs-supported-devices": "Supported devices and protocols",
        "docs-supported-functions": "Entities",
    }.items():
        assert _done(rules, rule) == (section in sections), rule
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for service in yaml.safe_load(_source("services.yaml")):
        assert not _done(rules, "docs-actions") or f"{DOMAIN}.{service}" in readme, service
    has_triggers = (INTEGRATION / "device_trigger.py").is_file()
    assert (_status(rules, "docs-triggers") == "exempt") == (not has_triggers)
    assert not _done(rules, "docs-triggers") or "device trigger" in readme.lower()
    has_conditions = (INTEGRATION / "device_condition.py").is_file()
    assert (_status(rules, "docs-conditions") == "exempt") == (not has_conditions)


def test_quality_scale_counts() -> None:
    """The tiers add up to the rule list (a rule dropped from a tier would go unnoticed)."""
    assert [len(rules) for rules in QUALITY_RULES.values()] == [20, 10, 21, 3]
    assert len(set(ALL_RULES)) == len(ALL_RULES)


# .github/workflows


def _workflow(name: str) -> dict[Any, Any]:
    """Return a workflow file (YAML reads the key `on` as True)."""
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _steps(workflow: dict[Any, Any]) -> Iterator[dict[str, Any]]:
    """Yield every step of every job."""
    for job in workflow["jobs"].values():
        yield from job["steps"]


def test_validate_workflow_runs_hassfest_and_hacs() -> None:
    """hassfest and the HACS action (category integration, brands checked, not ignored)."""
    workflow = _workflow("validate.yml")
    triggers = workflow[True]
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    steps = list(_steps(workflow))
    uses = [step.get("uses", "") for step in steps]
    assert any(use.startswith("home-assistant/actions/hassfest@") for use in uses)
    hacs = [step for step in steps if step.get("uses", "").startswith("hacs/action@")]
    assert len(hacs) == 1
    assert hacs[0]["with"]["category"] == "integration"
    assert "ignore" not in hacs[0]["with"]  # brands included: brand/ is in the repository


def test_tests_workflow_runs_the_projects_scripts() -> None:
    """The suite, the newest Home Assistant and the linters, through scripts/ as locally."""
    workflow = _workflow("tests.yml")
    commands = [step["run"] for step in _steps(workflow) if "run" in step]
    text = "\n".join(commands)
    for needed in ("scripts/test", "scripts/test --newest", "scripts/lint"):
        assert re.search(rf"^\s*{re.escape(needed)}\s*$", text, re.MULTILINE), needed
    for job in workflow["jobs"].values():
        # scripts/setup provisions a Debian machine (apt, root): the jobs run on Debian.
        assert job["container"]["image"].startswith("debian:")


@pytest.mark.parametrize("name", ["tests.yml", "validate.yml"])
def test_workflows_reference_existing_scripts_and_pinned_actions(name: str) -> None:
    """Every script a step runs exists and is executable; every action names a version."""
    workflow = _workflow(name)
    for step in _steps(workflow):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[\w.-]+", step["uses"]), step["uses"]
        for script in re.findall(r"(?<![\w/.])((?:scripts|\.ci)/[\w.-]+)", step.get("run", "")):
            path = ROOT / script
            assert path.is_file(), script
            assert os.access(path, os.X_OK), f"{script} is not executable"


def test_lint_covers_the_brand_script() -> None:
    """scripts/brand is Python: scripts/lint runs ruff over it like over the rest."""
    lint = (ROOT / "scripts" / "lint").read_text(encoding="utf-8")
    ruff_lines = [line for line in lint.splitlines() if line.startswith(".venv/bin/ruff ")]
    assert len(ruff_lines) == 2  # check, and format --check
    assert all("scripts/brand" in line for line in ruff_lines)
