"""The demo's people: the roster of the People entry, put on every terminal, then recognized.

The demo adds them to the People entry (``demo.people``); the integration's sync enrolls them
on every terminal that can enroll. Their photos are drawn (no real faces) by the
simulators' picture generator; each person keeps one look, so the picture of a recognition
matches the enrolled photo.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.base import Faces
from simulators.images import make_jpeg


@dataclass(frozen=True)
class Person:
    """One enrolled person.

    ``person_id``: the ID stored on the devices; ``variant``: the look of the drawn face
    (background and skin tone; see ``simulators.images``).
    """

    person_id: str
    name: str
    variant: int

    def photo(self, width: int = 480, height: int = 640) -> bytes:
        """Draw the enrolment photo: JPEG, ``width`` × ``height`` px."""
        return make_jpeg(width, height, variant=self.variant)

    def capture(self) -> bytes:
        """Draw the face a device captures when it recognizes this person (small JPEG)."""
        return make_jpeg(240, 300, variant=self.variant, quality=80)


ROSTER: tuple[Person, ...] = (
    Person("1001", "Ada Lovelace", 0),
    Person("1002", "Grace Hopper", 6),
    Person("1003", "Alan Turing", 17),
)

STRANGER_VARIANT = 23
"""A look that belongs to nobody on the roster."""


def faces() -> Faces:
    """Return the face each device captures of each roster person, by person ID.

    What the devices' activity recognizes (``Simulator.random_activity``): the roster's
    people that the device knows, each with the picture that matches their photo.
    """
    return {person.person_id: person.capture() for person in ROSTER}


def by_id(person_id: str) -> Person | None:
    """Return the roster's person with ``person_id``, if any."""
    return next((person for person in ROSTER if person.person_id == person_id), None)
