"""Registry records of the HFSecurity MQTT family: the face terminal and the network camera.

Both are clients of the broker Home Assistant's MQTT integration uses; the client subscribes
through `HassMqttTransport`. They are added by hand (device ID and topic prefix, checked by
asking the device for its firmware) or from their `Online` announcement on the shared
discovery topic (face-terminal-mqtt v1.24 §10.1, network-camera-mqtt v1.25 §7).
"""

from __future__ import annotations

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir, selector
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    CONF_DEVICE_ID,
    CONF_HEARTBEAT_INTERVAL,
    CONF_PROTOCOL,
    CONF_SYNC_TIME,
    CONF_TOPIC_PREFIX,
    DOMAIN,
    LOGGER,
)
from .coordinator import FaceAccessConfigEntry
from .forms import OPTIONS_SCHEMA, TEXT
from .ingress import Inbound
from .mqtt_transport import HassMqttTransport, async_require_mqtt, mqtt_issue_id
from .protocols import hfsecurity_mqtt
from .protocols.client import DeviceClient
from .protocols.hfsecurity_mqtt import DEFAULT_TOPIC_PREFIX, VARIANTS, MqttVariant
from .protocols.model import DeviceInfo, DeviceTimeoutError, FaceAccessError, ProtocolKey
from .protocols.wire import DecodeError
from .record import FaceAccessFlowBase, FlowStep, ProtocolRecord, UserInput

MQTT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_DEVICE_ID): TEXT,
        vol.Required(CONF_TOPIC_PREFIX, default=DEFAULT_TOPIC_PREFIX): TEXT,
    }
)
RECONFIGURE_SCHEMA = vol.Schema({vol.Required(CONF_TOPIC_PREFIX): TEXT})
PICK_PROTOCOL_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_PROTOCOL): selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=list(VARIANTS),
                translation_key=CONF_PROTOCOL,
                mode=selector.SelectSelectorMode.LIST,
            )
        )
    }
)
TITLES = {
    ProtocolKey.FACE_TERMINAL_MQTT: "Face terminal {device_id}",
    ProtocolKey.CAMERA_MQTT: "Camera {device_id}",
}


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


def _title(protocol: str, device_id: str) -> str:
    """Return the default title of a family member's entry."""
    return TITLES[ProtocolKey(protocol)].format(device_id=device_id)


async def _async_check(
    hass: HomeAssistant, protocol: str, device_id: str, prefix: str
) -> dict[str, str]:
    """Return form errors unless the device answers on its topic."""
    try:
        await async_probe_mqtt_device(hass, protocol, device_id, prefix)
    except DeviceTimeoutError:
        return {"base": "no_answer"}
    except FaceAccessError:
        return {"base": "cannot_connect"}
    except Exception:  # noqa: BLE001 - a flow must show an error, never crash
        LOGGER.exception("Unexpected error while checking device %s", device_id)
        return {"base": "unknown"}
    return {}


def _user_step(variant: MqttVariant) -> FlowStep:
    """Return the step that adds one family member by hand."""
    protocol = variant.protocol.value

    async def async_step(flow: FaceAccessFlowBase, user_input: UserInput) -> ConfigFlowResult:
        """Ask for the device ID and topic, check that the device answers, create the entry."""
        if not await mqtt.async_wait_for_mqtt_client(flow.hass):
            return flow.async_abort(reason="mqtt_not_configured")
        errors: dict[str, str] = {}
        if user_input is not None:
            device_id = user_input[CONF_DEVICE_ID].strip()
            prefix = _clean_prefix(user_input[CONF_TOPIC_PREFIX])
            # A device being discovered meanwhile must not stop the user adding it by hand;
            # Home Assistant closes that discovery flow when this entry is created.
            await flow.async_claim(device_id, raise_on_progress=False)
            errors = await _async_check(flow.hass, protocol, device_id, prefix)
            if not errors:
                return flow.async_create_entry(
                    title=_title(protocol, device_id),
                    data={
                        CONF_PROTOCOL: protocol,
                        CONF_DEVICE_ID: device_id,
                        CONF_TOPIC_PREFIX: prefix,
                    },
                )
        return flow.async_show_form(
            step_id=protocol,
            data_schema=flow.add_suggested_values_to_schema(MQTT_SCHEMA, user_input),
            errors=errors,
            description_placeholders={"prefix": DEFAULT_TOPIC_PREFIX},
        )

    return async_step


async def async_step_mqtt(
    flow: FaceAccessFlowBase, discovery_info: MqttServiceInfo
) -> ConfigFlowResult:
    """Start from a device announcing `Online` on the shared topic (v1.24 §10.1, v1.25 §7).

    Terminals and cameras announce themselves alike; only a factory-default name tells
    them apart, otherwise the user picks in the confirmation step.
    """
    try:
        envelope = hfsecurity_mqtt.decode_envelope(discovery_info.payload)
    except DecodeError:
        return flow.async_abort(reason="invalid_discovery_info")
    device_id = envelope.device_id
    if envelope.operator.lower() != "online" or not device_id:
        return flow.async_abort(reason="invalid_discovery_info")
    await flow.async_claim(device_id)
    info = hfsecurity_mqtt.info_from_online(envelope)
    variant = hfsecurity_mqtt.variant_from_name(info.name)
    discovered = {
        CONF_DEVICE_ID: device_id,
        CONF_TOPIC_PREFIX: discovery_info.topic.rsplit("/", 1)[0],
    }
    if variant is not None:
        discovered[CONF_PROTOCOL] = variant.protocol.value
    name = info.name or device_id
    flow.context["title_placeholders"] = {"name": name}
    flow.state = {
        "discovered": discovered,
        "name": f"{name} ({device_id})" if info.name else device_id,
    }
    return await async_step_discovery_confirm(flow, None)


async def async_step_discovery_confirm(
    flow: FaceAccessFlowBase, user_input: UserInput
) -> ConfigFlowResult:
    """Let the user confirm a discovered device; discovery never adds one by itself.

    When the announcement did not tell whether it is a terminal or a camera, the user
    picks the protocol here.
    """
    discovered: dict[str, str] = flow.state["discovered"]
    known = CONF_PROTOCOL in discovered
    if user_input is not None:
        data = {**discovered, **user_input}
        return flow.async_create_entry(
            title=_title(data[CONF_PROTOCOL], data[CONF_DEVICE_ID]), data=data
        )
    if known:
        flow._set_confirm_only()
    return flow.async_show_form(
        step_id="discovery_confirm" if known else "discovery_pick",
        data_schema=None if known else PICK_PROTOCOL_SCHEMA,
        description_placeholders={
            "name": flow.state["name"],
            "topic": discovered[CONF_TOPIC_PREFIX],
        },
    )


async def async_step_reconfigure(
    flow: FaceAccessFlowBase, entry: FaceAccessConfigEntry, user_input: UserInput
) -> ConfigFlowResult:
    """Change the topic prefix of a device (its ID is its identity and stays)."""
    errors: dict[str, str] = {}
    if user_input is not None:
        prefix = _clean_prefix(user_input[CONF_TOPIC_PREFIX])
        errors = await _async_check(
            flow.hass, entry.data[CONF_PROTOCOL], entry.data[CONF_DEVICE_ID], prefix
        )
        if not errors:
            return flow.async_update_reload_and_abort(
                entry, data_updates={CONF_TOPIC_PREFIX: prefix}
            )
    return flow.async_show_form(
        step_id="reconfigure",
        data_schema=flow.add_suggested_values_to_schema(
            RECONFIGURE_SCHEMA, user_input or entry.data
        ),
        errors=errors,
    )


async def async_step_options(flow: OptionsFlow, user_input: UserInput) -> ConfigFlowResult:
    """Show and store the options: heartbeat period and setting the device's clock."""
    if user_input is not None:
        return flow.async_create_entry(data=user_input)
    variant = VARIANTS[flow.config_entry.data[CONF_PROTOCOL]]
    current = {
        CONF_HEARTBEAT_INTERVAL: variant.heartbeat_interval,
        CONF_SYNC_TIME: True,
        **flow.config_entry.options,
    }
    return flow.async_show_form(
        step_id="init", data_schema=flow.add_suggested_values_to_schema(OPTIONS_SCHEMA, current)
    )


async def async_create_client(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> DeviceClient:
    """Build the client of a family member, once Home Assistant's MQTT client is there."""
    await async_require_mqtt(hass, entry)
    variant = VARIANTS[entry.data[CONF_PROTOCOL]]
    return hfsecurity_mqtt.HFSecurityMqttClient(
        # Confirmed: the first info request goes out at once, and Home Assistant batches
        # subscriptions, so without it the answer could arrive before anyone listens.
        HassMqttTransport(hass, confirm_subscriptions=True),
        entry.data[CONF_DEVICE_ID],
        variant=variant,
        topic_prefix=entry.data.get(CONF_TOPIC_PREFIX, DEFAULT_TOPIC_PREFIX),
        now=dt_util.now,
        sync_time=entry.options.get(CONF_SYNC_TIME, True),
        heartbeat_interval=entry.options.get(CONF_HEARTBEAT_INTERVAL),
    )


async def async_remove(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> None:
    """Remove the entry's "MQTT is needed" repair issue."""
    ir.async_delete_issue(hass, DOMAIN, mqtt_issue_id(entry))


# Both discovery steps serve the whole family: the announcement may not say which it is.
DISCOVERY_STEPS: dict[str, FlowStep] = {
    "mqtt": async_step_mqtt,
    "discovery_confirm": async_step_discovery_confirm,
    "discovery_pick": async_step_discovery_confirm,
}

RECORDS = tuple(
    ProtocolRecord(
        key=variant.protocol,
        title=TITLES[variant.protocol],
        inbound=Inbound.MQTT,
        async_create_client=async_create_client,
        steps={variant.protocol.value: _user_step(variant), **DISCOVERY_STEPS},
        reconfigure=async_step_reconfigure,
        options={"init": async_step_options},
        async_remove=async_remove,
    )
    for variant in VARIANTS.values()
)
