"""The "uploads off" repair: a device that does not send everything Home Assistant needs.

At set-up and after every reconnect the coordinator reads the device's upload configuration
through the protocol's `UploadCheckClient` (`Capability.UPLOAD_CHECK`; `GetMQTTconfig` on the
MQTT terminals, the push settings of the tablet and the face-capture terminal). Each setting
that is off is named in a fixable repair issue; its fix flow turns them on through the
coordinator (`fix_uploads`: `UpMQTTconfig` and a read-back) and succeeds only when the device
reads back everything as needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from homeassistant import data_entry_flow
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
import voluptuous as vol

from .const import DOMAIN
from .protocols.model import DeviceTimeoutError, FaceAccessError, UploadProblem

if TYPE_CHECKING:
    from .coordinator import FaceAccessConfigEntry

UPLOADS_ISSUE = "uploads_off"
"""The translation key of the issue; its id is `uploads_off_<entry_id>`."""
_UNKNOWN = "—"
"""Stands in for a value the device did not report."""


def uploads_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "uploads off" issue."""
    return f"{UPLOADS_ISSUE}_{entry_id}"


def describe(problems: Sequence[UploadProblem]) -> str:
    """Return the settings as the issue names them: "`setting` (current → needed), ..."."""
    return ", ".join(
        f"`{problem.setting}` ({_UNKNOWN if problem.current is None else problem.current}"
        f" → {problem.needed})"
        for problem in problems
    )


@callback
def async_show_upload_problems(
    hass: HomeAssistant, entry: FaceAccessConfigEntry, problems: Sequence[UploadProblem]
) -> None:
    """Raise the entry's fixable "uploads off" issue naming `problems`; none deletes it."""
    issue_id = uploads_issue_id(entry.entry_id)
    if not problems:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=UPLOADS_ISSUE,
        translation_placeholders={"name": entry.title, "settings": describe(problems)},
        data={"entry_id": entry.entry_id},
    )


@callback
def async_remove_upload_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Delete a removed entry's "uploads off" issue."""
    ir.async_delete_issue(hass, DOMAIN, uploads_issue_id(entry_id))


class UploadsFixFlow(RepairsFlow):
    """Turn on what the device does not send, after the user confirms what will change."""

    def __init__(self, entry_id: str) -> None:
        """Fix the uploads of the device of entry `entry_id`."""
        self._entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Show what will change."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Ask the device to change its upload settings; stay on the form when it does not.

        A refusal or silence of the device, or a setting it reads back still wrong, shows a
        translated error and keeps the issue (with what is still wrong).
        """
        entry: FaceAccessConfigEntry | None = self.hass.config_entries.async_get_entry(
            self._entry_id
        )
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="device_not_loaded")
        errors: dict[str, str] = {}
        reason = ""
        if user_input is not None:
            try:
                remaining = await entry.runtime_data.coordinator.async_fix_uploads()
            except DeviceTimeoutError as err:
                errors["base"] = "fix_timeout"
                reason = str(err)
            except FaceAccessError as err:
                errors["base"] = "fix_refused"
                reason = str(err)
            else:
                if not remaining:
                    return self.async_create_entry(data={})
                errors["base"] = "fix_incomplete"
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        settings = (issue.translation_placeholders or {}).get("settings", "") if issue else ""
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders={
                "name": entry.title,
                "settings": settings,
                "reason": reason,
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Return the fix flow of one of this integration's fixable issues."""
    if issue_id.startswith(f"{UPLOADS_ISSUE}_") and data and isinstance(data.get("entry_id"), str):
        return UploadsFixFlow(str(data["entry_id"]))
    return ConfirmRepairFlow()
