"""What the roster sync records and reports (sync.py), apart from how it gets there.

The ledger's record of one person on one device (`LedgerRecord`, JSON in the store), the
statuses the people's sensors show (`SyncStatus` per terminal, `EnrollmentState` over all of a
person's terminals), why a terminal refused someone (`Reason`, a translation key, and
`classify` that finds it in a protocol error), the progress of a run, and the hash that tells
whether a person changed since the roster enrolled them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import hashlib
import json
from typing import Final, TypedDict

from .protocols.model import FaceAccessError, InvalidPhotoError, InvalidRequestError
from .roster import RosterPerson


class SyncStatus(StrEnum):
    """Where one person stands on one terminal."""

    ENROLLED = "enrolled"
    PENDING = "pending"
    """Not there yet: the terminal was not reached, or it has not confirmed."""
    FAILED = "failed"
    """The terminal (or its protocol's limits) refused the person; `reason` says why."""


class EnrollmentState(StrEnum):
    """A person's enrollment over all their terminals (the `enrollment` sensor)."""

    ENROLLED = "enrolled"
    """On every terminal they belong on."""
    PENDING = "pending"
    """Not yet on some terminal, and refused by none."""
    PARTIAL = "partial"
    """Refused by some terminal, on or waiting for others."""
    FAILED = "failed"
    """Refused by every terminal they belong on."""


class Reason(StrEnum):
    """Why a terminal refused a person: translation keys (`exceptions.sync_<value>`).

    Each takes the placeholder `reason`, the protocol's own words (never a name).
    """

    PHOTO_MISSING = "photo_missing"
    PHOTO_UNUSABLE = "photo_unusable"
    PHOTO_QUALITY = "photo_quality"
    DUPLICATE_FACE = "duplicate_face"
    ID_NOT_ACCEPTED = "id_not_accepted"
    NOT_ACCEPTED = "not_accepted"
    REFUSED = "refused"


# The device's reason names the problem in the vendor's words; these words tell the
# user-facing category (the face-terminal codes 464/468/469, the face-capture codes 21,
# 25-41), the reason itself is shown beside it.
_DUPLICATE_WORDS: Final = ("already exist", "duplicate", "repeat", "same face")
_PHOTO_WORDS: Final = ("pic", "photo", "face", "image", "feature")


class LedgerRecord(TypedDict):
    """What the roster did with one person on one device (JSON in the store).

    `hash` is `person_hash` of what was sent, `time` ISO 8601 UTC of the outcome,
    `reason`/`placeholders` the translation key (a `Reason`) and its placeholders of a
    failure, None otherwise. `subentry_id` names the roster person.
    """

    subentry_id: str
    hash: str
    status: str
    time: str
    reason: str | None
    placeholders: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class TerminalStatus:
    """One person's status on one terminal, for the sensors.

    `reason` is the translated reason of a failure (or of waiting), None when there is none.
    """

    name: str
    status: SyncStatus
    reason: str | None
    time: datetime | None


@dataclass(slots=True)
class Progress:
    """Work of the current run: `done` of `total` people commands (0 of 0 when idle)."""

    done: int = 0
    total: int = 0
    terminal: str | None = None

    @property
    def percentage(self) -> int:
        """Return how much of the run is done, 0-100 (100 when nothing is under way)."""
        return 100 if self.total == 0 else min(100, self.done * 100 // self.total)


def person_hash(person: RosterPerson) -> str:
    """Return the hash of what a terminal is told about a person (fields + photo sha256).

    Any change of it (the photo included) enrolls the person again.
    """
    fields = [
        person.person_id,
        person.name,
        person.card_number,
        person.person_list.value,
        person.valid_from.isoformat() if person.valid_from else None,
        person.valid_until.isoformat() if person.valid_until else None,
        person.photo_sha256,
    ]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


def classify(err: FaceAccessError) -> Reason:
    """Return the category of a refusal, for the user (the reason text stays beside it)."""
    if isinstance(err, InvalidPhotoError):
        return Reason.PHOTO_UNUSABLE
    text = str(err).lower()
    if isinstance(err, InvalidRequestError):
        return Reason.ID_NOT_ACCEPTED if "person_id" in text else Reason.NOT_ACCEPTED
    if any(word in text for word in _DUPLICATE_WORDS):
        return Reason.DUPLICATE_FACE
    if any(word in text for word in _PHOTO_WORDS):
        return Reason.PHOTO_QUALITY
    return Reason.REFUSED
