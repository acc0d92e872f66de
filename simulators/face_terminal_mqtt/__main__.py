"""Run a simulated face terminal against a broker until Ctrl-C.

    python -m simulators.face_terminal_mqtt --host 127.0.0.1 --port 1883 \
        --device-id 1305433 [--heartbeat 30] [--activity SECONDS]

With ``--activity`` the terminal pushes a random event every N seconds: a recognition
record (§5), a stranger snapshot (§6), a QR-code scan (§14.3) or a card swipe (§23).
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import sys
import threading

from .device import FaceTerminalSimulator

_LOGGER = logging.getLogger("simulators.face_terminal_mqtt")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.face_terminal_mqtt",
        description="Simulated face terminal (face_terminal_mqtt protocol V1.24).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="broker address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=1883, help="broker port (default 1883)")
    parser.add_argument("--device-id", default="1305433", help="the device's local/cloud ID")
    parser.add_argument("--name", default="Face1", help="device name (facesname)")
    parser.add_argument("--prefix", default="mqtt/face", help="topic prefix (default mqtt/face)")
    parser.add_argument("--username", help="broker user name")
    parser.add_argument("--password", help="broker password")
    parser.add_argument(
        "--heartbeat", type=float, default=30.0, help="heartbeat interval, s (§15: 30)"
    )
    parser.add_argument(
        "--online-repeat", type=float, default=60.0, help="Online repeat interval, s (§10.1: ~60)"
    )
    parser.add_argument(
        "--resend", type=float, default=10.0, help="record re-send interval, s (§11: ~10)"
    )
    parser.add_argument(
        "--no-resume", action="store_true", help="ResumefromBreakpoint off: no PushAck needed"
    )
    parser.add_argument(
        "--door-mode", type=int, choices=range(4), default=2, help="OpendoorWay 0-3 (default 2)"
    )
    parser.add_argument(
        "--no-scene-snap", action="store_true", help="answer GetSceneSnap with error 464"
    )
    parser.add_argument(
        "--activity", type=float, metavar="SECONDS", help="push a random event every N seconds"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def _random_event(simulator: FaceTerminalSimulator, rng: random.Random) -> None:
    """Push one random event, logging what was sent."""
    choice = rng.choices(("record", "stranger", "qr", "card"), weights=(6, 2, 1, 1))[0]
    if choice == "record":
        persons = list(simulator.persons)
        custom_id = rng.choice(persons) if persons else None
        temperature = round(rng.uniform(36.0, 37.8), 2) if rng.random() < 0.5 else None
        record_id = simulator.push_record(
            custom_id,
            verify_status=1 if custom_id else 3,
            temperature=temperature,
            mask_checked=rng.random() < 0.3,
            similarity=round(rng.uniform(80.0, 99.0), 1) if custom_id else 0.0,
        )
        _LOGGER.info(
            "RecPush RecordID=%s customId=%s temperature=%s", record_id, custom_id, temperature
        )
    elif choice == "stranger":
        snap_id = simulator.push_stranger()
        _LOGGER.info("StrSnapPush SnapID=%s", snap_id)
    elif choice == "qr":
        text = f"https://example.invalid/qr/{rng.randrange(10**6):06d}"
        simulator.push_qr(text)
        _LOGGER.info("QRCodePush %s", text)
    else:
        number = f"{rng.randrange(16**8):08x}"
        simulator.push_card(number)
        _LOGGER.info("CardPush %s", number)


def main(argv: list[str] | None = None) -> int:
    """Entry point: connect, run until Ctrl-C or SIGTERM, disconnect."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    simulator = FaceTerminalSimulator(
        args.host,
        args.port,
        args.device_id,
        name=args.name,
        topic_prefix=args.prefix,
        heartbeat_interval=args.heartbeat,
        online_repeat_interval=args.online_repeat,
        resend_interval=args.resend,
        resume_from_breakpoint=not args.no_resume,
        door_mode=args.door_mode,
        scene_snap_supported=not args.no_scene_snap,
        username=args.username,
        password=args.password,
    )
    done = threading.Event()

    def _terminate(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        simulator.start(timeout=30.0)
    except TimeoutError:
        _LOGGER.exception("could not connect to the broker")
        return 1
    _LOGGER.info(
        "terminal %s online on %s:%s; commands on %s; Ctrl-C to stop",
        args.device_id,
        args.host,
        args.port,
        simulator.command_topic,
    )
    rng = random.Random()
    try:
        while not done.wait(args.activity if args.activity else 3600.0):
            if args.activity:
                _random_event(simulator, rng)
    finally:
        simulator.stop()
        _LOGGER.info("terminal %s stopped", args.device_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
