"""How long a temperature tablet's commands take through its protocol client alone.

Row 4 of ``scripts/bench`` (``bench.floors``) uses ``measure`` as the tablet's client-only
figure beside its floor, one heartbeat period; run alone it prints the figures per period.
Over real sockets on 127.0.0.1:

The simulated tablet (simulators.temperature_http) posts to an aiohttp server that hands
every POST to the integration's TemperatureHttpClient, as Home Assistant's webhook does. For
each heartbeat period it measures, from the call to its confirmation:

- open the door: `control` in the next heartbeat reply, confirmed by the `type` 12;
- enrol a person: `facelib_manage` in the next reply, confirmed by the heartbeat after it.

    python -m bench.tablet_latency [--periods 1 5] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
import socket
import statistics
import time
from typing import Any

from aiohttp import web

from custom_components.face_access.protocols.http import HttpRequest
from custom_components.face_access.protocols.model import CommandResult, Enrollment
from custom_components.face_access.protocols.temperature_http import TemperatureHttpClient
from simulators.images import make_jpeg
from simulators.temperature_http import TemperatureTabletSimulator

CID = "0012b516a202"


class MemoryStore:
    """The queue store, in memory (Home Assistant's storage is not what is measured)."""

    def __init__(self) -> None:
        """Start empty."""
        self.data: dict[str, Any] | None = None

    async def load(self) -> dict[str, Any] | None:
        """Return what was saved."""
        return self.data

    async def save(self, data: dict[str, Any]) -> None:
        """Keep ``data``."""
        self.data = data


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def _running(
    period: int, cid: str
) -> AsyncIterator[tuple[TemperatureHttpClient, TemperatureTabletSimulator]]:
    """Yield a started client and a simulated tablet on its heartbeat period and clock."""
    client = TemperatureHttpClient(
        cid,
        MemoryStore(),
        now=lambda: datetime.now().astimezone(),
        heartbeat_interval=period,
        confirm_timeout=10 * period + 10,
    )
    await client.start()

    async def _handle(request: web.Request) -> web.Response:
        reply = await client.handle_request(
            HttpRequest(body=await request.read(), remote=request.remote)
        )
        return web.Response(status=reply.status, body=reply.body)

    app = web.Application()
    app.router.add_post("/tablet", _handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    tablet = TemperatureTabletSimulator(f"http://127.0.0.1:{port}/tablet", cid)
    try:
        await asyncio.to_thread(tablet.start)
        settled = await asyncio.to_thread(
            tablet.wait_for,
            lambda: tablet.time_interval == period and tablet.time_zone is not None,
            30.0,
        )
        assert settled, "the tablet never took the heartbeat period and the clock"
        yield client, tablet
    finally:
        await asyncio.to_thread(tablet.stop)
        await runner.cleanup()
    assert not tablet.protocol_violations, tablet.protocol_violations


async def measure(period: int, rounds: int, cid: str = CID) -> dict[str, list[float]]:
    """Return the door and enrolment latencies (s) with heartbeats every `period` s."""
    photo = make_jpeg()
    results: dict[str, list[float]] = {"open_door": [], "enroll": []}
    async with _running(period, cid) as (client, tablet):
        for number in range(rounds):
            # Each command starts at another point of the heartbeat cycle, as a user's would.
            await asyncio.sleep(period * ((number * 0.37) % 1))
            start = time.perf_counter()
            await client.open_door()
            results["open_door"].append(time.perf_counter() - start)
            await asyncio.sleep(period * ((number * 0.61 + 0.5) % 1))
            start = time.perf_counter()
            outcome = await client.enroll(
                Enrollment(person_id=f"p{number}", name="Bench", photo_jpeg=photo)
            )
            assert not outcome.pending
            results["enroll"].append(time.perf_counter() - start)
        assert tablet.unlock_count == rounds
    return results


async def measure_batch(period: int, people: int, photo: bytes, cid: str = CID) -> float:
    """Return the seconds `enroll_batch` takes to put `people` people on the tablet.

    `facelib_batch` chunks of 20 (§7): the first rides a heartbeat reply, each further one
    the reply to the previous chunk's `type` 9. The call starts at a random point of the
    heartbeat cycle, as a user's would.
    """
    enrollments = [
        Enrollment(person_id=f"b{number}", name="Bench", photo_jpeg=photo)
        for number in range(people)
    ]
    async with _running(period, cid) as (client, tablet):
        await asyncio.sleep(period * 0.5)
        start = time.perf_counter()
        outcomes = await client.enroll_batch(enrollments)
        seconds = time.perf_counter() - start
        assert len(tablet.persons) == people
    failed = [o for o in outcomes.values() if not isinstance(o, CommandResult) or o.pending]
    assert not failed, failed[0]
    return seconds


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[max(0, round(0.9 * len(ordered)) - 1)]
    return (
        f"median {statistics.median(ordered):5.2f} s   90th percentile {p90:5.2f} s"
        f"   max {ordered[-1]:5.2f} s"
    )


def main() -> None:
    """Run the measurement for each period and print one line per command."""
    parser = argparse.ArgumentParser(prog="python -m bench.tablet_latency")
    parser.add_argument("--periods", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    for period in args.periods:
        results = asyncio.run(measure(period, args.rounds))
        for command, values in results.items():
            print(f"heartbeat {period} s  {command:<9} n={len(values):<3} {_summary(values)}")


if __name__ == "__main__":
    main()
