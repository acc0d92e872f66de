"""``python -m bench [--quick]``: run every phase on one Home Assistant and write the results.

``--phases roster --people 200`` alone measures issue 16's import: 200 people from a folder
onto the camera (and the face terminal), beside the protocol's batch floor.

``scripts/bench`` provisions the environment and runs this. Everything listens on and
talks to 127.0.0.1 only; everything started here is stopped before it returns, also on
Ctrl-C or an error (the child processes also die with this one: ``demo.processes``).
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import asdict, replace
from datetime import UTC, datetime
import logging
from pathlib import Path
import sys
import tempfile
import traceback
from typing import Any

from .devices import stop_all
from .hass import BenchHass
from .phases import ROSTER_PROTOCOLS, Progress, Run, Settings, estimates
from .protocols import ADAPTERS
from .report import RESULTS_DIR, machine, write

PHASES = ("scale", "ingest", "commands", "enrollment", "roster")
QUICK_DIR = Path(tempfile.gettempdir()) / "face_access_bench_quick"


async def _run(settings: Settings, *, keep: bool, out: Path, profile: Path | None) -> int:
    progress = Progress(estimates(settings))
    results: dict[str, Any] = {
        "issue": 14,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": asdict(settings),
        "protocols": [adapter.protocol for adapter in ADAPTERS],
        "errors": {},
    }
    bench = BenchHass(keep=keep)
    run: Run | None = None
    try:
        progress.begin("start", f"Home Assistant and the broker in {bench.root}")
        await bench.start()
        progress.end("start")
        run = Run(bench, settings, progress)
        results["pictures"] = {
            "face_bytes": run.pictures.face_bytes,
            "scene_bytes": run.pictures.scene_bytes,
        }
        if "scale" not in settings.phases:
            # The other phases need one device per protocol, which scale leaves.
            await run.keep_one_per_protocol()
        for phase in (phase for phase in PHASES if phase in settings.phases):
            progress.begin(phase)
            try:
                await getattr(run, phase)()
            except Exception as err:  # noqa: BLE001 - reported in the results
                # One phase failing must not cost the others' figures (nor stop the clean-up).
                traceback.print_exc()
                results["errors"][phase] = f"{type(err).__name__}: {err}"
                if phase == "scale":
                    # The other phases need one device per protocol, whatever happened.
                    await run.keep_one_per_protocol()
            progress.end(phase)
        if profile is not None:
            # What ran is profiled: the ingest, and the roster import.
            if "ingest" in settings.phases:
                progress.note(f"profiling each protocol's ingest into {profile}")
                await run.profile(profile)
            if "roster" in settings.phases:
                progress.note(f"profiling the roster import into {profile}")
                await run.profile_roster(profile)
    except Exception as err:  # noqa: BLE001 - reported in the results
        traceback.print_exc()
        results["errors"]["start"] = f"{type(err).__name__}: {err}"
        print(f"bench: Home Assistant's log: {bench.log}", file=sys.stderr)
    finally:
        results["rows"] = run.rows if run is not None else {}
        results["ingest_memory"] = run.memory if run is not None else {}
        if run is not None:
            await run.close()
            await stop_all(run.devices)
        await bench.stop()
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"]["load_average_at_end"] = list(__import__("os").getloadavg())
    path, text = write(results, out)
    print(text)
    print(f"bench: results in {path} (and {path.with_suffix('.md')})", flush=True)
    return 1 if results["errors"] else 0


def main() -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a smoke run of a few seconds per row")
    size.add_argument(
        "--smoke", action="store_true", help="the smallest run with every row (the tests')"
    )
    parser.add_argument("--keep", action="store_true", help="keep Home Assistant's directory")
    parser.add_argument(
        "--phases", nargs="+", choices=PHASES, metavar="PHASE", help="run only these phases"
    )
    parser.add_argument(
        "--protocols",
        nargs="+",
        choices=[adapter.protocol for adapter in ADAPTERS],
        metavar="PROTOCOL",
        help="enroll on these protocols only",
    )
    parser.add_argument(
        "--people", type=int, metavar="N", help="people to enroll (and import) per device"
    )
    parser.add_argument(
        "--roster-protocols",
        nargs="+",
        choices=ROSTER_PROTOCOLS,
        metavar="PROTOCOL",
        help="import the roster for these devices only",
    )
    parser.add_argument(
        "--levels", type=int, nargs="+", metavar="N", help="device counts of the scale phase"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"where the results go (default {RESULTS_DIR}; {QUICK_DIR} for --quick/--smoke)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after the phases, profile each protocol's ingest (and the roster import) into DIR",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.smoke:
        settings = Settings.smoke_run()
    elif args.quick:
        settings = Settings.quick_run()
    else:
        settings = Settings()
    if args.people:
        settings = replace(settings, enroll_people=args.people, roster_people=args.people)
    if args.roster_protocols:
        settings = replace(settings, roster_protocols=tuple(args.roster_protocols), quick=True)
    # A partial run is not the committed results (nor the README's table): marked quick.
    if args.phases:
        settings = replace(settings, phases=tuple(args.phases), quick=True)
    if args.protocols:
        settings = replace(settings, enroll_protocols=tuple(args.protocols), quick=True)
    if args.levels:
        settings = replace(settings, scale_levels=tuple(sorted(args.levels)))
    # A smoke run's figures mean nothing: they stay out of the committed results.
    out = args.out or (QUICK_DIR if settings.quick else RESULTS_DIR)
    return asyncio.run(_run(settings, keep=args.keep, out=out, profile=args.profile))


if __name__ == "__main__":
    sys.exit(main())
