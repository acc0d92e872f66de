"""Select platform: the device's settings that take one of some options (door mode, unit...)."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.select import SelectEntity, SelectEntityDescription

from .protocols.model import SettingKey, SettingKind
from .setting_entity import (
    FaceAccessSettingDescription,
    FaceAccessSettingEntity,
    setting_platform_setup,
)

# Devices take one command at a time; a second write waits for the first.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class FaceAccessSelectDescription(FaceAccessSettingDescription, SelectEntityDescription):
    """A setting with options; the device's options are translated as entity states."""

    kind: SettingKind = SettingKind.CHOICE


SELECTS: tuple[FaceAccessSelectDescription, ...] = (
    FaceAccessSelectDescription.of(
        SettingKey.DOOR_MODE,
        # Careful: `remote_only` makes the door open only from Home Assistant (and the
        # terminal stops sending recognitions); `face_then_remote` waits for a decision that
        # this integration does not send, so nobody gets in. `face` ignores the open-door
        # button. The option names and the README say so.
    ),
    FaceAccessSelectDescription.of(SettingKey.TEMPERATURE_UNIT),
    FaceAccessSelectDescription.of(SettingKey.SHOW_NAME),
)


class FaceAccessSelect(FaceAccessSettingEntity, SelectEntity):
    """A setting of the device with options."""

    entity_description: FaceAccessSelectDescription

    @property
    def options(self) -> list[str]:
        """Return the options the device offers."""
        setting = self.setting
        return [] if setting is None else list(setting.options)

    @property
    def current_option(self) -> str | None:
        """Return the option as last read."""
        setting = self.setting
        return setting.value if setting is not None and isinstance(setting.value, str) else None

    async def async_select_option(self, option: str) -> None:
        """Write the option; the device's answer and read-back decide what is shown."""
        await self._async_write(option)


async_setup_entry = setting_platform_setup(FaceAccessSelect, SELECTS)
