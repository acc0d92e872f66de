"""A throw-away amqtt MQTT broker in its own process, for tests and manual runs.

The broker always runs as a **subprocess** (the ``amqtt`` console script of the current
virtualenv): amqtt inside a test's asyncio event loop stalls that loop, and a separate
process also gives the device simulators and the integration a real TCP broker to share.

Run it in the foreground with ``python -m simulators.broker --port 1883``.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
import signal
import subprocess
import sys
import tempfile
import time

from simulators.lifecycle import ChildProcessHandle, StartStop, accepts_connections, free_port

_LOGGER = logging.getLogger(__name__)

START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


def amqtt_executable() -> Path:
    """Return the ``amqtt`` console script installed next to the running interpreter."""
    return Path(sys.executable).parent / "amqtt"


class BrokerError(RuntimeError):
    """The broker process could not be started."""


class Broker(StartStop, ChildProcessHandle):
    """An amqtt broker on ``host:port`` in a child process.

    Anonymous clients are allowed and there is no websocket listener. amqtt 0.12 has no
    maximum-message-size setting (it accepts the 3 MB payloads the tests need), so
    none is written to the configuration.
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        """Prepare a broker on ``host``; ``port`` defaults to a currently free one."""
        self.host = host
        self.port = port if port is not None else free_port(host)
        self._process = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._log_path: Path | None = None

    def _write_config(self, directory: Path) -> Path:
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            # An explicit plugin list replaces amqtt's defaults, which add the $SYS
            # publisher and per-packet logging that tests do not need.
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        path = directory / "broker.yaml"
        # JSON is a subset of YAML, so amqtt's YAML loader reads it as is.
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        return path

    def output(self) -> str:
        """Everything the broker process has written to stdout and stderr so far."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(encoding="utf-8", errors="replace")

    def start(self) -> None:
        """Start the broker; block until its port accepts connections (20 s at most)."""
        if self.running:
            return
        executable = amqtt_executable()
        if not executable.exists():
            raise BrokerError(f"amqtt console script not found at {executable}")
        self._tmpdir = tempfile.TemporaryDirectory(prefix="amqtt-")
        directory = Path(self._tmpdir.name)
        config_path = self._write_config(directory)
        self._log_path = directory / "broker.log"
        with self._log_path.open("wb") as log_file:
            self._process = subprocess.Popen(
                [str(executable), "-c", str(config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=directory,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = self.output()
                self._cleanup()
                raise BrokerError(f"amqtt exited during start-up:\n{output}")
            if accepts_connections(self.port, self.host):
                _LOGGER.debug("amqtt broker listening on %s:%s", self.host, self.port)
                return
            time.sleep(0.05)
        output = self.output()
        self.stop()
        raise BrokerError(
            f"amqtt did not listen on {self.host}:{self.port} within {START_TIMEOUT} s:\n{output}"
        )

    def stop(self) -> None:
        """Terminate the broker (SIGTERM), wait, and kill it after 5 s."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
        elif process is not None:
            process.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        self._process = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
            self._log_path = None

    def wait(self) -> int:
        """Block until the broker process exits; return its exit status."""
        if self._process is None:
            return 0
        return self._process.wait()


def main(argv: list[str] | None = None) -> int:
    """Run a broker in the foreground until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m simulators.broker", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=1883, help="TCP port (default 1883)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    broker = Broker(args.host, args.port)

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    # Set SIGINT explicitly: a shell starts background jobs with SIGINT ignored, and
    # Python then installs no KeyboardInterrupt handler of its own.
    signal.signal(signal.SIGINT, _terminate)
    try:
        broker.start()
        _LOGGER.info(
            "amqtt broker on %s:%s (pid %s); Ctrl-C to stop", broker.host, broker.port, broker.pid
        )
        status = broker.wait()
        _LOGGER.error("broker exited with status %s:\n%s", status, broker.output())
        return status or 1
    except KeyboardInterrupt:
        return 0
    finally:
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
