"""Helpers of the end-to-end tests of devices Home Assistant calls over HTTP (Huaan, Uniview)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant, State
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access.const import DOMAIN


async def until(predicate: Callable[[], bool], seconds: float = 15.0) -> None:
    """Let Home Assistant run until `predicate` holds (the device acts on its own)."""
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


async def serve(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> str:
    """Start Home Assistant's HTTP server on 127.0.0.1 and make it the internal URL.

    Whatever registers HTTP views is set up first, because the HTTP application takes no
    more once it runs: the integration (webhooks, fixed LAPI paths), the picture platforms'
    components and diagnostics.
    """
    for domain in (DOMAIN, "camera", "image", "diagnostics"):
        assert await async_setup_component(hass, domain, {})
    client = await hass_client_no_auth()
    base = str(client.make_url("")).rstrip("/")
    await async_process_ha_core_config(hass, {"internal_url": base})
    return base


async def add_by_address(
    hass: HomeAssistant, step: str, port: int, username: str, password: str
) -> Any:
    """Run the `step` config flow with host 127.0.0.1 and `port` to its first answer."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"host": "127.0.0.1", "port": port, "username": username, "password": password},
    )


def entity_id(hass: HomeAssistant, serial: str, platform: str, key: str) -> str | None:
    """Return the entity id of the device's entity with contract key `key`, if it exists."""
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{serial}_{key}")


def state(hass: HomeAssistant, serial: str, platform: str, key: str) -> State:
    """Return the state of the device's entity with contract key `key`."""
    found = entity_id(hass, serial, platform, key)
    assert found is not None, key
    current = hass.states.get(found)
    assert current is not None
    return current
