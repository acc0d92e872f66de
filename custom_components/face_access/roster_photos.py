"""A roster person's kept photo, read and made fit for one device (roster sync, sync.py).

The People entry keeps each photo normalised once (`people_entry`); a device gets it
normalised again to its own `PhotoLimits`. Reading and normalising are file and CPU work:
these functions run in the executor, several people to a job.
"""

from __future__ import annotations

from typing import Final

from .protocols import images
from .protocols.model import Enrollment, FaceAccessError, InvalidPhotoError, PhotoLimits
from .roster import RosterPerson

MAX_PHOTO_BYTES: Final = 20 * 1024 * 1024
"""A kept photo larger than this is not one the roster wrote; it is not read whole."""


def enrollment_of(person: RosterPerson, photo: bytes) -> Enrollment:
    """Return what enrols `person` with their normalised `photo`."""
    return Enrollment(
        person_id=person.person_id,
        name=person.name,
        photo_jpeg=photo,
        card_number=person.card_number,
        person_list=person.person_list,
        valid_from=person.valid_from,
        valid_until=person.valid_until,
    )


def read_photo(person: RosterPerson, limits: PhotoLimits) -> bytes:
    """Read a kept photo and normalise it to a device's limits (executor: file and CPU work).

    Raises OSError when the file cannot be read, InvalidPhotoError when it cannot be made
    into a JPEG within the limits.
    """
    with person.photo_path.open("rb") as file:
        data = file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidPhotoError("the kept photo is larger than 20 MB")
    return images.normalize_photo(data, limits)


def photo_or_error(person: RosterPerson, limits: PhotoLimits) -> bytes | FaceAccessError | OSError:
    """Return `read_photo`'s photo, or why there is none (executor; never raises those)."""
    try:
        return read_photo(person, limits)
    except (OSError, FaceAccessError) as err:
        return err


def read_photos_of(
    people: list[RosterPerson], limits: PhotoLimits
) -> list[bytes | FaceAccessError | OSError]:
    """Read and normalise several people's photos (executor): each, or why it failed."""
    return [photo_or_error(person, limits) for person in people]
