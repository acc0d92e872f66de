"""Image handling shared by the protocols: base64/data-URI decoding, sniffing, JPEG output.

Every function here is blocking CPU work (Pillow); callers in an event loop run them in an
executor. None of them logs or keeps image data.
"""

from __future__ import annotations

import base64
import binascii
import io

from PIL import Image, ImageOps, UnidentifiedImageError

from .model import InvalidPhotoError, PhotoLimits, Picture

# A device picture is "within 1m" (face-terminal-mqtt v1.24 §5, §6); a little headroom for
# firmware that overshoots, but nothing near what a hostile payload could carry.
MAX_PICTURE_BYTES = 2 * 1024 * 1024
# Decoded pixels above this are refused before Pillow allocates them (decompression bombs).
MAX_PIXELS = 4096 * 4096


def strip_data_uri(value: str) -> str:
    """Return the base64 part of `value`, dropping any `data:<type>;base64,` prefix.

    The prefix is ignored rather than trusted: HFSecurity firmware labels BMP data as JPEG
    (face_terminal_mqtt digest §2.4, erratum E25).
    """
    if value[:5].lower() == "data:" and "," in value:
        return value.split(",", 1)[1]
    return value


def decode_base64(value: str, max_bytes: int = MAX_PICTURE_BYTES) -> bytes:
    """Decode tolerant base64 (prefix, whitespace, missing padding) to at most `max_bytes`.

    Also repairs the JPEG whose leading `/` was lost (`9j/4AAQ…`, erratum E25).
    Raises InvalidPhotoError when the text is not base64 or decodes to more than `max_bytes`.
    """
    # split/join: a regex over a 400 KB scene costs 20 times more (scripts/bench profile).
    text = "".join(strip_data_uri(value).split())
    if len(text) > (max_bytes * 4) // 3 + 4:
        raise InvalidPhotoError("picture larger than allowed")
    if text.startswith("9j/"):
        text = "/" + text
    text += "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidPhotoError("picture is not valid base64") from err
    if not data:
        raise InvalidPhotoError("picture is empty")
    if len(data) > max_bytes:
        raise InvalidPhotoError("picture larger than allowed")
    return data


def sniff_format(data: bytes) -> str | None:
    """Return "jpeg", "png" or "bmp" from the magic bytes, or None for anything else."""
    if data[:2] == b"\xff\xd8":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:2] == b"BM":
        return "bmp"
    return None


def _open(data: bytes) -> Image.Image:
    """Open image bytes with Pillow, refusing unknown formats and oversized canvases."""
    if sniff_format(data) is None:
        raise InvalidPhotoError("not a JPEG, PNG or BMP image")
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise InvalidPhotoError("image has too many pixels")
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise InvalidPhotoError("image cannot be decoded") from err
    return image


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """Encode an image as baseline JPEG."""
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def to_jpeg(data: bytes) -> bytes:
    """Return `data` as JPEG: JPEG passes through untouched, PNG and BMP are converted.

    Raises InvalidPhotoError for anything that is not a decodable JPEG, PNG or BMP.
    """
    if sniff_format(data) == "jpeg":
        return data
    return _encode_jpeg(_open(data), 90)


def picture_to_jpeg(picture: Picture, max_bytes: int = MAX_PICTURE_BYTES) -> bytes:
    """Decode a device picture (base64 with or without a lying prefix) to JPEG bytes.

    Raises InvalidPhotoError when it is not base64, too large, or not an image.
    """
    return to_jpeg(decode_base64(picture.raw, max_bytes))


def normalize_photo(data: bytes, limits: PhotoLimits) -> bytes:
    """Turn any JPEG/PNG/BMP photo into a JPEG a device accepts.

    Applies the EXIF orientation, scales the longer side down to `limits.max_side` pixels, and
    lowers quality (then size) until the JPEG fits `limits.max_bytes`.
    Raises InvalidPhotoError when the photo cannot be decoded or brought within the limits.
    """
    image = ImageOps.exif_transpose(_open(data))
    if max(image.size) > limits.max_side:
        image.thumbnail((limits.max_side, limits.max_side))
    for _ in range(6):
        for quality in (90, 80, 70, 60):
            encoded = _encode_jpeg(image, quality)
            if len(encoded) <= limits.max_bytes:
                if len(encoded) < limits.min_bytes:
                    # Some devices reject tiny files (face-terminal-mqtt error 468); best
                    # quality is the only honest way to grow a small photo.
                    encoded = _encode_jpeg(image, 100)
                    if len(encoded) < limits.min_bytes:
                        raise InvalidPhotoError("photo is too small for this device")
                return encoded
        if min(image.size) < 64:
            break
        image = image.resize((image.width * 3 // 4, image.height * 3 // 4))
    raise InvalidPhotoError("photo cannot be made small enough for this device")
