"""Checking that a device of the MQTT family answers, before it is added (the config flow).

The flow asks with `Versions` (terminal §7.3) through a throw-away client that neither sets
the clock nor listens on the shared topics, and stops it again whatever the answer.
"""

from __future__ import annotations

from ..client import MqttTransport
from ..model import DeviceInfo
from .client import HFSecurityMqttClient
from .variants import DEFAULT_TOPIC_PREFIX, FACE_TERMINAL, MqttVariant


async def probe(
    transport: MqttTransport,
    device_id: str,
    *,
    topic_prefix: str = DEFAULT_TOPIC_PREFIX,
    variant: MqttVariant = FACE_TERMINAL,
    answer_within: float = 10.0,
) -> DeviceInfo:
    """Check that a device answers on its topic: send `Versions` and return what it says.

    Raises DeviceTimeoutError when nothing answers within `answer_within` seconds.
    """
    client = HFSecurityMqttClient(
        transport,
        device_id,
        variant=variant,
        topic_prefix=topic_prefix,
        sync_time=False,
        command_timeout=answer_within,
    )
    await client.start(shared_topics=False)
    try:
        return await client.query_info()
    finally:
        await client.stop()
