"""People walking past a network camera: its random, realistic events.

Recognitions of enrolled people (with or without a mask), strangers, and every §13-§28
analytics push with random but valid values. The command line (``--activity``) and the
demo run these through ``Simulator.random_activity``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simulators.base import Activity

if TYPE_CHECKING:
    pass


class CameraActivity(Activity["CameraSimulator"]):
    """The events of a camera over a busy place: faces and analytics detections."""

    events = (("recognition", 4), ("stranger", 2), ("analytics", 4))

    def recognize(self, person_id: str, name: str) -> str:
        """Recognize a person walking past: their face, and whether they wear a mask."""
        no_mask = self.rng.choice((0, 1, None))  # 0 mask (or check off), 1 no mask, None not said
        self.simulator.push_record(
            person_id,
            similarity=float(self.rng.randrange(82, 100)),
            no_mask=no_mask,
            **self.face(person_id),
        )
        return f"recognized {name}" + (" (no mask)" if no_mask == 1 else "")

    def stranger(self) -> str:
        """Capture someone unknown walking past."""
        no_mask = self.rng.randrange(2)
        self.simulator.push_stranger(no_mask=no_mask)
        return "stranger" + (" (no mask)" if no_mask else "")

    def analytics(self) -> str:
        """Push one of the camera's analytics detections (tripwire, fire and smoke, helmet, …)."""
        operator, push = self.rng.choice(self.analytics_pushes())
        push()
        return f"analytics {operator}"

    def analytics_pushes(self) -> list[tuple[str, Callable[[], object]]]:
        """Every analytics push with random but valid values, by operator."""
        camera, rng = self.simulator, self.rng

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
            (
                "FireSmokeSnapPush",
                lambda: camera.push_fire_smoke(rng.randrange(3), rng.randrange(3)),
            ),
            ("CountInRegionPush", lambda: camera.push_head_count(rng.randrange(10))),
            ("CatAttrSnapPush", lambda: camera.push_vehicle(color=rng.randrange(14))),
            ("SafetyRidePush", lambda: camera.push_safety_ride(rng.randrange(2))),
            ("ElectricalBicycleSnapPush", camera.push_ebike),
        ]
