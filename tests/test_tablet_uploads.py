"""What the body-temperature tablet uploads, and what it sends again after an outage.

Client against the tablet simulator over real sockets: the simulator POSTs to a small
aiohttp server that hands each request to `handle_request`, as Home Assistant's webhook
does. "§6" is the document's "Pass record failure timing retransmission" (L1149-L1301),
"digest" `shared/protocols/temperature_http.md`.

The simulator's own calls (`heartbeat_now`, `push_record`) block until the tablet's POST
is answered, so they run in a thread: the answering server runs on the test's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import time
from typing import Any

from aiohttp import web
import pytest

from custom_components.face_access.protocols.model import (
    AccessRecord,
    Capability,
    DeviceMessage,
    DeviceRefusedError,
    UploadProblem,
)
from custom_components.face_access.protocols.temperature_http import TemperatureHttpClient
from simulators.temperature_http import TemperatureTabletSimulator

from .common import MemoryStore, serve_client

CID = "042071005218"
PATH = "/api/webhook/tablet-abc"


@dataclass
class TabletRig:
    """A simulated tablet, its client, and what the client passed on."""

    sim: TemperatureTabletSimulator
    client: TemperatureHttpClient
    site: Callable[[], Awaitable[None]]
    """Start Home Assistant's side again (after `down`)."""
    down: Callable[[], Awaitable[None]]
    """Stop Home Assistant's side: the tablet's POSTs fail."""
    messages: list[DeviceMessage] = field(default_factory=list)

    async def beat(self) -> int:
        """Send a heartbeat now and handle its reply (in a thread: it blocks)."""
        return await asyncio.to_thread(self.sim.heartbeat_now)

    def records(self) -> list[AccessRecord]:
        return [m for m in self.messages if isinstance(m, AccessRecord)]


type MakeTablet = Callable[..., Awaitable[TabletRig]]


async def beating(rig: TabletRig, task: Awaitable[Any]) -> Any:
    """Run a client call that waits for heartbeats, beating until it is done."""
    future = asyncio.ensure_future(task)
    while not future.done():
        await rig.beat()
        await asyncio.sleep(0.01)
    return future.result()


@pytest.fixture
async def make_tablet(socket_enabled: None) -> AsyncIterator[MakeTablet]:
    """Build rigs; the tablet beats only when a test says (`beat`), never on its own.

    `prepare(simulator)` runs before the tablet boots; keywords go to the client.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def _make(
            prepare: Callable[[TemperatureTabletSimulator], None] = lambda _sim: None,
            **client_options: Any,
        ) -> TabletRig:
            holder: list[TemperatureHttpClient] = []
            runner, site, port = await serve_client(stack, holder, PATH, path=PATH)
            current = [site]

            async def down() -> None:
                await current[0].stop()

            async def up() -> None:
                current[0] = web.TCPSite(runner, "127.0.0.1", port)
                await current[0].start()

            client = TemperatureHttpClient(
                CID,
                MemoryStore(),
                now=lambda: datetime.now().astimezone(),
                **{"confirm_timeout": 5.0, **client_options},
            )
            holder.append(client)
            sim = TemperatureTabletSimulator(
                f"http://127.0.0.1:{port}{PATH}",
                CID,
                heartbeat_interval=3600.0,
                honour_time_interval=False,
                timeout=5.0,
            )
            prepare(sim)  # as the tablet's web page left it before its boot
            rig = TabletRig(sim=sim, client=client, site=up, down=down)
            client.subscribe(rig.messages.append)
            await client.start()
            stack.push_async_callback(client.stop)
            await asyncio.to_thread(sim.start)
            stack.callback(sim.stop)
            return rig

        yield _make


async def test_the_profile_offers_the_upload_check(make_tablet: MakeTablet) -> None:
    rig = await make_tablet()

    assert Capability.UPLOAD_CHECK in rig.client.profile.capabilities
    assert Capability.CATCH_UP not in rig.client.profile.capabilities  # no query in §1-§13


async def test_a_tablet_set_as_home_assistant_needs_has_no_problem(
    make_tablet: MakeTablet,
) -> None:
    """The defaults: idle retransmission (§6 mode 2), strangers uploaded (upload_mode 2)."""
    rig = await make_tablet()

    assert await beating(rig, rig.client.check_uploads()) == []
    assert await beating(rig, rig.client.fix_uploads()) == []
    assert rig.sim.reupload == {"mode": 2, "reupload_time": "00:00:00"}


async def test_scheduled_retransmission_is_reported_and_fixed(make_tablet: MakeTablet) -> None:
    """Mode 1 re-sends missed records only at `reupload_time`; mode 2 soon after."""
    rig = await make_tablet()
    rig.sim.set_reupload(1, "03:30:00")

    assert await beating(rig, rig.client.check_uploads()) == [
        UploadProblem(setting="reupload.mode", current="1", needed="2")
    ]
    assert await beating(rig, rig.client.fix_uploads()) == []
    assert rig.sim.reupload == {"mode": 2, "reupload_time": "03:30:00"}


async def test_strangers_not_uploaded_is_reported_and_fixed(make_tablet: MakeTablet) -> None:
    """`face_cap.upload_mode` 1 uploads only enrolled people (L1859-L1865)."""
    rig = await make_tablet(prepare=lambda sim: sim.set_config("face_cap", upload_mode=1))

    assert await beating(rig, rig.client.check_uploads()) == [
        UploadProblem(setting="face_cap.upload_mode", current="1", needed="2")
    ]
    assert await beating(rig, rig.client.fix_uploads()) == []
    assert rig.sim.config["face_cap"]["upload_mode"] == 2
    # The rest of the section is as it was (a whole section is sent, digest §4.15).
    assert rig.sim.config["face_cap"]["interval"] == 3
    assert await asyncio.to_thread(rig.sim.push_stranger) == 200
    assert rig.records()


async def test_a_refused_retransmission_setting_is_an_error(make_tablet: MakeTablet) -> None:
    """Errcode 1, "Person parameter erro" (L1239-L1241, digest erratum 36)."""
    rig = await make_tablet()
    rig.sim.set_reupload(1, "25:61:00")  # a time the tablet's own page let through

    with pytest.raises(DeviceRefusedError) as refused:
        await beating(rig, rig.client.fix_uploads())
    assert refused.value.code == "1"
    assert rig.sim.reupload["mode"] == 1


async def test_records_kept_while_home_assistant_was_down_arrive_historical(
    make_tablet: MakeTablet,
) -> None:
    """§6: kept records are re-sent with their own `time`; older than 60 s is historical."""
    rig = await make_tablet()
    await rig.down()
    made = int(time.time()) - 600
    status = await asyncio.to_thread(rig.sim.push_record, None, time=made)
    assert status == 0
    assert rig.sim.failed_records == 1

    await rig.site()
    assert await asyncio.to_thread(rig.sim.resend_failed) == 1
    assert await asyncio.to_thread(rig.sim.push_stranger) == 200

    late, live = rig.records()
    assert late.historical
    assert late.time == datetime.fromtimestamp(made)
    assert not live.historical


async def test_a_tablet_back_from_offline_gets_its_clock_again(make_tablet: MakeTablet) -> None:
    """Not only at its boot: after a silence longer than `offline_after`, without reboot."""
    rig = await make_tablet(offline_after=0.5)
    for _ in range(3):
        await rig.beat()
    sets = [c for c in rig.sim.commands if "time_set" in c]
    assert len(sets) == 1

    await asyncio.sleep(0.7)
    for _ in range(3):
        await rig.beat()

    assert len([c for c in rig.sim.commands if "time_set" in c]) == 2
    assert rig.sim.reboot_count == 0
