"""Simulated devices added to the benchmark's Home Assistant, as a person adds them.

Through the config flow (``demo.runner.Demo._add_device``: menu, protocol, form), the
options flow where the protocol has options, and the webhook address the flow names, as
``scripts/demo`` does; then the device and entity IDs from the registries.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import time

from demo.checks import RunningDevice
from demo.devices import DemoDevice
from demo.runner import Demo
from simulators.base import Simulator

from .hass import BenchClient, BenchHass
from .protocols import ProtocolAdapter, Target

DOMAIN = "face_access"
SIMULATOR_START = 30.0
ANSWER_TIMEOUT = 30.0


@dataclass
class BenchDevice:
    """One simulated device in Home Assistant."""

    adapter: ProtocolAdapter
    spec: DemoDevice
    simulator: Simulator
    entry_id: str = ""
    webhook_path: str | None = None
    ha_device_id: str = ""
    entities: dict[str, str] = field(default_factory=dict)

    @property
    def target(self) -> Target:
        """Where the load generator sends this device's records."""
        return Target(self.spec.device_id, self.spec.topic_prefix, self.webhook_path)


def _starts_before_its_flow(simulator: Simulator) -> bool:
    """Tell whether a device runs before it is added: it has a server, or uses the broker."""
    return simulator.address is not None or not simulator.posts_to_webhook


async def add_device(bench: BenchHass, adapter: ProtocolAdapter, index: int) -> BenchDevice:
    """Start the simulator of ``adapter``'s device number ``index`` and add it."""
    spec = adapter.device(index)
    simulator = spec.make_simulator("127.0.0.1", bench.mqtt_port)
    device = BenchDevice(adapter, spec, simulator)
    try:
        await _add(bench, device)
    except BaseException:
        # Not in anyone's list yet: stop it here, or its threads outlive the run.
        await asyncio.to_thread(simulator.stop)
        raise
    return device


async def _add(bench: BenchHass, device: BenchDevice) -> None:
    """Start the device's simulator (when it runs first) and go through the flows."""
    assert bench.client is not None
    client = bench.client
    spec, simulator = device.spec, device.simulator
    if _starts_before_its_flow(simulator):
        await asyncio.to_thread(simulator.start, SIMULATOR_START)
    result = await Demo._add_device(client, RunningDevice(spec, simulator))
    device.entry_id = result["result"]["entry_id"]
    device.webhook_path = (result.get("description_placeholders") or {}).get("path")
    if spec.options:
        await client.set_options(device.entry_id, dict(spec.options))
    if simulator.posts_to_webhook:
        if not device.webhook_path:
            raise RuntimeError(f"no webhook address for {spec.title}")
        simulator.configure_url(f"{client.base_url}{device.webhook_path}")
        if not _starts_before_its_flow(simulator):
            await asyncio.to_thread(simulator.start)


async def find_ids(client: BenchClient, devices: list[BenchDevice]) -> None:
    """Fill in each device's Home Assistant device ID and entity IDs (by unique ID)."""
    registry = await client.devices()
    by_identifier = {
        identifier: item["id"]
        for item in registry
        for domain, identifier in item["identifiers"]
        if domain == DOMAIN
    }
    entities = await client.entities()
    for device in devices:
        device.ha_device_id = by_identifier.get(device.spec.device_id, "")
        prefix = f"{device.spec.device_id}_"
        device.entities = {
            entry["unique_id"].removeprefix(prefix): entry["entity_id"]
            for entry in entities
            if entry["platform"] == DOMAIN and entry["unique_id"].startswith(prefix)
        }
        if "access" not in device.entities:
            raise RuntimeError(f"{device.spec.title} has no access event entity")


async def wait_answered(devices: list[BenchDevice]) -> None:
    """Wait until Home Assistant answered every device (its Online, its heartbeat)."""
    for device in devices:
        await asyncio.to_thread(device.simulator.wait_answered, ANSWER_TIMEOUT)


async def reload_all(client: BenchClient, devices: list[BenchDevice]) -> float:
    """Reload every device's entry at once; return the seconds until all were set up.

    Each reload request returns when its entry is set up again, so the wall time of all
    of them together is the time Home Assistant takes to set up that many devices.
    """
    started = time.monotonic()
    await asyncio.gather(
        *(
            client.request(
                "POST", f"/api/config/config_entries/entry/{device.entry_id}/reload", seconds=120.0
            )
            for device in devices
        )
    )
    return time.monotonic() - started


async def remove(client: BenchClient, devices: list[BenchDevice]) -> None:
    """Delete the devices' entries and stop their simulators."""
    for device in devices:
        await client.remove_entry(device.entry_id)
    for device in devices:
        await asyncio.to_thread(device.simulator.stop)


async def stop_all(devices: list[BenchDevice]) -> None:
    """Stop every simulator (never raises: the run is ending)."""
    for device in devices:
        try:
            await asyncio.to_thread(device.simulator.stop)
        except Exception as err:  # noqa: BLE001 - stopping the rest matters more
            print(f"bench: stopping {device.spec.title}: {err}", flush=True)
