"""A busy entrance with a thermometer: the random, realistic events of a tablet.

Mostly recognitions of enrolled people (36.2-37.1 °C, about one in eight a fever of
37.5-38.6 °C, with or without a mask), some strangers, now and then a door-sensor
alarm. The command line (``--activity``) and the demo run these through
``Simulator.random_activity``. Every description ends with the HTTP status of the POST
(0: no HTTP answer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulators.base import Activity

if TYPE_CHECKING:
    pass


class TabletActivity(Activity["TemperatureTabletSimulator"]):
    """The events of a temperature tablet at a busy entrance."""

    events = (("recognition", 7), ("stranger", 3), ("door_alarm", 1))

    def _temperature(self) -> float:
        """Return a body temperature, °C: normal, and about one passage in eight a fever."""
        if self.rng.random() < 0.125:
            return round(self.rng.uniform(37.5, 38.6), 1)
        return round(self.rng.uniform(36.2, 37.1), 1)

    def recognize(self, person_id: str, name: str) -> str:
        """Recognize a person: their face, a temperature, a mask or not."""
        temperature = self._temperature()
        facemask = int(self.rng.random() < 0.5)
        status = self.simulator.push_record(
            person_id,
            temperature=temperature,
            facemask=facemask,
            confidence=round(self.rng.uniform(0.82, 0.99), 2),
            **self.face(person_id),
        )
        return f"recognized {name} ({temperature} °C, {_mask(facemask)}) -> HTTP {status}"

    def stranger(self) -> str:
        """Capture someone unknown, with a temperature, a mask or not."""
        temperature = self._temperature()
        facemask = int(self.rng.random() < 0.5)
        status = self.simulator.push_stranger(temperature=temperature, facemask=facemask)
        return f"stranger ({temperature} °C, {_mask(facemask)}) -> HTTP {status}"

    def door_alarm(self) -> str:
        """Raise the door-sensor alarm."""
        status = self.simulator.push_door_alarm()
        return f"door-sensor alarm -> HTTP {status}"


def _mask(facemask: int) -> str:
    return "mask" if facemask else "no mask"
