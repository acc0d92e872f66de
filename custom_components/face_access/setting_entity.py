"""What the setting platforms (number, select, switch) share: description, entity, set-up.

A setting entity exists when the device has the setting: the protocol declares what its
document has (`Capability.SETTINGS`), and the device tells which of them it has when its
settings are read (at set-up and after every reconnect). An entity is added the first time
its setting is read, so a device that was off at set-up gets its settings entities when it
comes online. Writes go through the coordinator, which shows what the device read back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import FaceAccessConfigEntry, FaceAccessCoordinator
from .entity import FaceAccessEntity, FaceAccessEntityDescription, PlatformSetup
from .errors import translated_errors
from .protocols.model import Capability, Setting, SettingKey, SettingKind, SettingValue


@dataclass(frozen=True, kw_only=True)
class FaceAccessSettingDescription(FaceAccessEntityDescription):
    """An entity of one device setting; `key` is the setting key's value.

    Setting entities are configuration (`EntityCategory.CONFIG`) and need a device with
    settings (`Capability.SETTINGS`).
    """

    setting: SettingKey
    kind: SettingKind
    entity_category: EntityCategory | None = EntityCategory.CONFIG
    requires: frozenset[Capability] = frozenset({Capability.SETTINGS})

    @classmethod
    def of(cls, setting: SettingKey, **details: Any) -> Self:
        """Return the description of `setting`: keyed and translated by the key's value.

        `details` are the platform's description fields (`device_class`, `mode`...).
        """
        return cls(key=setting.value, translation_key=setting.value, setting=setting, **details)


class FaceAccessSettingEntity(FaceAccessEntity):
    """An entity showing one setting as last read from the device, and writing it."""

    entity_description: FaceAccessSettingDescription

    @property
    def setting(self) -> Setting | None:
        """Return the setting as last read, None before it was read."""
        return self.coordinator.data.settings.get(self.entity_description.setting)

    @property
    def available(self) -> bool:
        """Return whether the device is reachable and its setting known."""
        return super().available and self.setting is not None

    async def _async_write(self, value: SettingValue) -> None:
        """Write the setting; a refusal or silence raises the translated device error."""
        with translated_errors(self.coordinator.config_entry.title):
            await self.coordinator.async_write_setting(self.entity_description.setting, value)


def setting_platform_setup[D: FaceAccessSettingDescription](
    entity_class: Callable[[FaceAccessCoordinator, D], FaceAccessSettingEntity],
    descriptions: Iterable[D],
) -> PlatformSetup:
    """Return a setting platform's `async_setup_entry`.

    It adds one `entity_class` entity per description whose setting the device reported
    (of the description's kind), now and whenever a later read reports a new one.
    """
    by_key = {description.setting: description for description in descriptions}

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: FaceAccessConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        """Add the entities of the settings the device has, as they become known."""
        coordinator = entry.runtime_data.coordinator
        if Capability.SETTINGS not in coordinator.client.profile.capabilities:
            return
        added: set[SettingKey] = set()

        @callback
        def _add_new() -> None:
            new = [
                description
                for key, setting in coordinator.data.settings.items()
                if key not in added
                and (description := by_key.get(key)) is not None
                and description.kind is setting.kind
            ]
            if new:
                added.update(description.setting for description in new)
                async_add_entities(entity_class(coordinator, d) for d in new)

        _add_new()
        entry.async_on_unload(coordinator.async_add_listener(_add_new))

    return async_setup_entry
