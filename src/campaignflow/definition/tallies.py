"""Tallies: what a rule over people counts of its evidence, kept once per judgement.

A rule over people (``every_member_has``, ``coverage``, ``every_pair``) reads the
unit's people and the records naming them and counts them per person or pair:
its *tally*. Its quick check ("certainly holds?") and its finding are both read
off the tally, so a judgement's view that keeps tallies (:class:`Kept`: the
run's views, ``run.judging.Snapshot``) has each counted once, from the records
read at the check:

- a quick check that passes leaves the tally behind, and the lazy verdict's
  finding is built from it when read (no second read, the check's moment);
- one that fails hands it to the full evaluation of the same view.

Any other view (a plain :class:`~campaignflow.Context` over a run) counts on
each call, as before: the tally is the same function of the same reads.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from campaignflow.definition.context import RunView

S = TypeVar("S")
_IS_STR = str.__instancecheck__  # isinstance(v, str), as a C callable for filter()


def people_in(value: object) -> frozenset[str]:
    """:func:`~campaignflow.definition.context.names`, the same set, filtered in C: one id, or the
    strings of a collection (each once); anything else names nobody."""
    if isinstance(value, str):
        return frozenset((value,))
    if isinstance(value, Iterable):
        return frozenset(filter(_IS_STR, value))
    return frozenset()


class Kept:
    """A judgement's view of one unit that keeps tallies (see the module).

    Subclasses set ``unit`` (the unit judged) and ``tallies`` (``None`` until the first
    is kept), and are :class:`~campaignflow.definition.context.RunView`\\ s: ``view``
    is the view itself.
    """

    __slots__ = ("tallies",)
    unit: str

    def __init__(self) -> None:
        self.tallies: dict[Hashable, Any] | None = None

    @property
    def view(self) -> RunView:
        """The view the tallies are read through (this one)."""
        raise NotImplementedError  # pragma: no cover - every subclass is a RunView

    def kept(self, key: Hashable, make: Callable[[], S]) -> S:
        """``make()``, computed on the first call for ``key`` and kept for this judgement."""
        tallies = self.tallies
        if tallies is None:
            tallies = self.tallies = {}
        elif key in tallies:
            found: S = tallies[key]
            return found
        made = tallies[key] = make()
        return made


def tally(run: RunView, unit: str, key: Hashable, make: Callable[[], S]) -> S:
    """``make()``, kept by ``run`` when it is a judgement's view of ``unit`` that keeps tallies."""
    if isinstance(run, Kept) and run.unit == unit:
        return run.kept(key, make)
    return make()


def people_at(run: RunView, unit: str, role: str | None) -> tuple[str, ...]:
    """``run.org.people(unit, role)`` (what ``Context.people`` reads), looked up once per judgement."""
    if isinstance(run, Kept) and run.unit == unit:
        return run.kept(("people", role), lambda: run.org.people(unit, role))
    return run.org.people(unit, role)
