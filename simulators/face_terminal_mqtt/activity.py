"""A busy entrance: the random, realistic events of a face terminal.

Mostly recognitions of enrolled people (a body temperature, about one passage in ten a
fever above the terminal's 37.3 °C threshold, now and then none; sometimes a mask), some
strangers, now and then a refused face, a card swipe or a visitor's QR code. The command
line (``--activity``) and the demo run these through ``Simulator.random_activity``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulators.base import Activity

if TYPE_CHECKING:
    pass


class TerminalActivity(Activity["FaceTerminalSimulator"]):
    """The events of a face terminal at a busy entrance."""

    events = (("recognition", 6), ("stranger", 2), ("denied", 1), ("card", 1), ("qr_code", 1))

    def recognize(self, person_id: str, name: str) -> str:
        """Recognize a person: their face, usually a temperature, sometimes a mask."""
        roll = self.rng.random()
        temperature: float | None = None
        if roll < 0.1:
            temperature = round(self.rng.uniform(37.5, 38.6), 1)
        elif roll < 0.9:
            temperature = round(self.rng.uniform(36.2, 37.1), 1)
        mask = self.rng.random() < 0.4
        self.simulator.push_record(
            person_id,
            temperature=temperature,
            mask_checked=mask,
            similarity=round(self.rng.uniform(82.0, 99.0), 1),
            **self.face(person_id),
        )
        details = [f"{temperature} °C" if temperature is not None else "no temperature"]
        if mask:
            details.append("mask")
        return f"recognized {name} ({', '.join(details)})"

    def stranger(self) -> str:
        """Capture someone unknown standing in front of the terminal."""
        temperature = round(self.rng.uniform(36.0, 38.2), 1)
        self.simulator.push_stranger(temperature=temperature)
        return f"stranger ({temperature} °C)"

    def denied(self) -> str:
        """Refuse a known face (``VerifyStatus`` 2); a stranger when nobody is enrolled."""
        return self.with_someone(self._refuse)

    def _refuse(self, person_id: str, name: str) -> str:
        self.simulator.push_record(
            person_id, verify_status=2, similarity=91.0, **self.face(person_id)
        )
        return f"denied {name}"

    def card(self) -> str:
        """Swipe a card (8 hexadecimal digits, as the card reader sends them)."""
        number = f"{self.rng.randrange(16**8):08X}"
        self.simulator.push_card(number)
        return f"card {number}"

    def qr_code(self) -> str:
        """Scan a visitor's QR code."""
        text = f"VISITOR-{self.rng.randrange(10**6):06d}"
        self.simulator.push_qr(text)
        return f"QR code {text}"
