"""HTTP entry points of devices that call Home Assistant: webhooks and fixed-path views.

Any protocol whose client implements `InboundHttp` receives its device's requests here, read
within a body limit and handed over whole; the client's reply goes back unchanged. This
module never parses a body. A device that posts to an address it is given gets a webhook
(`/api/webhook/<webhook_id>`, local only); a device whose firmware posts to fixed paths gets
one `HomeAssistantView` per path, registered once, that finds the entry by the serial number
the request carries and accepts it only from the entry's host (as core DoorBird's view does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import partial
from http import HTTPStatus
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.const import CONF_HOST, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import CONF_PROTOCOL, DOMAIN, LOGGER
from .coordinator import FaceAccessConfigEntry, FaceAccessCoordinator
from .protocols.client import DeviceClient, InboundHttp
from .protocols.http import MAX_BODY_BYTES, HttpReply, HttpRequest

NO_CONTACT_ISSUE_AFTER = timedelta(minutes=10)
"""How long after set-up a device that never called gets a repair issue."""
_READ_CHUNK = 64 * 1024
_HELD_WEBHOOKS: HassKey[dict[str, str]] = HassKey(f"{DOMAIN}_held_webhooks")
"""Webhooks of unloaded entries answering 503, by webhook ID: the ID of their entry."""


class Inbound(StrEnum):
    """How a device's traffic reaches its client."""

    MQTT = "mqtt"
    """Through the broker: the client subscribes with the transport it is given."""
    WEBHOOK = "webhook"
    """The device posts to `/api/webhook/<id>`, for each id the entry's data holds under a
    key of `ProtocolRecord.webhooks` (`webhook_id` by default)."""
    FIXED_PATH = "fixed_path"
    """The device posts to paths its firmware fixes (`ProtocolRecord.fixed_path`)."""


@dataclass(frozen=True, kw_only=True)
class FixedPath:
    """The fixed paths a protocol's devices post to, and how to tell which device posted.

    `serial_of` reads the device's serial number (the entry's unique id) from a request,
    None when it carries none; it is the protocol's codec, and never raises.
    """

    paths: tuple[str, ...]
    serial_of: Callable[[HttpRequest], str | None]


class EntryStore:
    """Keeps a client's saved state (a command queue) in `.storage/`, one file per entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str, version: int, name: str) -> None:
        """Use the file `face_access.<entry_id>.<name>`; `version` is the data's format."""
        self._store: Store[dict[str, Any]] = Store(
            hass, version, f"{DOMAIN}.{entry_id}.{name}", private=True
        )

    async def load(self) -> dict[str, Any] | None:
        """Return the saved data, or None."""
        return await self._store.async_load()

    async def save(self, data: dict[str, Any]) -> None:
        """Write now: a restart must not lose a command."""
        await self._store.async_save(data)

    async def remove(self) -> None:
        """Delete the file (the entry was removed)."""
        await self._store.async_remove()


def queue_store(hass: HomeAssistant, entry: FaceAccessConfigEntry, version: int) -> EntryStore:
    """Return where a device's command queue is saved (`face_access.<entry_id>.queue`)."""
    return EntryStore(hass, entry.entry_id, version, "queue")


async def async_forget(hass: HomeAssistant, entry: FaceAccessConfigEntry, version: int) -> None:
    """Remove what a removed webhook device leaves: repair issue, queue, held webhooks.

    The held webhooks are the ones its last unload left answering "unavailable".
    """
    ir.async_delete_issue(hass, DOMAIN, no_contact_issue_id(entry))
    held = hass.data.get(_HELD_WEBHOOKS, {})
    for webhook_id in [hook for hook, entry_id in held.items() if entry_id == entry.entry_id]:
        del held[webhook_id]
        webhook.async_unregister(hass, webhook_id)
    await queue_store(hass, entry, version).remove()


def home_assistant_address(hass: HomeAssistant) -> tuple[str, int] | None:
    """Return the host and port of Home Assistant's internal URL, where LAN devices post.

    None when Home Assistant knows no address of its own.
    """
    try:
        parts = urlsplit(
            get_url(hass, allow_cloud=False, allow_external=False, prefer_external=False)
        )
    except NoURLAvailableError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def webhook_address(hass: HomeAssistant, webhook_id: str) -> dict[str, str]:
    """Return what to type into a device's web page: server, path, port and the whole URL.

    Devices speak plain HTTP on the LAN, so the address is Home Assistant's internal one;
    without a known address the placeholders say what to fill in.
    """
    path = webhook.async_generate_path(webhook_id)
    server, port = home_assistant_address(hass) or ("<Home Assistant's address>", 8123)
    return {
        "server": server,
        "path": path,
        "port": str(port),
        "url": f"http://{server}:{port}{path}",
    }


def no_contact_issue_id(entry: FaceAccessConfigEntry) -> str:
    """Return the ID of the entry's "never called" repair issue."""
    return f"no_heartbeat_{entry.entry_id}"


async def _read(request: web.Request, title: str, limit: int) -> HttpRequest | web.Response:
    """Read a request whole within `limit` bytes, or answer 413 with one log line.

    `Expect: 100-continue` is answered by aiohttp before the body is read.
    """
    if request.content_length is None or request.content_length <= limit:
        body = bytearray()
        # `content.read(n)` returns what has arrived so far; read on to the end.
        async for chunk in request.content.iter_chunked(_READ_CHUNK):
            body += chunk
            if len(body) > limit:
                break
        else:
            return HttpRequest(
                body=bytes(body),
                remote=request.remote,
                method=request.method,
                path=request.path,
                # Devices send none or a wrong one: passed on, never enforced here.
                content_type=request.content_type.lower(),
                headers=dict(request.headers),
            )
    LOGGER.warning("Refused a POST for %s: larger than %s bytes", title, limit)
    return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE, text="body too large")


def _response(reply: HttpReply) -> web.Response:
    """Turn a client's reply into aiohttp's."""
    if not reply.ok:
        return web.Response(status=reply.status, text=reply.reason)
    if not reply.body:
        return web.Response(status=reply.status)
    return web.Response(status=reply.status, body=reply.body, content_type=reply.content_type)


async def async_handle(
    request: web.Request, client: InboundHttp, title: str, limit: int = MAX_BODY_BYTES
) -> web.Response:
    """Read one request of a device, let its client answer, and send the answer."""
    read = await _read(request, title, limit)
    if isinstance(read, web.Response):
        return read
    return _response(await client.handle_request(read))


@callback
def async_connect(
    hass: HomeAssistant,
    entry: FaceAccessConfigEntry,
    inbound: Inbound,
    client: DeviceClient,
    coordinator: FaceAccessCoordinator,
    *,
    webhooks: tuple[str, ...] = (CONF_WEBHOOK_ID,),
) -> None:
    """Route the device's requests to its started client until the entry unloads.

    A webhook device gets a webhook for each key of `webhooks` its entry's data holds (the
    client tells them apart by `HttpRequest.path`), and the "never called" watch. MQTT
    devices need nothing here: their client subscribed itself. Fixed-path devices are found
    by the views at request time, so a loaded entry is all they need.
    """
    if inbound is not Inbound.WEBHOOK:
        return
    if not isinstance(client, InboundHttp):
        raise TypeError(f"{type(client).__name__} takes no HTTP requests")

    async def _handle(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
        return await async_handle(request, client, entry.title)

    for key in webhooks:
        if (webhook_id := entry.data.get(key)) is None:
            continue
        # What the entry's last unload left answering "unavailable" goes first.
        hass.data.get(_HELD_WEBHOOKS, {}).pop(webhook_id, None)
        webhook.async_unregister(hass, webhook_id)
        webhook.async_register(
            hass,
            DOMAIN,
            entry.title,
            webhook_id,
            _handle,
            local_only=True,
            allowed_methods=["POST"],
        )
        entry.async_on_unload(partial(_async_hold_webhook, hass, entry, webhook_id))
    _async_watch_first_contact(hass, entry, client, coordinator)


@callback
def _async_hold_webhook(hass: HomeAssistant, entry: FaceAccessConfigEntry, webhook_id: str) -> None:
    """Answer the device's requests with 503 until its entry is set up again or removed.

    Unregistered, a webhook is answered 200 by Home Assistant (so as not to tell which
    webhooks exist), and a device takes a 200 for the acknowledgement of its record: the
    records a device sends while its entry reloads (any change of options) would be lost.
    Answered 503, the device keeps them and sends them again (temperature_http digest §6).
    """

    async def _unavailable(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE, text="not ready")

    webhook.async_unregister(hass, webhook_id)
    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        _unavailable,
        local_only=True,
        allowed_methods=["POST"],
    )
    hass.data.setdefault(_HELD_WEBHOOKS, {})[webhook_id] = entry.entry_id


@callback
def _async_watch_first_contact(
    hass: HomeAssistant,
    entry: FaceAccessConfigEntry,
    client: InboundHttp,
    coordinator: FaceAccessCoordinator,
) -> None:
    """Raise a repair issue when a device never called long after set-up.

    The issue shows the address to type into the device; it goes away with the first call.
    A device that called once gets none (it is merely offline then).
    """
    issue_id = no_contact_issue_id(entry)
    if client.connected_once:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return

    @callback
    def _raise_issue(_now: Any) -> None:
        if client.connected_once:
            return
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="no_heartbeat",
            translation_placeholders={
                "name": entry.title,
                **webhook_address(hass, entry.data[CONF_WEBHOOK_ID]),
            },
        )

    cancel_timer = async_call_later(hass, NO_CONTACT_ISSUE_AFTER, _raise_issue)

    @callback
    def _on_update() -> None:
        if coordinator.data.online:
            stop_watching()
            ir.async_delete_issue(hass, DOMAIN, issue_id)

    remove_listener = coordinator.async_add_listener(_on_update)
    watching = True

    @callback
    def stop_watching() -> None:
        nonlocal watching
        if watching:
            watching = False
            cancel_timer()
            remove_listener()

    entry.async_on_unload(stop_watching)


class FixedPathView(HomeAssistantView):
    """One fixed path a protocol's devices post to, without a login (devices have none).

    The request is taken only for a loaded entry of that protocol whose unique id is the
    serial the request carries, and only from that entry's host.
    """

    requires_auth = False

    def __init__(self, protocol: str, path: str, fixed: FixedPath) -> None:
        """Serve `path` for the entries of `protocol`."""
        self.url = path
        self.name = f"api:{DOMAIN}:{protocol}:{path.strip('/').replace('/', ':')}"
        self._protocol = protocol
        self._fixed = fixed

    async def post(self, request: web.Request) -> web.Response:
        """Hand a device's request to its entry's client."""
        hass = request.app[KEY_HASS]
        read = await _read(request, self._protocol, MAX_BODY_BYTES)
        if isinstance(read, web.Response):
            return read
        serial = self._fixed.serial_of(read)
        entry = next(
            (
                entry
                for entry in hass.config_entries.async_loaded_entries(DOMAIN)
                if entry.data.get(CONF_PROTOCOL) == self._protocol
                and serial is not None
                and entry.unique_id == serial
            ),
            None,
        )
        if entry is None:
            LOGGER.warning("Refused a request on %s: no device with that serial", self.url)
            return web.Response(status=HTTPStatus.NOT_FOUND, text="unknown device")
        if read.remote not in await _addresses(hass, str(entry.data.get(CONF_HOST, ""))):
            LOGGER.warning("Refused a request for %s from another address", entry.title)
            return web.Response(status=HTTPStatus.FORBIDDEN, text="not the device's address")
        client = entry.runtime_data.client
        if not isinstance(client, InboundHttp):
            raise TypeError(f"{type(client).__name__} takes no HTTP requests")
        return _response(await client.handle_request(read))


async def _addresses(hass: HomeAssistant, host: str) -> set[str]:
    """Return the IP addresses of an entry's host (none when it does not resolve).

    A host name is resolved in the executor: resolving blocks.
    """
    try:
        return {str(ipaddress.ip_address(host))}
    except ValueError:
        pass

    def _resolve() -> set[str]:
        try:
            return {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
        except OSError:
            return set()

    return await hass.async_add_executor_job(_resolve)


@callback
def async_register_views(hass: HomeAssistant, protocol: str, fixed: FixedPath) -> None:
    """Register a protocol's fixed-path views (once, from async_setup)."""
    for path in fixed.paths:
        hass.http.register_view(FixedPathView(protocol, path, fixed))
