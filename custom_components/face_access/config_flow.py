"""Config flow: a menu by protocol, MQTT discovery, reconfigure and options."""

from __future__ import annotations

import ipaddress
from typing import Any

from homeassistant.components import mqtt, webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import voluptuous as vol

from .const import (
    CONF_DEVICE_ID,
    CONF_HEARTBEAT_INTERVAL,
    CONF_PROTOCOL,
    CONF_SOURCE_IP,
    CONF_SYNC_TIME,
    CONF_TOPIC_PREFIX,
    DOMAIN,
    LOGGER,
)
from .mqtt_transport import HassMqttTransport
from .protocols import hfsecurity_mqtt
from .protocols.hfsecurity_mqtt import DEFAULT_TOPIC_PREFIX, VARIANTS, variant_from_name
from .protocols.model import DeviceInfo, DeviceTimeoutError, FaceAccessError, ProtocolKey
from .protocols.temperature_http import DEFAULT_HEARTBEAT_INTERVAL
from .protocols.wire import DecodeError
from .tablet import tablet_address

# Protocols offered in the `user` menu; the others arrive with their own work.
IMPLEMENTED_PROTOCOLS = [
    ProtocolKey.FACE_TERMINAL_MQTT,
    ProtocolKey.CAMERA_MQTT,
    ProtocolKey.TEMPERATURE_HTTP,
]
# MQTT protocols share one discovery topic; the user picks when the announcement cannot tell.
MQTT_PROTOCOLS = [ProtocolKey.FACE_TERMINAL_MQTT, ProtocolKey.CAMERA_MQTT]
TITLES = {
    ProtocolKey.FACE_TERMINAL_MQTT: "Face terminal {device_id}",
    ProtocolKey.CAMERA_MQTT: "Camera {device_id}",
    ProtocolKey.TEMPERATURE_HTTP: "Temperature tablet {device_id}",
}
# The tablet's `cid` (temperature_http digest §1): an ID such as 0012b516a202.
MAX_CID_LENGTH = 64

_TEXT = selector.TextSelector()
MQTT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_DEVICE_ID): _TEXT,
        vol.Required(CONF_TOPIC_PREFIX, default=DEFAULT_TOPIC_PREFIX): _TEXT,
    }
)
TABLET_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_DEVICE_ID): _TEXT,
        vol.Optional(CONF_NAME): _TEXT,
    }
)
RECONFIGURE_MQTT_SCHEMA = vol.Schema({vol.Required(CONF_TOPIC_PREFIX): _TEXT})
PICK_PROTOCOL_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_PROTOCOL): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=[protocol.value for protocol in MQTT_PROTOCOLS],
                translation_key=CONF_PROTOCOL,
                mode=selector.SelectSelectorMode.LIST,
            )
        )
    }
)


def _seconds(minimum: int, maximum: int) -> selector.NumberSelector:
    """Return a box for a number of seconds between `minimum` and `maximum`."""
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement="s",
            mode=selector.NumberSelectorMode.BOX,
        )
    )


OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HEARTBEAT_INTERVAL): _seconds(10, 600),
        vol.Required(CONF_SYNC_TIME): selector.BooleanSelector(),
    }
)
# The heartbeat period is what a tablet's every command waits for: seconds, not minutes.
TABLET_OPTIONS_SCHEMA = OPTIONS_SCHEMA.extend(
    {
        vol.Required(CONF_HEARTBEAT_INTERVAL): _seconds(2, 60),
        vol.Optional(CONF_SOURCE_IP): _TEXT,
    }
)


async def async_probe_mqtt_device(
    hass: HomeAssistant, protocol: str, device_id: str, topic_prefix: str
) -> DeviceInfo:
    """Ask a device on MQTT who it is; raises the protocol's errors when it does not answer."""
    return await hfsecurity_mqtt.probe(
        HassMqttTransport(hass, confirm_subscriptions=True),
        device_id,
        topic_prefix=topic_prefix,
        variant=VARIANTS[protocol],
    )


def _clean_prefix(prefix: str) -> str:
    """Return a topic prefix without surrounding slashes or spaces."""
    return prefix.strip().strip("/")


class FaceAccessConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add one device."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing discovered."""
        self._discovered: dict[str, Any] = {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick the device's protocol."""
        return self.async_show_menu(
            step_id="user", menu_options=[protocol.value for protocol in IMPLEMENTED_PROTOCOLS]
        )

    async def async_step_face_terminal_mqtt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a face terminal that talks MQTT (face-terminal-mqtt v1.24)."""
        return await self._async_step_mqtt_device(ProtocolKey.FACE_TERMINAL_MQTT, user_input)

    async def async_step_camera_mqtt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a network camera that talks MQTT (network-camera-mqtt v1.25)."""
        return await self._async_step_mqtt_device(ProtocolKey.CAMERA_MQTT, user_input)

    async def async_step_temperature_http(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a temperature tablet (HTTP V1.16): it calls Home Assistant, never the reverse.

        Nothing can be checked now: the entry gets a webhook, and the dialog that closes the
        flow shows the server, path and port to type into the tablet's web page.
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            cid = user_input[CONF_DEVICE_ID].strip()
            if not cid or len(cid) > MAX_CID_LENGTH or not cid.isprintable():
                errors[CONF_DEVICE_ID] = "invalid_cid"
            else:
                await self.async_set_unique_id(cid)
                self._abort_if_unique_id_configured()
                webhook_id = webhook.async_generate_id()
                name = (user_input.get(CONF_NAME) or "").strip()
                return self.async_create_entry(
                    title=name or TITLES[ProtocolKey.TEMPERATURE_HTTP].format(device_id=cid),
                    data={
                        CONF_PROTOCOL: ProtocolKey.TEMPERATURE_HTTP.value,
                        CONF_DEVICE_ID: cid,
                        CONF_WEBHOOK_ID: webhook_id,
                    },
                    description=ProtocolKey.TEMPERATURE_HTTP.value,
                    description_placeholders=tablet_address(self.hass, webhook_id),
                )
        return self.async_show_form(
            step_id=ProtocolKey.TEMPERATURE_HTTP.value,
            data_schema=self.add_suggested_values_to_schema(TABLET_SCHEMA, user_input),
            errors=errors,
        )

    async def _async_step_mqtt_device(
        self, protocol: ProtocolKey, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the device ID and topic, check that the device answers, create the entry."""
        if not await mqtt.async_wait_for_mqtt_client(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        errors: dict[str, str] = {}
        if user_input is not None:
            device_id = user_input[CONF_DEVICE_ID].strip()
            prefix = _clean_prefix(user_input[CONF_TOPIC_PREFIX])
            # A device being discovered meanwhile must not stop the user adding it by hand;
            # Home Assistant closes that discovery flow when this entry is created.
            await self.async_set_unique_id(device_id, raise_on_progress=False)
            self._abort_if_unique_id_configured()
            errors = await self._async_check_mqtt(protocol, device_id, prefix)
            if not errors:
                return self.async_create_entry(
                    title=TITLES[protocol].format(device_id=device_id),
                    data={
                        CONF_PROTOCOL: protocol.value,
                        CONF_DEVICE_ID: device_id,
                        CONF_TOPIC_PREFIX: prefix,
                    },
                )
        return self.async_show_form(
            step_id=protocol.value,
            data_schema=self.add_suggested_values_to_schema(MQTT_SCHEMA, user_input),
            errors=errors,
            description_placeholders={"prefix": DEFAULT_TOPIC_PREFIX},
        )

    async def _async_check_mqtt(self, protocol: str, device_id: str, prefix: str) -> dict[str, str]:
        """Return form errors unless the device answers on its topic."""
        try:
            await async_probe_mqtt_device(self.hass, protocol, device_id, prefix)
        except DeviceTimeoutError:
            return {"base": "no_answer"}
        except FaceAccessError:
            return {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001 - a flow must show an error, never crash
            LOGGER.exception("Unexpected error while checking device %s", device_id)
            return {"base": "unknown"}
        return {}

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """Start from a device announcing `Online` on the shared topic (v1.24 §10.1, v1.25 §7).

        Terminals and cameras announce themselves alike; only a factory-default name tells
        them apart, otherwise the user picks in the confirmation step.
        """
        try:
            envelope = hfsecurity_mqtt.decode_envelope(discovery_info.payload)
        except DecodeError:
            return self.async_abort(reason="invalid_discovery_info")
        device_id = envelope.device_id
        if envelope.operator.lower() != "online" or not device_id:
            return self.async_abort(reason="invalid_discovery_info")
        prefix = discovery_info.topic.rsplit("/", 1)[0]
        await self.async_set_unique_id(device_id)
        self._abort_if_unique_id_configured()
        info = hfsecurity_mqtt.info_from_online(envelope)
        variant = variant_from_name(info.name)
        self._discovered = {
            CONF_DEVICE_ID: device_id,
            CONF_TOPIC_PREFIX: prefix,
        }
        if variant is not None:
            self._discovered[CONF_PROTOCOL] = variant.protocol.value
        name = info.name or device_id
        self.context["title_placeholders"] = {"name": name}
        self._discovered_name = f"{name} ({device_id})" if info.name else device_id
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user confirm a discovered device; discovery never adds one by itself.

        When the announcement did not tell whether it is a terminal or a camera, the user
        picks the protocol here.
        """
        known = CONF_PROTOCOL in self._discovered
        if user_input is not None:
            data = {**self._discovered, **user_input}
            return self.async_create_entry(
                title=TITLES[ProtocolKey(data[CONF_PROTOCOL])].format(
                    device_id=data[CONF_DEVICE_ID]
                ),
                data=data,
            )
        if known:
            self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm" if known else "discovery_pick",
            data_schema=None if known else PICK_PROTOCOL_SCHEMA,
            description_placeholders={
                "name": self._discovered_name,
                "topic": self._discovered[CONF_TOPIC_PREFIX],
            },
        )

    async def async_step_discovery_pick(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take the protocol the user picked for a discovered device."""
        return await self.async_step_discovery_confirm(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the topic prefix of a device (its ID is its identity and stays).

        A tablet has nothing to change; its dialog shows the address it must post to.
        """
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_PROTOCOL] == ProtocolKey.TEMPERATURE_HTTP:
            return self.async_abort(
                reason="tablet_address",
                description_placeholders=tablet_address(self.hass, entry.data[CONF_WEBHOOK_ID]),
            )
        errors: dict[str, str] = {}
        if user_input is not None:
            prefix = _clean_prefix(user_input[CONF_TOPIC_PREFIX])
            errors = await self._async_check_mqtt(
                entry.data[CONF_PROTOCOL], entry.data[CONF_DEVICE_ID], prefix
            )
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_TOPIC_PREFIX: prefix}
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_MQTT_SCHEMA, user_input or entry.data
            ),
            errors=errors,
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> FaceAccessOptionsFlow:
        """Return the options flow."""
        return FaceAccessOptionsFlow()


class FaceAccessOptionsFlow(OptionsFlowWithReload):
    """Options of a device; the entry reloads itself when they change."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        if self.config_entry.data[CONF_PROTOCOL] == ProtocolKey.TEMPERATURE_HTTP:
            return await self.async_step_tablet(user_input)
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        variant = VARIANTS[self.config_entry.data[CONF_PROTOCOL]]
        current = {
            CONF_HEARTBEAT_INTERVAL: variant.heartbeat_interval,
            CONF_SYNC_TIME: True,
            **self.config_entry.options,
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, current),
        )

    async def async_step_tablet(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Options of a tablet: heartbeat period, clock, and the address it must post from."""
        errors: dict[str, str] = {}
        if user_input is not None:
            source = (user_input.get(CONF_SOURCE_IP) or "").strip()
            try:
                if source:
                    source = str(ipaddress.ip_address(source))
            except ValueError:
                errors[CONF_SOURCE_IP] = "invalid_ip"
            else:
                return self.async_create_entry(data={**user_input, CONF_SOURCE_IP: source})
        current = {
            CONF_HEARTBEAT_INTERVAL: DEFAULT_HEARTBEAT_INTERVAL,
            CONF_SYNC_TIME: True,
            **self.config_entry.options,
            **(user_input or {}),
        }
        return self.async_show_form(
            step_id="tablet",
            data_schema=self.add_suggested_values_to_schema(TABLET_OPTIONS_SCHEMA, current),
            errors=errors,
            description_placeholders=tablet_address(
                self.hass, self.config_entry.data[CONF_WEBHOOK_ID]
            ),
        )
