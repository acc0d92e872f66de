"""Tests of the shared picture handling (protocols/images.py).

Every image is generated with Pillow; nothing is downloaded.
"""

from __future__ import annotations

import base64
import io
import random

from PIL import Image
import pytest

from custom_components.face_access.protocols.hfsecurity_mqtt import FACE_TERMINAL
from custom_components.face_access.protocols.images import (
    decode_base64,
    normalize_photo,
    picture_to_jpeg,
    sniff_format,
    strip_data_uri,
    to_jpeg,
)
from custom_components.face_access.protocols.model import (
    InvalidPhotoError,
    PhotoLimits,
    Picture,
)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """Return `image` saved in `fmt`."""
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def solid(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """Return a plain image (compresses to almost nothing)."""
    color: tuple[int, ...] = (200, 120, 80, 255) if mode == "RGBA" else (200, 120, 80)
    return Image.new(mode, size, color)


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Return random noise (compresses badly, like a worst-case photo)."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def opened(data: bytes) -> Image.Image:
    """Open image bytes with Pillow."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def b64(data: bytes) -> str:
    """Return plain base64 text."""
    return base64.b64encode(data).decode()


# ---- strip_data_uri -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("data:image/jpeg;base64,/9j/4AAQ", "/9j/4AAQ"),
        ("DATA:image/png;base64,iVBORw0K", "iVBORw0K"),
        # The label may lie (BMP under a JPEG label, E25): it is dropped, never trusted.
        ("data:image/jpeg;base64,Qk3m5QAA", "Qk3m5QAA"),
        ("/9j/4AAQ", "/9j/4AAQ"),
        ("data:no-comma", "data:no-comma"),
        ("", ""),
    ],
)
def test_strip_data_uri(value: str, expected: str) -> None:
    assert strip_data_uri(value) == expected


# ---- decode_base64 --------------------------------------------------------------------------


def test_decode_base64_round_trip_with_prefix() -> None:
    data = bytes(range(256))
    assert decode_base64("data:image/jpeg;base64," + b64(data)) == data


@pytest.mark.parametrize("text", ["YWJjZA", "YWJjZA=", "YWJjZA=="])
def test_decode_base64_repairs_missing_padding(text: str) -> None:
    assert decode_base64(text) == b"abcd"


def test_decode_base64_ignores_whitespace_and_line_breaks() -> None:
    data = bytes(range(100))
    text = b64(data)
    wrapped = "\n".join(text[i : i + 10] for i in range(0, len(text), 10))
    assert decode_base64(f"  {wrapped}\r\n\t") == data


def test_decode_base64_restores_jpeg_missing_its_leading_slash() -> None:
    """E25: the document's JPEG example starts `9j/4AAQ`, its leading `/` lost."""
    jpeg = encode(solid(), "JPEG")
    text = b64(jpeg)
    assert text.startswith("/9j/")
    assert decode_base64("data:image/jpeg;base64," + text[1:]) == jpeg


@pytest.mark.parametrize("text", ["not base64!", "ab$d", "A", "====", "", "   ", "data:x;base64,"])
def test_decode_base64_rejects_invalid_text(text: str) -> None:
    with pytest.raises(InvalidPhotoError):
        decode_base64(text)


def test_decode_base64_enforces_the_limit_exactly() -> None:
    assert decode_base64(b64(b"x" * 10), max_bytes=10) == b"x" * 10
    for size in (11, 12, 13, 40):
        with pytest.raises(InvalidPhotoError, match="larger"):
            decode_base64(b64(b"x" * size), max_bytes=10)


def test_decode_base64_refuses_huge_text_before_decoding() -> None:
    with pytest.raises(InvalidPhotoError, match="larger"):
        decode_base64("A" * (4 * 1024 * 1024))


def test_invalid_photo_error_carries_no_payload() -> None:
    secret = "c2VjcmV0IGZhY2U$"
    with pytest.raises(InvalidPhotoError) as err:
        decode_base64(secret)
    assert secret not in str(err.value)


# ---- sniff_format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("JPEG", "jpeg"), ("PNG", "png"), ("BMP", "bmp"), ("GIF", None), ("TIFF", None)],
)
def test_sniff_format(fmt: str, expected: str | None) -> None:
    assert sniff_format(encode(solid(), fmt)) == expected


@pytest.mark.parametrize("data", [b"", b"\xff", b"B", b"hello world"])
def test_sniff_format_of_non_images(data: bytes) -> None:
    assert sniff_format(data) is None


# ---- to_jpeg ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "mode"), [("BMP", "RGB"), ("PNG", "RGB"), ("PNG", "RGBA")])
def test_to_jpeg_converts_bmp_and_png(fmt: str, mode: str) -> None:
    source = solid((80, 60), mode)
    result = to_jpeg(encode(source, fmt))
    assert sniff_format(result) == "jpeg"
    image = opened(result)
    assert image.format == "JPEG"
    assert image.size == (80, 60)
    # The colour survives the conversion (JPEG is lossy: allow a little drift).
    red, green, blue = image.convert("RGB").getpixel((40, 30))
    assert abs(red - 200) < 8
    assert abs(green - 120) < 8
    assert abs(blue - 80) < 8


def test_to_jpeg_passes_jpeg_through_unchanged() -> None:
    jpeg = encode(noise((50, 40)), "JPEG", quality=95)
    assert to_jpeg(jpeg) == jpeg


@pytest.mark.parametrize(
    "data",
    [
        b"garbage that is not a picture",
        b"",
        b"BM" + b"\x00" * 40,  # a BMP header and nothing else
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature and nothing else
        encode(solid(), "GIF"),
    ],
)
def test_to_jpeg_rejects_what_is_not_an_image(data: bytes) -> None:
    with pytest.raises(InvalidPhotoError):
        to_jpeg(data)


def test_to_jpeg_rejects_a_truncated_png() -> None:
    png = encode(noise((64, 64)), "PNG")
    with pytest.raises(InvalidPhotoError):
        to_jpeg(png[: len(png) // 2])


def test_to_jpeg_refuses_a_decompression_bomb() -> None:
    """A few kB of PNG can claim a huge canvas; it is refused, not allocated."""
    bomb = encode(Image.new("L", (5000, 4000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(InvalidPhotoError, match="pixels"):
        to_jpeg(bomb)


# ---- picture_to_jpeg ------------------------------------------------------------------------


def test_picture_to_jpeg_converts_bmp_behind_a_jpeg_label() -> None:
    """E25: `data:image/jpeg;base64,Qk…` is BMP; the camera still gets a JPEG."""
    bmp = encode(solid((32, 24)), "BMP")
    raw = "data:image/jpeg;base64," + b64(bmp)
    assert raw.startswith("data:image/jpeg;base64,Qk")
    result = picture_to_jpeg(Picture(raw))
    assert sniff_format(result) == "jpeg"
    assert opened(result).size == (32, 24)


def test_picture_to_jpeg_keeps_a_jpeg_as_is() -> None:
    jpeg = encode(solid(), "JPEG")
    assert picture_to_jpeg(Picture("data:image/jpeg;base64," + b64(jpeg))) == jpeg


def test_picture_to_jpeg_rejects_bad_pictures() -> None:
    with pytest.raises(InvalidPhotoError):
        picture_to_jpeg(Picture("data:image/jpeg;base64,@@@not base64@@@"))
    with pytest.raises(InvalidPhotoError):
        picture_to_jpeg(Picture(b64(b"plain text, not an image")))
    jpeg = encode(noise((100, 100)), "JPEG")
    with pytest.raises(InvalidPhotoError, match="larger"):
        picture_to_jpeg(Picture(b64(jpeg)), max_bytes=len(jpeg) - 1)


# ---- normalize_photo ------------------------------------------------------------------------


def test_normalize_photo_applies_exif_orientation() -> None:
    """A phone photo stored landscape with Orientation 6 must reach the device upright."""
    image = Image.new("RGB", (640, 480), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 320, 480))  # left half red, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = encode(image, "JPEG", exif=exif.tobytes())
    assert opened(data).size == (640, 480)

    result = opened(normalize_photo(data, PhotoLimits(max_bytes=500_000, max_side=1080)))
    assert result.format == "JPEG"
    assert result.size == (480, 640)
    # The orientation is baked into the pixels: no tag is left to rotate it a second time.
    assert result.getexif().get(0x0112) in (None, 1)
    # Rotated clockwise, the stored left half (red) is now the top half.
    top_red, _, top_blue = result.convert("RGB").getpixel((240, 100))
    bottom_red, _, bottom_blue = result.convert("RGB").getpixel((240, 540))
    assert top_red > 200 > top_blue
    assert bottom_blue > 200 > bottom_red


def test_normalize_photo_scales_a_large_photo_to_max_side() -> None:
    source = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    data = encode(source, "JPEG", quality=85)
    result = opened(normalize_photo(data, PhotoLimits(max_bytes=700_000, max_side=1080)))
    assert result.size == (1080, 810)


def test_normalize_photo_keeps_a_small_photo_size() -> None:
    result = opened(
        normalize_photo(encode(noise((300, 400)), "PNG"), FACE_TERMINAL.profile.photo_limits)
    )
    assert result.format == "JPEG"
    assert result.size == (300, 400)


def test_normalize_photo_fits_max_bytes() -> None:
    data = encode(noise((1000, 1000)), "PNG")
    limits = PhotoLimits(max_bytes=60_000, max_side=1080)
    result = normalize_photo(data, limits)
    assert sniff_format(result) == "jpeg"
    assert len(result) <= 60_000
    # It still is a photo of a useful size, not a thumbnail.
    assert min(opened(result).size) >= 100


@pytest.mark.parametrize("fmt", ["BMP", "PNG", "JPEG"])
def test_normalize_photo_accepts_every_input_format(fmt: str) -> None:
    result = normalize_photo(encode(noise((200, 200)), fmt), FACE_TERMINAL.profile.photo_limits)
    assert sniff_format(result) == "jpeg"
    assert 1000 <= len(result) <= 700_000


def test_normalize_photo_raises_when_it_cannot_fit() -> None:
    with pytest.raises(InvalidPhotoError, match="small enough"):
        normalize_photo(encode(noise((800, 800)), "PNG"), PhotoLimits(max_bytes=300, max_side=1080))


def test_normalize_photo_raises_when_below_the_devices_minimum() -> None:
    """The terminal refuses pictures under 1000 bytes (error 468)."""
    with pytest.raises(InvalidPhotoError, match="too small"):
        normalize_photo(encode(solid((16, 16)), "PNG"), FACE_TERMINAL.profile.photo_limits)


def test_normalize_photo_raises_on_garbage() -> None:
    with pytest.raises(InvalidPhotoError):
        normalize_photo(b"\xff\xd8 not really a jpeg", FACE_TERMINAL.profile.photo_limits)
