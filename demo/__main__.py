"""Command line of the demo: ``scripts/demo [--port N] [--check] …`` (see ``--help``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
import shutil
import signal
import sys
import tempfile
import time

from simulators.lifecycle import free_port

from .config import DEFAULT_CONFIG_DIR
from .runner import Demo, DemoError, Options, say

_LOGGER = logging.getLogger("demo")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description=(
            "A real Home Assistant with the Face Access integration and simulated devices "
            "(one per protocol: terminals, a camera, a tablet), all on 127.0.0.1."
        ),
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's HTTP port (default 8123)"
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=DEFAULT_CONFIG_DIR,
        help=f"Home Assistant's configuration directory, kept (default {DEFAULT_CONFIG_DIR})",
    )
    parser.add_argument(
        "--activity",
        type=float,
        metavar="SECONDS",
        help="mean seconds between two events of one device (default 10; 2 with --check)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help=(
            "headless self-test in a fresh temporary directory on free ports: exit 0 only if "
            "every person of the People entry is enrolled everywhere, and every device is "
            "online, sends events, lists the roster and opens its door"
        ),
    )
    parser.add_argument(
        "--check-seconds",
        type=float,
        default=180.0,
        help="with --check: fail unless everything passed within this time (default 180)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="with --check: keep the temporary directory"
    )
    parser.add_argument(
        "--deps-path",
        type=Path,
        help=(
            "directory with the packages Home Assistant's web UI needs that the virtualenv "
            "lacks (scripts/demo passes the one python -m demo.provision prints)"
        ),
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print each event")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


async def _bounded(demo: Demo) -> int:
    """Run the demo; a check that overruns its time fails instead of waiting on."""
    if not demo.options.check:
        return await demo.run()
    scope = asyncio.timeout(demo.options.check_seconds)
    try:
        async with scope:
            return await demo.run()
    except TimeoutError:
        if not scope.expired():
            raise  # a step's own time limit: its message says more
        say(f"FAIL: --check did not finish within {demo.options.check_seconds:.0f} s")
        return 1


async def _run(demo: Demo) -> int:
    """Run the demo; the first SIGINT/SIGTERM cancels it, and it always shuts down."""
    loop = asyncio.get_running_loop()
    work = asyncio.create_task(_bounded(demo), name="demo")
    interrupted = False

    def _interrupt() -> None:
        nonlocal interrupted
        if interrupted:
            say("still stopping…")
            return
        interrupted = True
        say("\nstopping the simulators, Home Assistant and the broker…")
        work.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _interrupt)
    status = 1
    try:
        status = await work
    except asyncio.CancelledError:
        status = 130 if demo.options.check else 0
    except DemoError as err:
        say(f"demo: {err}")
    except Exception:
        _LOGGER.exception("demo failed")
    finally:
        started = time.monotonic()
        await demo.shutdown()
        say(f"stopped ({time.monotonic() - started:.1f} s)")
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse the options, run, and return the exit status."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    temporary: Path | None = None
    if args.check:
        temporary = Path(tempfile.mkdtemp(prefix="face-access-demo-"))
        config_dir, port = temporary, free_port()
    else:
        config_dir, port = args.config_dir.resolve(), args.port
    activity = args.activity if args.activity is not None else (2.0 if args.check else 10.0)
    options = Options(
        config_dir=config_dir,
        http_port=port,
        activity=activity,
        check=args.check,
        check_seconds=args.check_seconds,
        deps_path=args.deps_path,
        quiet=args.quiet,
    )
    started = time.monotonic()
    status = 1
    try:
        status = asyncio.run(_run(Demo(options)))
    finally:
        if temporary is not None:
            # A failed check keeps its directory: Home Assistant's log is the evidence.
            if args.keep or status != 0:
                say(f"kept {temporary} (home-assistant.log, demo-*-output.log)")
            else:
                shutil.rmtree(temporary, ignore_errors=True)
    if args.check:
        say(f"--check took {time.monotonic() - started:.0f} s; exit status {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
