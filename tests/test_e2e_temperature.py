"""End to end: the simulated temperature tablet against Home Assistant's HTTP server.

Everything goes over real sockets on 127.0.0.1: the simulator (its own thread and event loop,
aiohttp client, `Expect: 100-continue` on records) posts to the webhook that the integration
registered in Home Assistant's HTTP application, and obeys the commands in the replies, as
temperature-terminal-http v1.16 says. The entry's heartbeat option is 1 s, which the tablet
applies from Home Assistant's first reply (`time_interval`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
import time
from typing import Any

from aiohttp.test_utils import TestServer
from homeassistant import loader
from homeassistant.components.http import CONF_SERVER_HOST
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.face_access.const import DOMAIN
from custom_components.face_access.protocols.model import DeviceTimeoutError
from simulators.temperature_http import TemperatureTabletSimulator
from tests.common import ha_device_id, make_photo
from tests.e2e import tablet_on_webhook, wait_until
from tests.test_temperature_http import CID, URL, fired, state, tablet_entry

QUEUE_KEY = "face_access.{entry_id}.queue"


def _device_id(hass: HomeAssistant) -> str:
    return ha_device_id(hass, CID)


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        {"device_id": _device_id(hass), **data},
        blocking=True,
        return_response=True,
    )


@pytest.fixture
def photo(hass: HomeAssistant, tmp_path: Path) -> str:
    """An allow-listed portrait file."""
    path = tmp_path / "ada.jpg"
    path.write_bytes(make_photo())
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    return str(path)


@pytest.fixture
async def simulator(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, socket_enabled: None
) -> AsyncGenerator[TemperatureTabletSimulator]:
    """The tablet's entry, set up, and a simulated tablet posting to its webhook."""
    async with tablet_on_webhook(hass, hass_client_no_auth) as device:
        yield device


async def test_enrol_list_delete_through_the_heartbeat_cycle(
    hass: HomeAssistant, simulator: TemperatureTabletSimulator, photo: str
) -> None:
    """Each service is carried by a heartbeat reply and confirmed by the tablet."""
    enrolled = await _call(
        hass, "enroll_person", person_id="1001", name="Ada", photo_path=photo, card_number="8899"
    )
    listed = await _call(hass, "list_people")
    deleted = await _call(hass, "delete_person", person_id=["1001"])

    assert [r["status"] for r in enrolled["results"].values()] == ["enrolled"]
    assert listed == {
        "people": [
            {
                "person_id": "1001",
                "name": "Ada",
                "card_number": "8899",
                "list": "allow",
                "valid_from": None,
                "valid_until": None,
            }
        ],
        "total": 1,
    }
    assert [r["status"] for r in deleted["results"].values()] == ["deleted"]
    assert simulator.persons == {}
    seqs = [r["seq"] for r in simulator.facelib_results]
    assert all(0 < seq < 1_000_000_000 for seq in seqs)


async def test_a_failed_enrolment_is_reported(
    hass: HomeAssistant, simulator: TemperatureTabletSimulator, photo: str
) -> None:
    """The tablet's next heartbeat does not echo the seq: the service fails."""
    simulator.fail_next_facelib()

    with pytest.raises(HomeAssistantError):
        await _call(hass, "enroll_person", person_id="1001", name="Ada", photo_path=photo)
    assert simulator.persons == {}


async def test_several_people_are_deleted_in_batches(
    hass: HomeAssistant, simulator: TemperatureTabletSimulator
) -> None:
    """25 IDs: two `facelib_batch` chunks chained by `type` 9, results per person."""
    for number in range(24):
        await hass.async_add_executor_job(simulator.add_person, f"p{number:02d}", "x")

    deleted = await _call(hass, "delete_person", person_id=[f"p{n:02d}" for n in range(25)])

    (result,) = deleted["results"].values()
    assert result["status"] == "deleted"
    assert result["message"] == "24 of 25; not: p24 (failed)"
    assert simulator.persons == {}


async def test_open_door_reaches_the_relay(
    hass: HomeAssistant, simulator: TemperatureTabletSimulator
) -> None:
    """The button's `control` rides in a heartbeat reply; the `type` 12 confirms it."""
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": "button.temperature_tablet_0012b516a202_open_door"},
        blocking=True,
    )

    assert simulator.unlock_count == 1


async def test_records_arrive_with_expect_continue_and_fire_once(
    hass: HomeAssistant, simulator: TemperatureTabletSimulator
) -> None:
    """A recognition sets the sensors; the same record again (same time and face) does
    not fire twice; a door alarm fires `door_alarm`."""
    events = async_capture_events(hass, "state_changed")
    await hass.async_add_executor_job(simulator.add_person, "1001", "Ada Lovelace")
    now = int(time.time())

    statuses = [
        await hass.async_add_executor_job(
            lambda: simulator.push_record("1001", temperature=37.8, facemask=0, time=now)
        )
        for _ in range(2)
    ]
    await hass.async_add_executor_job(simulator.push_door_alarm)
    await hass.async_block_till_done()

    assert statuses == [200, 200]
    assert state(hass, "sensor", "last_person").state == "Ada Lovelace"
    assert state(hass, "sensor", "body_temperature").state == "37.8"
    assert [s.attributes["event_type"] for s in fired(events, "access")] == ["recognized"]
    assert [s.attributes["event_type"] for s in fired(events, "alarm")] == [
        "high_temperature",
        "no_mask",
        "door_alarm",
    ]


async def test_a_refused_record_is_kept_and_resent_as_historical(
    hass: HomeAssistant, simulator: TemperatureTabletSimulator
) -> None:
    """Refused (source pinned elsewhere), the tablet keeps the record and re-sends it later
    with its original time (§6): it fires once, as historical."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    events = async_capture_events(hass, "state_changed")
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "source_ip": "192.0.2.5"}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    old = int(time.time()) - 600

    refused = await hass.async_add_executor_job(
        lambda: simulator.push_stranger(temperature=36.4, time=old)
    )
    hass.config_entries.async_update_entry(entry, options={"heartbeat_interval": 1})
    await hass.config_entries.async_reload(entry.entry_id)
    resent = await hass.async_add_executor_job(simulator.resend_failed)
    await hass.async_block_till_done()

    assert refused == 403
    assert resent == 1
    (access,) = fired(events, "access")
    assert access.attributes["event_type"] == "stranger"
    assert access.attributes["historical"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"cid": "0012b516a202", "type": 1, "time": ', 400),
        (b'{"cid": "not-this-tablet", "type": 3, "seq": 1, "uptime": 1}', 403),
        (b" " * (4 * 1024 * 1024 + 10), 413),
    ],
)
async def test_bad_posts_over_the_wire(
    hass: HomeAssistant, simulator: TemperatureTabletSimulator, body: bytes, status: int
) -> None:
    """Malformed, another tablet's and oversize bodies get their error status."""
    before = simulator.heartbeat_count

    answer, _ = await hass.async_add_executor_job(simulator.post_raw, body)

    assert answer == status
    assert state(hass, "binary_sensor", "online").state == "on"
    assert simulator.heartbeat_count >= before


# Stopping the first Home Assistant in the middle of the test leaves one of its delayed
# storage writes scheduled (Home Assistant 2026.10); the harness would fail on that timer.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_a_command_queued_before_a_restart_is_delivered_after_it(
    hass: HomeAssistant, hass_storage: dict[str, Any], socket_enabled: None, photo: str
) -> None:
    """Queued while the tablet is away, saved, Home Assistant stops; a new Home Assistant
    loads the queue and the tablet gets the enrolment and the door command."""
    entry = tablet_entry(heartbeat_interval=1)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    pending = await _call(hass, "enroll_person", person_id="1001", name="Ada", photo_path=photo)
    # The button is unavailable while the tablet is offline; the client queues all the same.
    with pytest.raises(DeviceTimeoutError):
        await entry.runtime_data.client.open_door()
    assert [r["status"] for r in pending["results"].values()] == ["pending"]
    await hass.async_stop()

    saved = hass_storage[QUEUE_KEY.format(entry_id=entry.entry_id)]["data"]["queue"]
    assert [item["kind"] for item in saved] == ["facelib", "control"]

    async with async_test_home_assistant() as restarted:
        # What the `enable_custom_integrations` fixture does for the first instance.
        restarted.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        assert await async_setup_component(
            restarted, "http", {"http": {CONF_SERVER_HOST: "127.0.0.1"}}
        )
        # The same entry, as Home Assistant reads it back from its storage after a restart.
        again = MockConfigEntry(
            domain=DOMAIN,
            entry_id=entry.entry_id,
            unique_id=CID,
            title=entry.title,
            data=dict(entry.data),
            options=dict(entry.options),
        )
        again.add_to_hass(restarted)
        assert await restarted.config_entries.async_setup(again.entry_id)
        await restarted.async_block_till_done()
        server = TestServer(restarted.http.app, host="127.0.0.1")
        await server.start_server()
        device = TemperatureTabletSimulator(str(server.make_url(URL)), CID, heartbeat_interval=1)
        try:
            await restarted.async_add_executor_job(device.start)
            await wait_until(lambda: device.unlock_count == 1 and "1001" in device.persons)
            await wait_until(lambda: again.runtime_data.client.queued == 0)
        finally:
            await restarted.async_add_executor_job(device.stop)
            await server.close()
        assert device.persons["1001"]["name"] == "Ada"
        assert device.protocol_violations == []
