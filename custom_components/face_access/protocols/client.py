"""The interface every protocol client offers to its owner, and the transports it is given.

Nothing here knows a vendor. A client is built from its settings alone, before anyone listens
to it; its owner then `subscribe`s to its messages and calls `start`. Inbound traffic reaches
the client through the transport its protocol uses: an injected `MqttTransport` (the client
subscribes itself), or `InboundHttp.handle_request` called by the owner's HTTP server for
every request the device sends (webhook or fixed path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
import logging
from typing import Any, Protocol, runtime_checkable

from .http import HttpReply, HttpRequest
from .model import (
    Capability,
    CommandResult,
    DeviceInfo,
    DeviceMessage,
    DeviceProfile,
    Enrollment,
    FaceAccessError,
    MessageCallback,
    Person,
    Picture,
    SettingKey,
    Settings,
    SettingValue,
    UploadProblem,
)


class DeviceClient(Protocol):
    """One device, whatever its protocol.

    Every command raises `DeviceTimeoutError` when the device does not answer in time,
    `DeviceRefusedError` (with the device's reason) when it refuses, `InvalidRequestError`
    when the request breaks the protocol's limits, `UnsupportedError` when the protocol
    cannot do it at all and `AuthenticationError` when the device refuses our credentials.
    """

    @property
    def profile(self) -> DeviceProfile:
        """Return what the device is and can do (known before it is asked anything)."""
        ...

    @property
    def offline_after(self) -> float | None:
        """Return after how many seconds without a message the device counts as offline.

        None for a device that never pushes (its owner polls `query_info` instead).
        """
        ...

    @property
    def poll_interval(self) -> float | None:
        """Return how often, in seconds, the owner should call `query_info`.

        That is how the owner sees the device is reachable; None where the protocol's own
        pushes tell (heartbeats).
        """
        ...

    def subscribe(self, listener: MessageCallback) -> Callable[[], None]:
        """Call `listener` with every inbound model message; return the unsubscriber."""
        ...

    async def start(self) -> None:
        """Begin receiving (subscribe, load saved state, ...)."""

    async def stop(self) -> None:
        """Stop receiving and cancel everything under way."""

    def diagnostics(self) -> dict[str, Any]:
        """Return the protocol's own state for diagnostics: counts and flags.

        Never a name, an ID number, a picture or a credential.
        """
        ...

    async def query_info(self) -> DeviceInfo:
        """Ask the device about itself."""
        ...

    async def open_door(self) -> None:
        """Open the door (pulse the relay)."""

    async def snapshot(self) -> Picture:
        """Capture the scene now; the picture is returned undecoded."""
        ...

    async def enroll(self, enrollment: Enrollment) -> CommandResult:
        """Add or replace one person."""
        ...

    async def delete(self, person_ids: Sequence[str]) -> CommandResult:
        """Delete people by their IDs."""
        ...

    async def delete_all(self) -> CommandResult:
        """Delete everyone."""
        ...

    async def list_people(self) -> list[Person]:
        """Return everyone stored on the device."""
        ...


@runtime_checkable
class SettingsClient(Protocol):
    """A client whose device has settings and a restart (`Capability.SETTINGS`, `REBOOT`).

    Optional: a protocol offers it where its document has the operations. Errors as for
    `DeviceClient`; a refused write raises `DeviceRefusedError` with the device's reason.
    """

    async def read_settings(self) -> Settings:
        """Ask the device for every setting it has; return those it reported.

        A group of settings the device does not answer for is left out (not an error);
        raises DeviceTimeoutError only when the device answers none.
        """
        ...

    async def write_setting(self, key: SettingKey, value: SettingValue) -> Settings:
        """Set one setting, read it back and return the settings read back with it.

        Raises InvalidRequestError for a value the setting cannot take (or a key the device
        does not have), DeviceRefusedError when the device refuses or keeps another value.
        """
        ...

    async def reboot(self) -> None:
        """Restart the device; it goes offline and comes back by itself."""


@runtime_checkable
class UploadCheckClient(Protocol):
    """A client that can read and fix what its device uploads (`Capability.UPLOAD_CHECK`).

    Optional: a protocol offers it where its document lets the platform read the device's
    upload configuration (`GetMQTTconfig`, `request app params`, ...). Errors as for
    `DeviceClient`.
    """

    async def check_uploads(self) -> list[UploadProblem]:
        """Read the device's upload configuration; return each setting that is not as needed.

        An empty list means the device sends everything Home Assistant needs.
        """
        ...

    async def fix_uploads(self) -> list[UploadProblem]:
        """Set what `check_uploads` reports, read it back and return what is still not right.

        Raises DeviceRefusedError with the device's reason when it refuses the change.
        """
        ...


@runtime_checkable
class CatchUpClient(Protocol):
    """A client whose device can send the records of a past window again (`Capability.CATCH_UP`).

    Optional: a protocol offers it where its document has a way to ask for them
    (`ManualPushRecords`, `request records`, ...). Errors as for `DeviceClient`.
    """

    async def fetch_records(self, start: datetime, end: datetime) -> int | None:
        """Ask the device for its records between `start` and `end` (device-local, naive).

        They reach the client's listeners as ordinary messages with `historical` set: before
        this returns for a device that answers with the records (the number is returned),
        after it for a device that pushes them again on its own (None: it does not say how
        many). Copies of records already seen carry their usual `key`, so the owner can
        drop them.
        """
        ...


type BatchOutcome = dict[str, CommandResult | FaceAccessError]
"""What `BatchEnrollClient.enroll_batch` returns: each person ID's result or error."""


@runtime_checkable
class BatchEnrollClient(Protocol):
    """A client whose device takes many people in one exchange (`Capability.BATCH_ENROLL`).

    Optional: a protocol offers it where its document has a batch operation: face terminal
    and camera `EditPersonsNew` (face_terminal_mqtt digest §4.13/§4.14, camera_mqtt digest
    §4.9), the tablet's `facelib_batch` (temperature_http digest §7). Its owner still calls
    `DeviceClient.enroll` for a single person.
    """

    @property
    def batch_size(self) -> int:
        """Return the most people one exchange takes (1000 for `EditPersonsNew`, 20 ...).

        `enroll_batch` splits longer lists itself; an owner that serves photos at expiring
        URLs hands it this many at a time, so that no URL expires while it waits its turn.
        """
        ...

    @property
    def batch_needs_urls(self) -> bool:
        """Return whether the device downloads each photo from a URL (`picURI`).

        True: `enroll_batch` needs a URL for every person (the photo bytes are not sent;
        MQTT batches carry no base64, face_terminal_mqtt digest §4.13). False: the photos
        travel in the batch and `photo_urls` is ignored.
        """
        ...

    async def enroll_batch(
        self,
        enrollments: Sequence[Enrollment],
        photo_urls: Mapping[str, str] | None = None,
    ) -> BatchOutcome:
        """Add or replace every person of `enrollments`; return each person ID's outcome.

        `photo_urls` maps a person ID to the http(s) URL its photo (`Enrollment.photo_jpeg`,
        already normalised) is served at; needed when `batch_needs_urls`. The outcome of a
        person is a `CommandResult` (`pending` as for `enroll`) or the error `enroll` would
        have raised: InvalidRequestError (limits, no URL), DeviceRefusedError with the
        device's per-person code, DeviceTimeoutError for the people of an exchange the
        device did not answer (the people after them are then not sent and get the same
        error). Never raises for one person's failure.
        """
        ...


def capable[T](client: DeviceClient, kind: type[T], capability: Capability) -> T | None:
    """Return `client` as the optional protocol `kind` where its profile has `capability`.

    The one way the owner asks for an optional part of the contract (`SettingsClient`,
    `UploadCheckClient`, `CatchUpClient`, `BatchEnrollClient`): a client offers it by
    implementing it and declaring its capability. None where either is missing.
    """
    if isinstance(client, kind) and capability in client.profile.capabilities:
        return client
    return None


class StateStore(Protocol):
    """Where a client keeps JSON-safe state across restarts (a command queue, a subscription)."""

    async def load(self) -> dict[str, Any] | None:
        """Return what was saved last, or None."""
        ...

    async def save(self, data: dict[str, Any]) -> None:
        """Keep `data` durably before returning."""


@runtime_checkable
class InboundHttp(Protocol):
    """A client whose device sends it HTTP requests (records, heartbeats, long polls).

    The owner reads the request within a body limit (`http.MAX_BODY_BYTES`) and
    sends back the reply exactly as returned; the client never raises from here.
    """

    @property
    def connected_once(self) -> bool:
        """Return whether the device has ever called (kept across restarts).

        One that never did is probably not yet told where to call, and its owner says so.
        """
        ...

    async def handle_request(self, request: HttpRequest) -> HttpReply:
        """Answer one request of the device."""
        ...


class MqttTransport(Protocol):
    """The MQTT connection a client is given (Home Assistant's MQTT integration in practice).

    `subscribe` returns a function that unsubscribes; `publish` sends with QoS 1, not retained.
    """

    async def subscribe(
        self, topic: str, callback: Callable[[str, str | bytes | bytearray], None]
    ) -> Callable[[], None]:
        """Subscribe `callback(topic, payload)` to a topic filter."""
        ...

    async def publish(self, topic: str, payload: str) -> None:
        """Publish one message."""


class MessageHub:
    """The `subscribe` half of `DeviceClient`, shared by every client.

    `emit` hands a message to each listener; a listener that raises is logged and does not
    keep the message from the others or the client from acknowledging it.
    """

    def __init__(self, logger: logging.Logger) -> None:
        """Start without listeners; a failing listener is logged to `logger` (the protocol's)."""
        self._listeners: list[MessageCallback] = []
        self._logger = logger

    def subscribe(self, listener: MessageCallback) -> Callable[[], None]:
        """Call `listener` with every message from now on; return the unsubscriber."""
        self._listeners.append(listener)

        def _unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return _unsubscribe

    def emit(self, message: DeviceMessage) -> None:
        """Hand `message` to every listener."""
        for listener in list(self._listeners):
            try:
                listener(message)
            except Exception:
                self._logger.exception("A listener failed on a %s", type(message).__name__)
