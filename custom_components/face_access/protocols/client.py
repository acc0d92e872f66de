"""The interface every protocol client offers to the Home Assistant layer (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .model import Capability, CommandResult, DeviceInfo, Enrollment, Person, PhotoLimits, Picture


class DeviceClient(Protocol):
    """One device, whatever its protocol.

    Inbound traffic reaches the owner through the `on_message` callback given at construction.
    Every command raises `DeviceTimeoutError` when the device does not answer in time,
    `DeviceRefusedError` (with the device's reason) when it refuses, `InvalidRequestError`
    when the request breaks the protocol's limits and `UnsupportedError` when the protocol
    cannot do it at all.
    """

    @property
    def manufacturer(self) -> str:
        """Return who makes the device (for the device registry)."""
        ...

    @property
    def model(self) -> str:
        """Return what kind of device it is (for the device registry)."""
        ...

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Return what the device can do."""
        ...

    @property
    def photo_limits(self) -> PhotoLimits:
        """Return what an enrolment photo must meet."""
        ...

    async def start(self) -> None:
        """Begin receiving (subscribe, register, ...)."""

    async def stop(self) -> None:
        """Stop receiving and cancel everything under way."""

    async def query_info(self) -> DeviceInfo:
        """Ask the device about itself."""
        ...

    async def open_door(self) -> None:
        """Open the door (pulse the relay)."""

    async def snapshot(self) -> Picture:
        """Capture the scene now; the picture is returned undecoded."""
        ...

    async def enroll(self, enrollment: Enrollment) -> CommandResult:
        """Add or replace one person."""
        ...

    async def delete(self, person_ids: Sequence[str]) -> CommandResult:
        """Delete people by their IDs."""
        ...

    async def delete_all(self) -> CommandResult:
        """Delete everyone."""
        ...

    async def list_people(self) -> list[Person]:
        """Return everyone stored on the device."""
        ...
