"""The one interface of every simulated device, as its drivers (the command lines, the demo) see it.

A driver starts and stops a ``Simulator``, enrols people on it as if on its own screen,
makes it do random, realistic things (``random_activity``), and reads back what a person
would see on the device: who is enrolled, whether the platform answered it, how often its
door was opened remotely. What differs between the devices (an MQTT client of a broker, or
an HTTP client of a webhook) is said by ``posts_to_webhook`` and ``has_door``, so a driver
never needs to know the concrete class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
import random
from typing import Any, ClassVar, Protocol, Self, overload

from simulators.lifecycle import StartStop, wait_for

type Faces = Mapping[str, bytes]
"""Who a device may recognize, and the face it captures of each: a picture by person ID."""


class _Guarded(Protocol):
    """An object whose state is guarded by ``_lock`` (every simulator)."""

    @property
    def _lock(self) -> Any: ...


class LockedCopy[T]:
    """A read-only attribute: a copy of ``attribute``, taken while holding ``self._lock``.

    The simulators change their state in their own threads; what tests and drivers read
    is a snapshot (``copy`` is ``list``, ``dict``, ``len`` ...), never the live object.
    """

    def __init__(self, attribute: str, copy: Callable[[Any], T], doc: str) -> None:
        """Read ``attribute`` of the instance through ``copy``; ``doc`` documents it."""
        self._attribute = attribute
        self._copy = copy
        self.__doc__ = doc

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Self: ...

    @overload
    def __get__(self, instance: _Guarded, owner: type | None = None) -> T: ...

    def __get__(self, instance: _Guarded | None, owner: type | None = None) -> T | Self:
        """Return the snapshot (the descriptor itself on the class)."""
        if instance is None:
            return self
        with instance._lock:
            return self._copy(getattr(instance, self._attribute))


def itself[T](value: T) -> T:
    """Return ``value``: the ``copy`` of a ``LockedCopy`` of a number or a string."""
    return value


def rows(table: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Copy a table of records, each record too (the ``copy`` of a ``LockedCopy``)."""
    return {key: dict(value) for key, value in table.items()}


def utf8_len(text: str) -> int:
    """Return the length of ``text`` in bytes, as the vendor documents' limits count it."""
    return len(text.encode("utf-8"))


class Activity[S: Simulator](ABC):
    """The random, realistic events of one kind of device, pushed one at a time.

    ``events`` names the methods that push one event each and describe it, with their
    weights. Recognitions are of the people ``faces`` has a face for (everyone enrolled
    without ``faces``), with that face, and become strangers when nobody is enrolled.
    """

    events: ClassVar[tuple[tuple[str, int], ...]]
    """(method name, weight) of each kind of event."""

    def __init__(self, simulator: S, rng: random.Random, faces: Faces | None) -> None:
        """Push events from ``simulator``, chosen with ``rng``; see the class for ``faces``."""
        self.simulator = simulator
        self.rng = rng
        self.faces = faces

    def random_event(self) -> str:
        """Push one event, chosen by the weights of ``events``; return its description."""
        names, weights = zip(*self.events, strict=True)
        event: Callable[[], str] = getattr(self, self.rng.choices(names, weights)[0])
        return event()

    def recognition(self) -> str:
        """Recognize an enrolled person (``recognize``); a stranger when nobody is enrolled."""
        return self.with_someone(self.recognize)

    def with_someone(self, event: Callable[[str, str], str]) -> str:
        """Push ``event(person_id, name)`` of a random enrolled person, else a ``stranger``.

        A person without a name is named by their ID.
        """
        known = self.simulator.persons
        ids = sorted(known) if self.faces is None else [i for i in self.faces if i in known]
        if not ids:
            return self.stranger()
        person_id = self.rng.choice(ids)
        return event(person_id, known[person_id]["name"] or person_id)

    def face(self, person_id: str) -> dict[str, bytes]:
        """Return the ``picture`` argument of a push recognizing ``person_id``: their face.

        Empty without a face in ``faces``, so that the device's own default picture applies.
        """
        face = self.faces.get(person_id) if self.faces is not None else None
        return {"picture": face} if face is not None else {}

    @abstractmethod
    def recognize(self, person_id: str, name: str) -> str:
        """Push a recognition of the enrolled ``person_id``; describe it."""

    @abstractmethod
    def stranger(self) -> str:
        """Push a capture of someone unknown; describe it."""


class Simulator(StartStop):
    """One simulated device.

    Subclasses say what the device is (``kind``), whether it posts to a webhook (then
    ``configure_url`` before ``start``) and whether it has a door, and implement the rest.
    """

    kind: ClassVar[str]
    """What the device is, in log lines: "terminal", "camera", "tablet"."""
    posts_to_webhook: ClassVar[bool] = False
    """True for an HTTP client of a URL that the platform makes (``configure_url``); False
    for a device that the platform reaches through a broker given to the constructor."""
    has_door: ClassVar[bool] = False
    """Whether the platform can open the device's door (``unlock_count`` counts that)."""

    device_id: str
    """The device's own ID, the one its platform knows it by."""
    activity: ClassVar[type[Activity[Any]]]
    """The device's random, realistic events (``random_activity``)."""

    wait_for = staticmethod(wait_for)

    @abstractmethod
    def start(self, timeout: float | None = None) -> None:
        """Start the device; wait up to ``timeout`` s (None: the device's own default).

        An MQTT device waits until it is connected (``TimeoutError`` otherwise); an HTTP
        device until its first heartbeat was answered (0: not at all).
        """

    @property
    @abstractmethod
    def link(self) -> str:
        """Where the device talks, for log lines (its broker and topic, or its URL)."""

    @property
    @abstractmethod
    def persons(self) -> dict[str, dict[str, Any]]:
        """The people enrolled on the device by person ID; each has at least ``name``."""

    @abstractmethod
    def add_person(
        self, person_id: str, name: str, *, picture: bytes | None = None
    ) -> dict[str, Any]:
        """Enrol a person directly (as on the device's own screen), without the platform."""

    @property
    @abstractmethod
    def connected(self) -> bool:
        """True while the device can reach its platform (or broker)."""

    @property
    @abstractmethod
    def announcements(self) -> int:
        """How many times the device announced itself (``Online`` notices, heartbeats)."""

    @property
    @abstractmethod
    def answered(self) -> bool:
        """True once the platform has taken the device in (answered its announcement)."""

    def wait_answered(self, timeout: float = 10.0) -> bool:
        """Wait until ``answered``; return whether it came within ``timeout`` s."""
        return self.wait_for(lambda: self.answered, timeout)

    @property
    def unlock_count(self) -> int:
        """How many times the platform opened the door remotely (0 without a door)."""
        return 0

    def last_unlock_via(self) -> str | None:
        """Say how the last remote door opening reached the device; None before any."""
        return None

    @property
    def address(self) -> tuple[str, int] | None:
        """Where the device's own server listens (host, port); None for a device without one.

        The platform reaches a device with a server there (commands, its config flow), so
        such a device runs before it is added.
        """
        return None

    def configure_url(self, url: str) -> None:
        """Set the URL that a device which ``posts_to_webhook`` posts to."""
        raise TypeError(f"a {self.kind} posts to no webhook; its broker is set when built")

    def random_activity(self, rng: random.Random, faces: Faces | None = None) -> str:
        """Do one random, realistic thing; return a one-line description of it.

        Recognitions are of the people ``faces`` has a face for (everyone enrolled without
        ``faces``), with that face (see ``Activity``).
        """
        return self.activity(self, rng, faces).random_event()

    def random_recognition(self, rng: random.Random, faces: Faces | None = None) -> str:
        """Recognize someone (see ``random_activity``), or a stranger when nobody is enrolled."""
        return self.activity(self, rng, faces).recognition()
