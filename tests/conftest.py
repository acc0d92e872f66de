"""Shared fixtures of the Face Access tests."""

from __future__ import annotations

import pytest

# Imported before Home Assistant starts, or the harness's own `custom_components` package
# shadows ours ("Integration not found").
import custom_components.face_access  # noqa: F401

# The end-to-end fixtures (real broker, Home Assistant's MQTT integration).
pytest_plugins = ["tests.e2e"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let the loader see custom_components/ in every test."""
