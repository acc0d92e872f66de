"""Upload check of the Huaan face capture terminal: is `upload_info` Home Assistant's webhook?

Client against the simulator over real sockets (the rig of test_face_capture_settings).
`upload_info` is read with `request app params` and set with `update app params` (2.3.1,
2.3.2, L1878-L1934); "digest" is `shared/protocols/face_capture_http.md` §4.15.
"""

from __future__ import annotations

import pytest

from custom_components.face_access.protocols.face_capture_http import Mode
from custom_components.face_access.protocols.model import (
    AccessRecord,
    DeviceRefusedError,
    UnsupportedError,
    UploadProblem,
)

from .test_face_capture_settings import UPLOAD, MakeRig, make_rig, until

__all__ = ["make_rig"]  # the fixture, shared with the settings tests


async def test_a_device_posting_to_the_webhook_has_no_problem(make_rig: MakeRig) -> None:
    rig = await make_rig()

    assert await rig.client.check_uploads() == []
    assert await rig.client.fix_uploads() == []
    assert rig.sim.param_updates == []


async def test_upload_turned_off_is_reported_and_fixed(make_rig: MakeRig) -> None:
    """`method` "none": nothing reaches Home Assistant until it is set back to http."""
    rig = await make_rig(upload=False)
    rig.sim.stranger(temperature=36.5)

    assert await rig.client.check_uploads() == [
        UploadProblem(setting="upload_info.method", current="none", needed="http")
    ]
    assert await rig.client.fix_uploads() == []

    assert rig.sim.param_updates == [["upload_info"]]
    assert rig.sim.upload_url == rig.upload_url
    await until(lambda: any(isinstance(m, AccessRecord) for m in rig.messages))


async def test_another_server_port_and_path_are_each_reported(make_rig: MakeRig) -> None:
    rig = await make_rig(upload=False)
    rig.sim.configure_url("http://192.0.2.7:8080/face.php")

    problems = await rig.client.check_uploads()

    assert problems == [
        UploadProblem(setting="upload_info.server_ip", current="192.0.2.7", needed="127.0.0.1"),
        UploadProblem(setting="upload_info.server_port", current="8080", needed=str(rig.port)),
        UploadProblem(setting="upload_info.service_url", current="/face.php", needed=UPLOAD),
    ]
    assert await rig.client.fix_uploads() == []
    assert await rig.client.check_uploads() == []


async def test_a_path_without_its_slash_is_the_same_path(make_rig: MakeRig) -> None:
    """The document's own `service_url` has no leading "/" (`face.php`, L1898)."""
    rig = await make_rig(upload=False)
    rig.sim.configure_url(rig.upload_url)
    upload_info = rig.sim.app_params["upload_info"]
    upload_info["service_url"] = UPLOAD.lstrip("/")
    rig.sim.set_app_params("upload_info", upload_info)

    assert await rig.client.check_uploads() == []


async def test_no_password_ever_reaches_a_problem(make_rig: MakeRig) -> None:
    """An ftp upload has `user` and `password` (L1904-L1908): neither is shown."""
    rig = await make_rig(upload=False)
    rig.sim.set_app_params(
        "upload_info",
        {
            "method": "ftp",
            "server_ip": "192.0.2.7",
            "server_port": 21,
            "user": "camera",
            "password": "hunter2",
            "pattern": "/",
        },
    )

    problems = await rig.client.check_uploads()

    assert problems == [UploadProblem(setting="upload_info.method", current="ftp", needed="http")]
    assert "hunter2" not in repr(problems)


async def test_without_an_address_of_its_own_only_method_and_path_count(
    make_rig: MakeRig,
) -> None:
    rig = await make_rig(upload=False, client_options={"upload_address": lambda: None})
    rig.sim.configure_url(f"http://192.0.2.7:8080{UPLOAD}")

    assert await rig.client.check_uploads() == []
    rig.sim.configure_url("http://192.0.2.7:8080/face.php")
    with pytest.raises(UnsupportedError):
        await rig.client.fix_uploads()


async def test_a_device_refusing_app_params_refuses_the_check(make_rig: MakeRig) -> None:
    rig = await make_rig(refuse_app_params=True)

    with pytest.raises(DeviceRefusedError):
        await rig.client.check_uploads()


async def test_the_upload_is_fixed_through_the_long_poll(make_rig: MakeRig) -> None:
    rig = await make_rig(Mode.LONG_POLL, upload=False, client_options={"sync_time": False})
    await until(lambda: rig.client.online)

    assert [p.setting for p in await rig.client.check_uploads()] == ["upload_info.method"]
    assert await rig.client.fix_uploads() == []
    assert rig.sim.upload_url == rig.upload_url
