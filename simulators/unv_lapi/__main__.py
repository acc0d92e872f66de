"""Run a simulated Uniview face terminal until Ctrl-C.

    python -m simulators.unv_lapi [--port 8080] [--user admin --password admin] [--basic] \
        [--serial 210235C31L3186000023] [--activity SECONDS] [-v]

The terminal answers LAPI requests at ``http://127.0.0.1:<port>/LAPI/V1.0/...`` (HTTP
Digest, or Basic with ``--basic``) and pushes its records to whoever subscribes. With
``--activity`` it captures a random event every N seconds.
"""

from __future__ import annotations

import argparse
import sys

from simulators.cli import run_cli
from simulators.http_device import add_server_arguments

from .device import DEFAULT_SERIAL, UnvLapiSimulator

DESCRIPTION = "Simulated Uniview face terminal (unv_lapi, LAPI over HTTP)."
"""What ``--help`` says the command is."""


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(
        parser, port=0, auth="HTTP", serial=DEFAULT_SERIAL, serial_name="serial number"
    )
    parser.add_argument("--basic", action="store_true", help="HTTP Basic instead of Digest")
    parser.add_argument(
        "--no-extended", action="store_true", help="no people / remote-open / snapshot paths"
    )
    parser.add_argument("--doc-quirks", action="store_true", help="the document's misspellings")


def _build(args: argparse.Namespace) -> UnvLapiSimulator:
    return UnvLapiSimulator(
        args.serial,
        port=args.port or None,
        user=args.user,
        password=args.password,
        auth="basic" if args.basic else "digest",
        extended=not args.no_extended,
        doc_quirks=args.doc_quirks,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: serve and push until Ctrl-C or SIGTERM, then stop."""
    return run_cli(argv, "unv_lapi", DESCRIPTION, _add_arguments, _build, start_timeout=0.0)


if __name__ == "__main__":
    sys.exit(main())
