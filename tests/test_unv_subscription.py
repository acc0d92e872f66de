"""The UNV client looking after its record subscription, against the simulated terminal.

Real sockets on 127.0.0.1: `UnvLapiClient` calls `UnvLapiSimulator` with digest auth. The
client's clock (`now`) and the terminal's (`advance_clock`) are moved by hand, so a refresh
"half an hour later" takes no time. Nobody listens at the subscriber address: the terminal's
pushes fail, which these tests do not need.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
import socket
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.face_access.protocols import model
from custom_components.face_access.protocols.unv_lapi import (
    LapiConnection,
    Subscription,
    UnvLapiClient,
)
from simulators.unv_lapi import PACS_SUBSCRIPTION_PATH, SUBSCRIPTION_PATH, UnvLapiSimulator

USER = "admin"
PASSWORD = "s3cret"
DURATION = 600


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SUBSCRIBER = ("127.0.0.1", _closed_port())


class Clock:
    """The client's `now`, moved by the test."""

    def __init__(self) -> None:
        self.time = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.time


class MemoryStore:
    """A `StateStore` in memory: what the client kept, and how often it wrote."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data = data
        self.writes = 0

    async def load(self) -> dict[str, Any] | None:
        return self.data

    async def save(self, data: dict[str, Any]) -> None:
        self.data = data
        self.writes += 1


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[ClientSession]:
    async with ClientSession() as client_session:
        yield client_session


@pytest.fixture
def make_device() -> AsyncIterator[Callable[..., UnvLapiSimulator]]:
    started: list[UnvLapiSimulator] = []

    def _make(**options: Any) -> UnvLapiSimulator:
        device = UnvLapiSimulator(
            user=USER, password=PASSWORD, resend_interval=None, timeout=0.5, **options
        )
        device.start(0)
        started.append(device)
        return device

    yield _make  # type: ignore[misc]
    for device in started:
        device.stop()
        assert device.protocol_violations == []


def _client(
    session: ClientSession, device: UnvLapiSimulator, clock: Clock, store: MemoryStore
) -> UnvLapiClient:
    return UnvLapiClient(
        device.serial,
        connection=LapiConnection(session, "127.0.0.1", device.port, USER, PASSWORD, timeout=2),
        now=clock,
        subscribe_to=SUBSCRIBER,
        duration=DURATION,
        features=frozenset(),
        store=store,
    )


def _later(clock: Clock, device: UnvLapiSimulator, seconds: float) -> None:
    """Let `seconds` pass for both the client and the terminal."""
    clock.time += timedelta(seconds=seconds)
    device.advance_clock(seconds)


def _subscription_requests(device: UnvLapiSimulator) -> list[str]:
    return [line for line in device.requests if "Subscription" in line]


async def test_the_subscription_is_refreshed_at_half_its_duration_and_never_lapses(
    session: ClientSession, make_device: Callable[..., UnvLapiSimulator]
) -> None:
    device = make_device()
    clock, store = Clock(), MemoryStore()
    client = _client(session, device, clock, store)
    await client.start()
    (sub_id,) = device.subscriptions

    _later(clock, device, DURATION * 0.4)
    await client.query_info()
    assert _subscription_requests(device) == [f"POST {SUBSCRIPTION_PATH}"]

    for _half_hour in range(6):
        _later(clock, device, DURATION / 2)
        await client.query_info()

    assert list(device.subscriptions) == [sub_id]
    assert device.subscriptions_created == 1
    assert _subscription_requests(device).count(f"PUT {SUBSCRIPTION_PATH}/{sub_id}") == 6
    assert store.data == {"id": str(sub_id), "duration": DURATION, "base": SUBSCRIPTION_PATH}
    assert store.writes == 1
    assert client.poll_interval is not None
    assert client.poll_interval <= DURATION / 4
    await client.stop()
    assert device.subscriptions == {}


async def test_an_expired_or_forgotten_subscription_is_created_again(
    session: ClientSession, make_device: Callable[..., UnvLapiSimulator]
) -> None:
    device = make_device()
    clock, store = Clock(), MemoryStore()
    client = _client(session, device, clock, store)
    await client.start()
    (first,) = device.subscriptions

    # Home Assistant was too busy to refresh: the terminal dropped the subscription.
    device.advance_clock(DURATION + 1)
    _later(clock, device, DURATION / 2)
    await client.query_info()
    (second,) = device.subscriptions
    # The terminal rebooted: it forgot every subscription.
    device.reboot()
    _later(clock, device, DURATION / 2)
    await client.query_info()
    (third,) = device.subscriptions

    assert len({first, second, third}) == 3
    assert device.subscriptions_created == 3
    assert store.data is not None
    assert store.data["id"] == str(third)
    await client.stop()


async def test_after_the_terminal_was_away_the_subscription_is_checked_at_once(
    session: ClientSession, make_device: Callable[..., UnvLapiSimulator]
) -> None:
    device = make_device()
    clock, store = Clock(), MemoryStore()
    client = _client(session, device, clock, store)
    await client.start()

    # A power cut: the terminal is away, then back without its subscription.
    device.stop()
    with pytest.raises(model.FaceAccessError):
        await client.query_info()
    device.reboot()
    device.start(0)
    _later(clock, device, 60)
    await client.query_info()

    assert len(device.subscriptions) == 1
    assert device.subscriptions_created == 2
    await client.stop()


async def test_already_subscribed_refreshes_the_kept_subscription(
    session: ClientSession, make_device: Callable[..., UnvLapiSimulator]
) -> None:
    device = make_device()
    clock = Clock()
    # Home Assistant stopped without deleting its subscription (a crash, a power cut).
    async with ClientSession() as other:
        before = await LapiConnection(other, "127.0.0.1", device.port, USER, PASSWORD).subscribe(
            *SUBSCRIBER, 60
        )
    store = MemoryStore(before.saved())
    device.advance_clock(50)

    client = _client(session, device, clock, store)
    await client.start()
    device.advance_clock(30)

    assert list(device.subscriptions) == [int(before.id)]
    assert device.subscriptions_created == 1
    assert f"PUT {SUBSCRIPTION_PATH}/{before.id}" in device.requests
    assert client.subscription is not None
    assert client.subscription.id == before.id
    await client.stop()


async def test_already_subscribed_without_a_kept_id_waits_for_the_old_one(
    session: ClientSession, make_device: Callable[..., UnvLapiSimulator]
) -> None:
    device = make_device()
    clock = Clock()
    async with ClientSession() as other:
        await LapiConnection(other, "127.0.0.1", device.port, USER, PASSWORD).subscribe(
            *SUBSCRIBER, 60
        )

    client = _client(session, device, clock, MemoryStore())
    await client.start()
    assert client.subscription is None
    # The old one (60 s) is gone by the time the client asks again (its own duration).
    _later(clock, device, DURATION)
    await client.query_info()

    assert client.subscription is not None
    assert device.subscriptions_created == 2
    await client.stop()


async def test_a_terminal_with_only_the_pacs_path_is_subscribed_there(
    session: ClientSession, make_device: Callable[..., UnvLapiSimulator]
) -> None:
    device = make_device(subscription_api="pacs")
    clock, store = Clock(), MemoryStore()
    client = _client(session, device, clock, store)
    await client.start()
    (sub_id,) = device.subscriptions
    _later(clock, device, DURATION / 2)
    await client.query_info()
    await client.stop()

    assert device.subscriptions == {}
    assert _subscription_requests(device) == [
        f"POST {SUBSCRIPTION_PATH}",
        f"POST {PACS_SUBSCRIPTION_PATH}",
        f"PUT {PACS_SUBSCRIPTION_PATH}/{sub_id}",
        f"DELETE {PACS_SUBSCRIPTION_PATH}/{sub_id}",
    ]
    assert store.data is not None
    assert store.data["base"] == PACS_SUBSCRIPTION_PATH


@pytest.mark.parametrize(
    "saved",
    [None, {}, {"id": "x", "duration": 60}, {"id": 3, "duration": 60, "base": "/elsewhere"}],
)
def test_a_kept_subscription_that_makes_no_sense_is_ignored(saved: Any) -> None:
    assert Subscription.from_saved(saved) is None


def test_a_kept_subscription_reads_back() -> None:
    kept = Subscription("1000", 10**6, base=PACS_SUBSCRIPTION_PATH)

    assert Subscription.from_saved(kept.saved()) == Subscription(
        "1000", 3600, base=PACS_SUBSCRIPTION_PATH
    )
