"""Generated pictures for every simulator (and the demo's roster).

The devices send Base64 pictures with a ``data:image/jpeg;base64,`` prefix, and the
vendor documents' own examples show that the data under that label is sometimes BMP
(``Qk3m...``, face-terminal-mqtt v1.24 §3.2.2 and §6). These helpers draw a simple
face (or a scene, or a false-colour thermal picture) with Pillow, so that no picture
ever has to be downloaded.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import Literal

from PIL import Image, ImageDraw

ImageFormat = Literal["jpeg", "png", "bmp"]

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_BMP_MAGIC = b"BM"

_SKIN_TONES = ((241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
_BACKGROUNDS = ((70, 110, 160), (90, 140, 90), (150, 150, 150), (120, 80, 130), (40, 40, 60))


def _draw_face(width: int, height: int, variant: int) -> Image.Image:
    """Draw a head-and-shoulders cartoon; ``variant`` changes colours and expression."""
    background = _BACKGROUNDS[variant % len(_BACKGROUNDS)]
    skin = _SKIN_TONES[(variant // len(_BACKGROUNDS)) % len(_SKIN_TONES)]
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    w, h = width, height
    # Shoulders.
    draw.ellipse((w * 0.05, h * 0.78, w * 0.95, h * 1.3), fill=(30 + variant * 17 % 200, 60, 90))
    # Neck and head.
    draw.rectangle((w * 0.42, h * 0.6, w * 0.58, h * 0.82), fill=skin)
    draw.ellipse((w * 0.22, h * 0.12, w * 0.78, h * 0.72), fill=skin, outline=(60, 40, 20), width=2)
    # Hair.
    draw.chord(
        (w * 0.2, h * 0.08, w * 0.8, h * 0.45), 180, 360, fill=(40 + variant * 31 % 120, 30, 20)
    )
    # Eyes and pupils.
    for cx in (0.38, 0.62):
        draw.ellipse((w * (cx - 0.07), h * 0.36, w * (cx + 0.07), h * 0.44), fill=(255, 255, 255))
        draw.ellipse((w * (cx - 0.03), h * 0.37, w * (cx + 0.03), h * 0.43), fill=(30, 30, 30))
    # Nose.
    draw.line(
        (w * 0.5, h * 0.42, w * 0.47, h * 0.53, w * 0.53, h * 0.53), fill=(120, 70, 40), width=2
    )
    # Mouth: a smile or a straight line, by variant.
    if variant % 2 == 0:
        draw.arc((w * 0.38, h * 0.52, w * 0.62, h * 0.64), 20, 160, fill=(150, 30, 30), width=3)
    else:
        draw.line((w * 0.4, h * 0.6, w * 0.6, h * 0.6), fill=(150, 30, 30), width=3)
    return image


def _encode(image: Image.Image, fmt: ImageFormat, quality: int) -> bytes:
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, format="JPEG", quality=quality)
    elif fmt == "png":
        image.save(buffer, format="PNG")
    else:
        image.save(buffer, format="BMP")
    return buffer.getvalue()


def make_jpeg(width: int = 120, height: int = 150, *, variant: int = 0, quality: int = 85) -> bytes:
    """Return a JPEG of a drawn face (a few kilobytes at the default size)."""
    return _encode(_draw_face(width, height, variant), "jpeg", quality)


def make_bmp(width: int = 120, height: int = 150, *, variant: int = 0) -> bytes:
    """Return a 24-bit BMP of a drawn face, as some firmware sends under a "jpeg" label."""
    return _encode(_draw_face(width, height, variant), "bmp", 0)


def make_png(width: int = 120, height: int = 150, *, variant: int = 0) -> bytes:
    """Return a PNG of a drawn face (accepted by ``EditPerson`` like JPEG and BMP)."""
    return _encode(_draw_face(width, height, variant), "png", 0)


def make_scene(
    width: int = 640, height: int = 360, *, fmt: ImageFormat = "jpeg", quality: int = 55
) -> bytes:
    """Return a wide "camera scene" with a face in it, for ``GetSceneSnap`` (§16)."""
    scene = Image.new("RGB", (width, height), (180, 190, 200))
    draw = ImageDraw.Draw(scene)
    draw.rectangle((0, int(height * 0.7), width, height), fill=(110, 100, 90))
    draw.rectangle(
        (int(width * 0.7), int(height * 0.15), int(width * 0.9), int(height * 0.7)),
        fill=(120, 80, 50),
    )
    face = _draw_face(height // 2, int(height * 0.6), 3)
    scene.paste(face, (width // 3, int(height * 0.2)))
    return _encode(scene, fmt, quality)


def make_thermal_jpeg(width: int = 320, height: int = 240, *, hot_spot: float = 0.6) -> bytes:
    """Return a false-colour "thermal" JPEG with one hot spot (a camera's ``tempic``)."""
    image = Image.new("RGB", (width, height), (20, 0, 80))
    draw = ImageDraw.Draw(image)
    cx, cy = int(width * hot_spot), int(height * 0.5)
    for step in range(12, 0, -1):
        radius = step * min(width, height) // 24
        heat = 255 - step * 18
        draw.ellipse(
            (cx - radius, cy - radius, cx + radius, cy + radius),
            fill=(heat, max(heat - 120, 0), max(120 - heat, 0)),
        )
    return _encode(image, "jpeg", 80)


def sniff_format(data: bytes) -> ImageFormat | None:
    """Identify a picture by its magic bytes: JPEG, PNG or BMP, else ``None``."""
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    if data.startswith(_PNG_MAGIC):
        return "png"
    if data.startswith(_BMP_MAGIC):
        return "bmp"
    return None


def to_data_uri(data: bytes, label: str = "jpeg") -> str:
    """Wrap picture bytes the way the device does: ``data:image/<label>;base64,<b64>``."""
    return f"data:image/{label};base64,{base64.b64encode(data).decode('ascii')}"


def decode_base64_picture(text: str) -> bytes:
    """Decode a picture string as the device would, with or without a ``data:`` prefix.

    Raises ``ValueError`` when the Base64 is malformed (error 463 of §4.1).
    """
    payload = text.strip()
    if payload[:5].lower() == "data:" and "," in payload:
        payload = payload.split(",", 1)[1]
    # Some senders wrap long Base64 lines; a C decoder skips the whitespace.
    payload = "".join(payload.split())
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError(str(err)) from err
