"""Button platform: open the door, restart the device."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory

from .coordinator import FaceAccessCoordinator
from .entity import FaceAccessEntity, FaceAccessEntityDescription, platform_setup
from .errors import translated_errors
from .protocols.client import SettingsClient, capable
from .protocols.model import Capability, UnsupportedError

# Devices take one command at a time; a second press waits for the first.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class FaceAccessButtonDescription(FaceAccessEntityDescription, ButtonEntityDescription):
    """A button, what the device needs to have it, and what pressing does."""

    press_fn: Callable[[FaceAccessCoordinator], Awaitable[None]]


async def _open_door(coordinator: FaceAccessCoordinator) -> None:
    """Open the door (a momentary relay pulse, not a lock)."""
    await coordinator.client.open_door()


async def _reboot(coordinator: FaceAccessCoordinator) -> None:
    """Restart the device; it goes offline and its `Online` brings it back."""
    client = capable(coordinator.client, SettingsClient, Capability.REBOOT)
    if client is None:
        raise UnsupportedError("this device cannot be restarted remotely")
    await client.reboot()


OPEN_DOOR = FaceAccessButtonDescription(
    key="open_door",
    translation_key="open_door",
    requires=frozenset({Capability.OPEN_DOOR}),
    press_fn=_open_door,
)
REBOOT = FaceAccessButtonDescription(
    key="reboot",
    # Named "Restart" by its device class.
    device_class=ButtonDeviceClass.RESTART,
    entity_category=EntityCategory.CONFIG,
    requires=frozenset({Capability.REBOOT}),
    press_fn=_reboot,
)


class FaceAccessButton(FaceAccessEntity, ButtonEntity):
    """A button of the device."""

    entity_description: FaceAccessButtonDescription

    async def async_press(self) -> None:
        """Do what the button does; a refusal or silence raises a translated error."""
        with translated_errors(self.coordinator.config_entry.title):
            await self.entity_description.press_fn(self.coordinator)


async_setup_entry = platform_setup(FaceAccessButton, [OPEN_DOOR, REBOOT])
