"""The results: machine facts, the raw rows as JSON, and the tables in Markdown.

``bench/results/<date>-<host>.json`` and ``.md`` keep every figure; the Markdown is also
printed and written to ``/tmp/readme_bench.md`` for README.md, with the targets of
issue 14 (and issue 16's roster import) beside the measured figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
import json
import os
from pathlib import Path
import platform
import socket
import subprocess
import sys
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
README_SNIPPET = Path("/tmp/readme_bench.md")
REPO = Path(__file__).resolve().parent.parent

TARGETS: Mapping[str, str] = {
    "p99": "p99 ≤ 50 ms at 50 records/s on every transport",
    "cpu": "CPU per record ≤ 1.5 × the floor",
    "loss": "no record lost or duplicated",
    "stall": "no event-loop stall over 20 ms",
    "rss": "RSS growth under 20 MB per 10,000 records",
    "scale": "50 devices set up in under 10 s, under 2 MB per device",
    "door": "door round trip within 1.2 × the protocol floor",
    "enroll": "enrollment within 1.1 × the protocol floor",
    "roster": "200 imported people reach a camera within 1.1 × its protocol floor",
}


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine() -> dict[str, Any]:
    """Return the facts that make figures comparable: CPU, memory, versions, commit, load."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    try:
        ha_version = metadata.version("homeassistant")
    except metadata.PackageNotFoundError:
        ha_version = "?"
    return {
        "host": socket.gethostname(),
        "cpu_model": cpu,
        "cpu_cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "home_assistant": ha_version,
        "commit": _git("rev-parse", "HEAD"),
        "working_tree_dirty": bool(_git("status", "--porcelain")),
        "load_average_at_start": list(os.getloadavg()),
        "kernel": platform.release(),
    }


def _worst(values: Sequence[tuple[str, float | None]]) -> tuple[str, float] | None:
    known = [(label, value) for label, value in values if value is not None]
    return max(known, key=lambda item: item[1]) if known else None


def verdicts(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return, per target of issue 14, whether the run met it and its worst figure."""
    rows = results["rows"]
    ingest = rows.get("ingest", [])
    top = max((row["rate"] for row in ingest), default=None)
    fa = [(f"{row['protocol']} {row['rate']:g}/s", row["integration"]) for row in ingest]
    # The scale phase's runs count too: they are Face Access under the same load.
    fa += [(f"{row['devices']} devices", row) for row in rows.get("scale", [])]
    checks: list[tuple[str, list[tuple[str, float | None]], float, str]] = [
        (
            "p99",
            [
                (f"{row['protocol']}", row["integration"]["latency_ms"]["p99"])
                for row in ingest
                if row["rate"] == top
            ],
            50.0,
            "ms",
        ),
        (
            "cpu",
            [(f"{row['protocol']} {row['rate']:g}/s", row["cpu_ratio"]) for row in ingest],
            1.5,
            "×",
        ),
        ("loss", [(label, float(x["lost"] + x["duplicated"])) for label, x in fa], 0.0, " records"),
        ("stall", [(label, x["max_stall_ms"]) for label, x in fa], 20.0, "ms"),
        (
            "rss",
            [
                (
                    "whole ingest phase",
                    (results.get("ingest_memory") or {}).get("rss_growth_mb_per_10k"),
                )
            ],
            20.0,
            " MB/10k",
        ),
        (
            "door",
            [
                (row["protocol"], row.get("p95_ratio"))
                for row in rows.get("commands", [])
                if row.get("applicable", True)
            ],
            1.2,
            "× (p95)",
        ),
        (
            "enroll",
            [(row["protocol"], row["ratio"]) for row in rows.get("enrollment", [])],
            1.1,
            "×",
        ),
        (
            "roster",
            [
                (f"{row['protocol']} ({row['people']} people)", _not_there(row))
                for row in rows.get("roster", [])
                if row["protocol"] == "camera_mqtt"
            ],
            1.1,
            "× (call → all on the device)",
        ),
    ]
    out = []
    for key, values, limit, unit in checks:
        worst = _worst(values)
        out.append(
            {
                "target": TARGETS[key],
                "met": None if worst is None else worst[1] <= limit,
                "worst": None if worst is None else f"{worst[0]}: {worst[1]:g}{unit}",
            }
        )
    biggest = max(rows.get("scale", []), key=lambda row: row["devices"], default=None)
    if biggest is not None:
        met = biggest["setup_seconds"] < 10 and biggest["rss_per_device_mb"] < 2
        out.append(
            {
                "target": TARGETS["scale"],
                "met": met if biggest["devices"] >= 50 else None,
                "worst": f"{biggest['devices']} devices: set-up {biggest['setup_seconds']:g} s, "
                f"{biggest['rss_per_device_mb']:g} MB per device",
            }
        )
    return out


def _not_there(row: Mapping[str, Any]) -> float | None:
    """Return a roster row's ratio; infinity when the people never all got there."""
    if row.get("seconds") is None:
        return float("inf")
    ratio: float | None = row.get("ratio")
    return ratio


def _cell(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:g}"
    return f"{value}{unit}"


def _ratio(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def markdown(results: Mapping[str, Any]) -> str:
    """Return the tables of a run, with the targets beside them."""
    info = results["machine"]
    settings = results["settings"]
    rows = results["rows"]
    pictures = results.get("pictures") or {"face_bytes": 0, "scene_bytes": 0}
    out = [
        f"Measured {results['finished'][:16].replace('T', ' ')} UTC on {info['cpu_model']} "
        f"({info['cpu_cores']} cores, {info['memory_gb']} GB), Python {info['python']}, "
        f"Home Assistant {info['home_assistant']}, commit {info['commit'][:10]}"
        f"{' (modified)' if info['working_tree_dirty'] else ''}"
        f"{'; QUICK smoke run, figures meaningless' if settings['quick'] else ''}. "
        f"Load average at start {info['load_average_at_start'][0]:.2f}.",
        "",
        f"**Push ingest** ({settings['ingest_seconds']:g} s per rate; face "
        f"{pictures['face_bytes'] // 1000} KB, scene "
        f"{pictures['scene_bytes'] // 1000} KB where the format has one). "
        "Latency: send → `access` event state change; floor = `bench_floor`, same bytes, "
        "same transport. Targets: "
        + "; ".join(TARGETS[key] for key in ("p99", "cpu", "loss", "stall", "rss"))
        + ".",
        "",
    ]
    ingest = []
    for row in rows.get("ingest", []):
        fa, fl = row["integration"], row["floor"]
        ingest.append(
            [
                row["protocol"],
                row["transport"],
                f"{row['rate']:g}/s",
                f"{_cell(fa['latency_ms']['p50'])} / {_cell(fa['latency_ms']['p95'])} / "
                f"{_cell(fa['latency_ms']['p99'])}",
                _cell(fl["latency_ms"]["p99"]),
                _ratio(row["p99_ratio"]),
                f"{fa['lost']} / {fa['duplicated']}",
                f"{_cell(fa['cpu_s_per_1000'])} ({_cell(fl['cpu_s_per_1000'])})",
                _ratio(row["cpu_ratio"]),
                _cell(fa["peak_rss_mb"]),
                _cell(fa["rss_growth_mb_per_10k"]),
                f"{_cell(fa['max_stall_ms'])} ({_cell(fl['max_stall_ms'])})",
                f"{_cell(fa.get('gc_max_ms'))} ({_cell(fl.get('gc_max_ms'))})",
                f"{_cell(fa.get('loop_cpu_wait_ms'))} ({_cell(fl.get('loop_cpu_wait_ms'))})",
            ]
        )
    out += _table(
        [
            "protocol",
            "transport",
            "rate",
            "p50 / p95 / p99 ms",
            "floor p99 ms",
            "p99 vs floor",
            "lost / dup",
            "CPU s per 1000 (floor)",
            "CPU vs floor",
            "peak RSS MB",
            "RSS growth MB per 10k",
            "max stall ms (floor)",
            "longest GC ms (floor)",
            "loop waited for a CPU ms (floor)",
        ],
        ingest,
    )
    collections = [
        run["full_collection_before_ms"]
        for row in rows.get("ingest", [])
        for run in (row["integration"], row["floor"])
        if run.get("full_collection_before_ms") is not None
    ]
    if collections:
        out += [
            "",
            "Each run starts after a full garbage collection of Home Assistant's heap, so that one "
            "falling due does not land in one run by chance; a full collection took "
            f"{min(collections):g}–{max(collections):g} ms here, a pause every integration on "
            'this instance sees when one comes due. "Loop waited for a CPU" is the time Home '
            "Assistant's event-loop thread was ready to run while other processes had the cores.",
        ]
    memory = results.get("ingest_memory") or {}
    if memory:
        out += [
            "",
            f"RSS over the whole ingest phase: {memory['rss_start_mb']:g} → "
            f"{memory['rss_end_mb']:g} MB for {memory['records_to_face_access']} records to "
            f"Face Access (and as many to the floor): {memory['rss_growth_mb_per_10k']:g} MB "
            "per 10,000 records. The per-row growth above is one short run's, mostly noise.",
        ]
    out += [
        "",
        f"**Scale in devices** (mixed protocols; ingest {settings['scale_rate']:g}/s over "
        f"all). Target: {TARGETS['scale']}.",
        "",
    ]
    out += _table(
        [
            "devices",
            "added (flows) s",
            "set-up (reload all) s",
            "RSS per device MB (marginal)",
            "p50 / p99 ms",
            "lost / dup",
            "CPU s per 1000",
            "max stall ms",
        ],
        [
            [
                str(row["devices"]),
                _cell(row.get("add_seconds")),
                _cell(row["setup_seconds"]),
                f"{_cell(row['rss_per_device_mb'])} "
                f"({_cell(row.get('rss_marginal_per_device_mb'))})",
                f"{_cell(row['latency_ms']['p50'])} / {_cell(row['latency_ms']['p99'])}",
                f"{row['lost']} / {row['duplicated']}",
                _cell(row["cpu_s_per_1000"]),
                _cell(row["max_stall_ms"]),
            ]
            for row in rows.get("scale", [])
        ],
    )
    out += [
        "",
        f"**Door round trip** (button press → simulator opens; {settings['door_rounds']} "
        f"rounds). Target: {TARGETS['door']}.",
        "",
    ]
    out += _table(
        ["protocol", "p50 / p95 ms", "floor p50 / p95 ms", "vs floor (p50 / p95)", "floor"],
        [
            [
                row["protocol"],
                f"{_cell(row['p50_ms'])} / {_cell(row['p95_ms'])}",
                f"{_cell(row['floor_p50_ms'])} / {_cell(row['floor_p95_ms'])}",
                f"{_ratio(row['p50_ratio'])} / {_ratio(row['p95_ratio'])}",
                row["floor_basis"],
            ]
            if row.get("applicable", True)
            else [row["protocol"], "–", "–", "–", row["floor_basis"]]
            for row in rows.get("commands", [])
        ],
    )
    out += [
        "",
        f"**Enrollment** (through `batch_enroll.async_enroll_many`, the roster sync's path: "
        f"batches where the protocol has them, {settings['enroll_people']} people, all "
        f"protocols at once). Target: {TARGETS['enroll']}.",
        "",
    ]
    out += _table(
        ["protocol", "wall s", "floor s", "vs floor", "on device", "answers", "floor"],
        [
            [
                row["protocol"],
                _cell(row["seconds"]),
                _cell(row["floor_seconds"]),
                _ratio(row["ratio"]),
                str(row["on_device"]),
                ", ".join(f"{key} {value}" for key, value in sorted(row["statuses"].items())),
                row["floor_basis"],
            ]
            for row in rows.get("enrollment", [])
        ],
    )
    if rows.get("roster"):
        out += [
            "",
            "**Roster import** (`face_access.import_people`: a folder of photos and "
            "`people.csv`, the device as the only terminal; the roster sync puts them on it "
            "through `async_enroll_many`). Times from the call: the import's answer, the "
            "sync's first people command, everyone on the device; sync = first command → "
            "everyone; device idle = before the first command and between a batch's answer "
            f"and the next command. Target: {TARGETS['roster']}.",
            "",
        ]
        out += _table(
            [
                "protocol",
                "people (roster before)",
                "import s",
                "first command s",
                "all on device s",
                "sync s",
                "commands",
                "device idle s",
                "floor s",
                "vs floor (all / sync)",
                "photo ms (import + sync)",
                "HA CPU s",
            ],
            [
                [
                    row["protocol"],
                    f"{row['on_device']}/{row['people']} ({_cell(row.get('roster_before'))})",
                    _cell(row["import_seconds"]),
                    _cell(row["first_command_seconds"]),
                    _cell(row["seconds"]),
                    _cell(row["sync_seconds"]),
                    str(row["commands"]),
                    _cell(row.get("device_idle_seconds")),
                    _cell(row["floor_seconds"]),
                    f"{_ratio(row['ratio'])} / {_ratio(row['sync_ratio'])}",
                    f"{_cell(row['import_photo_ms'])} + {_cell(row['sync_photo_ms'])}",
                    _cell(row.get("ha_cpu_seconds")),
                ]
                for row in rows["roster"]
            ],
        )
    out += ["", "**Targets**", ""]
    out += _table(
        ["target", "met", "worst figure"],
        [
            [
                item["target"],
                {True: "yes", False: "**no**", None: "–"}[item["met"]],
                item["worst"] or "–",
            ]
            for item in verdicts(results)
        ],
    )
    if results.get("errors"):
        out += [
            "",
            "**Errors**: "
            + "; ".join(f"{key}: {value}" for key, value in results["errors"].items()),
        ]
    return "\n".join(out) + "\n"


def write(results: Mapping[str, Any], directory: Path = RESULTS_DIR) -> tuple[Path, str]:
    """Write ``<date>-<host>.json`` and ``.md`` (and the README snippet); return the JSON path."""
    directory.mkdir(parents=True, exist_ok=True)
    results = {**results, "verdicts": verdicts(results)}
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    suffix = "-quick" if results["settings"]["quick"] else ""
    base = directory / f"{stamp}-{results['machine']['host']}{suffix}"
    text = markdown(results)
    base.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    base.with_suffix(".md").write_text(text, encoding="utf-8")
    if not results["settings"]["quick"]:
        README_SNIPPET.write_text(text, encoding="utf-8")
    return base.with_suffix(".json"), text
