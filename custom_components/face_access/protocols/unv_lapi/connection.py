"""Home Assistant → device requests of a UNV LAPI terminal (§1.2, §4.2, §4.3.1-§4.3.3).

The device serves LAPI on its HTTP port (L123-L125) and demands HTTP Digest, sometimes Basic
(notes §1.3 item 8; the document names none, digest §2.4). Requests are JSON, replies the
`Response` envelope labelled `text/plain` (E31). One request at a time (digest §7.4).
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Any, Final

import aiohttp
from yarl import URL

from .. import model
from ..http import DeviceHttp, DeviceResponse, request_auth
from ..wire import DecodeError, integer
from . import codec
from .codec import AlreadySubscribedError, Identity, Subscription

_LOGGER = logging.getLogger(__package__)

DEFAULT_TIMEOUT: Final = 10.0
"""Seconds a request may take (the document sets none; the vendor demo uses 10 s, notes §1.3)."""
MAX_REPLY_BYTES: Final = 8 * 1024 * 1024
"""Largest reply read: a people page or a snapshot; anything larger is not a device's."""
PAGE_SIZE: Final = 50
"""People per query page (inferred; the paging limits are not documented)."""


@dataclass(frozen=True, slots=True)
class Features:
    """What `probe` found the device answers: the door, the face library, a capture."""

    door: bool
    people: bool
    capture: bool

    def names(self) -> frozenset[str]:
        """Return the answered features as codec.FEATURE_* names."""
        found = {
            codec.FEATURE_DOOR: self.door,
            codec.FEATURE_PEOPLE: self.people,
            codec.FEATURE_CAPTURE: self.capture,
        }
        return frozenset(name for name, present in found.items() if present)


class LapiConnection:
    """LAPI requests to one device: digest auth (Basic if the device challenges for it).

    `session` is shared (Home Assistant's); the digest middleware rides on each request
    (`http.request_auth`) and keeps the device's nonce. `timeout` bounds each request, in
    seconds.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Keep the address and credentials; nothing is sent until a request."""
        self._http = DeviceHttp(
            session,
            host,
            port,
            auth=request_auth(username, password, auth="digest"),
            headers={"Content-Type": "application/json"},
            timeout=timeout,
            max_bytes=MAX_REPLY_BYTES,
        )
        self._base = self._http.base
        self._username = username
        self._password = password
        self._basic = False
        self._subscription_base: str | None = None

    @property
    def host(self) -> str:
        """Return the device's host."""
        return self._http.host

    async def request(self, method: str, path: str, body: Any = None, **query: str) -> Any:
        """Send one request and return the envelope's `Data` (None when "null" or absent).

        Raises AuthenticationError on 401 (after the digest exchange) or an auth code
        (`ResponseCode` 3, `StatusCode` 11/12); DeviceUnreachableError when the connection
        is refused or unroutable; DeviceTimeoutError on timeout or a dropped connection;
        DeviceRefusedError(reason, code) for a non-zero `ResponseCode`/`StatusCode` (code
        "ResponseCode N"/"StatusCode N") or an HTTP error without an envelope ("HTTP N");
        SubscriptionsFullError for `StatusCode` 13; DecodeError for a 2xx that is not LAPI.
        """
        url = self._base.with_path(path)
        if query:
            url = url.with_query(query)
        data = None if body is None else codec.encode(body)
        async with self._http.lock:
            for _attempt in range(2):
                reply = await self._send(method, url, data)
                if reply.status == 401 and not self._basic:
                    # The device asks for Basic (notes §1.3 item 8): switch for good, once.
                    _LOGGER.debug("Device %s asks for HTTP Basic", self.host)
                    self._basic = True
                    self._http.auth = request_auth(self._username, self._password, auth="basic")
                    continue
                break
        if reply.status == 401:
            raise model.AuthenticationError("the device refused the credentials")
        what = f"{method} {path}"
        try:
            response = codec.envelope(codec.loads(reply.body))
        except DecodeError:
            if not reply.ok:
                raise reply.refusal(what) from None
            raise
        codec.check(response, what)
        if not reply.ok:
            raise reply.refusal(what)
        return codec.data_of(response)

    async def _send(self, method: str, url: URL, data: bytes | None) -> DeviceResponse:
        """Send one request (the caller holds the lock); a 401 asking for Basic comes back."""
        return await self._http.send(
            method, url, what=f"{method} {url.path}", data=data, pass_challenge="basic"
        )

    async def identify(self) -> Identity:
        """`GET /LAPI/V1.0/System/DeviceBasicInfo` (§4.2.1, L664-L755): serial and models.

        Raises what `request` raises, and DecodeError without a serial number.
        """
        return codec.identity_from(await self.request("GET", codec.DEVICE_BASIC_INFO))

    async def keep_alive(self) -> None:
        """`GET /LAPI/V1.0/System/KeepAlive` (§4.2.2, L757-L808). Raises what `request` raises."""
        await self.request("GET", codec.KEEP_ALIVE)

    async def subscribe(self, address: str, port: int, duration: int) -> Subscription:
        """Subscribe http://`address`:`port` to records (E4, §4.3.1) for `duration` s.

        `duration` is clamped to [30, 3600]; never permanent. Where the §4.3.1 path is
        missing (404/405, `ResponseCode` 4), the `PACS/Controller/Event/Subscriptions` form
        of §1.2.2 is tried, and the path that answered is used from then on (erratum 1).
        Raises SubscriptionsFullError (two subscribers already, `StatusCode` 13),
        AlreadySubscribedError (`StatusCode` 14: a subscription of this address still runs),
        InvalidRequestError for a bad address, and what `request` raises.
        """
        *fallbacks, last = (
            codec.SUBSCRIPTION_PATHS
            if self._subscription_base is None
            else (self._subscription_base,)
        )
        for base in fallbacks:
            try:
                return await self._subscribe_at(base, address, port, duration)
            except model.DeviceRefusedError as err:
                if isinstance(err, AlreadySubscribedError) or not codec.is_unsupported(err):
                    raise
                _LOGGER.debug("Device %s has no %s; trying the other form", self.host, base)
        return await self._subscribe_at(last, address, port, duration)

    async def _subscribe_at(
        self, base: str, address: str, port: int, duration: int
    ) -> Subscription:
        """POST one form of E4 under `base`; remember `base` when it answers."""
        body = codec.subscribe_body(address, port, duration, base)
        try:
            data = await self.request("POST", base, body)
        except model.DeviceRefusedError as err:
            if err.code != f"StatusCode {codec.STATUS_ALREADY}":
                raise
            raise AlreadySubscribedError(err.reason, err.code) from err
        self._subscription_base = base
        return codec.subscription_from(data, body["Duration"], base)

    async def refresh(self, subscription: Subscription) -> Subscription:
        """Extend a subscription by its duration (E5, PUT, §4.3.2, L1086-L1176).

        Raises DeviceRefusedError when the device no longer knows it, and what `request`
        raises.
        """
        duration = codec.clamp_duration(subscription.duration)
        data = await self.request(
            "PUT", codec.subscription_path(subscription), {"Duration": duration}
        )
        termination = None
        if isinstance(data, dict):
            termination = integer(data.get("TerminationTime"))
        return Subscription(subscription.id, duration, termination, subscription.base)

    async def unsubscribe(self, subscription: Subscription) -> None:
        """Delete a subscription (E6, DELETE, §4.3.3, L1231-L1265).

        Raises what `request` raises.
        """
        await self.request("DELETE", codec.subscription_path(subscription))

    async def open_door(self) -> None:
        """`PUT /LAPI/V1.0/PACS/Controller/RemoteOpened`, empty body (notes §1.2).

        Raises what `request` raises.
        """
        await self.request("PUT", codec.REMOTE_OPENED)

    async def add_person(self, library: int, body: dict[str, Any]) -> None:
        """`POST /LAPI/V1.0/PeopleLibraries/<LibID>/People` (notes §1.2); what `request` raises."""
        await self.request("POST", codec.people_path(library), body)

    async def modify_person(self, library: int, body: dict[str, Any]) -> None:
        """`PUT /LAPI/V1.0/PeopleLibraries/<LibID>/People` (notes §1.2); what `request` raises."""
        await self.request("PUT", codec.people_path(library), body)

    async def delete_person(self, library: int, person_id: int, last_change: int) -> None:
        """`DELETE .../People/<PersonID>?LastChange=<s>` (notes §1.2, §1.3 item 10)."""
        await self.request(
            "DELETE", codec.people_path(library, str(person_id)), LastChange=str(last_change)
        )

    async def query_people(
        self, library: int, offset: int, limit: int = PAGE_SIZE
    ) -> tuple[list[model.Person], int | None]:
        """`POST .../People/Info` paged (notes §1.2): one page of people and `Total`."""
        data = await self.request(
            "POST", codec.people_path(library, "Info"), codec.query_body(offset, limit)
        )
        return codec.people_page(data)

    async def snapshot_url(self) -> str | None:
        """`GET /LAPI/V1.0/Channels/0/Media/SnapshotURL` (notes §1.2): where a still is."""
        return codec.snapshot_url_of(await self.request("GET", codec.SNAPSHOT_URL))

    async def fetch(self, url: str) -> bytes:
        """GET a picture on this device (same host only), authenticated; the raw bytes.

        Raises DeviceRefusedError for another host or an HTTP error, and the transport
        errors of `request`.
        """
        try:
            target = URL(url)
            if not target.is_absolute():
                target = self._base.join(target)
            host = target.host
        except ValueError as err:  # the device's text is no URL (a bad port, say)
            raise model.DeviceRefusedError("the device named no valid snapshot address") from err
        if host != self._base.host or target.scheme not in ("http", "https"):
            raise model.DeviceRefusedError("the snapshot is not on the device")
        async with self._http.lock:
            reply = await self._send("GET", target, None)
        if reply.status == 401:
            raise model.AuthenticationError("the device refused the credentials")
        if not reply.ok or not reply.body:
            raise reply.refusal("snapshot")
        return reply.body

    async def probe(self, library: int = codec.DEFAULT_LIBRARY) -> Features:
        """Ask which extended features (none in the vendor document) the device answers.

        door: `GET /LAPI/V1.0/PACS/Controller/OpenDoorMode` (read only: nothing opens);
        people: `GET /LAPI/V1.0/PeopleLibraries/BasicInfo`; capture: `GET .../SnapshotURL`
        answering a URL. A refusal or a non-LAPI reply means absent. Raises
        AuthenticationError, DeviceTimeoutError (and DeviceUnreachableError).
        """
        del library  # every library lives under BasicInfo; one answering is enough

        async def answers(path: str) -> Any:
            try:
                return await self.request("GET", path)
            except (model.DeviceRefusedError, DecodeError) as err:
                _LOGGER.debug("Device %s does not answer %s: %s", self.host, path, err)
                return False

        door = await answers(codec.OPEN_DOOR_MODE)
        people = await answers(codec.LIBRARIES)
        capture = await answers(codec.SNAPSHOT_URL)
        return Features(
            door=door is not False,
            people=people is not False,
            capture=capture is not False and codec.snapshot_url_of(capture) is not None,
        )
