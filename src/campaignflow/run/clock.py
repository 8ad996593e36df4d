"""Injected time and ids, so that runs are deterministic under test."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypedDict

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


_SECOND = timedelta(seconds=1)


class _Second(TypedDict):
    """The last whole second :func:`iso` formatted: its start (UTC, microsecond 0), the next
    second's, and its ISO text up to the seconds."""

    base: datetime
    end: datetime
    prefix: str


# One dict, replaced whole, so that a thread reads a matching set. A dict of datetimes and
# strings is not tracked by the cyclic collector (a tuple is, until a collection sees it):
# replacing it frees nothing a host's gc.freeze() holds.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_last: _Second = {"base": _EPOCH, "end": _EPOCH + _SECOND, "prefix": "1970-01-01T00:00:00"}


def iso(now: datetime) -> str:
    """``now.isoformat()``, its date and time of day formatted once per second for UTC times.

    A ``datetime`` in UTC (not a subclass, whose ``isoformat`` may differ) within the
    second last formatted differs from it in its microseconds only; any other value is
    formatted by ``isoformat`` itself. Same text either way (property-tested).
    """
    if type(now) is datetime and now.tzinfo is UTC:
        last = _last
        if not last["base"] <= now < last["end"]:  # same tzinfo: compared field by field
            return _formatted(now)
        micro = now.microsecond
        return f"{last['prefix']}.{micro:06d}+00:00" if micro else f"{last['prefix']}+00:00"
    return now.isoformat()


def _formatted(now: datetime) -> str:
    """``now.isoformat()`` (UTC), keeping its second for the next calls of :func:`iso`."""
    global _last  # noqa: PLW0603 - one module-wide cache, replaced whole
    text = now.isoformat()
    base = now.replace(microsecond=0)
    _last = {"base": base, "end": base + _SECOND, "prefix": text[:19]}
    return text


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
