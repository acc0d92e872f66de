"""The brand images: the Home Assistant brands rules, and Home Assistant serving them.

Home Assistant 2026.3 added the `brands` system integration, which serves a custom
integration's `brand/` folder at /api/brands/integration/<domain>/<image> (the frontend's
integration cards load the icon from there, with the access token the `brands/access_token`
WebSocket command hands out). 2026.2 has no such integration and ignores the folder: on it,
the files are checked and the absence of the component is asserted, so that a Home Assistant
which did serve them would fail here rather than pass unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
import importlib
import importlib.machinery
import importlib.util
from pathlib import Path
import sys
from types import ModuleType
from typing import Any

from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_custom_components
from homeassistant.setup import async_setup_component
from PIL import Image, ImageChops, ImageStat
import pytest

from custom_components.face_access.const import DOMAIN

ROOT = Path(__file__).resolve().parent.parent
BRAND_DIR = ROOT / "custom_components" / DOMAIN / "brand"
SCRIPT = ROOT / "scripts" / "brand"

SERVES_CUSTOM_BRANDS = (MAJOR_VERSION, MINOR_VERSION) >= (2026, 3)
"""Whether the running Home Assistant serves custom integrations' brand folders."""

ICONS = {"icon.png": 256, "icon@2x.png": 512, "dark_icon.png": 256, "dark_icon@2x.png": 512}
"""Icons and their exact side (brands rules: 256x256, hDPI 512x512)."""
LOGOS = {"logo.png": 256, "logo@2x.png": 512, "dark_logo.png": 256, "dark_logo@2x.png": 512}
"""Logos and the largest shortest side allowed (brands rules: 128-256, hDPI 256-512); the
largest is preferred, and ours are exactly that high."""
IMAGES = {**ICONS, **LOGOS}
"""The eight file names Home Assistant 2026.3+ accepts in a brand folder."""

MAX_FILE_SIZE = 24 * 1024
"""Optimised PNGs of two colours and their edges stay well under this."""
LIGHT_BACKGROUND = (255, 255, 255)
DARK_BACKGROUND = (17, 17, 17)
"""Home Assistant's default light card background, and a dark theme's."""
MIN_CONTRAST = 3.0
"""WCAG's minimum contrast for graphics, for every colour that makes up the image."""


def _open(name: str) -> Image.Image:
    """Return a brand image as RGBA (a palette image with its transparency resolved)."""
    with Image.open(BRAND_DIR / name) as image:
        assert image.format == "PNG"
        converted: Image.Image = image.convert("RGBA")
    return converted


def _over_grey(image: Image.Image) -> Image.Image:
    """Return `image` over mid grey: what shows, the colour of transparent pixels aside."""
    background = Image.new("RGBA", image.size, (128, 128, 128, 255))
    background.alpha_composite(image)
    return background.convert("RGB")


def _luminance(colour: tuple[int, ...]) -> float:
    """Return the WCAG relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """Return the WCAG contrast ratio of two colours."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def main_colours(image: Image.Image, share: float = 0.05) -> list[tuple[int, ...]]:
    """Return the colours of at least `share` of the image's opaque pixels."""
    data = image.tobytes()
    pixels = (tuple(data[index : index + 4]) for index in range(0, len(data), 4))
    opaque = [pixel for pixel in pixels if pixel[3] == 255]
    assert opaque, "no opaque pixel"
    counts: dict[tuple[int, ...], int] = {}
    for pixel in opaque:
        counts[pixel[:3]] = counts.get(pixel[:3], 0) + 1
    return [colour for colour, count in counts.items() if count >= share * len(opaque)]


@pytest.fixture(scope="module")
def brand_script() -> Iterator[ModuleType]:
    """The drawing script scripts/brand, imported as a module (it has no .py suffix)."""
    name = "face_access_brand_script"
    loader = importlib.machinery.SourceFileLoader(name, str(SCRIPT))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    try:
        loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


def test_the_folder_holds_exactly_the_images_home_assistant_accepts() -> None:
    """Every accepted name is there, nothing else is (Home Assistant would never serve it)."""
    assert {path.name for path in BRAND_DIR.iterdir()} == set(IMAGES)
    if SERVES_CUSTOM_BRANDS:
        brands = importlib.import_module("homeassistant.components.brands.const")
        assert set(IMAGES) == set(brands.ALLOWED_IMAGES)
    else:
        # 2026.2: no brands integration, so nothing serves the folder (checked, not assumed).
        assert importlib.util.find_spec("homeassistant.components.brands") is None


@pytest.mark.parametrize("name", sorted(ICONS))
def test_icons_are_square_at_the_exact_size(name: str) -> None:
    """An icon is 256x256, its hDPI version 512x512."""
    assert _open(name).size == (ICONS[name], ICONS[name])


@pytest.mark.parametrize("name", sorted(LOGOS))
def test_logos_are_landscape_with_the_largest_shortest_side(name: str) -> None:
    """A logo is wider than high, and as high as the rules allow (256, hDPI 512)."""
    width, height = _open(name).size
    assert height == LOGOS[name]
    assert width > height
    assert LOGOS[name] // 2 <= min(width, height) <= LOGOS[name]


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_images_are_small_srgb_pngs_with_transparency(name: str) -> None:
    """An optimised sRGB PNG whose background is transparent."""
    path = BRAND_DIR / name
    assert path.stat().st_size <= MAX_FILE_SIZE
    with Image.open(path) as image:
        assert image.format == "PNG"
        # RGBA, or a palette with a transparency table (what scripts/brand writes).
        assert image.mode == "RGBA" or (image.mode == "P" and "transparency" in image.info)
    alpha = _open(name).getchannel("A")
    histogram = alpha.histogram()
    pixels = alpha.width * alpha.height
    assert histogram[0] >= 0.25 * pixels, "the background is not transparent"
    assert histogram[255] >= 0.1 * pixels, "the drawing is not opaque"


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_images_are_trimmed(name: str) -> None:
    """No empty margin: a logo's drawing touches all four edges, an icon's two opposite ones."""
    image = _open(name)
    box = image.getchannel("A").getbbox()
    assert box is not None
    left, top, right, bottom = box
    if name in LOGOS:
        assert box == (0, 0, image.width, image.height)
    else:
        assert (left, right) == (0, image.width) or (top, bottom) == (0, image.height)


@pytest.mark.parametrize(
    ("name", "background"),
    [
        *((name, LIGHT_BACKGROUND) for name in sorted(IMAGES) if not name.startswith("dark_")),
        *((name, DARK_BACKGROUND) for name in sorted(IMAGES) if name.startswith("dark_")),
    ],
)
def test_every_colour_stands_out_on_its_theme(name: str, background: tuple[int, ...]) -> None:
    """The light images read on a white card, the dark_ ones on a dark theme."""
    colours = main_colours(_open(name))
    assert len(colours) == 2  # the accent and the ink (the brackets and the face)
    for colour in colours:
        assert contrast(colour, background) >= MIN_CONTRAST, colour


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("icon.png", "logo.png"),
        ("icon@2x.png", "logo@2x.png"),
        ("dark_icon.png", "dark_logo.png"),
        ("dark_icon@2x.png", "dark_logo@2x.png"),
        ("icon.png", "dark_icon.png"),
        ("icon@2x.png", "dark_icon@2x.png"),
        ("logo.png", "dark_logo.png"),
        ("logo@2x.png", "dark_logo@2x.png"),
        ("icon.png", "icon@2x.png"),
        ("logo.png", "logo@2x.png"),
        ("dark_icon.png", "dark_icon@2x.png"),
        ("dark_logo.png", "dark_logo@2x.png"),
    ],
)
def test_no_image_repeats_another(first: str, second: str) -> None:
    """The brands repository's check: a copy of another image should be left out instead."""
    assert (BRAND_DIR / first).read_bytes() != (BRAND_DIR / second).read_bytes()


@pytest.mark.parametrize("name", ["icon.png", "logo.png", "dark_icon.png", "dark_logo.png"])
def test_hdpi_images_are_the_same_drawing_twice_as_large(name: str) -> None:
    """An @2x image scaled down is its 1x image (drawn at its own size, not scaled up)."""
    small = _open(name)
    large = _open(name.replace(".png", "@2x.png"))
    assert abs(large.width - 2 * small.width) <= 1
    assert large.height == 2 * small.height
    reduced = large.resize(small.size, Image.Resampling.BOX)
    difference = ImageChops.difference(_over_grey(reduced), _over_grey(small))
    # Edges fall on other pixels at the two sizes; the shapes, colours and layout do not.
    assert max(ImageStat.Stat(difference).mean) < 2


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_committed_images_are_what_scripts_brand_draws(
    brand_script: ModuleType, name: str
) -> None:
    """The PNGs come from scripts/brand: after a change to it, it must be run again."""
    drawn: Image.Image = brand_script.IMAGES[name].draw()
    assert brand_script.differs(drawn, BRAND_DIR / name) is None


def test_the_script_check_notices_another_image(brand_script: ModuleType) -> None:
    """The comparison fails for a different drawing (the dark icon where the light one is)."""
    dark_icon: Image.Image = brand_script.IMAGES["dark_icon.png"].draw()
    reason = brand_script.differs(dark_icon, BRAND_DIR / "icon.png")
    assert reason is not None
    assert "differ" in reason
    assert brand_script.differs(dark_icon, BRAND_DIR / "nothing.png") == "missing"


async def _brands_token(hass: HomeAssistant, hass_ws_client: Any) -> str:
    """Return the brands access token, as the frontend gets it over its WebSocket."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "brands/access_token"})
    message = await client.receive_json()
    assert message["success"], message
    token = message["result"]["token"]
    assert isinstance(token, str)
    return token


async def test_home_assistant_serves_the_images(
    hass: HomeAssistant, hass_client_no_auth: Any, hass_ws_client: Any
) -> None:
    """2026.3+: /api/brands/integration/face_access/<image> answers with our own bytes.

    Fetched as the frontend's integration page does (a token from `brands/access_token`),
    each byte-for-byte, so a fallback to another image (icon for logo, light for dark) or
    to the placeholder would fail. Without a token the request is refused.
    On 2026.2 the loader knows no brands integration: nothing serves the folder.
    """
    integration = (await async_get_custom_components(hass))[DOMAIN]
    if not SERVES_CUSTOM_BRANDS:
        assert not hasattr(integration, "has_branding")
        assert not await async_setup_component(hass, "brands", {})
        return
    assert integration.has_branding  # type: ignore[attr-defined,unused-ignore]  # 2026.3+
    assert await async_setup_component(hass, "brands", {})
    token = await _brands_token(hass, hass_ws_client)
    client = await hass_client_no_auth()
    for name in sorted(IMAGES):
        url = f"/api/brands/integration/{DOMAIN}/{name}"
        response = await client.get(url, params={"token": token, "placeholder": "no"})
        assert response.status == 200, name
        assert response.content_type == "image/png"
        assert await response.read() == (BRAND_DIR / name).read_bytes(), name
    refused = await client.get(f"/api/brands/integration/{DOMAIN}/icon.png")
    assert refused.status == 403
