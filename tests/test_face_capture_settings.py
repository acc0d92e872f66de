"""Settings and restart of the Huaan face capture terminal, client against the simulator.

Everything goes over real sockets on 127.0.0.1: the client's commands to the simulated
device's port (PUSH mode) or in answers to its long polls (LONG_POLL mode), the device's
pushes and polls to a small aiohttp server that hands them to `handle_request`, as Home
Assistant's webhook does. "L123" is a line of face-capture-http-v0.37.txt; "digest" is
`shared/protocols/face_capture_http.md`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import json
import time
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.face_access.protocols.face_capture_http import (
    FaceCaptureConnection,
    FaceCaptureHttpClient,
    HttpRequest,
    Mode,
    client as face_capture_client,
)
from custom_components.face_access.protocols.model import (
    AccessRecord,
    Capability,
    DeviceMessage,
    DeviceRefusedError,
    DeviceTimeoutError,
    InvalidRequestError,
    SettingKey,
    SettingKind,
    TemperatureUnit,
)
from simulators.face_capture_http import FaceCaptureSimulator

from .common import MemoryStore, serve_client

USER = "admin"
PASSWORD = "s3cret"
UPLOAD = "/api/webhook/upload-abc"
POLL = "/api/webhook/poll-def"


@dataclass
class Rig:
    """A simulated terminal, its client and what the client passed on."""

    sim: FaceCaptureSimulator
    client: FaceCaptureHttpClient
    connection: FaceCaptureConnection
    store: MemoryStore
    port: int
    """Home Assistant's side: where the device posts and polls."""
    messages: list[DeviceMessage] = field(default_factory=list)

    @property
    def upload_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{UPLOAD}"

    @property
    def poll_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{POLL}"

    def records(self) -> list[AccessRecord]:
        return [m for m in self.messages if isinstance(m, AccessRecord)]


type MakeRig = Callable[..., Awaitable[Rig]]


async def until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Let the test's loop run until `predicate` holds (the device acts on its own)."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s")
        await asyncio.sleep(0.02)


@pytest.fixture
async def make_rig(socket_enabled: None) -> AsyncIterator[MakeRig]:
    """Build rigs: `make_rig(mode=..., upload=True, client_options=..., **simulator_options)`.

    `upload` points the device's record upload at the rig's webhook path.
    """
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(ClientSession())

        async def _make(
            mode: Mode = Mode.PUSH,
            *,
            upload: bool = True,
            client_options: dict[str, Any] | None = None,
            **sim_options: Any,
        ) -> Rig:
            holder: list[FaceCaptureHttpClient] = []
            _runner, _site, port = await serve_client(stack, holder)
            sim = FaceCaptureSimulator(
                user=USER,
                password=PASSWORD,
                heartbeat_interval=None,
                resend_interval=0.1,
                poll_pause=0.05,
                timeout=5.0,
                reboot_seconds=0.5,
                **sim_options,
            )
            connection = FaceCaptureConnection(
                session, "127.0.0.1", sim.port, USER, PASSWORD, timeout=3.0
            )
            store = MemoryStore()
            client = FaceCaptureHttpClient(
                sim.serial,
                store,
                connection=connection,
                mode=mode,
                upload_path=UPLOAD,
                poll_path=POLL,
                now=lambda: datetime.now().astimezone(),
                **{
                    "poll_hold": 0.3,
                    "confirm_timeout": 5.0,
                    "upload_address": lambda: ("127.0.0.1", port),
                    **(client_options or {}),
                },
            )
            holder.append(client)
            rig = Rig(sim=sim, client=client, connection=connection, store=store, port=port)
            client.subscribe(rig.messages.append)
            await client.start()
            stack.push_async_callback(client.stop)
            if upload:
                sim.configure_url(rig.upload_url)
            if mode is Mode.LONG_POLL:
                sim.configure_poll_url(rig.poll_url)
            sim.start(0)
            stack.callback(sim.stop)
            return rig

        yield _make


async def test_the_profile_offers_settings_reboot_upload_check_and_catch_up(
    make_rig: MakeRig,
) -> None:
    rig = await make_rig()

    assert {
        Capability.SETTINGS,
        Capability.REBOOT,
        Capability.UPLOAD_CHECK,
        Capability.CATCH_UP,
    } <= rig.client.profile.capabilities


async def test_every_setting_of_the_document_is_read(make_rig: MakeRig) -> None:
    """2.3.1 `face`, `gate_control` and 2.18.2 `camera volume`; no door mode (see settings)."""
    rig = await make_rig()

    settings = await rig.client.read_settings()

    assert {key: setting.value for key, setting in settings.items()} == {
        SettingKey.FACE_THRESHOLD: 80.0,
        SettingKey.RELAY_HOLD_TIME: 1000.0,
        SettingKey.TEMPERATURE_MEASUREMENT: True,
        SettingKey.TEMPERATURE_ALARM_THRESHOLD: 37.3,
        SettingKey.TEMPERATURE_OFFSET: 0.0,
        SettingKey.TEMPERATURE_UNIT: "celsius",
        SettingKey.VOLUME: 50.0,
    }
    threshold = settings[SettingKey.FACE_THRESHOLD]
    assert (threshold.minimum, threshold.maximum) == (70.0, 100.0)
    hold = settings[SettingKey.RELAY_HOLD_TIME]
    assert (hold.minimum, hold.maximum, hold.unit) == (500.0, 5000.0, "ms")
    assert settings[SettingKey.TEMPERATURE_ALARM_THRESHOLD].unit == "°C"
    assert settings[SettingKey.TEMPERATURE_UNIT].kind is SettingKind.CHOICE


@pytest.mark.parametrize(
    ("key", "value", "where"),
    [
        (SettingKey.FACE_THRESHOLD, 91, ("face", "match_score")),
        (SettingKey.RELAY_HOLD_TIME, 2500, ("gate_control", "gpio_retention_time")),
        (SettingKey.TEMPERATURE_MEASUREMENT, False, ("face", "body_temperature", "enable")),
        (SettingKey.TEMPERATURE_ALARM_THRESHOLD, 37.8, ("face", "body_temperature", "limit")),
        (
            SettingKey.TEMPERATURE_OFFSET,
            -0.4,
            ("face", "body_temperature", "correction_value"),
        ),
    ],
)
async def test_a_setting_is_written_alone_and_read_back(
    make_rig: MakeRig, key: SettingKey, value: Any, where: tuple[str, ...]
) -> None:
    """`update app params` carries only the object the setting sits in (digest §4.15)."""
    rig = await make_rig()
    before = rig.sim.app_params

    settings = await rig.client.write_setting(key, value)

    assert settings[key].value == value
    stored: Any = rig.sim.app_params
    for part in where:
        stored = stored[part]
    assert stored == value
    assert rig.sim.param_updates == [[where[0]]]
    after = rig.sim.app_params
    # Nothing else of the object changed, nor any other object.
    assert {k: v for k, v in after.items() if k != where[0]} == {
        k: v for k, v in before.items() if k != where[0]
    }
    assert (await rig.client.read_settings())[key].value == value


async def test_the_volume_is_written_with_camera_volume(make_rig: MakeRig) -> None:
    """2.18.1 `camera volume` SET, read back with GET."""
    rig = await make_rig()

    settings = await rig.client.write_setting(SettingKey.VOLUME, 65)

    assert settings[SettingKey.VOLUME].value == 65.0
    assert rig.sim.volume == 65
    assert rig.sim.param_updates == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (SettingKey.FACE_THRESHOLD, 69),
        (SettingKey.FACE_THRESHOLD, 101),
        (SettingKey.RELAY_HOLD_TIME, 400),
        (SettingKey.RELAY_HOLD_TIME, 5100),
        (SettingKey.TEMPERATURE_MEASUREMENT, 1),
        (SettingKey.TEMPERATURE_UNIT, "kelvin"),
        (SettingKey.VOLUME, 101),
        (SettingKey.DOOR_MODE, "face"),
        (SettingKey.RECOGNITION_DISTANCE, 100),
    ],
)
async def test_values_out_of_range_and_unknown_settings_are_not_sent(
    make_rig: MakeRig, key: SettingKey, value: Any
) -> None:
    rig = await make_rig()

    with pytest.raises(InvalidRequestError):
        await rig.client.write_setting(key, value)

    assert rig.sim.param_updates == []
    assert "camera volume" not in rig.sim.commands or rig.sim.volume == 50


async def test_a_device_refusing_app_params_refuses_the_setting(make_rig: MakeRig) -> None:
    """Code 2 (a firmware configured otherwise): only the volume is offered, writes fail."""
    rig = await make_rig(refuse_app_params=True)

    settings = await rig.client.read_settings()

    assert set(settings) == {SettingKey.VOLUME}
    with pytest.raises(DeviceRefusedError) as refused:
        await rig.client.write_setting(SettingKey.FACE_THRESHOLD, 90)
    assert refused.value.code == "2"
    assert rig.sim.app_params["face"]["match_score"] == 80


async def test_a_silent_device_has_no_settings(make_rig: MakeRig) -> None:
    rig = await make_rig()
    rig.sim.stop()

    with pytest.raises(DeviceTimeoutError):
        await rig.client.read_settings()


async def test_a_fahrenheit_device_labels_its_settings_and_records_in_fahrenheit(
    make_rig: MakeRig,
) -> None:
    """`fahrenheit_unit` (L2006): the readings and the limit are °F, and are shown so."""
    rig = await make_rig()
    rig.sim.add_person("0001", "XiaoMing")

    settings = await rig.client.write_setting(SettingKey.TEMPERATURE_UNIT, "fahrenheit")

    assert settings[SettingKey.TEMPERATURE_UNIT].value == "fahrenheit"
    assert rig.sim.app_params["face"]["body_temperature"]["fahrenheit_unit"] is True
    threshold = settings[SettingKey.TEMPERATURE_ALARM_THRESHOLD]
    assert threshold.unit == "°F"
    assert (threshold.minimum, threshold.maximum) == (86.0, 113.0)
    await rig.client.write_setting(SettingKey.TEMPERATURE_ALARM_THRESHOLD, 100.4)
    assert rig.sim.app_params["face"]["body_temperature"]["limit"] == 100.4

    sequence_no = rig.sim.recognition("0001", temperature=37.0)
    await until(lambda: bool(rig.records()))

    assert rig.sim.wait_acked(sequence_no)
    record = rig.records()[-1]
    assert record.temperature == 98.6
    assert record.temperature_unit is TemperatureUnit.FAHRENHEIT
    assert record.temperature_celsius == 37.0


async def test_the_unit_survives_a_restart_of_the_client(make_rig: MakeRig) -> None:
    rig = await make_rig()
    await rig.client.write_setting(SettingKey.TEMPERATURE_UNIT, "fahrenheit")
    again = FaceCaptureHttpClient(
        rig.sim.serial,
        rig.store,
        connection=None,
        mode=Mode.LONG_POLL,
        upload_path=UPLOAD,
        poll_path=POLL,
        now=lambda: datetime.now().astimezone(),
    )
    got: list[DeviceMessage] = []
    again.subscribe(got.append)
    await again.start()
    push = {
        "cmd": "face",
        "device_sn": rig.sim.serial,
        "sequence_no": 9,
        "cap_time": "2024/05/06 07:08:09.010",
        "match_result": -1,
        "person": {"temperatur": 99.1},
    }
    reply = await again.handle_request(HttpRequest(body=json.dumps(push).encode(), path=UPLOAD))

    assert reply.status == 200
    record = next(m for m in got if isinstance(m, AccessRecord))
    assert (record.temperature, record.temperature_unit) == (99.1, TemperatureUnit.FAHRENHEIT)


async def test_reboot_goes_quiet_comes_back_and_gets_the_clock_again(make_rig: MakeRig) -> None:
    """2.9.3: the device answers, restarts; once it answers again its clock is set."""
    rig = await make_rig()
    await rig.client.query_info()
    assert rig.sim.commands.count("update date time") == 1

    await rig.client.reboot()

    assert rig.sim.reboot_count == 1
    await until(lambda: rig.sim.rebooting)
    with pytest.raises(DeviceTimeoutError):
        await rig.client.query_info()
    await until(lambda: not rig.sim.rebooting)
    await rig.client.query_info()
    assert rig.sim.commands.count("update date time") == 2


async def test_a_device_back_from_offline_gets_its_clock_again(make_rig: MakeRig) -> None:
    """Like the MQTT devices on every `Online`: a PUSH device that missed a poll."""
    rig = await make_rig()
    await rig.client.query_info()
    await rig.client.query_info()
    assert rig.sim.commands.count("update date time") == 1
    port = rig.sim.port
    rig.sim.stop()

    with pytest.raises(DeviceTimeoutError):
        await rig.client.query_info()

    back = FaceCaptureSimulator(
        user=USER, password=PASSWORD, port=port, heartbeat_interval=None, timeout=5.0
    )
    back.start(0)
    try:
        await rig.client.query_info()
        assert back.commands.count("update date time") == 1
    finally:
        back.stop()


async def test_settings_and_reboot_through_the_long_poll(make_rig: MakeRig) -> None:
    """2.3.1/2.3.2/2.9.3 are valid for the configuration client too (L2130-L2136)."""
    rig = await make_rig(Mode.LONG_POLL, client_options={"sync_time": False})
    await until(lambda: rig.client.online)

    settings = await rig.client.write_setting(SettingKey.FACE_THRESHOLD, 75)

    assert settings[SettingKey.FACE_THRESHOLD].value == 75.0
    assert rig.sim.app_params["face"]["match_score"] == 75
    assert {"request app params", "update app params"} <= {
        r["cmd"].strip() for r in rig.sim.poll_results
    }
    await rig.client.reboot()
    assert rig.sim.reboot_count == 1


async def test_a_long_polling_device_back_from_offline_gets_its_clock_again(
    make_rig: MakeRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No long poll for longer than the offline time, then one: the clock is set again."""
    monkeypatch.setattr(face_capture_client, "LONG_POLL_OFFLINE_AFTER", 0.5)
    rig = await make_rig(Mode.LONG_POLL)
    await until(lambda: "update date time" in rig.sim.commands)

    rig.sim.configure_poll_url(None)
    await until(lambda: not rig.client.online)
    rig.sim.configure_poll_url(rig.poll_url)

    await until(lambda: rig.sim.commands.count("update date time") == 2)
