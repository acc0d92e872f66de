"""How much the fuzz harness tries: hypothesis settings chosen by FACE_ACCESS_FUZZ.

- `suite` (default, every test run): a fixed seed (`derandomize`), a few hundred cases per
  protocol, so that CI runs the same cases every time and stays within minutes;
- `medium` (`scripts/fuzz`): about 1,500 cases per protocol;
- `long` (`scripts/fuzz --long`): 10,000 cases per protocol.

Outside `suite` the seed is FACE_ACCESS_FUZZ_SEED (scripts/fuzz draws and prints one), so
that a run that found something can be repeated. No example database is written.
"""

from __future__ import annotations

from collections.abc import Callable
import os
from typing import Any

from hypothesis import HealthCheck, seed, settings

PROFILE_ENV = "FACE_ACCESS_FUZZ"
SEED_ENV = "FACE_ACCESS_FUZZ_SEED"
CASES = {"suite": 300, "medium": 2000, "long": 10_000}
"""Cases per protocol and test, by profile."""


def profile() -> str:
    """Return the chosen profile; an unknown one is an error, not a silent default."""
    name = os.environ.get(PROFILE_ENV, "suite")
    if name not in CASES:
        raise ValueError(f"{PROFILE_ENV} must be one of {sorted(CASES)}, not {name!r}")
    return name


def fuzz_settings(scale: float = 1.0) -> Callable[[Any], Any]:
    """Return a decorator that applies the profile's settings (`scale` times its cases).

    Every health check is off: the fixtures are function-scoped on purpose (one Home
    Assistant for all cases of a protocol) and some inputs are large on purpose.
    """
    name = profile()
    chosen = settings(
        max_examples=max(1, int(CASES[name] * scale)),
        deadline=None,
        derandomize=name == "suite",
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )

    def apply(test: Any) -> Any:
        test = chosen(test)
        if name != "suite":
            test = seed(int(os.environ.get(SEED_ENV, "0")))(test)
        return test

    return apply
