"""Run a simulated Huaan face-capture terminal until Ctrl-C.

    python -m simulators.face_capture_http [--port 8000] [--user admin --password admin] \
        [--serial 000001-000002-0000BC] [--upload-url URL] [--poll-url URL] \
        [--activity SECONDS] [-v]

The terminal answers commands POSTed to ``http://127.0.0.1:<port>/`` (HTTP Basic).
With ``--upload-url`` it pushes its records (and heartbeats) there; with ``--poll-url``
it long-polls that URL for commands. With ``--activity`` it captures a random event every
N seconds (``simulators.face_capture_http.activity``): recognitions with a temperature
and a mask or not, strangers, refused passages, card swipes and QR codes.
"""

from __future__ import annotations

import argparse
import sys

from simulators.cli import run_cli
from simulators.http_device import add_server_arguments

from .device import DEFAULT_SERIAL, FaceCaptureSimulator

DESCRIPTION = "Simulated Huaan face-capture terminal (face_capture_http, Face Capture Http API)."
"""What ``--help`` says the command is."""


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(
        parser, port=8000, auth="HTTP Basic", serial=DEFAULT_SERIAL, serial_name="device_sn"
    )
    parser.add_argument("--no-auth", action="store_true", help="answer without HTTP Basic")
    parser.add_argument("--upload-url", help="where records are pushed (upload_info)")
    parser.add_argument("--poll-url", help="where commands are long-polled (extranet)")
    parser.add_argument(
        "--heartbeat", type=float, default=30.0, help="upload heartbeat interval, s (default 30)"
    )
    parser.add_argument(
        "--old-firmware", action="store_true", help="no upload person (code 2): jpg commands"
    )


def _build(args: argparse.Namespace) -> FaceCaptureSimulator:
    return FaceCaptureSimulator(
        args.serial,
        port=args.port or None,
        user=None if args.no_auth else args.user,
        password=args.password,
        upload_url=args.upload_url,
        poll_url=args.poll_url,
        heartbeat_interval=args.heartbeat,
        old_firmware=args.old_firmware,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: serve (and push, and poll) until Ctrl-C or SIGTERM, then stop."""
    # An HTTP device: it serves and posts from its own thread whether or not anyone answers.
    return run_cli(
        argv, "face_capture_http", DESCRIPTION, _add_arguments, _build, start_timeout=0.0
    )


if __name__ == "__main__":
    sys.exit(main())
