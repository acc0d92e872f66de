"""A pushing device that can send past records again and check its uploads, for unit tests.

A test double of the optional client protocols `CatchUpClient` and `UploadCheckClient`
(not a claim about any vendor protocol; the end-to-end tests run the real clients against
the simulators). It is registered under the `face_terminal_mqtt` key, whose traffic needs
nothing from the ingress: messages reach the coordinator through `emit`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.face_access import registry
from custom_components.face_access.const import CONF_PROTOCOL, DOMAIN
from custom_components.face_access.coordinator import FaceAccessConfigEntry
from custom_components.face_access.ingress import Inbound
from custom_components.face_access.protocols.client import DeviceClient, MessageHub
from custom_components.face_access.protocols.model import (
    AccessKind,
    AccessRecord,
    Capability,
    CommandResult,
    Connectivity,
    DeviceInfo,
    DeviceMessage,
    DeviceProfile,
    Enrollment,
    Person,
    PhotoLimits,
    Picture,
    ProtocolKey,
    UnsupportedError,
    UploadProblem,
)
from custom_components.face_access.record import FaceAccessFlowBase, ProtocolRecord

SERIAL = "FAKE-0001"
TITLE = "Fake terminal"
_LOGGER = logging.getLogger(__name__)


def record(
    record_id: str, when: datetime, *, name: str = "Ada", historical: bool = False
) -> AccessRecord:
    """Return a recognition as a client hands it over (`key` is the record ID)."""
    return AccessRecord(
        kind=AccessKind.RECOGNIZED,
        key=f"rec:{record_id}",
        record_id=record_id,
        time=when,
        person_id=f"id-{name}",
        person_name=name,
        historical=historical,
    )


@dataclass
class FakeDevice:
    """What the device keeps and how it answers.

    `kept` are the records it stores (sent again by `fetch_records` when inside the window);
    `answers` makes `fetch_records` hand them over before returning their number (a device
    that answers with its records), otherwise it pushes them later and returns None.
    `fetch_error` / `fix_error` make those commands fail. `uploads` is what `check_uploads`
    reports; `fix_keeps` what `fix_uploads` leaves wrong.
    """

    kept: list[AccessRecord] = field(default_factory=list)
    answers: bool = False
    fetch_error: Exception | None = None
    fetches: list[tuple[datetime, datetime]] = field(default_factory=list)
    uploads: list[UploadProblem] = field(default_factory=list)
    fix_error: Exception | None = None
    fix_keeps: list[UploadProblem] = field(default_factory=list)
    fixes: int = 0
    capabilities: frozenset[Capability] = frozenset(
        {Capability.ACCESS_EVENTS, Capability.CATCH_UP, Capability.UPLOAD_CHECK}
    )


class FakeClient:
    """A device that pushes its records and heartbeats (no polling)."""

    def __init__(self, device: FakeDevice) -> None:
        """Serve `device`."""
        self.device = device
        self._hub = MessageHub(_LOGGER)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def profile(self) -> DeviceProfile:
        """Return the fake's profile."""
        return DeviceProfile(
            manufacturer="Fake",
            model="Fake terminal",
            capabilities=self.device.capabilities,
            photo_limits=PhotoLimits(max_bytes=100_000, max_side=640),
        )

    @property
    def offline_after(self) -> float | None:
        """Return None: connectivity comes from the fake's messages only."""
        return None

    @property
    def poll_interval(self) -> float | None:
        """Return None: the device pushes."""
        return None

    def subscribe(self, listener: Callable[[DeviceMessage], None]) -> Callable[[], None]:
        """Subscribe to the fake's messages."""
        return self._hub.subscribe(listener)

    def emit(self, message: DeviceMessage) -> None:
        """Send a message as the device would."""
        self._hub.emit(message)

    def go_online(self) -> None:
        """Send what a device sends when it comes back."""
        self.emit(Connectivity(online=True))

    def go_offline(self) -> None:
        """Send what the device's last will says."""
        self.emit(Connectivity(online=False))

    async def start(self) -> None:
        """Start nothing."""

    async def stop(self) -> None:
        """Stop pushing what is still to push."""
        for task in self._tasks:
            task.cancel()

    def diagnostics(self) -> dict[str, Any]:
        """Return nothing of note."""
        return {}

    async def query_info(self) -> DeviceInfo:
        """Describe the device."""
        return DeviceInfo(firmware="1.0")

    async def fetch_records(self, start: datetime, end: datetime) -> int | None:
        """Send the kept records of the window again, as `historical`."""
        self.device.fetches.append((start, end))
        if self.device.fetch_error is not None:
            raise self.device.fetch_error
        replay = [
            AccessRecord(**{**_fields(kept), "historical": True})
            for kept in self.device.kept
            if kept.time is not None and start <= kept.time <= end
        ]
        if self.device.answers:
            for item in replay:
                self.emit(item)
            return len(replay)
        task = asyncio.get_running_loop().create_task(self._push(replay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    async def _push(self, replay: Sequence[AccessRecord]) -> None:
        """Push records one by one, a loop step apart, as a device re-pushes them."""
        for item in replay:
            await asyncio.sleep(0.01)
            self.emit(item)

    async def check_uploads(self) -> list[UploadProblem]:
        """Report what the device does not upload."""
        return list(self.device.uploads)

    async def fix_uploads(self) -> list[UploadProblem]:
        """Turn the uploads on; return what stays wrong."""
        self.device.fixes += 1
        if self.device.fix_error is not None:
            raise self.device.fix_error
        self.device.uploads = list(self.device.fix_keeps)
        return list(self.device.uploads)

    async def open_door(self) -> None:
        """Refuse: no door."""
        raise UnsupportedError("no door")

    async def snapshot(self) -> Picture:
        """Refuse: no camera."""
        raise UnsupportedError("no snapshot")

    async def enroll(self, enrollment: Enrollment) -> CommandResult:
        """Refuse: no people."""
        raise UnsupportedError("no enrolment")

    async def delete(self, person_ids: Sequence[str]) -> CommandResult:
        """Refuse: no people."""
        raise UnsupportedError("no deletion")

    async def delete_all(self) -> CommandResult:
        """Refuse: no people."""
        raise UnsupportedError("no deletion")

    async def list_people(self) -> list[Person]:
        """Refuse: no people."""
        raise UnsupportedError("no list")


def _fields(item: AccessRecord) -> dict[str, Any]:
    """Return a record's fields (the dataclass has slots, so no `__dict__`)."""
    return {name: getattr(item, name) for name in AccessRecord.__dataclass_fields__}


async def _no_step(flow: FaceAccessFlowBase, user_input: Any) -> ConfigFlowResult:
    raise AssertionError("not used")


async def _no_reconfigure(
    flow: FaceAccessFlowBase, entry: FaceAccessConfigEntry, user_input: Any
) -> ConfigFlowResult:
    raise AssertionError("not used")


@contextmanager
def fake_protocol(device: FakeDevice) -> Iterator[list[FakeClient]]:
    """Register the fake under `face_terminal_mqtt`; yield the clients built, newest last."""
    clients: list[FakeClient] = []

    async def _create(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> DeviceClient:
        clients.append(FakeClient(device))
        return clients[-1]

    fake = ProtocolRecord(
        key=ProtocolKey.FACE_TERMINAL_MQTT,
        title="Fake terminal {device_id}",
        inbound=Inbound.MQTT,
        async_create_client=_create,
        steps={},
        reconfigure=_no_reconfigure,
        options={"init": _no_step},
    )
    with patch.dict(registry.PROTOCOLS, {fake.key.value: fake}):
        yield clients


def fake_entry() -> MockConfigEntry:
    """Return the fake device's config entry."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=SERIAL,
        data={CONF_PROTOCOL: ProtocolKey.FACE_TERMINAL_MQTT.value},
    )
