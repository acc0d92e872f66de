"""Run a simulated face terminal against a broker until Ctrl-C.

    python -m simulators.face_terminal_mqtt --host 127.0.0.1 --port 1883 \
        --device-id 1305433 [--heartbeat 30] [--activity SECONDS]

With ``--activity`` the terminal pushes a random event every N seconds
(``simulators.face_terminal_mqtt.activity``): mostly recognition records (§5), and
stranger snapshots (§6), refused faces, card swipes (§23) and QR-code scans (§14.3).
"""

from __future__ import annotations

import argparse
import sys

from simulators.cli import add_mqtt_arguments, mqtt_settings, run_cli

from .device import FaceTerminalSimulator

DESCRIPTION = "Simulated face terminal (face_terminal_mqtt protocol V1.24)."
"""What ``--help`` says the command is."""


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mqtt_arguments(parser, FaceTerminalSimulator.model, scene_snap_error=464)
    parser.add_argument(
        "--online-repeat", type=float, help="Online repeat interval, s (§10.1: ~60)"
    )
    parser.add_argument(
        "--door-mode", type=int, choices=range(4), default=2, help="OpendoorWay 0-3 (default 2)"
    )


def _build(args: argparse.Namespace) -> FaceTerminalSimulator:
    return FaceTerminalSimulator(
        online_repeat_interval=args.online_repeat,
        door_mode=args.door_mode,
        **mqtt_settings(args),
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: connect, run until Ctrl-C or SIGTERM, disconnect."""
    return run_cli(argv, "face_terminal_mqtt", DESCRIPTION, _add_arguments, _build)


if __name__ == "__main__":
    sys.exit(main())
