"""Tolerant JSON and scalar helpers shared by the protocol codecs.

Vendor documents and firmware alike send JSON that is not quite JSON, and numbers as strings;
these helpers turn what arrives into Python values or say it cannot be done. Nothing here
logs or keeps payload data.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from typing import Any

from .model import FaceAccessError

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
# Repairs for the invalid JSON of the vendor examples: `/* */` comments and a period typed
# for the comma after a value (camera_mqtt digest §8.1), and a comma left out at the end of
# a line (temperature_http digest §8 erratum 1: `"sex": " male"` then a new line).
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_PERIOD_COMMA = re.compile(r'(["\d\]}])\s*\.(?=\s*["{\[])')
_MISSING_COMMA = re.compile(r'(["\d\]}]|true|false|null)([ \t\r]*\n\s*)(?=")')


class DecodeError(FaceAccessError):
    """A payload is not a message of this protocol; the text never contains payload data."""


def loads_tolerant(payload: str | bytes | bytearray) -> Any:
    """Parse JSON, also accepting the invalid JSON of the field and of the vendor examples.

    Repaired only after a strict parse failed: trailing commas (field notes §5), `/* */`
    comments, a period typed for a comma, and a comma missing at the end of a line.
    Raises DecodeError for anything else.
    """
    # Bytes that are not UTF-8 (a name in a legacy code page) garble that name, not the record.
    text = payload if isinstance(payload, str) else bytes(payload).decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError as err:  # absurdly deep nesting: hostile, never from a device
        raise DecodeError("JSON nested too deeply") from err
    repaired = _PERIOD_COMMA.sub(r"\1,", _COMMENT.sub("", text))
    repaired = _MISSING_COMMA.sub(r"\1,\2", repaired)
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", repaired))
    except ValueError as err:
        raise DecodeError("not JSON") from err
    except RecursionError as err:
        raise DecodeError("JSON nested too deeply") from err


def text(value: Any) -> str | None:
    """Return a stripped string, or None for absent, blank or non-scalar values."""
    if value is None or isinstance(value, (dict, list)):
        return None
    stripped = str(value).strip()
    return stripped or None


def ip_address(value: Any) -> str | None:
    """Return an IP address a device reports about itself, normalised; None for anything else.

    The owner builds the device's configuration URL from it, and a URL refuses text that is
    no host (a firmware's garbled or empty field).
    """
    candidate = text(value)
    if candidate is None:
        return None
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def integer(value: Any) -> int | None:
    """Return an int from an int or numeric string ("513", " 2 ", "2.0"), else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number_ = number(value)
    return None if number_ is None else int(number_)


def number(value: Any) -> float | None:
    """Return a float from a number or numeric string ("36.53", "96.800003"), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    # NaN and infinities are no reading; a device never means them.
    return result if math.isfinite(result) else None


def utf8_len(value: str) -> int:
    """Return the length in bytes that the devices' C buffers see."""
    return len(value.encode("utf-8"))
