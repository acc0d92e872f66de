"""Run a simulated body-temperature tablet against an HTTP server until Ctrl-C.

    python -m simulators.temperature_http --url http://127.0.0.1:8123/api/webhook/ID \
        --cid 0012b516a202 [--heartbeat 5] [--activity SECONDS] [-v]

The tablet heartbeats every ``--heartbeat`` seconds and obeys the commands in the
replies. With ``--activity`` it also pushes a random event every N seconds (see
``random_activity``): recognitions with a body temperature, now and then a fever,
strangers, and now and then a door-sensor alarm.
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import sys
import threading

from .device import TemperatureTabletSimulator

_LOGGER = logging.getLogger("simulators.temperature_http")


def _temperature(rng: random.Random) -> float:
    """Return a body temperature, °C: normal, and about one passage in eight a fever."""
    if rng.random() < 0.125:
        return round(rng.uniform(37.5, 38.6), 1)
    return round(rng.uniform(36.2, 37.1), 1)


def _recognition(simulator: TemperatureTabletSimulator, rng: random.Random) -> str:
    persons = simulator.persons
    if not persons:
        return _stranger(simulator, rng)
    person_id = rng.choice(sorted(persons))
    temperature = _temperature(rng)
    facemask = int(rng.random() < 0.5)
    status = simulator.push_record(
        person_id,
        temperature=temperature,
        facemask=facemask,
        confidence=round(rng.uniform(0.82, 0.99), 2),
    )
    name = persons[person_id]["name"] or person_id
    mask = "mask" if facemask else "no mask"
    return f"recognized {name} ({temperature} °C, {mask}) -> HTTP {status}"


def _stranger(simulator: TemperatureTabletSimulator, rng: random.Random) -> str:
    temperature = _temperature(rng)
    facemask = int(rng.random() < 0.5)
    status = simulator.push_stranger(temperature=temperature, facemask=facemask)
    mask = "mask" if facemask else "no mask"
    return f"stranger ({temperature} °C, {mask}) -> HTTP {status}"


def _door_alarm(simulator: TemperatureTabletSimulator, rng: random.Random) -> str:
    status = simulator.push_door_alarm()
    return f"door-sensor alarm -> HTTP {status}"


def random_activity(simulator: TemperatureTabletSimulator, rng: random.Random) -> str:
    """Push one random, realistic event; return a one-line description of it.

    Mostly recognitions of enrolled persons (36.2-37.1 °C, about one in eight a fever of
    37.5-38.6 °C, with or without a mask), some strangers, now and then a door alarm.
    Without enrolled persons a recognition becomes a stranger.
    """
    action = rng.choices((_recognition, _stranger, _door_alarm), weights=(7, 3, 1))[0]
    return action(simulator, rng)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.temperature_http",
        description="Simulated body-temperature tablet (temperature_http protocol V1.16).",
    )
    parser.add_argument("--url", required=True, help="the server URL every message is POSTed to")
    parser.add_argument("--cid", required=True, help="the tablet's identification number")
    parser.add_argument(
        "--heartbeat", type=float, default=5.0, help="heartbeat interval, s (default 5)"
    )
    parser.add_argument(
        "--activity", type=float, metavar="SECONDS", help="push a random event every N seconds"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point: heartbeat (and push events) until Ctrl-C or SIGTERM, then stop."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    simulator = TemperatureTabletSimulator(args.url, args.cid, heartbeat_interval=args.heartbeat)
    done = threading.Event()

    def _terminate(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    simulator.start(wait=False)
    _LOGGER.info("tablet %s posting to %s; Ctrl-C to stop", args.cid, args.url)
    rng = random.Random()
    try:
        while not done.wait(args.activity if args.activity else 3600.0):
            if args.activity:
                _LOGGER.info("tablet %s: %s", args.cid, random_activity(simulator, rng))
    finally:
        simulator.stop()
        _LOGGER.info("tablet %s stopped", args.cid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
