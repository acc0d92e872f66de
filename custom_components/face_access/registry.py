"""The protocol registry: one record per implemented protocol key (see `record.py`).

Adding a protocol adds its record here; nothing else in the Home Assistant layer changes.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import (
    registry_face_capture_http,
    registry_hfsecurity_mqtt,
    registry_temperature_http,
    registry_unv_lapi,
)
from .record import FaceAccessFlowBase, FlowStep, OptionsStep, ProtocolRecord

PROTOCOLS: Mapping[str, ProtocolRecord] = {
    record.key.value: record
    for record in (
        *registry_hfsecurity_mqtt.RECORDS,
        registry_face_capture_http.RECORD,
        registry_temperature_http.RECORD,
        registry_unv_lapi.RECORD,
    )
}
"""Every implemented protocol by its key, in the order of the `user` menu."""


def _flow_steps() -> dict[str, FlowStep]:
    """Gather every record's config-flow steps; a step two records share must be the same."""
    steps: dict[str, FlowStep] = {}
    for record in PROTOCOLS.values():
        for step_id, step in record.steps.items():
            if steps.setdefault(step_id, step) is not step:
                raise ValueError(f"two protocols define the config-flow step {step_id}")
    return steps


FLOW_STEPS: Mapping[str, FlowStep] = _flow_steps()
"""Every protocol's config-flow steps by step id (menu options, discovery, further steps)."""

__all__ = ["FLOW_STEPS", "PROTOCOLS", "FaceAccessFlowBase", "OptionsStep", "ProtocolRecord"]
