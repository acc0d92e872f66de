"""The demo in a real browser: log in, open the face terminal's page, open the door.

Drives Debian's Chromium (`/usr/bin/chromium`) with Playwright against `scripts/demo` in a
temporary configuration directory. Screenshots go to `artifacts/demo-browser/` (not
tracked). `scripts/setup` provides both (requirements_test.txt, Debian's chromium).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import time

from playwright import sync_api
import pytest

ROOT = Path(__file__).resolve().parent.parent
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


def test_log_in_open_the_door_and_see_the_last_capture(demo: RunningDemo) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = demo.wait_for(r"Home Assistant is ready at (http://127\.0\.0\.1:\d+)", START_LIMIT)[1]
    device_page = demo.wait_for(re.escape(base) + r"/config/devices/device/[0-9a-f]+", 5)[0]

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)

            # The sign-in page, with the documented demo credentials.
            page.goto(base + "/")
            page.locator('input[name="username"]').fill("demo")
            page.locator('input[name="password"]').fill("demo-demo")
            page.screenshot(path=ARTIFACTS / "01-sign-in.png")
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url: "auth_callback" not in url and "/auth/" not in url)
            page.get_by_text("Settings").first.wait_for()
            page.screenshot(path=ARTIFACTS / "02-overview.png")

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
            page.screenshot(path=ARTIFACTS / "03-device-page.png")

            # Open door reaches the simulated terminal.
            before = demo.text().count("door opened remotely")
            # The device has one button entity, so one "Press" (its row in Controls).
            page.get_by_role("button", name="Press").first.click()
            assert _until(lambda: demo.text().count("door opened remotely") > before, 20), (
                "the simulator received no Unlock:\n" + demo.text()[-3000:]
            )
            page.screenshot(path=ARTIFACTS / "04-door-opened.png")

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
            page.screenshot(path=ARTIFACTS / "05-last-capture.png")
        finally:
            browser.close()
