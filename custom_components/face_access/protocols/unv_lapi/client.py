"""The client of a UNV (Uniview) face terminal speaking LAPI (`unv_lapi`).

Mode A of the document (digest §2.2, §3.1): Home Assistant calls the device (identity,
keep-alive, subscription, and the door and people paths of notes §1.2) through a
`LapiConnection`; the device posts records to fixed paths on Home Assistant's HTTP port
(`FIXED_PATHS`), which the owner hands to `handle_request`. Mode B heartbeats on the same
paths are answered too. "digest" is `shared/protocols/unv_lapi.md`, "notes" field notes §1.
"""

from __future__ import annotations

import asyncio
import base64
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
import logging
from typing import TYPE_CHECKING, Any, Final

from .. import model
from ..client import MessageHub, StateStore
from ..http import HttpReply, HttpRequest
from ..wire import DecodeError
from . import codec, records
from .codec import AlreadySubscribedError, Subscription, SubscriptionsFullError
from .connection import LapiConnection

if TYPE_CHECKING:
    from ..client import DeviceClient, InboundHttp

_LOGGER = logging.getLogger(__package__)

POLL_INTERVAL: Final = 60.0
"""Seconds between keep-alives at most (the document's 3 s, L761, is far too eager for HA);
a short subscription is looked after more often (`poll_interval`)."""
RETRY_DELAY: Final = 30.0
"""Seconds before a failed subscription or refresh is tried again."""
STORE_VERSION: Final = 1
"""Format of the saved subscription (`Subscription.saved`)."""
SUBSCRIPTIONS_FULL: Final = "subscriptions_full"
"""The problem a device with two record subscribers already has: the user must free one."""
DEDUP_MEMORY: Final = 500
"""Record keys remembered per device to drop re-sends (digest §7.3)."""
MAX_PEOPLE_PAGES: Final = 1000
"""Query pages read at most (a device that repeats itself must not loop forever)."""


def profile_for(features: frozenset[str]) -> model.DeviceProfile:
    """Return the profile for the features a probe found (codec.FEATURE_*).

    Records, temperature, mask and credential events always; OPEN_DOOR only with "door";
    the people capabilities (and card numbers) only with "people"; SCENE_SNAPSHOT only with
    "capture" (digest §9.2: none of them is in the vendor document).
    """
    capabilities = set(codec.BASE_CAPABILITIES)
    if codec.FEATURE_DOOR in features:
        capabilities.add(model.Capability.OPEN_DOOR)
    if codec.FEATURE_PEOPLE in features:
        capabilities |= model.PEOPLE_CAPABILITIES | {model.Capability.ENROLL_CARD_NUMBER}
    if codec.FEATURE_CAPTURE in features:
        capabilities.add(model.Capability.SCENE_SNAPSHOT)
    return model.DeviceProfile(
        manufacturer="Uniview",
        model="Face terminal (LAPI)",
        capabilities=frozenset(capabilities),
        photo_limits=codec.PHOTO_LIMITS,
        # `PersonID` an unsigned long (notes §1.3 item 9), `PersonName` 1 to 63 characters
        # (L2070-L2078) without quotation mark or backslash (L188-L192).
        person_limits=model.PersonLimits(
            id_max_number=codec.MAX_PERSON_ID,
            name_max_chars=codec.MAX_NAME_CHARS,
            name_forbidden='"\\',
        ),
    )


class UnvLapiClient:
    """One UNV terminal, known by its serial number (`DeviceCode`); a `DeviceClient`.

    `connection` sends Home Assistant's requests; `now` returns the local time (aware: the
    device's pushes are UTC seconds, the model's times local and naive). `library_id` is the
    face library people go to. `subscribe_to` is (IP address, port) where the device must
    post records (None: the device is set up to post on its own, mode B); `duration` the
    subscription's seconds ([30, 3600]). `features` skips the probe when given. `store`
    keeps the subscription's ID across restarts, so that a device still pushing here from
    before is refreshed rather than left to expire (digest §3.1).

    The subscription is looked after by `query_info`, which the owner calls every
    `poll_interval` seconds: refreshed (PUT) at about half its duration, created anew (POST)
    when the device no longer knows it (expired, or the device rebooted), and checked at once
    when the device answers again after it did not.
    """

    def __init__(
        self,
        serial: str,
        *,
        connection: LapiConnection,
        now: Callable[[], datetime],
        library_id: int = codec.DEFAULT_LIBRARY,
        subscribe_to: tuple[str, int] | None = None,
        duration: int = codec.MAX_DURATION,
        features: frozenset[str] | None = None,
        store: StateStore | None = None,
    ) -> None:
        """Keep the settings; nothing is sent before `start`."""
        self.serial = serial.strip()
        self._connection = connection
        self._now = now
        self._library = library_id
        self._subscribe_to = subscribe_to
        self._duration = codec.clamp_duration(duration)
        self._features = features
        self._profile = profile_for(features or frozenset())
        self._hub = MessageHub(_LOGGER)
        self._store = store
        self._subscription: Subscription | None = None
        self._saved: Subscription | None = None
        self._subscription_due: datetime | None = None
        self._subscribing = asyncio.Lock()
        self._unanswered = False
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._info = model.DeviceInfo()
        self._identified = False
        self._connected_once = False
        self._records = 0
        self._duplicates = 0
        self._refresh_failures = 0
        self._slots_full = False

    # ---- the DeviceClient interface ---------------------------------------------------------

    @property
    def profile(self) -> model.DeviceProfile:
        """Return what the device can do: the probed features' capabilities."""
        return self._profile

    @property
    def features(self) -> frozenset[str] | None:
        """Return the probed features (None before a probe), to keep in the config entry."""
        return self._features

    @property
    def subscription(self) -> Subscription | None:
        """Return the live subscription, if any."""
        return self._subscription

    @property
    def offline_after(self) -> float | None:
        """Return None: pushes come only with records; the owner polls `query_info`."""
        return None

    @property
    def poll_interval(self) -> float | None:
        """Return the seconds between keep-alives (`query_info`).

        At most a quarter of the subscription's duration, so a refresh due at half of it
        happens well before it expires.
        """
        if self._subscribe_to is None:
            return POLL_INTERVAL
        return min(POLL_INTERVAL, self._duration / 4)

    @property
    def connected_once(self) -> bool:
        """Return whether the device has posted here since this client started."""
        return self._connected_once

    def subscribe(self, listener: model.MessageCallback) -> Callable[[], None]:
        """Call `listener` with every inbound model message; return the unsubscriber."""
        return self._hub.subscribe(listener)

    def diagnostics(self) -> dict[str, Any]:
        """Return counts and flags only (no names, numbers or pictures)."""
        return {
            "features": sorted(self._features or ()),
            "subscribed": self._subscription is not None,
            "subscription_id": None if self._subscription is None else self._subscription.id,
            "subscription_path": None if self._subscription is None else self._subscription.base,
            "subscription_duration": self._duration,
            "subscription_due": None
            if self._subscription_due is None
            else self._subscription_due.isoformat(),
            "subscriber_slots_full": self._slots_full,
            "refresh_failures": self._refresh_failures,
            "records": self._records,
            "duplicates": self._duplicates,
            "connected_once": self._connected_once,
        }

    async def start(self) -> None:
        """Probe when no features were given; subscribe when asked.

        A probe that fails (device away) leaves the profile at records only and is logged;
        a subscription that fails is tried again by a later `query_info`. Raises
        AuthenticationError when the device refuses the credentials.
        """
        if self._features is None:
            try:
                found = await self._connection.probe(self._library)
            except model.DeviceTimeoutError as err:
                _LOGGER.debug("Device %s could not be probed: %s", self.serial, err)
            else:
                self._features = found.names()
                self._profile = profile_for(self._features)
        if self._subscribe_to is not None:
            if self._store is not None:
                self._saved = Subscription.from_saved(await self._store.load())
            await self._look_after_subscription()

    async def stop(self) -> None:
        """Delete the subscription (best effort: a subscriber slot is freed)."""
        async with self._subscribing:
            subscription, self._subscription = self._subscription, None
            self._subscription_due = None
        if subscription is not None:
            try:
                await self._connection.unsubscribe(subscription)
            except (model.FaceAccessError, DecodeError) as err:
                _LOGGER.debug(
                    "Device %s kept subscription %s: %s", self.serial, subscription.id, err
                )

    async def query_info(self) -> model.DeviceInfo:
        """Send a keep-alive (E3); look after the subscription; describe the device once.

        The first success also reads DeviceBasicInfo (E2). The subscription is refreshed
        when due, and at once after keep-alives that failed (the device may have rebooted
        and forgotten it). Raises what `LapiConnection.request` raises for the keep-alive,
        and AuthenticationError from the subscription.
        """
        try:
            await self._connection.keep_alive()
        except model.FaceAccessError:
            self._unanswered = True
            raise
        if self._unanswered:
            self._unanswered = False
            self._subscription_due = None
        if self._subscribe_to is not None and (
            self._subscription_due is None or self._now() >= self._subscription_due
        ):
            await self._look_after_subscription()
        if not self._identified:
            try:
                identity = await self._connection.identify()
            except (model.DeviceRefusedError, model.DeviceTimeoutError, DecodeError) as err:
                _LOGGER.debug("Device %s did not describe itself: %s", self.serial, err)
            else:
                self._identified = True
                self._info = identity.info
        return self._info

    async def open_door(self) -> None:
        """Open the door with `RemoteOpened` (notes §1.2).

        Raises UnsupportedError when the door probe found nothing; what the connection raises.
        """
        self._require(model.Capability.OPEN_DOOR, "remote door opening")
        await self._connection.open_door()

    async def snapshot(self) -> model.Picture:
        """Fetch a still through `SnapshotURL` (notes §1.2); returned as base64.

        Raises UnsupportedError without the capture feature, DeviceRefusedError when the
        device names no picture.
        """
        self._require(model.Capability.SCENE_SNAPSHOT, "snapshots")
        url = await self._connection.snapshot_url()
        if url is None:
            raise model.DeviceRefusedError("the device named no snapshot")
        raw = await self._connection.fetch(url)
        return model.Picture(base64.b64encode(raw).decode("ascii"))

    async def enroll(self, enrollment: model.Enrollment) -> model.CommandResult:
        """Add a person to the face library (POST); someone already there is modified (PUT).

        Raises UnsupportedError without the people feature, InvalidRequestError (nothing
        sent) for a non-numeric ID or a bad name, DeviceRefusedError when both fail.
        """
        self._require(model.Capability.ENROLL, "enrolment")
        photo = base64.b64encode(enrollment.photo_jpeg).decode("ascii")
        body = codec.person_body(enrollment, photo, len(enrollment.photo_jpeg), self._stamp())
        try:
            await self._connection.add_person(self._library, body)
        except model.DeviceRefusedError as err:
            if isinstance(err, model.AuthenticationError) or codec.is_unsupported(err):
                raise
            # The add failed, most often because the ID exists: replace the person.
            await self._connection.modify_person(self._library, body)
            return model.CommandResult(message="updated")
        return model.CommandResult(message="enrolled")

    async def delete(self, person_ids: Sequence[str]) -> model.CommandResult:
        """Delete people one by one (`DELETE .../People/<ID>?LastChange=`, notes §1.2).

        Raises UnsupportedError without the people feature, InvalidRequestError for a
        non-numeric ID, DeviceRefusedError when nobody could be deleted.
        """
        self._require(model.Capability.DELETE_PERSON, "deleting people")
        ids = [codec.person_id_number(pid) for pid in dict.fromkeys(person_ids)]
        return await self._delete_ids(ids)

    async def delete_all(self) -> model.CommandResult:
        """Delete everyone in the library, one by one (the library itself stays).

        Raises UnsupportedError without the people feature, and what the queries raise.
        """
        self._require(model.Capability.DELETE_ALL_PEOPLE, "deleting people")
        people = await self.list_people()
        return await self._delete_ids([int(person.person_id) for person in people])

    async def list_people(self) -> list[model.Person]:
        """Return everyone in the library, page by page (`.../People/Info`, notes §1.2).

        Raises UnsupportedError without the people feature, and what the connection raises.
        """
        self._require(model.Capability.LIST_PEOPLE, "listing people")
        people: dict[str, model.Person] = {}
        for _page in range(MAX_PEOPLE_PAGES):
            page, total = await self._connection.query_people(self._library, len(people))
            before = len(people)
            people.update((person.person_id, person) for person in page)
            if not page or len(people) == before or (total is not None and len(people) >= total):
                break
        return list(people.values())

    # ---- pushes -----------------------------------------------------------------------------

    async def handle_request(self, request: HttpRequest) -> HttpReply:
        """Answer one request on a fixed path: a record push or a heartbeat. Never raises.

        A record (E7) is acknowledged as real devices expect (notes §1.3 item 1) whatever
        becomes of it; a re-sent one is acknowledged and not emitted again. A heartbeat
        (E1) gets the flat time reply. 400 for a body that is neither; a `DeviceCode` of
        another device is acknowledged and dropped (digest §7.6).
        """
        try:
            obj = codec.loads(request.body)
        except DecodeError:
            return HttpReply(400, reason="not a LAPI push")
        if not isinstance(obj, dict) or not (records.is_push(obj) or records.is_heartbeat(obj)):
            return HttpReply(400, reason="not a LAPI push")
        now = self._now()
        code = records.serial_of(request)
        if code is not None and code != self.serial:
            _LOGGER.debug("Device %s received a push of another device", self.serial)
            return _reply(records.ack(obj, now))
        self._connected_once = True
        if records.is_heartbeat(obj):
            self._hub.emit(model.Alive())
            return _reply(records.heartbeat_reply(now))
        self._on_push(obj, now)
        return _reply(records.ack(obj, now))

    def _on_push(self, obj: dict[str, Any], now: datetime) -> None:
        """Emit a record's messages once; a key already seen is a re-send."""
        key = records.record_key(obj)
        if key in self._seen:
            self._duplicates += 1
            self._seen.move_to_end(key)
            return
        self._seen[key] = None
        while len(self._seen) > DEDUP_MEMORY:
            self._seen.popitem(last=False)
        self._records += 1
        zone = now.tzinfo
        record = records.record_from(obj, zone)
        if record is not None:
            self._hub.emit(record)
        for event in records.credentials_from(obj, zone):
            self._hub.emit(event)
        if record is None:
            self._hub.emit(model.Alive())

    # ---- subscription -----------------------------------------------------------------------

    async def _look_after_subscription(self) -> None:
        """Refresh or create the subscription once; set when to look again.

        One at a time: a keep-alive in the background and a poll may ask together. Raises
        AuthenticationError.
        """
        if self._subscribing.locked():
            return
        async with self._subscribing:
            delay = await self._subscribe_once()
            self._subscription_due = self._now() + timedelta(seconds=delay)

    async def _refresh(self, subscription: Subscription) -> bool | None:
        """Refresh `subscription` (E5): True when done, False when the device does not know it.

        None when the device did not answer properly (try again later). Raises
        AuthenticationError.
        """
        try:
            refreshed = await self._connection.refresh(subscription)
        except model.AuthenticationError:
            raise
        except model.DeviceRefusedError as err:
            _LOGGER.debug(
                "Device %s does not know subscription %s: %s", self.serial, subscription.id, err
            )
            return False
        except (model.DeviceTimeoutError, DecodeError) as err:
            self._refresh_failures += 1
            _LOGGER.debug("Device %s did not refresh: %s", self.serial, err)
            return None
        self._refresh_failures = 0
        self._subscription = refreshed
        return True

    async def _subscribe_once(self) -> float:
        """Refresh the live subscription, else create one; return seconds to the next try.

        About half the duration after a success (digest §3.1); RETRY_DELAY after a failure;
        the whole duration when the slots are full, or when the device says this address is
        subscribed already and no ID of it is known (it expires by then, and pushes here
        until it does). With an ID kept from before, "subscribed already" refreshes that one.
        """
        assert self._subscribe_to is not None
        if self._subscription is not None:
            refreshed = await self._refresh(self._subscription)
            if refreshed is None:
                return RETRY_DELAY
            if refreshed:
                return self._duration / 2
            self._subscription = None
        address, port = self._subscribe_to
        try:
            self._subscription = await self._connection.subscribe(address, port, self._duration)
        except SubscriptionsFullError:
            self._slots_full = True
            self._hub.emit(model.NeedsAttention(problem=SUBSCRIPTIONS_FULL, active=True))
            _LOGGER.warning(
                "Device %s already has two record subscribers; trying again in %d s",
                self.serial,
                self._duration,
            )
            return float(self._duration)
        except AlreadySubscribedError:
            saved, self._saved = self._saved, None
            if saved is not None:
                refreshed = await self._refresh(saved)
                if refreshed is None:
                    self._saved = saved
                    return RETRY_DELAY
                if refreshed:
                    return self._duration / 2
            _LOGGER.debug("Device %s is subscribed already; it expires in time", self.serial)
            return float(self._duration)
        except model.AuthenticationError:
            raise
        except (model.FaceAccessError, DecodeError) as err:
            self._refresh_failures += 1
            _LOGGER.debug("Device %s could not subscribe: %s", self.serial, err)
            return RETRY_DELAY
        if self._slots_full:
            self._hub.emit(model.NeedsAttention(problem=SUBSCRIPTIONS_FULL, active=False))
        self._slots_full = False
        self._refresh_failures = 0
        self._saved = None
        if self._store is not None:
            await self._store.save(self._subscription.saved())
        return self._duration / 2

    # ---- plumbing ---------------------------------------------------------------------------

    def _require(self, capability: model.Capability, what: str) -> None:
        """Raise UnsupportedError when the probe did not find what a command needs."""
        if capability not in self._profile.capabilities:
            raise model.UnsupportedError(f"this device does not offer {what}")

    def _stamp(self) -> int:
        """Return `LastChange`: Unix seconds now (notes §1.3 item 10)."""
        return int(self._now().timestamp())

    async def _delete_ids(self, ids: list[int]) -> model.CommandResult:
        """Delete each person; raise the first refusal when all failed."""
        if not ids:
            return model.CommandResult(message="nobody to delete")
        failures: list[model.DeviceRefusedError] = []
        for person_id in ids:
            try:
                await self._connection.delete_person(self._library, person_id, self._stamp())
            except model.DeviceRefusedError as err:
                if isinstance(err, model.AuthenticationError):
                    raise
                failures.append(err)
        if failures and len(failures) == len(ids):
            raise failures[0]
        if failures:
            return model.CommandResult(message=f"{len(ids) - len(failures)} of {len(ids)} deleted")
        return model.CommandResult(message=f"{len(ids)} deleted" if len(ids) > 1 else "deleted")


def _reply(obj: dict[str, Any]) -> HttpReply:
    """Return a 200 with a JSON body."""
    return HttpReply(200, codec.encode(obj))


if TYPE_CHECKING:
    # The client must stay a DeviceClient that takes HTTP; mypy checks it here.
    _CONFORMS: type[DeviceClient] = UnvLapiClient
    _INBOUND: type[InboundHttp] = UnvLapiClient
