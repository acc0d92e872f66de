"""The protocol contract seen from Home Assistant, with a protocol that exists only here.

A fake client (a unit-test double, not a claim that any vendor protocol works) is registered
under the `unv_lapi` key, which is planned and not yet implemented: a device that Home
Assistant polls for connectivity, that posts records to a fixed path, and whose password can
stop working. What these tests show is what any protocol gets by adding a registry record:
its fixed-path view, polled connectivity, and a re-authentication flow on a refused password.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
import json
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_HOST, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access import registry
from custom_components.face_access.const import DOMAIN
from custom_components.face_access.coordinator import FaceAccessConfigEntry
from custom_components.face_access.ingress import FixedPath, Inbound
from custom_components.face_access.protocols.client import DeviceClient, MessageHub
from custom_components.face_access.protocols.http import HttpReply, HttpRequest
from custom_components.face_access.protocols.model import (
    AccessKind,
    AccessRecord,
    AuthenticationError,
    Capability,
    CommandResult,
    DeviceInfo,
    DeviceProfile,
    DeviceTimeoutError,
    Enrollment,
    Person,
    PhotoLimits,
    Picture,
    ProtocolKey,
    UnsupportedError,
)
from custom_components.face_access.record import FaceAccessFlowBase, ProtocolRecord

SERIAL = "210235C3EU3191000013"
PATH = "/LAPI/V1.0/System/Event/Notification/PersonVerification"
POLL = 30.0

_LOGGER = logging.getLogger(__name__)


class FakeClient:
    """A device polled for connectivity that posts records to a fixed path."""

    def __init__(self) -> None:
        self._hub = MessageHub(_LOGGER)
        self.info: DeviceInfo | Exception = DeviceInfo(firmware="1.0", model="fake")
        self.start_error: Exception | None = None
        self.requests: list[HttpRequest] = []

    @property
    def profile(self) -> DeviceProfile:
        return DeviceProfile(
            manufacturer="Fake",
            model="Fake terminal",
            capabilities=frozenset({Capability.ACCESS_EVENTS}),
            photo_limits=PhotoLimits(max_bytes=100_000, max_side=640),
        )

    @property
    def offline_after(self) -> float | None:
        return None

    @property
    def poll_interval(self) -> float | None:
        return POLL

    @property
    def connected_once(self) -> bool:
        return bool(self.requests)

    def subscribe(self, listener: Callable[[Any], None]) -> Callable[[], None]:
        return self._hub.subscribe(listener)

    async def start(self) -> None:
        if self.start_error is not None:
            raise self.start_error

    async def stop(self) -> None:
        pass

    def diagnostics(self) -> dict[str, Any]:
        return {"requests": len(self.requests)}

    async def query_info(self) -> DeviceInfo:
        if isinstance(self.info, Exception):
            raise self.info
        return self.info

    async def handle_request(self, request: HttpRequest) -> HttpReply:
        self.requests.append(request)
        record = json.loads(request.body)
        self._hub.emit(
            AccessRecord(
                kind=AccessKind.RECOGNIZED,
                key=str(record["RecordID"]),
                record_id=str(record["RecordID"]),
                person_id=str(record["PersonID"]),
            )
        )
        return HttpReply(200, b'{"Response": {"StatusCode": 0}}')

    async def open_door(self) -> None:
        raise UnsupportedError("no door")

    async def snapshot(self) -> Picture:
        raise UnsupportedError("no snapshot")

    async def enroll(self, enrollment: Enrollment) -> CommandResult:
        raise UnsupportedError("no enrolment")

    async def delete(self, person_ids: Sequence[str]) -> CommandResult:
        raise UnsupportedError("no deletion")

    async def delete_all(self) -> CommandResult:
        raise UnsupportedError("no deletion")

    async def list_people(self) -> list[Person]:
        raise UnsupportedError("no list")


def _serial_of(request: HttpRequest) -> str | None:
    try:
        return str(json.loads(request.body)["DeviceCode"])
    except (ValueError, KeyError, TypeError):
        return None


async def _reconfigure(
    flow: FaceAccessFlowBase, entry: FaceAccessConfigEntry, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    return flow.async_show_form(step_id="reconfigure")


async def _no_step(flow: Any, user_input: Any) -> ConfigFlowResult:
    raise AssertionError("not used")


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture(autouse=True)
def fake_protocol(client: FakeClient) -> Iterator[None]:
    async def _create(hass: HomeAssistant, entry: FaceAccessConfigEntry) -> DeviceClient:
        return client

    record = ProtocolRecord(
        key=ProtocolKey.UNV_LAPI,
        title="Fake terminal {device_id}",
        inbound=Inbound.FIXED_PATH,
        fixed_path=FixedPath(paths=(PATH,), serial_of=_serial_of),
        async_create_client=_create,
        steps={},
        reconfigure=_reconfigure,
        options={"init": _no_step},
    )
    with patch.dict(registry.PROTOCOLS, {record.key.value: record}):
        yield


def _entry(host: str = "127.0.0.1") -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Fake terminal",
        unique_id=SERIAL,
        data={"protocol": "unv_lapi", CONF_HOST: host},
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _entity(hass: HomeAssistant, platform: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{SERIAL}_{key}")
    assert entity_id is not None
    return entity_id


def _record(serial: str = SERIAL, record_id: int = 7) -> str:
    return json.dumps({"DeviceCode": serial, "RecordID": record_id, "PersonID": 12})


async def test_fixed_path_reaches_the_device_of_that_serial(
    hass: HomeAssistant, client: FakeClient, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = _entry()
    await _setup(hass, entry)
    events = async_capture_events(hass, "state_changed")
    http = await hass_client_no_auth()

    response = await http.post(PATH, data=_record(), headers={"Content-Type": "text/plain"})

    assert response.status == 200
    assert await response.json() == {"Response": {"StatusCode": 0}}
    assert [request.path for request in client.requests] == [PATH]
    assert client.requests[0].content_type == "text/plain"
    access = _entity(hass, "event", "access")
    assert [
        e.data["new_state"].attributes["event_type"]
        for e in events
        if e.data["entity_id"] == access
    ] == ["recognized"]


async def test_fixed_path_refuses_unknown_serials_other_hosts_and_big_bodies(
    hass: HomeAssistant, client: FakeClient, hass_client_no_auth: ClientSessionGenerator
) -> None:
    await _setup(hass, _entry(host="192.0.2.10"))
    http = await hass_client_no_auth()

    unknown = await http.post(PATH, data=_record(serial="another"))
    elsewhere = await http.post(PATH, data=_record())
    garbage = await http.post(PATH, data=b"\xff not json")
    huge = await http.post(PATH, data=b"x" * (4 * 1024 * 1024 + 1))

    assert (unknown.status, elsewhere.status, garbage.status, huge.status) == (404, 403, 404, 413)
    assert client.requests == []
    state = hass.states.get(_entity(hass, "event", "access"))
    assert state is not None
    assert state.attributes.get("event_type") is None


async def test_a_polled_device_goes_offline_and_back(
    hass: HomeAssistant, client: FakeClient, freezer: FrozenDateTimeFactory
) -> None:
    await _setup(hass, _entry())
    online = _entity(hass, "binary_sensor", "online")
    assert hass.states.get(online).state == STATE_ON

    client.info = DeviceTimeoutError("no answer")
    freezer.tick(timedelta(seconds=POLL + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(online).state == STATE_OFF

    client.info = DeviceInfo(firmware="1.1")
    freezer.tick(timedelta(seconds=POLL + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(online).state == STATE_ON


async def test_a_refused_password_while_polling_starts_reauth(
    hass: HomeAssistant, client: FakeClient, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry()
    await _setup(hass, entry)

    client.info = AuthenticationError("401")
    freezer.tick(timedelta(seconds=POLL + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_a_refused_password_at_set_up_starts_reauth(
    hass: HomeAssistant, client: FakeClient
) -> None:
    client.start_error = AuthenticationError("401")
    entry = _entry()
    await _setup(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_a_device_that_cannot_start_is_retried(
    hass: HomeAssistant, client: FakeClient
) -> None:
    client.start_error = DeviceTimeoutError("no answer")
    entry = _entry()
    await _setup(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
