"""Names the benchmark and the floor component share (``bench.hass`` imports this file)."""

from __future__ import annotations

DOMAIN = "bench_floor"
WEBHOOK_ID = "bench_floor"
FIXED_PATH = "/bench_floor/fixed"
MQTT_TOPIC = "bench/floor"
TRANSPORTS = ("mqtt", "webhook", "fixed_path")
"""One event entity per transport: ``event.bench_floor_<transport>``."""
