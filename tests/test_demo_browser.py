"""The demo in a real browser: log in, add a device, open the doors, see the last captures.

Drives Debian's Chromium (`/usr/bin/chromium`) with Playwright against `scripts/demo` in a
temporary configuration directory (fresh on every run, so the device added in the UI is
never there yet). Screenshots go to `artifacts/demo-browser/` (not tracked); with
`FACE_ACCESS_DOCS_SCREENSHOTS=1` the Doors dashboard's, the People entry's and a person's
device page's also replace `docs/doors-dashboard.png`, `docs/people-roster.png` and
`docs/person-device.png`, the README's pictures. The browser may fetch only from
127.0.0.1: any other request is refused, and listed in `refused-requests.txt` there.
`scripts/setup` provides both (requirements_test.txt, Debian's chromium).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
import io
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import time

from PIL import Image
from playwright import sync_api
import pytest

from demo import dashboard, people
from demo.checks import error_records
from demo.devices import DEVICES, SPARE_DEVICES, DemoDevice, menu_option_label
from demo.roster import ROSTER

ROOT = Path(__file__).resolve().parent.parent
STRINGS = json.loads(
    (ROOT / "custom_components" / "face_access" / "translations" / "en.json").read_text(
        encoding="utf-8"
    )
)["config"]
"""The config flow's English texts: what the dialogs show."""
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "demo-browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOADED_WIDTH = """(element) => new Promise((resolve) => {
    const url = getComputedStyle(element).backgroundImage.match(/url\\("(.*)"\\)/)[1];
    const image = new Image();
    image.onload = () => resolve(image.naturalWidth);
    image.onerror = () => resolve(0);
    image.src = url;
})"""
"""In the page: the pixel width of an element's background image once loaded (0: broken)."""
START_LIMIT = 240.0
"""Seconds for `scripts/demo` to be ready (provisioning included)."""
CALL_WS = "(message) => document.querySelector('home-assistant').hass.callWS(message)"
"""In the page: a websocket command on the UI's own connection to Home Assistant."""

SERVER_DEVICES = (
    ("face_capture_http", "13-face-capture-terminal.png"),
    ("unv_lapi", "14-uniview-terminal.png"),
)
"""The demo devices with a server of their own, whose page and Open door the test visits
(by protocol), and the screenshot of each."""

DOORLESS_PROTOCOLS = frozenset({"camera_mqtt"})
"""The demo devices without a door: the network camera's protocol has no door command."""
DOCS_SCREENSHOT = ROOT / "docs" / "doors-dashboard.png"
DOCS_PEOPLE_SCREENSHOT = ROOT / "docs" / "people-roster.png"
DOCS_PERSON_SCREENSHOT = ROOT / "docs" / "person-device.png"
ROSTER_LIMIT = 90.0
"""Seconds for the sync to put the roster on the terminal added in the UI."""
DOCS_SCREENSHOT_SWITCH = "FACE_ACCESS_DOCS_SCREENSHOTS"
VIEWPORT: sync_api.ViewportSize = {"width": 1280, "height": 900}
DASHBOARD_VIEWPORT: sync_api.ViewportSize = {"width": 1280, "height": 1400}
"""Tall enough for the Doors dashboard's five device cards (three columns) at once."""
ENTRY_FAILURES = ("Failed to set up", "Failed setup, will retry", "Migration error", "Not loaded")
"""How *Devices & services* labels an entry that is not set up (the frontend's English
texts for the states setup_error, setup_retry, migration_error, not_loaded)."""
BRANDS_CDN = "https://brands.home-assistant.io/"
"""Where Home Assistant 2026.2's UI takes integration icons from (not from Home
Assistant itself, which serves a custom integration's ``brand/`` folder only from 2026.3)."""
UPSTREAM_UI_ERROR = re.compile(
    r"^\S+ \S+ ERROR \(MainThread\) \[frontend\.js\.[^]]+\] Uncaught error from .*\n"
    r"TypeError: Cannot read properties of undefined \(reading 'domain'\)\n"
    r"domain \(src/panels/config/integrations/dialog-add-integration\.ts:\d+:\d+\)\n"
    r"keyFunction \(node_modules/@lit-labs/virtualizer/"
)
"""An error of Home Assistant's own UI (frontend 20260128), which the browser reports to
Home Assistant's log: the *Add integration* dialog's list keys its rows by
``integration.domain`` without the guard its row renderer has, and its virtualizer, now
and then, asks for the key of a row that the search (or the dialog closing) just removed.
Matched whole (logger, message, first frames), so that any other error still fails."""
UPSTREAM_UI_SOURCE = re.compile(
    r"^https://raw\.githubusercontent\.com/home-assistant/frontend/[\w.]+/"
    r"src/panels/config/integrations/dialog-add-integration\.ts$"
)
"""What the UI then asks GitHub for (refused): the source of that error's first frame."""
IMAGE_LOADED = "img => img.complete && img.naturalWidth > 0"
RELATIVE_TIME = "element => new Date(element.datetime).getTime()"
"""In the page: the moment (ms since the epoch) a relative time ("2 seconds ago") shows."""
CLOCK_SKEW_MS = 2000
"""How much earlier than the click Home Assistant may date a press (the same machine's
clock, read by two processes)."""

pytestmark = pytest.mark.timeout(540)


class RunningDemo:
    """`scripts/demo` in its own session, its console output in a file."""

    def __init__(self, process: subprocess.Popen[bytes], output: Path, config_dir: Path) -> None:
        self.process = process
        self.output = output
        self.config_dir = config_dir

    def text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, limit: float) -> re.Match[str]:
        """Wait until the console output matches `pattern`; return the match."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if match := re.search(pattern, self.text()):
                return match
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"the demo never printed {pattern!r}:\n{self.text()[-4000:]}")


@pytest.fixture
def demo(tmp_path: Path, socket_enabled: None) -> Generator[RunningDemo]:
    """Run the demo on a free port until the test ends, then stop it as Ctrl-C would."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    output = tmp_path / "demo-console.log"
    with output.open("wb") as console:
        process = subprocess.Popen(
            [
                str(ROOT / "scripts" / "demo"),
                "--config-dir",
                str(tmp_path / "config"),
                "--port",
                str(port),
                "--activity",
                "4",
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = RunningDemo(process, output, tmp_path / "config")
    try:
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        (ARTIFACTS / "demo-console.log").write_text(running.text(), encoding="utf-8")


def _until(condition: Callable[[], bool], limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _local_only(page: sync_api.Page, base: str) -> list[str]:
    """Let the page load only from Home Assistant; return the list of refused addresses."""
    refused: list[str] = []

    def route(route: sync_api.Route) -> None:
        url = route.request.url
        if url.startswith((base + "/", "data:", "blob:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    page.route("**/*", route)
    return refused


def _sign_in(page: sync_api.Page, base: str) -> None:
    """The sign-in page, with the documented demo credentials."""
    page.goto(base + "/")
    page.locator('input[name="username"]').fill("demo")
    page.locator('input[name="password"]').fill("demo-demo")
    page.screenshot(path=ARTIFACTS / "01-sign-in.png")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "auth_callback" not in url and "/auth/" not in url)
    page.get_by_text("Settings").first.wait_for()
    page.screenshot(path=ARTIFACTS / "02-overview.png")


def _registered(page: sync_api.Page) -> dict[str, tuple[str, str, str]]:
    """Home Assistant's Face Access devices, through its API, by the device's own ID.

    Each: (Home Assistant's device ID, its config entry's title, the entry's state).
    """
    entries = page.evaluate(CALL_WS, {"type": "config_entries/get", "domain": "face_access"})
    by_entry = {entry["entry_id"]: entry for entry in entries}
    registry = page.evaluate(CALL_WS, {"type": "config/device_registry/list"})
    found: dict[str, tuple[str, str, str]] = {}
    for device in registry:
        for domain, identifier in device["identifiers"]:
            entry = next((by_entry[e] for e in device["config_entries"] if e in by_entry), None)
            if domain == "face_access" and entry is not None:
                found[identifier] = (device["id"], entry["title"], entry["state"])
    return found


def _add_in_the_ui(page: sync_api.Page, base: str, demo: RunningDemo, spare: DemoDevice) -> str:
    """Add `spare` as the console tells: Add integration → Face Access → its protocol.

    Returns the new device's Home Assistant device ID.
    """
    option = menu_option_label(spare.protocol)
    demo.wait_for(
        re.escape(f'"{option}",')
        + r"\s+"
        + re.escape(f"device ID {spare.device_id}, topic prefix {spare.topic_prefix}"),
        5,
    )
    # Settings → Devices & services.
    page.locator('a[href="/config"]').click()  # the sidebar's Settings
    page.get_by_text("Devices & services").first.click()
    page.wait_for_url("**/config/integrations/dashboard")
    page.get_by_role("heading", name="Face Access").wait_for()
    page.screenshot(path=ARTIFACTS / "03-integrations.png")

    # Add integration → search the brand → Face Access. The dialog by its element: its
    # content is slotted into the element that has the dialog role, and role-scoped
    # locators do not follow slots.
    page.get_by_role("button", name="Add integration").click()
    brands = page.locator("dialog-add-integration")
    # Search once the list has drawn its first rows: narrowing a list that is still being
    # laid out is what trips the dialog's own error (UPSTREAM_UI_ERROR) most often.
    brands.locator("ha-integration-list-item").first.wait_for()
    page.wait_for_timeout(500)
    brands.get_by_role("textbox").fill("Face Access")
    brand = brands.locator("ha-integration-list-item").get_by_text("Face Access", exact=True)
    brand.wait_for()
    page.screenshot(path=ARTIFACTS / "04-select-brand.png")
    brand.click()

    # The config flow's menu: how the device talks to Home Assistant.
    page.get_by_text(STRINGS["step"]["user"]["title"]).first.wait_for()
    page.get_by_text(option).wait_for()
    page.screenshot(path=ARTIFACTS / "05-protocol-menu.png")
    page.get_by_text(option).click()

    # The form: device ID and topic prefix; Home Assistant asks the device over MQTT.
    fields = STRINGS["step"][spare.protocol]["data"]
    page.get_by_label(fields["device_id"]).fill(spare.device_id)
    page.get_by_label(fields["topic_prefix"]).fill(spare.topic_prefix)
    page.screenshot(path=ARTIFACTS / "06-device-form.png")
    page.get_by_role("button", name="Submit").click()

    # Success: the dialog offers a name and an area for the new device.
    finish = page.get_by_role("button", name=re.compile("finish", re.IGNORECASE))
    try:
        finish.wait_for()
    except sync_api.TimeoutError:
        page.screenshot(path=ARTIFACTS / "07-device-created.png")
        dialog = page.locator("dialog-data-entry-flow").all_inner_texts()
        pytest.fail(f"adding {spare.title} did not succeed: {dialog}")
    page.screenshot(path=ARTIFACTS / "07-device-created.png")
    finish.click()
    finish.wait_for(state="detached")

    # Through Home Assistant's API: the entry is loaded and the device registered.
    entries = page.evaluate(CALL_WS, {"type": "config_entries/get", "domain": "face_access"})
    states = {entry["title"]: entry["state"] for entry in entries}
    assert states.get(spare.title) == "loaded", states
    registry = page.evaluate(CALL_WS, {"type": "config/device_registry/list"})
    found = [
        device["id"]
        for device in registry
        if ["face_access", spare.device_id] in device["identifiers"]
    ]
    assert len(found) == 1, f"{spare.title} is not in the device registry once: {found}"

    # The integration's page lists it, and every device the demo added (by its entry's
    # title); the demo sees Home Assistant answer the device.
    registered = _registered(page)
    page.goto(base + "/config/integrations/integration/face_access")
    page.get_by_text(spare.title).first.wait_for()
    for device in DEVICES:
        assert device.device_id in registered, f"{device.title} is not registered"
        _, title, state = registered[device.device_id]
        assert state == "loaded", f"{title}: {state}"
        page.get_by_text(title).first.wait_for()
    page.screenshot(path=ARTIFACTS / "08-integration-page.png")
    demo.wait_for(re.escape(f"{spare.title}: in Home Assistant now"), 60)
    return str(found[0])


def test_sign_in_add_a_device_open_the_door_and_see_the_last_capture(
    demo: RunningDemo,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    base = demo.wait_for(r"Home Assistant is ready at (http://127\.0\.0\.1:\d+)", START_LIMIT)[1]
    device_page = demo.wait_for(re.escape(base) + r"/config/devices/device/[0-9a-f]+", 5)[0]
    spare = SPARE_DEVICES[0]

    refused: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # No service worker: requests it made would bypass the route that keeps the
            # page on 127.0.0.1 (Playwright cannot intercept them).
            context = browser.new_context(viewport=VIEWPORT, service_workers="block")
            page = context.new_page()
            page.set_default_timeout(60_000)
            refused = _local_only(page, base)
            _sign_in(page, base)

            # The device added in the UI: its page, live (its own events arrive).
            added = _add_in_the_ui(page, base, demo, spare)
            page.goto(f"{base}/config/devices/device/{added}")
            page.get_by_text(spare.title).first.wait_for()
            page.get_by_text("Open door").first.wait_for()
            names = "|".join(re.escape(person.name) for person in ROSTER)
            page.get_by_text(re.compile(names)).first.wait_for()
            page.screenshot(path=ARTIFACTS / "09-added-device.png")

            # The face terminal's device page: its controls, sensors and events.
            page.goto(device_page)
            page.get_by_text("Face terminal 1305433").first.wait_for()
            page.get_by_text("Open door").first.wait_for()
            page.get_by_text("Last person").first.wait_for()

            # Its last capture renders as a picture (the face of the last record): the row's
            # badge shows it as a background image, which must load as an image.
            badge = page.locator(
                "state-badge[style*='/api/image_proxy/image.face_terminal_1305433_last_capture']"
            ).first
            badge.wait_for()
            width = badge.evaluate(LOADED_WIDTH)
            assert width > 0, "the last capture picture did not load"
            page.screenshot(path=ARTIFACTS / "10-device-page.png")

            # Open door reaches the simulated terminal.
            before = demo.text().count("door opened remotely")
            # The device has one button entity, so one "Press" (its row in Controls).
            page.get_by_role("button", name="Press").first.click()
            assert _until(lambda: demo.text().count("door opened remotely") > before, 20), (
                "the simulator received no Unlock:\n" + demo.text()[-3000:]
            )
            page.screenshot(path=ARTIFACTS / "11-door-opened.png")

            # The last capture, large, in its dialog.
            page.get_by_text("Last capture").first.click()
            large = page.locator(
                "img[src*='/api/image_proxy/image.face_terminal_1305433_last_capture']"
            ).first
            large.wait_for()
            assert _until(
                lambda: bool(large.evaluate("img => img.complete && img.naturalWidth > 0")), 30
            ), "the last capture did not load in its dialog"
            page.wait_for_timeout(1000)  # the dialog's opening animation, for the screenshot
            page.screenshot(path=ARTIFACTS / "12-last-capture.png")

            # The devices with a server of their own: the face-capture terminal (posting to
            # its webhook) and the Uniview terminal (posting to fixed LAPI paths once Home
            # Assistant subscribed it). Each one's page, and Open door, which Home Assistant
            # sends to the terminal's server.
            page.keyboard.press("Escape")
            # Closing the dialog steps back in the page's history; a navigation started
            # before that is over is aborted (net::ERR_ABORTED).
            large.wait_for(state="hidden")
            page.wait_for_load_state()
            registered = _registered(page)
            for protocol, screenshot in SERVER_DEVICES:
                server_device = next(d for d in DEVICES if d.protocol == protocol)
                server_id, _, _ = registered[server_device.device_id]
                page.goto(f"{base}/config/devices/device/{server_id}")
                page.get_by_text(server_device.title).first.wait_for()
                page.get_by_text("Last capture").first.wait_for()
                opened = f"{server_device.title}: door opened remotely"
                before = demo.text().count(opened)
                page.get_by_role("button", name="Press").first.click()
                assert _until(
                    lambda opened=opened, before=before: demo.text().count(opened) > before,
                    20,
                ), f"{server_device.title} received no door opening:\n" + demo.text()[-3000:]
                page.screenshot(path=ARTIFACTS / screenshot)

            _people(page, base, spare)
            _doors_dashboard(page, base, demo)
            _integrations_page(page, base, refused)
        finally:
            browser.close()
            (ARTIFACTS / "refused-requests.txt").write_text(
                "".join(f"{url}\n" for url in refused), encoding="utf-8"
            )

    # Home Assistant logged no error during any of it (onboarding adds nothing that fails),
    # but for the UI's own known slip (UPSTREAM_UI_ERROR), which the browser reports there.
    errors = [
        record
        for record in error_records(demo.config_dir / "home-assistant.log")
        if not UPSTREAM_UI_ERROR.search(record)
    ]
    assert not errors, "Home Assistant logged errors:\n" + "\n".join(errors)
    # Nothing but Home Assistant's own icon address (and, after that error, GitHub for its
    # source) was even tried.
    others = [
        url
        for url in refused
        if not url.startswith(BRANDS_CDN) and not UPSTREAM_UI_SOURCE.match(url)
    ]
    assert not others, f"the page tried to load {others}"


def _people(page: sync_api.Page, base: str, spare: DemoDevice) -> None:
    """The People entry on the integration's page, and a person's device page.

    The People entry lists the roster's people (its subentries) under *Add person*; the
    first person's device page shows their *Enrollment*, which says ``enrolled`` on every
    terminal, the one added in the UI included: the sync put the person there too.
    """
    entries = page.evaluate(CALL_WS, {"type": "config_entries/get", "domain": "face_access"})
    (entry,) = [entry for entry in entries if people.is_people_entry(entry)]
    assert entry["state"] == "loaded", entry
    subentries = page.evaluate(
        CALL_WS, {"type": "config_entries/subentries/list", "entry_id": entry["entry_id"]}
    )
    assert sorted(sub["unique_id"] for sub in subentries) == sorted(p.person_id for p in ROSTER)

    page.goto(f"{base}/config/integrations/integration/face_access")
    page.get_by_role("button", name="Add person").wait_for()
    # The People entry's row: the one that lists the people.
    roster = page.locator("ha-config-entry-row").filter(has_text=ROSTER[0].name)
    assert roster.count() == 1, f"{roster.count()} entries list {ROSTER[0].name}"
    roster.get_by_text(entry["title"], exact=True).first.wait_for()
    for person in ROSTER:
        roster.get_by_text(person.name, exact=True).first.wait_for()
    page.wait_for_timeout(500)  # the rows' icons settle
    picture = roster.screenshot(path=ARTIFACTS / "17-people-entry.png")
    if os.environ.get(DOCS_SCREENSHOT_SWITCH) == "1":
        _save_for_docs(picture, DOCS_PEOPLE_SCREENSHOT)

    # The first person's device, with its Enrollment sensor, from the registries.
    person = ROSTER[0]
    subentry_id = next(
        sub["subentry_id"] for sub in subentries if sub["unique_id"] == person.person_id
    )
    registry = page.evaluate(CALL_WS, {"type": "config/device_registry/list"})
    (device,) = [
        d for d in registry if ["face_access", f"person_{subentry_id}"] in d["identifiers"]
    ]
    entities = page.evaluate(CALL_WS, {"type": "config/entity_registry/list"})
    (sensor,) = [
        e["entity_id"] for e in entities if e["unique_id"] == f"person_{subentry_id}_enrollment"
    ]
    spare_name = _device_names(page)[spare.device_id][0]

    def on_every_terminal() -> bool:
        state = page.evaluate(
            "(id) => document.querySelector('home-assistant').hass.states[id]", sensor
        )
        terminals = state["attributes"].get("terminals") or {}
        return (
            state["state"] == "enrolled"
            and len(terminals) == len(DEVICES) + 1
            and terminals.get(spare_name, {}).get("status") == "enrolled"
        )

    assert _until(on_every_terminal, ROSTER_LIMIT), (
        f"{sensor} is not enrolled on every terminal, {spare_name} included"
    )
    page.goto(f"{base}/config/devices/device/{device['id']}")
    page.get_by_text(person.name).first.wait_for()
    # The sensor's row shows its translated state (each row's text is its name and state).
    rows = page.locator("hui-sensor-entity-row")
    rows.filter(has_text="Enrollment").filter(has_text="Enrolled").wait_for()
    rows.filter(has_text="Last sync").wait_for()
    page.wait_for_timeout(1000)  # the activity log fills in
    picture = page.screenshot(path=ARTIFACTS / "18-person-device.png")
    if os.environ.get(DOCS_SCREENSHOT_SWITCH) == "1":
        _save_for_docs(picture, DOCS_PERSON_SCREENSHOT)


def _device_names(page: sync_api.Page) -> dict[str, tuple[str, bool]]:
    """Per demo device (by its own ID): its name in Home Assistant, and whether it has a door.

    From the registries, by the door button's unique ID (``<device ID>_open_door``).
    """
    registry = page.evaluate(CALL_WS, {"type": "config/device_registry/list"})
    entities = page.evaluate(CALL_WS, {"type": "config/entity_registry/list"})
    unique_ids = {entity["unique_id"] for entity in entities if entity["platform"] == "face_access"}
    names: dict[str, tuple[str, bool]] = {}
    for device in registry:
        for domain, identifier in device["identifiers"]:
            if domain == "face_access":
                name = device["name_by_user"] or device["name"]
                names[identifier] = (name, f"{identifier}_open_door" in unique_ids)
    return names


def _doors_dashboard(page: sync_api.Page, base: str, demo: RunningDemo) -> None:
    """The Doors dashboard: a card per device with its picture; each Open door works.

    Pressing a card's *Open door* must reach the simulated device (its console line) and
    show on the card: the row's time becomes the moment of the press.
    """
    names = _device_names(page)
    page.goto(f"{base}/{dashboard.URL_PATH}")
    page.get_by_text(dashboard.TITLE).first.wait_for()
    page.locator("hui-logbook-card").wait_for()
    for device in DEVICES:
        name, has_door = names[device.device_id]
        assert has_door == (device.protocol not in DOORLESS_PROTOCOLS), name
        card = page.locator("hui-vertical-stack-card").filter(has_text=name)
        assert card.count() == 1, f"{card.count()} cards for {name}"
        # Its last capture renders as a picture.
        picture = card.locator("img[src*='/api/image_proxy/image.']").first
        picture.wait_for()
        assert _until(lambda picture=picture: bool(picture.evaluate(IMAGE_LOADED)), 30), (
            f"{name}: the last capture did not load"
        )
        card.get_by_text("Last person").wait_for()
        press = card.get_by_role("button", name="Press")
        if not has_door:
            assert press.count() == 0, f"{name} has no door, but its card has a Press button"
            continue
        opened = f"{device.title}: door opened remotely"
        before = demo.text().count(opened)
        clicked_at = page.evaluate("Date.now()")
        # The row's time names an earlier moment (Home Assistant's start, or an earlier
        # press on the device's page), so that its change below is the press's doing.
        shown = card.locator("hui-button-entity-row ha-relative-time")
        assert shown.evaluate(RELATIVE_TIME) < clicked_at - CLOCK_SKEW_MS, name
        press.click()
        assert _until(
            lambda opened=opened, before=before: demo.text().count(opened) > before, 20
        ), f"{device.title} received no door opening from its card:\n" + demo.text()[-3000:]
        # The card shows it: the Open door row's time is now that of the press.
        assert _until(
            lambda shown=shown, clicked_at=clicked_at: (
                shown.evaluate(RELATIVE_TIME) >= clicked_at - CLOCK_SKEW_MS
            ),
            10,
        ), f"{name}: the card does not show the press"
    # The access log lists recognitions of the roster's people.
    names_pattern = "|".join(re.escape(person.name) for person in ROSTER)
    page.locator("hui-logbook-card").get_by_text(re.compile(names_pattern)).first.wait_for()
    # The whole dashboard in one picture: a window as tall as it, scrolled to its top (a
    # full-page capture of a scrolled page repeats the fixed header in the middle).
    page.set_viewport_size(DASHBOARD_VIEWPORT)
    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.move(0, DASHBOARD_VIEWPORT["height"] - 1)  # no button lit by the pointer
    page.wait_for_timeout(1500)  # the layout settles, the last pictures fade in
    picture_bytes = page.screenshot(path=ARTIFACTS / "15-doors-dashboard.png")
    if os.environ.get(DOCS_SCREENSHOT_SWITCH) == "1":
        _save_for_docs(picture_bytes, DOCS_SCREENSHOT)
    page.set_viewport_size(VIEWPORT)


def _save_for_docs(png: bytes, target: Path) -> None:
    """Save a screenshot for the repository: 256 colours, a third of the size, as sharp."""
    with Image.open(io.BytesIO(png)) as picture:
        reduced = picture.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    target.parent.mkdir(exist_ok=True)
    reduced.save(target, optimize=True)


def _integrations_page(page: sync_api.Page, base: str, refused: list[str]) -> None:
    """*Devices & services*: every integration set up (no red card), Face Access's icon.

    Face Access's icon is checked where the running Home Assistant serves it. Home
    Assistant 2026.2's UI asks the brands web service instead, which this test refuses:
    then the card must at least ask for ``face_access``'s icon there.
    """
    page.goto(f"{base}/config/integrations/dashboard")
    card = page.locator("ha-integration-card").filter(has_text="Face Access")
    card.wait_for()
    page.get_by_text("MQTT", exact=True).wait_for()  # the cards are drawn
    page.screenshot(path=ARTIFACTS / "16-integrations.png")
    for label in ENTRY_FAILURES:
        assert page.get_by_text(label, exact=True).count() == 0, f"a card says {label!r}"
    # What the page draws its cards from, which also names what is wrong.
    entries = page.evaluate(CALL_WS, {"type": "config_entries/get"})
    not_loaded = [(e["domain"], e["title"], e["state"]) for e in entries if e["state"] != "loaded"]
    assert not not_loaded, f"integrations not set up: {not_loaded}"
    icon = card.locator("img").first
    icon.wait_for(state="attached")
    source = str(icon.get_attribute("src"))
    if source.startswith(base + "/") or source.startswith("/"):
        assert _until(lambda: bool(icon.evaluate(IMAGE_LOADED)), 10), f"{source} did not load"
    else:
        assert source.startswith(f"{BRANDS_CDN}_/face_access/"), source
        assert any(url.startswith(f"{BRANDS_CDN}_/face_access/") for url in refused), refused
