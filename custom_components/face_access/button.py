"""Button platform: open the door."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .entity import FaceAccessEntity, FaceAccessEntityDescription, platform_setup
from .errors import translated_errors
from .protocols.model import Capability

# Devices take one command at a time; a second press waits for the first.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class FaceAccessButtonDescription(FaceAccessEntityDescription, ButtonEntityDescription):
    """A button and what the device needs to have it."""


OPEN_DOOR = FaceAccessButtonDescription(
    key="open_door", translation_key="open_door", requires=frozenset({Capability.OPEN_DOOR})
)


class FaceAccessOpenDoorButton(FaceAccessEntity, ButtonEntity):
    """Opens the door (a momentary relay pulse, not a lock)."""

    async def async_press(self) -> None:
        """Open the door; a refusal or silence raises a translated error."""
        with translated_errors(self.coordinator.config_entry.title):
            await self.coordinator.client.open_door()


async_setup_entry = platform_setup(FaceAccessOpenDoorButton, [OPEN_DOOR])
