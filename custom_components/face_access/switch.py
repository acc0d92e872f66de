"""Switch platform: the device's on/off settings (voice prompts...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription

from .protocols.model import SettingKey, SettingKind
from .setting_entity import (
    FaceAccessSettingDescription,
    FaceAccessSettingEntity,
    setting_platform_setup,
)

# Devices take one command at a time; a second write waits for the first.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class FaceAccessSwitchDescription(FaceAccessSettingDescription, SwitchEntityDescription):
    """An on/off setting."""

    kind: SettingKind = SettingKind.SWITCH


SWITCHES: tuple[FaceAccessSwitchDescription, ...] = tuple(
    FaceAccessSwitchDescription.of(key)
    for key in (
        SettingKey.TEMPERATURE_MEASUREMENT,
        SettingKey.SUCCESS_VOICE,
        SettingKey.FAIL_VOICE,
    )
)


class FaceAccessSwitch(FaceAccessSettingEntity, SwitchEntity):
    """An on/off setting of the device."""

    entity_description: FaceAccessSwitchDescription

    @property
    def is_on(self) -> bool | None:
        """Return the setting as last read."""
        setting = self.setting
        return setting.value if setting is not None and isinstance(setting.value, bool) else None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn the setting on; the device's read-back decides what is shown."""
        await self._async_write(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn the setting off; the device's read-back decides what is shown."""
        await self._async_write(False)


async_setup_entry = setting_platform_setup(FaceAccessSwitch, SWITCHES)
