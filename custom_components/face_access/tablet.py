"""Home Assistant glue of the temperature tablet: its webhook, saved queue and repair issue.

The tablet only ever calls Home Assistant (temperature_http digest §2): it POSTs to
`/api/webhook/<webhook_id>`, and every command rides in the reply. This module reads the
request and hands the raw body to the protocol client; it never parses the body itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER
from .coordinator import FaceAccessCoordinator
from .data import FaceAccessConfigEntry
from .protocols.temperature_http import STORE_VERSION, TemperatureHttpClient

MAX_BODY_BYTES = 4 * 1024 * 1024
"""A record carries one face picture; a person list of thousands stays far below this."""
NO_HEARTBEAT_ISSUE_AFTER = timedelta(minutes=10)
"""How long after set-up a tablet that never sent a heartbeat gets a repair issue."""
_READ_CHUNK = 64 * 1024


class HassQueueStore:
    """Keeps a tablet's command queue in Home Assistant's storage (`.storage/`)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Use one storage file per config entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.queue", private=True
        )

    async def load(self) -> dict[str, Any] | None:
        """Return the saved queue, or None."""
        return await self._store.async_load()

    async def save(self, data: dict[str, Any]) -> None:
        """Write the queue now: a restart must not lose a command (issue 4)."""
        await self._store.async_save(data)

    async def remove(self) -> None:
        """Delete the file (the entry was removed)."""
        await self._store.async_remove()


def tablet_address(hass: HomeAssistant, webhook_id: str) -> dict[str, str]:
    """Return what to type into the tablet's web page: server, path, port and the whole URL.

    The tablet speaks plain HTTP (digest §2), so the address is Home Assistant's internal
    one; without a known address the placeholders say what to fill in.
    """
    path = webhook.async_generate_path(webhook_id)
    try:
        base = get_url(hass, allow_cloud=False, allow_external=False, prefer_external=False)
    except NoURLAvailableError:
        base = ""
    parts = urlsplit(base)
    server = parts.hostname or "<Home Assistant's address>"
    port = str(parts.port or (443 if parts.scheme == "https" else 80)) if base else "8123"
    return {
        "server": server,
        "path": path,
        "port": port,
        "url": f"http://{server}:{port}{path}",
    }


def issue_id(entry: FaceAccessConfigEntry) -> str:
    """Return the ID of the entry's "no heartbeat" repair issue."""
    return f"no_heartbeat_{entry.entry_id}"


@callback
def async_register_webhook(
    hass: HomeAssistant, entry: FaceAccessConfigEntry, client: TemperatureHttpClient
) -> CALLBACK_TYPE:
    """Route the entry's webhook to its client; returns the unregistration."""
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]

    async def _handle(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
        """Read the body within the size limit, let the client answer, send its reply.

        `Expect: 100-continue` (record uploads, §4 L559-L571) is answered by aiohttp
        before the body is read.
        """
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _too_large(entry)
        body = bytearray()
        # `content.read(n)` returns what has arrived so far; read on to the end.
        async for chunk in request.content.iter_chunked(_READ_CHUNK):
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return _too_large(entry)
        reply = await client.handle_request(bytes(body), request.remote)
        if reply.status != HTTPStatus.OK:
            return web.Response(status=reply.status, text=reply.reason)
        if not reply.body:
            return web.Response(status=HTTPStatus.OK)
        return web.Response(status=HTTPStatus.OK, body=reply.body, content_type="application/json")

    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        _handle,
        local_only=True,
        allowed_methods=["POST"],
    )
    return lambda: webhook.async_unregister(hass, webhook_id)


def _too_large(entry: FaceAccessConfigEntry) -> web.Response:
    """Refuse an oversize body with one log line."""
    LOGGER.warning("Refused a POST for %s: larger than %s bytes", entry.title, MAX_BODY_BYTES)
    return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE, text="body too large")


@callback
def async_watch_first_heartbeat(
    hass: HomeAssistant,
    entry: FaceAccessConfigEntry,
    client: TemperatureHttpClient,
    coordinator: FaceAccessCoordinator,
) -> None:
    """Raise a repair issue when a tablet never sent a heartbeat long after set-up.

    The issue shows the address to type into the tablet; it goes away with the first
    heartbeat. A tablet that was connected once gets none (it is merely offline then).
    """
    if client.connected_once:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry))
        return

    @callback
    def _raise_issue(_now: Any) -> None:
        if client.connected_once:
            return
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id(entry),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="no_heartbeat",
            translation_placeholders={
                "name": entry.title,
                **tablet_address(hass, entry.data[CONF_WEBHOOK_ID]),
            },
        )

    cancel_timer: Callable[[], None] = async_call_later(
        hass, NO_HEARTBEAT_ISSUE_AFTER, _raise_issue
    )
    entry.async_on_unload(cancel_timer)

    remove_listener: Callable[[], None] | None = None

    @callback
    def _on_update() -> None:
        nonlocal remove_listener
        if coordinator.data.online and remove_listener is not None:
            cancel_timer()
            remove_listener()
            remove_listener = None
            ir.async_delete_issue(hass, DOMAIN, issue_id(entry))

    remove_listener = coordinator.async_add_listener(_on_update)

    @callback
    def _stop_watching() -> None:
        if remove_listener is not None:
            remove_listener()

    entry.async_on_unload(_stop_watching)
