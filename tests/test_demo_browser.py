"""The demo in a real browser: log in, add a device, open the door, see the last capture.

Drives Debian's Chromium (`/usr/bin/chromium`) with Playwright against `scripts/demo` in a
temporary configuration directory (fresh on every run, so the device added in the UI is
never there yet). Screenshots go to `artifacts/demo-browser/` (not tracked).
`scripts/setup` provides both (requirements_test.txt, Debian's chromium).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import time

from playwright import sync_api
import pytest

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

pytestmark = pytest.mark.timeout(420)


class RunningDemo:
    """`scripts/demo` in its own session, its console output in a file."""

    def __init__(self, process: subprocess.Popen[bytes], output: Path) -> None:
        self.process = process
        self.output = output

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
    running = RunningDemo(process, output)
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

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
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
        finally:
            browser.close()
