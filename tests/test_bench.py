"""The benchmark's plumbing (``bench/``); its figures come from ``scripts/bench`` only.

No assertion here depends on a timing. The records the load generator sends must be what
each protocol's codec reads as one recognition of person ``b<seq>`` (else a benchmark run
would measure nothing), every implemented protocol must have an adapter, and the results of
a run must have every row for every protocol. ``tests/test_bench_smoke.py`` runs
``python -m bench --smoke`` end to end.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
from typing import Any

import pytest

from bench import report
from bench.phases import ROSTER_PROTOCOLS, Settings, make_pictures
from bench.protocols import ADAPTERS, Target
from custom_components.face_access.protocols.face_capture_http import records as capture
from custom_components.face_access.protocols.hfsecurity_mqtt import codec as hfsecurity
from custom_components.face_access.protocols.model import AccessRecord
from custom_components.face_access.protocols.temperature_http import codec as tablet
from custom_components.face_access.protocols.unv_lapi import records as unv
from custom_components.face_access.registry import PROTOCOLS

REPO = Path(__file__).resolve().parent.parent


def _decode(protocol: str, body: bytes) -> AccessRecord | None:
    """Read a load record as the protocol's client does (its codec, no Home Assistant)."""
    if protocol in ("face_terminal_mqtt", "camera_mqtt"):
        return hfsecurity.record_from_rec_push(hfsecurity.decode_envelope(body))
    if protocol == "temperature_http":
        return tablet.record_from(tablet.decode_upload(body), now=datetime.now(UTC))
    if protocol == "face_capture_http":
        return capture.record_from(json.loads(body))
    if protocol == "unv_lapi":
        return unv.record_from(json.loads(body), UTC)
    raise AssertionError(f"no decoder for {protocol}")


def test_every_protocol_has_an_adapter() -> None:
    protocols = [adapter.protocol for adapter in ADAPTERS]
    assert sorted(protocols) == sorted(PROTOCOLS)
    assert len(set(protocols)) == len(protocols)


@pytest.fixture(scope="module")
def pictures() -> Any:
    return make_pictures()


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda adapter: adapter.protocol)
def test_load_record_is_one_recognition(adapter: Any, pictures: Any) -> None:
    target = Target(adapter.device(1).device_id, webhook_path="/api/webhook/x")
    message = adapter.record(target, 1234, pictures)
    assert message.transport is adapter.transport
    record = _decode(adapter.protocol, message.body)
    assert record is not None
    assert record.kind.value == "recognized"
    assert record.person_id == adapter.person_id(1234)
    assert not record.historical
    assert record.picture is not None
    # The face is ~100 KB and, where the format has a place for it, the scene ~400 KB.
    expected = pictures.face_bytes + (pictures.scene_bytes if adapter.scene else 0)
    assert len(message.body) > expected * 4 / 3


def test_pictures_have_the_asked_sizes(pictures: Any) -> None:
    assert 90_000 < pictures.face_bytes < 110_000
    assert 360_000 < pictures.scene_bytes < 440_000


def _fake_results() -> dict[str, Any]:
    """Results shaped as a run writes them (figures made up: only the shape is tested)."""
    load = {
        "records_sent": 10,
        "events": 10,
        "lost": 0,
        "duplicated": 0,
        "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0, "max": 3.0},
        "cpu_s_per_1000": 1.0,
        "peak_rss_mb": 100.0,
        "rss_growth_mb_per_10k": 1.0,
        "max_stall_ms": 1.0,
    }
    protocols = [adapter.protocol for adapter in ADAPTERS]
    return {
        "finished": "2026-12-06T18:00:00+00:00",
        "machine": report.machine(),
        "settings": {**Settings.quick_run().__dict__},
        "pictures": {"face_bytes": 100_000, "scene_bytes": 400_000},
        "protocols": protocols,
        "errors": {},
        "ingest_memory": {
            "rss_start_mb": 200.0,
            "rss_end_mb": 201.0,
            "records_to_face_access": 20,
            "rss_growth_mb_per_10k": 1.0,
        },
        "rows": {
            "ingest": [
                {
                    "protocol": protocol,
                    "transport": "mqtt",
                    "rate": rate,
                    "integration": load,
                    "floor": load,
                    "p99_ratio": 1.0,
                    "cpu_ratio": 1.0,
                }
                for protocol in protocols
                for rate in (10.0, 50.0)
            ],
            "scale": [
                {"devices": n, "setup_seconds": 1.0, "rss_per_device_mb": 1.0, **load}
                for n in (1, 5)
            ],
            "commands": [
                {
                    "protocol": protocol,
                    "p50_ms": 1.0,
                    "p95_ms": 1.0,
                    "floor_p50_ms": 1.0,
                    "floor_p95_ms": 1.0,
                    "p50_ratio": 1.0,
                    "p95_ratio": 1.0,
                    "floor_basis": "x",
                }
                for protocol in protocols
            ],
            "enrollment": [
                {
                    "protocol": protocol,
                    "seconds": 1.0,
                    "floor_seconds": 1.0,
                    "ratio": 1.0,
                    "on_device": 3,
                    "statuses": {"enrolled": 3},
                    "floor_basis": "x",
                }
                for protocol in protocols
            ],
            "roster": [
                {
                    "protocol": protocol,
                    "people": 3,
                    "roster_before": 0,
                    "import_seconds": 0.5,
                    "first_command_seconds": 0.2,
                    "seconds": 1.0,
                    "sync_seconds": 0.8,
                    "commands": 2,
                    "batches": [[0.2, 1, 0.3], [0.6, 2, 0.9]],
                    "device_idle_seconds": 0.5,
                    "on_device": 3,
                    "floor_seconds": 1.0,
                    "ratio": 1.0,
                    "sync_ratio": 0.8,
                    "import_photo_ms": 10.0,
                    "sync_photo_ms": 5.0,
                }
                for protocol in ROSTER_PROTOCOLS
            ],
        },
    }


def assert_every_row(results: dict[str, Any]) -> None:
    """Every protocol has its ingest rows (each rate), its door and its enrolment row.

    Each roster device has its import row, with everyone imported on the device.
    """
    rows = results["rows"]
    protocols = {adapter.protocol for adapter in ADAPTERS}
    rates = set(results["settings"]["rates"])
    for rate in rates:
        assert {row["protocol"] for row in rows["ingest"] if row["rate"] == rate} == protocols
    assert {row["protocol"] for row in rows["commands"]} == protocols
    assert {row["protocol"] for row in rows["enrollment"]} == protocols
    assert [row["devices"] for row in rows["scale"]] == list(results["settings"]["scale_levels"])
    for row in rows["ingest"]:
        assert row["integration"]["records_sent"] > 0
        assert row["floor"]["records_sent"] > 0
    settings = results["settings"]
    if "roster" in settings["phases"]:
        assert [row["protocol"] for row in rows["roster"]] == list(settings["roster_protocols"])
        for row in rows["roster"]:
            assert row["on_device"] == row["people"] == settings["roster_people"]
            assert row["seconds"] is not None
            assert row["commands"] >= 1


def test_report_has_a_line_per_row(tmp_path: Path) -> None:
    results = _fake_results()
    assert_every_row(results)
    path, text = report.write(results, tmp_path)
    assert json.loads(path.read_text(encoding="utf-8"))["rows"] == results["rows"]
    for adapter in ADAPTERS:
        # An ingest line per rate, a door line, an enrolment line and maybe an import line.
        roster = adapter.protocol in ROSTER_PROTOCOLS
        assert text.count(f"| {adapter.protocol} |") == 4 + roster


def test_roster_verdict_is_the_cameras() -> None:
    results = _fake_results()
    target = report.TARGETS["roster"]
    verdict = next(item for item in report.verdicts(results) if item["target"] == target)
    assert verdict["met"] is True
    camera = next(row for row in results["rows"]["roster"] if row["protocol"] == "camera_mqtt")
    camera.update(seconds=None, on_device=1)
    verdict = next(item for item in report.verdicts(results) if item["target"] == target)
    assert verdict["met"] is False
    assert verdict["worst"].startswith("camera_mqtt (3 people): inf")


def test_verdicts_name_the_worst_figure() -> None:
    results = _fake_results()
    assert all(item["met"] for item in report.verdicts(results) if "devices" not in item["target"])
    results["rows"]["ingest"][-1]["integration"] = {
        **results["rows"]["ingest"][-1]["integration"],
        "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 80.0, "max": 90.0},
    }
    p99 = next(item for item in report.verdicts(results) if item["target"].startswith("p99"))
    assert p99["met"] is False
    assert p99["worst"] == f"{ADAPTERS[-1].protocol}: 80ms"
