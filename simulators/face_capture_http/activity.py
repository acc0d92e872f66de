"""A busy gate: the random, realistic events of a face-capture terminal.

Mostly recognitions of enrolled people (a body temperature of 36.2-37.1 °C, a mask or
not), some strangers, now and then a refused passage (a fever, no mask, an expired
person), a card swipe or a visitor's QR code. The command line (``--activity``) and the
demo run these through ``Simulator.random_activity``. Every description ends with what
became of the record: acknowledged by the platform, still queued, or kept on the device
(no upload URL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulators.base import Activity

if TYPE_CHECKING:
    pass

ACK_WAIT = 3.0
"""Seconds a description waits for the platform's ACK of its record."""


class FaceCaptureActivity(Activity["FaceCaptureSimulator"]):
    """The events of a face-capture terminal at a busy gate."""

    events = (("recognition", 7), ("stranger", 3), ("denied", 2), ("card", 1), ("qr_code", 1))

    def _outcome(self, sequence_no: int) -> str:
        """Say what became of record ``sequence_no`` (waiting up to ``ACK_WAIT`` s)."""
        if self.simulator.upload_url is None:
            return f"#{sequence_no} kept (no upload URL)"
        if self.simulator.wait_acked(sequence_no, ACK_WAIT):
            return f"#{sequence_no} acked"
        return f"#{sequence_no} not acked yet ({len(self.simulator.queued)} queued)"

    def recognize(self, person_id: str, name: str) -> str:
        """Recognize a person: their face, a normal temperature, a mask or not."""
        temperature = round(self.rng.uniform(36.2, 37.1), 1)
        mask = self.rng.random() < 0.4
        sequence_no = self.simulator.recognition(
            person_id,
            temperature,
            mask,
            score=self.rng.randint(82, 99),
            **self.face(person_id),
        )
        return (
            f"recognized {name} ({temperature} °C, {_mask(mask)}) -> {self._outcome(sequence_no)}"
        )

    def stranger(self) -> str:
        """Capture someone unknown, with a temperature, a mask or not."""
        temperature = round(self.rng.uniform(36.0, 37.4), 1)
        mask = self.rng.random() < 0.4
        sequence_no = self.simulator.stranger(temperature, mask)
        return f"stranger ({temperature} °C, {_mask(mask)}) -> {self._outcome(sequence_no)}"

    def denied(self) -> str:
        """Refuse an enrolled person; a stranger when nobody is enrolled."""
        return self.with_someone(self._refuse)

    def _refuse(self, person_id: str, name: str) -> str:
        reason, temperature, mask = self.rng.choice(
            (
                (-6, round(self.rng.uniform(37.5, 38.6), 1), True),  # temperature too high
                (-7, round(self.rng.uniform(36.2, 37.1), 1), False),  # no mask
                (-3, None, None),  # expired
            )
        )
        sequence_no = self.simulator.denied(
            reason, person_id, temperature=temperature, mask=mask, **self.face(person_id)
        )
        return f"denied {name} (reason {reason}) -> {self._outcome(sequence_no)}"

    def card(self) -> str:
        """Swipe a Wiegand card: an enrolled person's, or an unknown one."""
        cards = [p["wg_card_id"] for p in self.simulator.persons.values() if p["wg_card_id"]]
        number = self.rng.choice(cards) if cards and self.rng.random() < 0.5 else None
        if number is None:
            number = self.rng.randrange(1, 2**24)
        sequence_no = self.simulator.card(number)
        return f"card {number} -> {self._outcome(sequence_no)}"

    def qr_code(self) -> str:
        """Scan a visitor's QR code."""
        text = f"VISITOR-{self.rng.randrange(10**6):06d}"
        sequence_no = self.simulator.qr(text)
        return f"QR code {text} -> {self._outcome(sequence_no)}"


def _mask(mask: bool) -> str:
    return "mask" if mask else "no mask"
