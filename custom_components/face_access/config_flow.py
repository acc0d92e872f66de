"""Config flow: a menu by protocol, discovery, reconfigure, reauth and options.

Every protocol-specific step comes from the protocol registry: the `user` menu lists its
keys, and a step id that is not defined here runs the registered step of that id. The menu's
last option, `people`, adds the People entry (the roster, one per installation), whose
subentries are people (`person_flow`); it has no options and nothing to reconfigure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import voluptuous as vol

from .const import CONF_PROTOCOL, CONF_ROSTER_OWNS_LIST, CONF_SHOW_NAMES, DOMAIN
from .people_entry import is_people_entry
from .person_flow import PersonSubentryFlow
from .protocols.model import Capability
from .registry import FLOW_STEPS, PROTOCOLS, FaceAccessFlowBase, OptionsStep
from .roster import CONF_KIND, KIND_PEOPLE, PEOPLE_UNIQUE_ID, SUBENTRY_PERSON, people_entry

_STEP = "async_step_"
PRIVACY = "privacy"
"""The options section every protocol's form gets: whether names reach the history."""
ROSTER = "roster"
"""The options section of every protocol's form: whether the roster owns the people list."""

type BoundStep = Callable[[Any], Awaitable[ConfigFlowResult]]


class FaceAccessConfigFlow(FaceAccessFlowBase, domain=DOMAIN):
    """Add one device, or the People entry."""

    VERSION = 1
    MINOR_VERSION = 1

    def __getattr__(self, name: str) -> BoundStep:
        """Return a registered protocol step (`async_step_<step id>`) bound to this flow."""
        step = FLOW_STEPS.get(name.removeprefix(_STEP)) if name.startswith(_STEP) else None
        if step is None:
            raise AttributeError(name)
        return lambda user_input: step(self, user_input)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick the device's protocol, or the People entry."""
        return self.async_show_menu(step_id="user", menu_options=[*PROTOCOLS, KIND_PEOPLE])

    async def async_step_people(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add the People entry (the roster), unless there is one."""
        await self.async_set_unique_id(PEOPLE_UNIQUE_ID)
        if people_entry(self.hass) is not None:
            return self.async_abort(reason="single_instance_allowed")
        return self.async_create_entry(title="People", data={CONF_KIND: KIND_PEOPLE})

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """Start from an announcement on an MQTT topic of the manifest.

        Defined here because ConfigFlow's own `mqtt` step would open the menu instead.
        """
        return await FLOW_STEPS["mqtt"](self, discovery_info)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how Home Assistant reaches the device, as its protocol allows."""
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        if is_people_entry(entry):
            return self.async_abort(reason="people_reconfigure")
        return await PROTOCOLS[entry.data[CONF_PROTOCOL]].reconfigure(self, entry, user_input)

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take new credentials (the re-authentication form of devices Home Assistant calls)."""
        return await self.async_step_reconfigure(user_input)

    async def async_step_reconfigure_address(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take a new address (the reconfigure form of devices Home Assistant calls)."""
        return await self.async_step_reconfigure(user_input)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start again when the device refused the saved credentials.

        Only a protocol whose client can raise AuthenticationError gets here; its record's
        reconfigure step asks for what changed (address or credentials) and reloads.
        """
        return await self.async_step_reconfigure()

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> FaceAccessOptionsFlow:
        """Return the options flow."""
        return FaceAccessOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Offer options for devices only: the People entry has none."""
        return not is_people_entry(config_entry)

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Offer "Add person" on the People entry (its subentries are the roster)."""
        if is_people_entry(config_entry):
            return {SUBENTRY_PERSON: PersonSubentryFlow}
        return {}


class FaceAccessOptionsFlow(OptionsFlowWithReload):
    """Options of a device, as its protocol defines them; the entry reloads on a change.

    Every protocol's form also gets a collapsed *Privacy* section (`show_names`); the
    protocol's steps never see it, and the options they save keep it.
    """

    _privacy: dict[str, Any] | None = None
    _roster: dict[str, Any] | None = None

    @property
    def _steps(self) -> Mapping[str, OptionsStep]:
        """Return the options steps of the entry's protocol."""
        return PROTOCOLS[self.config_entry.data[CONF_PROTOCOL]].options

    def __getattr__(self, name: str) -> BoundStep:
        """Return one of the protocol's options steps (`async_step_<step id>`)."""
        step = self._steps.get(name.removeprefix(_STEP)) if name.startswith(_STEP) else None
        if step is None:
            raise AttributeError(name)
        return lambda user_input: self._run(step, user_input)

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the protocol's first options step."""
        return await self._run(self._steps["init"], user_input)

    async def _run(self, step: OptionsStep, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        """Run a protocol step with the privacy section taken out of its input."""
        if user_input is not None and PRIVACY in user_input:
            user_input = dict(user_input)
            self._privacy = dict(user_input.pop(PRIVACY))
        if user_input is not None and ROSTER in user_input:
            user_input = dict(user_input)
            self._roster = dict(user_input.pop(ROSTER))
        return await step(self, user_input)

    @callback
    def async_show_form(self, **kwargs: Any) -> ConfigFlowResult:
        """Show a protocol's form with the privacy (and roster) sections added."""
        schema: vol.Schema | None = kwargs.get("data_schema")
        if schema is not None:
            shown = self.config_entry.options.get(CONF_SHOW_NAMES, True)
            sections: dict[Any, Any] = {
                # Optional: a client that leaves the section out keeps the choice.
                vol.Optional(PRIVACY): section(
                    vol.Schema(
                        {vol.Required(CONF_SHOW_NAMES, default=shown): selector.BooleanSelector()}
                    ),
                    {"collapsed": True},
                )
            }
            if self._can_enroll:
                # The roster sync (sync.py) deletes people it does not know only with it.
                owns = self.config_entry.options.get(CONF_ROSTER_OWNS_LIST, False)
                sections[vol.Optional(ROSTER)] = section(
                    vol.Schema(
                        {
                            vol.Required(
                                CONF_ROSTER_OWNS_LIST, default=owns
                            ): selector.BooleanSelector()
                        }
                    ),
                    {"collapsed": True},
                )
            kwargs["data_schema"] = schema.extend(sections)
        return super().async_show_form(**kwargs)

    @property
    def _can_enroll(self) -> bool:
        """Tell whether the (loaded) device can enroll people, so the roster can own its list."""
        client = getattr(getattr(self.config_entry, "runtime_data", None), "client", None)
        return client is not None and Capability.ENROLL in client.profile.capabilities

    @callback
    def async_create_entry(self, **kwargs: Any) -> ConfigFlowResult:
        """Save a protocol's options with the privacy choice (the kept one if not shown)."""
        shown = self.config_entry.options.get(CONF_SHOW_NAMES, True)
        if self._privacy is not None:
            shown = bool(self._privacy.get(CONF_SHOW_NAMES, shown))
        kwargs["data"] = {**kwargs.get("data", {}), CONF_SHOW_NAMES: shown}
        if self._roster is not None or CONF_ROSTER_OWNS_LIST in self.config_entry.options:
            owns = self.config_entry.options.get(CONF_ROSTER_OWNS_LIST, False)
            if self._roster is not None:
                owns = bool(self._roster.get(CONF_ROSTER_OWNS_LIST, owns))
            kwargs["data"][CONF_ROSTER_OWNS_LIST] = owns
        return super().async_create_entry(**kwargs)
