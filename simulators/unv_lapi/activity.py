"""A busy entrance: the random, realistic events of a Uniview face terminal.

Mostly recognitions of enrolled people (36.2-37.1 °C, a mask or not), some strangers, now
and then a refused passage, a fever, an access card or an ID card. The command line
(``--activity``) and the demo run these through ``Simulator.random_activity``. Every
description ends with what became of the record: acknowledged or still pending.
"""

from __future__ import annotations

from simulators.base import Activity

ACK_WAIT = 3.0
"""Seconds a description waits for the platform's ACK of its record."""


class UnvLapiActivity(Activity["UnvLapiSimulator"]):
    """The events of a Uniview face terminal at a busy entrance."""

    events = (
        ("recognition", 7),
        ("stranger", 3),
        ("denied", 2),
        ("fever", 1),
        ("card", 1),
        ("id_card", 1),
    )

    def _outcome(self, seq: int) -> str:
        """Say what became of record ``seq`` (waiting up to ``ACK_WAIT`` s)."""
        if not self.simulator.subscriptions:
            return f"#{seq} kept (no subscriber)"
        if self.simulator.wait_acked(seq, ACK_WAIT):
            return f"#{seq} acked"
        return f"#{seq} not acked yet ({len(self.simulator.pending)} pending)"

    def recognize(self, person_id: str, name: str) -> str:
        """Recognize a person: their face, a normal temperature, a mask or not."""
        temperature = round(self.rng.uniform(36.2, 37.1), 1)
        mask = self.rng.random() < 0.4
        seq = self.simulator.recognition(person_id, temperature, mask, **self.face(person_id))
        return f"recognized {name} ({temperature} °C, {_mask(mask)}) -> {self._outcome(seq)}"

    def stranger(self) -> str:
        """Capture someone unknown, with a temperature, a mask or not."""
        temperature = round(self.rng.uniform(36.0, 37.4), 1)
        mask = self.rng.random() < 0.4
        seq = self.simulator.stranger(temperature, mask)
        return f"stranger ({temperature} °C, {_mask(mask)}) -> {self._outcome(seq)}"

    def denied(self) -> str:
        """Refuse an enrolled person (outside arming time, non-living body, attribute)."""
        return self.with_someone(self._refuse)

    def _refuse(self, person_id: str, name: str) -> str:
        status = self.rng.choice((3, 6, 10))
        seq = self.simulator.denied(status, person_id, temperature=36.6, mask=status != 10 and None)
        return f"denied {name} (MatchStatus {status}) -> {self._outcome(seq)}"

    def fever(self) -> str:
        """Measure a high temperature (MatchStatus 11)."""
        temperature = round(self.rng.uniform(37.5, 38.9), 1)
        seq = self.simulator.high_temperature(temperature)
        return f"high temperature {temperature} °C -> {self._outcome(seq)}"

    def card(self) -> str:
        """Swipe an access card: an enrolled person's, or an unknown one."""
        cards = [p["card_id"] for p in self.simulator.persons.values() if p["card_id"]]
        number = self.rng.choice(cards) if cards and self.rng.random() < 0.5 else None
        if number is None:
            number = str(self.rng.randrange(10**8, 10**9))
        seq = self.simulator.card(number)
        return f"card {number} -> {self._outcome(seq)}"

    def id_card(self) -> str:
        """Read a visitor's ID card."""
        seq = self.simulator.id_card()
        return f"ID card -> {self._outcome(seq)}"


def _mask(mask: bool) -> str:
    return "mask" if mask else "no mask"
