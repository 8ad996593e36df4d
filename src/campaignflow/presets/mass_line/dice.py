"""Where the simulation's random choices come from: one stream, or one per unit.

The demo's original stream is one ``random.Random`` drawn from in the order the
units are simulated: the same seed gives the same run, but only while one
process simulates every unit in that order. A sharded run splits the units
between processes, so each unit's choices must not depend on which others were
drawn for before it: :class:`PerUnitDice` reseeds from ``(seed, phase, unit,
call)``, so a unit draws the same numbers whichever process simulates it.
"""

from __future__ import annotations

import random


class SharedDice:
    """Every unit draws from one stream, in simulation order (the Zhongmou demo's numbers)."""

    per_unit = False

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._ledgers = 0

    def phase(self, n: int) -> None:
        """A new phase begins (nothing changes for one stream)."""

    def of(self, key: str) -> random.Random:  # noqa: ARG002 - one stream for every key
        """The stream ``key`` (a unit, or a person and a unit) draws from now."""
        return self._rng

    def ledger_item(self, unit: str) -> str:  # noqa: ARG002 - numbered across the whole run
        """The next ledger item's number."""
        self._ledgers += 1
        return f"L{self._ledgers:06d}"


class PerUnitDice:
    """Each key draws from its own stream, seeded by the phase and how often it was asked this phase.

    A caller takes every draw of one unit's turn from one :meth:`of` before
    asking for another key; the order of a unit's turns within a phase is its own
    story, so the numbers do not depend on how the units are split.
    """

    per_unit = True

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rng = random.Random()
        self._phase = 0
        self._calls: dict[str, int] = {}
        self._ledgers: dict[str, int] = {}

    def phase(self, n: int) -> None:
        """Phase ``n`` begins: the per-key counts start again."""
        self._phase = n
        self._calls.clear()

    def of(self, key: str) -> random.Random:
        """The stream of ``key``'s next turn."""
        n = self._calls.get(key, 0)
        self._calls[key] = n + 1
        self._rng.seed(f"{self._seed}/{self._phase}/{key}/{n}")
        return self._rng

    def ledger_item(self, unit: str) -> str:
        """The unit's next ledger item's number (numbered within the unit)."""
        n = self._ledgers.get(unit, 0) + 1
        self._ledgers[unit] = n
        return f"L{n:03d}"


Dice = SharedDice | PerUnitDice
