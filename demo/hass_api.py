"""A minimal client of Home Assistant's HTTP API: the calls the web UI makes.

Onboarding, log-in (the same login flow and token exchange as the UI), config flows and
subentry flows, file uploads (a form's file field), service calls, states and the registries
(websocket). Only what the demo needs; every call goes to
the one Home Assistant on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import itertools
import time
from typing import Any

import aiohttp

JsonObject = dict[str, Any]


class HassApiError(RuntimeError):
    """Home Assistant answered an API call with an error status."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        """Keep the call, the HTTP status and the body (Home Assistant's message)."""
        super().__init__(f"{method} {path} -> HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


def form_defaults(schema: list[JsonObject]) -> JsonObject:
    """Return what a flow's form submits untouched: each field's default, by name.

    ``schema``: the form's serialized ``data_schema``. A section (``expandable``) is
    submitted as a dict of its own fields' defaults, collapsed or not, as the UI does.
    """
    values: JsonObject = {}
    for field in schema:
        if field.get("type") == "expandable":
            values[field["name"]] = form_defaults(field.get("schema") or [])
        elif "default" in field:
            values[field["name"]] = field["default"]
    return values


class WebsocketError(RuntimeError):
    """Home Assistant answered a websocket command with an error (``code``, ``message``)."""

    def __init__(self, command: str, error: JsonObject | None) -> None:
        """Keep the command's type and Home Assistant's error code."""
        error = error or {}
        super().__init__(f"websocket {command} failed: {error}")
        self.code = str(error.get("code", ""))


class HassClient:
    """Talk to one Home Assistant at ``http://127.0.0.1:<port>``."""

    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        """Use ``session`` for every call; no token until ``login()``/onboarding."""
        self._session = session
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        # The UI's own client ID: the page's origin (IndieAuth, verified by Home Assistant).
        self.client_id = f"{self.base_url}/"
        self.redirect_uri = f"{self.base_url}/?auth_callback=1"
        self._token: str | None = None
        self._ws_ids = itertools.count(1)

    # ------------------------------------------------------------------ plumbing

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        auth: bool = True,
        seconds: float = 60.0,
    ) -> Any:
        """Call ``path``; return the decoded JSON body (None when empty).

        Raises ``HassApiError`` for a status of 400 or more.
        """
        async with self._session.request(
            method,
            self.base_url + path,
            json=json,
            data=data,
            headers=self._headers if auth else {},
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            body = await response.text()
            if response.status >= 400:
                raise HassApiError(method, path, response.status, body)
            if not body:
                return None
            return await response.json(content_type=None)

    async def get_bytes(self, path: str, seconds: float = 30.0) -> tuple[int, bytes]:
        """GET ``path`` with the token; return the status and the raw body (pictures)."""
        async with self._session.get(
            self.base_url + path,
            headers=self._headers,
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            return response.status, await response.read()

    async def websocket(self, message: JsonObject, seconds: float = 30.0) -> Any:
        """Send one websocket command (``{"type": …, …}``); return its ``result``.

        A connection per command: the demo needs few, and nothing is left open.
        """
        async with asyncio.timeout(seconds):
            async with self._session.ws_connect(self.base_url + "/api/websocket") as ws:
                greeting = await ws.receive_json()
                if greeting.get("type") != "auth_required":
                    raise RuntimeError(f"unexpected websocket greeting {greeting}")
                await ws.send_json({"type": "auth", "access_token": self._token})
                answer = await ws.receive_json()
                if answer.get("type") != "auth_ok":
                    raise RuntimeError(f"websocket authentication failed: {answer}")
                command_id = next(self._ws_ids)
                await ws.send_json({"id": command_id, **message})
                while True:
                    reply = await ws.receive_json()
                    if reply.get("id") == command_id and reply.get("type") == "result":
                        break
        if not reply.get("success"):
            raise WebsocketError(message["type"], reply.get("error"))
        return reply.get("result")

    # -------------------------------------------------------- start-up and log-in

    async def wait_http(
        self, seconds: float, still_running: Callable[[], bool] = lambda: True
    ) -> None:
        """Wait until the HTTP server answers (at most ``seconds``).

        Raises ``RuntimeError`` at once if ``still_running()`` turns false (the process died).
        """
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not still_running():
                raise RuntimeError("Home Assistant exited during start-up")
            try:
                async with self._session.get(
                    self.base_url + "/api/onboarding", timeout=aiohttp.ClientTimeout(total=5)
                ) as response:
                    # 200: onboarding under way; 404: done (the view is gone).
                    if response.status in (200, 404):
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.5)
        raise TimeoutError(f"Home Assistant did not answer on {self.base_url} in {seconds:.0f} s")

    async def onboarding_done_steps(self) -> set[str] | None:
        """Return the onboarding steps already done, or None once onboarding is over."""
        try:
            steps = await self.request("GET", "/api/onboarding", auth=False)
        except HassApiError as err:
            if err.status == 404:
                return None
            raise
        return {step["step"] for step in steps if step["done"]}

    async def onboard(self, name: str, username: str, password: str, language: str) -> None:
        """Do every open onboarding step, as the onboarding pages do, and keep the token.

        User step: create the owner and get an authorization code for this client; the
        rest (location, analytics, integrations) are taken as they are: the location comes
        from ``configuration.yaml`` and analytics stay off. The demo's own directories
        start with the location step done (``config.skip_core_config_step``), since
        finishing it adds integrations that need the internet.
        """
        done = await self.onboarding_done_steps()
        if done is None:
            await self.login(username, password)
            return
        if "user" not in done:
            answer = await self.request(
                "POST",
                "/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": name,
                    "username": username,
                    "password": password,
                    "language": language,
                },
                auth=False,
            )
            await self._exchange_code(answer["auth_code"])
        else:
            await self.login(username, password)
        if "core_config" not in done:
            await self.request("POST", "/api/onboarding/core_config", json={})
        if "analytics" not in done:
            await self.request("POST", "/api/onboarding/analytics", json={})
        if "integration" not in done:
            await self.request(
                "POST",
                "/api/onboarding/integration",
                json={"client_id": self.client_id, "redirect_uri": self.redirect_uri},
            )

    async def login(self, username: str, password: str) -> None:
        """Log in through the login flow of the UI's sign-in page, and keep the token."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.redirect_uri,
            },
            auth=False,
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"log-in as {username!r} refused: {result.get('errors')}")
        await self._exchange_code(result["result"])

    async def _exchange_code(self, code: str) -> None:
        """Trade an authorization code for an access token (valid 30 min)."""
        tokens = await self.request(
            "POST",
            "/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
            auth=False,
        )
        self._token = tokens["access_token"]

    async def wait_running(self, seconds: float) -> None:
        """Wait until Home Assistant reports the state ``RUNNING`` (start-up finished)."""
        deadline = time.monotonic() + seconds
        while True:
            config = await self.request("GET", "/api/config")
            if config.get("state") == "RUNNING":
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"Home Assistant still {config.get('state')} after {seconds} s")
            await asyncio.sleep(0.5)

    # ----------------------------------------------------------- what the UI does

    async def config_entries(self, domain: str | None = None) -> list[JsonObject]:
        """Return the config entries of ``domain`` (``entry_id``, ``title``, ``state``, …).

        Without ``domain``: every integration's, as *Settings → Devices & services* lists them.
        """
        query = f"?domain={domain}" if domain is not None else ""
        entries: list[JsonObject] = await self.request(
            "GET", f"/api/config/config_entries/entry{query}"
        )
        return entries

    async def remove_entry(self, entry_id: str) -> None:
        """Delete a config entry (its *Delete* menu item)."""
        await self.request("DELETE", f"/api/config/config_entries/entry/{entry_id}")

    async def start_flow(self, handler: str, entry_id: str | None = None) -> JsonObject:
        """Start a config flow (*Add integration*); return its first step.

        With ``entry_id``: the entry's *Reconfigure* flow instead.
        """
        data: JsonObject = {"handler": handler, "show_advanced_options": False}
        if entry_id is not None:
            data["entry_id"] = entry_id
        result: JsonObject = await self.request(
            "POST", "/api/config/config_entries/flow", json=data
        )
        return result

    async def flow_step(self, flow_id: str, data: JsonObject) -> JsonObject:
        """Answer the current step of a flow (a menu choice or a form); return the next."""
        result: JsonObject = await self.request(
            "POST", f"/api/config/config_entries/flow/{flow_id}", json=data, seconds=120.0
        )
        return result

    async def set_options(self, entry_id: str, data: JsonObject) -> JsonObject:
        """Set a config entry's options through its options flow (*Configure*).

        The fields ``data`` leaves out keep what the dialog shows (``form_defaults``).
        """
        form: JsonObject = await self.request(
            "POST", "/api/config/config_entries/options/flow", json={"handler": entry_id}
        )
        answer = {**form_defaults(form.get("data_schema") or []), **data}
        result: JsonObject = await self.request(
            "POST", f"/api/config/config_entries/options/flow/{form['flow_id']}", json=answer
        )
        return result

    async def start_subentry_flow(
        self, entry_id: str, subentry_type: str, subentry_id: str | None = None
    ) -> JsonObject:
        """Start a subentry flow of a config entry (its *Add …* button); return its first step.

        With ``subentry_id``: that subentry's *Reconfigure* flow instead.
        """
        data: JsonObject = {"handler": [entry_id, subentry_type], "show_advanced_options": False}
        if subentry_id is not None:
            data["subentry_id"] = subentry_id
        result: JsonObject = await self.request(
            "POST", "/api/config/config_entries/subentries/flow", json=data
        )
        return result

    async def subentry_flow_step(self, flow_id: str, data: JsonObject) -> JsonObject:
        """Answer the current step of a subentry flow (its form); return the next step."""
        result: JsonObject = await self.request(
            "POST",
            f"/api/config/config_entries/subentries/flow/{flow_id}",
            json=data,
            seconds=120.0,
        )
        return result

    async def subentries(self, entry_id: str) -> list[JsonObject]:
        """Return a config entry's subentries, as the integration's page lists them.

        Each: ``subentry_id``, ``subentry_type``, ``title``, ``unique_id``.
        """
        result: list[JsonObject] = await self.websocket(
            {"type": "config_entries/subentries/list", "entry_id": entry_id}
        )
        return result

    async def upload_file(self, filename: str, content: bytes, content_type: str) -> str:
        """Upload a file as a form's file field does (``/api/file_upload``); return its ID.

        The ID is what the form submits; the flow that receives it reads the file, and Home
        Assistant deletes it then.
        """
        form = aiohttp.FormData()
        form.add_field("file", content, filename=filename, content_type=content_type)
        async with self._session.post(
            self.base_url + "/api/file_upload",
            data=form,
            headers=self._headers,
            timeout=aiohttp.ClientTimeout(total=60.0),
        ) as response:
            body = await response.text()
            if response.status >= 400:
                raise HassApiError("POST", "/api/file_upload", response.status, body)
            answer = await response.json(content_type=None)
        return str(answer["file_id"])

    async def call_service(
        self, domain: str, service: str, data: JsonObject, *, response: bool = False
    ) -> Any:
        """Call a service (an action); with ``response`` return its response data."""
        path = f"/api/services/{domain}/{service}"
        answer = await self.request(
            "POST", path + ("?return_response" if response else ""), json=data, seconds=120.0
        )
        if response:
            return answer["service_response"]
        return answer

    async def state(self, entity_id: str) -> JsonObject | None:
        """Return the state object of ``entity_id``, or None when it has none."""
        try:
            result: JsonObject = await self.request("GET", f"/api/states/{entity_id}")
        except HassApiError as err:
            if err.status == 404:
                return None
            raise
        return result

    async def devices(self) -> list[JsonObject]:
        """Return the device registry (``id``, ``identifiers``, ``name``, …)."""
        result: list[JsonObject] = await self.websocket({"type": "config/device_registry/list"})
        return result

    async def entities(self) -> list[JsonObject]:
        """Return the entity registry (``entity_id``, ``unique_id``, ``platform``, …)."""
        result: list[JsonObject] = await self.websocket({"type": "config/entity_registry/list"})
        return result
