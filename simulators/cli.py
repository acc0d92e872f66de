"""The command line of every simulator: ``python -m simulators.<protocol> [options]``.

``run_cli`` parses the device's options and the common ones (``--activity``, ``-v``),
builds and starts the simulator, makes it do one random, realistic thing every
``--activity`` seconds (``Simulator.random_activity``), and stops it on Ctrl-C or
SIGTERM. ``add_mqtt_arguments``/``mqtt_settings`` are the options of an HFSecurity MQTT
device (the face terminal, the camera).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import logging
import random
import signal
import threading
from typing import Any

from simulators.base import Simulator
from simulators.hfsecurity_mqtt import Model

IDLE_WAIT = 3600.0
"""Seconds the main thread sleeps at a time without ``--activity`` (a signal wakes it)."""


def add_mqtt_arguments(
    parser: argparse.ArgumentParser, model: Model, *, scene_snap_error: int
) -> None:
    """Add the broker's and the device's options that every HFSecurity MQTT device has.

    Defaults are the ``model``'s. ``scene_snap_error`` is the code the device answers
    ``GetSceneSnap`` with under ``--no-scene-snap``.
    """
    parser.add_argument("--host", default="127.0.0.1", help="broker address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=1883, help="broker port (default 1883)")
    parser.add_argument(
        "--device-id", default=model.device_id, help=f"the device's ID (default {model.device_id})"
    )
    parser.add_argument(
        "--name",
        help=f"device name (facesname; default {model.name.format(device_id='<id>')})",
    )
    parser.add_argument("--prefix", default="mqtt/face", help="topic prefix (default mqtt/face)")
    parser.add_argument("--username", help="broker user name")
    parser.add_argument("--password", help="broker password")
    parser.add_argument(
        "--heartbeat",
        type=float,
        help=f"heartbeat interval, s (default {model.heartbeat_interval:g})",
    )
    parser.add_argument(
        "--resend", type=float, default=10.0, help="record re-send interval, s (default 10)"
    )
    parser.add_argument(
        "--no-resume", action="store_true", help="ResumefromBreakpoint off: no PushAck needed"
    )
    parser.add_argument(
        "--no-scene-snap",
        action="store_true",
        help=f"answer GetSceneSnap with error {scene_snap_error}",
    )


def mqtt_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Return the constructor arguments of the options that ``add_mqtt_arguments`` added."""
    return {
        "host": args.host,
        "port": args.port,
        "device_id": args.device_id,
        "name": args.name,
        "topic_prefix": args.prefix,
        "heartbeat_interval": args.heartbeat,
        "resend_interval": args.resend,
        "resume_from_breakpoint": not args.no_resume,
        "scene_snap_supported": not args.no_scene_snap,
        "username": args.username,
        "password": args.password,
    }


def run_cli(
    argv: list[str] | None,
    protocol: str,
    description: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    build: Callable[[argparse.Namespace], Simulator],
    *,
    start_timeout: float = 30.0,
) -> int:
    """Run one simulator from the command line until Ctrl-C or SIGTERM; return the status.

    ``add_arguments`` adds the device's options, ``build`` makes the simulator of the
    parsed options. ``start_timeout`` bounds the start (``Simulator.start``); a device
    that cannot connect in that time ends the run with status 1.
    """
    parser = argparse.ArgumentParser(
        prog=f"python -m simulators.{protocol}", description=description
    )
    add_arguments(parser)
    parser.add_argument(
        "--activity", type=float, metavar="SECONDS", help="push a random event every N seconds"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logger = logging.getLogger(f"simulators.{protocol}")
    simulator = build(args)
    title = f"{simulator.kind} {simulator.device_id}"
    done = threading.Event()

    def _terminate(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _terminate)
    # Set SIGINT explicitly: a shell starts background jobs with SIGINT ignored, and
    # Python then installs no KeyboardInterrupt handler of its own.
    signal.signal(signal.SIGINT, _terminate)
    try:
        simulator.start(start_timeout)
    except TimeoutError:
        logger.exception("could not connect to the broker")
        return 1
    logger.info("%s %s; Ctrl-C to stop", title, simulator.link)
    rng = random.Random()
    try:
        while not done.wait(args.activity or IDLE_WAIT):
            if args.activity:
                logger.info("%s: %s", title, simulator.random_activity(rng))
    finally:
        simulator.stop()
        logger.info("%s stopped", title)
    return 0
