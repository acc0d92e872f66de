"""Run a simulated HFSecurity network camera against a broker until Ctrl-C.

    python -m simulators.camera_mqtt --host 127.0.0.1 --port 1883 \
        --device-id 1026700 [--heartbeat 60] [--activity SECONDS]

With ``--activity`` the camera pushes a random event every N seconds
(``simulators.camera_mqtt.activity``): a recognition record of an enrolled person (§5),
a stranger snapshot (§6), or one of the §13-§28 analytics pushes. ``--enroll`` adds a
few people directly, as if from the web page. The heartbeat interval is also the
``Online`` repeat interval (``KeepAliveInterval``).
"""

from __future__ import annotations

import argparse
import sys

from simulators.cli import add_mqtt_arguments, mqtt_settings, run_cli

from .device import BEHAVIOR_UPLOAD_ALL, CameraSimulator

DESCRIPTION = "Simulated intelligent network camera (camera_mqtt protocol V1.25)."
"""What ``--help`` says the command is."""
DEMO_PEOPLE = (("cam-0001", "Lisa"), ("cam-0002", "Zhang San"), ("cam-0003", "Li Si"))
"""Who ``--enroll`` enrols: (``customId``, name)."""


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mqtt_arguments(parser, CameraSimulator.model, scene_snap_error=11000)
    parser.add_argument(
        "--behavior-upload",
        type=int,
        choices=(0, 1, 2, 3, 4, BEHAVIOR_UPLOAD_ALL),
        default=BEHAVIOR_UPLOAD_ALL,
        help="BehaviorUploadType (§10.1; default 255, all)",
    )
    parser.add_argument(
        "--enroll", action="store_true", help="enrol a few demo people directly at start"
    )


def _build(args: argparse.Namespace) -> CameraSimulator:
    camera = CameraSimulator(behavior_upload_type=args.behavior_upload, **mqtt_settings(args))
    if args.enroll:
        for custom_id, name in DEMO_PEOPLE:
            camera.add_person(custom_id, name)
    return camera


def main(argv: list[str] | None = None) -> int:
    """Entry point: connect, run until Ctrl-C or SIGTERM, disconnect."""
    return run_cli(argv, "camera_mqtt", DESCRIPTION, _add_arguments, _build)


if __name__ == "__main__":
    sys.exit(main())
