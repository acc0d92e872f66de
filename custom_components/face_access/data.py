"""Runtime data of a loaded Face Access config entry."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .coordinator import FaceAccessCoordinator
from .protocols.client import DeviceClient
from .protocols.model import ProtocolKey

type FaceAccessConfigEntry = ConfigEntry[FaceAccessData]


@dataclass(slots=True)
class FaceAccessData:
    """Objects that live as long as one loaded config entry (one device)."""

    protocol: ProtocolKey
    client: DeviceClient
    coordinator: FaceAccessCoordinator
