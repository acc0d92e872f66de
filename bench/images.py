"""Pictures of a given size for the load: incompressible JPEGs drawn from a seeded noise.

Real faces and scenes compress well; noise does not, so a JPEG of noise reaches the
sizes the benchmark asks for (100 KB face, 400 KB scene, 50 KB enrolment photo) at a small
pixel count, and the same seed always gives the same bytes.
"""

from __future__ import annotations

import io
import random

from PIL import Image


def _noise_jpeg(width: int, height: int, seed: int, quality: int) -> bytes:
    """Return a JPEG of smooth colour noise (blocks of 4 px, so it looks like a picture)."""
    rng = random.Random(seed)
    small = Image.frombytes(
        "RGB",
        (max(width // 4, 1), max(height // 4, 1)),
        rng.randbytes(width // 4 * (height // 4) * 3),
    )
    image = small.resize((width, height), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def jpeg_of_size(target: int, *, seed: int = 1, aspect: float = 0.75, quality: int = 90) -> bytes:
    """Return a JPEG within about 5 % of ``target`` bytes (width/height = ``aspect``).

    Bisects on the height: the size grows monotonically with the pixel count.
    """
    low, high = 16, 4096
    best = b""
    for _ in range(20):
        height = (low + high) // 2
        data = _noise_jpeg(max(int(height * aspect), 16), height, seed, quality)
        best = data
        if abs(len(data) - target) <= target * 0.05:
            break
        if len(data) < target:
            low = height + 1
        else:
            high = height - 1
    return best
