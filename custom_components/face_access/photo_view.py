"""Enrolment photos served to devices that download them, at signed, expiring URLs.

A device's batch enrolment takes photos by URL only (face terminal and camera
`EditPersonsNew` `picURI`: face_terminal_mqtt digest §4.13, camera_mqtt digest §4.9): the
device fetches each photo from Home Assistant itself. A photo is offered on a shelf under
a random token for as long as its batch may take, and its URL is signed with Home
Assistant's own `async_sign_path` (the content user's, as media sources do), so that Home
Assistant's authentication accepts it without a header until it expires. The view serves
nothing to a request that its signature did not let in, nor anything not on offer: an
unsigned, tampered or expired URL gets 401, a withdrawn photo 404. The URL names no person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
import secrets
import time
from typing import Final

from aiohttp import web
from homeassistant.components.http.auth import STORAGE_KEY as CONTENT_USER_KEY, async_sign_path
from homeassistant.components.http.const import KEY_HASS_REFRESH_TOKEN_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

PHOTO_PATH: Final = f"/api/{DOMAIN}/photo/{{token}}"
SHELF_KEY: HassKey[PhotoShelf] = HassKey(f"{DOMAIN}_photo_shelf")


@dataclass(slots=True)
class _Offer:
    jpeg: bytes
    expires: float  # time.monotonic()


class PhotoShelf:
    """The photos on offer now, by token; each until its expiry or its withdrawal."""

    def __init__(self) -> None:
        """Start empty."""
        self._offers: dict[str, _Offer] = {}

    @callback
    def offer(self, hass: HomeAssistant, jpeg: bytes, lifetime: timedelta) -> str:
        """Offer `jpeg` for `lifetime`; return its signed path (relative, query included).

        Expired offers are dropped on the way, so the shelf never outgrows its batches.
        """
        now = time.monotonic()
        for token in [token for token, offer in self._offers.items() if offer.expires < now]:
            del self._offers[token]
        token = secrets.token_urlsafe(24)
        self._offers[token] = _Offer(jpeg, now + lifetime.total_seconds())
        return async_sign_path(
            hass, PHOTO_PATH.format(token=token), lifetime, use_content_user=True
        )

    @callback
    def withdraw(self, paths: Iterable[str]) -> None:
        """Stop serving the photos of these signed paths (their batch is over)."""
        for path in paths:
            token = path.split("?", 1)[0].rsplit("/", 1)[-1]
            self._offers.pop(token, None)

    @callback
    def get(self, token: str) -> bytes | None:
        """Return the photo offered under `token`, or None (never offered, expired, withdrawn)."""
        offer = self._offers.get(token)
        if offer is None or offer.expires < time.monotonic():
            return None
        return offer.jpeg


class FacePhotoView(HomeAssistantView):
    """`GET /api/face_access/photo/<token>?authSig=...`: one offered photo, as JPEG.

    `requires_auth`: Home Assistant's authentication lets a signed URL in (`authSig`,
    checked against the path, its query and its expiry) and answers 401 to anything else
    without a token; the view then also refuses (401) a request let in by anything but
    the content user's signature, such as a user's own token.
    """

    url = PHOTO_PATH
    name = f"api:{DOMAIN}:photo"
    requires_auth = True

    def __init__(self, hass: HomeAssistant, shelf: PhotoShelf) -> None:
        """Serve from `shelf`."""
        self._hass = hass
        self._shelf = shelf

    async def get(self, request: web.Request, token: str) -> web.Response:
        """Answer the photo, 401 when the signature did not let the request in, else 404."""
        signer = self._hass.data.get(CONTENT_USER_KEY)
        if signer is None or request.get(KEY_HASS_REFRESH_TOKEN_ID) != signer:
            return web.Response(status=HTTPStatus.UNAUTHORIZED)
        jpeg = self._shelf.get(token)
        if jpeg is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            body=jpeg, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
        )


@callback
def async_register(hass: HomeAssistant) -> None:
    """Register the view and its shelf once per Home Assistant instance."""
    if SHELF_KEY in hass.data:
        return
    shelf = hass.data[SHELF_KEY] = PhotoShelf()
    hass.http.register_view(FacePhotoView(hass, shelf))


def shelf(hass: HomeAssistant) -> PhotoShelf | None:
    """Return the instance's shelf, None when the view is not registered."""
    return hass.data.get(SHELF_KEY)
