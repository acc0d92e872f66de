"""Where an enrolment photo comes from: a file, a URL, a camera, a media source or base64.

`async_read_photo` returns the source's bytes undecoded (decoding and scaling are
`protocols.images.normalize_photo`'s work, in an executor). Every source is bounded by
MAX_SOURCE_PHOTO_BYTES, and file reads run in the executor, never on the event loop.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path
import re
from typing import Any, Final

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import voluptuous as vol

from .const import (
    ATTR_PHOTO_BASE64,
    ATTR_PHOTO_CAMERA,
    ATTR_PHOTO_MEDIA,
    ATTR_PHOTO_PATH,
    ATTR_PHOTO_URL,
    DOMAIN,
)

MAX_SOURCE_PHOTO_BYTES: Final = 20 * 1024 * 1024
"""A source photo larger than this is not a portrait; it is refused before decoding."""
PHOTO_FETCH_TIMEOUT: Final = 15
"""Seconds a photo download (URL or media source) may take."""
PHOTO_SOURCES: Final = (
    ATTR_PHOTO_PATH,
    ATTR_PHOTO_URL,
    ATTR_PHOTO_CAMERA,
    ATTR_PHOTO_MEDIA,
    ATTR_PHOTO_BASE64,
)
"""The fields that name a photo source; a call names exactly one."""

_MEDIA_SOURCE_PREFIX: Final = "media-source://"
_DATA_URI: Final = re.compile(r"^\s*data:[^,]*?;base64,", re.IGNORECASE)
_TOO_LARGE: Final = "larger than 20 MB"


def media_source_id(value: Any) -> str:
    """Validate a `photo_media` value: a media selector's choice or a `media-source://` ID.

    The media selector gives `{"media_content_id": ..., "media_content_type": ...}`; a
    script may write the ID alone. Returns the ID; raises vol.Invalid for anything else.
    """
    if isinstance(value, Mapping):
        value = value.get("media_content_id")
    if not isinstance(value, str) or not value.startswith(_MEDIA_SOURCE_PREFIX):
        raise vol.Invalid("expected a media-source:// ID or a media selector's choice")
    return value


def _unavailable(reason: str) -> ServiceValidationError:
    """Return the error for a photo that could not be read, with why."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="photo_unavailable",
        translation_placeholders={"reason": reason},
    )


def _bounded(data: bytes) -> bytes:
    """Return `data`, or raise when it is larger than any portrait."""
    if len(data) > MAX_SOURCE_PHOTO_BYTES:
        raise _unavailable(_TOO_LARGE)
    return data


async def _async_read_file(hass: HomeAssistant, path: Path) -> bytes:
    """Read at most one byte past the limit of a file, in the executor."""

    def _read() -> bytes:
        with path.open("rb") as file:
            return file.read(MAX_SOURCE_PHOTO_BYTES + 1)

    try:
        return _bounded(await hass.async_add_executor_job(_read))
    except OSError as err:
        raise _unavailable(err.strerror or str(err)) from err


async def _async_download(hass: HomeAssistant, url: str) -> bytes:
    """Download a photo with Home Assistant's client session, up to just past the limit."""
    try:
        async with async_get_clientsession(hass).get(
            url, timeout=aiohttp.ClientTimeout(total=PHOTO_FETCH_TIMEOUT)
        ) as response:
            response.raise_for_status()
            # `content.read(n)` returns what has arrived so far, not n bytes: read to the
            # end (or just past the limit) so that a photo sent in pieces arrives whole.
            received = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                received += chunk
                if len(received) > MAX_SOURCE_PHOTO_BYTES:
                    break
    except (aiohttp.ClientError, TimeoutError) as err:
        raise _unavailable(str(err) or "timeout") from err
    return _bounded(bytes(received))


async def _async_read_media(hass: HomeAssistant, media_content_id: str) -> bytes:
    """Resolve a media source ID; read local media from disk, fetch the rest over HTTP.

    Local media (`media-source://media_source/...`) resolves to a file in a media folder;
    other sources resolve to a URL, often a relative one on Home Assistant itself, which
    is signed and made absolute as a media player would be given it.
    """
    # Imported here: media_source pulls in the frontend's HTTP views, needed only now.
    from homeassistant.components import media_source  # noqa: PLC0415
    from homeassistant.components.media_player.browse_media import (  # noqa: PLC0415
        async_process_play_media_url,
    )

    try:
        media = await media_source.async_resolve_media(hass, media_content_id, None)
    except HomeAssistantError as err:
        raise _unavailable(str(err)) from err
    if not media.mime_type.startswith("image/"):
        raise _unavailable(f"{media.mime_type} is not a picture")
    if media.path is not None:
        return await _async_read_file(hass, media.path)
    try:
        url = async_process_play_media_url(hass, media.url)
    except HomeAssistantError as err:  # no URL of Home Assistant is known
        raise _unavailable(str(err)) from err
    return await _async_download(hass, url)


def _decode_base64(text: str) -> bytes:
    """Decode base64 with or without a `data:` prefix; line breaks and spaces are ignored."""
    payload = "".join(_DATA_URI.sub("", text, count=1).split())
    # Four characters carry three bytes: refuse what cannot be a portrait before decoding.
    if len(payload) // 4 * 3 > MAX_SOURCE_PHOTO_BYTES:
        raise _unavailable(_TOO_LARGE)
    try:
        data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except (binascii.Error, ValueError) as err:
        raise _unavailable("not base64") from err
    if not data:
        raise _unavailable("empty")
    return _bounded(data)


async def async_read_photo(hass: HomeAssistant, source: Mapping[str, Any]) -> bytes:
    """Return the bytes of the photo that `source` names, undecoded.

    `source` holds one of PHOTO_SOURCES as the enroll_person service takes it:
    `photo_path` (a file in `allowlist_external_dirs`), `photo_url`, `photo_camera` (a
    camera entity ID, its current picture), `photo_media` (a `media-source://` ID or a
    media selector's choice) or `photo_base64` (base64, with or without a `data:` prefix).
    At most MAX_SOURCE_PHOTO_BYTES. Raises ServiceValidationError: `photo_path_not_allowed`
    for a file outside the allow-list, `photo_unavailable` (with the reason) for anything
    that could not be read, is too large or names no source.
    """
    if (path := source.get(ATTR_PHOTO_PATH)) is not None:
        if not hass.config.is_allowed_path(path):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="photo_path_not_allowed",
                translation_placeholders={"path": path},
            )
        return await _async_read_file(hass, Path(path))
    if (url := source.get(ATTR_PHOTO_URL)) is not None:
        return await _async_download(hass, url)
    if (entity_id := source.get(ATTR_PHOTO_CAMERA)) is not None:
        # Imported here: the camera component is set up (with its requirements) only when
        # someone uses it.
        from homeassistant.components.camera import async_get_image  # noqa: PLC0415

        try:
            return _bounded((await async_get_image(hass, entity_id)).content)
        except HomeAssistantError as err:
            if isinstance(err, ServiceValidationError) and err.translation_domain == DOMAIN:
                raise
            raise _unavailable(str(err)) from err
    if (media := source.get(ATTR_PHOTO_MEDIA)) is not None:
        try:
            media_content_id = media_source_id(media)
        except vol.Invalid as err:
            raise _unavailable(str(err)) from err
        return await _async_read_media(hass, media_content_id)
    if (text := source.get(ATTR_PHOTO_BASE64)) is not None:
        return _decode_base64(str(text))
    raise _unavailable("no photo given")
