"""A simulated face-recognition terminal speaking the vendor's MQTT protocol.

Source: "MQTT protocol of face recognition all in one machine", V1.24
(``shared/seeds/face-terminal-mqtt-v1.24.txt``); section numbers (§) below are that
document's own. Where the document is silent, the simulator follows what captures of
real terminals show (field notes §3.2: numbers sent as strings, ``persionName``,
``Sendintime`` as an int) and says so in the docstring concerned.

What the terminal shares with the network camera (the MQTT plumbing, ``Online``,
heartbeats, acks, ``PushAck`` and re-sends, most person commands) is
``simulators.hfsecurity_mqtt``; this module is what only the terminal has: the door
(§8, §9.3), card, QR-code and ID-card pushes, records with a body temperature and
``otype``, and the §4.1 person schema with cards.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
import datetime as dt
import logging
from typing import Any, Final

from simulators.base import LockedCopy, utf8_len
from simulators.hfsecurity_mqtt import (
    CommandError,
    HFSecurityMqttDevice,
    Model,
    as_int,
    handles,
)
from simulators.images import make_bmp, make_jpeg, make_scene, to_data_uri

from .activity import TerminalActivity

_LOGGER = logging.getLogger(__name__)

DEFAULT_FACE_JPEG: Final[bytes] = make_jpeg()
"""The default picture of ``push_record``: a small drawn face, JPEG."""
DEFAULT_STRANGER_BMP: Final[bytes] = make_bmp(variant=7)
"""The default picture of ``push_stranger``: BMP, as in both §6 examples (``Qk3m...``)."""

UNSET_TIME: Final = "0000-00-00 00:00:00"
"""§4.2.3: validity times of a person who has none."""
TEMPERATURE_HIGH: Final = 37.30
"""§9.5: default alarm threshold ``TemperatureHigh``."""

# §5 otype flags: 0x100 passed with mask detection, 0x200 with temperature detection.
OTYPE_MASK: Final = 0x100
OTYPE_TEMPERATURE: Final = 0x200

# §9.3 VerifyMode base values; flags 0x100/0x200 may be ORed on.
_VERIFY_MODE_BASES: Final = frozenset({1, 2, 3, 4, 5, 21, 22, 23, 24, 25, 26})
# §9.6 value ranges of UpMQTTconfig (462 outside them).
_MQTT_CONFIG_RANGES: Final[dict[str, tuple[int, int]]] = {
    "StrangerUploadType": (0, 1),
    "RecordUploadType": (0, 2),
    "Direction": (0, 2),
    "QRCode": (0, 1),
    "IDCard": (0, 1),
    "Card": (0, 1),
    "ResumefromBreakpoint": (0, 1),
}
# §9.6 defaults, with QRCode on so that ``push_qr`` works out of the box.
_DEFAULT_MQTT_CONFIG: Final[dict[str, int]] = {
    "StrangerUploadType": 0,
    "RecordUploadType": 1,
    "Direction": 0,
    "QRCode": 1,
    "IDCard": 1,
    "Card": 1,
}
# §9.3.2 example values, but for VerifyMode: this terminal measures body temperature, so
# its door verifies the face list with temperature detection (513 = 0x201, L1828).
_DEFAULT_DOOR_CONFIG: Final[dict[str, int]] = {
    "OpendoorWay": 0,
    "FaceThreshold": 90,
    "IDCardThreshold": 50,
    "VerifyMode": OTYPE_TEMPERATURE | 1,
    "VerifyResetTime": 2,
    "Wiegand": 0,
    "PublicMjCardNo": 2,
    "AutoMjCardBgnNo": 3,
    "AutoMjCardEndNo": 4,
    "ControlType": 1,
    "IOType": 1,
    "IOStayTime": 200,
    "Endian": 0,
    "CardMode": 0,
    "IsOutFF": 0,
    "SnapResetTime": 0,
}
_DOOR_RANGES: Final[dict[str, tuple[int, int]]] = {
    "OpendoorWay": (0, 3),
    "FaceThreshold": (50, 100),
    "IDCardThreshold": (50, 100),
    "VerifyResetTime": (1, 10),
    "Wiegand": (0, 7),
    "ControlType": (0, 2),
    "IOType": (0, 1),
    "Endian": (0, 1),
    "CardMode": (0, 1),
    "IsOutFF": (0, 1),
    "SnapResetTime": (0, 15),
}
# §9.5 temperature parameters, kept in °C whatever TemperatureMode shows (the GetTPTconfig
# examples carry TemperatureCheck, TemperatureHigh, EnvTemperature(Check), OpenLaser, Distance;
# the table adds TemperatureMode, ShowAbnormalTemp, TemperatureLow, TempFaceMinW/H, E32).
_DEFAULT_TPT_CONFIG: Final[dict[str, float]] = {
    "TemperatureMode": 0,
    "ShowAbnormalTemp": 1,
    "TemperatureCheck": 0.0,
    "TemperatureLow": 28.0,
    "TemperatureHigh": TEMPERATURE_HIGH,
    "EnvTemperature": 17.0,
    "EnvTemperatureCheck": 0.0,
    "OpenLaser": 1,
    "TempFaceMinW": 350,
    "TempFaceMinH": 350,
    "Distance": 350,
}
# The fields that are temperatures (converted for °F), and those that are differences.
_TPT_TEMPERATURES: Final = frozenset({"TemperatureLow", "TemperatureHigh", "EnvTemperature"})
_TPT_DELTAS: Final = frozenset({"TemperatureCheck", "EnvTemperatureCheck"})
# What this simulated terminal takes: the document gives no ranges but for the faces
# (TempFaceMinW 100~500, TempFaceMinH 50~1000); the °C ranges are this simulator's.
_TPT_RANGES: Final[dict[str, tuple[float, float]]] = {
    "TemperatureMode": (0, 1),
    "ShowAbnormalTemp": (0, 1),
    "OpenLaser": (0, 1),
    "TemperatureCheck": (-3.0, 3.0),
    "TemperatureLow": (20.0, 36.0),
    "TemperatureHigh": (34.0, 42.0),
    "TempFaceMinW": (100, 500),
    "TempFaceMinH": (50, 1000),
}
# §9.2.2 example values (the example omits IsShowDeviceID, IsShowPersonNum, IDCardNumHide).
_DEFAULT_SOUND_CONFIG: Final[dict[str, int | str]] = {
    "VerifySuccAudio": 1,
    "VerifyFailAudio": 1,
    "Volume": 90,
    "VerifySuccGuiTip": 1,
    "VerifyFailGuiTip": 1,
    "UnregisteredGuiTip": 1,
    "DisplayPicture": 1,
    "RemoteCtrlAudio": 0,
    "IPHide": 0,
    "IsShowName": 1,
    "IsShowTitle": 0,
    "IsShowVersion": 0,
    "IsShowDate": 1,
    "IsShowTime": 1,
    "IDCardNumHide": 0,
    "ICCardNumHide": 0,
    "IsShowDeviceID": 0,
    "IsShowPersonNum": 0,
    "VerifyTipContent": "please pass",
    "UnregisterTipContent": "stranger",
    "BlacklistTipContent": "no access",
}
_SOUND_TEXTS: Final = frozenset({"VerifyTipContent", "UnregisterTipContent", "BlacklistTipContent"})
# §9.10.2 example values.
_DEFAULT_FACE_CONFIG: Final[dict[str, int]] = {
    "recDistance": 200,
    "faceMinPixel": 124,
    "detectArea_x": 0,
    "detectArea_y": 0,
    "detectArea_w": 960,
    "detectArea_h": 1280,
}
_FACE_RANGES: Final[dict[str, tuple[int, int]]] = {
    "recDistance": (30, 200),
    "faceMinPixel": (0, 960),
    "detectArea_x": (0, 960),
    "detectArea_y": (0, 1280),
    "detectArea_w": (0, 960),
    "detectArea_h": (0, 1280),
}
# §4.1 person fields: numbers, and texts (read in the example's spelling too, E10).
_PERSON_NUMBERS: Final = (
    "personType",
    "tempCardType",
    "EffectNumber",
    "nation",
    "gender",
    "cardType",
    "CardMode",
    "RFCardMode",
)
_PERSON_TEXTS: Final = ("idCard", "birthday", "telnum1", "native", "address", "notes")


def _as_float(value: object) -> float | None:
    """Read a number sent as a number or numeric string ("37.20", E9)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


class FaceTerminalSimulator(HFSecurityMqttDevice):
    """One face terminal ("all-in-one machine") on an MQTT broker.

    Observable state for tests (each a thread-safe snapshot), on top of the family's
    (see ``HFSecurityMqttDevice``): ``unlock_count``, ``unlocks``, ``door_mode``,
    ``door_config``, ``temperature_config``, ``sound_config``, ``face_config``,
    ``fahrenheit``.
    """

    kind = "terminal"
    has_door = True
    model = Model(
        device_id="1305433",
        name="Face1",
        heartbeat_interval=30.0,  # §15
        online_repeat_interval=60.0,  # §10.1: "about every 60 s"
        firmware="v12.5.6L3M1-1.0.6.9 Beta",
        buildtime="2019-12-02/10:46:05",
        client_prefix="FaceTerminal",
    )
    activity = TerminalActivity

    def __init__(
        self,
        host: str,
        port: int,
        device_id: str | None = None,
        *,
        door_mode: int = 2,
        name_key: str = "persionName",
        string_numbers: bool = True,
        **settings: Any,
    ) -> None:
        """Configure the terminal; nothing connects until ``start()``.

        ``settings`` are those of ``HFSecurityMqttDevice`` (the broker, the timers, the
        name, ...); the defaults are the document's: ID 1305433, heartbeat 30 s (§15),
        ``Online`` about every 60 s (§10.1), re-sends after about 10 s (§11).
        ``door_mode`` is the initial §9.3 ``OpendoorWay``. ``name_key`` is the
        record's person-name key (``persionName`` on terminal firmware).
        ``string_numbers`` sends numbers as strings like the real firmware.
        """
        if not 0 <= door_mode <= 3:
            raise ValueError("door_mode must be 0..3 (§9.3 OpendoorWay)")
        super().__init__(host, port, device_id, **settings)
        self.name_key = name_key
        self.string_numbers = string_numbers
        # When True, ``GetSceneSnap-Ack`` carries ``data:image/jpeg;base64,`` before the
        # Base64: the document does not show the ack (§16, E40), so both are plausible.
        self.scene_snap_data_uri = False
        self._door: dict[str, int] = dict(_DEFAULT_DOOR_CONFIG)
        self._door["OpendoorWay"] = door_mode
        self._unlocks: list[dict[str, Any]] = []
        self._tpt: dict[str, float] = dict(_DEFAULT_TPT_CONFIG)
        self._sound: dict[str, int | str] = dict(_DEFAULT_SOUND_CONFIG)
        self._face: dict[str, int] = dict(_DEFAULT_FACE_CONFIG)

    def _initial_mqtt_config(self) -> dict[str, int]:
        """§9.6 defaults (``QRCode`` on)."""
        return dict(_DEFAULT_MQTT_CONFIG)

    # -------------------------------------------------------------------- door

    @property
    def door_mode(self) -> int:
        """§9.3 ``OpendoorWay``: 0 face, 1 remote only, 2 face or remote, 3 remote decision."""
        with self._lock:
            return self._door["OpendoorWay"]

    @door_mode.setter
    def door_mode(self, value: int) -> None:
        if not 0 <= value <= 3:
            raise ValueError("door_mode must be 0..3")
        with self._lock:
            self._door["OpendoorWay"] = value

    @property
    def verify_mode(self) -> int:
        """§9.3 ``VerifyMode``: base mode ORed with 0x100 (mask) and 0x200 (temperature)."""
        with self._lock:
            return self._door["VerifyMode"]

    @verify_mode.setter
    def verify_mode(self, value: int) -> None:
        if value & 0xFF not in _VERIFY_MODE_BASES or value & ~0x3FF:
            raise ValueError("not a §9.3 VerifyMode")
        with self._lock:
            self._door["VerifyMode"] = value

    door_config = LockedCopy("_door", dict, "All §9.3 door fields.")
    temperature_config = LockedCopy(
        "_tpt", dict, "All §9.5 temperature fields, temperatures in °C whatever the mode."
    )
    sound_config = LockedCopy("_sound", dict, "All §9.2 sound and display fields.")
    face_config = LockedCopy("_face", dict, "All §9.10 face recognition fields.")

    @property
    def fahrenheit(self) -> bool:
        """§9.5 ``TemperatureMode`` 1: temperatures are shown and reported in °F."""
        with self._lock:
            return self._tpt["TemperatureMode"] == 1

    @fahrenheit.setter
    def fahrenheit(self, value: bool) -> None:
        with self._lock:
            self._tpt["TemperatureMode"] = int(value)

    unlocks = LockedCopy(
        "_unlocks",
        list,
        "Door openings caused remotely (``Unlock`` §8, or ``PushAck`` openDoor §9.3.5).",
    )
    unlock_count = LockedCopy("_unlocks", len, "Number of remote door openings.")

    def last_unlock_via(self) -> str | None:
        """``Unlock`` or ``PushAck``: the command that last opened the door remotely."""
        unlocks = self.unlocks
        return str(unlocks[-1]["via"]) if unlocks else None

    def _unlock(self, via: str, info: Mapping[str, Any], **details: Any) -> None:
        """Open the door remotely and note it in ``unlocks``. Lock held."""
        self._unlocks.append(
            {
                "via": via,
                **details,
                "showInfo": info.get("showInfo", info.get("Showinfo")),
                "time": self._now_text(),
            }
        )

    # ------------------------------------------------------------------ pushes

    def push_record(
        self,
        custom_id: str | None = None,
        *,
        verify_status: int = 1,
        temperature: float | None = None,
        temperature_alarm: int | None = None,
        no_mask: bool | None = None,
        mask_checked: bool = False,
        similarity: float = 93.5,
        picture: bytes | None = DEFAULT_FACE_JPEG,
        picture_label: str = "jpeg",
        push_type: int = 0,
        direction: str | None = None,
        otype_base: int = 1,
        at: dt.datetime | None = None,
    ) -> int:
        """Publish a ``RecPush`` recognition record on ``<ID>/Rec`` (§5); return its ``RecordID``.

        Field set and types follow a captured terminal record (field notes §3.2):
        numbers as strings, ``Sendintime`` an int, the name under ``name_key``.
        ``otype`` is ``otype_base`` ORed with 0x100 when ``mask_checked`` and 0x200
        when a temperature is given (§5). ``temperatureAlarm`` defaults to "above
        37.30" (§9.5) when only ``temperature`` is given. ``picture=None`` sends no
        ``pic`` (``RecordUploadType`` 2).

        With ``ResumefromBreakpoint`` on, the record is sent again every
        ``resend_interval`` until a ``PushAck`` (type 2) arrives, unless
        ``push_type`` is 2 (a §20 replay, which needs no ack). Per §9.3.5 a device in
        door mode 1 does not push records, and with ``RecordUploadType`` 0 (§9.6)
        nothing is sent either; the ``RecordID`` is still allocated and returned, and the
        record kept for ``ManualPushRecords`` (§20). ``at`` is its device-local time
        (default now).
        """
        with self._lock:
            when = self._record_time(at)
            record_id = next(self._record_ids)
            person = self._persons.get(custom_id) if custom_id is not None else None
            otype = otype_base
            if mask_checked:
                otype |= OTYPE_MASK
            if temperature is not None:
                otype |= OTYPE_TEMPERATURE
            info: dict[str, Any] = {
                "customId": custom_id if custom_id is not None else "",
                "personId": str(person["personId"]) if person else "0",
                "RecordID": self._num(record_id),
                "VerifyStatus": self._num(verify_status),
                "PersonType": self._num(person["personType"] if person else 0),
                "similarity1": f"{similarity:.6f}" if self.string_numbers else similarity,
                "similarity2": "0.000000" if self.string_numbers else 0.0,
                # Captured terminals send Sendintime as a real int even though every
                # other number is a string (field notes §3.3.1).
                "Sendintime": 0,
                "direction": direction if direction is not None else self._direction(),
                "otype": self._num(otype),
                self.name_key: person["name"] if person else "",
                "facesluiceId": self.device_id,
                "facesluiceName": self.name,
                "idCard": person["idCard"] if person else "",
                "telnum": person["telnum1"] if person else " ",
                "time": when.strftime("%Y-%m-%d %H:%M:%S"),
            }
            info.update(self._temperature_fields(temperature, temperature_alarm))
            if temperature is None and temperature_alarm is not None:
                info["temperatureAlarm"] = self._num(temperature_alarm)
            if no_mask is not None:
                info["isNoMask"] = self._num(int(no_mask))
            info["PushType"] = self._num(push_type)
            info["cardNum2"] = self._num(person["cardNum2"] if person else 0)
            info["RFIDCard"] = person["RFIDCard"] if person and person["RFIDCard"] else "0"
            upload = self._mqtt_config["RecordUploadType"]
            if picture is not None and upload != 2:
                info["pic"] = to_data_uri(picture, picture_label)
            held = self._door["OpendoorWay"] == 1 or upload == 0
            if push_type != 2:
                self._log_face(2, when, info)
        reason = "door mode 1 or RecordUploadType 0" if held else None
        self._send_face((2, record_id), info, push_type=push_type, held=reason)
        return record_id

    def push_stranger(
        self,
        *,
        temperature: float | None = None,
        temperature_alarm: int | None = None,
        picture: bytes | None = DEFAULT_STRANGER_BMP,
        picture_label: str = "jpeg",
        push_type: int = 0,
        direction: str | None = None,
        at: dt.datetime | None = None,
    ) -> int:
        """Publish a ``StrSnapPush`` stranger snapshot on ``<ID>/Snap`` (§6); return its ``SnapID``.

        The default picture is BMP under a "jpeg" label, exactly like both of the
        document's stranger examples. Re-sent like records until ``PushAck`` type 1
        (§11.1). Not sent when ``StrangerUploadType`` is 1 (§9.6, "1 do not upload"), but
        kept for ``ManualPushSaps`` (§22) all the same. ``at`` is its device-local time
        (default now).
        """
        with self._lock:
            when = self._record_time(at)
            snap_id = next(self._snap_ids)
            info: dict[str, Any] = {
                "SnapID": self._num(snap_id),
                "facesluiceId": self.device_id,
                "facesluiceName": self.name,
                "direction": direction if direction is not None else self._direction(),
                "time": when.strftime("%Y-%m-%d %H:%M:%S"),
                **self._temperature_fields(temperature, temperature_alarm),
                "PushType": self._num(push_type),
            }
            if picture is not None:
                info["pic"] = to_data_uri(picture, picture_label)
            held = self._mqtt_config["StrangerUploadType"] != 0
            if push_type != 2:
                self._log_face(1, when, info)
        reason = "StrangerUploadType 1" if held else None
        self._send_face((1, snap_id), info, push_type=push_type, held=reason)
        return snap_id

    def _temperature_fields(
        self, temperature: float | None, alarm: int | None
    ) -> dict[str, str | int | float]:
        """§5/§6 ``temperature`` and ``temperatureAlarm``.

        ``temperature`` is the body temperature in °C; the record carries it plus the
        calibration ``TemperatureCheck``, in the unit ``TemperatureMode`` shows (°F on a
        Fahrenheit terminal). ``temperatureAlarm`` defaults to "at or above
        ``TemperatureHigh``" (§9.5, default 37.30 °C).
        """
        if temperature is None:
            return {}
        with self._lock:
            measured = temperature + self._tpt["TemperatureCheck"]
            high = self._tpt["TemperatureHigh"]
            shown = measured * 9 / 5 + 32 if self._tpt["TemperatureMode"] == 1 else measured
        return {
            "temperature": f"{shown:.2f}" if self.string_numbers else round(shown, 2),
            "temperatureAlarm": self._num(alarm if alarm is not None else int(measured >= high)),
        }

    def push_qr(self, text: str) -> None:
        """Publish a ``QRCodePush`` scan on ``<ID>/QRcode`` (§14.3), if ``QRCode`` upload is on."""
        self._reader_push("QRCode", "QRCodePush", "QRcode", QRCodeInfo=text, time=self._now_text())

    def push_card(self, number: str, *, card_mode: int = 1, endian: int = 1) -> None:
        """Publish a ``CardPush`` swipe on ``<ID>/card`` (§23); ``CardInfo`` is an object (E47)."""
        self._reader_push(
            "Card",
            "CardPush",
            "card",
            time=self._now_text(),
            CardInfo={"CardMode": str(card_mode), "Endian": str(endian), "CardNum": number},
        )

    def push_id_card(self) -> None:
        """Publish an ``IDCardPush`` on ``<ID>/IDcard`` (§21), nested ``IDCardInfo`` as in §21.1."""
        self._reader_push(
            "IDCard",
            "IDCardPush",
            "IDcard",
            time=self._now_text(),
            IDCardInfo={
                "IDCard_Idno": "110101199001011234",
                "IDCard_Name": "Test Person",
                "IDCard_Gender": 0,
                "IDCard_Nation": 1,
                "IDCard_Birthday": "1990-01-01",
                "IDCard_Address": "1 Example Road, Example City",
                "IDCard_Idissue": "Example Public Security Bureau",
                "IDCard_Idperiod": "20100101-20300101",
                "IDCard_Photo": to_data_uri(make_jpeg(102, 126, variant=4)),
            },
        )

    def _reader_push(self, switch: str, operator: str, suffix: str, **fields: Any) -> None:
        """Publish what a reader read, unless its §9.6 upload ``switch`` is off.

        ``info`` is the device's ID and name, then ``fields`` in order; no ``PushAck``.
        """
        with self._lock:
            if not self._mqtt_config[switch]:
                return
        info = {"facesluiceId": self.device_id, "facesluiceName": self.name, **fields}
        self._push(suffix, {"operator": operator, "info": info})

    def _direction(self) -> str:
        """§5 ``direction`` as terminals spell it ("entr", "exit", "unknow"), per §9.6 Direction."""
        return {0: "entr", 1: "exit"}.get(self._mqtt_config["Direction"], "unknow")

    # ------------------------------------------------------------- commands

    def _success_fields(self, operator: str, info: dict[str, Any]) -> str | int | None:
        """Every terminal ack carries ``result`` "ok", ``detail`` and ``code`` "200".

        As in the captured ``AddPersons-Ack`` of field notes §3.2.
        """
        info["result"] = "ok"
        info.setdefault("detail", "")
        return "200"

    def _unknown_operator(self, operator: str, command: dict[str, Any]) -> None:
        """Answer an operator the terminal does not know with an error."""
        _LOGGER.info("simulator %s: unsupported operator %r", self.device_id, operator)
        # The document has no code for an unknown operator; 400 is this simulator's.
        self._ack(command, error=CommandError(400, f"Unsupported operator {operator}"))

    def _accept_push_ack(self, ack_type: int, item_id: int, info: Mapping[str, Any]) -> None:
        """§11, and §9.3.5: in door mode 3 a record's ``PushAck`` with ``openDoor`` 1 opens."""
        super()._accept_push_ack(ack_type, item_id, info)
        if ack_type == 2 and self._door["OpendoorWay"] == 3 and as_int(info.get("openDoor")) == 1:
            self._unlock("PushAck", info, RecordID=item_id)

    def _cmd_get_sys_time(self, command: dict[str, Any]) -> None:
        """§9.8.2: report the clock, unpadded like the document's "2020-4-2T18:59:54"."""
        now = self._now()
        text = f"{now.year}-{now.month}-{now.day}T{now.hour:02d}:{now.minute:02d}:{now.second:02d}"
        self._ack(command, {"SysTime": text})

    @handles("Unlock")
    def _cmd_unlock(self, command: dict[str, Any]) -> None:
        """§8.1 remote door opening.

        In door mode 0 "calling the remote door opening command will be invalid"
        (§9.3.5): the device still acks "ok" but does not open. ``openDoor`` 0 means
        "don't open the door".
        """
        info = command.get("info")
        info = info if isinstance(info, dict) else {}
        extra: dict[str, Any] = {}
        if "uid" in info:
            extra["uid"] = info["uid"]
        open_door = as_int(info.get("openDoor"))
        with self._lock:
            mode = self._door["OpendoorWay"]
            if mode != 0 and open_door != 0:
                self._unlock(
                    "Unlock", info, messageId=command.get("messageId"), uid=info.get("uid")
                )
            elif mode == 0:
                _LOGGER.info("simulator %s: Unlock ignored in door mode 0", self.device_id)
            if utf8_len(str(info.get("showInfo", info.get("Showinfo", "")))) > 63:
                self._protocol_violations.append("Unlock: showInfo longer than 63 bytes (§8.1)")
        self._ack(command, extra)

    @handles("GetDoorconfig")
    def _cmd_get_door_config(self, command: dict[str, Any]) -> None:
        """§9.3.2: every door field, as strings like the example."""
        self._ack(command, {key: str(value) for key, value in self.door_config.items()})

    @handles("UpDoorconfig")
    def _cmd_up_door_config(self, command: dict[str, Any]) -> None:
        """§9.3.3: change any door field; 463 "VerifyMode error" for a bad ``VerifyMode``."""

        def body(info: dict[str, Any]) -> None:
            updates: dict[str, int] = {}
            for key in _DEFAULT_DOOR_CONFIG:
                if key not in info:
                    continue
                value = as_int(info[key])
                if key == "VerifyMode":
                    if value is None or value & 0xFF not in _VERIFY_MODE_BASES or value & ~0x3FF:
                        raise CommandError(463, "VerifyMode error")
                elif value is None:
                    raise CommandError(462, "Parameter error")
                elif key in _DOOR_RANGES:
                    low, high = _DOOR_RANGES[key]
                    if not low <= value <= high:
                        raise CommandError(462, "Parameter error")
                updates[key] = value
            with self._lock:
                self._door.update(updates)

        self._run(command, body)

    @handles("GetTPTconfig")
    def _cmd_get_tpt_config(self, command: dict[str, Any]) -> None:
        """§9.5.2: every temperature field as a string, temperatures in the shown unit."""
        with self._lock:
            config = dict(self._tpt)
        fahrenheit = config["TemperatureMode"] == 1
        fields: dict[str, str] = {}
        for key, value in config.items():
            shown = value
            if fahrenheit and key in _TPT_TEMPERATURES:
                shown = value * 9 / 5 + 32
            elif fahrenheit and key in _TPT_DELTAS:
                shown = value * 9 / 5
            fields[key] = f"{shown:.2f}" if isinstance(shown, float) else str(int(shown))
        self._ack(command, fields)

    @handles("UpTPTconfig")
    def _cmd_up_tpt_config(self, command: dict[str, Any]) -> None:
        """§9.5.3: change temperature fields; 462 "Parameter error" (the only code, L3892).

        Temperatures are read in the unit shown after the change (a ``TemperatureMode`` in
        the same command applies first). A value that is not a number or is outside what
        this terminal takes (``_TPT_RANGES``, in °C) is refused with 462 as well.
        """

        def body(info: dict[str, Any]) -> None:
            with self._lock:
                updated = dict(self._tpt)
            if "TemperatureMode" in info:
                mode = as_int(info["TemperatureMode"])
                if mode not in (0, 1):
                    raise CommandError(462, "Parameter error")
                updated["TemperatureMode"] = mode
            fahrenheit = updated["TemperatureMode"] == 1
            for key in _DEFAULT_TPT_CONFIG:
                if key == "TemperatureMode" or key not in info:
                    continue
                value = _as_float(info[key])
                if value is None:
                    raise CommandError(462, "Parameter error")
                if fahrenheit and key in _TPT_TEMPERATURES:
                    value = (value - 32) * 5 / 9
                elif fahrenheit and key in _TPT_DELTAS:
                    value = value * 5 / 9
                low, high = _TPT_RANGES.get(key, (float("-inf"), float("inf")))
                if not low - 0.005 <= value <= high + 0.005:
                    raise CommandError(462, "Parameter error")
                exact = key in _TPT_TEMPERATURES | _TPT_DELTAS
                updated[key] = round(value, 2) if exact else int(value)
            with self._lock:
                self._tpt = updated

        self._run(command, body)

    @handles("GetSoundconfig")
    def _cmd_get_sound_config(self, command: dict[str, Any]) -> None:
        """§9.2.2: every sound and display field as a string."""
        self._ack(command, {key: str(value) for key, value in self.sound_config.items()})

    @handles("UpSoundconfig")
    def _cmd_up_sound_config(self, command: dict[str, Any]) -> None:
        """§9.2.3: change sound and display fields; 462 "Parameter error" (L3870).

        ``Volume`` 0~100, ``IsShowName`` 0~2, every other flag 0~1, texts under 64 bytes;
        anything else is refused with 462, the document's only code.
        """

        def body(info: dict[str, Any]) -> None:
            lowered = {key.lower(): value for key, value in info.items()}
            updates: dict[str, int | str] = {}
            for key in _DEFAULT_SOUND_CONFIG:
                if key.lower() not in lowered:  # the examples write "Verifytipcontent"
                    continue
                raw = lowered[key.lower()]
                if key in _SOUND_TEXTS:
                    if not isinstance(raw, str) or utf8_len(raw) >= 64:
                        raise CommandError(462, "Parameter error")
                    updates[key] = raw
                    continue
                value = as_int(raw)
                high = 100 if key == "Volume" else 2 if key == "IsShowName" else 1
                if value is None or not 0 <= value <= high:
                    raise CommandError(462, "Parameter error")
                updates[key] = value
            with self._lock:
                self._sound.update(updates)

        self._run(command, body)

    @handles("GetFaceconfig")
    def _cmd_get_face_config(self, command: dict[str, Any]) -> None:
        """§9.10.2: the face recognition fields as strings."""
        self._ack(command, {key: str(value) for key, value in self.face_config.items()})

    @handles("UpFaceconfig")
    def _cmd_up_face_config(self, command: dict[str, Any]) -> None:
        """§9.10.3: change face recognition fields (L3909-3913).

        463 "unknow facesluiceId" for another device's ID; 462 "Parameter error" for a value
        outside its §9.10 range or an odd detection-area value ("even numbers only").
        """

        def body(info: dict[str, Any]) -> None:
            if self._target_mismatch(command):
                raise CommandError(463, "unknow facesluiceId")
            updates: dict[str, int] = {}
            for key, (low, high) in _FACE_RANGES.items():
                if key not in info:
                    continue
                value = as_int(info[key])
                if value is None or not low <= value <= high:
                    raise CommandError(462, "Parameter error")
                if key.startswith("detectArea") and value % 2:
                    raise CommandError(462, "Parameter error")
                updates[key] = value
            with self._lock:
                self._face.update(updates)

        self._run(command, body)

    def _cmd_get_mqtt_config(self, command: dict[str, Any]) -> None:
        """§9.6: reporting parameters."""
        fields: dict[str, Any] = {key: str(value) for key, value in self.mqtt_config.items()}
        fields["BeginTime"] = ""
        self._ack(command, fields)

    def _cmd_up_mqtt_config(self, command: dict[str, Any]) -> None:
        """§9.6: set reporting parameters, numbers or numeric strings (L3897-3901).

        462 "Parameter error" for a value that is not a number or outside the §9.6 table's
        range; 463 when resuming without any upload enabled. Fields not sent keep their
        values.
        """

        def body(info: dict[str, Any]) -> None:
            with self._lock:
                updated = dict(self._mqtt_config)
                for key in updated:
                    if key in info:
                        value = as_int(info[key])
                        low, high = _MQTT_CONFIG_RANGES.get(key, (0, 1))
                        if value is None or not low <= value <= high:
                            raise CommandError(462, "Parameter error")
                        updated[key] = value
                if (
                    updated["ResumefromBreakpoint"]
                    and updated["StrangerUploadType"] != 0
                    and updated["RecordUploadType"] == 0
                ):
                    raise CommandError(463, "ResumefromBreakpoint need Topic Snap or Verify")
                self._mqtt_config = updated
                if not updated["ResumefromBreakpoint"]:
                    self._pending.clear()

        self._run(command, body)

    @handles("ManualPushRecords")
    def _cmd_manual_push_records(self, command: dict[str, Any]) -> None:
        """§20: re-push the recognition records of ``TimeS``..``TimeE`` with ``PushType`` 2.

        ``RecordNum`` first, then the records exactly as first made but for ``PushType``
        "2"; they need no ``PushAck`` (L3486). Errors L4022-4030: 462, 463 another device,
        464/465 ``TimeS``/``TimeE``, 466 nothing in the window, 467 ``RecordUploadType`` 0.
        """
        self._manual_push(command, records=True)

    @handles("ManualPushSaps")
    def _cmd_manual_push_saps(self, command: dict[str, Any]) -> None:
        """§22: re-push the stranger snapshots of ``TimeS``..``TimeE`` (errors L4032-4041).

        The answer is named ``ManualPushSnaps-Ack``, as the document's reply example has it
        (L3628, E46), while the request is ``ManualPushSaps`` (L3592, L3605).
        """
        self._manual_push(command, records=False, ack_operator="ManualPushSnaps-Ack")

    def _cmd_get_scene_snap(self, command: dict[str, Any]) -> None:
        """§16 capture scene map: ``info.ImgData`` with the Base64 picture.

        The ack example is missing from the document (E40); this simulator puts
        ``ImgData`` in ``info`` without a ``data:`` prefix (see ``scene_snap_data_uri``).
        ``ImgType`` 2 gives JPEG at ``ImgQuality`` (55-100, default 55), 1 gives BMP;
        0 (YUV) is answered with 463 "GetSceneSnap error".
        """

        def body(info: dict[str, Any]) -> dict[str, Any]:
            if not self.scene_snap_supported:
                raise CommandError(464, "Version not support GetSceneSnap")
            if self._target_mismatch(command):
                raise CommandError(465, "Unknow facesluiceId")
            img_type = as_int(info.get("ImgType", 2))
            quality = as_int(info.get("ImgQuality", 55)) or 55
            quality = min(max(quality, 55), 100)
            if img_type == 2:
                data = make_scene(fmt="jpeg", quality=quality)
            elif img_type == 1:
                data = make_scene(fmt="bmp")
            else:
                raise CommandError(463, "GetSceneSnap error")
            encoded = (
                to_data_uri(data)
                if self.scene_snap_data_uri
                else base64.b64encode(data).decode("ascii")
            )
            return {"ImgData": encoded}

        self._run(command, body)

    # -------------------------------------------------------------- persons

    def _person_defaults(self) -> dict[str, Any]:
        """Return the terminal's own §4.1 person fields at their defaults (cards too)."""
        return {
            "tempCardType": 0,
            "cardValidBegin": UNSET_TIME,
            "cardValidEnd": UNSET_TIME,
            "EffectNumber": 0,
            "nation": 1,
            "telnum1": " ",
            "native": " ",
            "address": " ",
            "notes": " ",
            "cardType2": 0,
            "WiegandType": 1,
            "WGFacilityCode": 0,
            "cardNum2": 0,
            "CardMode": 0,
            "RFCardMode": 1,
            "RFIDCard": "",
            "cardType": 0,
            "createTime": self._now().strftime("%Y-%m-%dT%H:%M:%S"),
        }

    def _check_person(self, info: Mapping[str, Any], custom_id: str, name: str) -> dict[str, Any]:
        """Check an ``EditPerson`` before anything changes; return its card fields.

        Records over-long text (§4.1) and raises the card errors 473-476. Lock held.
        """
        self._check_limits("EditPerson", info, custom_id, name)
        return self._card_fields(info, custom_id)

    def _apply_person_fields(
        self, person: dict[str, Any], info: Mapping[str, Any], checked: Mapping[str, Any]
    ) -> None:
        """Copy the §4.1 fields of ``info`` and the ``checked`` card fields into ``person``."""
        self._copy_person_fields(
            person, info, _PERSON_NUMBERS, _PERSON_TEXTS, example_spellings=True
        )
        if person["tempCardType"] in (1, 2):
            for key in ("cardValidBegin", "cardValidEnd"):
                value = info.get(key)
                if isinstance(value, str) and value:
                    person[key] = value
        person.update(checked)

    def _card_fields(self, info: Mapping[str, Any], custom_id: str) -> dict[str, Any]:
        """§4.1 Wiegand and RF card fields, with errors 473-476. Lock held."""
        fields: dict[str, Any] = {}
        card_type2 = as_int(info.get("cardType2"))
        if card_type2 is not None:
            fields["cardType2"] = card_type2
        wiegand_type = as_int(info.get("WiegandType"))
        if wiegand_type is not None:
            fields["WiegandType"] = wiegand_type
        if card_type2 == 2:
            card_num = as_int(info.get("cardNum2"))
            if card_num is None:
                raise CommandError(475, "Get cardNum2 error")
            if wiegand_type in (6, 7):
                facility = as_int(info.get("WGFacilityCode", info.get("WGfacilityCode")))
                if facility is None:
                    raise CommandError(474, "Get WGFacilityCode error")
                fields["WGFacilityCode"] = facility
            for other in self._persons.values():
                if (
                    other["customId"] != custom_id
                    and other["cardType2"] == 2
                    and other["cardNum2"] == card_num
                ):
                    raise CommandError(476, "cardNum2 already exist")
            fields["cardNum2"] = card_num
        rfid = info.get("RFIDCard")
        if isinstance(rfid, (str, int)) and str(rfid).strip() not in ("", "0"):
            rfid_text = str(rfid).strip()
            for other in self._persons.values():
                if other["customId"] != custom_id and other["RFIDCard"] == rfid_text:
                    raise CommandError(473, "RFIDCard already exist")
            if len(rfid_text) > 10:
                self._protocol_violations.append(
                    "EditPerson: RFIDCard longer than 10 characters (§4.1)"
                )
            fields["RFIDCard"] = rfid_text
        return fields

    def _delete_all_persons(self) -> None:
        """Empty the person list; "the control records will also be deleted" (§4.5)."""
        with self._lock:
            super()._delete_all_persons()
            # No record is left to re-send.
            self._pending.clear()

    def _list_entry(self, person: Mapping[str, Any]) -> dict[str, Any]:
        """Build a §4.2.3 ``List`` item."""
        return {
            "LibID": self._num(1),
            "personType": self._num(person["personType"]),
            "name": person["name"],
            "gender": self._num(person["gender"]),
            "nation": self._num(person["nation"]),
            "cardType": self._num(person["cardType"]),
            "idCard": person["idCard"],
            "birthday": person["birthday"],
            "telnum1": person["telnum1"],
            "native": person["native"],
            "address": person["address"],
            "notes": person["notes"],
            "cardType2": self._num(person["cardType2"]),
            "cardNum2": self._num(person["cardNum2"]),
            "RFIDCard": person["RFIDCard"] or "0",
            "tempCardType": self._num(person["tempCardType"]),
            "customId": person["customId"],
            "cardValidBegin": person["cardValidBegin"] or UNSET_TIME,
            "cardValidEnd": person["cardValidEnd"] or UNSET_TIME,
        }

    def _search_person_fields(self, person: Mapping[str, Any]) -> dict[str, Any]:
        """§4.2.2 ``SearchPerson-Ack`` ``info``: ``Name`` capitalised, as in the example."""
        return {
            "personId": person["personId"],
            "customId": person["customId"],
            "Name": person["name"],
            "gender": self._num(person["gender"]),
            "idCard": person["idCard"],
            "address": person["address"],
            "createTime": person["createTime"],
            "telnum1": person["telnum1"],
            "personType": self._num(person["personType"]),
            "cardNum2": self._num(person["cardNum2"]),
        }

    def _query_person_fields(self, total: int, ids: list[str]) -> dict[str, Any]:
        """Build the §4.2.1 answer from the person count and the non-empty ``customId``s."""
        return {
            "TotalPersonNum": self._num(total),
            "QueryPersonNum": self._num(len(ids)),
            "Customid": ",".join(ids),
        }
