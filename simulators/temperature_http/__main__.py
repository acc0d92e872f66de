"""Run a simulated body-temperature tablet against an HTTP server until Ctrl-C.

    python -m simulators.temperature_http --url http://127.0.0.1:8123/api/webhook/ID \
        --cid 0012b516a202 [--heartbeat 5] [--activity SECONDS] [-v]

The tablet heartbeats every ``--heartbeat`` seconds and obeys the commands in the
replies. With ``--activity`` it also pushes a random event every N seconds
(``simulators.temperature_http.activity``): recognitions with a body temperature, now
and then a fever, strangers, and now and then a door-sensor alarm.
"""

from __future__ import annotations

import argparse
import sys

from simulators.cli import run_cli

from .device import TemperatureTabletSimulator

DESCRIPTION = "Simulated body-temperature tablet (temperature_http protocol V1.16)."
"""What ``--help`` says the command is."""


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="the server URL every message is POSTed to")
    parser.add_argument("--cid", required=True, help="the tablet's identification number")
    parser.add_argument(
        "--heartbeat", type=float, default=5.0, help="heartbeat interval, s (default 5)"
    )


def _build(args: argparse.Namespace) -> TemperatureTabletSimulator:
    return TemperatureTabletSimulator(args.url, args.cid, heartbeat_interval=args.heartbeat)


def main(argv: list[str] | None = None) -> int:
    """Entry point: heartbeat (and push events) until Ctrl-C or SIGTERM, then stop."""
    # The tablet heartbeats from its own thread whether or not anyone answers.
    return run_cli(argv, "temperature_http", DESCRIPTION, _add_arguments, _build, start_timeout=0.0)


if __name__ == "__main__":
    sys.exit(main())
