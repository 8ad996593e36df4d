"""Injected time and ids, so that runs are deterministic under test."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
"""A zero-argument callable returning an aware ``datetime`` ("now")."""

IdSource = Callable[[], str]
"""A zero-argument callable returning a fresh, unique id string."""


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


def uuid_ids() -> str:
    """Random ids (UUID4 hex): the default id source."""
    return uuid.uuid4().hex


class FixedClock:
    """A clock for tests: starts at ``start`` and advances by ``step`` per call.

    Args:
        start: the first time returned (aware).
        step: how far each call moves the clock (zero keeps it still).
    """

    def __init__(
        self,
        start: datetime = datetime(2014, 2, 24, 9, 0, tzinfo=UTC),
        step: timedelta = timedelta(0),
    ) -> None:
        if start.tzinfo is None:
            msg = f"FixedClock needs an aware datetime, got naive {start!r}: add tzinfo=UTC"
            raise ValueError(msg)
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        current = self.now
        self.now = current + self.step
        return current

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self.now += delta


class CountingIds:
    """Deterministic ids for tests: ``prefix-000001``, ``prefix-000002``, ..."""

    def __init__(self, prefix: str = "e") -> None:
        self.prefix = prefix
        self._counter: Iterator[int] = itertools.count(1)

    def __call__(self) -> str:
        return f"{self.prefix}-{next(self._counter):06d}"
