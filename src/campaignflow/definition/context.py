"""The read-only context a rule sees: one unit, its evidence, its history, the org."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from campaignflow.values.records import Recorded, Step

if TYPE_CHECKING:
    from campaignflow.definition.actors import Actor
    from campaignflow.org.graph import Org
    from campaignflow.values.findings import Names

T = TypeVar("T")


def evidence_name(tp: type[Any]) -> str:
    """The name an evidence type is stored and reported under."""
    return tp.__name__


def names(value: object) -> frozenset[str]:
    """The person ids an evidence field holds: one id, or a collection of them (each once)."""
    if isinstance(value, str):
        return frozenset((value,))
    if isinstance(value, Iterable):
        return frozenset(v for v in value if isinstance(v, str))
    return frozenset()


class Reads(Protocol):
    """What a quick check reads: the unit's records of one evidence type."""

    def records(self, tp: type[T]) -> Sequence[Recorded[T]]: ...


class RunView(Protocol):
    """What a rule may ask of the run beyond its own unit (used by ordering rules)."""

    @property
    def org(self) -> Org: ...

    def stage_of(self, unit: str) -> str: ...

    def has_fired(self, unit: str, event: str) -> bool: ...

    def reached(self, unit: str, stage: str) -> bool: ...

    def records_of(self, unit: str, kind: str) -> Sequence[Recorded[Any]]: ...

    def all_records_of(self, unit: str, kind: str) -> Sequence[Recorded[Any]]: ...

    @property
    def labels(self) -> Names: ...

    def history(self, unit: str) -> tuple[Step, ...]: ...

    def people_records(
        self, unit: str, kind: str, field: str, *, own: Sequence[Recorded[Any]] | None = None
    ) -> Sequence[Recorded[Any]]: ...


class Context:
    """Read-only view handed to every rule when a gate is checked.

    Attributes:
        unit: the unit being checked.
        stage: its current stage.
        event: the event being checked.
        actor: the actor attempting the event (``None`` for a plain check).
        now: the run clock's time of the check.
        run: the run, read-only, for rules that look beyond the unit.
    """

    __slots__ = ("actor", "event", "now", "run", "stage", "unit")

    def __init__(
        self,
        *,
        unit: str,
        stage: str,
        event: str,
        actor: Actor | None,
        now: datetime,
        run: RunView,
    ) -> None:
        self.unit = unit
        self.stage = stage
        self.event = event
        self.actor = actor
        self.now = now
        self.run = run

    @property
    def org(self) -> Org:
        """The organisation the run covers."""
        return self.run.org

    def records(self, tp: type[T]) -> Sequence[Recorded[T]]:
        """The unit's live (not retracted) evidence of type ``tp`` that counts, oldest first.

        After a send-back whose rework redoes ``tp`` (``campaign.rework(stage,
        redo=(tp,))``), only the records since the unit's latest send-back to that
        stage count; :meth:`all_records` reads the whole history.
        """
        return self.run.records_of(self.unit, evidence_name(tp))

    def all_records(self, tp: type[T]) -> Sequence[Recorded[T]]:
        """Every live record of type ``tp`` at the unit, those a send-back voided too."""
        return self.run.all_records_of(self.unit, evidence_name(tp))

    def records_for_people(self, tp: type[T], field: str) -> Sequence[Recorded[T]]:
        """Evidence of type ``tp`` that counts for the unit's people, read by ``field``.

        The unit's own records, plus records from the levels above that the
        campaign declared with :meth:`~campaignflow.Campaign.counts_below` for this
        field (学习上延一级), narrowed to the invited people of this unit.
        """
        return self.run.people_records(self.unit, evidence_name(tp), field)

    def evidence(self, tp: type[T]) -> list[T]:
        """The values of :meth:`records`, for rules that need no ids."""
        return [r.value for r in self.records(tp)]

    def history(self) -> tuple[Step, ...]:
        """The unit's steps so far, oldest first."""
        return self.run.history(self.unit)

    def people(self, role: str | None = None) -> tuple[str, ...]:
        """Person ids attached to the unit with ``role`` (all people when ``None``)."""
        return self.run.org.people(self.unit, role)

    def name(self, node: str) -> str:
        """Display name of a person, unit or group (the id when it has none)."""
        return self.run.org.name_of(node)

    def event_label(self, event: str) -> str:
        """An event as a clerk reads it: its transition's label, the id beside it."""
        return self.run.labels.event(event)

    def stage_label(self, stage: str) -> str:
        """A stage as a clerk reads it: its label, the path beside it."""
        return self.run.labels.stage(stage)

    def unit_label(self, unit: str) -> str:
        """A unit as a clerk reads it: its name, the id beside it."""
        return self.run.labels.unit(unit)
