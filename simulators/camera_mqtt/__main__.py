"""Run a simulated HFSecurity network camera against a broker until Ctrl-C.

    python -m simulators.camera_mqtt --host 127.0.0.1 --port 1883 \
        --device-id 1026700 [--heartbeat 60] [--activity SECONDS]

With ``--activity`` the camera pushes a random event every N seconds: a recognition
record of an enrolled person (§5), a stranger snapshot (§6), or one of the §13-§28
analytics pushes. ``--enroll`` adds a few people directly, as if from the web page.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import logging
import random
import signal
import sys
import threading

from .device import CameraSimulator

_LOGGER = logging.getLogger("simulators.camera_mqtt")

_DEMO_PEOPLE = (("cam-0001", "Lisa"), ("cam-0002", "Zhang San"), ("cam-0003", "Li Si"))


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.camera_mqtt",
        description="Simulated intelligent network camera (camera_mqtt protocol V1.25).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="broker address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=1883, help="broker port (default 1883)")
    parser.add_argument("--device-id", default="1026700", help="the camera's Cloud ID")
    parser.add_argument("--name", help="device name (facesname; default IPC<id>)")
    parser.add_argument("--prefix", default="mqtt/face", help="topic prefix (default mqtt/face)")
    parser.add_argument("--username", help="broker user name")
    parser.add_argument("--password", help="broker password")
    parser.add_argument(
        "--heartbeat",
        type=float,
        default=60.0,
        help="heartbeat and Online repeat interval, s (KeepAliveInterval, default 60)",
    )
    parser.add_argument(
        "--resend", type=float, default=10.0, help="record re-send interval, s (§8: ~10)"
    )
    parser.add_argument(
        "--no-resume", action="store_true", help="ResumefromBreakpoint off: no PushAck needed"
    )
    parser.add_argument(
        "--behavior-upload",
        type=int,
        choices=(0, 1, 2, 3, 4, 255),
        default=255,
        help="BehaviorUploadType (§10.1; default 255, all)",
    )
    parser.add_argument(
        "--no-scene-snap", action="store_true", help="answer GetSceneSnap with error 11000"
    )
    parser.add_argument(
        "--enroll", action="store_true", help="enrol a few demo people directly at start"
    )
    parser.add_argument(
        "--activity", type=float, metavar="SECONDS", help="push a random event every N seconds"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def analytics_pushes(
    camera: CameraSimulator, rng: random.Random
) -> list[tuple[str, Callable[[], object]]]:
    """Every analytics push with random but valid values, by operator."""

    def kitchen() -> int | None:
        # §13: 6 cook alarms, 3 animals, 1 object.
        target = rng.randrange(3)
        return camera.push_kitchen(target, [rng.randrange((6, 3, 1)[target])])

    return [
        ("VisibleKitchenSnapPush", kitchen),
        ("ParabolicSnapPush", camera.push_parabolic),
        ("TemHighSnapPush", lambda: camera.push_thermal(round(rng.uniform(45.0, 120.0), 1))),
        ("FullStrSnapPush", lambda: camera.push_structured(rng.randrange(4))),
        ("BehaviorSnapPush", lambda: camera.push_behavior(rng.randrange(2), rng.randrange(4))),
        ("LeaveSnapPush", camera.push_leave),
        ("ClothHelmetSnapPush", lambda: camera.push_helmet(rng.randrange(3), rng.randrange(3))),
        ("FireSmokeSnapPush", lambda: camera.push_fire_smoke(rng.randrange(3), rng.randrange(3))),
        ("CountInRegionPush", lambda: camera.push_head_count(rng.randrange(10))),
        ("CatAttrSnapPush", lambda: camera.push_vehicle(color=rng.randrange(14))),
        ("SafetyRidePush", lambda: camera.push_safety_ride(rng.randrange(2))),
        ("ElectricalBicycleSnapPush", camera.push_ebike),
    ]


def _random_event(camera: CameraSimulator, rng: random.Random) -> None:
    """Push one random event, logging what was sent."""
    choice = rng.choices(("record", "stranger", "analytics"), weights=(5, 2, 3))[0]
    if choice == "record":
        persons = list(camera.persons)
        custom_id = rng.choice(persons) if persons else None
        record_id = camera.push_record(
            custom_id,
            verify_status=1 if custom_id else 3,
            no_mask=rng.randrange(2) if rng.random() < 0.5 else None,
            similarity=float(rng.randrange(80, 100)) if custom_id else 0.0,
        )
        _LOGGER.info("RecPush RecordID=%s customId=%s", record_id, custom_id)
    elif choice == "stranger":
        snap_id = camera.push_stranger(no_mask=rng.randrange(2))
        _LOGGER.info("StrSnapPush SnapID=%s", snap_id)
    else:
        operator, push = rng.choice(analytics_pushes(camera, rng))
        result = push()
        _LOGGER.info("%s -> %s", operator, result)


def main(argv: list[str] | None = None) -> int:
    """Entry point: connect, run until Ctrl-C or SIGTERM, disconnect."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    camera = CameraSimulator(
        args.host,
        args.port,
        args.device_id,
        name=args.name,
        topic_prefix=args.prefix,
        heartbeat_interval=args.heartbeat,
        resend_interval=args.resend,
        resume_from_breakpoint=not args.no_resume,
        behavior_upload_type=args.behavior_upload,
        scene_snap_supported=not args.no_scene_snap,
        username=args.username,
        password=args.password,
    )
    if args.enroll:
        for custom_id, name in _DEMO_PEOPLE:
            camera.add_person(custom_id, name)
    done = threading.Event()

    def _terminate(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        camera.start(timeout=30.0)
    except TimeoutError:
        _LOGGER.exception("could not connect to the broker")
        return 1
    _LOGGER.info(
        "camera %s online on %s:%s; commands on %s; Ctrl-C to stop",
        args.device_id,
        args.host,
        args.port,
        camera.command_topic,
    )
    rng = random.Random()
    try:
        while not done.wait(args.activity if args.activity else 3600.0):
            if args.activity:
                _random_event(camera, rng)
    finally:
        camera.stop()
        _LOGGER.info("camera %s stopped", args.device_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
