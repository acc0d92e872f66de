"""Hypothesis strategies that turn a real device payload into bad input.

A `Mutant` is what the fuzz harness delivers: the body's bytes, the Content-Type it is sent
with (HTTP only), the kind of damage done (for the report) and the strings the mutation put
in, which no log line may repeat (the payload never reaches the log). Every kind the issue
lists has a strategy here; `mutants(seed, limit)` picks one of them for a seed. Nothing
here knows a protocol: fields are found by their shape (a picture is a long base64 string,
a timestamp a key with "time" in it, an operator a key named `operator`, `cmd` or `type`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import json
import math
from typing import Any

from hypothesis import strategies as st

type Json = Any
type PathKey = str | int
type Path = tuple[PathKey, ...]

PAD = "FUZZ~"
"""The filler of huge strings: a log line that contains it repeated a payload."""
JSON_TYPE = "application/json"
OTHER_TYPES = (
    "text/plain",
    "",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=fuzz",
    "image/jpeg",
    "application/octet-stream",
    "application/json; charset=iso-8859-1",
    "text/html; charset=utf-16",
)
"""Content types devices send instead of JSON's (UNV sends text/plain, notes §1.3 item 4)."""
OUT_OF_RANGE: tuple[Json, ...] = (
    -1,
    -(2**31),
    -(2**63),
    2**31,
    2**63,
    2**64,
    10**30,
    -(10**30),
    1e308,
    -1e308,
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    5e-324,
    "NaN",
    "-1",
    "18446744073709551616",
    "1e400",
    "0x10",
)
"""Numbers no device field holds; NaN and the infinities are written as JSON's `NaN`."""
ODD_TIMES: tuple[Json, ...] = (
    -2208988800,  # 1900-01-01 in Unix seconds
    4102444800,  # 2100-01-01
    4102444800000,  # 2100 in milliseconds
    0,
    -1,
    2**63,
    "1900-01-01 00:00:00",
    "1900-01-00 00:00:00",  # the UNV document's own heartbeat time
    "2100-12-31 23:59:59",
    "2100/12/31 23:59:59.999",
    "1900/01/01 00:00:00.000",
    "0000-00-00 00:00:00",
    "9999-99-99 99:99:99",
    "2026-02-30 25:61:61",
    "20991231235959",
    "-2208988800",
    "",
)
"""Timestamps from 1900 and 2100 and ones that are no time at all, in every spelling."""
NOT_BASE64 = (
    "data:image/jpeg;base64,!!!not base64!!!",
    "data:image/jpeg;base64,",
    "data:image/jpeg;base64,=",
    "%%%%",
    "/9j/" + "*" * 64,
    "data:,",
    "bm90IGFuIGltYWdl",  # base64 of "not an image"
    "QUJD" * 100,  # base64 of "ABC..."
    "/9j/4AAQSkZJRgABAQ",  # a JPEG cut after its header
    "iVBORw0KGgo=",  # a PNG signature, nothing else
    "Qk0=",  # "BM": a BMP with no header
)
"""Pictures that are not base64, or base64 of something that is not a JPEG/PNG/BMP."""
BAD_BYTES = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\xfe\xff", b"\x80\x81\x82")
"""Bytes that are not UTF-8 (a lone lead byte, a surrogate, a stray continuation, NUL)."""
BROKEN_JSON = ("{", "}", "]", ",", ":", '"', "NaN", "\\", "\\u12", "/*", "'", "\x00", "\ufeff")


@dataclass(frozen=True, slots=True)
class Mutant:
    """One bad input: body, Content-Type, the kind of damage and what was put in."""

    body: bytes
    content_type: str
    kind: str
    planted: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        """Show the start of the body only: hypothesis prints failing cases, some are MBs."""
        body = self.body if len(self.body) <= 600 else self.body[:600] + b"..."
        return (
            f"Mutant(kind={self.kind!r}, content_type={self.content_type!r}, "
            f"size={len(self.body)}, body={body!r})"
        )


def parse(seed: str) -> Json | None:
    """Return the seed's JSON value, or None when the seed is not strict JSON."""
    try:
        return json.loads(seed)
    except ValueError:
        return None


def paths(value: Json, prefix: Path = ()) -> list[Path]:
    """Return the path of every value inside `value` (not `value` itself), depth first."""
    found: list[Path] = []
    items: list[tuple[PathKey, Json]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, child in items:
        path = (*prefix, key)
        found.append(path)
        found.extend(paths(child, path))
    return found


def get(value: Json, path: Path) -> Json:
    """Return the value at `path`."""
    for key in path:
        value = value[key]
    return value


def replaced(value: Json, path: Path, new: Json) -> Json:
    """Return a copy of `value` with the value at `path` replaced by `new`."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = replaced(copy[head], rest, new)  # type: ignore[index]
    return copy


def removed(value: Json, path: Path) -> Json:
    """Return a copy of `value` without the value at `path`."""
    parent = get(value, path[:-1])
    if isinstance(parent, dict):
        new: Json = {k: v for k, v in parent.items() if k != path[-1]}
    else:
        new = [v for i, v in enumerate(parent) if i != path[-1]]
    return replaced(value, path[:-1], new)


def _key_paths(value: Json, test: Callable[[str, Json], bool]) -> list[Path]:
    """Return the paths whose last key is a string for which `test(key, value)` holds."""
    return [p for p in paths(value) if isinstance(p[-1], str) and test(p[-1], get(value, p))]


def _is_picture(_key: str, value: Json) -> bool:
    return isinstance(value, str) and len(value) > 200


def _is_time(key: str, _value: Json) -> bool:
    return "time" in key.lower() or key.lower() in ("cap_time", "timestamp", "snaptime")


def _is_command(key: str, _value: Json) -> bool:
    return key.lower() in ("operator", "cmd", "type", "reply", "notificationtype")


def _is_number(_key: str, value: Json) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def encode(value: Json) -> bytes:
    """Return `value` as the JSON a device sends (NaN allowed, UTF-8)."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _scalars() -> st.SearchStrategy[Json]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=40),
    )


def json_values() -> st.SearchStrategy[Json]:
    """Any JSON value, nested a few levels."""
    return st.recursive(
        _scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(st.text(max_size=12), children, max_size=5),
        ),
        max_leaves=20,
    )


def _planted(value: Json) -> tuple[str, ...]:
    """Return the strings of a planted value long enough to recognise in a log line."""
    if isinstance(value, str):
        return (value,) if len(value.strip()) >= 8 else ()
    if isinstance(value, dict):
        return tuple(s for k, v in value.items() for s in (*_planted(k), *_planted(v)))
    if isinstance(value, list):
        return tuple(s for v in value for s in _planted(v))
    return ()


FIELD_KINDS = (
    "wrong_type",
    "missing_key",
    "duplicate_key",
    "huge_string",
    "huge_array",
    "non_utf8_field",
    "stacked",
)
"""Damage to fields, for a seed that is a JSON object or array."""
TEXT_KINDS = (
    "truncated",
    "invalid_json",
    "non_utf8_body",
    "wrong_encoding",
    "garbage",
    "random_json",
    "empty",
    "oversize_body",
    "deep_nesting",
)
"""Damage to the text as a whole, for any seed."""


def _fields_of(obj: Json) -> dict[str, list[Path]]:
    """Return the paths each shape-specific kind can damage (empty lists are left out)."""
    found = {
        "bad_base64": _key_paths(obj, _is_picture),
        "oversize_picture": _key_paths(obj, _is_picture),
        "odd_timestamp": _key_paths(obj, _is_time),
        "unknown_command": _key_paths(obj, _is_command),
        "out_of_range": _key_paths(obj, _is_number),
    }
    return {kind: found_paths for kind, found_paths in found.items() if found_paths}


def _field_mutant(draw: st.DrawFn, obj: Json, limit: int, kind: str) -> Mutant:
    """Damage one field (or the structure) of a JSON seed in the way `kind` names."""
    every = paths(obj)
    targets = _fields_of(obj).get(kind, every)
    path = draw(st.sampled_from(targets))
    new: Json
    match kind:
        case "missing_key":
            return Mutant(encode(removed(obj, path)), JSON_TYPE, kind)
        case "duplicate_key":
            return _duplicate_key(draw, obj)
        case "stacked":
            return _stacked(draw, obj)
        case "huge_string":
            size = draw(st.sampled_from((256, 4096, 70_000, 1_100_000)))
            new = PAD * (size // len(PAD))
        case "huge_array":
            size = draw(st.sampled_from((1000, 100_000)))
            new = [draw(st.sampled_from((0, "x", {}, [], None)))] * size
        case "bad_base64":
            new = draw(st.sampled_from(NOT_BASE64))
        case "oversize_picture":
            # A JPEG header then zeros: over the 2 MB picture limit, under the body limit.
            size = min(limit - 64 * 1024, 2_900_000)
            new = "/9j/4AAQ" + "A" * (size - 8)
        case "odd_timestamp":
            new = draw(st.sampled_from(ODD_TIMES))
        case "unknown_command":
            new = draw(
                st.one_of(
                    st.sampled_from(("", "Unknown", "RecPush-Ack", "face ", "heart beat", 0, -1)),
                    st.text(min_size=1, max_size=30),
                )
            )
        case "out_of_range":
            new = draw(st.sampled_from(OUT_OF_RANGE))
        case "non_utf8_field":
            strings = [p for p in every if isinstance(get(obj, p), str)] or every
            path = draw(st.sampled_from(strings))
            marker = f"FUZZ{draw(st.integers(0, 9999)):04d}"
            text = encode(replaced(obj, path, marker))
            bad = draw(st.sampled_from(BAD_BYTES))
            return Mutant(text.replace(marker.encode(), bad, 1), JSON_TYPE, kind)
        case _:  # wrong_type
            new = draw(json_values())
    return Mutant(encode(replaced(obj, path, new)), JSON_TYPE, kind, _planted(new))


def _duplicate_key(draw: st.DrawFn, obj: Json) -> Mutant:
    """Repeat a key of one of the seed's objects, the copy with another value first or last."""
    objects = [p for p in [(), *paths(obj)] if isinstance(get(obj, p), dict) and get(obj, p)]
    if not objects:
        return Mutant(encode(obj), JSON_TYPE, "duplicate_key")
    path = draw(st.sampled_from(objects))
    target: dict[str, Json] = get(obj, path)
    key = draw(st.sampled_from(sorted(target)))
    other = draw(json_values())
    pairs = list(target.items())
    pairs = [(key, other), *pairs] if draw(st.booleans()) else [*pairs, (key, other)]
    text = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs) + "}"
    placeholder = "FUZZ-DUPLICATE-PLACEHOLDER"
    whole = json.dumps(replaced(obj, path, placeholder), ensure_ascii=False)
    body = whole.replace(json.dumps(placeholder), text, 1)
    return Mutant(
        body.encode("utf-8", "surrogatepass"), JSON_TYPE, "duplicate_key", _planted(other)
    )


def _stacked(draw: st.DrawFn, obj: Json) -> Mutant:
    """Damage two or three fields at once (a firmware that gets several things wrong)."""
    planted: list[str] = []
    current = obj
    for _ in range(draw(st.integers(2, 3))):
        every = paths(current)
        if not every:
            break
        path = draw(st.sampled_from(every))
        if draw(st.booleans()):
            current = removed(current, path)
        else:
            new = draw(st.one_of(json_values(), st.sampled_from(OUT_OF_RANGE + ODD_TIMES)))
            planted.extend(_planted(new))
            current = replaced(current, path, new)
    return Mutant(encode(current), JSON_TYPE, "stacked", tuple(planted))


def _text_mutant(draw: st.DrawFn, seed: str, limit: int, kind: str) -> Mutant:
    """Damage the text itself in the way `kind` names."""
    raw = seed.encode("utf-8")
    match kind:
        case "truncated":
            cut = draw(st.integers(0, max(0, len(raw) - 1)))
            return Mutant(raw[:cut], JSON_TYPE, kind)
        case "invalid_json":
            at = draw(st.integers(0, len(seed)))
            junk = draw(st.one_of(st.sampled_from(BROKEN_JSON), st.text(min_size=1, max_size=4)))
            drop = draw(st.integers(0, 3))
            text = seed[:at] + junk + seed[at + drop :]
            return Mutant(text.encode("utf-8", "surrogatepass"), JSON_TYPE, kind)
        case "non_utf8_body":
            at = draw(st.integers(0, len(raw)))
            return Mutant(raw[:at] + draw(st.sampled_from(BAD_BYTES)) + raw[at:], JSON_TYPE, kind)
        case "wrong_encoding":
            codec = draw(st.sampled_from(("utf-16", "utf-32", "latin-1", "cp1252", "gbk")))
            return Mutant(seed.encode(codec, "replace"), JSON_TYPE, kind)
        case "garbage":
            return Mutant(draw(st.binary(max_size=512)), JSON_TYPE, kind)
        case "random_json":
            value = draw(json_values())
            return Mutant(encode(value), JSON_TYPE, kind, _planted(value))
        case "empty":
            body = draw(st.sampled_from((b"", b" ", b"null", b"{}", b"[]", b'""', b"0")))
            return Mutant(body, JSON_TYPE, kind)
        case "deep_nesting":
            depth = draw(st.sampled_from((100, 5000, 100_000)))
            opener, closer = draw(st.sampled_from(((b"[", b"]"), (b'{"a":', b"}"))))
            return Mutant(opener * depth + b"1" + closer * depth, JSON_TYPE, kind)
        case _:  # oversize_body: the seed padded past the limit
            size = limit + draw(st.integers(1, 256 * 1024))
            return Mutant(raw + b" " * (size - len(raw)), JSON_TYPE, kind)


@st.composite
def mutants(draw: st.DrawFn, seed: str, limit: int, *, http: bool) -> Mutant:
    """Return bad inputs made from one seed; `limit` is the path's body limit in bytes.

    The kind of damage is drawn first, each applicable kind equally likely, so that the
    report's counts stay comparable; `http` adds a wrong Content-Type (MQTT has none).
    """
    obj = parse(seed)
    kinds = list(TEXT_KINDS)
    if isinstance(obj, (dict, list)) and paths(obj):
        kinds += [*FIELD_KINDS, *_fields_of(obj)]
    if http:
        kinds.append("wrong_content_type")
    kind = draw(st.sampled_from(kinds))
    if kind == "wrong_content_type":
        # The good body with a Content-Type that is not JSON's, as devices send.
        return Mutant(seed.encode("utf-8"), draw(st.sampled_from(OTHER_TYPES)), kind)
    if kind in TEXT_KINDS:
        return _text_mutant(draw, seed, limit, kind)
    return _field_mutant(draw, obj, limit, kind)
